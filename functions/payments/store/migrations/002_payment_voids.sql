-- Orders the saga compensated before any ProcessPayment claimed a payment: a late ProcessPayment finds the tombstone and
-- records its payment as voided instead of charging. Written and read under the order's advisory lock (pg-payments.ts).
CREATE TABLE payment_voids (
  order_id text PRIMARY KEY,
  reason text NOT NULL,
  created_at timestamptz NOT NULL
);
