//! The per-channel event log behind resume (`docs/wire.md`, "Sequence numbers and resume").
//!
//! Every model event is appended to its channel's log before it is sent, and gets the next
//! position of that channel: `1, 2, 3, ...`, no gaps. A client that subscribes with `since`
//! gets what it missed from the log, then the live events, with no gap and no duplicate at the
//! seam: the server reads the log and joins the client to the channel in one step of its
//! dispatcher, between two appends.
//!
//! [`EventLog`] is the interface; [`MemoryLog`] the embedded default (one process, nothing to
//! run). A shared log (several server processes behind one store: `RedisLog` of the `redis`
//! feature) goes behind the same interface: its methods are asynchronous, positions are plain
//! integers the store hands out, every position comes with the epoch of the history it
//! belongs to (so that a client never resumes from positions of a log that was lost and
//! started again), and [`follow`](EventLog::follow) hands the server every event appended by
//! any process, in order, which it then sends to its own clients.

use core::fmt;
use core::future::Future;
use core::hash::{BuildHasher, Hasher};
use core::pin::Pin;
use core::time::Duration;
use std::borrow::Cow;
use std::collections::hash_map::RandomState;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use serde_json::value::RawValue;
use sheplang::ModelEventKind;

/// The default number of events a [`MemoryLog`] keeps per channel.
pub const DEFAULT_LOG_CAPACITY: usize = 10_000;

/// The default age after which a [`MemoryLog`] forgets an event.
pub const DEFAULT_LOG_MAX_AGE: Duration = Duration::from_secs(300);

/// The future of an [`EventLog`] method.
pub type LogFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, LogError>> + Send + 'a>>;

/// The future of [`EventLog::append_many`]: how many events were appended, from the first, and
/// the error that stopped the others, if any.
pub type AppendMany<'a> = Pin<Box<dyn Future<Output = (usize, Option<LogError>)> + Send + 'a>>;

/// One model event as a log keeps it: its kind, the model name and the encoded payload (the
/// row, or the id of a deleted row, as JSON).
#[derive(Debug, Clone)]
pub struct LogEvent {
    /// Created, updated or deleted.
    pub kind: ModelEventKind,
    /// The model name, the event's first argument (`"Task"`).
    pub model: Cow<'static, str>,
    /// The event's second argument, encoded once: the row, or the id as a JSON string.
    pub payload: Box<RawValue>,
    /// The row before the change, when the host gave it (an update's previous row, a deleted
    /// row): a filtered subscription then gets a row that moves out of its filter as a removal
    /// (`docs/wire.md`, "Filtered subscriptions"). Never sent itself.
    pub before: Option<Box<RawValue>>,
}

impl LogEvent {
    /// An event without the previous row.
    pub fn new(
        kind: ModelEventKind,
        model: impl Into<Cow<'static, str>>,
        payload: Box<RawValue>,
    ) -> Self {
        LogEvent {
            kind,
            model: model.into(),
            payload,
            before: None,
        }
    }
}

/// An event with its position in its channel's log.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The position: the channel's previous event's plus one, from 1.
    pub seq: u64,
    /// The event.
    pub event: Arc<LogEvent>,
}

/// Where [`EventLog::append`] put an event: its position, in the history named `epoch`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    /// The position in the channel's log.
    pub seq: u64,
    /// The epoch of the log's history at the time of the append.
    pub epoch: Arc<str>,
}

/// What a client resuming from a position gets, with the epoch of the history it was read from
/// (a position from another epoch means nothing here: the server answers `reset`).
#[derive(Debug, Clone)]
pub enum Replay {
    /// Every event after the position, oldest first (possibly none), up to `head`.
    Events {
        /// The events after the position.
        entries: Vec<Entry>,
        /// The channel's last position.
        head: u64,
        /// The log's epoch.
        epoch: Arc<str>,
    },
    /// Some events after the position are gone (or the position is not one of this log's):
    /// the client must load its rows again. Events after `head` follow live.
    Reset {
        /// The channel's last position.
        head: u64,
        /// The log's epoch.
        epoch: Arc<str>,
    },
}

/// What a shared log hands to the server it serves ([`EventLog::follow`]): every event
/// appended to it by any process, every notification, and the news that its history was
/// lost. Cheap to clone.
#[derive(Clone)]
pub struct Feed {
    pub(crate) tx: tokio::sync::mpsc::UnboundedSender<crate::hub::Command>,
    pub(crate) channels: Arc<[&'static str]>,
    pub(crate) pending: Arc<core::sync::atomic::AtomicUsize>,
}

impl fmt::Debug for Feed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Feed")
            .field("channels", &self.channels)
            .finish_non_exhaustive()
    }
}

/// How many fed events may wait for the server before [`Feed::room`] waits.
const FEED_WINDOW: usize = 8192;

impl Feed {
    /// The server's channels: a shared log reads these.
    pub fn channels(&self) -> &[&'static str] {
        &self.channels
    }

    /// One event of `channel` at `position`, in the order of the channel's log (each position
    /// once, none skipped). `false` when the server is gone: stop reading.
    pub fn event(&self, channel: &str, position: Position, event: Arc<LogEvent>) -> bool {
        let Some(channel) = self.channels.iter().find(|c| **c == channel) else {
            return true;
        };
        self.pending
            .fetch_add(1, core::sync::atomic::Ordering::Relaxed);
        self.tx
            .send(crate::hub::Command::Deliver {
                channel,
                position,
                event,
            })
            .is_ok()
    }

    /// A notification for every connected client of this server.
    pub fn notification(&self, message: String, data: Option<serde_json::Value>) -> bool {
        self.tx
            .send(crate::hub::Command::Notify {
                message,
                data,
                local: true,
            })
            .is_ok()
    }

    /// The log's history is now `epoch` (the store lost the previous one): every client that
    /// holds positions of another epoch is disconnected, and reloads when it resubscribes.
    pub fn epoch(&self, epoch: Arc<str>) -> bool {
        self.tx.send(crate::hub::Command::Epoch { epoch }).is_ok()
    }

    /// A hole at `position` of `channel`: an entry that is no event (a gap marker, appended
    /// where emits were dropped, see [`EventLog::gap`]). Every subscriber of the channel holding
    /// an earlier position is disconnected; it resubscribes and is answered `reset`.
    pub fn gap(&self, channel: &str, position: u64) -> bool {
        let Some(channel) = self.channels.iter().find(|c| **c == channel) else {
            return true;
        };
        self.tx
            .send(crate::hub::Command::Gap { channel, position })
            .is_ok()
    }

    /// Whether the server is gone (a reader stops).
    pub fn is_closed(&self) -> bool {
        self.tx.is_closed()
    }

    /// Waits while the server has many fed events still to send (so that a reader does not
    /// run ahead of the server without bound).
    pub async fn room(&self) {
        let mut pause = Duration::from_millis(1);
        while self.pending.load(core::sync::atomic::Ordering::Relaxed) > FEED_WINDOW {
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_millis(20));
        }
    }
}

/// A log that could not be read or written (a shared store that is unreachable).
#[derive(Debug, Clone)]
pub struct LogError {
    message: String,
}

impl LogError {
    /// An error with this message (lower-case, as the crate's other errors).
    pub fn new(message: impl Into<String>) -> Self {
        LogError {
            message: message.into(),
        }
    }
}

impl fmt::Display for LogError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for LogError {}

/// A per-channel log of model events: positions for every event, and replay from a position.
///
/// The server calls it from one task, in order: [`append`](Self::append) for each event before
/// it is sent, [`read`](Self::read) when a client subscribes. An implementation keeps a bounded
/// history (by count, age, or both) and answers [`Replay::Reset`] for a position it no longer
/// holds.
///
/// A log shared by several processes also implements [`follow`](Self::follow): the server
/// then sends an event when the log hands it back (whoever appended it), not when it appends
/// it, and [`notify`](Self::notify) sends a notification through the log to every process.
pub trait EventLog: Send + Sync + 'static {
    /// The identity of this log's history now: two logs (or one log after it lost its history)
    /// have different epochs, and positions of one mean nothing to the other.
    fn epoch(&self) -> Arc<str>;

    /// Appends `event` to `channel`'s log; resolves to its position (the last one plus 1).
    fn append<'a>(&'a self, channel: &'a str, event: Arc<LogEvent>) -> LogFuture<'a, Position>;

    /// Appends `events` (each with its channel) in this order, as [`append`](Self::append)
    /// would one after the other; a log on a network store may send them in one round trip.
    /// Resolves to how many were appended, from the first, and the error that stopped the
    /// others when that is not all of them (the server tries those again, in order). The
    /// default appends them one at a time.
    fn append_many<'a>(&'a self, events: &'a [(&'a str, Arc<LogEvent>)]) -> AppendMany<'a> {
        Box::pin(async move {
            for (done, (channel, event)) in events.iter().enumerate() {
                if let Err(e) = self.append(channel, event.clone()).await {
                    return (done, Some(e));
                }
            }
            (events.len(), None)
        })
    }

    /// The events of `channel` after position `since` (all of them must still be held, else
    /// [`Replay::Reset`]); with `since: None`, no events and the channel's last position.
    fn read<'a>(&'a self, channel: &'a str, since: Option<u64>) -> LogFuture<'a, Replay>;

    /// For a shared log: starts handing every event appended from now on (by any process) to
    /// `feed`, and resolves to `true` once the starting point is fixed. The default, for a log
    /// of one process, does nothing and resolves to `false`: the server sends each event as
    /// it appends it.
    fn follow(&self, feed: Feed) -> LogFuture<'_, bool> {
        drop(feed);
        Box::pin(core::future::ready(Ok(false)))
    }

    /// For a shared log: marks a hole in `channel`'s log, after events that were dropped before
    /// they reached it (the server's bound on emits waiting for the log, see
    /// [`max_pending_emits`](crate::RealtimeServerBuilder::max_pending_emits)): every client
    /// holding an earlier position of the channel, on every process, resets. The default does
    /// nothing (a log of one process never makes emits wait).
    fn gap<'a>(&'a self, channel: &'a str) -> LogFuture<'a, ()> {
        let _ = channel;
        Box::pin(core::future::ready(Ok(())))
    }

    /// For a shared log: sends a notification to every process that follows the log. Only
    /// called when [`follow`](Self::follow) resolved to `true`.
    fn notify<'a>(
        &'a self,
        message: &'a str,
        data: Option<&'a serde_json::Value>,
    ) -> LogFuture<'a, ()> {
        let _ = (message, data);
        Box::pin(core::future::ready(Err(LogError::new(
            "this log is not shared; the server sends notifications itself",
        ))))
    }
}

/// The in-memory [`EventLog`]: the embedded default. Keeps, per channel, the last
/// [`capacity`](Self::with_limits) events that are younger than `max_age`; a new epoch for
/// every instance (a restarted process has lost its history, and its clients reload).
pub struct MemoryLog {
    epoch: Arc<str>,
    capacity: usize,
    max_age: Duration,
    channels: Mutex<HashMap<String, ChannelLog>>,
}

#[derive(Default)]
struct ChannelLog {
    head: u64,
    entries: VecDeque<(Instant, Entry)>,
}

impl MemoryLog {
    /// A log with the default limits ([`DEFAULT_LOG_CAPACITY`], [`DEFAULT_LOG_MAX_AGE`]).
    pub fn new() -> Self {
        Self::with_limits(DEFAULT_LOG_CAPACITY, DEFAULT_LOG_MAX_AGE)
    }

    /// A log that keeps at most `capacity` events per channel, none older than `max_age`.
    pub fn with_limits(capacity: usize, max_age: Duration) -> Self {
        MemoryLog {
            epoch: new_epoch().into(),
            capacity,
            max_age,
            channels: Mutex::new(HashMap::new()),
        }
    }

    fn prune(&self, log: &mut ChannelLog, now: Instant) {
        while log.entries.len() > self.capacity
            || log
                .entries
                .front()
                .is_some_and(|(at, _)| now.saturating_duration_since(*at) > self.max_age)
        {
            log.entries.pop_front();
        }
    }

    fn append_now(&self, channel: &str, event: Arc<LogEvent>) -> u64 {
        let now = Instant::now();
        let mut channels = self.channels.lock().unwrap_or_else(PoisonError::into_inner);
        let log = channels.entry(channel.to_owned()).or_default();
        log.head += 1;
        let seq = log.head;
        if self.capacity > 0 {
            log.entries.push_back((now, Entry { seq, event }));
        }
        self.prune(log, now);
        seq
    }

    fn read_now(&self, channel: &str, since: Option<u64>) -> Replay {
        let now = Instant::now();
        let mut channels = self.channels.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(log) = channels.get_mut(channel) else {
            return match since {
                None | Some(0) => Replay::Events {
                    entries: Vec::new(),
                    head: 0,
                    epoch: self.epoch.clone(),
                },
                Some(_) => Replay::Reset {
                    head: 0,
                    epoch: self.epoch.clone(),
                },
            };
        };
        self.prune(log, now);
        let head = log.head;
        let Some(since) = since else {
            return Replay::Events {
                entries: Vec::new(),
                head,
                epoch: self.epoch.clone(),
            };
        };
        let oldest = log.entries.front().map_or(head + 1, |(_, e)| e.seq);
        if since > head || since + 1 < oldest {
            return Replay::Reset {
                head,
                epoch: self.epoch.clone(),
            };
        }
        let skip = usize::try_from(since + 1 - oldest).unwrap_or(usize::MAX);
        Replay::Events {
            entries: log
                .entries
                .iter()
                .skip(skip)
                .map(|(_, e)| e.clone())
                .collect(),
            head,
            epoch: self.epoch.clone(),
        }
    }
}

impl Default for MemoryLog {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for MemoryLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryLog")
            .field("epoch", &self.epoch)
            .field("capacity", &self.capacity)
            .field("max_age", &self.max_age)
            .finish_non_exhaustive()
    }
}

impl EventLog for MemoryLog {
    fn epoch(&self) -> Arc<str> {
        self.epoch.clone()
    }

    fn append<'a>(&'a self, channel: &'a str, event: Arc<LogEvent>) -> LogFuture<'a, Position> {
        let seq = self.append_now(channel, event);
        Box::pin(core::future::ready(Ok(Position {
            seq,
            epoch: self.epoch.clone(),
        })))
    }

    fn read<'a>(&'a self, channel: &'a str, since: Option<u64>) -> LogFuture<'a, Replay> {
        let replay = self.read_now(channel, since);
        Box::pin(core::future::ready(Ok(replay)))
    }
}

/// 16 hex digits, different for every log (the standard library's per-instance hash keys).
pub(crate) fn new_epoch() -> String {
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    format!("{:016x}", hasher.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(n: u32) -> Arc<LogEvent> {
        Arc::new(LogEvent {
            kind: ModelEventKind::Deleted,
            model: Cow::Borrowed("Task"),
            payload: RawValue::from_string(format!("\"t-{n}\"")).unwrap(),
            before: None,
        })
    }

    fn seqs(replay: &Replay) -> (Vec<u64>, u64, bool) {
        match replay {
            Replay::Events { entries, head, .. } => {
                (entries.iter().map(|e| e.seq).collect(), *head, false)
            }
            Replay::Reset { head, .. } => (Vec::new(), *head, true),
        }
    }

    #[test]
    fn positions_count_from_one_per_channel_and_replay_what_follows() {
        let log = MemoryLog::with_limits(3, Duration::from_secs(60));
        for n in 1..=5 {
            assert_eq!(log.append_now("task", event(n)), u64::from(n));
        }
        assert_eq!(log.append_now("user", event(1)), 1);
        assert_eq!(seqs(&log.read_now("task", None)), (vec![], 5, false));
        assert_eq!(seqs(&log.read_now("task", Some(5))), (vec![], 5, false));
        assert_eq!(seqs(&log.read_now("task", Some(3))), (vec![4, 5], 5, false));
        assert_eq!(
            seqs(&log.read_now("task", Some(2))),
            (vec![3, 4, 5], 5, false)
        );
        // 1 and 2 are gone: resuming after 1 would skip 2.
        assert_eq!(seqs(&log.read_now("task", Some(1))), (vec![], 5, true));
        // A position this log never gave out.
        assert_eq!(seqs(&log.read_now("task", Some(9))), (vec![], 5, true));
        assert_eq!(seqs(&log.read_now("nobody", Some(0))), (vec![], 0, false));
        assert_eq!(seqs(&log.read_now("nobody", Some(1))), (vec![], 0, true));
    }

    #[test]
    fn old_events_are_forgotten() {
        let log = MemoryLog::with_limits(100, Duration::ZERO);
        log.append_now("task", event(1));
        std::thread::sleep(Duration::from_millis(2));
        assert_eq!(seqs(&log.read_now("task", Some(0))), (vec![], 1, true));
        assert_eq!(seqs(&log.read_now("task", Some(1))), (vec![], 1, false));
    }

    #[test]
    fn epochs_differ() {
        assert_ne!(MemoryLog::new().epoch(), MemoryLog::new().epoch());
    }
}
