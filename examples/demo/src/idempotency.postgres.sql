-- The demo's idempotency keys on PostgreSQL (the same table as `idempotency.sql` on SQLite):
-- each create's key, with the request it came with and the answer given (the task as
-- created), kept for a day. Not a model of the spec: the demo's HTTP layer owns it.
CREATE TABLE IF NOT EXISTS idempotency_key (
    key        text   PRIMARY KEY,
    request    text   NOT NULL,
    response   text   NOT NULL,
    created_at bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS idempotency_key_age ON idempotency_key (created_at);
