//! The task store on PostgreSQL (`--db postgres://...`): the same tasks, API and answers as the
//! SQLite [`Store`](crate::Store), in the tables the spec generates for PostgreSQL
//! (`tasks.postgres.sql`) with their change capture (`tasks.capture.postgres.sql`). The
//! handlers only write; the realtime server's log is a `PostgresLog` of the same database,
//! which relays every committed change, whoever made it (`psql`, another process).
//!
//! # Group commit
//!
//! The store's one connection belongs to a task of its own, as the SQLite store's connection
//! belongs to its writer thread ([`crate::writer`]). The requests waiting when the task is free
//! make a group: one `BEGIN`, every request's statements sent together without waiting for
//! each answer (pipelined, on statements prepared once), one `COMMIT`, and only then the
//! answers. The commit's fixed costs (its WAL flush, and with capture the `NOTIFY`, its lock
//! and its signal to the listening relay) are paid once per group, and the connection's round
//! trips once per group instead of twice per request. A lone request runs alone, in a
//! transaction of its own, as before: nothing waits for others to come.
//!
//! PostgreSQL ends a transaction at a failed statement, so a group in which a statement fails
//! is rolled back whole and each of its requests runs again alone, in its own transaction, in
//! the group's order: a request that fails is answered with its own error and the others as if
//! they had come one by one. A request that fails without a failed statement (a title the spec
//! refuses, a task not found, a key reused) leaves the group's transaction as it was. Two
//! creates with one idempotency key in one group both see no key; the second's insert of the
//! key breaks its primary key, and the run one by one answers it with the first's task.
//!
//! # The schema
//!
//! On connecting, under an advisory lock (several demo processes may start at once on one
//! database): the spec's tables when the database (the connection's `search_path`) has no
//! `task` table yet, then the idempotency keys' table and the capture, both of which may run
//! again (the capture SQL re-creates its triggers, so a newer demo brings them up to date).

use core::future::Future;
use core::pin::Pin;
use core::task::Poll;

use tokio::sync::{mpsc, oneshot};
use tokio_postgres::{Client, NoTls, Row, Statement};

use crate::store::{
    Created, IDEMPOTENCY_KEY_TTL_SECS, StoreError, TaskPatch, check_key, check_title, kept_answer,
    parse_id, replay,
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

/// The most requests committed in one transaction.
pub const MAX_GROUP: usize = 64;

/// The tasks in a PostgreSQL database.
pub struct PgStore {
    /// The queue of the task that owns the connection (see the module's docs).
    jobs: mpsc::UnboundedSender<Job>,
    url: String,
    fresh: bool,
}

/// A request of the API, run by the connection's task.
#[derive(Debug)]
enum Op {
    List,
    Get(String),
    /// A create with a checked title.
    Create(String),
    CreateOnce {
        key: String,
        title: String,
    },
    Update(String, TaskPatch),
    Delete(String),
}

/// What a request answers.
enum Done {
    Tasks(Vec<Task>),
    Task(Task),
    Created(Created),
}

/// A request and where its answer goes.
struct Job {
    op: Op,
    reply: oneshot::Sender<Result<Done, StoreError>>,
}

/// The store's statements, prepared once on its connection.
struct Statements {
    list: Statement,
    get: Statement,
    insert: Statement,
    update: Statement,
    delete: Statement,
    expire_keys: Statement,
    find_key: Statement,
    keep_key: Statement,
}

impl Statements {
    async fn prepare(client: &Client) -> Result<Statements, tokio_postgres::Error> {
        Ok(Statements {
            // `task.id`: a bare `id` would name the output column, the id as text.
            list: client
                .prepare(&format!("SELECT {COLUMNS} FROM task ORDER BY task.id"))
                .await?,
            get: client
                .prepare(&format!("SELECT {COLUMNS} FROM task WHERE id = $1"))
                .await?,
            // Its creation time to the second, as on SQLite.
            insert: client
                .prepare(&format!(
                    "INSERT INTO task (title, created_at) \
                     VALUES ($1, date_trunc('second', now())) RETURNING {COLUMNS}"
                ))
                .await?,
            update: client
                .prepare(&format!(
                    "UPDATE task SET title = coalesce($2, title), done = coalesce($3, done),
                     status = coalesce($4, status)
                     WHERE id = $1 RETURNING {COLUMNS}"
                ))
                .await?,
            delete: client
                .prepare(&format!(
                    "DELETE FROM task WHERE id = $1 RETURNING {COLUMNS}"
                ))
                .await?,
            expire_keys: client
                .prepare("DELETE FROM idempotency_key WHERE created_at < $1")
                .await?,
            find_key: client
                .prepare("SELECT request, response FROM idempotency_key WHERE key = $1")
                .await?,
            keep_key: client
                .prepare(
                    "INSERT INTO idempotency_key (key, request, response, created_at) \
                     VALUES ($1, $2, $3, $4)",
                )
                .await?,
        })
    }
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
        let statements = Statements::prepare(&client).await?;
        let (jobs, queue) = mpsc::unbounded_channel();
        tokio::spawn(serve(client, statements, queue));
        Ok(PgStore {
            jobs,
            url: url.to_owned(),
            fresh,
        })
    }

    /// Runs `op` in the next group; its answer once the group is committed.
    async fn run(&self, op: Op) -> Result<Done, StoreError> {
        let (reply, answer) = oneshot::channel();
        let gone = || StoreError::Thread(std::io::Error::other("the PostgreSQL store stopped"));
        self.jobs.send(Job { op, reply }).map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
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
        match self.run(Op::List).await? {
            Done::Tasks(tasks) => Ok(tasks),
            _ => Err(unexpected()),
        }
    }

    /// The task with this id.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when there is none.
    pub async fn get(&self, id: &str) -> Result<Task, StoreError> {
        parse_id(id)?;
        task(self.run(Op::Get(id.to_owned())).await?)
    }

    /// Creates an open task.
    ///
    /// # Errors
    /// [`StoreError::Broken`] for a title the spec refuses.
    pub async fn create(&self, title: &str) -> Result<Task, StoreError> {
        let title = check_title(title)?;
        task(self.run(Op::Create(title.to_owned())).await?)
    }

    /// Creates an open task once per idempotency `key`, as
    /// [`Store::create_once`](crate::Store::create_once) does.
    ///
    /// # Errors
    /// As [`Store::create_once`](crate::Store::create_once).
    pub async fn create_once(&self, key: &str, title: &str) -> Result<Created, StoreError> {
        check_key(key)?;
        let op = Op::CreateOnce {
            key: key.to_owned(),
            title: title.to_owned(),
        };
        match self.run(op).await? {
            Done::Created(created) => Ok(created),
            _ => Err(unexpected()),
        }
    }

    /// Applies `patch` to the task with this id and returns the new row.
    ///
    /// # Errors
    /// As [`Store::update`](crate::Store::update).
    pub async fn update(&self, id: &str, patch: &TaskPatch) -> Result<Task, StoreError> {
        parse_id(id)?;
        let title = patch.title.as_deref().map(check_title).transpose()?;
        if title.is_none() && patch.done.is_none() && patch.status.is_none() {
            return Err(StoreError::Invalid(
                "nothing to change: send `title`, `done`, `status` or several".to_owned(),
            ));
        }
        task(self.run(Op::Update(id.to_owned(), patch.clone())).await?)
    }

    /// Deletes the task with this id and returns its last row.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when there is none.
    pub async fn delete(&self, id: &str) -> Result<Task, StoreError> {
        parse_id(id)?;
        task(self.run(Op::Delete(id.to_owned())).await?)
    }
}

/// The task of an answer.
fn task(done: Done) -> Result<Task, StoreError> {
    match done {
        Done::Task(task) => Ok(task),
        _ => Err(unexpected()),
    }
}

fn unexpected() -> StoreError {
    StoreError::Invalid("the PostgreSQL store answered a request with another's answer".to_owned())
}

/// The connection's task: a group for each time it finds requests waiting, until the store is
/// dropped.
async fn serve(
    mut client: Client,
    statements: Statements,
    mut queue: mpsc::UnboundedReceiver<Job>,
) {
    let mut group = Vec::with_capacity(MAX_GROUP);
    while let Some(first) = queue.recv().await {
        group.push(first);
        while group.len() < MAX_GROUP {
            match queue.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        if group.len() == 1 {
            for job in group.drain(..) {
                let answer = alone(&mut client, &statements, &job.op).await;
                let _ = job.reply.send(answer);
            }
        } else {
            commit_group(&mut client, &statements, &mut group).await;
        }
    }
}

/// A request of a group, running.
type Pending<'a> = Pin<Box<dyn Future<Output = Result<Done, StoreError>> + Send + 'a>>;

/// Runs `group` in one transaction, its statements pipelined, commits, and answers each; a
/// failed statement or commit: the group rolled back, each request again alone.
async fn commit_group(client: &mut Client, statements: &Statements, group: &mut Vec<Job>) {
    let answers = {
        let client = &*client;
        // `BEGIN` goes out first, the requests' first statements right behind it: should it
        // fail, so do they (a broken connection, or a transaction already failed).
        let mut begin = core::pin::pin!(client.batch_execute("BEGIN"));
        let mut requests: Vec<Pending<'_>> = group
            .iter()
            .map(|job| -> Pending<'_> { Box::pin(run(client, statements, &job.op)) })
            .collect();
        let mut begun = None;
        let mut answers: Vec<Option<Result<Done, StoreError>>> =
            group.iter().map(|_| None).collect();
        // Polled in order, so the statements are sent in the group's order.
        core::future::poll_fn(|cx| {
            if begun.is_none()
                && let Poll::Ready(result) = begin.as_mut().poll(cx)
            {
                begun = Some(result);
            }
            let mut waiting = begun.is_none();
            for (request, answer) in requests.iter_mut().zip(answers.iter_mut()) {
                if answer.is_none() {
                    match request.as_mut().poll(cx) {
                        Poll::Ready(result) => *answer = Some(result),
                        Poll::Pending => waiting = true,
                    }
                }
            }
            if waiting {
                Poll::Pending
            } else {
                Poll::Ready(())
            }
        })
        .await;
        let failed = !matches!(begun, Some(Ok(())))
            || answers
                .iter()
                .any(|answer| matches!(answer, Some(Err(StoreError::Postgres(_)))));
        if failed {
            None
        } else if client.batch_execute("COMMIT").await.is_ok() {
            Some(answers)
        } else {
            None
        }
    };
    match answers {
        Some(answers) => {
            for (job, answer) in group.drain(..).zip(answers) {
                let answer = answer.unwrap_or_else(|| Err(unexpected()));
                let _ = job.reply.send(answer);
            }
        }
        None => {
            // Nothing of the group is committed (a failed statement ends the transaction, a
            // failed commit rolls it back): each request again, alone.
            let _ = client.batch_execute("ROLLBACK").await;
            for job in group.drain(..) {
                let answer = alone(client, statements, &job.op).await;
                let _ = job.reply.send(answer);
            }
        }
    }
}

/// Runs `op` in a transaction of its own: a create with a key in an explicit one, any other
/// request as its statement's own.
async fn alone(client: &mut Client, statements: &Statements, op: &Op) -> Result<Done, StoreError> {
    if let Op::CreateOnce { .. } = op {
        let tx = client.transaction().await?;
        let done = run(&tx, statements, op).await?;
        tx.commit().await?;
        Ok(done)
    } else {
        run(&*client, statements, op).await
    }
}

/// Runs the statements of `op` on `client`, within whatever transaction it is in.
async fn run(
    client: &impl tokio_postgres::GenericClient,
    statements: &Statements,
    op: &Op,
) -> Result<Done, StoreError> {
    match op {
        Op::List => {
            let rows = client.query(&statements.list, &[]).await?;
            Ok(Done::Tasks(
                rows.iter().map(row_to_task).collect::<Result<_, _>>()?,
            ))
        }
        Op::Get(id) => get(client, statements, id).await.map(Done::Task),
        Op::Create(title) => insert(client, statements, title).await.map(Done::Task),
        Op::CreateOnce { key, title } => create_once(client, statements, key, title)
            .await
            .map(Done::Created),
        Op::Update(id, patch) => update(client, statements, id, patch).await.map(Done::Task),
        Op::Delete(id) => {
            let row = client
                .query_opt(&statements.delete, &[&parse_id(id)?])
                .await?;
            found(row.as_ref(), id).map(Done::Task)
        }
    }
}

async fn get(
    client: &impl tokio_postgres::GenericClient,
    statements: &Statements,
    id: &str,
) -> Result<Task, StoreError> {
    let row = client.query_opt(&statements.get, &[&parse_id(id)?]).await?;
    found(row.as_ref(), id)
}

/// The task of a statement that returns the row of task `id`, if there is one.
fn found(row: Option<&Row>, id: &str) -> Result<Task, StoreError> {
    row.map(row_to_task)
        .transpose()?
        .ok_or_else(|| StoreError::NotFound(id.to_owned()))
}

/// Inserts a task with a checked title.
async fn insert(
    client: &impl tokio_postgres::GenericClient,
    statements: &Statements,
    title: &str,
) -> Result<Task, StoreError> {
    let row = client.query_one(&statements.insert, &[&title]).await?;
    row_to_task(&row)
}

/// [`PgStore::create_once`] within the caller's transaction.
async fn create_once(
    client: &impl tokio_postgres::GenericClient,
    statements: &Statements,
    key: &str,
    title: &str,
) -> Result<Created, StoreError> {
    let now = crate::store::unix_now();
    client
        .execute(
            &statements.expire_keys,
            &[&(now - IDEMPOTENCY_KEY_TTL_SECS)],
        )
        .await?;
    if let Some(seen) = client.query_opt(&statements.find_key, &[&key]).await? {
        let (request, response): (String, String) = (seen.get(0), seen.get(1));
        return replay(key, title, &request, &response);
    }
    let task = insert(client, statements, check_title(title)?).await?;
    let response = kept_answer(&task)?;
    client
        .execute(&statements.keep_key, &[&key, &title, &response, &now])
        .await?;
    Ok(Created::New(task))
}

/// [`PgStore::update`] within the caller's transaction.
async fn update(
    client: &impl tokio_postgres::GenericClient,
    statements: &Statements,
    id: &str,
    patch: &TaskPatch,
) -> Result<Task, StoreError> {
    let key = parse_id(id)?;
    let title = patch.title.as_deref().map(check_title).transpose()?;
    if let Some(next) = patch.status {
        // The generated rule first, for its typed error; the table's trigger refuses the
        // same change from any other writer.
        get(client, statements, id)
            .await?
            .status
            .check_transition(next)
            .map_err(StoreError::Transition)?;
    }
    let row = client
        .query_opt(
            &statements.update,
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
