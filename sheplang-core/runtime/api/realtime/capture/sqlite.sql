-- The statements of the SQLite change log, over the tables of the generated
-- `<stem>.capture.sqlite.sql`: the one file both readers run, the Rust `SqliteLog` of
-- `sheplang-socketio` (which embeds it) and the Node `SqliteChangeLog` (`capture.ts`, which
-- loads it from beside itself), so the two cannot drift. Each statement follows a `-- name:`
-- line; parameters are numbered (`?1`).

-- name: epoch
SELECT "epoch" FROM "_sheplang_epoch" LIMIT 1;

-- name: head
SELECT "head" FROM "_sheplang_channel" WHERE "channel" = ?1;

-- name: oldest
SELECT min("seq") FROM "_sheplang_change" WHERE "channel" = ?1;

-- name: after
SELECT "seq", "kind", "model", "payload", "before" FROM "_sheplang_change"
WHERE "channel" = ?1 AND "seq" > ?2
ORDER BY "seq"
LIMIT ?3;

-- name: add_channel
INSERT INTO "_sheplang_channel" ("channel") VALUES (?1) ON CONFLICT DO NOTHING;

-- name: count_up
UPDATE "_sheplang_channel" SET "head" = "head" + 1 WHERE "channel" = ?1;

-- name: append
INSERT INTO "_sheplang_change" ("channel", "seq", "kind", "model", "row_id", "payload", "before")
SELECT ?1, "head", ?2, ?3, ?4, ?5, ?6 FROM "_sheplang_channel" WHERE "channel" = ?1
RETURNING "seq";

-- name: prune
DELETE FROM "_sheplang_change"
WHERE "channel" = ?1 AND "seq" <= ?2 AND ("at" < ?3 OR "seq" <= ?4);

-- name: relay_tables
CREATE TABLE IF NOT EXISTS "_sheplang_relay" (
  "target" TEXT NOT NULL,
  "channel" TEXT NOT NULL,
  "relayed" INTEGER NOT NULL,
  PRIMARY KEY ("target", "channel")
);
CREATE TABLE IF NOT EXISTS "_sheplang_relay_lease" (
  "target" TEXT NOT NULL PRIMARY KEY,
  "holder" TEXT NOT NULL,
  "until" INTEGER NOT NULL
);

-- name: lease
INSERT INTO "_sheplang_relay_lease" ("target", "holder", "until") VALUES (?1, ?2, ?3)
ON CONFLICT ("target") DO UPDATE SET "holder" = excluded."holder", "until" = excluded."until"
WHERE "_sheplang_relay_lease"."holder" = excluded."holder"
   OR "_sheplang_relay_lease"."until" < ?4;

-- name: relayed
SELECT "relayed" FROM "_sheplang_relay" WHERE "target" = ?1 AND "channel" = ?2;

-- name: start_relay
-- A target new to a channel starts at the channel's head: every change committed later is
-- relayed. A target that has a position keeps it.
INSERT INTO "_sheplang_relay" ("target", "channel", "relayed")
VALUES (?1, ?2, coalesce((SELECT "head" FROM "_sheplang_channel" WHERE "channel" = ?2), 0))
ON CONFLICT ("target", "channel") DO NOTHING;

-- name: set_relayed
INSERT INTO "_sheplang_relay" ("target", "channel", "relayed") VALUES (?1, ?2, ?3)
ON CONFLICT ("target", "channel") DO UPDATE SET "relayed" = excluded."relayed";
