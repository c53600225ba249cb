//! The task store on PostgreSQL (`--db postgres://...`): the same tasks, API and answers as the
//! SQLite [`Store`](crate::Store), in the tables the spec generates for PostgreSQL
//! (`tasks.postgres.sql`) with their change capture (`tasks.capture.postgres.sql`). The
//! handlers only write; the realtime server's log is a `PostgresLog` of the same database,
//! which relays every committed change, whoever made it (`psql`, another process).
//!
//! # The schema
//!
//! On connecting, under an advisory lock (several demo processes may start at once on one
//! database): the spec's tables when the database (the connection's `search_path`) has no
//! `task` table yet, then the idempotency keys' table and the capture, both of which may run
//! again (the capture SQL re-creates its triggers, so a newer demo brings them up to date).

use tokio_postgres::{Client, NoTls, Row};

use crate::store::{
    Created, IDEMPOTENCY_KEY_TTL_SECS, StoreError, TaskPatch, check_key, check_title, parse_id,
};
use crate::tasks::{Task, TaskState};

/// The spec's tables on PostgreSQL (`build.rs` names the table `task`, its `createdAt` column
/// `created_at`, and gives it an integer id), with the lifecycle's transition trigger.
const TABLES: &str = include_str!(concat!(env!("OUT_DIR"), "/sheplang/tasks.postgres.sql"));

/// The change capture generated from the spec (`docs/capture.md`).
const CAPTURE: &str = include_str!(concat!(
    env!("OUT_DIR"),
    "/sheplang/tasks.capture.postgres.sql"
));

/// The idempotency keys of creates.
const IDEMPOTENCY: &str = include_str!("idempotency.postgres.sql");

/// A task's columns as the wire writes them: the id as its decimal string, `created_at` in UTC
/// as `2026-11-30T09:00:00Z` (the capture triggers' own form, so an answer of the API and the
/// event of the same write carry the same row).
const COLUMNS: &str = r#"id::text, title, done,
  regexp_replace(to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), '\.?0+Z$', 'Z'),
  status"#;

/// The tasks in a PostgreSQL database.
pub struct PgStore {
    /// One connection; a create with an idempotency key takes it for its transaction.
    client: tokio::sync::Mutex<Client>,
    url: String,
    fresh: bool,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore")
            .field("url", &without_password(&self.url))
            .field("fresh", &self.fresh)
            .finish_non_exhaustive()
    }
}

/// A connection string with its password, if any, replaced by `***` (for messages).
pub fn without_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((user_info, host)) => match user_info.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}{tail}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

impl PgStore {
    /// Connects to the database of `url` and creates what it lacks (see the module's docs).
    ///
    /// # Errors
    /// When PostgreSQL cannot be reached or refuses the schema.
    pub async fn connect(url: &str) -> Result<PgStore, StoreError> {
        let (mut client, connection) = tokio_postgres::connect(url, NoTls).await.map_err(|e| {
            StoreError::Invalid(format!(
                "cannot connect to PostgreSQL at `{}`: {e}; check the connection string \
                 (`postgres://user@host:port/database`)",
                without_password(url)
            ))
        })?;
        tokio::spawn(async move {
            let _ = connection.await;
        });
        let tx = client.transaction().await?;
        tx.batch_execute(
            "SET LOCAL client_min_messages = warning;
             SELECT pg_advisory_xact_lock(hashtext('sheplang-demo schema'));",
        )
        .await?;
        let fresh: bool = tx
            .query_one("SELECT to_regclass('task') IS NULL", &[])
            .await?
            .get(0);
        if fresh {
            tx.batch_execute(TABLES).await?;
        }
        tx.batch_execute(IDEMPOTENCY).await?;
        tx.batch_execute(CAPTURE).await?;
        tx.commit().await?;
        Ok(PgStore {
            client: tokio::sync::Mutex::new(client),
            url: url.to_owned(),
            fresh,
        })
    }

    /// The connection string.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Whether this connect created the tables (a new database).
    pub fn is_fresh(&self) -> bool {
        self.fresh
    }

    /// Adds the welcome tasks (done once, on a new database, by the server).
    ///
    /// # Errors
    /// When PostgreSQL fails.
    pub async fn seed_examples(&self) -> Result<Vec<Task>, StoreError> {
        let mut tasks = Vec::new();
        for title in crate::store::WELCOME_TASKS {
            tasks.push(self.create(title).await?);
        }
        Ok(tasks)
    }

    /// Every task, oldest first.
    ///
    /// # Errors
    /// When PostgreSQL fails.
    pub async fn list(&self) -> Result<Vec<Task>, StoreError> {
        let client = self.client.lock().await;
        // `task.id`: a bare `id` would name the output column, the id as text.
        let rows = client
            .query(&format!("SELECT {COLUMNS} FROM task ORDER BY task.id"), &[])
            .await?;
        rows.iter().map(row_to_task).collect()
    }

    /// The task with this id.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when there is none.
    pub async fn get(&self, id: &str) -> Result<Task, StoreError> {
        let key = parse_id(id)?;
        let client = self.client.lock().await;
        get(&client, key)
            .await?
            .ok_or_else(|| StoreError::NotFound(id.to_owned()))
    }

    /// Creates an open task.
    ///
    /// # Errors
    /// [`StoreError::Broken`] for a title the spec refuses.
    pub async fn create(&self, title: &str) -> Result<Task, StoreError> {
        let title = check_title(title)?;
        let client = self.client.lock().await;
        insert(&*client, title).await
    }

    /// Creates an open task once per idempotency `key`, as
    /// [`Store::create_once`](crate::Store::create_once) does.
    ///
    /// # Errors
    /// As [`Store::create_once`](crate::Store::create_once).
    pub async fn create_once(&self, key: &str, title: &str) -> Result<Created, StoreError> {
        check_key(key)?;
        let mut client = self.client.lock().await;
        let tx = client.transaction().await?;
        let now = crate::store::unix_now();
        tx.execute(
            "DELETE FROM idempotency_key WHERE created_at < $1",
            &[&(now - IDEMPOTENCY_KEY_TTL_SECS)],
        )
        .await?;
        let seen = tx
            .query_opt(
                "SELECT request, response FROM idempotency_key WHERE key = $1",
                &[&key],
            )
            .await?;
        if let Some(seen) = seen {
            let (request, response): (String, String) = (seen.get(0), seen.get(1));
            if request != title {
                return Err(StoreError::KeyReused(key.to_owned()));
            }
            let task = serde_json::from_str(&response).map_err(|e| {
                StoreError::Invalid(format!(
                    "the answer kept for key `{key}` is unreadable: {e}"
                ))
            })?;
            return Ok(Created::Replayed(task));
        }
        let task = insert(&tx, check_title(title)?).await?;
        let response = serde_json::to_string(&task)
            .map_err(|e| StoreError::Invalid(format!("cannot keep the answer: {e}")))?;
        tx.execute(
            "INSERT INTO idempotency_key (key, request, response, created_at) \
             VALUES ($1, $2, $3, $4)",
            &[&key, &title, &response, &now],
        )
        .await?;
        tx.commit().await?;
        Ok(Created::New(task))
    }

    /// Applies `patch` to the task with this id and returns the new row.
    ///
    /// # Errors
    /// As [`Store::update`](crate::Store::update).
    pub async fn update(&self, id: &str, patch: &TaskPatch) -> Result<Task, StoreError> {
        let key = parse_id(id)?;
        let title = patch.title.as_deref().map(check_title).transpose()?;
        if title.is_none() && patch.done.is_none() && patch.status.is_none() {
            return Err(StoreError::Invalid(
                "nothing to change: send `title`, `done`, `status` or several".to_owned(),
            ));
        }
        let client = self.client.lock().await;
        if let Some(next) = patch.status {
            // The generated rule first, for its typed error; the table's trigger refuses the
            // same change from any other writer.
            get(&client, key)
                .await?
                .ok_or_else(|| StoreError::NotFound(id.to_owned()))?
                .status
                .check_transition(next)
                .map_err(StoreError::Transition)?;
        }
        let row = client
            .query_opt(
                &format!(
                    "UPDATE task SET title = coalesce($2, title), done = coalesce($3, done),
                     status = coalesce($4, status)
                     WHERE id = $1 RETURNING {COLUMNS}"
                ),
                &[
                    &key,
                    &title,
                    &patch.done,
                    &patch.status.map(TaskState::as_str),
                ],
            )
            .await?;
        row.as_ref()
            .map(row_to_task)
            .transpose()?
            .ok_or_else(|| StoreError::NotFound(id.to_owned()))
    }

    /// Deletes the task with this id and returns its last row.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when there is none.
    pub async fn delete(&self, id: &str) -> Result<Task, StoreError> {
        let key = parse_id(id)?;
        let client = self.client.lock().await;
        let row = client
            .query_opt(
                &format!("DELETE FROM task WHERE id = $1 RETURNING {COLUMNS}"),
                &[&key],
            )
            .await?;
        row.as_ref()
            .map(row_to_task)
            .transpose()?
            .ok_or_else(|| StoreError::NotFound(id.to_owned()))
    }
}

async fn get(client: &Client, key: i64) -> Result<Option<Task>, StoreError> {
    let row = client
        .query_opt(
            &format!("SELECT {COLUMNS} FROM task WHERE id = $1"),
            &[&key],
        )
        .await?;
    row.as_ref().map(row_to_task).transpose()
}

/// Inserts a task with a checked title (its creation time to the second, as on SQLite).
async fn insert(
    client: &impl tokio_postgres::GenericClient,
    title: &str,
) -> Result<Task, StoreError> {
    let row = client
        .query_one(
            &format!(
                "INSERT INTO task (title, created_at) VALUES ($1, date_trunc('second', now())) \
                 RETURNING {COLUMNS}"
            ),
            &[&title],
        )
        .await?;
    row_to_task(&row)
}

fn row_to_task(row: &Row) -> Result<Task, StoreError> {
    let status: String = row.try_get(4)?;
    Ok(Task {
        id: row.try_get(0)?,
        title: row.try_get(1)?,
        done: row.try_get(2)?,
        created_at: row.try_get(3)?,
        status: status.parse().map_err(|e: sheplang::UnknownName| {
            StoreError::Invalid(format!("a task's status is unknown: {e}"))
        })?,
    })
}
