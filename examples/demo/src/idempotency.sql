-- The demo's idempotency keys (schema version 2): each create's key, with the request it came
-- with and the answer given (the task as created), kept for a day. Not a model of the spec:
-- the demo's HTTP layer owns it. The task table comes from the spec (`tasks.sqlite.sql`).
CREATE TABLE IF NOT EXISTS idempotency_key (
    key        TEXT    PRIMARY KEY,
    request    TEXT    NOT NULL,
    response   TEXT    NOT NULL,
    created_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS idempotency_key_age ON idempotency_key (created_at);
