-- An event that can never be published (it fails its schema, e.g. after a schema change) is parked, not retried
-- forever at the head of the queue where it would hold back the rows behind it.
ALTER TABLE outbox ADD COLUMN dead_at timestamptz;
DROP INDEX outbox_unpublished;
CREATE INDEX outbox_unpublished ON outbox (seq) WHERE published_at IS NULL AND dead_at IS NULL;
CREATE INDEX outbox_dead ON outbox (dead_at) WHERE dead_at IS NOT NULL;
