//! [`RealtimeServerBuilder`]: the settings of a [`RealtimeServer`], and the tower layer it builds.

use core::fmt;
use core::future::Future;
use core::marker::PhantomData;
use core::time::Duration;
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;

use sheplang::{Channel as _, Filter, Spec};
use socketioxide::extract::SocketRef;
use socketioxide::layer::SocketIoLayer;
use socketioxide::service::SocketIoService;
use socketioxide::{ParserConfig, SocketIo};
use tower_layer::Layer;

use crate::hub::{Hub, RowCheck};
use crate::log::{EventLog, MemoryLog};
use crate::origin::{GuardConfig, OriginGuard, OriginLayer};
use crate::protocol::{self, AuthorizeFn, Shared};
use crate::{Hosts, Origins, RealtimeServer};

/// The default largest incoming message, in bytes: 100 kB, as the generated Node server
/// (`maxPayloadBytes`) and socketioxide's polling transport.
pub const DEFAULT_MAX_PAYLOAD: u64 = 100_000;

/// The default number of packets that may wait for one slow client; a client whose queue
/// overflows is disconnected and resumes when it reconnects (socketioxide's own default is 128).
pub const DEFAULT_MAX_BUFFER_SIZE: usize = 4096;

/// The default bound of emits waiting for a shared log that cannot be written
/// ([`RealtimeServerBuilder::max_pending_emits`]).
pub const DEFAULT_MAX_PENDING_EMITS: usize = 100_000;

/// The default time an authorize hook may take before the subscription is denied.
pub const DEFAULT_AUTHORIZE_TIMEOUT: Duration = Duration::from_secs(10);

/// Settings of a [`RealtimeServer`]; made by [`RealtimeServer::builder`].
///
/// Every setting has a safe default: no cross-origin page may connect, only `localhost` and the
/// server's own address are answered as `Host`, every channel of the spec may be subscribed
/// to, messages are capped at [`DEFAULT_MAX_PAYLOAD`] bytes, binary attachments are refused.
///
/// ```ignore
/// let (realtime, layer) = RealtimeServer::<app::Spec>::builder()
///     .allowed_origins(["http://localhost:5173"])
///     .authorize(|socket, channel| async move { can_read(&socket, channel).await })
///     .max_payload(64 * 1024)
///     .build();
/// let app = axum::Router::new().layer(layer);
/// ```
#[must_use = "a builder does nothing until `build` is called"]
pub struct RealtimeServerBuilder<S: Spec> {
    origins: Origins,
    hosts: Hosts,
    authorize: Option<AuthorizeFn<S>>,
    authorize_timeout: Duration,
    row_check: Option<RowCheck>,
    max_payload: u64,
    max_buffer_size: usize,
    max_pending_emits: usize,
    ping_interval: Option<Duration>,
    ping_timeout: Option<Duration>,
    req_path: String,
    log: Option<Arc<dyn EventLog>>,
    spec: PhantomData<fn() -> S>,
}

impl<S: Spec> RealtimeServerBuilder<S> {
    pub(crate) fn new() -> Self {
        RealtimeServerBuilder {
            origins: Origins::none(),
            hosts: Hosts::local(),
            authorize: None,
            authorize_timeout: DEFAULT_AUTHORIZE_TIMEOUT,
            row_check: None,
            max_payload: DEFAULT_MAX_PAYLOAD,
            max_buffer_size: DEFAULT_MAX_BUFFER_SIZE,
            max_pending_emits: DEFAULT_MAX_PENDING_EMITS,
            ping_interval: None,
            ping_timeout: None,
            req_path: "/socket.io".to_owned(),
            log: None,
            spec: PhantomData,
        }
    }

    /// The web origins whose pages may connect, besides same-origin pages and non-browser
    /// clients: a list (`["https://app.example.com"]`), or [`Origins::any`] to allow every site.
    /// The default is none. See [`crate::origin`] for the exact rule.
    pub fn allowed_origins(mut self, origins: impl Into<Origins>) -> Self {
        self.origins = origins.into();
        self
    }

    /// The `Host` names the server answers to, besides `localhost` and its own address (the
    /// default): `["app.example.com"]` for a server reached by that name, or [`Hosts::any`]
    /// behind a proxy that checks the name itself. The check applies to every request that
    /// passes through the layer, so put the layer around the whole router. See
    /// [`crate::origin`] for the exact rule.
    pub fn allowed_hosts(mut self, hosts: impl Into<Hosts>) -> Self {
        self.hosts = hosts.into();
        self
    }

    /// The host's decision on each subscription to a known channel: `true` joins the room,
    /// `false` answers `{ ok: false, error: "not authorized" }`.
    ///
    /// The hook gets the socket (its handshake headers, query and extensions are there:
    /// `socket.req_parts()`) and the parsed channel. It may be slow: a client's
    /// subscribes and unsubscribes are still handled one after the other, in the order they
    /// were sent. A hook that panics, or takes longer than the
    /// [`authorize_timeout`](Self::authorize_timeout), denies.
    ///
    /// ```ignore
    /// .authorize(|socket, channel| async move {
    ///     channel != app::Channel::User || is_admin(socket.req_parts()).await
    /// })
    /// ```
    pub fn authorize<F, Fut>(mut self, hook: F) -> Self
    where
        F: Fn(SocketRef, S::Channel) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = bool> + Send + 'static,
    {
        self.authorize = Some(Arc::new(move |socket, channel, _filter| {
            Box::pin(hook(socket, channel))
        }));
        self
    }

    /// The host's decision on each subscription, with its filter (`docs/wire.md`, "Filtered
    /// subscriptions"): in place of [`authorize`](Self::authorize) (the last one set is used).
    /// The filter is empty for a subscription to the whole channel. `false`, a panic or a
    /// timeout answers `not authorized`; nothing is sent on the subscription before the hook
    /// has answered.
    ///
    /// ```ignore
    /// // A user sees the tasks of their own team, and only those.
    /// .authorize_filter(|socket, channel, filter| async move {
    ///     let team = team_of(socket.req_parts()).await;
    ///     channel == app::Channel::Task && filter.get_str("teamId") == team.as_deref()
    /// })
    /// ```
    pub fn authorize_filter<F, Fut>(mut self, hook: F) -> Self
    where
        F: Fn(SocketRef, S::Channel, Filter) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = bool> + Send + 'static,
    {
        self.authorize = Some(Arc::new(move |socket, channel, filter| {
            Box::pin(hook(socket, channel, filter))
        }));
        self
    }

    /// A check of each row before it is sent to a connection, after the filter: `false`
    /// treats the row as not matching (so a row that stops passing arrives as a removal when
    /// the host gave the previous row). Called on the server's dispatcher for every row and
    /// subscriber, so it must be quick and must not block (read what it needs from the
    /// socket's extensions, set at connection time).
    pub fn check_rows<F>(mut self, check: F) -> Self
    where
        F: Fn(&SocketRef, S::Channel, &serde_json::Value) -> bool + Send + Sync + 'static,
    {
        self.row_check = Some(Arc::new(move |socket, channel, row| {
            S::parse_channel(channel).is_ok_and(|channel| check(socket, channel, row))
        }));
        self
    }

    /// How long the authorize hook may take before the subscription is denied
    /// (default [`DEFAULT_AUTHORIZE_TIMEOUT`]).
    pub fn authorize_timeout(mut self, timeout: Duration) -> Self {
        self.authorize_timeout = timeout;
        self
    }

    /// The largest incoming message in bytes, on every transport (default
    /// [`DEFAULT_MAX_PAYLOAD`]). A client that sends more is disconnected, as Node's Socket.IO
    /// does with `maxHttpBufferSize`. Sets socketioxide's `max_payload` (polling) and its WebSocket message and frame
    /// limits, whose own default is 64 MiB.
    pub fn max_payload(mut self, bytes: u64) -> Self {
        self.max_payload = bytes;
        self
    }

    /// How many packets may wait for one slow client (default [`DEFAULT_MAX_BUFFER_SIZE`]):
    /// the bound of the memory one client can hold, about this many times its largest event.
    /// An event that does not fit is never skipped: the client leaves every channel, is
    /// disconnected once it has read what was queued, and resumes (or resets) when it
    /// reconnects. Counted in [`Metrics::overflow_disconnects`](crate::Metrics).
    pub fn max_buffer_size(mut self, packets: usize) -> Self {
        self.max_buffer_size = packets.max(1);
        self
    }

    /// The event log that numbers every model event and replays them to resuming clients
    /// (default: a [`MemoryLog`] with [`DEFAULT_LOG_CAPACITY`](crate::DEFAULT_LOG_CAPACITY)
    /// events per channel, kept [`DEFAULT_LOG_MAX_AGE`](crate::DEFAULT_LOG_MAX_AGE)).
    pub fn log(mut self, log: impl EventLog) -> Self {
        self.log = Some(Arc::new(log));
        self
    }

    /// With a shared log ([`RedisLog`](crate::RedisLog)): how many emits may wait while the log
    /// cannot be written (default [`DEFAULT_MAX_PENDING_EMITS`]). Past it, further emits are
    /// dropped (counted in [`Metrics::dropped_emits`](crate::Metrics)) instead of growing the
    /// queue, and once the log is back a gap marker is appended to each of their channels:
    /// every client holding positions of those channels, on every server, resubscribes and is
    /// answered `reset` (it reloads, and sees the changes from the database). Memory stays
    /// bounded; nothing is lost silently.
    pub fn max_pending_emits(mut self, emits: usize) -> Self {
        self.max_pending_emits = emits.max(1);
        self
    }

    /// The default in-memory log with other limits: at most `capacity` events per channel, none
    /// older than `max_age`. A client further behind is answered `reset` and reloads.
    pub fn log_limits(self, capacity: usize, max_age: Duration) -> Self {
        self.log(MemoryLog::with_limits(capacity, max_age))
    }

    /// The Engine.IO heartbeat interval (socketioxide's default: 25 s, as Node's).
    pub fn ping_interval(mut self, interval: Duration) -> Self {
        self.ping_interval = Some(interval);
        self
    }

    /// How long a client may stay silent after a heartbeat (socketioxide's default: 20 s).
    pub fn ping_timeout(mut self, timeout: Duration) -> Self {
        self.ping_timeout = Some(timeout);
        self
    }

    /// The HTTP path of the Socket.IO endpoint (default `/socket.io`, the client's default).
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.req_path = path.into();
        self
    }

    /// Builds the server handle and the tower layer that serves it.
    ///
    /// Put the layer on an axum `Router` (or any tower stack): requests under the Socket.IO
    /// path are answered by the realtime server, everything else reaches the inner service.
    pub fn build(self) -> (RealtimeServer<S>, RealtimeLayer) {
        // The protocol sends no binary attachment: a packet that announces one closes the
        // connection at once, before any attachment is buffered (socketioxide's defaults would
        // keep up to 10,000 attachments and 10 MB per connection).
        let parser = ParserConfig::common()
            .max_incoming_binaries(0)
            .max_incoming_binary_buf_size(0);
        let mut io = SocketIo::builder()
            .with_parser(parser)
            .max_payload(self.max_payload)
            .ws_max_message_size(usize::try_from(self.max_payload).unwrap_or(usize::MAX))
            .ws_max_frame_size(usize::try_from(self.max_payload).unwrap_or(usize::MAX))
            .max_buffer_size(self.max_buffer_size)
            .req_path(self.req_path.clone());
        if let Some(interval) = self.ping_interval {
            io = io.ping_interval(interval);
        }
        if let Some(timeout) = self.ping_timeout {
            io = io.ping_timeout(timeout);
        }
        let (socketio, io) = io.build_layer();
        let log = self.log.unwrap_or_else(|| Arc::new(MemoryLog::new()));
        let channels: Vec<&'static str> = S::channels().iter().map(|c| c.as_str()).collect();
        let hub = Hub::new(
            io.clone(),
            log,
            &channels,
            self.max_buffer_size,
            self.row_check,
            self.max_pending_emits,
        );
        let shared = Arc::new(Shared {
            hub,
            io,
            authorize: self.authorize,
            authorize_timeout: self.authorize_timeout,
            connected: AtomicUsize::new(0),
        });
        protocol::register(&shared);
        let guard = OriginLayer::new(Arc::new(GuardConfig {
            origins: self.origins,
            hosts: self.hosts,
            req_path: self.req_path,
        }));
        (
            RealtimeServer::from_shared(shared),
            RealtimeLayer { guard, socketio },
        )
    }
}

impl<S: Spec> fmt::Debug for RealtimeServerBuilder<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RealtimeServerBuilder")
            .field("spec", &S::APP)
            .field("origins", &self.origins)
            .field("hosts", &self.hosts)
            .field("authorize", &self.authorize.is_some())
            .field("authorize_timeout", &self.authorize_timeout)
            .field("max_payload", &self.max_payload)
            .field("max_buffer_size", &self.max_buffer_size)
            .field("max_pending_emits", &self.max_pending_emits)
            .field("path", &self.req_path)
            .finish_non_exhaustive()
    }
}

/// The tower layer of a [`RealtimeServer`]: the host and origin guard in front of
/// socketioxide's Socket.IO service. Made by [`RealtimeServerBuilder::build`].
#[derive(Clone)]
pub struct RealtimeLayer {
    guard: OriginLayer,
    socketio: SocketIoLayer,
}

impl fmt::Debug for RealtimeLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RealtimeLayer")
            .field("guard", &self.guard)
            .finish_non_exhaustive()
    }
}

impl<Svc: Clone> Layer<Svc> for RealtimeLayer {
    type Service = OriginGuard<SocketIoService<Svc>>;

    fn layer(&self, inner: Svc) -> Self::Service {
        self.guard.layer(self.socketio.layer(inner))
    }
}
