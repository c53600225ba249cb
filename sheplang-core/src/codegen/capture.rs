//! Change capture: the SQL that records every committed insert, update and delete of a spec
//! model's table in a change table, in the same transaction (the transactional outbox).
//!
//! One file per dialect (`<stem>.capture.sqlite.sql`, `<stem>.capture.postgres.sql`), run once
//! after the tables (`<stem>.sqlite.sql`), as a migration. It creates, when missing, the tables
//! every captured spec of one database shares, and one trigger per model table:
//!
//! - `_sheplang_change`: one row per change, keyed by `channel` and `seq` (the change's
//!   position in its channel's log, from 1, with no gap; on SQLite a `WITHOUT ROWID` table, so a
//!   change writes one b-tree, not a table and an index),
//!   `kind` (`created`, `updated`, `deleted`), `model`, `row_id`, `payload` (the event's second
//!   argument as docs/wire.md writes it: the row as JSON, or the id as a JSON string), `before`
//!   (the row before an update or a delete, as JSON; none for an insert: a filtered
//!   subscription turns a row that moves out of its filter into a removal), `at` (seconds since
//!   1970, for retention);
//! - `_sheplang_channel`: each channel's last position (`head`); the trigger counts it up. On
//!   PostgreSQL its row lock also orders the writers of one channel: a transaction that
//!   changes a row of the channel waits for the one before it to commit or roll back, so
//!   positions become visible in order and a rolled-back write leaves no hole;
//! - `_sheplang_epoch`: one random value made when the tables are created, the name of this
//!   log's history (`docs/wire.md`, "Positions and resume"): a server restarted on the same
//!   database keeps its positions, and a client resumes across the restart.
//!
//! On PostgreSQL the trigger is a constraint trigger deferred to the commit (the channel's
//! row is then locked for the commit only, not from the write on), and it also sends
//! `NOTIFY sheplang_change` with the channel's name:
//! only a wake-up (a relay reads the rows from the table, so a row larger than NOTIFY's 8,000
//! bytes travels whole).
//!
//! The row's JSON is built by the database from the columns, with the wire's names and
//! encodings: an integer id as its decimal string, `yes/no` as a boolean, `money` as a decimal
//! string, a `datetime` on PostgreSQL in UTC as `...T09:00:00Z` (fractional seconds only when
//! not zero), an optional field without a value left out. A field holding a bare model (`X`)
//! carries the related row's own columns (one level: its own bare-model fields, and lists of
//! bare models, which live in join tables, are left out of captured rows).

use std::fmt::Write as _;

use super::sql::{Dialect, SQL_GENERATED_HEADER, push_quoted, push_string, quote, string};
use super::storage::{IdKind, Storage};
use crate::ir::{self, FieldType};
use crate::types::{Builtin, ValueClass};

/// The change table.
pub const CHANGE_TABLE: &str = "_sheplang_change";
/// The table of each channel's last position.
pub const CHANNEL_TABLE: &str = "_sheplang_channel";
/// The table holding the log's epoch.
pub const EPOCH_TABLE: &str = "_sheplang_epoch";
/// The PostgreSQL notification channel the triggers wake a relay on.
pub const NOTIFY_CHANNEL: &str = "sheplang_change";
/// PostgreSQL: the captured model tables of the schema, each with its channel (what a relay
/// that reads the changes from logical decoding publishes and follows).
pub const CAPTURED_TABLE: &str = "_sheplang_captured";
/// PostgreSQL: each logical decoding relay's slot, publication and the end of the last
/// transaction it recorded in the change table.
pub const DECODING_TABLE: &str = "_sheplang_decoding";

/// The capture SQL of every model of `spec`, in `dialect`, with the names of `storage`.
pub fn generate(spec: &ir::Spec, storage: &Storage, dialect: Dialect) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{SQL_GENERATED_HEADER} from app `{}`: change capture on {}. Do not edit.",
        spec.app,
        dialect.title()
    );
    out.push_str(
        "-- Run once after the tables, as a migration: every committed insert, update and delete\n\
         -- of a model's table is recorded in the change table, in the same transaction.\n",
    );
    out.push('\n');
    shared_tables(&mut out, dialect);
    for model in &spec.models {
        out.push('\n');
        match dialect {
            Dialect::Sqlite => sqlite_triggers(&mut out, spec, storage, model),
            Dialect::Postgres => postgres_trigger(&mut out, spec, storage, model),
        }
    }
    out
}

fn shared_tables(out: &mut String, dialect: Dialect) {
    let (change, channel, epoch) = (
        quote(CHANGE_TABLE),
        quote(CHANNEL_TABLE),
        quote(EPOCH_TABLE),
    );
    match dialect {
        Dialect::Sqlite => {
            let _ = writeln!(
                out,
                "CREATE TABLE IF NOT EXISTS {change} (\n  \
                 \"channel\" TEXT NOT NULL,\n  \
                 \"seq\" INTEGER NOT NULL,\n  \
                 \"kind\" TEXT NOT NULL CHECK (\"kind\" IN ('created', 'updated', 'deleted')),\n  \
                 \"model\" TEXT NOT NULL,\n  \
                 \"row_id\" TEXT NOT NULL,\n  \
                 \"payload\" TEXT NOT NULL,\n  \
                 \"before\" TEXT,\n  \
                 \"at\" INTEGER NOT NULL DEFAULT (unixepoch()),\n  \
                 PRIMARY KEY (\"channel\", \"seq\")\n) WITHOUT ROWID;\n\
                 CREATE TABLE IF NOT EXISTS {channel} (\n  \
                 \"channel\" TEXT NOT NULL PRIMARY KEY,\n  \
                 \"head\" INTEGER NOT NULL DEFAULT 0\n) WITHOUT ROWID;\n\
                 CREATE TABLE IF NOT EXISTS {epoch} (\"epoch\" TEXT NOT NULL);\n\
                 INSERT INTO {epoch} (\"epoch\")\n  \
                 SELECT lower(hex(randomblob(8))) WHERE NOT EXISTS (SELECT 1 FROM {epoch});"
            );
        }
        Dialect::Postgres => {
            let _ = writeln!(
                out,
                "CREATE TABLE IF NOT EXISTS {change} (\n  \
                 \"channel\" text NOT NULL,\n  \
                 \"seq\" bigint NOT NULL,\n  \
                 \"kind\" text NOT NULL CHECK (\"kind\" IN ('created', 'updated', 'deleted')),\n  \
                 \"model\" text NOT NULL,\n  \
                 \"row_id\" text NOT NULL,\n  \
                 \"payload\" text NOT NULL,\n  \
                 \"before\" text,\n  \
                 \"at\" bigint NOT NULL DEFAULT extract(epoch FROM now())::bigint,\n  \
                 PRIMARY KEY (\"channel\", \"seq\")\n);\n\
                 -- A change table made before `before` existed gets it.\n\
                 ALTER TABLE {change} ADD COLUMN IF NOT EXISTS \"before\" text;\n\
                 CREATE TABLE IF NOT EXISTS {channel} (\n  \
                 \"channel\" text NOT NULL PRIMARY KEY,\n  \
                 \"head\" bigint NOT NULL DEFAULT 0\n);\n\
                 CREATE TABLE IF NOT EXISTS {epoch} (\"epoch\" text NOT NULL);\n\
                 INSERT INTO {epoch} (\"epoch\")\n  \
                 SELECT substr(md5(random()::text || clock_timestamp()::text), 1, 16)\n  \
                 WHERE NOT EXISTS (SELECT 1 FROM {epoch});"
            );
            postgres_decoding(out);
        }
    }
}

/// PostgreSQL: what capture by logical decoding needs (docs/capture.md, "Capture by logical
/// decoding"): the list of captured tables, the relays' state, and the switch of the tables
/// from their triggers to a publication, which a relay (`PostgresLog` with
/// `CaptureOptions::decoding`) runs when it starts.
fn postgres_decoding(out: &mut String) {
    let (captured, decoding) = (quote(CAPTURED_TABLE), quote(DECODING_TABLE));
    let _ = writeln!(
        out,
        "CREATE TABLE IF NOT EXISTS {captured} (\n  \
         \"table\" text NOT NULL PRIMARY KEY,\n  \
         \"channel\" text NOT NULL\n);\n\
         CREATE TABLE IF NOT EXISTS {decoding} (\n  \
         \"slot\" text NOT NULL PRIMARY KEY,\n  \
         \"publication\" text NOT NULL,\n  \
         \"applied\" pg_lsn NOT NULL\n);\n\
         -- Moves the captured tables not yet in `publication` (made by the relay before its slot)\n\
         -- from their triggers to it, each in this one transaction: locked against writers, its\n\
         -- trigger disabled, the whole old row logged with an update or a delete (`REPLICA\n\
         -- IDENTITY FULL`), added to the publication.\n\
         -- A write committed before is in the change table already; one committed after is\n\
         -- decoded. Returns a position before this transaction's commit, after every earlier one.\n\
         CREATE OR REPLACE FUNCTION \"_sheplang_capture_by_decoding\"(publication text)\n  \
         RETURNS pg_lsn LANGUAGE plpgsql AS $switch$\n\
         DECLARE\n  captured text;\n\
         BEGIN\n  \
         FOR captured IN SELECT c.\"table\" FROM {captured} AS c WHERE NOT EXISTS (\n    \
         SELECT 1 FROM pg_publication_tables AS p\n    \
         WHERE p.pubname = publication AND p.schemaname = current_schema() AND p.tablename = c.\"table\")\n  \
         ORDER BY c.\"table\"\n  \
         LOOP\n    \
         EXECUTE format('LOCK TABLE %I IN EXCLUSIVE MODE', captured);\n    \
         EXECUTE format('ALTER TABLE %I REPLICA IDENTITY FULL', captured);\n    \
         EXECUTE format('ALTER TABLE %I DISABLE TRIGGER %I', captured, captured || '_capture');\n    \
         EXECUTE format('ALTER PUBLICATION %I ADD TABLE %I', publication, captured);\n  \
         END LOOP;\n  \
         RETURN pg_current_wal_insert_lsn();\n\
         END\n$switch$;\n\
         -- Moves the tables of the capture by logical decoding `slot` back to their triggers, and\n\
         -- drops the slot and its publication, once every change the slot holds is in the change\n\
         -- table: run it while no log with `CaptureOptions::decoding` is running.\n\
         CREATE OR REPLACE FUNCTION \"_sheplang_capture_by_triggers\"(slot text)\n  \
         RETURNS void LANGUAGE plpgsql AS $switch$\n\
         DECLARE\n  captured text;\n  recorded pg_lsn;\n  pending bigint;\n\
         BEGIN\n  \
         SELECT d.\"applied\" INTO recorded FROM {decoding} AS d WHERE d.\"slot\" = $1;\n  \
         IF recorded IS NULL THEN\n    \
         RAISE EXCEPTION 'no capture by logical decoding with the slot %', $1;\n  \
         END IF;\n  \
         FOR captured IN SELECT p.tablename FROM pg_publication_tables AS p\n    \
         WHERE p.pubname = $1 AND p.schemaname = current_schema() ORDER BY p.tablename\n  \
         LOOP\n    \
         EXECUTE format('LOCK TABLE %I IN EXCLUSIVE MODE', captured);\n  \
         END LOOP;\n  \
         IF EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = $1) THEN\n    \
         -- The slot is told what was recorded a little later than the change table.\n    \
         IF (SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = $1) < recorded THEN\n      \
         PERFORM pg_replication_slot_advance($1, recorded);\n    \
         END IF;\n    \
         SELECT count(*) INTO pending FROM pg_logical_slot_peek_binary_changes($1, NULL, NULL,\n      \
         'proto_version', '1', 'publication_names', $1);\n    \
         IF pending > 0 THEN\n      \
         RAISE EXCEPTION 'the slot % holds changes that are not in the change table yet', $1\n        \
         USING HINT = 'let a log with CaptureOptions::decoding() record them, stop it, and run this again';\n    \
         END IF;\n  \
         END IF;\n  \
         FOR captured IN SELECT p.tablename FROM pg_publication_tables AS p\n    \
         WHERE p.pubname = $1 AND p.schemaname = current_schema() ORDER BY p.tablename\n  \
         LOOP\n    \
         EXECUTE format('ALTER TABLE %I ENABLE TRIGGER %I', captured, captured || '_capture');\n    \
         EXECUTE format('ALTER PUBLICATION %I DROP TABLE %I', $1, captured);\n  \
         END LOOP;\n  \
         DELETE FROM {decoding} AS d WHERE d.\"slot\" = $1;\n  \
         EXECUTE format('DROP PUBLICATION IF EXISTS %I', $1);\n  \
         PERFORM pg_drop_replication_slot($1) WHERE EXISTS (\n    \
         SELECT 1 FROM pg_replication_slots WHERE slot_name = $1);\n\
         END\n$switch$;"
    );
}

/// SQLite: one trigger per kind of write. Each is dropped and made again, so that running the
/// file on a database captured by an older version brings its triggers up to date.
fn sqlite_triggers(out: &mut String, spec: &ir::Spec, storage: &Storage, model: &ir::Model) {
    let table = storage.table_of(&model.name);
    let channel = string(&model.channel);
    let _ = writeln!(
        out,
        "INSERT OR IGNORE INTO {} (\"channel\") VALUES ({channel});",
        quote(CHANNEL_TABLE)
    );
    let id = quote(storage.column_of(&model.name, "id"));
    // The row's objects, built once: the insert and the update write `NEW`, the update and the
    // delete `OLD`.
    let new = row_json(Dialect::Sqlite, spec, storage, model, "NEW", 0);
    let old = row_json(Dialect::Sqlite, spec, storage, model, "OLD", 0);
    let deleted = format!("json_quote(CAST(OLD.{id} AS TEXT))");
    for (op, kind, row) in [
        ("INSERT", "created", "NEW"),
        ("UPDATE", "updated", "NEW"),
        ("DELETE", "deleted", "OLD"),
    ] {
        let payload = if kind == "deleted" { &deleted } else { &new };
        let before = if kind == "created" { "NULL" } else { &old };
        let trigger = quote(&format!("{table}_capture_{}", op.to_ascii_lowercase()));
        let _ = writeln!(
            out,
            "DROP TRIGGER IF EXISTS {trigger};\n\
             CREATE TRIGGER {trigger} AFTER {op} ON {table}\nBEGIN\n  \
             UPDATE {channels} SET \"head\" = \"head\" + 1 WHERE \"channel\" = {channel};\n  \
             INSERT INTO {change} (\"channel\", \"seq\", \"kind\", \"model\", \"row_id\", \"payload\", \"before\")\n  \
             SELECT {channel}, \"head\", '{kind}', {model}, CAST({row}.{id} AS TEXT),\n    \
             {payload},\n    \
             {before}\n  \
             FROM {channels} WHERE \"channel\" = {channel};\nEND;",
            table = quote(table),
            channels = quote(CHANNEL_TABLE),
            change = quote(CHANGE_TABLE),
            model = string(&model.name),
        );
    }
}

/// PostgreSQL: one trigger function per model, for the three kinds of write.
fn postgres_trigger(out: &mut String, spec: &ir::Spec, storage: &Storage, model: &ir::Model) {
    let table = storage.table_of(&model.name);
    let channel = string(&model.channel);
    let id = quote(storage.column_of(&model.name, "id"));
    let function = quote(&format!("{table}_capture"));
    let _ = writeln!(
        out,
        "INSERT INTO {channels} (\"channel\") VALUES ({channel}) ON CONFLICT DO NOTHING;\n\
         CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $capture$\n\
         DECLARE\n  position bigint;\n\
         BEGIN\n  \
         UPDATE {channels} SET \"head\" = \"head\" + 1 WHERE \"channel\" = {channel}\n    \
         RETURNING \"head\" INTO position;\n  \
         IF TG_OP = 'DELETE' THEN\n    \
         INSERT INTO {change} (\"channel\", \"seq\", \"kind\", \"model\", \"row_id\", \"payload\", \"before\")\n    \
         VALUES ({channel}, position, 'deleted', {model}, OLD.{id}::text, to_json(OLD.{id}::text)::text,\n      \
         {old}::text);\n  \
         ELSIF TG_OP = 'UPDATE' THEN\n    \
         INSERT INTO {change} (\"channel\", \"seq\", \"kind\", \"model\", \"row_id\", \"payload\", \"before\")\n    \
         VALUES ({channel}, position, 'updated', {model}, NEW.{id}::text,\n      \
         {new}::text,\n      \
         {old}::text);\n  \
         ELSE\n    \
         INSERT INTO {change} (\"channel\", \"seq\", \"kind\", \"model\", \"row_id\", \"payload\")\n    \
         VALUES ({channel}, position, 'created', {model}, NEW.{id}::text,\n      \
         {new}::text);\n  \
         END IF;\n  \
         PERFORM pg_notify('{NOTIFY_CHANNEL}', {channel});\n  \
         RETURN NULL;\n\
         END\n$capture$;\n\
         DROP TRIGGER IF EXISTS {trigger} ON {table_q};\n\
         -- Deferred to the commit: the channel's row is locked from there to the end of the\n\
         -- commit only, not from the write on, so writers of one table wait for each other\n\
         -- for that short time (the row as of the write is recorded all the same).\n\
         CREATE CONSTRAINT TRIGGER {trigger} AFTER INSERT OR UPDATE OR DELETE ON {table_q}\n  \
         DEFERRABLE INITIALLY DEFERRED\n  \
         FOR EACH ROW EXECUTE FUNCTION {function}();\n\
         INSERT INTO {captured} (\"table\", \"channel\") VALUES ({table_s}, {channel})\n  \
         ON CONFLICT (\"table\") DO UPDATE SET \"channel\" = excluded.\"channel\";\n\
         -- A table captured by logical decoding (in a relay's publication) keeps its trigger off.\n\
         DO $mode$ BEGIN\n  \
         IF EXISTS (SELECT 1 FROM pg_publication_tables AS p JOIN {decoding} AS d ON p.pubname = d.\"publication\"\n    \
         WHERE p.schemaname = current_schema() AND p.tablename = {table_s}) THEN\n    \
         ALTER TABLE {table_q} DISABLE TRIGGER {trigger};\n  \
         END IF;\n\
         END $mode$;\n\
         -- Capture by logical decoding: the relay hands the decoded changes of a batch of\n\
         -- committed transactions, in commit order, as `[{{\"k\": \"c\" | \"u\" | \"d\", \"n\": new row,\n\
         -- \"o\": old row}}]` (each row an object of the columns' text values), and this records\n\
         -- them as the trigger would have.\n\
         -- (PL/pgSQL: its statement is planned once a session, not at each call.)\n\
         CREATE OR REPLACE FUNCTION {apply}(changes jsonb) RETURNS void LANGUAGE plpgsql AS $apply$\n\
         BEGIN\n\
         WITH counted AS (\n  \
         UPDATE {channels} SET \"head\" = \"head\" + jsonb_array_length(changes)\n  \
         WHERE \"channel\" = {channel} RETURNING \"head\" - jsonb_array_length(changes) AS base\n)\n\
         INSERT INTO {change} (\"channel\", \"seq\", \"kind\", \"model\", \"row_id\", \"payload\", \"before\")\n\
         SELECT {channel}, counted.base + c.i,\n  \
         CASE c.e->>'k' WHEN 'c' THEN 'created' WHEN 'u' THEN 'updated' ELSE 'deleted' END,\n  \
         {model},\n  \
         CASE c.e->>'k' WHEN 'd' THEN \"_old\".{id}::text ELSE \"_new\".{id}::text END,\n  \
         CASE c.e->>'k' WHEN 'd' THEN to_json(\"_old\".{id}::text)::text\n    \
         ELSE {decoded_new}::text END,\n  \
         CASE c.e->>'k' WHEN 'c' THEN NULL\n    \
         ELSE {decoded_old}::text END\n\
         FROM counted, jsonb_array_elements(changes) WITH ORDINALITY AS c(e, i),\n  \
         LATERAL jsonb_populate_record(NULL::{table_q}, c.e->'n') AS \"_new\",\n  \
         LATERAL jsonb_populate_record(NULL::{table_q}, c.e->'o') AS \"_old\"\n\
         ORDER BY c.i;\n\
         END\n$apply$;",
        captured = quote(CAPTURED_TABLE),
        decoding = quote(DECODING_TABLE),
        table_s = string(table),
        apply = quote(&format!("{table}_capture_apply")),
        decoded_new = row_json(Dialect::Postgres, spec, storage, model, "\"_new\"", 0),
        decoded_old = row_json(Dialect::Postgres, spec, storage, model, "\"_old\"", 0),
        channels = quote(CHANNEL_TABLE),
        change = quote(CHANGE_TABLE),
        model = string(&model.name),
        new = row_json(Dialect::Postgres, spec, storage, model, "NEW", 0),
        old = row_json(Dialect::Postgres, spec, storage, model, "OLD", 0),
        trigger = quote(&format!("{table}_capture")),
        table_q = quote(table),
    );
}

/// The JSON object of the row `row` (`NEW`, `OLD`, or a table alias) of `model`, as the wire
/// writes it.
fn row_json(
    dialect: Dialect,
    spec: &ir::Spec,
    storage: &Storage,
    model: &ir::Model,
    row: &str,
    depth: usize,
) -> String {
    // Each member is written once, straight into one buffer: `'key', value`, the members of a
    // call joined by `, `; `ends` marks where each call's members end.
    let mut members = String::with_capacity(64 * model.fields.len() + 64);
    let mut ends = Vec::new();
    let mut count = 0;
    let mut member = |members: &mut String, key: &str| {
        if count > 0 && count % PAIRS_PER_CALL == 0 {
            ends.push(members.len());
        } else if count > 0 {
            members.push_str(", ");
        }
        count += 1;
        push_string(members, key);
        members.push_str(", ");
    };
    let id = format!("{row}.{}", quote(storage.column_of(&model.name, "id")));
    member(&mut members, "id");
    push_text_of(&mut members, dialect, &id);
    // Whether a member may be null (an optional field, or a related row that is missing): only
    // then are nulls taken out, which costs the database a second pass over the object.
    let mut nullable = false;
    let mut column = String::new();
    for field in model.fields.iter().filter(|f| f.name != "id") {
        nullable |= field.optional || matches!(field.ty, FieldType::Model { .. });
        column.clear();
        column.push_str(row);
        column.push('.');
        push_quoted(&mut column, &[storage.column_of(&model.name, &field.name)]);
        let column = column.as_str();
        match (&field.ty, field.list) {
            (FieldType::Model { .. }, true) => continue, // a join table
            (FieldType::Model { model: target }, false) => {
                let Some(target) = spec.model(target).filter(|_| depth == 0) else {
                    continue;
                };
                member(&mut members, &field.name);
                let alias = quote(&format!("_{}", field.name));
                // A subquery's value is text to SQLite's JSON functions: `json()` makes it
                // an object again.
                if dialect == Dialect::Sqlite {
                    members.push_str("json(");
                }
                let _ = write!(
                    members,
                    "(SELECT {} FROM {} AS {alias} WHERE {alias}.{} = {column})",
                    row_json(dialect, spec, storage, target, &alias, depth + 1),
                    quote(storage.table_of(&target.name)),
                    quote(storage.column_of(&target.name, "id")),
                );
                if dialect == Dialect::Sqlite {
                    members.push(')');
                }
            }
            (FieldType::Ref { model: target }, false) => {
                member(&mut members, &field.name);
                match storage.id_of(target) {
                    IdKind::Text => members.push_str(column),
                    IdKind::Integer => push_text_of(&mut members, dialect, column),
                }
            }
            (FieldType::Ref { .. }, true) => {
                member(&mut members, &field.name);
                let _ = match dialect {
                    // A JSON array of ids in text, as written.
                    Dialect::Sqlite => write!(members, "json({column})"),
                    Dialect::Postgres => write!(members, "to_json({column}::text[])"),
                };
            }
            (FieldType::Builtin(builtin), list) => {
                member(&mut members, &field.name);
                scalar(&mut members, dialect, *builtin, column, list);
            }
        }
    }
    ends.push(members.len());
    // A function takes at most 100 arguments on PostgreSQL (127 on older SQLite): a wide row
    // is built from objects of at most `PAIRS_PER_CALL` members each.
    let mut start = 0;
    let chunks: Vec<&str> = ends
        .iter()
        .map(|&end| {
            let chunk = &members[start..end];
            start = end;
            chunk
        })
        .collect();
    match (dialect, chunks.as_slice()) {
        // No member can be null: the object as built.
        (Dialect::Sqlite, [single]) if !nullable => format!("json_object({single})"),
        (Dialect::Postgres, [single]) if !nullable => format!("json_build_object({single})"),
        // A merge patch onto `{}` drops the members whose value is null (an optional field
        // without a value is absent on the wire); each further patch adds the next members.
        (Dialect::Sqlite, _) => {
            let mut object = String::with_capacity(members.len() + 32 * chunks.len() + 4);
            for _ in &chunks {
                object.push_str("json_patch(");
            }
            object.push_str("'{}'");
            for chunk in &chunks {
                let _ = write!(object, ", json_object({chunk}))");
            }
            object
        }
        (Dialect::Postgres, [single]) => format!("json_strip_nulls(json_build_object({single}))"),
        // `json` objects cannot be joined; `jsonb` ones can (their members then come in
        // `jsonb`'s own order, which JSON does not give a meaning to).
        (Dialect::Postgres, _) => {
            let mut object = String::with_capacity(members.len() + 32 * chunks.len() + 32);
            object.push_str("jsonb_strip_nulls(");
            for (i, chunk) in chunks.iter().enumerate() {
                if i > 0 {
                    object.push_str(" || ");
                }
                let _ = write!(object, "jsonb_build_object({chunk})");
            }
            object.push_str(")::json");
            object
        }
    }
}

/// The most members one `json_object`/`json_build_object` call is given (two arguments each).
const PAIRS_PER_CALL: usize = 50;

/// A column as wire JSON: `builtin`, or a list of it, written to `out`.
fn scalar(out: &mut String, dialect: Dialect, builtin: Builtin, column: &str, list: bool) {
    let class = builtin.info().class;
    let _ = match (dialect, list) {
        (Dialect::Sqlite, true) => write!(out, "json({column})"),
        (Dialect::Sqlite, false) => match class {
            ValueClass::Bool => write!(
                out,
                "json(CASE WHEN {column} IS NULL THEN NULL WHEN {column} THEN 'true' ELSE 'false' END)"
            ),
            ValueClass::Number => {
                out.push_str(column);
                Ok(())
            }
            ValueClass::Decimal | ValueClass::Text | ValueClass::Temporal => {
                push_text_of(out, dialect, column);
                Ok(())
            }
        },
        (Dialect::Postgres, true) => match class {
            ValueClass::Decimal => write!(out, "to_json({column}::text[])"),
            _ if builtin == Builtin::Datetime => {
                out.push_str("(SELECT json_agg(");
                push_utc_datetime(out, "_t.v");
                write!(out, ") FROM unnest({column}) AS _t(v))")
            }
            _ => write!(out, "to_json({column})"),
        },
        (Dialect::Postgres, false) => match (class, builtin) {
            (ValueClass::Decimal, _) => write!(out, "{column}::text"),
            (_, Builtin::Datetime) => {
                push_utc_datetime(out, column);
                Ok(())
            }
            (_, Builtin::Date) => write!(out, "to_char({column}, 'YYYY-MM-DD')"),
            _ => {
                out.push_str(column);
                Ok(())
            }
        },
    };
}

/// A PostgreSQL `timestamptz` as RFC 3339 in UTC, `Z`, fractional seconds without trailing
/// zeros and only when not zero (docs/wire.md's canonical form).
fn push_utc_datetime(out: &mut String, column: &str) {
    out.push_str("regexp_replace(to_char(");
    out.push_str(column);
    out.push_str(" AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), '\\.?0+Z$', 'Z')");
}

/// A value as text (an integer id's decimal string), written to `out`.
fn push_text_of(out: &mut String, dialect: Dialect, value: &str) {
    out.push_str(match dialect {
        Dialect::Sqlite => "CAST(",
        Dialect::Postgres => "",
    });
    out.push_str(value);
    out.push_str(match dialect {
        Dialect::Sqlite => " AS TEXT)",
        Dialect::Postgres => "::text",
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(text: &str) -> ir::Spec {
        let (_, result) = crate::compile_str("app.shep", text);
        result.expect("the spec compiles").spec
    }

    #[test]
    fn every_model_gets_its_triggers_in_both_dialects() {
        let spec = spec(
            "app Tasks { data Task { fields: { title: text done: yes/no owner: ref[User] optional } } \
             data User { fields: { name: text } } }",
        );
        let storage = Storage::new().integer_id("User");
        let sqlite = generate(&spec, &storage, Dialect::Sqlite);
        assert!(sqlite.starts_with(SQL_GENERATED_HEADER));
        for trigger in [
            "Task_capture_insert",
            "Task_capture_update",
            "User_capture_delete",
        ] {
            assert!(sqlite.contains(&format!("\"{trigger}\"")), "{sqlite}");
        }
        assert!(sqlite.contains("CAST(NEW.\"owner\" AS TEXT)"), "{sqlite}");
        let postgres = generate(&spec, &storage, Dialect::Postgres);
        assert!(
            postgres.contains("pg_notify('sheplang_change', 'task')"),
            "{postgres}"
        );
        assert!(
            postgres.contains("CREATE CONSTRAINT TRIGGER \"User_capture\""),
            "{postgres}"
        );
        // Capture by logical decoding: each table's apply function and its place in the list.
        assert!(
            postgres.contains("FUNCTION \"Task_capture_apply\"(changes jsonb)"),
            "{postgres}"
        );
        assert!(postgres.contains("VALUES ('User', 'user')"), "{postgres}");
    }
}
