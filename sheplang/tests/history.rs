//! A transition history row reads as `sheplang::TransitionRecord` (the generated
//! `TaskTransition`) when the model's id is an integer the database counts up: the generated
//! SQLite tables and history trigger of tests/specs/history-board.shep, rows moved with plain
//! SQL, and the history read back both column by column and as JSON with the columns' names.

use rusqlite::Connection;
use sheplang::TransitionRecord;
use sheplang_core::codegen::history;
use sheplang_core::codegen::sql::{self, Dialect};
use sheplang_core::codegen::storage::Storage;
use sheplang_core::{compile_str, render_all};

#[allow(dead_code, clippy::all, reason = "only the lifecycle is used")]
mod board {
    sheplang::sheplang! { file = "tests/specs/history-board.shep" }
}

use board::{TaskState, TaskTransition};

/// The board's tables and history on a new in-memory database, `Task` with an integer id.
fn database() -> Connection {
    let (sources, result) = compile_str(
        "history-board.shep",
        include_str!("specs/history-board.shep"),
    );
    let spec = match result {
        Ok(compiled) => compiled.spec,
        Err(d) => panic!("the board does not compile:\n{}", render_all(&d, &sources)),
    };
    let storage = Storage::new().integer_id("Task");
    let conn = Connection::open_in_memory().expect("an in-memory database");
    conn.execute_batch(&sql::generate(&spec, &storage, Dialect::Sqlite))
        .expect("the tables");
    conn.execute_batch(&history::generate(&spec, &storage, Dialect::Sqlite))
        .expect("the history SQL");
    conn
}

/// Two tasks (ids 1 and 2, counted by the database) moved along the workflow, one step with
/// the event named by the writer.
fn move_tasks(conn: &Connection) {
    conn.execute_batch(
        r#"INSERT INTO "Task" ("title") VALUES ('write');
           INSERT INTO "Task" ("title") VALUES ('read');
           INSERT INTO "Task_history_event" ("rowId", "event") VALUES ('1', 'start');
           UPDATE "Task" SET "status" = 'doing' WHERE "id" = 1;
           UPDATE "Task" SET "status" = 'doing' WHERE "id" = 2;
           UPDATE "Task" SET "status" = 'done' WHERE "id" = 1;"#,
    )
    .expect("the moves are allowed");
    let ids: Vec<i64> = conn
        .prepare(r#"SELECT "id" FROM "Task" ORDER BY "id""#)
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .expect("the ids read");
    assert_eq!(ids, [1, 2], "the database counts the ids");
}

/// `(rowId, from, to, event)` of each record, in `id` order, and whether the ids count up and
/// every `at` is an ISO 8601 UTC time with milliseconds.
fn check(records: &[TaskTransition]) {
    let steps: Vec<(&str, TaskState, TaskState, Option<&str>)> = records
        .iter()
        .map(|r| (r.row_id.as_str(), r.from, r.to, r.event.as_deref()))
        .collect();
    assert_eq!(
        steps,
        [
            ("1", TaskState::Todo, TaskState::Doing, Some("start")),
            ("2", TaskState::Todo, TaskState::Doing, None),
            ("1", TaskState::Doing, TaskState::Done, None),
        ]
    );
    assert!(
        records.windows(2).all(|w| w[0].id < w[1].id),
        "ids count up"
    );
    for record in records {
        let at = record.at.as_bytes();
        assert!(
            at.len() == 24 && at[10] == b'T' && at[19] == b'.' && at[23] == b'Z',
            "`at` is ISO 8601 in UTC: {}",
            record.at
        );
    }
}

#[test]
fn an_integer_id_history_row_reads_column_by_column() {
    let conn = database();
    move_tasks(&conn);
    let records: Vec<TaskTransition> = conn
        .prepare(r#"SELECT "id", "rowId", "from", "to", "event", "at" FROM "Task_history" ORDER BY "id""#)
        .and_then(|mut s| {
            s.query_map([], |r| {
                let state = |i: usize| -> rusqlite::Result<TaskState> {
                    let name: String = r.get(i)?;
                    name.parse().map_err(|e| {
                        rusqlite::Error::FromSqlConversionFailure(
                            i,
                            rusqlite::types::Type::Text,
                            Box::new(e),
                        )
                    })
                };
                Ok(TransitionRecord {
                    id: r.get(0)?,
                    // A TEXT column: an INTEGER one would not read as a `String`.
                    row_id: r.get(1)?,
                    from: state(2)?,
                    to: state(3)?,
                    event: r.get(4)?,
                    at: r.get(5)?,
                })
            })?
            .collect()
        })
        .expect("each history row reads as a TransitionRecord");
    check(&records);
}

#[test]
fn an_integer_id_history_row_reads_as_json_with_the_column_names() {
    let conn = database();
    move_tasks(&conn);
    // The columns under their own names: what serde reads is the table as it is.
    let json: String = conn
        .query_row(
            r#"SELECT json_group_array(json_object(
                 'id', "id", 'rowId', "rowId", 'from', "from", 'to', "to", 'event', "event", 'at', "at"))
               FROM (SELECT * FROM "Task_history" ORDER BY "id")"#,
            [],
            |r| r.get(0),
        )
        .expect("the history reads as JSON");
    let records: Vec<TaskTransition> =
        serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {json}"));
    check(&records);
    // The row id is a string on the wire, as the model's own id is.
    assert!(json.contains(r#""rowId":"1""#), "{json}");
}
