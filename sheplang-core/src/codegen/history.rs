//! Transition history (off by default): the SQL that records every change of a row's
//! lifecycle state in a per-model history table, written by the database itself, so every
//! writer is recorded (a server, a script, the `sqlite3` shell).
//!
//! One file per dialect (`<stem>.history.sqlite.sql`, `<stem>.history.postgres.sql`), run once
//! after the tables (`<stem>.sqlite.sql`), as a migration; only `sheplang_build`'s
//! `emit_history(true)` or `sheplang gen --history` writes it. Per model with `states:`:
//!
//! - `<table>_history`: one row per change of state: `id` (counting up, in the order of the
//!   changes), `rowId` (the row's id), `from`, `to` (the states), `event` (the workflow event,
//!   or null when the writer did not name one), `at` (when, in UTC, as an ISO 8601 text:
//!   `2026-01-01T09:00:00.000Z`);
//! - `<table>_history_event`: where a writer names the event of its next change of a row:
//!   `INSERT INTO "Task_history_event" ("rowId", "event") VALUES ('r-1', 'start')` before the
//!   `UPDATE`, in the same transaction. The trigger takes it into the history row and deletes
//!   it (on every update of the row, so a name never outlives the update it was meant for);
//! - an `AFTER UPDATE` trigger on the model's table, `<table>_history_record`.
//!
//! The typed row of the history table is `sheplang::TransitionRecord<State>` in Rust
//! (`<Model>Transition` in the generated module) and `TransitionRecord<State>` in TypeScript.

use std::fmt::Write as _;

use super::sql::{Dialect, SQL_GENERATED_HEADER, quote};
use super::storage::Storage;
use crate::ir;

/// The history table of a model stored in `table`.
pub fn history_table(table: &str) -> String {
    format!("{table}_history")
}

/// The table where a writer names the event of its next change of a row stored in `table`.
pub fn event_table(table: &str) -> String {
    format!("{table}_history_event")
}

/// The history SQL of every model of `spec` that has `states:`, in `dialect`, with the names
/// of `storage`.
pub fn generate(spec: &ir::Spec, storage: &Storage, dialect: Dialect) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{SQL_GENERATED_HEADER} from app `{}`: transition history on {}. Do not edit.",
        spec.app,
        dialect.title()
    );
    out.push_str(
        "-- Run once after the tables, as a migration: every change of a row's state is recorded\n\
         -- in its model's history table, in the same transaction.\n",
    );
    for model in &spec.models {
        let Some(field) = model.state_field() else {
            continue;
        };
        out.push('\n');
        model_history(&mut out, storage, dialect, model, field);
    }
    out
}

fn model_history(
    out: &mut String,
    storage: &Storage,
    dialect: Dialect,
    model: &ir::Model,
    field: &ir::Field,
) {
    let table = storage.table_of(&model.name);
    let history = history_table(table);
    let events = event_table(table);
    let state = quote(storage.column_of(&model.name, &field.name));
    let id = quote(storage.column_of(&model.name, "id"));
    let (h, e, t) = (quote(&history), quote(&events), quote(table));
    let trigger = quote(&format!("{history}_record"));
    // The row's id as on the wire (a string, whatever the id column's type), so that a
    // history row reads as `TransitionRecord` for integer ids too.
    let new_id = match dialect {
        Dialect::Sqlite => format!("CAST(NEW.{id} AS TEXT)"),
        Dialect::Postgres => format!("NEW.{id}::text"),
    };
    let _ = writeln!(out, "-- `{}`: each change of `{}`.", model.name, field.name);
    match dialect {
        Dialect::Sqlite => {
            let _ = writeln!(
                out,
                "CREATE TABLE {h} (\n  \
                 \"id\" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,\n  \
                 \"rowId\" TEXT NOT NULL,\n  \
                 \"from\" TEXT NOT NULL,\n  \
                 \"to\" TEXT NOT NULL,\n  \
                 \"event\" TEXT,\n  \
                 \"at\" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))\n);\n\
                 CREATE INDEX {} ON {h} (\"rowId\", \"id\");\n\
                 CREATE TABLE {e} (\n  \"rowId\" TEXT NOT NULL PRIMARY KEY,\n  \"event\" TEXT NOT NULL\n);\n\
                 CREATE TRIGGER {trigger} AFTER UPDATE ON {t}\nBEGIN\n  \
                 INSERT INTO {h} (\"rowId\", \"from\", \"to\", \"event\")\n    \
                 SELECT {new_id}, OLD.{state}, NEW.{state}, (SELECT \"event\" FROM {e} WHERE \"rowId\" = {new_id})\n    \
                 WHERE NEW.{state} IS NOT OLD.{state};\n  \
                 DELETE FROM {e} WHERE \"rowId\" = {new_id};\nEND;",
                quote(&format!("{history}_rowId")),
            );
        }
        Dialect::Postgres => {
            let _ = writeln!(
                out,
                "CREATE TABLE {h} (\n  \
                 \"id\" bigint NOT NULL GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n  \
                 \"rowId\" text NOT NULL,\n  \
                 \"from\" text NOT NULL,\n  \
                 \"to\" text NOT NULL,\n  \
                 \"event\" text,\n  \
                 \"at\" text NOT NULL DEFAULT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')\n);\n\
                 CREATE INDEX {} ON {h} (\"rowId\", \"id\");\n\
                 CREATE TABLE {e} (\n  \"rowId\" text NOT NULL PRIMARY KEY,\n  \"event\" text NOT NULL\n);\n\
                 CREATE FUNCTION {trigger}() RETURNS trigger LANGUAGE plpgsql AS $history$\nBEGIN\n  \
                 IF NEW.{state} IS DISTINCT FROM OLD.{state} THEN\n    \
                 INSERT INTO {h} (\"rowId\", \"from\", \"to\", \"event\")\n      \
                 VALUES ({new_id}, OLD.{state}, NEW.{state}, (SELECT \"event\" FROM {e} WHERE \"rowId\" = {new_id}));\n  \
                 END IF;\n  \
                 DELETE FROM {e} WHERE \"rowId\" = {new_id};\n  \
                 RETURN NULL;\nEND\n$history$;\n\
                 CREATE TRIGGER {trigger} AFTER UPDATE ON {t} FOR EACH ROW EXECUTE FUNCTION {trigger}();",
                quote(&format!("{history}_rowId")),
            );
        }
    }
}
