//! The power demo: one spec (`specs/tasks.shep`) drives a Rust server and a React page, and a
//! task changed in one browser changes in every other one.
//!
//! - `build.rs` compiles the spec into the [`tasks`] module (`Task`, `Channel`, `Spec`, ...);
//! - [`store`] keeps the tasks in SQLite (a file by default, or memory), [`postgres`] in a
//!   PostgreSQL database (`--db postgres://...`);
//! - [`api`] is the JSON API; its handlers only write: the spec's generated capture triggers
//!   record every committed change of a task in the database's change table, and the realtime
//!   server's [`SqliteLog`] (or [`PostgresLog`]) relays it to the pages, whoever wrote it
//!   (`docs/capture.md`);
//! - the [`sheplang_socketio`] realtime server serves the protocol beside the API, on the same
//!   port, for the generated `RealtimeProvider` and `useTaskRealtime` hook of the page;
//! - [`web`] serves the built page (`web/dist`).
//!
//! Run it with `bash scripts/demo.sh` from the repository root (builds the page first), or
//! `cargo run -p sheplang-demo -- --help`.

pub mod api;
pub mod postgres;
pub mod store;
pub mod web;
pub mod writer;

use std::net::SocketAddr;
use std::path::PathBuf;

use axum::Router;
use sheplang_socketio::{
    CaptureOptions, Hosts, PostgresLog, RealtimeServer, RedisLog, RedisOptions, ServeOptions,
    SqliteLog,
};

pub use postgres::PgStore;
pub use store::{Location, Store, StoreError, TaskPatch};

/// The generated module of `specs/tasks.shep` (app `TaskList`).
pub mod tasks {
    sheplang::include_spec!("tasks");
}

/// The realtime server of the demo's spec.
pub type Realtime = RealtimeServer<tasks::Spec>;

/// The whole app on one router: the realtime server (`/socket.io/`), the JSON API (`/api/...`)
/// and the page (everything else, from `web_dir`).
///
/// Only pages served by this server (same origin) may open a realtime connection, and only
/// requests for `localhost` or the server's own address are answered (see [`app_for`]).
///
/// # Errors
/// When the store's change log cannot be opened.
pub fn app(store: Store, web_dir: PathBuf) -> Result<(Router, Realtime), StartError> {
    app_for(store, web_dir, Hosts::local())
}

/// [`app`], answering to these `Host` names besides `localhost` and the server's own address.
/// The realtime layer wraps the whole router, so its `Host` check (against DNS rebinding)
/// covers the API and the page too.
///
/// # Errors
/// When the store's change log cannot be opened.
pub fn app_for(
    store: Store,
    web_dir: PathBuf,
    hosts: Hosts,
) -> Result<(Router, Realtime), StartError> {
    app_with(store, web_dir, hosts, None)
}

/// [`app_for`], with the realtime server's event log in Redis when `log` is given: several demo
/// processes on one database file and one Redis are then one app (a change made through any
/// of them reaches the pages of all; `docs/scale-out.md`).
///
/// Without Redis the realtime server's log is the database's change table ([`SqliteLog`]): the
/// store's commits wake its relay at once, and it looks every 50 ms for writes of other
/// processes. With Redis, the server follows the Redis log, and one process of those on the
/// database relays the change table into it.
///
/// # Errors
/// When the store's change log cannot be opened.
pub fn app_with(
    mut store: Store,
    web_dir: PathBuf,
    hosts: Hosts,
    log: Option<RedisLog>,
) -> Result<(Router, Realtime), StartError> {
    let changes =
        SqliteLog::open(store.path(), CaptureOptions::default()).map_err(StartError::Capture)?;
    let waker = changes.waker();
    store
        .on_commit(move || waker.wake())
        .map_err(StartError::Store)?;
    let builder = Realtime::builder().allowed_hosts(hosts);
    let (realtime, layer) = match log {
        Some(log) => {
            // One of the processes on this database relays its changes into Redis.
            changes
                .relay_into("redis", &["task"], std::sync::Arc::new(log.clone()))
                .map_err(StartError::Capture)?;
            builder.log(log).build()
        }
        None => builder.log(changes).build(),
    };
    let router = Router::new()
        .merge(api::routes(store).map_err(StartError::Store)?)
        .merge(Router::new().fallback(web::serve).with_state(web_dir))
        .layer(layer);
    Ok((router, realtime))
}

/// [`app_with`] on a PostgreSQL database: the API writes to `store`, and the realtime server's
/// log is the database's change table ([`PostgresLog`], woken by `LISTEN/NOTIFY`), or, with
/// Redis, the Redis log into which one of the processes on the database relays it. `capture`
/// says how the changes reach the change table: the triggers, or logical decoding.
///
/// # Errors
/// When the change log cannot be opened.
pub async fn app_on_postgres(
    store: PgStore,
    web_dir: PathBuf,
    hosts: Hosts,
    log: Option<RedisLog>,
    capture: CaptureOptions,
) -> Result<(Router, Realtime), StartError> {
    let changes = PostgresLog::connect(store.url(), capture)
        .await
        .map_err(StartError::Capture)?;
    let builder = Realtime::builder().allowed_hosts(hosts);
    let (realtime, layer) = match log {
        Some(log) => {
            changes
                .relay_into("redis", &["task"], std::sync::Arc::new(log.clone()))
                .await
                .map_err(StartError::Capture)?;
            builder.log(log).build()
        }
        None => builder.log(changes).build(),
    };
    let router = Router::new()
        .merge(api::routes_on(api::Db::Postgres(store)))
        .merge(Router::new().fallback(web::serve).with_state(web_dir))
        .layer(layer);
    Ok((router, realtime))
}

/// How to run the demo server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// Where the tasks are kept.
    pub db: Location,
    /// The built page.
    pub web_dir: PathBuf,
    /// `Host` names to answer besides `localhost` and 127.0.0.1.
    pub hosts: Vec<String>,
    /// The connection settings: header-read and keep-alive timeouts, connection cap.
    pub serve: ServeOptions,
    /// The Redis URL of a shared event log (several demo processes as one app), if any.
    pub redis: Option<String>,
    /// On PostgreSQL: how the tables' changes are captured (the triggers by default, or the
    /// server's logical decoding).
    pub capture: CaptureOptions,
}

impl Config {
    /// The default port.
    pub const DEFAULT_PORT: u16 = 3000;

    /// The default database file: `sheplang-demo/tasks.sqlite3` in the system's temporary
    /// folder, so that a restart keeps the tasks and a fresh machine needs no setup.
    pub fn default_db() -> PathBuf {
        std::env::temp_dir()
            .join("sheplang-demo")
            .join("tasks.sqlite3")
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            port: Config::DEFAULT_PORT,
            db: Location::File(Config::default_db()),
            web_dir: web::default_dir(),
            hosts: Vec::new(),
            serve: ServeOptions::default(),
            redis: None,
            capture: CaptureOptions::default(),
        }
    }
}

/// Why the server could not start.
#[derive(Debug)]
pub enum StartError {
    /// The database could not be opened.
    Store(StoreError),
    /// The Redis of `--redis` could not be reached.
    Redis(sheplang_socketio::log::LogError),
    /// The database's change log could not be opened.
    Capture(sheplang_socketio::log::LogError),
    /// The port could not be bound.
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// What the system said.
        error: std::io::Error,
    },
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartError::Store(e) => write!(f, "cannot open the task store: {e}"),
            StartError::Redis(e) | StartError::Capture(e) => write!(f, "{e}"),
            StartError::Bind { addr, error } => write!(
                f,
                "cannot listen on {addr}: {error}\n  = help: another program uses the port; \
                 pick another with `--port N` (or `PORT=N`), or `--port 0` for any free port"
            ),
        }
    }
}

impl std::error::Error for StartError {}

/// A demo server bound to its port, not yet serving.
#[derive(Debug)]
pub struct Server {
    listener: tokio::net::TcpListener,
    router: Router,
    realtime: Realtime,
    seeded: usize,
    options: ServeOptions,
}

impl Server {
    /// Opens the store (adding the welcome tasks to a new database) and binds the port.
    ///
    /// # Errors
    /// When the store cannot be opened or the port cannot be bound.
    pub async fn bind(config: &Config) -> Result<Server, StartError> {
        let addr = SocketAddr::from(([127, 0, 0, 1], config.port));
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|error| StartError::Bind { addr, error })?;
        let log = match &config.redis {
            Some(url) => Some(
                RedisLog::connect(url, RedisOptions::default().prefix("sheplang-demo"))
                    .await
                    .map_err(StartError::Redis)?,
            ),
            None => None,
        };
        let hosts = Hosts::list(&config.hosts);
        let (seeded, (router, realtime)) = match &config.db {
            Location::Postgres(url) => {
                let store = PgStore::connect(url).await.map_err(StartError::Store)?;
                let seeded = if store.is_fresh() {
                    store
                        .seed_examples()
                        .await
                        .map_err(StartError::Store)?
                        .len()
                } else {
                    0
                };
                let app = app_on_postgres(
                    store,
                    config.web_dir.clone(),
                    hosts,
                    log,
                    config.capture.clone(),
                )
                .await?;
                (seeded, app)
            }
            Location::File(_) | Location::Memory => {
                let mut store = Store::open(&config.db).map_err(StartError::Store)?;
                let seeded = if store.is_fresh() {
                    store.seed_examples().map_err(StartError::Store)?.len()
                } else {
                    0
                };
                let app = app_with(store, config.web_dir.clone(), hosts, log)?;
                (seeded, app)
            }
        };
        Ok(Server {
            listener,
            router,
            realtime,
            seeded,
            options: config.serve.clone(),
        })
    }

    /// The address it listens on (the real port when 0 was asked for).
    ///
    /// # Errors
    /// When the system cannot tell.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// How many welcome tasks this start added (only a new database gets them).
    pub fn seeded(&self) -> usize {
        self.seeded
    }

    /// The realtime server, to emit from elsewhere.
    pub fn realtime(&self) -> &Realtime {
        &self.realtime
    }

    /// Serves until `shutdown` completes, with [`sheplang_socketio::serve()`] and the
    /// configured [`ServeOptions`]. Open connections are dropped then, not closed with a
    /// Socket.IO disconnect, so pages reconnect by themselves when the server is back.
    ///
    /// # Errors
    /// When the listener has lost its address.
    pub async fn serve(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send,
    ) -> std::io::Result<()> {
        tokio::select! {
            served = sheplang_socketio::serve(self.listener, self.router, self.options) => served,
            () = shutdown => Ok(()),
        }
    }
}
