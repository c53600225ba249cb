//! [`SqliteLog`]: the event log over a SQLite database's change table.

use core::fmt;
use core::time::Duration;
use std::borrow::Cow;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use rusqlite::{Connection, OptionalExtension as _, params};
use serde_json::value::RawValue;
use tokio::sync::Notify;

use super::{
    BATCH, CaptureOptions, ChangeTable, LocalFeed, kind_name, kind_of, relay, relay_into, row_id,
    statement, unix_now,
};
use crate::log::{Entry, EventLog, Feed, LogError, LogEvent, LogFuture, Position, Replay};

/// The statements, shared with the Node reader (`capture.ts` of the TypeScript runtime).
const SQL: &str = include_str!("../../../sheplang-core/runtime/api/realtime/capture/sqlite.sql");

fn sql(name: &str) -> &'static str {
    statement(SQL, name)
}

/// The event log over a SQLite database file whose model tables carry the generated capture
/// triggers (`<stem>.capture.sqlite.sql`): every committed write of a model's row, made by any
/// connection of any process, is relayed to the server's subscribers, in commit order.
///
/// The relay reads the change table on its own connection. It looks for new changes when a
/// [`ChangeWaker`] says a commit happened (install one on the writing connection's commit hook:
/// the change reaches the pages at once), and every [`poll`](CaptureOptions::poll) for writes
/// of other processes (a `sqlite3` shell, a cron job).
///
/// ```ignore
/// let log = SqliteLog::open("tasks.sqlite3", CaptureOptions::default())?;
/// let waker = log.waker(); // called after each commit of the host's connection
/// let (realtime, layer) = RealtimeServer::<app::Spec>::builder().log(log).build();
/// ```
#[derive(Clone)]
pub struct SqliteLog {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    conn: Mutex<Connection>,
    epoch: Arc<str>,
    options: CaptureOptions,
    wake: Arc<Notify>,
    feed: LocalFeed,
}

/// Wakes the relay of a [`SqliteLog`]: call [`wake`](Self::wake) after a commit (from a commit
/// or WAL hook of the writing connection) and the change is relayed without waiting for the
/// next poll. Cheap to clone; a wake while the relay is busy is kept for its next look.
#[derive(Clone)]
pub struct ChangeWaker(Arc<Notify>);

impl ChangeWaker {
    /// A commit happened: look at the change table now.
    pub fn wake(&self) {
        self.0.notify_one();
    }
}

impl fmt::Debug for ChangeWaker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChangeWaker").finish_non_exhaustive()
    }
}

impl fmt::Debug for SqliteLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteLog")
            .field("path", &self.inner.path)
            .field("epoch", &self.inner.epoch)
            .field("options", &self.inner.options)
            .finish_non_exhaustive()
    }
}

fn failed(path: &Path) -> impl Fn(rusqlite::Error) -> LogError + '_ {
    move |e| {
        LogError::new(format!(
            "the change log in `{}` cannot be read: {e}",
            path.display()
        ))
    }
}

impl SqliteLog {
    /// Opens the change log of the database file at `path` (on a connection of its own).
    ///
    /// # Errors
    /// When the file cannot be opened, or has no change table (the capture SQL was not run).
    pub fn open(path: impl AsRef<Path>, options: CaptureOptions) -> Result<SqliteLog, LogError> {
        let path = path.as_ref().to_path_buf();
        let conn = Connection::open(&path).map_err(failed(&path))?;
        conn.busy_timeout(LOCK_WAIT).map_err(failed(&path))?;
        let epoch: Option<String> = conn
            .query_row(sql("epoch"), [], |row| row.get(0))
            .optional()
            .map_err(|e| {
                LogError::new(format!(
                    "`{}` has no change table ({e}); run the generated \
                     `<stem>.capture.sqlite.sql` on it after the tables (docs/capture.md)",
                    path.display()
                ))
            })?;
        let Some(epoch) = epoch else {
            return Err(LogError::new(format!(
                "the change log of `{}` has no epoch; run the generated \
                 `<stem>.capture.sqlite.sql` on it again",
                path.display()
            )));
        };
        Ok(SqliteLog {
            inner: Arc::new(Inner {
                path,
                conn: Mutex::new(conn),
                epoch: epoch.into(),
                options,
                wake: Arc::new(Notify::new()),
                feed: LocalFeed::default(),
            }),
        })
    }

    /// The handle that wakes the relay after a commit of this process.
    pub fn waker(&self) -> ChangeWaker {
        ChangeWaker(self.inner.wake.clone())
    }

    /// Runs `work` on the log's connection, on the blocking pool.
    async fn blocking<T, F>(&self, work: F) -> Result<T, LogError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let conn = inner.conn.lock().unwrap_or_else(PoisonError::into_inner);
            work(&conn).map_err(failed(&inner.path))
        })
        .await
        .map_err(|e| LogError::new(format!("the change log's task failed: {e}")))?
    }

    /// Every channel's last position, read together.
    async fn heads(&self, channels: Vec<String>) -> Result<HashMap<String, u64>, LogError> {
        self.blocking(move |conn| {
            let tx = conn.unchecked_transaction()?;
            let mut heads = HashMap::new();
            for channel in channels {
                let head = head(&tx, &channel)?;
                heads.insert(channel, head);
            }
            tx.commit()?;
            Ok(heads)
        })
        .await
    }
}

impl ChangeTable for SqliteLog {
    async fn batch(
        &self,
        from: &HashMap<String, u64>,
    ) -> Result<Vec<(String, Vec<Entry>)>, LogError> {
        let from = from.clone();
        self.blocking(move |conn| {
            let tx = conn.unchecked_transaction()?;
            let mut out = Vec::new();
            for (channel, after) in from {
                let rows = changes_after(&tx, &channel, after, BATCH)?;
                if !rows.is_empty() {
                    out.push((channel, rows));
                }
            }
            tx.commit()?;
            Ok(out)
        })
        .await
    }

    /// The wake-ups come from this process's commits ([`ChangeWaker`]): nothing to save.
    async fn pause_wakeups(&self) -> bool {
        false
    }

    async fn resume_wakeups(&self) {}

    async fn prune(&self, relayed: &HashMap<String, u64>) {
        let done = relayed.clone();
        let (capacity, max_age) = (self.inner.options.capacity, self.inner.options.max_age);
        let _ = self
            .blocking(move |conn| {
                // The writers of the database wait while a prune holds the write lock: it
                // removes at most `PRUNE_CHUNK` changes a transaction, pausing between two,
                // and gives up for this time when the lock stays taken.
                conn.busy_timeout(PRUNE_LOCK_WAIT)?;
                let pruned = prune_in_chunks(conn, &done, capacity, max_age);
                conn.busy_timeout(LOCK_WAIT)?;
                pruned
            })
            .await;
    }

    async fn lease(
        &self,
        target: &str,
        holder: &str,
        until: i64,
        now: i64,
    ) -> Result<bool, LogError> {
        let (target, holder) = (target.to_owned(), holder.to_owned());
        let changed = self
            .blocking(move |conn| {
                conn.prepare_cached(sql("lease"))?
                    .execute(params![target, holder, until, now])
            })
            .await?;
        Ok(changed == 1)
    }

    async fn unrelayed(
        &self,
        target: &str,
        channels: &[String],
    ) -> Result<Vec<(String, Vec<Entry>)>, LogError> {
        let (target, channels) = (target.to_owned(), channels.to_vec());
        self.blocking(move |conn| {
            let tx = conn.unchecked_transaction()?;
            let mut out = Vec::new();
            for channel in channels {
                let relayed: Option<i64> = tx
                    .prepare_cached(sql("relayed"))?
                    .query_row(params![target, channel], |row| row.get(0))
                    .optional()?;
                // `relay_into` gave every channel its start.
                let Some(relayed) = relayed else {
                    continue;
                };
                let after = u64::try_from(relayed).unwrap_or(0);
                let rows = changes_after(&tx, &channel, after, BATCH)?;
                if !rows.is_empty() {
                    out.push((channel, rows));
                }
            }
            tx.commit()?;
            Ok(out)
        })
        .await
    }

    async fn set_relayed(&self, target: &str, channel: &str, relayed: u64) -> Result<(), LogError> {
        let (target, channel) = (target.to_owned(), channel.to_owned());
        self.blocking(move |conn| {
            conn.prepare_cached(sql("set_relayed"))?.execute(params![
                target,
                channel,
                to_i64(relayed)
            ])
        })
        .await?;
        Ok(())
    }
}

impl SqliteLog {
    /// Relays every change committed from now on into `target` (a shared log, such as a
    /// `RedisLog`, that the servers of several processes follow), in order, and keeps doing
    /// so in the background. Several processes may call this on one database: one of them
    /// holds a lease (renewed every second, taken over 3 s after its holder stops) and
    /// relays; the others wait. The position relayed so far is stored in the database, so a
    /// relay that restarts goes on where it stopped. A change is appended at least once: a
    /// relay stopped between an append and the write of its position appends it again.
    ///
    /// Must be called within a Tokio runtime. `name` names the target (its stored position).
    ///
    /// # Errors
    /// When the relay's tables cannot be created.
    pub fn relay_into(
        &self,
        name: &str,
        channels: &[&str],
        target: Arc<dyn EventLog>,
    ) -> Result<(), LogError> {
        self.inner
            .conn
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .execute_batch(sql("relay_tables"))
            .map_err(failed(&self.inner.path))?;
        self.start_relay(name, channels)?;
        let channels = channels.iter().map(|c| (*c).to_owned()).collect();
        tokio::spawn(relay_into(
            self.clone(),
            name.to_owned(),
            channels,
            target,
            self.inner.wake.clone(),
            self.inner.options.poll,
        ));
        Ok(())
    }

    /// Fixes where the relay of each channel into `name` starts, before `relay_into` returns:
    /// at the channel's head for a new target, so no change committed after the call is missed.
    fn start_relay(&self, name: &str, channels: &[&str]) -> Result<(), LogError> {
        let conn = self
            .inner
            .conn
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        for channel in channels {
            conn.execute(sql("start_relay"), params![name, channel])
                .map_err(failed(&self.inner.path))?;
        }
        Ok(())
    }
}

/// How long the log's connection waits for a lock (reads rarely do, in WAL mode).
const LOCK_WAIT: Duration = Duration::from_secs(5);

/// How long a prune waits for the write lock, which the database's writers hold: past that, it
/// tries again at the next prune.
const PRUNE_LOCK_WAIT: Duration = Duration::from_millis(200);

/// The most changes a prune removes in one transaction (a few milliseconds of the write lock).
const PRUNE_CHUNK: u64 = 500;

/// The pause between two transactions of a prune, in which the writers take the lock.
const PRUNE_PAUSE: Duration = Duration::from_millis(1);

/// Removes the relayed changes past the retention, [`PRUNE_CHUNK`] at a time, oldest first.
fn prune_in_chunks(
    conn: &Connection,
    relayed: &HashMap<String, u64>,
    capacity: u64,
    max_age: Duration,
) -> rusqlite::Result<()> {
    let before = unix_now() - i64::try_from(max_age.as_secs()).unwrap_or(i64::MAX / 2);
    for (channel, relayed) in relayed {
        let head = head(conn, channel)?;
        let Some(mut oldest) = conn
            .prepare_cached(sql("oldest"))?
            .query_row(params![channel], |row| row.get::<_, Option<i64>>(0))?
            .and_then(|o| u64::try_from(o).ok())
        else {
            continue;
        };
        while oldest <= *relayed {
            // Positions have no gaps and the `at` of later changes is not earlier, so a chunk
            // that removes fewer than it spans leaves nothing further to remove.
            let upto = (*relayed).min(oldest.saturating_add(PRUNE_CHUNK - 1));
            let removed = conn.prepare_cached(sql("prune"))?.execute(params![
                channel,
                to_i64(upto),
                before,
                to_i64(head.saturating_sub(capacity)),
            ])?;
            if u64::try_from(removed).unwrap_or(0) < upto - oldest + 1 {
                break;
            }
            oldest = upto + 1;
            std::thread::sleep(PRUNE_PAUSE);
        }
    }
    Ok(())
}

fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn head(conn: &Connection, channel: &str) -> rusqlite::Result<u64> {
    let head: Option<i64> = conn
        .prepare_cached(sql("head"))?
        .query_row(params![channel], |row| row.get(0))
        .optional()?;
    Ok(head.map_or(0, |h| u64::try_from(h).unwrap_or(0)))
}

fn changes_after(
    conn: &Connection,
    channel: &str,
    after: u64,
    limit: i64,
) -> rusqlite::Result<Vec<Entry>> {
    let mut statement = conn.prepare_cached(sql("after"))?;
    let rows = statement.query_map(params![channel, to_i64(after), limit], |row| {
        let seq: i64 = row.get(0)?;
        let kind: String = row.get(1)?;
        let model: String = row.get(2)?;
        let payload: String = row.get(3)?;
        let before: Option<String> = row.get(4)?;
        Ok((seq, kind, model, payload, before))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (seq, kind, model, payload, before) = row?;
        let bad = |e: String| {
            rusqlite::Error::FromSqlConversionFailure(
                3,
                rusqlite::types::Type::Text,
                format!("change {seq} of `{channel}`: {e}").into(),
            )
        };
        let kind = kind_of(&kind).map_err(|e| bad(e.to_string()))?;
        let payload = RawValue::from_string(payload).map_err(|e| bad(e.to_string()))?;
        let before = before
            .map(RawValue::from_string)
            .transpose()
            .map_err(|e| bad(e.to_string()))?;
        out.push(Entry {
            seq: u64::try_from(seq).unwrap_or(0),
            event: Arc::new(LogEvent {
                kind,
                model: Cow::Owned(model),
                payload,
                before,
            }),
        });
    }
    Ok(out)
}

impl EventLog for SqliteLog {
    fn epoch(&self) -> Arc<str> {
        self.inner.epoch.clone()
    }

    fn append<'a>(&'a self, channel: &'a str, event: Arc<LogEvent>) -> LogFuture<'a, Position> {
        let channel = channel.to_owned();
        Box::pin(async move {
            let epoch = self.inner.epoch.clone();
            let seq = self
                .blocking(move |conn| {
                    let tx = conn.unchecked_transaction()?;
                    tx.prepare_cached(sql("add_channel"))?
                        .execute(params![channel])?;
                    tx.prepare_cached(sql("count_up"))?
                        .execute(params![channel])?;
                    let payload = event.payload.get();
                    let seq: i64 = tx.prepare_cached(sql("append"))?.query_row(
                        params![
                            channel,
                            kind_name(event.kind),
                            &*event.model,
                            row_id(payload),
                            payload,
                            event.before.as_deref().map(RawValue::get),
                        ],
                        |row| row.get(0),
                    )?;
                    tx.commit()?;
                    Ok(u64::try_from(seq).unwrap_or(0))
                })
                .await?;
            self.inner.wake.notify_one();
            Ok(Position { seq, epoch })
        })
    }

    fn read<'a>(&'a self, channel: &'a str, since: Option<u64>) -> LogFuture<'a, Replay> {
        let channel = channel.to_owned();
        Box::pin(async move {
            let epoch = self.inner.epoch.clone();
            let capacity = self.inner.options.capacity;
            self.blocking(move |conn| {
                let tx = conn.unchecked_transaction()?;
                let head = head(&tx, &channel)?;
                let replay = match since {
                    None => Replay::Events {
                        entries: Vec::new(),
                        head,
                        epoch,
                    },
                    Some(since) if since == head => Replay::Events {
                        entries: Vec::new(),
                        head,
                        epoch,
                    },
                    Some(since) if since > head || head - since > capacity => {
                        Replay::Reset { head, epoch }
                    }
                    Some(since) => {
                        let oldest: Option<i64> = tx
                            .prepare_cached(sql("oldest"))?
                            .query_row(params![channel], |row| row.get(0))?;
                        let oldest = oldest.map_or(head + 1, |o| u64::try_from(o).unwrap_or(0));
                        if since + 1 < oldest {
                            Replay::Reset { head, epoch }
                        } else {
                            let entries =
                                changes_after(&tx, &channel, since, to_i64(head - since))?;
                            Replay::Events {
                                entries,
                                head,
                                epoch,
                            }
                        }
                    }
                };
                tx.commit()?;
                Ok(replay)
            })
            .await
        })
    }

    fn follow(&self, feed: Feed) -> LogFuture<'_, bool> {
        Box::pin(async move {
            let channels: Vec<String> = feed.channels().iter().map(|c| (*c).to_owned()).collect();
            let heads = self.heads(channels).await?;
            self.inner.feed.set(feed.clone());
            tokio::spawn(relay(
                self.clone(),
                feed,
                heads,
                self.inner.epoch.clone(),
                self.inner.wake.clone(),
                self.inner.options.poll,
            ));
            Ok(true)
        })
    }

    fn notify<'a>(
        &'a self,
        message: &'a str,
        data: Option<&'a serde_json::Value>,
    ) -> LogFuture<'a, ()> {
        self.inner.feed.notify(message, data)
    }
}
