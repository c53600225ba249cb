//! The store: one SQLite database (a file, or memory) with the spec's tables (`Team`, `User`,
//! `Task`, from the generated `teams.sqlite.sql`). A new database gets two teams and their
//! members ([`SEED_TEAMS`], [`SEED_USERS`]): the example has no sign-up, its users are these.

use std::path::PathBuf;

use rusqlite::{Connection, OptionalExtension as _, params};
use sheplang::Ref;

use crate::teams::{Task, Team, User};

/// Where the data lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A database file, created with its folder when missing.
    File(PathBuf),
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
    /// The request is not usable (nothing to change, an unknown team).
    Invalid(String),
    /// The row breaks the spec's constraints (from the generated `Task::validate`).
    Broken(sheplang::Violations),
    /// No task has this id (or none the user may see).
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
            StoreError::Broken(violations) => write!(f, "{violations}"),
            StoreError::NotFound(id) => write!(f, "no task of your team has the id `{id}`"),
            StoreError::Sqlite(e) => write!(f, "the database failed: {e}"),
            StoreError::Io(e) => write!(f, "cannot create the database folder: {e}"),
        }
    }
}

impl std::error::Error for StoreError {}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Sqlite(e)
    }
}

/// The teams of a new database: `(id, name)`.
pub const SEED_TEAMS: &[(&str, &str)] = &[("red", "Red team"), ("blue", "Blue team")];

/// The users of a new database: `(id, name, team)`. The id is what the stand-in identity
/// sends (`X-User: ada`, `auth: { user: "ada" }`).
pub const SEED_USERS: &[(&str, &str, &str)] = &[
    ("ada", "Ada", "red"),
    ("cy", "Cy", "red"),
    ("bob", "Bob", "blue"),
    ("dee", "Dee", "blue"),
];

/// A change to a task: each field present is set. `team` hands the task over to another team
/// (it leaves the lists of the old team's members, live, and joins the new team's).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskPatch {
    /// A new title.
    pub title: Option<String>,
    /// Done or not.
    pub done: Option<bool>,
    /// Another team's id.
    pub team: Option<String>,
}

/// The data, in one SQLite database.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
}

/// The schema generated from `specs/teams.shep`.
const SCHEMA: &str = include_str!(concat!(env!("OUT_DIR"), "/sheplang/teams.sqlite.sql"));

const TASK_COLUMNS: &str = "id, title, done, team";

impl Store {
    /// Opens (creating and seeding when new) the database at `location`.
    ///
    /// # Errors
    /// When the folder cannot be created or SQLite fails.
    pub fn open(location: &Location) -> Result<Store, StoreError> {
        let conn = match location {
            Location::File(path) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(StoreError::Io)?;
                }
                let conn = Connection::open(path)?;
                conn.busy_timeout(std::time::Duration::from_secs(5))?;
                conn.pragma_update(None, "journal_mode", "WAL")?;
                conn
            }
            Location::Memory => Connection::open_in_memory()?,
        };
        conn.pragma_update(None, "foreign_keys", "ON")?;
        let version: i64 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
        if version == 0 {
            let tx = conn.unchecked_transaction()?;
            tx.execute_batch(SCHEMA)?;
            for (id, name) in SEED_TEAMS {
                tx.execute(
                    "INSERT INTO \"Team\" (id, name) VALUES (?1, ?2)",
                    params![id, name],
                )?;
            }
            for (id, name, team) in SEED_USERS {
                tx.execute(
                    "INSERT INTO \"User\" (id, name, team) VALUES (?1, ?2, ?3)",
                    params![id, name, team],
                )?;
            }
            for (title, team) in [
                ("Plan the red sprint", "red"),
                ("Review the red budget", "red"),
                ("Paint the blue door", "blue"),
            ] {
                tx.execute(
                    "INSERT INTO \"Task\" (title, done, team) VALUES (?1, 0, ?2)",
                    params![title, team],
                )?;
            }
            tx.pragma_update(None, "user_version", 1)?;
            tx.commit()?;
        } else if version != 1 {
            return Err(StoreError::Invalid(format!(
                "the database has schema version {version}, not this server's (1); \
                 use another `--db` file"
            )));
        }
        Ok(Store { conn })
    }

    /// Every team, by id.
    ///
    /// # Errors
    /// When SQLite fails.
    pub fn teams(&self) -> Result<Vec<Team>, StoreError> {
        let mut statement = self
            .conn
            .prepare_cached("SELECT id, name FROM \"Team\" ORDER BY id")?;
        let rows = statement.query_map([], |row| {
            Ok(Team {
                id: row.get(0)?,
                name: row.get(1)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Every user, by id.
    ///
    /// # Errors
    /// When SQLite fails.
    pub fn users(&self) -> Result<Vec<User>, StoreError> {
        let mut statement = self
            .conn
            .prepare_cached("SELECT id, name, team FROM \"User\" ORDER BY id")?;
        let rows = statement.query_map([], |row| {
            Ok(User {
                id: row.get(0)?,
                name: row.get(1)?,
                team: Ref::new(row.get::<_, String>(2)?),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The tasks of `team`, oldest first.
    ///
    /// # Errors
    /// When SQLite fails.
    pub fn tasks_of(&self, team: &str) -> Result<Vec<Task>, StoreError> {
        let mut statement = self.conn.prepare_cached(&format!(
            "SELECT {TASK_COLUMNS} FROM \"Task\" WHERE team = ?1 ORDER BY rowid"
        ))?;
        let rows = statement.query_map(params![team], row_to_task)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The task `id` when it belongs to `team`.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when there is none.
    pub fn task(&self, team: &str, id: &str) -> Result<Task, StoreError> {
        self.conn
            .prepare_cached(&format!(
                "SELECT {TASK_COLUMNS} FROM \"Task\" WHERE id = ?1 AND team = ?2"
            ))?
            .query_row(params![id, team], row_to_task)
            .optional()?
            .ok_or_else(|| StoreError::NotFound(id.to_owned()))
    }

    /// Creates an open task of `team`.
    ///
    /// # Errors
    /// [`StoreError::Broken`] for a title the spec refuses.
    pub fn create(&mut self, team: &str, title: &str) -> Result<Task, StoreError> {
        let title = check(title.trim(), team)?;
        self.conn
            .prepare_cached(&format!(
                "INSERT INTO \"Task\" (title, done, team) VALUES (?1, 0, ?2) \
                 RETURNING {TASK_COLUMNS}"
            ))?
            .query_row(params![title, team], row_to_task)
            .map_err(StoreError::from)
    }

    /// Changes the task `id` of `team`; returns it before and after the change.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when `team` has no such task, [`StoreError::Invalid`] for an
    /// empty change or an unknown team, [`StoreError::Broken`] for a bad title.
    pub fn update(
        &mut self,
        team: &str,
        id: &str,
        patch: &TaskPatch,
    ) -> Result<(Task, Task), StoreError> {
        if patch.title.is_none() && patch.done.is_none() && patch.team.is_none() {
            return Err(StoreError::Invalid(
                "nothing to change: send `title`, `done`, `team` or several".to_owned(),
            ));
        }
        let tx = self.conn.transaction()?;
        let before = tx
            .prepare_cached(&format!(
                "SELECT {TASK_COLUMNS} FROM \"Task\" WHERE id = ?1 AND team = ?2"
            ))?
            .query_row(params![id, team], row_to_task)
            .optional()?
            .ok_or_else(|| StoreError::NotFound(id.to_owned()))?;
        if let Some(next) = &patch.team {
            let known: Option<String> = tx
                .prepare_cached("SELECT id FROM \"Team\" WHERE id = ?1")?
                .query_row(params![next], |row| row.get(0))
                .optional()?;
            if known.is_none() {
                return Err(StoreError::Invalid(format!("no team has the id `{next}`")));
            }
        }
        let title = patch.title.as_deref().map(str::trim);
        check(title.unwrap_or(&before.title), team)?;
        let after = tx
            .prepare_cached(&format!(
                "UPDATE \"Task\" SET title = coalesce(?2, title), done = coalesce(?3, done), \
                 team = coalesce(?4, team) WHERE id = ?1 RETURNING {TASK_COLUMNS}"
            ))?
            .query_row(params![id, title, patch.done, patch.team], row_to_task)?;
        tx.commit()?;
        Ok((before, after))
    }

    /// Deletes the task `id` of `team`; returns it as it was.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when `team` has no such task.
    pub fn delete(&mut self, team: &str, id: &str) -> Result<Task, StoreError> {
        self.conn
            .prepare_cached(&format!(
                "DELETE FROM \"Task\" WHERE id = ?1 AND team = ?2 RETURNING {TASK_COLUMNS}"
            ))?
            .query_row(params![id, team], row_to_task)
            .optional()?
            .ok_or_else(|| StoreError::NotFound(id.to_owned()))
    }
}

fn row_to_task(row: &rusqlite::Row<'_>) -> rusqlite::Result<Task> {
    Ok(Task {
        id: row.get(0)?,
        title: row.get(1)?,
        done: row.get(2)?,
        team: Ref::new(row.get::<_, String>(3)?),
    })
}

/// The spec's rules on a task's title (the generated validation).
fn check<'a>(title: &'a str, team: &str) -> Result<&'a str, StoreError> {
    let row = Task {
        id: String::new(),
        title: title.to_owned(),
        done: false,
        team: Ref::new(team),
    };
    row.validate().map_err(StoreError::Broken)?;
    Ok(title)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_team_sees_and_changes_only_its_tasks() {
        let mut store = Store::open(&Location::Memory).unwrap();
        assert_eq!(store.users().unwrap().len(), SEED_USERS.len());
        let red = store.tasks_of("red").unwrap().len();
        let task = store.create("red", "  Ship it ").unwrap();
        assert_eq!(task.title, "Ship it");
        assert_eq!(store.tasks_of("red").unwrap().len(), red + 1);
        assert!(matches!(
            store.task("blue", &task.id),
            Err(StoreError::NotFound(_))
        ));
        assert!(matches!(
            store.delete("blue", &task.id),
            Err(StoreError::NotFound(_))
        ));
        let patch = TaskPatch {
            team: Some("blue".to_owned()),
            ..TaskPatch::default()
        };
        let (before, after) = store.update("red", &task.id, &patch).unwrap();
        assert_eq!(before.team.as_str(), "red");
        assert_eq!(after.team.as_str(), "blue");
        assert!(store.task("red", &task.id).is_err());
        let unknown = TaskPatch {
            team: Some("green".to_owned()),
            ..TaskPatch::default()
        };
        assert!(matches!(
            store.update("blue", &task.id, &unknown),
            Err(StoreError::Invalid(_))
        ));
        assert!(matches!(
            store.create("red", "   "),
            Err(StoreError::Broken(_))
        ));
        assert_eq!(store.delete("blue", &task.id).unwrap().id, task.id);
    }
}
