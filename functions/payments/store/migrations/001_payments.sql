-- One payment per order: the row every charge and refund of the order locks (SELECT ... FOR UPDATE).
CREATE TABLE payments (
  id text PRIMARY KEY,
  order_id text NOT NULL UNIQUE,
  user_id text NOT NULL,
  amount bigint NOT NULL CHECK (amount > 0),
  currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  status text NOT NULL CHECK (status IN ('pending', 'captured', 'failed', 'voided')),
  captured_amount bigint NOT NULL DEFAULT 0,
  refunded_amount bigint NOT NULL DEFAULT 0 CHECK (refunded_amount >= 0),
  -- Refunds asked of the processor and not yet answered: held back from what can still be refunded.
  refund_reserved bigint NOT NULL DEFAULT 0 CHECK (refund_reserved >= 0),
  processor_charge_id text,
  -- Only what the processor returns about the card; never the payment-method token.
  card_brand text,
  card_last4 text CHECK (card_last4 ~ '^[0-9]{4}$'),
  failure_reason text,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  CONSTRAINT payments_captured_whole CHECK (captured_amount IN (0, amount)),
  CONSTRAINT payments_refunds_within_capture CHECK (refunded_amount + refund_reserved <= captured_amount),
  CONSTRAINT payments_captured_has_charge CHECK (status <> 'captured' OR (processor_charge_id IS NOT NULL AND captured_amount = amount))
);
CREATE INDEX payments_newest ON payments (created_at DESC, id DESC);
CREATE INDEX payments_user_newest ON payments (user_id, created_at DESC, id DESC);

-- The ledger: every charge, refund and failed attempt, in minor units. Append-only (the trigger below refuses changes).
CREATE TABLE payment_transactions (
  id text PRIMARY KEY,
  payment_id text NOT NULL REFERENCES payments (id),
  order_id text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('charge', 'refund', 'failed_charge')),
  amount bigint NOT NULL CHECK (amount > 0),
  currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  processor_ref text,
  reason text,
  created_at timestamptz NOT NULL
);
-- At most one successful charge per order, whatever the code does.
CREATE UNIQUE INDEX payment_transactions_one_charge_per_order ON payment_transactions (order_id) WHERE kind = 'charge';
-- A processor refund is booked once.
CREATE UNIQUE INDEX payment_transactions_refund_once ON payment_transactions (processor_ref) WHERE kind = 'refund';
CREATE INDEX payment_transactions_payment ON payment_transactions (payment_id, created_at);

CREATE FUNCTION payment_transactions_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'payment_transactions is append-only (% refused)', TG_OP;
END $$;
CREATE TRIGGER payment_transactions_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON payment_transactions
  FOR EACH STATEMENT EXECUTE FUNCTION payment_transactions_append_only();

-- Refund requests (admin refunds and the saga's compensation), one per (payment, Idempotency-Key).
CREATE TABLE refunds (
  id text PRIMARY KEY,
  payment_id text NOT NULL REFERENCES payments (id),
  idempotency_key text NOT NULL,
  amount bigint NOT NULL CHECK (amount > 0),
  reason text NOT NULL,
  status text NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
  processor_refund_id text,
  failure_reason text,
  requested_by text NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  UNIQUE (payment_id, idempotency_key)
);
CREATE INDEX refunds_pending ON refunds (created_at) WHERE status = 'pending';
