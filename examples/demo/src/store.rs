//! The task store: one SQLite database (a file, or memory), rows of the spec's `Task`.

use std::path::Path;

use rusqlite::{Connection, OptionalExtension as _, params};

use crate::tasks::Task;

/// The longest title, in characters: the spec's `title: text required minLength=1 maxLength=200`
/// (a unit test reads the compiled IR to keep the two equal).
pub const MAX_TITLE_CHARS: usize = 200;

/// Where the tasks live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A database file, created with its folder when missing.
    File(std::path::PathBuf),
    /// A private in-memory database, gone when the server stops.
    Memory,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::File(path) => write!(f, "{}", path.display()),
            Location::Memory => f.write_str("memory (gone when the server stops)"),
        }
    }
}

/// Why a store operation failed.
#[derive(Debug)]
pub enum StoreError {
    /// The input breaks a rule of the spec (an empty or too long title, an empty change).
    Invalid(String),
    /// No task has this id.
    NotFound(String),
    /// SQLite failed.
    Sqlite(rusqlite::Error),
    /// The database folder could not be created.
    Io(std::io::Error),
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::Invalid(message) => f.write_str(message),
            StoreError::NotFound(id) => write!(f, "no task has the id `{id}`"),
            StoreError::Sqlite(e) => write!(f, "the database failed: {e}"),
            StoreError::Io(e) => write!(f, "cannot create the database folder: {e}"),
        }
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StoreError::Sqlite(e) => Some(e),
            StoreError::Io(e) => Some(e),
            StoreError::Invalid(_) | StoreError::NotFound(_) => None,
        }
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Sqlite(e)
    }
}

/// A change to a task: each field present is set.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskPatch {
    /// A new title.
    pub title: Option<String>,
    /// Completed or not.
    pub done: Option<bool>,
}

/// The tasks, in one SQLite database.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    fresh: bool,
}

/// The schema's version in `PRAGMA user_version`.
const SCHEMA_VERSION: i64 = 1;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS task (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    title      TEXT    NOT NULL,
    done       INTEGER NOT NULL DEFAULT 0,
    created_at TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
";

const COLUMNS: &str = "id, title, done, created_at";

impl Store {
    /// Opens (creating when missing) the database at `location`.
    ///
    /// # Errors
    /// When the folder cannot be created or SQLite cannot open or migrate the file.
    pub fn open(location: &Location) -> Result<Store, StoreError> {
        let conn = match location {
            Location::File(path) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(StoreError::Io)?;
                }
                let conn = Connection::open(path)?;
                conn.busy_timeout(std::time::Duration::from_secs(5))?;
                // One writer (this server); WAL keeps readers of the file (sqlite3 CLI) unblocked.
                conn.pragma_update(None, "journal_mode", "WAL")?;
                conn
            }
            Location::Memory => Connection::open_in_memory()?,
        };
        let version: i64 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
        let fresh = version == 0;
        if fresh {
            conn.execute_batch(SCHEMA)?;
            conn.pragma_update(None, "user_version", SCHEMA_VERSION)?;
        }
        Ok(Store { conn, fresh })
    }

    /// Opens the database file at `path`.
    ///
    /// # Errors
    /// As [`Store::open`].
    pub fn open_file(path: impl AsRef<Path>) -> Result<Store, StoreError> {
        Store::open(&Location::File(path.as_ref().to_path_buf()))
    }

    /// Whether this open created the schema (a new database).
    pub fn is_fresh(&self) -> bool {
        self.fresh
    }

    /// Adds the welcome tasks (done once, on a new database, by the server).
    ///
    /// # Errors
    /// When SQLite fails.
    pub fn seed_examples(&mut self) -> Result<Vec<Task>, StoreError> {
        [
            "Open this page in a second window",
            "Tick a task here, watch it change there",
            "Rename me: double-click the title",
        ]
        .into_iter()
        .map(|title| self.create(title))
        .collect()
    }

    /// Every task, oldest first.
    ///
    /// # Errors
    /// When SQLite fails.
    pub fn list(&self) -> Result<Vec<Task>, StoreError> {
        let mut statement = self
            .conn
            .prepare_cached(&format!("SELECT {COLUMNS} FROM task ORDER BY id"))?;
        let rows = statement.query_map([], row_to_task)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The task with this id.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when there is none.
    pub fn get(&self, id: &str) -> Result<Task, StoreError> {
        let key = parse_id(id)?;
        self.conn
            .prepare_cached(&format!("SELECT {COLUMNS} FROM task WHERE id = ?1"))?
            .query_row(params![key], row_to_task)
            .optional()?
            .ok_or_else(|| StoreError::NotFound(id.to_owned()))
    }

    /// Creates an open task.
    ///
    /// # Errors
    /// [`StoreError::Invalid`] for an empty or too long title.
    pub fn create(&mut self, title: &str) -> Result<Task, StoreError> {
        let title = check_title(title)?;
        let task = self
            .conn
            .prepare_cached(&format!(
                "INSERT INTO task (title) VALUES (?1) RETURNING {COLUMNS}"
            ))?
            .query_row(params![title], row_to_task)?;
        Ok(task)
    }

    /// Applies `patch` to the task with this id and returns the new row.
    ///
    /// # Errors
    /// [`StoreError::Invalid`] for an empty patch or a bad title, [`StoreError::NotFound`].
    pub fn update(&mut self, id: &str, patch: &TaskPatch) -> Result<Task, StoreError> {
        let key = parse_id(id)?;
        let title = patch.title.as_deref().map(check_title).transpose()?;
        if title.is_none() && patch.done.is_none() {
            return Err(StoreError::Invalid(
                "nothing to change: send `title`, `done` or both".to_owned(),
            ));
        }
        self.conn
            .prepare_cached(&format!(
                "UPDATE task SET title = coalesce(?2, title), done = coalesce(?3, done)
                 WHERE id = ?1 RETURNING {COLUMNS}"
            ))?
            .query_row(params![key, title, patch.done], row_to_task)
            .optional()?
            .ok_or_else(|| StoreError::NotFound(id.to_owned()))
    }

    /// Deletes the task with this id and returns its last row.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when there is none.
    pub fn delete(&mut self, id: &str) -> Result<Task, StoreError> {
        let key = parse_id(id)?;
        self.conn
            .prepare_cached(&format!(
                "DELETE FROM task WHERE id = ?1 RETURNING {COLUMNS}"
            ))?
            .query_row(params![key], row_to_task)
            .optional()?
            .ok_or_else(|| StoreError::NotFound(id.to_owned()))
    }
}

fn row_to_task(row: &rusqlite::Row<'_>) -> rusqlite::Result<Task> {
    Ok(Task {
        id: row.get::<_, i64>(0)?.to_string(),
        title: row.get(1)?,
        done: row.get(2)?,
        created_at: row.get(3)?,
    })
}

/// Ids are SQLite row ids, printed as strings on the wire; anything else names no task.
fn parse_id(id: &str) -> Result<i64, StoreError> {
    id.parse::<i64>()
        .ok()
        .filter(|n| *n > 0 && n.to_string() == id)
        .ok_or_else(|| StoreError::NotFound(id.to_owned()))
}

/// The spec's rules for a title: required, 1 to 200 characters (after trimming).
fn check_title(title: &str) -> Result<&str, StoreError> {
    let title = title.trim();
    if title.is_empty() {
        return Err(StoreError::Invalid("a task needs a title".to_owned()));
    }
    if title.chars().count() > MAX_TITLE_CHARS {
        return Err(StoreError::Invalid(format!(
            "a title has at most {MAX_TITLE_CHARS} characters"
        )));
    }
    Ok(title)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crud_round_trip_in_memory() {
        let mut store = Store::open(&Location::Memory).unwrap();
        assert!(store.is_fresh());
        let task = store.create("  Write the demo ").unwrap();
        assert_eq!(task.title, "Write the demo");
        assert!(!task.done);
        assert!(task.created_at.ends_with('Z'), "{}", task.created_at);

        let done = store
            .update(
                &task.id,
                &TaskPatch {
                    done: Some(true),
                    ..TaskPatch::default()
                },
            )
            .unwrap();
        assert!(done.done);
        assert_eq!(done.title, "Write the demo");
        assert_eq!(store.get(&task.id).unwrap(), done);

        let gone = store.delete(&task.id).unwrap();
        assert_eq!(gone, done);
        assert!(store.list().unwrap().is_empty());
        assert!(matches!(store.get(&task.id), Err(StoreError::NotFound(_))));
    }

    #[test]
    fn titles_follow_the_spec() {
        let mut store = Store::open(&Location::Memory).unwrap();
        assert!(matches!(store.create("   "), Err(StoreError::Invalid(_))));
        assert!(store.create(&"é".repeat(MAX_TITLE_CHARS)).is_ok());
        assert!(matches!(
            store.create(&"é".repeat(MAX_TITLE_CHARS + 1)),
            Err(StoreError::Invalid(_))
        ));
        let task = store.create("ok").unwrap();
        assert!(matches!(
            store.update(&task.id, &TaskPatch::default()),
            Err(StoreError::Invalid(_))
        ));
    }

    #[test]
    fn odd_ids_name_no_task() {
        let mut store = Store::open(&Location::Memory).unwrap();
        let task = store.create("one").unwrap();
        for id in [
            "",
            "0",
            "-1",
            "01",
            "+1",
            "1.0",
            "x",
            "99999999999999999999",
        ] {
            assert!(
                matches!(store.get(id), Err(StoreError::NotFound(_))),
                "{id}"
            );
        }
        assert_eq!(store.get(&task.id).unwrap().title, "one");
    }

    #[test]
    fn a_file_keeps_its_rows_and_ids_are_never_reused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/tasks.sqlite3");
        let (first, second) = {
            let mut store = Store::open_file(&path).unwrap();
            assert!(store.is_fresh());
            let first = store.create("first").unwrap();
            let second = store.create("second").unwrap();
            store.delete(&second.id).unwrap();
            (first, second)
        };
        let mut store = Store::open_file(&path).unwrap();
        assert!(!store.is_fresh());
        assert_eq!(store.list().unwrap(), vec![first]);
        let third = store.create("third").unwrap();
        assert_ne!(
            third.id, second.id,
            "AUTOINCREMENT never hands an id out twice"
        );
    }

    #[test]
    fn the_title_limit_is_the_specs() {
        let ir: serde_json::Value = serde_json::from_str(include_str!(concat!(
            env!("OUT_DIR"),
            "/sheplang/tasks.ir.json"
        )))
        .unwrap();
        let task = ir["models"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["name"] == "Task")
            .unwrap();
        let title = task["fields"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == "title")
            .unwrap();
        assert_eq!(title["required"], true);
        // The IR keeps constraint bounds as JSON numbers (`200.0`).
        let bound = |name: &str| title["constraints"][name].as_f64();
        assert_eq!(bound("max_length"), Some(MAX_TITLE_CHARS as f64));
        assert_eq!(bound("min_length"), Some(1.0));
    }
}
