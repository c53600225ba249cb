-- The statements of the PostgreSQL change log (`PostgresLog`), over the tables of the generated
-- `<stem>.capture.postgres.sql`. Each statement follows a `-- name:` line.

-- name: epoch
SELECT "epoch" FROM "_sheplang_epoch" LIMIT 1;

-- name: listen
LISTEN sheplang_change;

-- name: head
SELECT "head" FROM "_sheplang_channel" WHERE "channel" = $1;

-- name: oldest
SELECT min("seq") FROM "_sheplang_change" WHERE "channel" = $1;

-- name: after
SELECT "seq", "kind", "model", "payload" FROM "_sheplang_change"
WHERE "channel" = $1 AND "seq" > $2
ORDER BY "seq"
LIMIT $3;

-- name: add_channel
INSERT INTO "_sheplang_channel" ("channel") VALUES ($1) ON CONFLICT DO NOTHING;

-- name: append
WITH counted AS (
  UPDATE "_sheplang_channel" SET "head" = "head" + 1 WHERE "channel" = $1 RETURNING "head"
)
INSERT INTO "_sheplang_change" ("channel", "seq", "kind", "model", "row_id", "payload")
SELECT $1, "head", $2, $3, $4, $5 FROM counted
RETURNING "seq";

-- name: wake
SELECT pg_notify('sheplang_change', $1);

-- name: prune
DELETE FROM "_sheplang_change"
WHERE "channel" = $1 AND "seq" <= $2
  AND ("at" < $3 OR "seq" <= $4);
