-- Orders: the order row is also the saga's outbox (saga_started_at IS NULL = a start is owed), written with the
-- order.created event in one transaction.
CREATE TABLE orders (
  id text PRIMARY KEY,
  user_id text NOT NULL,
  status text NOT NULL CHECK (status IN ('PENDING','INVENTORY_RESERVED','PAYMENT_COMPLETED','CONFIRMED','CANCELLED','NEEDS_ATTENTION')),
  currency char(3) NOT NULL,
  total_amount bigint NOT NULL CHECK (total_amount >= 0),
  payment_method text NOT NULL,
  payment_id text,
  cancel_reason text,
  cancel_requested_at timestamptz,
  saga_started_at timestamptz,
  reconcile_attempts int NOT NULL DEFAULT 0,
  correlation_id text NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE INDEX orders_saga_pending ON orders (created_at) WHERE saga_started_at IS NULL;
CREATE INDEX orders_unsettled ON orders (updated_at)
  WHERE status IN ('PENDING','INVENTORY_RESERVED','PAYMENT_COMPLETED') OR (status = 'CONFIRMED' AND cancel_requested_at IS NOT NULL);

CREATE TABLE order_lines (
  order_id text NOT NULL REFERENCES orders (id),
  line_no int NOT NULL,
  product_id text NOT NULL,
  name text NOT NULL,
  quantity int NOT NULL CHECK (quantity > 0),
  unit_amount bigint NOT NULL CHECK (unit_amount >= 0),
  line_amount bigint NOT NULL CHECK (line_amount >= 0),
  PRIMARY KEY (order_id, line_no)
);

CREATE TABLE order_history (
  order_id text NOT NULL REFERENCES orders (id),
  seq int NOT NULL,
  status text NOT NULL,
  reason text,
  at timestamptz NOT NULL,
  by_actor text NOT NULL,
  PRIMARY KEY (order_id, seq)
);

-- The read model of GET /orders/user/{userId}: one narrow row per order, kept by every change, paged by keyset.
CREATE TABLE order_listing (
  user_id text NOT NULL,
  created_at timestamptz NOT NULL,
  order_id text NOT NULL REFERENCES orders (id),
  status text NOT NULL,
  currency char(3) NOT NULL,
  total_amount bigint NOT NULL,
  line_count int NOT NULL,
  units int NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (user_id, created_at, order_id)
);
CREATE UNIQUE INDEX order_listing_order ON order_listing (order_id);

-- One row per (user, Idempotency-Key); written with the order, so a key exists exactly when its order does.
CREATE TABLE idempotency_keys (
  user_id text NOT NULL,
  key text NOT NULL,
  fingerprint text NOT NULL,
  order_id text NOT NULL REFERENCES orders (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, key)
);

-- The read model of product names and prices, from product.created / product.updated / product.deleted.
CREATE TABLE product_prices (
  product_id text PRIMARY KEY,
  -- Null only for a deletion that arrived before the product's creation.
  name text,
  currency char(3),
  amount bigint CHECK (amount >= 0),
  version int NOT NULL,
  deleted boolean NOT NULL DEFAULT false,
  updated_at timestamptz NOT NULL DEFAULT now()
);
