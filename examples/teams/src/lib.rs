//! The teams example: filtered subscriptions and row-level authorization (`docs/wire.md`,
//! "Filtered subscriptions"). Every user belongs to one team; a user sees the tasks of their
//! own team, live, and nothing of the others'.
//!
//! - `build.rs` compiles `specs/teams.shep` (teams, users, tasks with a `team: ref[Team]`)
//!   into the [`teams`] module and the SQLite tables;
//! - [`store`] keeps them in SQLite (a file, or memory with `--memory`);
//! - [`api`] is the JSON API: every route but the lists of users and teams needs the stand-in identity
//!   header `X-User: <user id>`, and reads and writes only the caller's team's tasks; each
//!   write is emitted to the realtime server with the row before it, so a task handed over to
//!   another team leaves the old team's lists live;
//! - the realtime server ([`realtime_builder`]) lets a connection subscribe to `task` only
//!   with the filter `{ team: <its user's team> }` (anything else is `not authorized`), and
//!   checks each row before it is sent as a second line of defence;
//! - [`web`] serves the built page (`web/dist`).
//!
//! **The identity is a stand-in, not authentication.** The API believes the `X-User` header
//! and the realtime server believes the handshake's `auth: { user }`: any client can claim any
//! user. A real app puts a session or a signed token there and checks it in the same two
//! places ([`Directory::member_of_header`], [`Directory::member_of_socket`]).

pub mod api;
pub mod store;
pub mod web;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use sheplang::Filter;
use sheplang_socketio::{Hosts, RealtimeServer, RealtimeServerBuilder, ServeOptions, SocketRef};

pub use store::{Location, Store, StoreError, TaskPatch};

/// The generated module of `specs/teams.shep` (app `Teams`).
pub mod teams {
    sheplang::include_spec!("teams");
}

/// The realtime server of the example's spec.
pub type Realtime = RealtimeServer<teams::Spec>;

/// The request header of the stand-in identity: a user's id.
pub const USER_HEADER: &str = "x-user";

/// Who is who: each user's team, read from the store when the server starts (the example has
/// no sign-up; its users are the seeded ones).
#[derive(Debug, Clone, Default)]
pub struct Directory {
    teams: HashMap<String, String>,
}

/// A user and their team.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// The user's id.
    pub user: String,
    /// Their team's id.
    pub team: String,
}

impl Directory {
    /// The users of `store`.
    ///
    /// # Errors
    /// When the store fails.
    pub fn load(store: &Store) -> Result<Directory, StoreError> {
        let teams = store
            .users()?
            .into_iter()
            .map(|user| (user.id, user.team.as_str().to_owned()))
            .collect();
        Ok(Directory { teams })
    }

    /// The member `user`, if there is one.
    pub fn member(&self, user: &str) -> Option<Member> {
        self.teams.get(user).map(|team| Member {
            user: user.to_owned(),
            team: team.clone(),
        })
    }

    /// The user ids, sorted.
    pub fn users(&self) -> Vec<&str> {
        let mut users: Vec<&str> = self.teams.keys().map(String::as_str).collect();
        users.sort_unstable();
        users
    }

    /// The member named by a request's `X-User` header (the stand-in identity).
    pub fn member_of_header(&self, headers: &axum::http::HeaderMap) -> Option<Member> {
        let user = headers.get(USER_HEADER)?.to_str().ok()?;
        self.member(user.trim())
    }

    /// The member named by a connection's handshake `auth: { user }` (the stand-in identity).
    pub fn member_of_socket(&self, socket: &SocketRef) -> Option<Member> {
        let auth = sheplang_socketio::handshake_auth(socket)?;
        self.member(auth.get("user")?.as_str()?)
    }

    /// Whether `member` may subscribe to `channel` with `filter`: tasks and users only with
    /// `{ team: <their team> }` (more fields may narrow it), their team only with
    /// `{ id: <their team> }`. The whole channel, or another team, is refused.
    pub fn may_subscribe(member: &Member, channel: teams::Channel, filter: &Filter) -> bool {
        let team = Some(member.team.as_str());
        match channel {
            teams::Channel::Task | teams::Channel::User => filter.get_str("team") == team,
            teams::Channel::Team => filter.get_str("id") == team,
        }
    }

    /// Whether `member` may receive `row` of `channel` (the row check behind the filter).
    pub fn may_see(member: &Member, channel: teams::Channel, row: &serde_json::Value) -> bool {
        let key = match channel {
            teams::Channel::Task | teams::Channel::User => "team",
            teams::Channel::Team => "id",
        };
        row.get(key).and_then(serde_json::Value::as_str) == Some(member.team.as_str())
    }
}

/// The realtime server's settings: the host check, and the two lines of row-level
/// authorization (the filter a connection may subscribe with, and a check of every row).
pub fn realtime_builder(directory: &Arc<Directory>) -> RealtimeServerBuilder<teams::Spec> {
    let authorize = directory.clone();
    let check = directory.clone();
    Realtime::builder()
        .authorize_filter(move |socket, channel, filter| {
            let allowed = authorize
                .member_of_socket(&socket)
                .is_some_and(|member| Directory::may_subscribe(&member, channel, &filter));
            core::future::ready(allowed)
        })
        .check_rows(move |socket, channel, row| {
            check
                .member_of_socket(socket)
                .is_some_and(|member| Directory::may_see(&member, channel, row))
        })
}

/// The whole app on one router: the realtime server (`/socket.io/`), the JSON API (`/api/...`)
/// and the page (everything else, from `web_dir`). Requests must name `localhost`, the
/// server's address or one of `hosts`.
///
/// # Errors
/// When the store cannot be read.
pub fn app(store: Store, web_dir: PathBuf, hosts: Hosts) -> Result<(Router, Realtime), StoreError> {
    let directory = Arc::new(Directory::load(&store)?);
    let (realtime, layer) = realtime_builder(&directory).allowed_hosts(hosts).build();
    let router = Router::new()
        .merge(api::routes(store, realtime.clone(), directory))
        .merge(Router::new().fallback(web::serve).with_state(web_dir))
        .layer(layer);
    Ok((router, realtime))
}

/// How to run the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// Where the data is kept.
    pub db: Location,
    /// The built page.
    pub web_dir: PathBuf,
    /// `Host` names to answer besides `localhost` and 127.0.0.1.
    pub hosts: Vec<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            port: 3001,
            db: Location::File(
                std::env::temp_dir()
                    .join("sheplang-teams")
                    .join("teams.sqlite3"),
            ),
            web_dir: web::default_dir(),
            hosts: Vec::new(),
        }
    }
}

/// Why the server could not start.
#[derive(Debug)]
pub enum StartError {
    /// The database could not be opened.
    Store(StoreError),
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
            StartError::Store(e) => write!(f, "cannot open the store: {e}"),
            StartError::Bind { addr, error } => write!(
                f,
                "cannot listen on {addr}: {error}\n  = help: pick another port with `--port N`, \
                 or `--port 0` for any free port"
            ),
        }
    }
}

impl std::error::Error for StartError {}

/// A server bound to its port, not yet serving.
#[derive(Debug)]
pub struct Server {
    listener: tokio::net::TcpListener,
    router: Router,
    realtime: Realtime,
}

impl Server {
    /// Opens the store and binds the port.
    ///
    /// # Errors
    /// When the store cannot be opened or the port cannot be bound.
    pub async fn bind(config: &Config) -> Result<Server, StartError> {
        let store = Store::open(&config.db).map_err(StartError::Store)?;
        let addr = SocketAddr::from(([127, 0, 0, 1], config.port));
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|error| StartError::Bind { addr, error })?;
        let (router, realtime) = app(store, config.web_dir.clone(), Hosts::list(&config.hosts))
            .map_err(StartError::Store)?;
        Ok(Server {
            listener,
            router,
            realtime,
        })
    }

    /// The address it listens on.
    ///
    /// # Errors
    /// When the system cannot tell.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// The realtime server.
    pub fn realtime(&self) -> &Realtime {
        &self.realtime
    }

    /// Serves until `shutdown` completes.
    ///
    /// # Errors
    /// When the listener has lost its address.
    pub async fn serve(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send,
    ) -> std::io::Result<()> {
        tokio::select! {
            served = sheplang_socketio::serve(self.listener, self.router, ServeOptions::default()) => served,
            () = shutdown => Ok(()),
        }
    }
}
