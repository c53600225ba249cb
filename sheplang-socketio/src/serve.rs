//! [`serve()`]: the default way to serve a router that carries a realtime server, with the
//! connection hygiene a server on the open internet (or on a developer's laptop, reachable by
//! every page the browser opens) needs.
//!
//! `axum::serve` and a bare hyper loop have none of it: no deadline for a request head, no
//! idle timeout between keep-alive requests, no cap on connections. A few thousand clients
//! that send half a request head and wait then hold every file descriptor of the process, and
//! real clients time out. [`serve()`] is HTTP/1.1 (with WebSocket upgrades) on hyper, with:
//!
//! - a **header-read timeout** ([`ServeOptions::header_read_timeout`]): a connection that has
//!   not sent a complete request head within it is closed; the clock starts when the server
//!   starts waiting for a head, so a slow trickle of bytes does not extend it;
//! - a **keep-alive idle timeout** ([`ServeOptions::keep_alive_timeout`]): a connection with
//!   no request in progress and no byte in either direction for that long is closed, at the
//!   latest twice that long after its last request ended (a long poll waiting for events is a
//!   request in progress; a WebSocket, once upgraded, keeps its own Engine.IO heartbeat);
//! - a **connection cap** ([`ServeOptions::max_connections`], WebSockets included): beyond it a
//!   new connection is answered at once with `503 Service Unavailable`, `Retry-After: 1` and
//!   closed, instead of waiting in the kernel's queue; service resumes as connections close.
//!   On Linux the cap is also kept 64 under the process's open-file limit, so the cap, not
//!   the file table, is what a flood meets;
//! - the local address of each connection in the request's extensions ([`ConnectionInfo`]),
//!   which the `Host` check of [`RealtimeLayer`](crate::RealtimeLayer) uses.
//!
//! ```ignore
//! let (realtime, layer) = Realtime::builder().build();
//! let app = axum::Router::new().route("/tasks", post(create_task)).with_state(realtime).layer(layer);
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//! sheplang_socketio::serve(listener, app, ServeOptions::default()).await
//! ```

use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use core::task::{Context, Poll};
use core::time::Duration;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use http::{HeaderValue, Request, Response, StatusCode, header};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tower_service::Service;

/// The default [`ServeOptions::header_read_timeout`]: 10 s.
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// The default [`ServeOptions::keep_alive_timeout`]: 5 s, as Node's `server.keepAliveTimeout`.
pub const DEFAULT_KEEP_ALIVE_TIMEOUT: Duration = Duration::from_secs(5);

/// The default [`ServeOptions::max_connections`]: 10,000.
pub const DEFAULT_MAX_CONNECTIONS: usize = 10_000;

/// How many open files [`serve()`] leaves free under the process's limit (for the listener,
/// log files, a database, and the answer to refused connections).
const FILE_RESERVE: usize = 64;

/// At most this many refused connections are being answered at once; beyond that a refused
/// connection is closed without an answer.
const MAX_REFUSALS_IN_FLIGHT: usize = 64;

/// How long a refused connection may take to read its `503`.
const REFUSAL_TIME: Duration = Duration::from_secs(1);

/// The answer to a connection over the cap.
const REFUSAL: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\n\
content-type: text/plain; charset=utf-8\r\n\
retry-after: 1\r\n\
connection: close\r\n\
content-length: 63\r\n\
\r\n\
the server is at its connection limit; try again in a moment.\r\n";

/// The connection settings of [`serve()`]. Every field has a safe default
/// ([`ServeOptions::default`]).
///
/// ```
/// use std::time::Duration;
/// use sheplang_socketio::ServeOptions;
///
/// let options = ServeOptions::default()
///     .header_read_timeout(Duration::from_secs(5))
///     .max_connections(2_000);
/// assert_eq!(options.max_connections, 2_000);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServeOptions {
    /// How long a connection may take to send a complete request head (default
    /// [`DEFAULT_HEADER_READ_TIMEOUT`]). Also bounds the wait for the next request on a
    /// keep-alive connection.
    pub header_read_timeout: Duration,
    /// How long a connection may stay silent with no request in progress (default
    /// [`DEFAULT_KEEP_ALIVE_TIMEOUT`]).
    pub keep_alive_timeout: Duration,
    /// The most connections served at once, WebSockets included (default
    /// [`DEFAULT_MAX_CONNECTIONS`]).
    pub max_connections: usize,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
            keep_alive_timeout: DEFAULT_KEEP_ALIVE_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
        }
    }
}

impl ServeOptions {
    /// Sets [`header_read_timeout`](Self::header_read_timeout) (at least 1 ms).
    #[must_use]
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.header_read_timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// Sets [`keep_alive_timeout`](Self::keep_alive_timeout) (at least 1 ms).
    #[must_use]
    pub fn keep_alive_timeout(mut self, timeout: Duration) -> Self {
        self.keep_alive_timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// Sets [`max_connections`](Self::max_connections) (at least 1).
    #[must_use]
    pub fn max_connections(mut self, connections: usize) -> Self {
        self.max_connections = connections.max(1);
        self
    }

    /// The cap [`serve()`] applies: [`max_connections`](Self::max_connections), kept 64 under
    /// the process's open-file limit where the system tells it (Linux).
    pub fn effective_max_connections(&self) -> usize {
        match open_file_limit() {
            Some(limit) => self
                .max_connections
                .min(limit.saturating_sub(FILE_RESERVE).max(1)),
            None => self.max_connections,
        }
    }
}

/// The addresses of the connection a request came on, in the request's extensions when it is
/// served by [`serve()`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConnectionInfo {
    /// The server's address the client connected to.
    pub local: SocketAddr,
    /// The client's address.
    pub peer: SocketAddr,
}

/// Serves `service` (an axum `Router`, or any tower service of HTTP requests) on `listener`
/// with the connection hygiene of [`ServeOptions`] (see the [module documentation](self)).
///
/// Runs until the future is dropped; dropping it stops accepting and drops the HTTP
/// connections it serves (WebSockets already upgraded belong to the realtime server and stay
/// until they close).
///
/// # Errors
/// When the listener has no local address. Errors accepting one connection (a full file table
/// included) are waited out, never returned.
pub async fn serve<S, B>(listener: TcpListener, service: S, options: ServeOptions) -> io::Result<()>
where
    S: Service<Request<Incoming>, Response = Response<B>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    listener.local_addr()?;
    let permits = Arc::new(Semaphore::new(options.effective_max_connections()));
    let refusals = Arc::new(Semaphore::new(MAX_REFUSALS_IN_FLIGHT));
    let options = Arc::new(options);
    let mut tasks = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(accepted) => accepted,
                    Err(e) if is_per_connection(&e) => continue,
                    Err(_) => {
                        // Out of file descriptors or memory: wait for connections to close.
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                match permits.clone().try_acquire_owned() {
                    Ok(permit) => {
                        let service = service.clone();
                        let options = options.clone();
                        tasks.spawn(async move {
                            connection(stream, peer, permit, service, &options).await;
                        });
                    }
                    Err(_) => {
                        if let Ok(permit) = refusals.clone().try_acquire_owned() {
                            tasks.spawn(refuse(stream, permit));
                        }
                    }
                }
            }
            Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
        }
    }
}

/// Accept errors that concern one connection only.
fn is_per_connection(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

/// Answers `503` and closes, reading what the client sends meanwhile so that the close does
/// not reset the connection before the client reads the answer.
async fn refuse(mut stream: TcpStream, _permit: OwnedSemaphorePermit) {
    let _ = tokio::time::timeout(REFUSAL_TIME, async {
        stream.write_all(REFUSAL).await?;
        stream.shutdown().await?;
        let mut sink = [0u8; 1024];
        while stream.read(&mut sink).await? > 0 {}
        Ok::<_, io::Error>(())
    })
    .await;
}

/// Serves one connection until it closes, is upgraded, or idles past the keep-alive timeout.
async fn connection<S, B>(
    stream: TcpStream,
    peer: SocketAddr,
    permit: OwnedSemaphorePermit,
    service: S,
    options: &ServeOptions,
) where
    S: Service<Request<Incoming>, Response = Response<B>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let Ok(local) = stream.local_addr() else {
        return;
    };
    let _ = stream.set_nodelay(true);
    let activity = Arc::new(Activity::new());
    let io = TokioIo::new(Tracked {
        stream,
        activity: activity.clone(),
        _permit: permit,
    });
    let service = TowerToHyperService::new(Counted {
        inner: service,
        info: ConnectionInfo { local, peer },
        activity: activity.clone(),
        keep_alive: HeaderValue::from_str(&format!(
            "timeout={}",
            options.keep_alive_timeout.as_secs().max(1)
        ))
        .unwrap_or(HeaderValue::from_static("timeout=5")),
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(options.header_read_timeout);
    let conn = builder.serve_connection(io, service).with_upgrades();
    tokio::pin!(conn);
    let idle = options.keep_alive_timeout;
    // Once this ends (closed, idle, or upgraded to a WebSocket, which keeps the stream), its
    // activity is no longer read: the stream stops noting it.
    let _done = StopWatching(activity.clone());
    loop {
        // While a request is in progress (a long poll may wait for events for 25 s), look
        // again one timeout later; otherwise when the silence would reach the timeout.
        let deadline = if activity.in_flight() > 0 {
            Instant::now() + idle
        } else {
            activity.last() + idle
        };
        tokio::select! {
            _ = conn.as_mut() => return,
            () = tokio::time::sleep_until(deadline) => {
                if activity.in_flight() == 0 && activity.last() + idle <= Instant::now() {
                    conn.as_mut().graceful_shutdown();
                    let _ = conn.as_mut().await;
                    return;
                }
            }
        }
    }
}

/// When a connection last moved a byte, and how many of its requests are in progress.
struct Activity {
    start: Instant,
    /// Milliseconds from `start` to the last byte read or written.
    last_ms: AtomicU64,
    in_flight: AtomicUsize,
    /// The HTTP connection is still served (its idle timeout reads `last_ms`).
    watching: AtomicBool,
}

impl Activity {
    fn new() -> Self {
        Activity {
            start: Instant::now(),
            last_ms: AtomicU64::new(0),
            in_flight: AtomicUsize::new(0),
            watching: AtomicBool::new(true),
        }
    }

    /// Notes a byte read or written, while the HTTP connection is served: after an upgrade
    /// the WebSocket writes every event through this stream, and reading the clock for each
    /// write would cost every delivery a clock read for nothing.
    fn touch(&self) {
        if !self.watching.load(Ordering::Relaxed) {
            return;
        }
        let ms = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_ms.fetch_max(ms, Ordering::Relaxed);
    }

    fn last(&self) -> Instant {
        self.start + Duration::from_millis(self.last_ms.load(Ordering::Relaxed))
    }

    fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::Relaxed)
    }
}

/// Ends a connection's [`Activity`] watch when the HTTP connection's task ends.
struct StopWatching(Arc<Activity>);

impl Drop for StopWatching {
    fn drop(&mut self) {
        self.0.watching.store(false, Ordering::Relaxed);
    }
}

/// The TCP stream of a connection: notes its activity, and holds its place under the cap
/// until it is dropped (by hyper, or by the WebSocket it was upgraded to).
struct Tracked {
    stream: TcpStream,
    activity: Arc<Activity>,
    _permit: OwnedSemaphorePermit,
}

impl AsyncRead for Tracked {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.stream).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.touch();
        }
        polled
    }
}

impl AsyncWrite for Tracked {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.stream).poll_write(cx, data);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        polled
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.stream).poll_write_vectored(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

/// The service of one connection: adds [`ConnectionInfo`] to each request, counts the
/// requests in progress, and tells clients how long an idle connection is kept
/// (`Keep-Alive: timeout=N`, as Node does, so that a client's pool drops it first).
#[derive(Clone)]
struct Counted<S> {
    inner: S,
    info: ConnectionInfo,
    activity: Arc<Activity>,
    keep_alive: HeaderValue,
}

/// Decrements the in-progress count when the request's future ends (answered or dropped).
struct InFlight(Arc<Activity>);

impl InFlight {
    fn new(activity: &Arc<Activity>) -> Self {
        activity.in_flight.fetch_add(1, Ordering::Relaxed);
        InFlight(activity.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
        self.0.touch();
    }
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<S, B, RB> Service<Request<B>> for Counted<S>
where
    S: Service<Request<B>, Response = Response<RB>>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<Result<S::Response, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<B>) -> Self::Future {
        req.extensions_mut().insert(self.info);
        let guard = InFlight::new(&self.activity);
        let future = self.inner.call(req);
        let keep_alive = self.keep_alive.clone();
        Box::pin(async move {
            let mut response = future.await;
            drop(guard);
            if let Ok(response) = &mut response
                && response.status() != StatusCode::SWITCHING_PROTOCOLS
            {
                response
                    .headers_mut()
                    .entry(header::HeaderName::from_static("keep-alive"))
                    .or_insert(keep_alive);
            }
            response
        })
    }
}

impl fmt::Debug for Tracked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tracked").finish_non_exhaustive()
    }
}

/// The soft limit on open files, from `/proc/self/limits` (Linux); `None` elsewhere or when
/// unlimited.
fn open_file_limit() -> Option<usize> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line["Max open files".len()..]
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_stays_under_the_file_limit() {
        let options = ServeOptions::default().max_connections(usize::MAX);
        match open_file_limit() {
            Some(limit) => assert_eq!(
                options.effective_max_connections(),
                limit.saturating_sub(FILE_RESERVE).max(1)
            ),
            None => assert_eq!(options.effective_max_connections(), usize::MAX),
        }
        assert_eq!(
            ServeOptions::default()
                .max_connections(0)
                .effective_max_connections(),
            1
        );
    }

    #[test]
    fn the_refusal_is_a_whole_http_answer() {
        let text = core::str::from_utf8(REFUSAL).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 503 "));
        assert!(head.contains(&format!("content-length: {}", body.len())));
    }
}
