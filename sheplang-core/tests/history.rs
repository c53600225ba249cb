//! The transition history on real databases (SQLite through rusqlite, PostgreSQL through
//! `psql`): a task moved along a board's flow leaves one history row per change of state, with
//! the event its writer named (or none), and nothing for a refused move or an edit that keeps
//! the state. Without the history SQL there is no history table.

use std::io::Write as _;
use std::process::{Command, Stdio};

use rusqlite::Connection;
use sheplang_core::codegen::sql::{self, Dialect};
use sheplang_core::codegen::storage::Storage;
use sheplang_core::codegen::{capture, history};
use sheplang_core::{compile_str, ir, render_all};

const BOARD: &str = r#"
app Board {
  data Task {
    fields: { title: text required }
    states: todo -> doing -> done
  }
  workflow Task {
    on todo { event start -> doing }
    on doing {
      event finish -> done
      event stop -> todo
    }
  }
}
"#;

fn board() -> ir::Spec {
    let (sources, result) = compile_str("board.shep", BOARD);
    match result {
        Ok(compiled) => compiled.spec,
        Err(d) => panic!("the board does not compile:\n{}", render_all(&d, &sources)),
    }
}

/// The flow, the same statements on both databases: `(statement, must it succeed)`.
fn flow() -> Vec<(&'static str, bool)> {
    vec![
        (
            r#"INSERT INTO "Task" ("id", "title") VALUES ('t1', 'write'), ('t2', 'read')"#,
            true,
        ),
        // The writer names the event, then moves the row.
        (
            r#"INSERT INTO "Task_history_event" ("rowId", "event") VALUES ('t1', 'start')"#,
            true,
        ),
        (
            r#"UPDATE "Task" SET "status" = 'doing' WHERE "id" = 't1'"#,
            true,
        ),
        // An edit that keeps the state: no history row.
        (
            r#"UPDATE "Task" SET "title" = 'write more' WHERE "id" = 't1'"#,
            true,
        ),
        // A writer that names no event.
        (
            r#"UPDATE "Task" SET "status" = 'done' WHERE "id" = 't1'"#,
            true,
        ),
        // A refused jump: no history row.
        (
            r#"UPDATE "Task" SET "status" = 'done' WHERE "id" = 't2'"#,
            false,
        ),
        // A named event on an update that keeps the state is dropped, not kept for later.
        (
            r#"INSERT INTO "Task_history_event" ("rowId", "event") VALUES ('t2', 'finish')"#,
            true,
        ),
        (
            r#"UPDATE "Task" SET "title" = 'read again' WHERE "id" = 't2'"#,
            true,
        ),
        (
            r#"UPDATE "Task" SET "status" = 'doing' WHERE "id" = 't2'"#,
            true,
        ),
    ]
}

/// What the history must hold after the flow: `(rowId, from, to, event)` in `id` order.
fn expected() -> Vec<(String, String, String, Option<String>)> {
    let row = |id: &str, from: &str, to: &str, event: Option<&str>| {
        (
            id.to_owned(),
            from.to_owned(),
            to.to_owned(),
            event.map(str::to_owned),
        )
    };
    vec![
        row("t1", "todo", "doing", Some("start")),
        row("t1", "doing", "done", None),
        row("t2", "todo", "doing", None),
    ]
}

/// `2026-01-01T09:00:00.000Z`
fn is_iso_utc(at: &str) -> bool {
    let b = at.as_bytes();
    b.len() == 24
        && b[4] == b'-'
        && b[10] == b'T'
        && b[19] == b'.'
        && b[23] == b'Z'
        && at[..4].bytes().all(|c| c.is_ascii_digit())
}

fn sqlite_tables(conn: &Connection) -> Vec<String> {
    let mut stmt = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .expect("the catalogue reads");
    stmt.query_map([], |r| r.get(0))
        .expect("the catalogue reads")
        .map(|r| r.expect("a name"))
        .collect()
}

#[test]
fn sqlite_records_every_change_of_state() {
    let spec = board();
    let conn = Connection::open_in_memory().expect("an in-memory database");
    conn.execute_batch(&sql::generate(&spec, &Storage::new(), Dialect::Sqlite))
        .expect("the tables");
    conn.execute_batch(&capture::generate(&spec, &Storage::new(), Dialect::Sqlite))
        .expect("the change capture");
    assert!(
        !sqlite_tables(&conn).iter().any(|t| t.contains("history")),
        "without the history SQL there is no history table"
    );
    conn.execute_batch(&history::generate(&spec, &Storage::new(), Dialect::Sqlite))
        .expect("the history SQL");
    for (statement, ok) in flow() {
        let result = conn.execute_batch(statement);
        assert_eq!(result.is_ok(), ok, "{statement}: {result:?}");
        if let Err(e) = result {
            assert!(e.to_string().contains("Task_status_transition"), "{e}");
        }
    }
    let mut stmt = conn
        .prepare(r#"SELECT "id", "rowId", "from", "to", "event", "at" FROM "Task_history" ORDER BY "id""#)
        .expect("the history reads");
    let rows: Vec<(i64, String, String, String, Option<String>, String)> = stmt
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        })
        .expect("the history reads")
        .map(|r| r.expect("a row"))
        .collect();
    let found: Vec<_> = rows
        .iter()
        .map(|(_, id, from, to, event, _)| (id.clone(), from.clone(), to.clone(), event.clone()))
        .collect();
    assert_eq!(found, expected());
    assert!(rows.windows(2).all(|w| w[0].0 < w[1].0), "ids count up");
    for (.., at) in &rows {
        assert!(is_iso_utc(at), "`at` is ISO 8601 in UTC: {at}");
    }
    let pending: i64 = conn
        .query_row(r#"SELECT count(*) FROM "Task_history_event""#, [], |r| {
            r.get(0)
        })
        .expect("the event table reads");
    assert_eq!(pending, 0, "no named event outlives its update");
}

/// Runs `script` with `psql` in one transaction; `Err` carries psql's error output.
fn psql(url: &str, script: &str) -> Result<String, String> {
    let mut child = Command::new("psql")
        .args([
            "-X",
            "-q",
            "-A",
            "-t",
            "-v",
            "ON_ERROR_STOP=1",
            "--single-transaction",
            "-d",
        ])
        .arg(url)
        .args(["-f", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run `psql`: {e}"));
    child
        .stdin
        .take()
        .expect("psql's stdin")
        .write_all(format!("SET client_min_messages = warning;\n{script}").as_bytes())
        .expect("psql reads its script");
    let out = child.wait_with_output().expect("psql finishes");
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

#[test]
fn postgres_records_every_change_of_state() {
    let service = test_services::postgres().unwrap_or_else(|e| panic!("{e}"));
    let url = service.url();
    let spec = board();
    let schema = format!("sheplang_history_{}", std::process::id());
    let setup = |with_history: bool| {
        let history_sql = if with_history {
            history::generate(&spec, &Storage::new(), Dialect::Postgres)
        } else {
            String::new()
        };
        format!(
            "DROP SCHEMA IF EXISTS {schema} CASCADE;\nCREATE SCHEMA {schema};\nSET search_path TO {schema};\n{}\n{}\n{history_sql}",
            sql::generate(&spec, &Storage::new(), Dialect::Postgres),
            capture::generate(&spec, &Storage::new(), Dialect::Postgres),
        )
    };
    let tables = format!(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = '{schema}' AND table_name LIKE '%history%';"
    );
    // Without the history SQL: no history table.
    let count =
        psql(url, &format!("{}\n{tables}", setup(false))).expect("the schema without history");
    assert_eq!(
        count.trim(),
        "0",
        "without the history SQL there is no history table"
    );

    psql(url, &setup(true)).expect("the schema with history");
    let on = format!("SET search_path TO {schema};\n");
    for (statement, ok) in flow() {
        let result = psql(url, &format!("{on}{statement};"));
        assert_eq!(result.is_ok(), ok, "{statement}: {result:?}");
        if let Err(e) = result {
            assert!(e.contains("Task_status_transition"), "{e}");
        }
    }
    let out = psql(
        url,
        &format!(
            "{on}SELECT \"id\", \"rowId\", \"from\", \"to\", coalesce(\"event\", '-'), \"at\" FROM \"Task_history\" ORDER BY \"id\";\n\
             SELECT count(*) FROM \"Task_history_event\";"
        ),
    )
    .expect("the history reads");
    let _ = psql(url, &format!("DROP SCHEMA IF EXISTS {schema} CASCADE;"));
    let lines: Vec<&str> = out.lines().filter(|l| !l.is_empty()).collect();
    let (pending, rows) = lines.split_last().expect("two results");
    assert_eq!(*pending, "0", "no named event outlives its update");
    let found: Vec<_> = rows
        .iter()
        .map(|line| {
            let cols: Vec<&str> = line.split('|').collect();
            assert_eq!(cols.len(), 6, "{line}");
            assert!(is_iso_utc(cols[5]), "`at` is ISO 8601 in UTC: {}", cols[5]);
            let event = (cols[4] != "-").then(|| cols[4].to_owned());
            (
                cols[1].to_owned(),
                cols[2].to_owned(),
                cols[3].to_owned(),
                event,
            )
        })
        .collect();
    assert_eq!(found, expected());
}
