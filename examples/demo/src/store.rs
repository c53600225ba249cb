//! The task store: one SQLite database (a file, or memory), rows of the spec's `Task`.
//!
//! # Keeping the file healthy
//!
//! A database file runs in WAL mode, with `synchronous = NORMAL` and an explicit checkpoint
//! policy that keeps the checkpoint's file syncs off the write path:
//!
//! - every statement runs to completion (a `... RETURNING` statement is stepped until SQLite
//!   says it is done), so each write commits at once and the store's WAL hook runs;
//! - once the WAL holds [`WAL_AUTOCHECKPOINT_PAGES`] pages after a commit, the hook hands the
//!   checkpoint to a thread of the store with a connection of its own, which copies the WAL
//!   into the database and syncs both files (a passive checkpoint: it never blocks the writer),
//!   and copies again, up to a few times, while more than a few pages were committed during
//!   its last copy; the next commit after it finishes the checkpoint with those few pages (its
//!   time is mostly two small file syncs), and the commit after that starts the WAL again from
//!   its beginning; `journal_size_limit` ([`WAL_SIZE_LIMIT`]) truncates the file back when it
//!   does (should a reader that began before the checkpoint ended keep the WAL from starting
//!   again, the next checkpoint comes after as many pages more);
//! - should that thread fall behind, a commit that finds [`WAL_CHECKPOINT_LIMIT_PAGES`] pages
//!   in the WAL checkpoints at once, itself;
//! - writes are committed in groups ([`crate::writer`]): those that queue up while a commit
//!   runs share one transaction, so the pages they share are written to the WAL once;
//! - opening and dropping the store checkpoint and truncate the WAL to zero bytes.
//!
//! So the WAL file stays under [`WAL_BOUND`] bytes under any mix of this server's traffic. The
//! one thing that can hold it above is another process keeping a read transaction open on the
//! file for a long time (a `sqlite3` shell in the middle of a `BEGIN`): SQLite cannot recycle
//! the WAL under a reader, and catches up once it is gone.
//!
//! `synchronous = NORMAL`: a commit writes the WAL without syncing it, and the checkpoint syncs
//! it. A commit survives a crash or a `kill -9` of this process at once (the WAL is in the
//! operating system's hands), and a power loss or an operating system crash once the next
//! checkpoint has synced it; such a loss takes the last commits back whole, each with the
//! change rows of its capture (one transaction), never one without the other. `FULL` would
//! sync the WAL at each commit, a sync per write on the serialised write path.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use rusqlite::{Connection, OptionalExtension as _, params};

use crate::tasks::{Task, TaskState};

/// Where the tasks live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A database file, created with its folder when missing.
    File(std::path::PathBuf),
    /// A private database, gone when the server stops (a file in a temporary folder of its
    /// own, so that the relay's connection reads the same database).
    Memory,
    /// A PostgreSQL database, by its connection string (`postgres://user@host:port/db`):
    /// opened with [`PgStore::connect`](crate::postgres::PgStore::connect).
    Postgres(String),
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::File(path) => write!(f, "{}", path.display()),
            Location::Memory => f.write_str("memory (gone when the server stops)"),
            Location::Postgres(url) => f.write_str(&crate::postgres::without_password(url)),
        }
    }
}

/// Why a store operation failed.
#[derive(Debug)]
pub enum StoreError {
    /// The input is not usable (an empty change, a bad idempotency key).
    Invalid(String),
    /// The row breaks the spec's constraints (a title without a visible character, or too
    /// long): every violation, from the generated `Task::validate`.
    Broken(sheplang::Violations),
    /// An idempotency key seen before, with another request.
    KeyReused(String),
    /// No task has this id.
    NotFound(String),
    /// A change of state that the spec's `states: todo -> doing -> done` does not allow.
    Transition(sheplang::TransitionRefused),
    /// SQLite failed.
    Sqlite(rusqlite::Error),
    /// PostgreSQL failed (`--db postgres://...`).
    Postgres(tokio_postgres::Error),
    /// The database folder could not be created.
    Io(std::io::Error),
    /// The store's writer thread ([`crate::writer`]) could not be started, or stopped.
    Thread(std::io::Error),
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::Invalid(message) => f.write_str(message),
            StoreError::Broken(violations) => write!(f, "{violations}"),
            StoreError::NotFound(id) => write!(f, "no task has the id `{id}`"),
            StoreError::Transition(refused) => write!(f, "{refused}"),
            StoreError::KeyReused(key) => write!(
                f,
                "the idempotency key `{key}` was already used for another request; \
                 send a new key for a new task"
            ),
            StoreError::Sqlite(e) => write!(f, "the database failed: {e}"),
            StoreError::Postgres(e) => write!(f, "PostgreSQL failed: {e}"),
            StoreError::Io(e) => write!(f, "cannot create the database folder: {e}"),
            StoreError::Thread(e) => write!(f, "the store's writer thread: {e}"),
        }
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StoreError::Sqlite(e) => Some(e),
            StoreError::Postgres(e) => Some(e),
            StoreError::Io(e) | StoreError::Thread(e) => Some(e),
            StoreError::Invalid(_)
            | StoreError::Broken(_)
            | StoreError::NotFound(_)
            | StoreError::Transition(_)
            | StoreError::KeyReused(_) => None,
        }
    }
}

impl From<tokio_postgres::Error> for StoreError {
    fn from(e: tokio_postgres::Error) -> Self {
        StoreError::Postgres(e)
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
    /// A new state: the next one of `todo -> doing -> done` (or the same).
    pub status: Option<TaskState>,
}

/// The checkpoint threshold, in pages of the WAL: once a commit leaves this many, the store's
/// checkpoint thread copies the WAL into the database (SQLite's own automatic checkpoint,
/// which the store turns off, runs at 1,000 by default, in the commit).
pub const WAL_AUTOCHECKPOINT_PAGES: u32 = 1000;

/// The pages of the WAL at which a commit checkpoints itself, when the checkpoint thread has
/// not kept up (waiting for the thread's checkpoint to end first, then running its own).
pub const WAL_CHECKPOINT_LIMIT_PAGES: u32 = 1750;

/// The size the WAL file is truncated back to when it restarts (`PRAGMA journal_size_limit`,
/// in bytes; SQLite's default, -1, never truncates).
pub const WAL_SIZE_LIMIT: i64 = 4 << 20;

/// The most the WAL file of a store grows to: [`WAL_CHECKPOINT_LIMIT_PAGES`] plus one write,
/// in frames of one page (at most 4 KiB with this schema) and a 24-byte header each, rounded
/// up. A test writes 20,000 tasks and checks it.
pub const WAL_BOUND: u64 = 8 << 20;

/// The tasks a new database starts with.
pub const WELCOME_TASKS: [&str; 3] = [
    "Open this page in a second window",
    "Tick a task here, watch it change there",
    "Rename me: double-click the title",
];

/// How long an idempotency key is remembered, in seconds (24 hours).
pub const IDEMPOTENCY_KEY_TTL_SECS: i64 = 24 * 60 * 60;

/// The longest idempotency key, in bytes.
pub const MAX_IDEMPOTENCY_KEY_LEN: usize = 255;

/// What [`Store::create_once`] did.
#[derive(Debug, Clone, PartialEq)]
pub enum Created {
    /// A new task, created now.
    New(Task),
    /// The key was seen before with the same request: the task that request created, as it
    /// was answered then. Nothing was created.
    Replayed(Task),
}

/// The tasks, in one SQLite database.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    /// The checkpoint thread, stopped before the connection closes.
    checkpoints: Checkpoints,
    fresh: bool,
    path: std::path::PathBuf,
    /// The folder of a [`Location::Memory`] database, removed after the connection closes.
    _scratch: Option<tempfile::TempDir>,
}

/// The schema's version in `PRAGMA user_version`.
const SCHEMA_VERSION: i64 = 6;

/// Version 1: the tasks, the table the spec's `Task` generates (`build.rs` names it `task`,
/// its `createdAt` column `created_at`, and gives it an integer id), with the spec's
/// constraints as SQLite's own `CHECK`s. A database made by an older server keeps the table it
/// has: the same columns, without the checks.
const SCHEMA_V1: &str = include_str!(concat!(env!("OUT_DIR"), "/sheplang/tasks.sqlite.sql"));

/// Version 2: the idempotency keys of creates, with the request they came with and the
/// answer given (the task as created), kept for [`IDEMPOTENCY_KEY_TTL_SECS`].
const SCHEMA_V2: &str = include_str!("idempotency.sql");

/// Version 3: change capture, generated from the spec (`tasks.capture.sqlite.sql`): triggers
/// record every committed insert, update and delete of a task in the change table, in the same
/// transaction, whoever writes (this server, a `sqlite3` shell, another process); the
/// realtime server's log relays them (`docs/capture.md`). The server emits nothing by hand.
const SCHEMA_V3: &str = include_str!(concat!(
    env!("OUT_DIR"),
    "/sheplang/tasks.capture.sqlite.sql"
));

/// Version 4: the lifecycle. A table made by version 1 of an older server gets the column
/// `status` (`lifecycle.sql`, which also drops the capture triggers of version 3, re-created
/// by `SCHEMA_V3` with the new column in their rows) and the generated trigger that refuses a
/// change the chain does not allow, taken from `SCHEMA_V1`. A new database has both from
/// `SCHEMA_V1`.
const SCHEMA_V4: &str = include_str!("lifecycle.sql");

/// Version 5: the change table keeps the row before an update or a delete (`before`), so a
/// filtered subscription sees a task that leaves its filter as a removal. A change table made
/// by versions 3 and 4 gets the column here; `SCHEMA_V3` then re-creates the triggers, which
/// fill it.
const SCHEMA_V5: &str = "ALTER TABLE \"_sheplang_change\" ADD COLUMN \"before\" TEXT;";

/// Version 6: the change table keyed by `(channel, seq)`, without the `id` of versions 3 to 5
/// (`WITHOUT ROWID`: a change writes one b-tree instead of a table and its index, fewer pages
/// a commit). A change table of those versions is set aside before `SCHEMA_V3` creates the new
/// one (and re-creates the triggers), then copied into it (`SCHEMA_V6_COPY`).
const SCHEMA_V6_ASIDE: &str = "ALTER TABLE \"_sheplang_change\" RENAME TO \"_sheplang_change_v5\";";

/// Version 6, after `SCHEMA_V3`: the changes of the old table, in the new one.
const SCHEMA_V6_COPY: &str = "INSERT INTO \"_sheplang_change\"
  (\"channel\", \"seq\", \"kind\", \"model\", \"row_id\", \"payload\", \"before\", \"at\")
  SELECT \"channel\", \"seq\", \"kind\", \"model\", \"row_id\", \"payload\", \"before\", \"at\"
  FROM \"_sheplang_change_v5\";
DROP TABLE \"_sheplang_change_v5\";";

/// The generated `CREATE TRIGGER` of `task_status_transition` in `SCHEMA_V1`.
fn transition_trigger() -> Result<&'static str, StoreError> {
    let start = SCHEMA_V1.find("CREATE TRIGGER \"task_status_transition\"");
    let end = start.and_then(|s| {
        SCHEMA_V1[s..]
            .find("\nEND;")
            .map(|e| s + e + "\nEND;".len())
    });
    match (start, end) {
        (Some(start), Some(end)) => Ok(&SCHEMA_V1[start..end]),
        _ => Err(StoreError::Invalid(
            "the generated schema has no `task_status_transition` trigger; rebuild the demo"
                .to_owned(),
        )),
    }
}

const COLUMNS: &str = "id, title, done, created_at, status";

impl Store {
    /// Opens (creating when missing) the database at `location`.
    ///
    /// # Errors
    /// When the folder cannot be created or SQLite cannot open or migrate the file.
    pub fn open(location: &Location) -> Result<Store, StoreError> {
        let (path, scratch) = match location {
            Location::File(path) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(StoreError::Io)?;
                }
                (path.clone(), None)
            }
            Location::Postgres(_) => {
                return Err(StoreError::Invalid(
                    "a PostgreSQL database is opened with `PgStore::connect`".to_owned(),
                ));
            }
            Location::Memory => {
                let dir = tempfile::Builder::new()
                    .prefix("sheplang-demo-")
                    .tempdir()
                    .map_err(StoreError::Io)?;
                (dir.path().join("tasks.sqlite3"), Some(dir))
            }
        };
        let conn = {
            let mut conn = Connection::open(&path)?;
            conn.busy_handler(Some(wait_for_lock))?;
            // One writer (this server); WAL keeps readers of the file (sqlite3 CLI) unblocked.
            conn.pragma_update(None, "journal_mode", "WAL")?;
            // SQLite's recommended pairing with WAL: a commit survives a crash or kill of
            // this process at once, and a power loss once the WAL is synced (at the next
            // checkpoint), without an fsync per write.
            conn.pragma_update(None, "synchronous", "NORMAL")?;
            // The store's WAL hook checkpoints instead (`install_wal_hook`).
            conn.pragma_update(None, "wal_autocheckpoint", 0)?;
            conn.pragma_update(None, "journal_size_limit", WAL_SIZE_LIMIT)?;
            // Whatever an earlier run left in the WAL goes into the database now.
            checkpoint(&conn)?;
            conn
        };
        let version: i64 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
        let fresh = version == 0;
        if version > SCHEMA_VERSION {
            return Err(StoreError::Invalid(format!(
                "the database has schema version {version}, newer than this server's \
                 ({SCHEMA_VERSION}); use a newer server or another `--db` file"
            )));
        }
        if version < SCHEMA_VERSION {
            let tx = conn.unchecked_transaction()?;
            if version < 1 {
                tx.execute_batch(SCHEMA_V1)?;
            }
            if version < 2 {
                tx.execute_batch(SCHEMA_V2)?;
            }
            if (1..4).contains(&version) {
                let count = |sql: &str| tx.query_row(sql, [], |row| row.get::<_, i64>(0));
                if count("SELECT count(*) FROM pragma_table_info('task') WHERE name = 'status'")?
                    == 0
                {
                    tx.execute_batch(SCHEMA_V4)?;
                }
                if count(
                    "SELECT count(*) FROM sqlite_schema \
                     WHERE type = 'trigger' AND name = 'task_status_transition'",
                )? == 0
                {
                    tx.execute_batch(transition_trigger()?)?;
                }
            }
            if (3..5).contains(&version)
                && tx.query_row(
                    "SELECT count(*) FROM pragma_table_info('_sheplang_change') \
                     WHERE name = 'before'",
                    [],
                    |row| row.get::<_, i64>(0),
                )? == 0
            {
                tx.execute_batch(SCHEMA_V5)?;
            }
            let rebuild = (3..6).contains(&version)
                && tx.query_row(
                    "SELECT count(*) FROM pragma_table_info('_sheplang_change') WHERE name = 'id'",
                    [],
                    |row| row.get::<_, i64>(0),
                )? == 1;
            if rebuild {
                tx.execute_batch(SCHEMA_V6_ASIDE)?;
            }
            tx.execute_batch(SCHEMA_V3)?;
            if rebuild {
                tx.execute_batch(SCHEMA_V6_COPY)?;
            }
            tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
            tx.commit()?;
        }
        let checkpoints = Checkpoints::start(&path)?;
        let mut store = Store {
            conn,
            checkpoints,
            fresh,
            path,
            _scratch: scratch,
        };
        store.install_wal_hook(|| {})?;
        Ok(store)
    }

    /// The database file (for [`Location::Memory`], the private file in its temporary folder).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Calls `committed` after every commit of this store's connection (SQLite's WAL hook),
    /// for the change log's relay to look at once. The hook also runs the store's checkpoints
    /// (see the module's documentation).
    ///
    /// # Errors
    /// When SQLite refuses the hook.
    pub fn on_commit(&mut self, committed: impl Fn() + Send + 'static) -> Result<(), StoreError> {
        self.install_wal_hook(committed)
    }

    /// The WAL hook: the checkpoint policy of the module's documentation, then `committed`.
    fn install_wal_hook(
        &mut self,
        committed: impl Fn() + Send + 'static,
    ) -> Result<(), StoreError> {
        let threshold = i32::try_from(WAL_AUTOCHECKPOINT_PAGES).unwrap_or(i32::MAX);
        let limit = i32::try_from(WAL_CHECKPOINT_LIMIT_PAGES).unwrap_or(i32::MAX);
        let shared = self.checkpoints.shared.clone();
        let kick = self.checkpoints.kick.clone();
        // The WAL's pages when the last checkpoint ended: a reader that began before it and
        // has not ended keeps the next write from starting the WAL again from its beginning;
        // the WAL then grows on from there, and counts from there, so that the thread is not
        // asked again, nor the commits to finish again, at every commit until that reader ends.
        let mut base: std::ffi::c_int = 0;
        self.conn.wal_hook(Some(
            move |wal: &mut rusqlite::hooks::Wal, pages: std::ffi::c_int| {
                if pages < base {
                    // The WAL started again from its beginning.
                    base = 0;
                }
                let grown = pages - base;
                if grown >= limit || shared.passed.swap(false, Ordering::AcqRel) {
                    // The thread copied the WAL up to a few pages of where it is (or has not
                    // kept up): this checkpoint copies the rest, with no write running (the
                    // writes of this store are serialised), so it ends with the whole WAL in
                    // the database, and the next commit starts the WAL again from its
                    // beginning. Passive: never waits for readers.
                    let _one = shared
                        .running
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner);
                    let _ = wal.checkpoint();
                    shared.kicked.store(false, Ordering::Release);
                    base = pages;
                } else if grown >= threshold && !shared.kicked.swap(true, Ordering::AcqRel) {
                    // A full channel means a checkpoint is asked for already.
                    let _ = kick.try_send(Checkpoint::Run);
                }
                committed();
                Ok(())
            },
        ))?;
        Ok(())
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
        WELCOME_TASKS
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
    /// [`StoreError::Broken`] for a title the spec refuses.
    pub fn create(&mut self, title: &str) -> Result<Task, StoreError> {
        let title = check_title(title)?;
        insert(&self.conn, title)
    }

    /// Creates an open task once per idempotency `key`: the first call creates it and
    /// remembers the key with the request and the task; a later call with the same key and
    /// title creates nothing and returns that task as it was created ([`Created::Replayed`]).
    /// The task and its key are committed together. Keys are forgotten after
    /// [`IDEMPOTENCY_KEY_TTL_SECS`].
    ///
    /// # Errors
    /// [`StoreError::Broken`] for a bad title, [`StoreError::Invalid`] for a bad key,
    /// [`StoreError::KeyReused`] when the key
    /// came with another title before.
    pub fn create_once(&mut self, key: &str, title: &str) -> Result<Created, StoreError> {
        check_key(key)?;
        // A savepoint: its own transaction when called alone, a part of the group's
        // transaction under the writer thread (`crate::writer`).
        let tx = self.conn.savepoint()?;
        let now = unix_now();
        tx.prepare_cached("DELETE FROM idempotency_key WHERE created_at < ?1")?
            .execute(params![now - IDEMPOTENCY_KEY_TTL_SECS])?;
        let seen: Option<(String, String)> = tx
            .prepare_cached("SELECT request, response FROM idempotency_key WHERE key = ?1")?
            .query_row(params![key], |row| Ok((row.get(0)?, row.get(1)?)))
            .optional()?;
        if let Some((request, response)) = seen {
            return replay(key, title, &request, &response);
        }
        let task = insert(&tx, check_title(title)?)?;
        let response = kept_answer(&task)?;
        tx.prepare_cached(
            "INSERT INTO idempotency_key (key, request, response, created_at) VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![key, title, response, now])?;
        tx.commit()?;
        Ok(Created::New(task))
    }

    /// Applies `patch` to the task with this id and returns the new row.
    ///
    /// # Errors
    /// [`StoreError::Invalid`] for an empty patch, [`StoreError::Broken`] for a bad title,
    /// [`StoreError::NotFound`].
    pub fn update(&mut self, id: &str, patch: &TaskPatch) -> Result<Task, StoreError> {
        let key = parse_id(id)?;
        let title = patch.title.as_deref().map(check_title).transpose()?;
        if title.is_none() && patch.done.is_none() && patch.status.is_none() {
            return Err(StoreError::Invalid(
                "nothing to change: send `title`, `done`, `status` or several".to_owned(),
            ));
        }
        if let Some(next) = patch.status {
            // The generated rule first, for its typed error; the table's trigger refuses the
            // same change from any other writer.
            self.get(id)?
                .status
                .check_transition(next)
                .map_err(StoreError::Transition)?;
        }
        returning(
            &self.conn,
            &format!(
                "UPDATE task SET title = coalesce(?2, title), done = coalesce(?3, done),
                 status = coalesce(?4, status)
                 WHERE id = ?1 RETURNING {COLUMNS}"
            ),
            params![key, title, patch.done, patch.status.map(TaskState::as_str)],
        )?
        .ok_or_else(|| StoreError::NotFound(id.to_owned()))
    }

    /// Deletes the task with this id and returns its last row.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when there is none.
    pub fn delete(&mut self, id: &str) -> Result<Task, StoreError> {
        let key = parse_id(id)?;
        returning(
            &self.conn,
            &format!("DELETE FROM task WHERE id = ?1 RETURNING {COLUMNS}"),
            params![key],
        )?
        .ok_or_else(|| StoreError::NotFound(id.to_owned()))
    }

    /// Opens a group's transaction ([`crate::writer`]): `BEGIN IMMEDIATE`, which takes the
    /// write lock at once (a deferred one that reads first could not upgrade to a write
    /// after another connection's commit; this one waits for the lock like any write).
    pub(crate) fn begin_group(&self) -> rusqlite::Result<()> {
        self.run_control("BEGIN IMMEDIATE")
    }

    /// Commits the group's transaction.
    pub(crate) fn commit_group(&self) -> rusqlite::Result<()> {
        self.run_control("COMMIT")
    }

    /// Rolls the group's transaction back (nothing to do when SQLite already did).
    pub(crate) fn rollback_group(&self) -> rusqlite::Result<()> {
        if self.conn.is_autocommit() {
            return Ok(());
        }
        self.run_control("ROLLBACK")
    }

    /// Starts one request's savepoint in the group's transaction.
    pub(crate) fn savepoint(&self) -> rusqlite::Result<()> {
        self.run_control("SAVEPOINT request")
    }

    /// Keeps the request's changes in the group.
    pub(crate) fn release(&self) -> rusqlite::Result<()> {
        self.run_control("RELEASE request")
    }

    /// Undoes the request's changes, keeping the group's others.
    pub(crate) fn rollback_to(&self) -> rusqlite::Result<()> {
        if self.conn.is_autocommit() {
            return Ok(());
        }
        self.run_control("ROLLBACK TO request")?;
        self.run_control("RELEASE request")
    }

    /// Whether no transaction is open (SQLite ends one itself after a few failures).
    pub(crate) fn in_autocommit(&self) -> bool {
        self.conn.is_autocommit()
    }

    /// A transaction control statement, prepared once.
    fn run_control(&self, sql: &str) -> rusqlite::Result<()> {
        self.conn.prepare_cached(sql)?.execute([])?;
        Ok(())
    }

    /// The size of the WAL file in bytes (0 when there is none, or in memory).
    pub fn wal_size(&self) -> u64 {
        self.conn
            .path()
            .filter(|path| !path.is_empty())
            .and_then(|path| std::fs::metadata(format!("{path}-wal")).ok())
            .map_or(0, |meta| meta.len())
    }
}

impl Drop for Store {
    /// Leaves the file whole: the WAL checkpointed into the database and truncated.
    fn drop(&mut self) {
        self.checkpoints.stop();
        let _ = checkpoint(&self.conn);
    }
}

/// The most passes of one checkpoint by the checkpoint thread.
const CHECKPOINT_PASSES: usize = 8;

/// The checkpoint thread passes again while more pages than this were committed to the WAL
/// during its last pass (and not copied by it).
const CHECKPOINT_LEFT_PAGES: i64 = 16;

/// What the checkpoint thread is asked to do.
#[derive(Debug)]
enum Checkpoint {
    /// A passive checkpoint.
    Run,
    /// End: the store is closing.
    Stop,
}

/// The store's checkpoint thread, on a connection of its own to the file, so that a
/// checkpoint's copy and file syncs happen beside the writes instead of in a commit.
#[derive(Debug)]
struct Checkpoints {
    kick: std::sync::mpsc::SyncSender<Checkpoint>,
    shared: Arc<CheckpointState>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// What the WAL hook and the checkpoint thread share.
#[derive(Debug, Default)]
struct CheckpointState {
    /// Held while a checkpoint runs: SQLite answers a second checkpointer `SQLITE_BUSY` at
    /// once, so the hook's checkpoint waits here for the thread's to end.
    running: Mutex<()>,
    /// The thread was asked for a checkpoint that the hook has not finished yet.
    kicked: AtomicBool,
    /// The thread's checkpoint ended: the next commit finishes it.
    passed: AtomicBool,
}

impl Checkpoints {
    /// Opens the thread's connection to the database at `path` and starts it.
    fn start(path: &Path) -> Result<Checkpoints, StoreError> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        // The checkpointing connection's setting decides the syncs: the WAL before the copy,
        // the database after it.
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        let (kick, asked) = std::sync::mpsc::sync_channel(1);
        let shared = Arc::new(CheckpointState::default());
        let state = shared.clone();
        let thread = std::thread::Builder::new()
            .name("sqlite-checkpoint".to_owned())
            .spawn(move || {
                while let Ok(Checkpoint::Run) = asked.recv() {
                    // Passes until the frames committed during the last one are few: the
                    // commit that finishes the checkpoint (under the writes' serialisation)
                    // then copies only those, and its time is mostly the two file syncs.
                    for _ in 0..CHECKPOINT_PASSES {
                        let _one = state.running.lock().unwrap_or_else(PoisonError::into_inner);
                        // Passive: copies what no reader still needs, never blocks a writer.
                        let left = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| {
                            Ok(row.get::<_, i64>(1)? - row.get::<_, i64>(2)?)
                        });
                        if left.is_err() || left.is_ok_and(|left| left <= CHECKPOINT_LEFT_PAGES) {
                            break;
                        }
                    }
                    state.passed.store(true, Ordering::Release);
                }
            })
            .map_err(StoreError::Io)?;
        Ok(Checkpoints {
            kick,
            shared,
            thread: Some(thread),
        })
    }

    /// Stops the thread and waits for it.
    fn stop(&mut self) {
        if let Some(thread) = self.thread.take() {
            // Waits for room in the channel: the thread takes a pending `Run` first.
            let _ = self.kick.send(Checkpoint::Stop);
            let _ = thread.join();
        }
    }
}

/// How long the store's connection waits for a lock another connection holds (the relay's
/// pruning of the change table, a `sqlite3` shell), in tries of [`LOCK_TRY`].
const LOCK_TRIES: i32 = 50_000;

/// The time between two tries of a lock: 5 s in all ([`LOCK_TRIES`]).
const LOCK_TRY: std::time::Duration = std::time::Duration::from_micros(100);

/// The store's busy handler: another try every [`LOCK_TRY`], for 5 s. SQLite's own
/// (`busy_timeout`) sleeps 1, 2, 5, 10, 15, 20, 25 ms and on between tries, so a write that
/// found the lock taken for 3 ms waited 8, and every write queued behind it with it.
fn wait_for_lock(tries: i32) -> bool {
    if tries >= LOCK_TRIES {
        return false;
    }
    std::thread::sleep(LOCK_TRY);
    true
}

/// Copies the WAL into the database and truncates it (a no-op in memory).
fn checkpoint(conn: &Connection) -> rusqlite::Result<()> {
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
}

/// Inserts a task with a checked title.
fn insert(conn: &Connection, title: &str) -> Result<Task, StoreError> {
    returning(
        conn,
        &format!(
            "INSERT INTO task (title, created_at) \
             VALUES (?1, strftime('%Y-%m-%dT%H:%M:%SZ', 'now')) RETURNING {COLUMNS}"
        ),
        params![title],
    )?
    .ok_or_else(|| StoreError::Invalid("the insert returned no row".to_owned()))
}

/// Runs a `... RETURNING` statement to completion and returns its first row.
///
/// Stepping such a statement only to its first row (`query_row`) leaves it unfinished: SQLite
/// finishes the write when the statement is reset, and the automatic checkpoint, which runs
/// when a statement completes, does not run; the WAL then grows without bound.
fn returning(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<Option<Task>, StoreError> {
    let mut statement = conn.prepare_cached(sql)?;
    let mut rows = statement.query(params)?;
    let mut first = None;
    while let Some(row) = rows.next()? {
        if first.is_none() {
            first = Some(row_to_task(row)?);
        }
    }
    Ok(first)
}

/// A create whose key was seen before: the task first created with it, when the request is the
/// same (`request`, the title then; `response`, the task as it was answered).
///
/// # Errors
/// [`StoreError::KeyReused`] when the key came with another title, [`StoreError::Invalid`]
/// when the kept answer cannot be read.
pub(crate) fn replay(
    key: &str,
    title: &str,
    request: &str,
    response: &str,
) -> Result<Created, StoreError> {
    if request != title {
        return Err(StoreError::KeyReused(key.to_owned()));
    }
    let task = serde_json::from_str(response).map_err(|e| {
        StoreError::Invalid(format!(
            "the answer kept for key `{key}` is unreadable: {e}"
        ))
    })?;
    Ok(Created::Replayed(task))
}

/// A created task as its key keeps it, for [`replay`].
///
/// # Errors
/// [`StoreError::Invalid`] when the task cannot be written as JSON.
pub(crate) fn kept_answer(task: &Task) -> Result<String, StoreError> {
    serde_json::to_string(task)
        .map_err(|e| StoreError::Invalid(format!("cannot keep the answer: {e}")))
}

pub(crate) fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// Checks an idempotency key: 1 to [`MAX_IDEMPOTENCY_KEY_LEN`] visible ASCII characters.
///
/// # Errors
/// [`StoreError::Invalid`] otherwise.
pub fn check_key(key: &str) -> Result<(), StoreError> {
    if key.is_empty()
        || key.len() > MAX_IDEMPOTENCY_KEY_LEN
        || !key.bytes().all(|b| b.is_ascii_graphic())
    {
        return Err(StoreError::Invalid(format!(
            "an idempotency key is 1 to {MAX_IDEMPOTENCY_KEY_LEN} visible ASCII characters \
             (a UUID is a good one)"
        )));
    }
    Ok(())
}

fn row_to_task(row: &rusqlite::Row<'_>) -> rusqlite::Result<Task> {
    Ok(Task {
        id: row.get::<_, i64>(0)?.to_string(),
        title: row.get(1)?,
        done: row.get(2)?,
        created_at: row.get(3)?,
        status: row
            .get::<_, String>(4)?
            .parse()
            .map_err(|e: sheplang::UnknownName| {
                rusqlite::Error::FromSqlConversionFailure(
                    4,
                    rusqlite::types::Type::Text,
                    Box::new(e),
                )
            })?,
    })
}

/// Ids are SQLite row ids, printed as strings on the wire; anything else names no task.
pub(crate) fn parse_id(id: &str) -> Result<i64, StoreError> {
    id.parse::<i64>()
        .ok()
        .filter(|n| *n > 0 && n.to_string() == id)
        .ok_or_else(|| StoreError::NotFound(id.to_owned()))
}

/// A title as stored: trimmed of surrounding white space, then checked against the spec's
/// constraints by the generated validation (`title: text required minLength=1 maxLength=200`
/// is in `specs/tasks.shep` only).
pub(crate) fn check_title(title: &str) -> Result<&str, StoreError> {
    let title = title.trim();
    let row = Task {
        id: String::new(),
        title: title.to_owned(),
        done: false,
        created_at: String::new(),
        status: TaskState::initial(),
    };
    row.validate().map_err(StoreError::Broken)?;
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
        assert!(matches!(store.create("   "), Err(StoreError::Broken(_))));
        assert!(store.create(&"é".repeat(200)).is_ok());
        let Err(StoreError::Broken(violations)) = store.create(&"é".repeat(201)) else {
            panic!("201 characters are too many");
        };
        assert_eq!(
            violations.to_string(),
            "`title` must be at most 200 characters long"
        );
        let Err(StoreError::Broken(violations)) = store.create("\u{0}") else {
            panic!("a NUL is no title");
        };
        assert_eq!(violations[0].rule, sheplang::Rule::Required);
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
    fn twenty_thousand_creates_keep_the_wal_under_its_bound() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tasks.sqlite3");
        let mut store = Store::open_file(&path).unwrap();
        let mut largest = 0;
        for i in 0..20_000 {
            let task = store.create(&format!("task {i}")).unwrap();
            if i % 3 == 0 {
                // Updates and deletes go through `RETURNING` too.
                store
                    .update(
                        &task.id,
                        &TaskPatch {
                            done: Some(true),
                            ..TaskPatch::default()
                        },
                    )
                    .unwrap();
            }
            if i % 5 == 0 {
                store.delete(&task.id).unwrap();
            }
            largest = largest.max(store.wal_size());
        }
        assert!(largest > 0, "the store runs in WAL mode");
        assert!(
            largest < WAL_BOUND,
            "the WAL reached {largest} bytes; its bound is {WAL_BOUND}"
        );
        drop(store);
        let wal = std::fs::metadata(dir.path().join("tasks.sqlite3-wal")).map_or(0, |m| m.len());
        assert_eq!(
            wal, 0,
            "closing the store checkpoints and truncates the WAL"
        );
    }

    #[test]
    fn an_idempotency_key_creates_once() {
        let mut store = Store::open(&Location::Memory).unwrap();
        let Created::New(first) = store.create_once("k-1", "Pay rent").unwrap() else {
            panic!("the first use of a key creates");
        };
        // The task changes afterwards; a retry still gets the answer of the first request.
        store
            .update(
                &first.id,
                &TaskPatch {
                    done: Some(true),
                    ..TaskPatch::default()
                },
            )
            .unwrap();
        assert_eq!(
            store.create_once("k-1", "Pay rent").unwrap(),
            Created::Replayed(first.clone())
        );
        assert_eq!(store.list().unwrap().len(), 1, "the retry created nothing");
        assert!(matches!(
            store.create_once("k-1", "Something else"),
            Err(StoreError::KeyReused(_))
        ));
        assert!(matches!(
            store.create_once("k-2", "Pay rent").unwrap(),
            Created::New(task) if task.id != first.id
        ));
        for bad in ["", "a b", "é", &"k".repeat(MAX_IDEMPOTENCY_KEY_LEN + 1)] {
            assert!(
                matches!(store.create_once(bad, "x"), Err(StoreError::Invalid(_))),
                "{bad:?}"
            );
        }
        // A refused title records no key: the same key works with a good title afterwards.
        assert!(store.create_once("k-3", " ").is_err());
        assert!(matches!(
            store.create_once("k-3", "ok").unwrap(),
            Created::New(_)
        ));
        assert_eq!(store.list().unwrap().len(), 3);
    }

    /// A database at `path` with one task ("kept", whose id is returned), then `sql` run on it:
    /// how an older version of the store left it.
    fn one_task_as_left_by(path: &Path, sql: &str) -> String {
        let mut store = Store::open_file(path).unwrap();
        let id = store.create("kept").unwrap().id;
        store.conn.execute_batch(sql).unwrap();
        id
    }

    #[test]
    fn a_version_four_change_table_gets_the_row_before() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v4.sqlite3");
        // As version 4 left it: a change table without `before`, triggers that do not fill it.
        let id = one_task_as_left_by(
            &path,
            "DROP TRIGGER task_capture_insert; DROP TRIGGER task_capture_update;
             DROP TRIGGER task_capture_delete;
             ALTER TABLE _sheplang_change DROP COLUMN \"before\";
             PRAGMA user_version = 4;",
        );
        let mut store = Store::open_file(&path).unwrap();
        let done = TaskPatch {
            done: Some(true),
            ..TaskPatch::default()
        };
        store.update(&id, &done).unwrap();
        let before: String = store
            .conn
            .query_row(
                "SELECT \"before\" FROM _sheplang_change ORDER BY seq DESC LIMIT 1",
                [],
                |row| row.get(0),
            )
            .unwrap();
        let before: serde_json::Value = serde_json::from_str(&before).unwrap();
        assert_eq!(before["done"], serde_json::json!(false), "{before}");
        assert_eq!(before["title"], serde_json::json!("kept"));
    }

    #[test]
    fn a_version_five_change_table_is_keyed_by_channel_and_seq() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v5.sqlite3");
        // As version 5 left it: a change table with an `id`, holding the create.
        let id = one_task_as_left_by(
            &path,
            "CREATE TABLE old_change AS SELECT * FROM _sheplang_change;
             DROP TABLE _sheplang_change;
             CREATE TABLE _sheplang_change (
               id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
               channel TEXT NOT NULL, seq INTEGER NOT NULL,
               kind TEXT NOT NULL CHECK (kind IN ('created', 'updated', 'deleted')),
               model TEXT NOT NULL, row_id TEXT NOT NULL, payload TEXT NOT NULL,
               \"before\" TEXT, at INTEGER NOT NULL DEFAULT (unixepoch()),
               UNIQUE (channel, seq));
             INSERT INTO _sheplang_change
               (channel, seq, kind, model, row_id, payload, \"before\", at)
               SELECT channel, seq, kind, model, row_id, payload, \"before\", at
               FROM old_change;
             DROP TABLE old_change;
             PRAGMA user_version = 5;",
        );
        let mut store = Store::open_file(&path).unwrap();
        let (without_rowid, ids): (bool, i64) = store
            .conn
            .query_row(
                "SELECT (SELECT wr FROM pragma_table_list('_sheplang_change')),
                        (SELECT count(*) FROM pragma_table_info('_sheplang_change')
                         WHERE name = 'id')",
                [],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .unwrap();
        assert!(without_rowid, "the change table is WITHOUT ROWID");
        assert_eq!(ids, 0, "the change table has no `id` any more");
        store.delete(&id).unwrap();
        let changes: Vec<(i64, String)> = store
            .conn
            .prepare("SELECT seq, kind FROM _sheplang_change ORDER BY seq")
            .unwrap()
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let kinds: Vec<&str> = changes.iter().map(|(_, kind)| kind.as_str()).collect();
        assert_eq!(
            kinds.last().copied(),
            Some("deleted"),
            "the triggers write to the new table: {changes:?}"
        );
        assert_eq!(
            kinds.iter().filter(|k| **k == "created").count(),
            1,
            "the create of version 5 is kept: {changes:?}"
        );
        let seqs: Vec<i64> = changes.iter().map(|(seq, _)| *seq).collect();
        let expected: Vec<i64> = (1..=i64::try_from(seqs.len()).unwrap()).collect();
        assert_eq!(seqs, expected, "positions go on without a gap");
    }

    #[test]
    fn a_version_one_database_is_migrated() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.sqlite3");
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(SCHEMA_V1).unwrap();
            conn.execute(
                "INSERT INTO task (title, created_at) VALUES ('kept', '2026-11-30T09:00:00Z')",
                [],
            )
            .unwrap();
            conn.pragma_update(None, "user_version", 1).unwrap();
        }
        let mut store = Store::open_file(&path).unwrap();
        assert!(!store.is_fresh());
        assert_eq!(store.list().unwrap()[0].title, "kept");
        let kept = store.list().unwrap()[0].id.clone();
        let skip = TaskPatch {
            status: Some(TaskState::Done),
            ..TaskPatch::default()
        };
        assert!(matches!(
            store.update(&kept, &skip),
            Err(StoreError::Transition(_))
        ));
        assert!(matches!(
            store.create_once("k", "new").unwrap(),
            Created::New(_)
        ));
        drop(store);
        let conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
        drop(conn);
        let error = Store::open_file(&path).unwrap_err().to_string();
        assert!(error.contains("schema version 99"), "{error}");
    }
}
