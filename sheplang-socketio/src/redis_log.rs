//! [`RedisLog`]: the event log several server processes share, in Redis Streams, and
//! [`Publisher`]: model events from a process with no Socket.IO server (a worker, a cron job, a
//! CLI). Feature `redis`; `docs/scale-out.md` is the guide.
//!
//! **Layout.** Under a key prefix (default `sheplang`): `<prefix>:epoch`, a string naming the
//! current history; `<prefix>:log:<channel>`, one stream per channel; `<prefix>:notify`, the
//! stream of notifications. Entry `0-N` of a channel's stream is the event at position `N`.
//!
//! **Why Streams.** One structure gives all three things the log needs: `XADD` numbers and
//! stores an event in one step (the explicit id `0-*` makes Redis hand out `0-1, 0-2, ...`, so
//! the position is the stream's own counter, the same for every writer, Rust or Node);
//! `XADD ... MAXLEN ~ n` bounds what is kept; `XRANGE` replays from a position; `XREAD BLOCK`
//! lets each server process follow every channel with one connection and send each event to
//! its own clients. Pub/sub would lose what a process misses while it reconnects; a list has
//! no cheap range read by position.
//!
//! **Epochs.** Appends and reads run small Lua scripts (`append.lua`, `read.lua` of
//! `sheplang-core/runtime/api/realtime/redis/`, which the Node server runs too)
//! that read the epoch key in the same step, and create it when it is missing: a Redis that lost
//! its data (restarted without persistence) starts a new history with a new epoch, and every
//! client of the old one is told to reload instead of resuming from positions that now mean
//! other events.
//!
//! **Age.** Each entry carries the Redis server's time of the append; a resume whose first
//! missing event is older than [`RedisOptions::max_age`] answers `reset`, as
//! [`MemoryLog`](crate::MemoryLog) does.

use core::fmt;
use core::marker::PhantomData;
use core::time::Duration;
use std::borrow::Cow;
use std::sync::{Arc, Mutex, PoisonError};

use ::redis::aio::MultiplexedConnection;
use ::redis::{AsyncConnectionConfig, Client, RedisError, Script, Value};
use serde_json::value::RawValue;
use sheplang::{Model, ModelEvent, ModelEventKind, Ref, Spec};

use crate::log::{
    AppendMany, DEFAULT_LOG_CAPACITY, DEFAULT_LOG_MAX_AGE, Entry, EventLog, Feed, LogError,
    LogEvent, LogFuture, Position, Replay, new_epoch,
};

/// How many notifications the notification stream keeps (a process that was away longer
/// than that many notifications misses the oldest: notifications are not replayed to clients).
pub const DEFAULT_NOTIFY_CAPACITY: usize = 1_000;

/// How long a connection attempt, or a command, may take before it is an error.
const TIMEOUT: Duration = Duration::from_secs(5);

/// How long one `XREAD` of the follower blocks.
const BLOCK: Duration = Duration::from_secs(2);

/// How many entries one `XREAD` takes at most.
const READ_COUNT: usize = 512;

/// The longest wait between two attempts to reach a Redis that is down.
const MAX_PAUSE: Duration = Duration::from_secs(2);

/// The settings of a [`RedisLog`].
#[derive(Debug, Clone)]
#[must_use]
pub struct RedisOptions {
    prefix: String,
    capacity: usize,
    max_age: Duration,
    notify_capacity: usize,
}

impl Default for RedisOptions {
    fn default() -> Self {
        RedisOptions {
            prefix: "sheplang".to_owned(),
            capacity: DEFAULT_LOG_CAPACITY,
            max_age: DEFAULT_LOG_MAX_AGE,
            notify_capacity: DEFAULT_NOTIFY_CAPACITY,
        }
    }
}

impl RedisOptions {
    /// The prefix of every key (default `sheplang`): one per app (and per test) sharing a
    /// Redis. With Redis Cluster, put a hash tag in it (`{myapp}`) so that every key of the
    /// log lands in one slot.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// How many events each channel's stream keeps, at least (`MAXLEN ~`: Redis trims in
    /// whole blocks, so a few more stay). Default [`DEFAULT_LOG_CAPACITY`].
    pub fn capacity(mut self, events: usize) -> Self {
        self.capacity = events.max(1);
        self
    }

    /// How old the oldest event a client may resume from can be (default
    /// [`DEFAULT_LOG_MAX_AGE`]); a client further behind gets `reset`.
    pub fn max_age(mut self, age: Duration) -> Self {
        self.max_age = age;
        self
    }

    /// How many notifications the notification stream keeps (default
    /// [`DEFAULT_NOTIFY_CAPACITY`]).
    pub fn notify_capacity(mut self, notifications: usize) -> Self {
        self.notify_capacity = notifications.max(1);
        self
    }
}

/// The [`EventLog`] in Redis Streams, shared by every server process (and [`Publisher`]) that
/// connects to the same Redis with the same prefix. Cheap to clone.
///
/// ```ignore
/// let log = RedisLog::connect("redis://127.0.0.1:6379", RedisOptions::default()).await?;
/// let (realtime, layer) = RealtimeServer::<app::Spec>::builder().log(log).build();
/// ```
///
/// Positions come from the streams, so a change appended by any process has the same position
/// on every server; each server follows every channel of its spec (`XREAD BLOCK`, one
/// connection) and sends each event to its own subscribers. When Redis cannot be reached, the
/// server keeps its connections, marks the log degraded
/// ([`Metrics::log_degraded`](crate::Metrics)), and retries with backoff: emits wait, in
/// order, and go out when Redis is back; a resuming subscribe is answered `log unavailable`.
#[derive(Clone)]
pub struct RedisLog {
    inner: Arc<Inner>,
}

struct Inner {
    /// The URL without its password, for messages.
    url: String,
    client: Client,
    options: RedisOptions,
    epoch_key: String,
    notify_key: String,
    append: Script,
    read: Script,
    connection: Mutex<Option<MultiplexedConnection>>,
    epoch: Mutex<Arc<str>>,
}

impl fmt::Debug for RedisLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisLog")
            .field("url", &self.inner.url)
            .field("options", &self.inner.options)
            .field("epoch", &self.epoch())
            .finish_non_exhaustive()
    }
}

/// `redis://user:secret@host` as `redis://user:***@host`.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.find(':') {
                Some(colon) => format!("{}:***{}", &url[..scheme + 3 + colon], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

fn config() -> AsyncConnectionConfig {
    AsyncConnectionConfig::new()
        .set_connection_timeout(Some(TIMEOUT))
        .set_response_timeout(Some(TIMEOUT))
}

impl RedisLog {
    /// Connects to the Redis at `url` (`redis://host:port/db`, `rediss://` for TLS is not
    /// built in) and reads the log's epoch (starting a history if there is none).
    ///
    /// # Errors
    /// A clear [`LogError`] naming the URL when it is malformed or Redis cannot be reached.
    pub async fn connect(url: &str, options: RedisOptions) -> Result<Self, LogError> {
        let shown = redact(url);
        let client = Client::open(url).map_err(|e| {
            LogError::new(format!(
                "invalid Redis URL `{shown}`: {e}; expected `redis://host:port` (with `/db` optional)"
            ))
        })?;
        let connection = client
            .get_multiplexed_async_connection_with_config(&config())
            .await
            .map_err(|e| {
                LogError::new(format!(
                    "cannot reach Redis at `{shown}`: {e}; start `redis-server` there, or give the URL of a running one"
                ))
            })?;
        let prefix = &options.prefix;
        let log = RedisLog {
            inner: Arc::new(Inner {
                epoch_key: format!("{prefix}:epoch"),
                notify_key: format!("{prefix}:notify"),
                url: shown,
                client,
                options,
                append: Script::new(include_str!(
                    "../../sheplang-core/runtime/api/realtime/redis/append.lua"
                )),
                read: Script::new(include_str!(
                    "../../sheplang-core/runtime/api/realtime/redis/read.lua"
                )),
                connection: Mutex::new(Some(connection)),
                epoch: Mutex::new(Arc::from("")),
            }),
        };
        let mut connection = log.connection().await?;
        let epoch = log.current_epoch(&mut connection).await?;
        log.set_epoch(&epoch);
        Ok(log)
    }

    /// The URL of the Redis, without its password.
    pub fn url(&self) -> &str {
        &self.inner.url
    }

    fn stream_key(&self, channel: &str) -> String {
        format!("{}:log:{channel}", self.inner.options.prefix)
    }

    fn set_epoch(&self, epoch: &Arc<str>) {
        let mut current = self
            .inner
            .epoch
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if *current != *epoch {
            *current = epoch.clone();
        }
    }

    /// The shared connection for commands, connecting again after a failure.
    async fn connection(&self) -> Result<MultiplexedConnection, LogError> {
        if let Some(connection) = self
            .inner
            .connection
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
        {
            return Ok(connection);
        }
        let connection = self
            .inner
            .client
            .get_multiplexed_async_connection_with_config(&config())
            .await
            .map_err(|e| self.failed(&e))?;
        *self
            .inner
            .connection
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(connection.clone());
        Ok(connection)
    }

    /// A failed command: the connection is dropped (the next command connects again).
    fn failed(&self, e: &RedisError) -> LogError {
        *self
            .inner
            .connection
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = None;
        LogError::new(format!("Redis at `{}` failed: {e}", self.inner.url))
    }

    /// The epoch now, starting a history when the store has none.
    async fn current_epoch(
        &self,
        connection: &mut MultiplexedConnection,
    ) -> Result<Arc<str>, LogError> {
        let key = &self.inner.epoch_key;
        let (_, epoch): (Value, String) = ::redis::pipe()
            .cmd("SET")
            .arg(key)
            .arg(new_epoch())
            .arg("NX")
            .cmd("GET")
            .arg(key)
            .query_async(connection)
            .await
            .map_err(|e| self.failed(&e))?;
        Ok(epoch.into())
    }

    /// Whether a connection to Redis is open now (a failure on it may be a stale connection).
    fn has_connection(&self) -> bool {
        self.inner
            .connection
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_some()
    }

    /// Runs `op` once, and once more on a new connection when it failed on one made earlier
    /// (Redis restarted or closed it: the first command after that finds it broken).
    async fn twice<'a, T, F>(&'a self, op: impl Fn() -> F) -> Result<T, LogError>
    where
        F: core::future::Future<Output = Result<T, LogError>> + 'a,
    {
        let had_connection = self.has_connection();
        match op().await {
            Err(_) if had_connection => op().await,
            done => done,
        }
    }

    async fn append_now(&self, channel: &str, event: &LogEvent) -> Result<Position, LogError> {
        self.twice(|| self.append_once(channel, event)).await
    }

    async fn read_now(&self, channel: &str, since: Option<u64>) -> Result<Replay, LogError> {
        self.twice(|| self.read_once(channel, since)).await
    }

    async fn append_once(&self, channel: &str, event: &LogEvent) -> Result<Position, LogError> {
        self.append_raw(
            channel,
            event.kind.event_name(),
            &event.model,
            event.payload.get(),
            event.before.as_ref().map_or("", |b| b.get()),
        )
        .await
    }

    /// Runs the append script with an entry's fields: kind, model, payload JSON and the row
    /// before the change (JSON, or `""`).
    async fn append_raw(
        &self,
        channel: &str,
        kind: &str,
        model: &str,
        payload: &str,
        before: &str,
    ) -> Result<Position, LogError> {
        let mut connection = self.connection().await?;
        let reply: Value = self
            .inner
            .append
            .key(&self.inner.epoch_key)
            .key(self.stream_key(channel))
            .arg(new_epoch())
            .arg(self.inner.options.capacity)
            .arg(kind)
            .arg(model)
            .arg(payload)
            .arg(before)
            .invoke_async(&mut connection)
            .await
            .map_err(|e| self.failed(&e))?;
        self.appended(&reply)
    }

    /// The position an append script answered (`{ epoch, id }`).
    fn appended(&self, reply: &Value) -> Result<Position, LogError> {
        let bad = || self.unexpected("the append script", reply);
        let Value::Array(items) = &reply else {
            return Err(bad());
        };
        let [epoch, id] = items.as_slice() else {
            return Err(bad());
        };
        let epoch: Arc<str> = text(epoch).ok_or_else(bad)?.into();
        let seq = text(id).and_then(position_of).ok_or_else(bad)?;
        self.set_epoch(&epoch);
        Ok(Position { seq, epoch })
    }

    /// Appends `events` in order with one pipeline of append scripts (one round trip, not one
    /// per event): how many were appended, from the first, and the error of the first that was
    /// not. A script Redis does not have (it restarted) is loaded and the pipeline sent again
    /// from there; a pipeline that failed on a connection made earlier is sent once more on a
    /// new one, as [`twice`](Self::twice) does for one command.
    async fn append_pipelined(
        &self,
        events: &[(&str, Arc<LogEvent>)],
    ) -> (usize, Option<LogError>) {
        let mut done = 0;
        let (mut loaded, mut reconnected) = (false, false);
        'pipelines: while done < events.len() {
            let had_connection = self.has_connection();
            let mut connection = match self.connection().await {
                Ok(connection) => connection,
                Err(e) => return (done, Some(e)),
            };
            let mut pipe = ::redis::pipe();
            pipe.ignore_errors();
            for (channel, event) in &events[done..] {
                pipe.cmd("EVALSHA")
                    .arg(self.inner.append.get_hash())
                    .arg(2)
                    .arg(&self.inner.epoch_key)
                    .arg(self.stream_key(channel))
                    .arg(new_epoch())
                    .arg(self.inner.options.capacity)
                    .arg(event.kind.event_name())
                    .arg(&*event.model)
                    .arg(event.payload.get())
                    .arg(event.before.as_ref().map_or("", |b| b.get()));
            }
            let replies: Vec<::redis::RedisResult<Value>> =
                match pipe.query_async(&mut connection).await {
                    Ok(replies) => replies,
                    Err(e) => {
                        let e = self.failed(&e);
                        if had_connection && !reconnected {
                            reconnected = true;
                            continue;
                        }
                        return (done, Some(e));
                    }
                };
            for reply in replies {
                let position = match reply {
                    Ok(reply) => self.appended(&reply),
                    Err(e)
                        if !loaded
                            && e.kind()
                                == ::redis::ErrorKind::Server(
                                    ::redis::ServerErrorKind::NoScript,
                                ) =>
                    {
                        loaded = true;
                        if let Err(e) = self.inner.append.load_async(&mut connection).await {
                            return (done, Some(self.failed(&e)));
                        }
                        continue 'pipelines;
                    }
                    Err(e) => Err(self.failed(&e)),
                };
                match position {
                    Ok(_) => done += 1,
                    Err(e) => return (done, Some(e)),
                }
            }
        }
        (done, None)
    }

    async fn read_once(&self, channel: &str, since: Option<u64>) -> Result<Replay, LogError> {
        let mut connection = self.connection().await?;
        let first = since.map_or_else(String::new, |since| format!("0-{}", since + 1));
        let reply: Value = self
            .inner
            .read
            .key(&self.inner.epoch_key)
            .key(self.stream_key(channel))
            .arg(new_epoch())
            .arg(first)
            .invoke_async(&mut connection)
            .await
            .map_err(|e| self.failed(&e))?;
        let bad = || self.unexpected("the read script", &reply);
        let Value::Array(items) = &reply else {
            return Err(bad());
        };
        let [epoch, head, now, entries] = items.as_slice() else {
            return Err(bad());
        };
        let epoch: Arc<str> = text(epoch).ok_or_else(bad)?.into();
        let head = text(head).and_then(position_of).ok_or_else(bad)?;
        let now: u64 = text(now).and_then(|t| t.parse().ok()).ok_or_else(bad)?;
        self.set_epoch(&epoch);
        let reset = Replay::Reset {
            head,
            epoch: epoch.clone(),
        };
        let Some(since) = since else {
            return Ok(Replay::Events {
                entries: Vec::new(),
                head,
                epoch,
            });
        };
        if since > head {
            return Ok(reset);
        }
        let Value::Array(raw) = entries else {
            return Err(bad());
        };
        let mut out = Vec::with_capacity(raw.len());
        for raw in raw {
            let Some(parsed) = parse_entry(raw) else {
                // An entry no writer of this protocol made: the replay cannot be trusted.
                return Ok(reset);
            };
            if out.is_empty() {
                let max_age =
                    u64::try_from(self.inner.options.max_age.as_millis()).unwrap_or(u64::MAX);
                if parsed.seq != since + 1 || now.saturating_sub(parsed.at) > max_age {
                    return Ok(reset);
                }
            }
            out.push(Entry {
                seq: parsed.seq,
                event: Arc::new(parsed.event),
            });
        }
        if since < head && out.is_empty() {
            return Ok(reset);
        }
        Ok(Replay::Events {
            entries: out,
            head,
            epoch,
        })
    }

    fn unexpected(&self, what: &str, reply: &Value) -> LogError {
        LogError::new(format!(
            "Redis at `{}` answered {what} with `{reply:?}`; is it Redis 7 or later?",
            self.inner.url
        ))
    }

    async fn notify_now(
        &self,
        message: &str,
        data: Option<&serde_json::Value>,
    ) -> Result<(), LogError> {
        self.twice(|| self.notify_once(message, data)).await
    }

    async fn notify_once(
        &self,
        message: &str,
        data: Option<&serde_json::Value>,
    ) -> Result<(), LogError> {
        let mut connection = self.connection().await?;
        let mut cmd = ::redis::cmd("XADD");
        cmd.arg(&self.inner.notify_key)
            .arg("MAXLEN")
            .arg("~")
            .arg(self.inner.options.notify_capacity)
            .arg("*")
            .arg("m")
            .arg(message);
        if let Some(data) = data {
            cmd.arg("d").arg(data.to_string());
        }
        let _: Value = cmd
            .query_async(&mut connection)
            .await
            .map_err(|e| self.failed(&e))?;
        Ok(())
    }
}

impl EventLog for RedisLog {
    fn epoch(&self) -> Arc<str> {
        self.inner
            .epoch
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn append<'a>(&'a self, channel: &'a str, event: Arc<LogEvent>) -> LogFuture<'a, Position> {
        Box::pin(async move { self.append_now(channel, &event).await })
    }

    fn append_many<'a>(&'a self, events: &'a [(&'a str, Arc<LogEvent>)]) -> AppendMany<'a> {
        Box::pin(self.append_pipelined(events))
    }

    fn read<'a>(&'a self, channel: &'a str, since: Option<u64>) -> LogFuture<'a, Replay> {
        Box::pin(self.read_now(channel, since))
    }

    fn follow(&self, feed: Feed) -> LogFuture<'_, bool> {
        Box::pin(async move {
            let mut follower = Follower::new(self.clone(), feed);
            // Fix the starting point now; if Redis is away, the follower starts when it is
            // back (subscribers that missed something in between are told to resubscribe).
            let _ = follower.resume().await;
            tokio::spawn(follower.run());
            Ok(true)
        })
    }

    fn notify<'a>(
        &'a self,
        message: &'a str,
        data: Option<&'a serde_json::Value>,
    ) -> LogFuture<'a, ()> {
        Box::pin(self.notify_now(message, data))
    }

    fn gap<'a>(&'a self, channel: &'a str) -> LogFuture<'a, ()> {
        Box::pin(async move {
            // Kind `gap`: no reader takes it for an event (docs/scale-out.md).
            self.twice(|| self.append_raw(channel, "gap", "", "null", ""))
                .await?;
            Ok(())
        })
    }
}

/// A bulk or simple string reply as text.
fn text(value: &Value) -> Option<&str> {
    match value {
        Value::BulkString(bytes) => core::str::from_utf8(bytes).ok(),
        Value::SimpleString(s) => Some(s),
        _ => None,
    }
}

/// The position of stream id `0-N`.
fn position_of(id: &str) -> Option<u64> {
    id.strip_prefix("0-")?.parse().ok()
}

struct Parsed {
    seq: u64,
    epoch: String,
    at: u64,
    event: LogEvent,
}

/// `[id, [field, value, ...]]` of a channel's stream.
fn parse_entry(raw: &Value) -> Option<Parsed> {
    let Value::Array(pair) = raw else {
        return None;
    };
    let [id, Value::Array(fields)] = pair.as_slice() else {
        return None;
    };
    let seq = position_of(text(id)?)?;
    let (mut epoch, mut at, mut kind, mut model, mut payload) = (None, None, None, None, None);
    let mut before = None;
    for field in fields.chunks(2) {
        let [name, value] = field else {
            return None;
        };
        let value = text(value)?;
        match text(name)? {
            "e" => epoch = Some(value),
            "t" => at = value.parse().ok(),
            "k" => kind = ModelEventKind::from_event_name(value),
            "m" => model = Some(value),
            "p" => payload = RawValue::from_string(value.to_owned()).ok(),
            "b" => before = RawValue::from_string(value.to_owned()).ok(),
            _ => {}
        }
    }
    Some(Parsed {
        seq,
        epoch: epoch?.to_owned(),
        at: at?,
        event: LogEvent {
            kind: kind?,
            model: Cow::Owned(model?.to_owned()),
            payload: payload?,
            before,
        },
    })
}

/// `[id, [field, value, ...]]` of the notification stream: the message and its data.
fn parse_notification(raw: &Value) -> Option<(String, Option<serde_json::Value>)> {
    let Value::Array(pair) = raw else {
        return None;
    };
    let [_, Value::Array(fields)] = pair.as_slice() else {
        return None;
    };
    let (mut message, mut data) = (None, None);
    for field in fields.chunks(2) {
        let [name, value] = field else {
            return None;
        };
        let value = text(value)?;
        match text(name)? {
            "m" => message = Some(value.to_owned()),
            "d" => data = Some(serde_json::from_str(value).ok()?),
            _ => {}
        }
    }
    Some((message?, data))
}

/// The task that follows every channel's stream (and the notification stream) with
/// `XREAD BLOCK` on a connection of its own, and hands what it reads to the server.
struct Follower {
    log: RedisLog,
    feed: Feed,
    /// The streams: every channel's, then the notification stream.
    keys: Vec<String>,
    /// The last id read of each stream; `None` until the starting point is fixed.
    ids: Option<Vec<String>>,
    epoch: Arc<str>,
    connection: Option<MultiplexedConnection>,
}

impl Follower {
    fn new(log: RedisLog, feed: Feed) -> Self {
        let mut keys: Vec<String> = feed.channels().iter().map(|c| log.stream_key(c)).collect();
        keys.push(log.inner.notify_key.clone());
        let epoch = log.epoch();
        Follower {
            log,
            feed,
            keys,
            ids: None,
            epoch,
            connection: None,
        }
    }

    /// Connects, and fixes where reading goes on: the streams' last ids the first time; the
    /// same ids after a lost connection when the history is the same; the start of every
    /// stream when the history is new (Redis lost its data: its clients are told).
    async fn resume(&mut self) -> Result<(), LogError> {
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(TIMEOUT))
            .set_response_timeout(Some(BLOCK + TIMEOUT));
        let mut connection = self
            .log
            .inner
            .client
            .get_multiplexed_async_connection_with_config(&config)
            .await
            .map_err(|e| LogError::new(format!("Redis at `{}`: {e}", self.log.url())))?;
        let epoch = self.log.current_epoch(&mut connection).await?;
        if self.ids.is_none() {
            let mut pipe = ::redis::pipe();
            for key in &self.keys {
                pipe.cmd("XREVRANGE")
                    .arg(key)
                    .arg("+")
                    .arg("-")
                    .arg("COUNT")
                    .arg(1);
            }
            let heads: Vec<Value> = pipe
                .query_async(&mut connection)
                .await
                .map_err(|e| LogError::new(format!("Redis at `{}`: {e}", self.log.url())))?;
            let ids = heads
                .iter()
                .map(|head| match head {
                    Value::Array(entries) => entries
                        .first()
                        .and_then(|entry| match entry {
                            Value::Array(pair) => pair.first().and_then(text),
                            _ => None,
                        })
                        .unwrap_or("0-0")
                        .to_owned(),
                    _ => "0-0".to_owned(),
                })
                .collect();
            self.ids = Some(ids);
        } else if epoch != self.epoch {
            self.ids = Some(vec!["0-0".to_owned(); self.keys.len()]);
            self.feed.epoch(epoch.clone());
        }
        self.log.set_epoch(&epoch);
        self.epoch = epoch;
        self.connection = Some(connection);
        Ok(())
    }

    async fn run(mut self) {
        let mut pause = Duration::from_millis(50);
        loop {
            if self.connection.is_none() {
                if self.resume().await.is_err() {
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(MAX_PAUSE);
                    continue;
                }
                pause = Duration::from_millis(50);
            }
            let (Some(connection), Some(ids)) = (&mut self.connection, &self.ids) else {
                continue;
            };
            let mut cmd = ::redis::cmd("XREAD");
            cmd.arg("COUNT")
                .arg(READ_COUNT)
                .arg("BLOCK")
                .arg(u64::try_from(BLOCK.as_millis()).unwrap_or(u64::MAX))
                .arg("STREAMS")
                .arg(&self.keys)
                .arg(ids);
            let reply: Value = match cmd.query_async(connection).await {
                Ok(reply) => reply,
                Err(_) => {
                    self.connection = None;
                    continue;
                }
            };
            if !self.hand_over(&reply) {
                return;
            }
            self.feed.room().await;
        }
    }

    /// Hands an `XREAD` reply to the server; `false` when the server is gone.
    fn hand_over(&mut self, reply: &Value) -> bool {
        let Value::Array(streams) = reply else {
            return true; // Nil: nothing new within the block time.
        };
        let notify = self.keys.len() - 1;
        for stream in streams {
            let Value::Array(pair) = stream else { continue };
            let [key, Value::Array(entries)] = pair.as_slice() else {
                continue;
            };
            let Some(index) = text(key).and_then(|k| self.keys.iter().position(|x| x == k)) else {
                continue;
            };
            for raw in entries {
                if let Value::Array(pair) = raw
                    && let Some(id) = pair.first().and_then(text)
                    && let Some(ids) = &mut self.ids
                {
                    ids[index] = id.to_owned();
                }
                if index == notify {
                    if let Some((message, data)) = parse_notification(raw)
                        && !self.feed.notification(message, data)
                    {
                        return false;
                    }
                    continue;
                }
                // A gap marker, or an entry no writer of this protocol made: a hole, which the
                // channel's positioned subscribers resync over.
                let Some(parsed) = parse_entry(raw) else {
                    let position = match raw {
                        Value::Array(pair) => pair.first().and_then(text).and_then(position_of),
                        _ => None,
                    };
                    if let Some(position) = position
                        && !self.feed.gap(self.feed.channels()[index], position)
                    {
                        return false;
                    }
                    continue;
                };
                if *parsed.epoch != *self.epoch {
                    self.epoch = parsed.epoch.into();
                    self.log.set_epoch(&self.epoch);
                    if !self.feed.epoch(self.epoch.clone()) {
                        return false;
                    }
                }
                let channel = self.feed.channels()[index];
                let position = Position {
                    seq: parsed.seq,
                    epoch: self.epoch.clone(),
                };
                if !self.feed.event(channel, position, Arc::new(parsed.event)) {
                    return false;
                }
            }
        }
        true
    }
}

/// Model events (and notifications) from a process with no Socket.IO server: a worker, a cron
/// job, a CLI. They reach every subscriber of every server that shares the [`RedisLog`], with
/// the same positions, exactly as if a server had emitted them.
///
/// ```ignore
/// let log = RedisLog::connect(&url, RedisOptions::default()).await?;
/// let publisher = Publisher::<app::Spec>::new(log);
/// publisher.emit_created(&task).await?;
/// ```
pub struct Publisher<S: Spec> {
    log: RedisLog,
    spec: PhantomData<fn() -> S>,
}

impl<S: Spec> Publisher<S> {
    /// A publisher into `log`.
    pub fn new(log: RedisLog) -> Self {
        Publisher {
            log,
            spec: PhantomData,
        }
    }

    /// The log it publishes into.
    pub fn log(&self) -> &RedisLog {
        &self.log
    }

    /// Appends a model event to its channel's log; resolves to its position.
    ///
    /// # Errors
    /// When the row does not serialise, or Redis cannot be written (nothing was appended: try
    /// again).
    pub async fn publish<M: Model<Spec = S>>(
        &self,
        event: ModelEvent<'_, M>,
    ) -> Result<Position, LogError> {
        let payload = crate::server::encode_payload(&event).map_err(|e| {
            LogError::new(format!(
                "the `{}` row does not serialise: {e}; check its `Serialize` impl",
                M::NAME
            ))
        })?;
        let channel = event.room();
        let event = LogEvent::new(event.kind(), M::NAME, payload);
        self.log.append_now(channel, &event).await
    }

    /// `model_created(M::NAME, row)` to every subscriber of `M`'s channel.
    ///
    /// # Errors
    /// As [`publish`](Self::publish).
    pub async fn emit_created<M: Model<Spec = S>>(&self, row: &M) -> Result<Position, LogError> {
        self.publish(sheplang::created(row)).await
    }

    /// `model_updated(M::NAME, row)` to every subscriber of `M`'s channel.
    ///
    /// # Errors
    /// As [`publish`](Self::publish).
    pub async fn emit_updated<M: Model<Spec = S>>(&self, row: &M) -> Result<Position, LogError> {
        self.publish(sheplang::updated(row)).await
    }

    /// `model_deleted(M::NAME, id)` to every subscriber of `M`'s channel.
    ///
    /// # Errors
    /// As [`publish`](Self::publish).
    pub async fn emit_deleted<M: Model<Spec = S>>(
        &self,
        id: impl Into<Ref<M>>,
    ) -> Result<Position, LogError> {
        let id = id.into();
        self.publish(ModelEvent::<M>::deleted_id(&id)).await
    }

    /// `notification(message)` or `notification(message, data)` to every client of every
    /// server.
    ///
    /// # Errors
    /// When Redis cannot be written.
    pub async fn notify(
        &self,
        message: &str,
        data: Option<&serde_json::Value>,
    ) -> Result<(), LogError> {
        self.log.notify_now(message, data).await
    }
}

impl<S: Spec> Clone for Publisher<S> {
    fn clone(&self) -> Self {
        Publisher::new(self.log.clone())
    }
}

impl<S: Spec> fmt::Debug for Publisher<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Publisher")
            .field("app", &S::APP)
            .field("log", &self.log)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_stay_out_of_messages() {
        assert_eq!(
            redact("redis://user:secret@host:6379/0"),
            "redis://user:***@host:6379/0"
        );
        assert_eq!(redact("redis://host:6379"), "redis://host:6379");
        assert_eq!(redact("redis://:pw@host"), "redis://:***@host");
    }

    #[test]
    fn positions_are_the_stream_ids_counter() {
        assert_eq!(position_of("0-42"), Some(42));
        assert_eq!(position_of("1700000000000-0"), None);
    }
}
