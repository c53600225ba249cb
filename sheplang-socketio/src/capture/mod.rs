//! Event logs over the database's change table: every committed write is broadcast, whoever
//! makes it (`docs/capture.md`).
//!
//! The generated `<stem>.capture.{sqlite,postgres}.sql` (from `sheplang-build` or `sheplang
//! gen`) installs triggers that record each insert, update and delete of a model's table in
//! the change table, in the same transaction, with its position in the channel's log. The
//! change table *is* the event log: [`SqliteLog`] (feature `sqlite`) and
//! [`PostgresLog`] (feature `postgres`) implement [`EventLog`](crate::EventLog) over it.
//! Positions come from the database, the epoch is stored there, so a server restarted on the
//! same database keeps its positions and a client resumes across the restart with nothing
//! lost. The relay ([`EventLog::follow`](crate::EventLog::follow)) tails the table in
//! position order and hands each change to the server; it removes the rows it has relayed once
//! they are older than the retention age or beyond the per-channel capacity.
//!
//! A host then only writes: it emits nothing for a change of a model's row.

use core::future::Future;
use core::time::Duration;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use sheplang::ModelEventKind;
use tokio::sync::Notify;

use crate::log::{
    DEFAULT_LOG_CAPACITY, DEFAULT_LOG_MAX_AGE, Entry, Feed, LogError, LogFuture, Position,
};

#[cfg(feature = "postgres")]
mod decoding;
#[cfg(feature = "postgres")]
mod pgoutput;
#[cfg(feature = "postgres")]
pub mod postgres;
#[cfg(feature = "postgres")]
pub use postgres::PostgresLog;
#[cfg(feature = "sqlite")]
pub mod sqlite;
#[cfg(feature = "sqlite")]
pub use sqlite::{ChangeWaker, SqliteLog};

/// The default time between two looks at the change table for writes made by other processes
/// (the writes of a process that wakes the relay, and PostgreSQL's notifications, are relayed
/// at once).
pub const DEFAULT_POLL: Duration = Duration::from_millis(50);

/// The server this process's log hands events to, once it follows the log.
#[derive(Default)]
struct LocalFeed(Mutex<Option<Feed>>);

impl LocalFeed {
    fn set(&self, feed: Feed) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Some(feed);
    }

    /// Sends a notification to this process's clients: a database file or connection is no
    /// channel between processes, so a host with several sends its notifications through Redis.
    fn notify(&self, message: &str, data: Option<&serde_json::Value>) -> LogFuture<'static, ()> {
        let feed = self
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let sent = feed.is_some_and(|feed| feed.notification(message.to_owned(), data.cloned()));
        Box::pin(core::future::ready(if sent {
            Ok(())
        } else {
            Err(LogError::new("the server is stopping"))
        }))
    }
}

/// How often the relay removes relayed changes past the retention.
const PRUNE_EVERY: Duration = Duration::from_secs(1);

/// What the relay needs of a database's change table.
trait ChangeTable: Send + Sync + 'static {
    /// The changes after each channel's position (at most [`BATCH`] each), read in one
    /// snapshot; channels without any are left out.
    fn batch(
        &self,
        from: &HashMap<String, u64>,
    ) -> impl Future<Output = Result<Vec<(String, Vec<Entry>)>, LogError>> + Send;

    /// Removes relayed changes (up to each channel's position in `relayed`) past the retention.
    fn prune(&self, relayed: &HashMap<String, u64>) -> impl Future<Output = ()> + Send;

    /// Asks for the database's wake-up of each commit to stop, while changes keep coming and
    /// the relay reads every [`GATHER`] whatever wakes it: whether the relay may read without
    /// them (it then calls [`resume_wakeups`](Self::resume_wakeups) once). PostgreSQL stops
    /// listening once every relay of the log asked: no `NOTIFY` signal, no notification to
    /// handle, per commit. SQLite's wake-ups cost nothing to stop: it answers `false`.
    fn pause_wakeups(&self) -> impl Future<Output = bool> + Send;

    /// Ends a [`pause_wakeups`](Self::pause_wakeups): each commit from now on wakes the
    /// relay.
    fn resume_wakeups(&self) -> impl Future<Output = ()> + Send;

    /// Takes or renews the lease of relaying into `target` for `holder`, until `until`
    /// (milliseconds since 1970; a lease held by another holder past `now` is kept by it):
    /// whether `holder` holds it.
    fn lease(
        &self,
        target: &str,
        holder: &str,
        until: i64,
        now: i64,
    ) -> impl Future<Output = Result<bool, LogError>> + Send;

    /// The changes after what was relayed into `target`, for each channel (at most [`BATCH`]
    /// each). A channel new to the target starts at its head: that is recorded, and nothing
    /// returned for it.
    fn unrelayed(
        &self,
        target: &str,
        channels: &[String],
    ) -> impl Future<Output = Result<Vec<(String, Vec<Entry>)>, LogError>> + Send;

    /// Records that `channel` was relayed into `target` up to `relayed`.
    fn set_relayed(
        &self,
        target: &str,
        channel: &str,
        relayed: u64,
    ) -> impl Future<Output = Result<(), LogError>> + Send;
}

/// How long a relay's lease lasts, in milliseconds (renewed at a third of it).
const LEASE_MS: i64 = 3000;

/// Relays every change of `channels` into `target` in order, while this process holds the
/// lease of `name` in the database, and keeps doing so; wakes on `wake` or every `poll`, and
/// paces its reads as [`relay`] does. The changes of one read go to `target` together
/// ([`EventLog::append_many`](crate::EventLog::append_many): one round trip to Redis).
/// See `SqliteLog::relay_into`.
async fn relay_into<T: ChangeTable>(
    table: T,
    name: String,
    channels: Vec<String>,
    target: Arc<dyn crate::log::EventLog>,
    wake: Arc<Notify>,
    poll: Duration,
) {
    let holder = crate::log::new_epoch();
    let mut held_until = 0i64;
    let mut pace = Pace::default();
    loop {
        take_wake(&wake).await;
        let read_at = Instant::now();
        let now = unix_now_ms();
        if held_until - now < LEASE_MS / 3 * 2 {
            held_until = match table.lease(&name, &holder, now + LEASE_MS, now).await {
                Ok(true) => now + LEASE_MS,
                _ => 0,
            };
        }
        let mut relayed_now = 0usize;
        let mut full = false;
        if held_until > now {
            let batch = table
                .unrelayed(&name, &channels)
                .await
                .inspect_err(|_e| {
                    #[cfg(feature = "tracing")]
                    tracing::warn!(
                        "the change log cannot be read for the relay: {_e}; trying again"
                    );
                })
                .unwrap_or_default();
            for (channel, rows) in batch {
                full |= rows.len() >= usize::try_from(BATCH).unwrap_or(usize::MAX);
                let events: Vec<(&str, Arc<crate::log::LogEvent>)> = rows
                    .iter()
                    .map(|entry| (channel.as_str(), entry.event.clone()))
                    .collect();
                // Those appended, from the first; the others are read again next time.
                let (appended, _) = target.append_many(&events).await;
                if let Some(last) = appended.checked_sub(1).and_then(|i| rows.get(i)) {
                    let _ = table.set_relayed(&name, &channel, last.seq).await;
                    relayed_now += appended;
                }
            }
        }
        pace.wait(&table, relayed_now, full, read_at, &wake, poll)
            .await;
    }
}

/// Milliseconds since 1970.
fn unix_now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Tails `table` in position order from `relayed` (each channel's last relayed position) and
/// hands each change to `feed`, until the server stops; wakes on `wake` or every `poll`.
///
/// A lone write is read as soon as its wake-up comes. While writes keep coming (the last read
/// found changes), the relay reads at most once per [`GATHER`]: the changes of that time are
/// read and sent together, one read of the table and one write to each subscriber's socket
/// for several writes, instead of a read and a send for each (`docs/capture.md`, "Cost").
/// Once [`PAUSE_AFTER`] reads in a row found changes, it reads every [`GATHER`] without
/// waiting for a wake-up and pauses the database's wake-ups
/// ([`ChangeTable::pause_wakeups`]); the first read that finds none resumes them and reads
/// once more, for what was committed before they were back.
async fn relay<T: ChangeTable>(
    table: T,
    feed: Feed,
    mut relayed: HashMap<String, u64>,
    epoch: Arc<str>,
    wake: Arc<Notify>,
    poll: Duration,
) {
    let mut pruned = Instant::now();
    let mut pace = Pace::default();
    loop {
        if feed.is_closed() {
            pace.stop(&table).await;
            return;
        }
        // Every commit announced so far is seen by the read below: a wake-up left from one of
        // them would only cause a read that finds nothing.
        take_wake(&wake).await;
        let read_at = Instant::now();
        let mut relayed_now = 0usize;
        let mut full = false;
        match table.batch(&relayed).await {
            Ok(batch) => {
                for (channel, rows) in batch {
                    full |= rows.len() >= usize::try_from(BATCH).unwrap_or(usize::MAX);
                    for entry in rows {
                        let seq = entry.seq;
                        let position = Position {
                            seq,
                            epoch: epoch.clone(),
                        };
                        if !feed.event(&channel, position, entry.event) {
                            return;
                        }
                        relayed.insert(channel.clone(), seq);
                        relayed_now += 1;
                    }
                }
            }
            Err(_e) => {
                #[cfg(feature = "tracing")]
                tracing::warn!("the change log cannot be read: {_e}; trying again");
            }
        }
        if pruned.elapsed() >= PRUNE_EVERY {
            pruned = Instant::now();
            table.prune(&relayed).await;
        }
        if relayed_now > 0 {
            feed.room().await;
        }
        pace.wait(&table, relayed_now, full, read_at, &wake, poll)
            .await;
    }
}

/// When a relay reads next: the reads in a row that found changes, and whether the database's
/// wake-ups are paused (see [`relay`]).
#[derive(Default)]
struct Pace {
    busy: u32,
    paused: bool,
}

impl Pace {
    /// Waits until the next read, after one begun at `read_at` that found `found` changes
    /// (`full`: as many as a read takes, so more are waiting).
    async fn wait<T: ChangeTable>(
        &mut self,
        table: &T,
        found: usize,
        full: bool,
        read_at: Instant,
        wake: &Notify,
        poll: Duration,
    ) {
        self.busy = if found > 0 {
            self.busy.saturating_add(1)
        } else {
            0
        };
        if full {
            // More are waiting: read on at once.
            return;
        }
        if self.paused && found == 0 {
            // The changes stopped: wake-ups on again, and one more read for the commits made
            // before they were.
            self.stop(table).await;
            return;
        }
        if !self.paused && self.busy >= PAUSE_AFTER {
            self.paused = table.pause_wakeups().await;
        }
        if !self.paused {
            tokio::select! {
                () = wake.notified() => {}
                () = tokio::time::sleep(poll) => {}
            }
        }
        if found > 0 {
            // Writes are coming in: gather them for the rest of the window.
            let since = read_at.elapsed();
            if since < GATHER {
                tokio::time::sleep(GATHER - since).await;
            }
        }
    }

    /// Resumes the wake-ups, if paused.
    async fn stop<T: ChangeTable>(&mut self, table: &T) {
        if self.paused {
            table.resume_wakeups().await;
            self.paused = false;
        }
    }
}

/// After this many reads in a row found changes, the relay reads every [`GATHER`] without
/// the database's wake-ups (see [`relay`]).
const PAUSE_AFTER: u32 = 3;

/// While writes keep coming, the relay reads the change table at most once in this time, and
/// sends what it finds together (a lone write is read at once).
const GATHER: Duration = Duration::from_millis(2);

/// Takes the wake-up `wake` holds, if any, without waiting.
async fn take_wake(wake: &Notify) {
    tokio::select! {
        biased;
        () = wake.notified() => {}
        () = core::future::ready(()) => {}
    }
}

/// How many changes the relay reads at once.
const BATCH: i64 = 1000;

/// The settings of a change log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaptureOptions {
    /// Time between two looks for writes no wake-up announced (default [`DEFAULT_POLL`]).
    pub poll: Duration,
    /// Relayed changes older than this are removed (default
    /// [`DEFAULT_LOG_MAX_AGE`]); a client further behind reloads.
    pub max_age: Duration,
    /// At most this many relayed changes are kept per channel (default
    /// [`DEFAULT_LOG_CAPACITY`]).
    pub capacity: u64,
    /// PostgreSQL: read the model tables' changes from the server's logical decoding instead
    /// of their triggers (see [`decoding`](Self::decoding)). Default `false`.
    pub decoding: bool,
}

impl Default for CaptureOptions {
    fn default() -> Self {
        CaptureOptions {
            poll: DEFAULT_POLL,
            max_age: DEFAULT_LOG_MAX_AGE,
            capacity: DEFAULT_LOG_CAPACITY as u64,
            decoding: false,
        }
    }
}

impl CaptureOptions {
    /// These options, looking for other processes' writes every `poll`.
    #[must_use]
    pub fn poll(mut self, poll: Duration) -> Self {
        self.poll = poll.max(Duration::from_millis(1));
        self
    }

    /// These options, capturing by PostgreSQL's logical decoding (`docs/capture.md`, "Capture
    /// by logical decoding"): the writers' commits run no trigger; one of the processes on the
    /// database streams the changes from the write-ahead log through a replication slot and
    /// records them in the change table, in commit order, exactly once. The server needs
    /// `wal_level = logical`, and the log's user the `REPLICATION` attribute (or superuser).
    /// The first log that starts so moves the captured tables from their triggers to the
    /// publication, for good. `SqliteLog` ignores it.
    #[must_use]
    pub fn decoding(mut self) -> Self {
        self.decoding = true;
        self
    }

    /// These options, keeping relayed changes for `max_age` and at most `capacity` per channel.
    #[must_use]
    pub fn retention(mut self, capacity: u64, max_age: Duration) -> Self {
        self.capacity = capacity;
        self.max_age = max_age;
        self
    }
}

/// The statement named `name` in a `.sql` file of `-- name:` sections.
fn statement(file: &'static str, name: &str) -> &'static str {
    let marker = format!("-- name: {name}\n");
    let Some(start) = file.find(&marker) else {
        // Every name used is in the file (the tests run each statement).
        panic!("no statement `{name}` in the change log's SQL");
    };
    let body = &file[start + marker.len()..];
    body[..body.find("\n-- name:").unwrap_or(body.len())].trim()
}

/// The kind of a change table's `kind`.
fn kind_of(kind: &str) -> Result<ModelEventKind, LogError> {
    match kind {
        "created" => Ok(ModelEventKind::Created),
        "updated" => Ok(ModelEventKind::Updated),
        "deleted" => Ok(ModelEventKind::Deleted),
        other => Err(LogError::new(format!(
            "the change table holds an unknown kind `{other}`; it is written only by the \
             generated capture triggers"
        ))),
    }
}

/// The change table's `kind` of an event kind.
fn kind_name(kind: ModelEventKind) -> &'static str {
    match kind {
        ModelEventKind::Created => "created",
        ModelEventKind::Updated => "updated",
        ModelEventKind::Deleted => "deleted",
    }
}

/// The row id of an emitted event's payload: the id string of a delete, the row's `id`.
fn row_id(payload: &str) -> String {
    match serde_json::from_str::<serde_json::Value>(payload) {
        Ok(serde_json::Value::String(id)) => id,
        Ok(serde_json::Value::Object(row)) => match row.get("id") {
            Some(serde_json::Value::String(id)) => id.clone(),
            Some(other) => other.to_string(),
            None => String::new(),
        },
        _ => String::new(),
    }
}

/// Seconds since 1970.
fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}
