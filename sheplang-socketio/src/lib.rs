//! A Socket.IO realtime server for a ShepLang spec, in Rust, on [socketioxide]: the protocol
//! of the generated Node `RealtimeServer` (`docs/wire.md`), so the generated TypeScript client
//! and React hooks talk to either, and the same spec decides what both may send.
//!
//! What a client gets is exactly the wire contract: `connected({ app, fingerprint })` on
//! connect; `subscribe` / `unsubscribe` answered `{ ok: true }` or `{ ok: false, error }` with
//! the contract's three error strings; `ping` acknowledged; `model_created`, `model_updated`,
//! `model_deleted` on the model's channel and `notification` to everyone. What a host gets is
//! a typed handle: [`RealtimeServer::emit_created`] takes a row of one of the spec's models,
//! and the model's type decides the room. There is no API that takes a channel string and a
//! row, so a `Task` cannot go to the `user` room.
//!
//! # Walkthrough
//!
//! **1. The spec** (`specs/tasks.shep`), compiled by `build.rs` with `sheplang-build` (see the
//! `sheplang` crate for that part):
//!
//! ```text
//! app Tasks {
//!   data Task {
//!     fields: {
//!       title: text required
//!       done: yes/no default=false
//!       owner: ref[User] optional
//!       createdAt: datetime
//!       tags: text[]
//!     }
//!     states: open -> doing -> done
//!   }
//!   data User {
//!     fields: {
//!       name: text required
//!       email: email unique
//!     }
//!   }
//! }
//! ```
//!
//! **2. `Cargo.toml`**: this crate next to `sheplang`, plus the web framework (axum here) and
//! Tokio. socketioxide is re-exported ([`socketioxide`]), so it needs no line of its own.
//!
//! (Nothing is on crates.io: these are path dependencies into a clone of the repository beside
//! the crate; `git = "<the repository's URL>"` in place of `path` works too.)
//!
//! ```toml
//! [dependencies]
//! sheplang = { path = "../sheplang/sheplang" }
//! sheplang-socketio = { path = "../sheplang/sheplang-socketio" }
//! axum = "0.8"
//! tokio = { version = "1", features = ["rt-multi-thread", "macros", "net"] }
//!
//! [build-dependencies]
//! sheplang-build = { path = "../sheplang/sheplang-build" }
//! ```
//!
//! **3. Build the server**, put its layer around the router, and serve it with [`serve()`].
//! The builder's defaults are the safe ones: no foreign origin, no foreign `Host`, every
//! channel of the spec, 100 kB messages, no binary attachments; so are [`ServeOptions`]'.
//!
//! ```ignore
//! use axum::{Router, extract::{Json, State}, http::StatusCode, routing::post};
//! use sheplang_socketio::{RealtimeServer, ServeOptions};
//!
//! pub mod tasks {
//!     sheplang::include_spec!("tasks");
//! }
//!
//! type Realtime = RealtimeServer<tasks::Spec>;
//!
//! #[tokio::main]
//! async fn main() -> std::io::Result<()> {
//!     let (realtime, layer) = Realtime::builder()
//!         .allowed_origins(["http://localhost:5173"])          // the front end's dev server
//!         .authorize(|socket, channel| async move {            // who may see what
//!             channel != tasks::Channel::User || is_admin(socket.req_parts()).await
//!         })
//!         .build();
//!     let app = Router::new()
//!         .route("/tasks", post(create_task))
//!         .with_state(realtime)
//!         .layer(layer);                                       // serves /socket.io/, checks Host
//!     let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//!     // Not `axum::serve`: this one has header-read and keep-alive timeouts and a connection cap.
//!     sheplang_socketio::serve(listener, app, ServeOptions::default()).await
//! }
//! ```
//!
//! **4. Emit** where the data changes. Emits are synchronous, as in the Node server: the row is
//! encoded once and the event queued, in order, on the server's dispatcher, which numbers it in
//! its channel's log and sends it to every subscriber.
//!
//! ```ignore
//! async fn create_task(State(realtime): State<Realtime>, Json(task): Json<tasks::Task>) -> StatusCode {
//!     // store it, then:
//!     realtime.emit_created(&task).ok();                       // model_created("Task", {...}) to "task"
//!     StatusCode::CREATED
//! }
//!
//! realtime.emit_updated(&task)?;
//! realtime.emit_deleted::<tasks::Task>("t-1")?;
//! realtime.notify("maintenance at 18:00", None)?;
//! // realtime.emit_created(&not_a_model)                     // does not compile
//! ```
//!
//! The repository's `sheplang-socketio/examples` crate is this walkthrough as a building,
//! tested host (`cargo run -p sheplang-socketio-examples --bin axum`), on the very spec the
//! TypeScript tests use (`ts/specs/tasks.shep`).
//!
//! # Security defaults
//!
//! - **Connections** ([`serve()`](serve())): a request head must arrive within 10 s, an idle
//!   keep-alive connection is closed after 5 s, and beyond 10,000 connections (kept under the
//!   process's open-file limit) a new one is answered `503` at once. Each is a
//!   [`ServeOptions`] field. A host that serves with `axum::serve` gets none of this.
//! - **Host** ([`origin`]): every request through the layer must name `localhost`, the
//!   server's own address or a host listed with
//!   [`allowed_hosts`](RealtimeServerBuilder::allowed_hosts), or is refused with 403: a
//!   DNS-rebinding page cannot reach a server on the developer's machine.
//! - **Origins** ([`origin`]): a browser page from another origin is refused (HTTP 403 on the
//!   polling and WebSocket handshakes alike) unless listed with
//!   [`allowed_origins`](RealtimeServerBuilder::allowed_origins); the wildcard is
//!   [`Origins::any`], never the default. Same-origin pages and non-browser clients (no
//!   `Origin` header) are let in.
//! - **Channels**: only the spec's channels exist; anything else is answered
//!   `unknown channel "x"` (a string) or `invalid channel` (anything else, or over 256 bytes).
//! - **Authorization**: an async hook per subscription; `false`, a panic or a timeout answers
//!   `not authorized`.
//! - **Input size**: messages over [`max_payload`](RealtimeServerBuilder::max_payload) bytes
//!   close the connection, on every transport (socketioxide's own WebSocket default is 64 MiB).
//!   Binary attachments, which the protocol never uses, close the connection as soon as a
//!   packet announces one (socketioxide would otherwise buffer up to 10 MB of them per
//!   connection).
//! - **Hostile input**: anything malformed is answered with an error acknowledgement when the
//!   client asked for one, and ignored otherwise. A flood of requests is answered in full
//!   (acknowledgements that do not fit the send queue wait in an outbox); a client that stops
//!   reading its answers altogether is disconnected.
//! - **Logging**: none unless the `tracing` feature is on and a subscriber is installed.
//!
//! # Positions, resume and slow clients
//!
//! A client that subscribes with options (`subscribe("task", { since, epoch }, ack)`,
//! `docs/wire.md`) gets every model event of the channel with its position, and after a
//! reconnection the events it missed from the channel's [`log`] (then the live ones, no gap and
//! no duplicate), or `reset` when the log no longer holds them. A client that subscribes the old
//! way keeps the old two-argument events. The log is an [`EventLog`]: the in-memory
//! [`MemoryLog`] by default ([`log_limits`](RealtimeServerBuilder::log_limits) sets its size and
//! age), or another implementation with [`log`](RealtimeServerBuilder::log).
//!
//! A client's send queue holds [`max_buffer_size`](RealtimeServerBuilder::max_buffer_size)
//! packets. A client that does not keep up is never skipped silently: it leaves its channels,
//! reads what was queued, is disconnected, and resumes when it reconnects; counted in
//! [`RealtimeServer::metrics`].
//!
//! # Differences from the Node server
//!
//! - **A refused origin** gets an empty 403, where Node's engine.io sends a small JSON body;
//!   browsers report both as a failed handshake.
//!
//! # Features
//!
//! - `tracing`: logs refused origins, denied subscriptions and hook failures (and socketioxide's
//!   own events) through [`tracing`](https://docs.rs/tracing).
//! - `redis`: [`RedisLog`], the event log several server processes share in Redis Streams, and
//!   [`Publisher`], model events from a process with no server (`docs/scale-out.md`).

mod builder;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub mod capture;
mod error;
mod hub;
pub mod log;
pub mod origin;
mod protocol;
#[cfg(feature = "redis")]
pub mod redis_log;
pub mod serve;
mod server;

pub use builder::{
    DEFAULT_AUTHORIZE_TIMEOUT, DEFAULT_MAX_BUFFER_SIZE, DEFAULT_MAX_PAYLOAD,
    DEFAULT_MAX_PENDING_EMITS, RealtimeLayer, RealtimeServerBuilder,
};
#[cfg(feature = "postgres")]
pub use capture::PostgresLog;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub use capture::{CaptureOptions, DEFAULT_POLL};
#[cfg(feature = "sqlite")]
pub use capture::{ChangeWaker, SqliteLog};
pub use error::EmitError;
pub use hub::Metrics;
pub use log::{DEFAULT_LOG_CAPACITY, DEFAULT_LOG_MAX_AGE, EventLog, MemoryLog};
pub use origin::{Hosts, Origins};
pub use protocol::{MAX_PENDING_ACKS, MAX_QUEUED, handshake_auth};
#[cfg(feature = "redis")]
pub use redis_log::{Publisher, RedisLog, RedisOptions};
pub use serve::{ConnectionInfo, ServeOptions, serve};
pub use server::RealtimeServer;

/// The socketioxide this crate is built on, re-exported so hosts name its types
/// ([`SocketIo`](socketioxide::SocketIo), the socket's request parts) without a dependency of
/// their own.
pub use socketioxide;
/// The socket handed to an authorize hook; its handshake request (headers, URI, extensions
/// set by earlier tower layers) is `socket.req_parts()`.
pub use socketioxide::extract::SocketRef;
