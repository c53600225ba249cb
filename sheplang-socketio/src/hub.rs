//! The dispatcher: one task per server that appends every model event to the [`EventLog`] and
//! sends it to the channel's subscribers, and that joins and leaves subscribers, in one order.
//!
//! Everything that changes who gets what goes through its queue: host emits and
//! notifications, subscribes (with their replay) and unsubscribes, disconnections. Because one
//! task handles them one after the other, a subscriber that resumes gets the log up to the
//! last event appended before its subscribe and every event after it, live: no gap and no
//! duplicate at the seam. The task awaits the log, so a log on a network store (Redis) fits
//! behind the same code.
//!
//! **Who an event reaches.** Each channel's members are kept in a [`Room`]: the unfiltered ones
//! in a list, the filtered ones indexed by one value their filter names, so an event visits
//! only the members it may reach (the unfiltered ones, and those filed under the values its row
//! holds before and after the change), not every subscriber of the channel. Positions are
//! checked once per event for every member in step with the channel, one by one only for the
//! few that are not (see [`Room`]).
//!
//! **Shared logs.** With a log that several processes share ([`EventLog::follow`]), an emit is
//! only appended; the event is sent when the log hands it back (`Deliver`), in the log's
//! order, whichever process appended it. Each positioned subscriber remembers the last
//! position queued for it and the epoch it came from: a delivered event at or before that
//! position is one its replay already had (skipped), one after a hole, or from another epoch,
//! disconnects it (it resubscribes and gets the hole replayed, or `reset`). While the log
//! cannot be written the task retries with backoff, in order: nothing is dropped, the
//! connections stay up, and events flow again when the log is back.
//!
//! **Backpressure.** Each connection's send queue holds `max_buffer_size` packets. An event
//! that does not fit is never skipped silently: the connection leaves every channel at once
//! (nothing more is queued for it), is counted in [`Metrics::overflow_disconnects`], logged
//! once, and disconnected as soon as its queue has room for the disconnect packet. It reads
//! what was queued, then the disconnect, reconnects and resumes from its last position.

use core::fmt;
use core::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use core::time::Duration;
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use serde::ser::{Serialize, SerializeMap, SerializeTuple, Serializer};
use serde_json::Value;
use serde_json::value::RawValue;
use sheplang::{Filter, ModelEventKind, SubscribeResult};
use socketioxide::extract::SocketRef;
use socketioxide::socket::{Sid, Socket};
use socketioxide::{SendError, SocketError, SocketIo};
use tokio::sync::mpsc;

use crate::log::{Entry, EventLog, Feed, LogError, LogEvent, Position, Replay};

mod room;

use room::Room;

/// How many commands the dispatcher takes from its queue at once.
const BATCH: usize = 128;

/// The answer of one request.
#[derive(Debug, Clone)]
pub(crate) enum Answer {
    /// The empty argument list of `ping`'s acknowledgement (`ack()` in JavaScript).
    Empty,
    /// A `SubscribeResult`.
    Subscribe(SubscribeResult),
    /// The answer of a resuming subscribe: `{ ok: true, epoch, seq }`, with `reset: true` when
    /// the client must load again.
    Resumed {
        epoch: Arc<str>,
        seq: u64,
        reset: bool,
    },
}

impl Serialize for Answer {
    fn serialize<Se: Serializer>(&self, serializer: Se) -> Result<Se::Ok, Se::Error> {
        match self {
            // socketioxide sends a tuple as the argument list; this is the tuple of none.
            Answer::Empty => serializer.serialize_tuple(0)?.end(),
            Answer::Subscribe(result) => result.serialize(serializer),
            Answer::Resumed { epoch, seq, reset } => {
                let mut map = serializer.serialize_map(Some(if *reset { 4 } else { 3 }))?;
                map.serialize_entry("ok", &true)?;
                map.serialize_entry("epoch", &**epoch)?;
                map.serialize_entry("seq", seq)?;
                if *reset {
                    map.serialize_entry("reset", &true)?;
                }
                map.end()
            }
        }
    }
}

/// Where a subscribe's answer goes (the connection's acknowledgement path).
pub(crate) type Done = Box<dyn FnOnce(Answer) + Send>;

/// Where a resuming subscriber is, and which rows it wants.
#[derive(Debug, Clone, Default)]
pub(crate) struct Resume {
    /// The last position the client has, with the epoch it came from.
    pub(crate) since: Option<(u64, String)>,
    /// The subscription's filter; `None` (or an empty one) for the whole channel.
    pub(crate) filter: Option<Arc<Filter>>,
}

/// The host's check of each row before it is sent to a connection (`true`: it may have it).
pub(crate) type RowCheck = Arc<dyn Fn(&SocketRef, &'static str, &Value) -> bool + Send + Sync>;

pub(crate) enum Command {
    Emit {
        channel: &'static str,
        event: Arc<LogEvent>,
    },
    Notify {
        message: String,
        data: Option<Value>,
        /// Handed back by a shared log: for this process's clients only.
        local: bool,
    },
    /// An event handed back by a shared log.
    Deliver {
        channel: &'static str,
        position: Position,
        event: Arc<LogEvent>,
    },
    /// A hole in a shared log's channel (a gap marker).
    Gap {
        channel: &'static str,
        position: u64,
    },
    /// A shared log lost its history and started a new one.
    Epoch {
        epoch: Arc<str>,
    },
    Join {
        socket: Arc<Socket>,
        channel: &'static str,
        resume: Option<Resume>,
        done: Done,
    },
    Leave {
        socket: Arc<Socket>,
        channel: &'static str,
        done: Done,
    },
    Gone {
        sid: Sid,
    },
}

/// Counters of a running server; see [`RealtimeServer::metrics`](crate::RealtimeServer::metrics).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Metrics {
    /// Model events appended to the log (and sent).
    pub events: u64,
    /// Connections disconnected because an event did not fit their send queue.
    pub overflow_disconnects: u64,
    /// Events sent again to resuming subscribers.
    pub replayed: u64,
    /// Resuming subscribes answered `reset` (their position was no longer in the log).
    pub resets: u64,
    /// Log operations that failed (a shared log that is unreachable); each is retried.
    pub log_errors: u64,
    /// Positioned subscribers disconnected because their positions no longer hold (the shared
    /// log lost its history, or they missed events): they resubscribe and replay or reset.
    pub resync_disconnects: u64,
    /// The log cannot be written now: events wait, in order, until it is back.
    pub log_degraded: bool,
    /// Emits dropped because too many waited for a log that could not be written
    /// ([`max_pending_emits`](crate::RealtimeServerBuilder::max_pending_emits)); the clients of
    /// their channels reset.
    pub dropped_emits: u64,
}

#[derive(Default)]
struct Counters {
    events: AtomicU64,
    overflow_disconnects: AtomicU64,
    replayed: AtomicU64,
    resets: AtomicU64,
    log_errors: AtomicU64,
    resync_disconnects: AtomicU64,
    dropped_emits: AtomicU64,
    degraded: AtomicBool,
}

/// The dispatcher's handle: its queue and what the server reads without it.
pub(crate) struct Hub {
    tx: mpsc::UnboundedSender<Command>,
    /// The queue's other end, until the task is started.
    rx: Mutex<Option<mpsc::UnboundedReceiver<Command>>>,
    inner: Arc<Inner>,
}

struct Inner {
    io: SocketIo,
    log: Arc<dyn EventLog>,
    /// The log's epoch as last seen.
    epoch: Mutex<Arc<str>>,
    max_buffer_size: usize,
    /// The host's per-row check, if any.
    row_check: Option<RowCheck>,
    /// The channels, for the log's feed.
    channel_list: Arc<[&'static str]>,
    /// Events fed by a shared log and not yet sent.
    pending: Arc<AtomicUsize>,
    counts: HashMap<&'static str, AtomicUsize>,
    counters: Counters,
    /// Emits queued and not yet handled by the dispatcher.
    pending_emits: AtomicUsize,
    max_pending_emits: usize,
    /// The channels of emits dropped past the bound: each gets a gap marker when the log is back.
    gaps: Mutex<HashSet<&'static str>>,
}

impl Hub {
    pub(crate) fn new(
        io: SocketIo,
        log: Arc<dyn EventLog>,
        channels: &[&'static str],
        max_buffer_size: usize,
        row_check: Option<RowCheck>,
        max_pending_emits: usize,
    ) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        let epoch = Mutex::new(log.epoch());
        let hub = Hub {
            tx,
            rx: Mutex::new(Some(rx)),
            inner: Arc::new(Inner {
                io,
                log,
                epoch,
                max_buffer_size,
                row_check,
                channel_list: channels.into(),
                pending: Arc::new(AtomicUsize::new(0)),
                counts: channels.iter().map(|c| (*c, AtomicUsize::new(0))).collect(),
                counters: Counters::default(),
                pending_emits: AtomicUsize::new(0),
                max_pending_emits,
                gaps: Mutex::new(HashSet::new()),
            }),
        };
        hub.start();
        hub
    }

    /// Starts the task if it is not running and a Tokio runtime is at hand (a server built
    /// outside one starts it on its first connection; emits wait in the queue until then).
    pub(crate) fn start(&self) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let Some(rx) = self
            .rx
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
        else {
            return;
        };
        let feed = Feed {
            tx: self.tx.clone(),
            channels: self.inner.channel_list.clone(),
            pending: self.inner.pending.clone(),
        };
        runtime.spawn(run(self.inner.clone(), rx, feed));
    }

    /// Queues an emit, unless the log cannot be written and too many emits wait already: then
    /// the emit is dropped, counted, and its channel gets a gap marker when the log is back.
    /// `false` when the task is gone.
    pub(crate) fn emit(&self, command: Command) -> bool {
        if let Command::Emit { channel, .. } = &command
            && self.inner.counters.degraded.load(Ordering::Relaxed)
            && self.inner.pending_emits.load(Ordering::Relaxed) >= self.inner.max_pending_emits
        {
            let first = {
                let mut gaps = self
                    .inner
                    .gaps
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner);
                let first = gaps.is_empty();
                gaps.insert(channel);
                first
            };
            self.inner
                .counters
                .dropped_emits
                .fetch_add(1, Ordering::Relaxed);
            if first {
                #[cfg(feature = "tracing")]
                tracing::error!(
                    channel,
                    "too many emits wait for the event log; dropping emits (the clients of their channels reload when it is back)"
                );
            }
            return !self.tx.is_closed();
        }
        self.inner.pending_emits.fetch_add(1, Ordering::Relaxed);
        self.send(command)
    }

    /// Queues a command; `false` when the task is gone (the runtime shut down).
    pub(crate) fn send(&self, command: Command) -> bool {
        self.tx.send(command).is_ok()
    }

    pub(crate) fn subscriber_count(&self, channel: &str) -> usize {
        self.inner
            .counts
            .get(channel)
            .map_or(0, |c| c.load(Ordering::Relaxed))
    }

    pub(crate) fn metrics(&self) -> Metrics {
        let c = &self.inner.counters;
        Metrics {
            events: c.events.load(Ordering::Relaxed),
            overflow_disconnects: c.overflow_disconnects.load(Ordering::Relaxed),
            replayed: c.replayed.load(Ordering::Relaxed),
            resets: c.resets.load(Ordering::Relaxed),
            log_errors: c.log_errors.load(Ordering::Relaxed),
            resync_disconnects: c.resync_disconnects.load(Ordering::Relaxed),
            log_degraded: c.degraded.load(Ordering::Relaxed),
            dropped_emits: c.dropped_emits.load(Ordering::Relaxed),
        }
    }

    pub(crate) fn epoch(&self) -> Arc<str> {
        self.inner.current_epoch()
    }
}

impl fmt::Debug for Hub {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hub")
            .field("epoch", &self.inner.current_epoch())
            .finish_non_exhaustive()
    }
}

/// One subscriber of a channel.
struct Member {
    socket: Arc<Socket>,
    /// Asked for positions: its model events carry the trailing `seq` argument.
    sequenced: bool,
    /// The last position queued for it (replayed or live), and the epoch of its positions;
    /// while it is in step, its position is its room's last one (`after` is not kept).
    after: u64,
    epoch: Arc<str>,
    /// Sequenced, and its position is its channel's last position (see [`Room`]).
    in_step: bool,
    /// Its filter names one field, the one its room files it under (see [`Room`]).
    filed_exactly: bool,
    /// While a resuming subscriber's replay is being sent: its backlog, which live events
    /// join at the end until it is drained.
    catch_up: Option<Arc<CatchUp>>,
    /// The rows it wants; `None` for the whole channel.
    filter: Option<Arc<Filter>>,
}

/// One event as the filtered subscribers see it: its rows parsed once, on first need, and the
/// forms it takes for a row that moves into or out of a filter.
struct Rows<'a> {
    event: &'a Arc<LogEvent>,
    after: OnceLock<Option<Value>>,
    before: OnceLock<Option<Value>>,
    moved_in: OnceLock<Arc<LogEvent>>,
    moved_out: OnceLock<Option<Arc<LogEvent>>>,
}

impl<'a> Rows<'a> {
    fn new(event: &'a Arc<LogEvent>) -> Self {
        Rows {
            event,
            after: OnceLock::new(),
            before: OnceLock::new(),
            moved_in: OnceLock::new(),
            moved_out: OnceLock::new(),
        }
    }

    /// The row after the change (none for a deletion).
    fn after(&self) -> Option<&Value> {
        self.after
            .get_or_init(|| match self.event.kind {
                ModelEventKind::Deleted => None,
                ModelEventKind::Created | ModelEventKind::Updated => {
                    serde_json::from_str(self.event.payload.get()).ok()
                }
            })
            .as_ref()
    }

    /// The row before the change, when the host gave it.
    fn before(&self) -> Option<&Value> {
        self.before
            .get_or_init(|| {
                let before = self.event.before.as_ref()?;
                serde_json::from_str(before.get()).ok()
            })
            .as_ref()
    }

    /// The update as an addition: `model_created` with the same row.
    fn moved_in(&self) -> Arc<LogEvent> {
        self.moved_in
            .get_or_init(|| {
                Arc::new(LogEvent {
                    kind: ModelEventKind::Created,
                    model: self.event.model.clone(),
                    payload: self.event.payload.clone(),
                    before: None,
                })
            })
            .clone()
    }

    /// The update as a removal: `model_deleted` with the row's id.
    fn moved_out(&self) -> Option<Arc<LogEvent>> {
        self.moved_out
            .get_or_init(|| {
                let id = self.after().or(self.before())?.get("id")?;
                let payload = RawValue::from_string(serde_json::to_string(id).ok()?).ok()?;
                Some(Arc::new(LogEvent {
                    kind: ModelEventKind::Deleted,
                    model: self.event.model.clone(),
                    payload,
                    before: None,
                }))
            })
            .clone()
    }
}

/// The replay of one resuming subscriber, sent by its own task as its send queue makes room
/// (a replay may be far longer than the queue), followed by the live events that arrive
/// meanwhile; then the subscriber is live.
#[derive(Default)]
struct CatchUp {
    state: Mutex<CatchUpState>,
}

#[derive(Default)]
struct CatchUpState {
    backlog: VecDeque<Entry>,
    /// Live events added behind the replay.
    added: usize,
    /// Drained: events go straight to the connection now.
    live: bool,
    /// Left, disconnected or evicted: the task stops.
    dead: bool,
}

impl CatchUp {
    fn lock(&self) -> std::sync::MutexGuard<'_, CatchUpState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Sends a catch-up's backlog in order, waiting while the connection's queue is full.
async fn drain(socket: Arc<Socket>, catch_up: Arc<CatchUp>) {
    let mut backoff = Duration::from_millis(1);
    loop {
        let next = {
            let mut state = catch_up.lock();
            if state.dead {
                return;
            }
            match state.backlog.pop_front() {
                Some(next) => next,
                None => {
                    state.live = true;
                    return;
                }
            }
        };
        match send_event(&socket, &next.event, next.seq, true) {
            Queued::Yes => backoff = Duration::from_millis(1),
            Queued::Full => {
                catch_up.lock().backlog.push_front(next);
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_millis(20));
            }
            Queued::Closed => {
                catch_up.lock().dead = true;
                return;
            }
        }
    }
}

/// The dispatcher's own state (no lock: only the task touches it).
#[derive(Default)]
struct State {
    channels: HashMap<&'static str, Room>,
    /// Connections being disconnected for an overflow: nothing more is sent to them.
    evicted: HashSet<Sid>,
    /// The log is shared: events are sent when it hands them back.
    shared: bool,
}

async fn run(inner: Arc<Inner>, mut rx: mpsc::UnboundedReceiver<Command>, feed: Feed) {
    let mut state = State::default();
    // A shared log fixes where its feed starts before any command is handled: a subscriber's
    // replay then always ends at or after that point, so the feed misses nothing it needs.
    match inner.log.follow(feed).await {
        Ok(shared) => state.shared = shared,
        Err(_e) => {
            inner.counters.log_errors.fetch_add(1, Ordering::Relaxed);
            #[cfg(feature = "tracing")]
            tracing::warn!("the event log cannot be followed: {_e}");
        }
    }
    let mut batch = Vec::with_capacity(BATCH);
    let mut emits = Vec::new();
    while rx.recv_many(&mut batch, BATCH).await > 0 {
        for command in batch.drain(..) {
            match command {
                // A shared log sends the events when it hands them back: the emits that follow
                // one another are appended together (one round trip to a network store, and the
                // servers then get them together, as one node's in-memory log would send them).
                Command::Emit { channel, event } if state.shared => emits.push((channel, event)),
                command => {
                    inner.append_emits(&mut emits).await;
                    inner.handle(&mut state, command).await;
                }
            }
        }
        inner.append_emits(&mut emits).await;
    }
}

/// The outcome of queueing one packet on a connection.
enum Queued {
    Yes,
    /// The send queue is full: the connection is evicted.
    Full,
    /// The connection is closed (its `Gone` is on the way).
    Closed,
}

fn queued(result: Result<(), SendError>) -> Queued {
    match result {
        Ok(()) => Queued::Yes,
        Err(SendError::Socket(SocketError::InternalChannelFull)) => Queued::Full,
        Err(_) => Queued::Closed,
    }
}

/// What a subscriber gets of an event (`docs/wire.md`, "Filtered subscriptions"), from whether
/// the row after the change is for it and whether the row before was (`None`: not given).
fn outcome(rows: &Rows<'_>, after: bool, before: Option<bool>) -> Option<Arc<LogEvent>> {
    match rows.event.kind {
        ModelEventKind::Created => after.then(|| rows.event.clone()),
        ModelEventKind::Updated => {
            if after {
                Some(if before == Some(false) {
                    rows.moved_in()
                } else {
                    rows.event.clone()
                })
            } else if before == Some(true) {
                rows.moved_out()
            } else {
                None
            }
        }
        ModelEventKind::Deleted => (before == Some(true)).then(|| rows.event.clone()),
    }
}

/// Sends one model event, with its position when the subscriber asked for positions.
fn send_event(socket: &Socket, event: &LogEvent, seq: u64, sequenced: bool) -> Queued {
    let name = event.kind.event_name();
    let model: &str = &event.model;
    let payload: &RawValue = &event.payload;
    queued(if sequenced {
        socket.emit(name, &(model, payload, seq))
    } else {
        socket.emit(name, &(model, payload))
    })
}

impl Inner {
    /// What a subscriber with `filter` (and the host's row check) gets of an event: the event
    /// itself, its moved-in or moved-out form, or nothing (`docs/wire.md`, "Filtered
    /// subscriptions").
    fn deliver(
        &self,
        filter: Option<&Filter>,
        socket: &Arc<Socket>,
        channel: &'static str,
        rows: &Rows<'_>,
    ) -> Option<Arc<LogEvent>> {
        let filter = filter.filter(|f| !f.is_empty());
        if filter.is_none() && self.row_check.is_none() {
            return Some(rows.event.clone());
        }
        let socket_ref = OnceLock::new();
        let matches = |row: &Value| {
            filter.is_none_or(|f| f.matches(row))
                && self.row_check.as_ref().is_none_or(|check| {
                    check(
                        socket_ref.get_or_init(|| SocketRef::from(socket.clone())),
                        channel,
                        row,
                    )
                })
        };
        let before = rows.before().map(&matches);
        let after = rows.after().is_some_and(&matches);
        outcome(rows, after, before)
    }

    async fn handle(&self, state: &mut State, command: Command) {
        match command {
            Command::Emit { channel, event } => {
                self.pending_emits.fetch_sub(1, Ordering::Relaxed);
                self.emit(state, channel, event).await;
            }
            Command::Notify {
                message,
                data,
                local,
            } => {
                if state.shared && !local {
                    self.retry(|| self.log.notify(&message, data.as_ref()))
                        .await;
                } else {
                    self.notify(state, &message, data.as_ref());
                }
            }
            Command::Deliver {
                channel,
                position,
                event,
            } => {
                self.pending.fetch_sub(1, Ordering::Relaxed);
                self.fan_out(state, channel, Some(position), &event);
            }
            Command::Gap { channel, position } => {
                let stale: Vec<_> = state
                    .channels
                    .get(channel)
                    .into_iter()
                    .flat_map(|room| {
                        let last = room.last.as_ref().map_or(0, |(_, seq)| *seq);
                        room.iter().filter(move |m| {
                            m.sequenced && if m.in_step { last } else { m.after } < position
                        })
                    })
                    .map(|m| (m.socket.id, m.socket.clone()))
                    .collect();
                for (sid, socket) in stale {
                    self.evict(state, sid, socket, Eviction::Resync);
                }
            }
            Command::Epoch { epoch } => {
                self.set_epoch(&epoch);
                // A member in step has its room's epoch: the room's position changes epoch
                // only by disconnecting the members in step.
                let stale: Vec<_> = state
                    .channels
                    .values()
                    .flat_map(Room::iter)
                    .filter(|m| m.sequenced && m.epoch != epoch)
                    .map(|m| (m.socket.id, m.socket.clone()))
                    .collect();
                for (sid, socket) in stale {
                    self.evict(state, sid, socket, Eviction::Resync);
                }
            }
            Command::Join {
                socket,
                channel,
                resume,
                done,
            } => self.join(state, socket, channel, resume, done).await,
            Command::Leave {
                socket,
                channel,
                done,
            } => {
                self.remove(state, channel, socket.id);
                done(Answer::Subscribe(SubscribeResult::Ok));
            }
            Command::Gone { sid } => {
                for channel in self.counts.keys() {
                    self.remove(state, channel, sid);
                }
                state.evicted.remove(&sid);
            }
        }
    }

    fn current_epoch(&self) -> Arc<str> {
        self.epoch
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn set_epoch(&self, epoch: &Arc<str>) {
        let mut current = self.epoch.lock().unwrap_or_else(PoisonError::into_inner);
        if *current != *epoch {
            *current = epoch.clone();
        }
    }

    /// A log operation succeeded: the log is no longer degraded (said once).
    fn log_back(&self) {
        if self.counters.degraded.swap(false, Ordering::Relaxed) {
            #[cfg(feature = "tracing")]
            tracing::warn!("the event log is back");
        }
    }

    /// A log operation failed: counted, and the log marked degraded (said once).
    fn log_failed(&self, _e: &LogError) {
        self.counters.log_errors.fetch_add(1, Ordering::Relaxed);
        if !self.counters.degraded.swap(true, Ordering::Relaxed) {
            #[cfg(feature = "tracing")]
            tracing::warn!("the event log failed: {_e}; events wait until it is back (retrying)");
        }
    }

    /// Runs a log operation until it succeeds, waiting longer after each failure (up to 2 s),
    /// with the log marked degraded meanwhile.
    async fn retry<'a, T>(&'a self, op: impl Fn() -> crate::log::LogFuture<'a, T>) -> T {
        let mut pause = Duration::from_millis(50);
        loop {
            match op().await {
                Ok(value) => {
                    self.log_back();
                    return value;
                }
                Err(e) => {
                    self.log_failed(&e);
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_secs(2));
                }
            }
        }
    }

    /// Appends a gap marker to each channel whose emits were dropped (the log is back).
    async fn mark_gaps(&self) {
        let gaps: Vec<&'static str> = {
            let mut gaps = self.gaps.lock().unwrap_or_else(PoisonError::into_inner);
            gaps.drain().collect()
        };
        for channel in gaps {
            self.retry(|| self.log.gap(channel)).await;
        }
    }

    /// Appends the emits gathered for a shared log, in order, retrying from the first that
    /// failed until all are in (as [`retry`](Self::retry) does for one); empties `emits`.
    async fn append_emits(&self, emits: &mut Vec<(&'static str, Arc<LogEvent>)>) {
        if emits.is_empty() {
            return;
        }
        self.pending_emits.fetch_sub(emits.len(), Ordering::Relaxed);
        let mut done = 0;
        let mut pause = Duration::from_millis(50);
        loop {
            let (appended, error) = self.log.append_many(&emits[done..]).await;
            done += appended;
            self.counters
                .events
                .fetch_add(appended as u64, Ordering::Relaxed);
            if done >= emits.len() {
                self.log_back();
                break;
            }
            let e = error.unwrap_or_else(|| {
                LogError::new("the log appended fewer events than it was given")
            });
            self.log_failed(&e);
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_secs(2));
        }
        emits.clear();
        self.mark_gaps().await;
    }

    async fn emit(&self, state: &mut State, channel: &'static str, event: Arc<LogEvent>) {
        if state.shared {
            // Sent when the log hands it back, in the log's order.
            self.retry(|| self.log.append(channel, event.clone())).await;
            self.counters.events.fetch_add(1, Ordering::Relaxed);
            self.mark_gaps().await;
            return;
        }
        let position = match self.log.append(channel, event.clone()).await {
            Ok(position) => Some(position),
            Err(_e) => {
                self.counters.log_errors.fetch_add(1, Ordering::Relaxed);
                #[cfg(feature = "tracing")]
                tracing::warn!(
                    channel,
                    "the event log failed: {_e}; resuming subscribers are disconnected"
                );
                None
            }
        };
        self.counters.events.fetch_add(1, Ordering::Relaxed);
        self.fan_out(state, channel, position, &event);
    }

    /// Sends an event to the channel's subscribers: with its position to those that asked for
    /// positions (skipping one they already have; disconnecting them after a hole or an epoch
    /// change), without to the others. Only the members the event may reach are visited (see
    /// [`Room`]), and the members out of step, whose positions are checked one by one.
    fn fan_out(
        &self,
        state: &mut State,
        channel: &'static str,
        position: Option<Position>,
        event: &Arc<LogEvent>,
    ) {
        if let Some(position) = &position {
            self.set_epoch(&position.epoch);
        }
        let room = state.channels.entry(channel).or_default();
        // What the members in step do with it, decided once for all of them.
        let step = match (&position, &room.last) {
            (None, _) => Step::Resync,
            (Some(p), Some((epoch, last))) if *epoch == p.epoch && p.seq <= *last => Step::Skip,
            (Some(p), Some((epoch, last))) if *epoch == p.epoch && p.seq == *last + 1 => {
                Step::Send(p.seq)
            }
            // A hole, another epoch, or the room's first event (no member is in step yet).
            (Some(_), _) => Step::Resync,
        };
        let mut evict = Vec::new();
        if let Step::Resync = step {
            // No position to give, or the positions no longer hold: they resubscribe.
            evict.extend(
                room.iter()
                    .filter(|m| m.sequenced && (m.in_step || position.is_none()))
                    .map(|m| (m.socket.id, m.socket.clone(), Eviction::Resync)),
            );
        }
        if let Some(p) = &position
            && !matches!(step, Step::Skip)
        {
            room.last = Some((p.epoch.clone(), p.seq));
        }
        let rows = Rows::new(event);
        let (after, before) = match event.kind {
            ModelEventKind::Created => (rows.after(), None),
            ModelEventKind::Updated => (rows.after(), rows.before()),
            ModelEventKind::Deleted => (None, rows.before()),
        };
        room.candidates(after, before, |member, known| {
            let seq = match (member.sequenced, member.in_step, step) {
                (false, _, _) => 0,
                (true, true, Step::Send(seq)) => seq,
                // Out of step (done below), or nothing to send in step.
                (true, _, _) => return,
            };
            let event = match known {
                // Filed under the only field its filter names: the index has matched it.
                Some(known) if member.filed_exactly && self.row_check.is_none() => {
                    outcome(&rows, known.after, rows.before().map(|_| known.before))
                }
                _ => self.deliver(member.filter.as_deref(), &member.socket, channel, &rows),
            };
            let Some(event) = event else {
                return;
            };
            if member.sequenced {
                self.send_positioned(member, &event, seq, &mut evict);
            } else if let Queued::Full = send_event(&member.socket, &event, 0, false) {
                evict.push((member.socket.id, member.socket.clone(), Eviction::Overflow));
            }
        });
        // The members out of step, one by one, as their own positions say; after the others,
        // so that one that comes into step with this event does not get it twice.
        if let Some(position) = &position {
            let last = room.last.clone();
            let mut out_of_step = core::mem::take(&mut room.out_of_step);
            out_of_step.retain(|&sid| {
                let Some(member) = room.get_mut(sid) else {
                    return false;
                };
                let seq = position.seq;
                if member.epoch != position.epoch || seq > member.after + 1 {
                    evict.push((sid, member.socket.clone(), Eviction::Resync));
                    return true;
                }
                if seq > member.after {
                    // The position is passed even when the event is not for this subscriber:
                    // its positions have gaps, never holes.
                    member.after = seq;
                    if let Some(event) =
                        self.deliver(member.filter.as_deref(), &member.socket, channel, &rows)
                    {
                        self.send_positioned(member, &event, seq, &mut evict);
                    }
                }
                member.in_step = last
                    .as_ref()
                    .is_some_and(|(e, l)| *e == member.epoch && *l == member.after);
                !member.in_step
            });
            room.out_of_step = out_of_step;
        }
        for (sid, socket, why) in evict {
            self.evict(state, sid, socket, why);
        }
    }

    /// Sends an event at `seq` to a sequenced member: behind its replay while it catches up,
    /// else straight to its connection.
    fn send_positioned(
        &self,
        member: &mut Member,
        event: &Arc<LogEvent>,
        seq: u64,
        evict: &mut Vec<(Sid, Arc<Socket>, Eviction)>,
    ) {
        if let Some(catch_up) = &member.catch_up {
            let mut catching_up = catch_up.lock();
            if !catching_up.live {
                catching_up.added += 1;
                if catching_up.added > self.max_buffer_size {
                    // Reads slower than the events arrive: as an overflow.
                    drop(catching_up);
                    evict.push((member.socket.id, member.socket.clone(), Eviction::Overflow));
                } else {
                    catching_up.backlog.push_back(Entry {
                        seq,
                        event: event.clone(),
                    });
                }
                return;
            }
            drop(catching_up);
            member.catch_up = None;
        }
        if let Queued::Full = send_event(&member.socket, event, seq, true) {
            evict.push((member.socket.id, member.socket.clone(), Eviction::Overflow));
        }
    }

    fn notify(&self, state: &mut State, message: &str, data: Option<&Value>) {
        let mut full = Vec::new();
        for socket in self.io.sockets() {
            if state.evicted.contains(&socket.id) {
                continue;
            }
            let sent = queued(match data {
                Some(data) => socket.emit("notification", &(message, data)),
                None => socket.emit("notification", &(message,)),
            });
            if let Queued::Full = sent {
                full.push(socket);
            }
        }
        for socket in full {
            self.evict_ref(state, socket, Eviction::Overflow);
        }
    }

    async fn join(
        &self,
        state: &mut State,
        socket: Arc<Socket>,
        channel: &'static str,
        resume: Option<Resume>,
        done: Done,
    ) {
        if !socket.connected() || state.evicted.contains(&socket.id) {
            return;
        }
        let Some(resume) = resume else {
            let epoch = self.current_epoch();
            self.insert_member(state, channel, socket, false, 0, epoch, None, None);
            done(Answer::Subscribe(SubscribeResult::Ok));
            return;
        };
        let current = self.current_epoch();
        let (since, client_epoch) = match resume.since {
            Some((seq, epoch)) if *epoch == *current => (Some(seq), Some(epoch)),
            Some((_, epoch)) => (None, Some(epoch)),
            None => (None, None),
        };
        let replay = match self.log.read(channel, since).await {
            Ok(replay) => replay,
            Err(_e) => {
                self.counters.log_errors.fetch_add(1, Ordering::Relaxed);
                #[cfg(feature = "tracing")]
                tracing::warn!(channel, "the event log failed: {_e}");
                done(Answer::Subscribe(SubscribeResult::Err(
                    "log unavailable".to_owned(),
                )));
                return;
            }
        };
        let (entries, head, epoch, reset) = match replay {
            Replay::Events {
                entries,
                head,
                epoch,
            } => {
                // A position of another history, or one read before the history changed.
                let foreign = client_epoch.as_deref().is_some_and(|c| *c != *epoch);
                let reset = foreign || (since.is_none() && client_epoch.is_some());
                (if reset { Vec::new() } else { entries }, head, epoch, reset)
            }
            Replay::Reset { head, epoch } => (Vec::new(), head, epoch, true),
        };
        self.set_epoch(&epoch);
        if reset {
            self.counters.resets.fetch_add(1, Ordering::Relaxed);
        }
        // A filtered subscriber gets what its filter would have sent, by the same rules.
        let entries: Vec<Entry> = entries
            .into_iter()
            .filter_map(|entry| {
                let rows = Rows::new(&entry.event);
                let event = self.deliver(resume.filter.as_deref(), &socket, channel, &rows)?;
                Some(Entry {
                    seq: entry.seq,
                    event,
                })
            })
            .collect();
        self.counters
            .replayed
            .fetch_add(entries.len() as u64, Ordering::Relaxed);
        let catch_up = (!entries.is_empty()).then(|| {
            let catch_up = Arc::new(CatchUp::default());
            catch_up.lock().backlog = entries.into();
            tokio::spawn(drain(socket.clone(), catch_up.clone()));
            catch_up
        });
        let filter = resume.filter.filter(|f| !f.is_empty());
        self.insert_member(
            state,
            channel,
            socket,
            true,
            head,
            epoch.clone(),
            catch_up,
            filter,
        );
        done(Answer::Resumed {
            epoch,
            seq: head,
            reset,
        });
    }

    #[allow(clippy::too_many_arguments)]
    fn insert_member(
        &self,
        state: &mut State,
        channel: &'static str,
        socket: Arc<Socket>,
        sequenced: bool,
        after: u64,
        epoch: Arc<str>,
        catch_up: Option<Arc<CatchUp>>,
        filter: Option<Arc<Filter>>,
    ) {
        let room = state.channels.entry(channel).or_default();
        let member = Member {
            socket,
            sequenced,
            after,
            epoch,
            in_step: false,
            filed_exactly: false,
            catch_up,
            filter,
        };
        match room.insert(member) {
            Some(before) => stop(&before),
            None => {
                if let Some(count) = self.counts.get(channel) {
                    count.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    }

    fn remove(&self, state: &mut State, channel: &str, sid: Sid) {
        if let Some(room) = state.channels.get_mut(channel)
            && let Some(member) = room.remove(sid)
        {
            stop(&member);
            if let Some(count) = self.counts.get(channel) {
                count.fetch_sub(1, Ordering::Relaxed);
            }
        }
    }

    /// A connection whose send queue overflowed, or whose positions no longer hold: out of
    /// every channel now, counted, logged once, disconnected as soon as the disconnect packet
    /// fits.
    fn evict(&self, state: &mut State, sid: Sid, socket: Arc<Socket>, why: Eviction) {
        debug_assert_eq!(socket.id, sid);
        self.evict_ref(state, SocketRef::from(socket), why);
    }

    fn evict_ref(&self, state: &mut State, socket: SocketRef, why: Eviction) {
        let sid = socket.id;
        if !state.evicted.insert(sid) {
            return;
        }
        for channel in self.counts.keys() {
            self.remove(state, channel, sid);
        }
        match why {
            Eviction::Overflow => {
                self.counters
                    .overflow_disconnects
                    .fetch_add(1, Ordering::Relaxed);
                #[cfg(feature = "tracing")]
                tracing::warn!(socket = %sid, "a client's send queue is full; disconnecting it (it resumes when it reconnects)");
            }
            Eviction::Resync => {
                self.counters
                    .resync_disconnects
                    .fetch_add(1, Ordering::Relaxed);
                #[cfg(feature = "tracing")]
                tracing::warn!(socket = %sid, "a client's positions no longer hold; disconnecting it (it resumes or reloads when it reconnects)");
            }
        }
        tokio::spawn(disconnect_when_possible(socket));
    }
}

/// What the members in step with their channel do with an event.
#[derive(Debug, Clone, Copy)]
enum Step {
    /// Send it at this position (the next one).
    Send(u64),
    /// They have it already.
    Skip,
    /// Their positions no longer hold (a hole, another epoch, no position): disconnect them.
    Resync,
}

/// Why a connection is disconnected by the server.
#[derive(Debug, Clone, Copy)]
enum Eviction {
    /// Its send queue overflowed.
    Overflow,
    /// Its positions no longer hold (epoch change, or a hole in what it was sent).
    Resync,
}

/// Stops a member's catch-up, if it has one.
fn stop(member: &Member) {
    if let Some(catch_up) = &member.catch_up {
        catch_up.lock().dead = true;
    }
}

/// Queues the disconnect packet behind what the connection has not read yet, retrying while
/// its send queue is full; ends when it is queued or the connection is gone.
async fn disconnect_when_possible(socket: SocketRef) {
    let mut backoff = Duration::from_millis(1);
    loop {
        if !socket.connected() {
            return;
        }
        match socket.clone().disconnect() {
            Err(SocketError::InternalChannelFull) => {
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_millis(50));
            }
            Ok(()) | Err(_) => return,
        }
    }
}
