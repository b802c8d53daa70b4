-- One database per Postgres-owning service, as offline and in AWS.
CREATE DATABASE shop_users;
CREATE DATABASE shop_orders;
CREATE DATABASE shop_payments;
