-- The statements of the PostgreSQL change log (`PostgresLog`), over the tables of the generated
-- `<stem>.capture.postgres.sql`. Each statement follows a `-- name:` line.

-- name: epoch
SELECT "epoch" FROM "_sheplang_epoch" LIMIT 1;

-- name: has_decoding
-- Whether the capture SQL that ran made the table of the captures by logical decoding.
SELECT to_regclass('_sheplang_decoding') IS NOT NULL;

-- name: decoded_slot
-- The slot of a capture by logical decoding of this schema's tables, if any.
SELECT d."slot" FROM "_sheplang_decoding" AS d
WHERE EXISTS (
  SELECT 1 FROM pg_publication_tables AS p
  WHERE p.pubname = d."publication" AND p.schemaname = current_schema()
)
LIMIT 1;

-- name: listen
LISTEN sheplang_change;

-- name: unlisten
UNLISTEN sheplang_change;

-- name: head
SELECT "head" FROM "_sheplang_channel" WHERE "channel" = $1;

-- name: oldest
SELECT min("seq") FROM "_sheplang_change" WHERE "channel" = $1;

-- name: after
SELECT "seq", "kind", "model", "payload", "before" FROM "_sheplang_change"
WHERE "channel" = $1 AND "seq" > $2
ORDER BY "seq"
LIMIT $3;

-- name: add_channel
INSERT INTO "_sheplang_channel" ("channel") VALUES ($1) ON CONFLICT DO NOTHING;

-- name: append
WITH counted AS (
  UPDATE "_sheplang_channel" SET "head" = "head" + 1 WHERE "channel" = $1 RETURNING "head"
)
INSERT INTO "_sheplang_change" ("channel", "seq", "kind", "model", "row_id", "payload", "before")
SELECT $1, "head", $2, $3, $4, $5, $6 FROM counted
RETURNING "seq";

-- name: wake
SELECT pg_notify('sheplang_change', $1);

-- name: prune
DELETE FROM "_sheplang_change"
WHERE "channel" = $1 AND "seq" <= $2
  AND ("at" < $3 OR "seq" <= $4);

-- name: relay_tables
BEGIN;
SELECT pg_advisory_xact_lock(hashtext('sheplang relay tables'));
CREATE TABLE IF NOT EXISTS "_sheplang_relay" (
  "target" text NOT NULL,
  "channel" text NOT NULL,
  "relayed" bigint NOT NULL,
  PRIMARY KEY ("target", "channel")
);
CREATE TABLE IF NOT EXISTS "_sheplang_relay_lease" (
  "target" text NOT NULL PRIMARY KEY,
  "holder" text NOT NULL,
  "until" bigint NOT NULL
);
COMMIT;

-- name: lease
INSERT INTO "_sheplang_relay_lease" ("target", "holder", "until") VALUES ($1, $2, $3)
ON CONFLICT ("target") DO UPDATE SET "holder" = excluded."holder", "until" = excluded."until"
WHERE "_sheplang_relay_lease"."holder" = excluded."holder"
   OR "_sheplang_relay_lease"."until" < $4;

-- name: relayed
SELECT "relayed" FROM "_sheplang_relay" WHERE "target" = $1 AND "channel" = $2;

-- name: start_relay
-- A target new to a channel starts at the channel's head: every change committed later is
-- relayed. A target that has a position keeps it.
INSERT INTO "_sheplang_relay" ("target", "channel", "relayed")
VALUES ($1, $2, coalesce((SELECT "head" FROM "_sheplang_channel" WHERE "channel" = $2), 0))
ON CONFLICT ("target", "channel") DO NOTHING;

-- name: set_relayed
INSERT INTO "_sheplang_relay" ("target", "channel", "relayed") VALUES ($1, $2, $3)
ON CONFLICT ("target", "channel") DO UPDATE SET "relayed" = excluded."relayed";
