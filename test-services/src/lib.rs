//! Real services for the workspace's tests.
//!
//! A test that needs Redis or PostgreSQL asks for one here:
//!
//! ```no_run
//! let redis = test_services::redis().unwrap_or_else(|e| panic!("{e}"));
//! let url = redis.url(); // redis://127.0.0.1:PORT
//! # let _ = url;
//! ```
//!
//! - When `$REDIS_URL` (or `$DATABASE_URL`) is set and its host accepts a connection, that server
//!   is used (`scripts/test.sh` starts one of each for the whole run and exports both). A test
//!   sharing a server isolates itself: its own Redis key prefix, its own PostgreSQL schema.
//! - Otherwise a server is started for the caller: `redis-server`, or `initdb` + `postgres` (as
//!   the `postgres` user when running as root, since PostgreSQL refuses root), on a free port of
//!   127.0.0.1, with its files in a temporary folder. Dropping the [`Service`] stops it and
//!   removes the folder.
//! - A missing binary is an error that says which Debian package to install; tests fail with
//!   it rather than skip.
//!
//! [`redis_owned`] and [`postgres_owned`] always start a private server, for tests that stop or
//! restart it ([`Service::stop`], [`Service::start_again`]).

use std::fmt;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long a started server may take to accept connections before the start is an error.
const READY_WITHIN: Duration = Duration::from_secs(30);

/// The kind of a service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A Redis server (`redis://…`).
    Redis,
    /// A PostgreSQL server (`postgres://…`).
    Postgres,
}

impl Kind {
    fn env_var(self) -> &'static str {
        match self {
            Kind::Redis => "REDIS_URL",
            Kind::Postgres => "DATABASE_URL",
        }
    }

    fn default_port(self) -> u16 {
        match self {
            Kind::Redis => 6379,
            Kind::Postgres => 5432,
        }
    }

    fn package(self) -> &'static str {
        match self {
            Kind::Redis => "redis-server",
            Kind::Postgres => "postgresql",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Kind::Redis => "Redis",
            Kind::Postgres => "PostgreSQL",
        })
    }
}

/// A reachable server: the environment's, or one started for the caller (stopped on drop).
pub struct Service {
    kind: Kind,
    url: String,
    owned: Option<Owned>,
}

struct Owned {
    port: u16,
    dir: tempfile::TempDir,
    child: Option<Child>,
    /// The folder of `initdb`, `postgres`, `pg_ctl`, `pg_isready` (PostgreSQL only).
    pg_bin: Option<PathBuf>,
}

impl fmt::Debug for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Service")
            .field("kind", &self.kind)
            .field("url", &self.url)
            .field("started_here", &self.owned.is_some())
            .finish()
    }
}

/// A Redis server: `$REDIS_URL` when reachable, otherwise one started for the caller.
pub fn redis() -> Result<Service, String> {
    from_env(Kind::Redis).map_or_else(redis_owned, Ok)
}

/// A PostgreSQL server: `$DATABASE_URL` when reachable, otherwise one started for the caller.
pub fn postgres() -> Result<Service, String> {
    from_env(Kind::Postgres).map_or_else(postgres_owned, Ok)
}

/// A Redis server started for the caller alone, whatever the environment says.
pub fn redis_owned() -> Result<Service, String> {
    let binary =
        find_binary("redis-server", &[]).ok_or_else(|| missing(Kind::Redis, "redis-server"))?;
    let dir = temp_dir(Kind::Redis)?;
    let port = free_port()?;
    let mut service = Service {
        kind: Kind::Redis,
        url: format!("redis://127.0.0.1:{port}"),
        owned: Some(Owned {
            port,
            dir,
            child: None,
            pg_bin: Some(binary),
        }),
    };
    service.start_again()?;
    Ok(service)
}

/// A PostgreSQL server started for the caller alone (a fresh cluster in a temporary folder).
pub fn postgres_owned() -> Result<Service, String> {
    let bin = postgres_bin().ok_or_else(|| missing(Kind::Postgres, "initdb"))?;
    let dir = temp_dir(Kind::Postgres)?;
    let as_root = running_as_root();
    if as_root {
        run(
            Command::new("chown")
                .arg("-R")
                .arg("postgres:")
                .arg(dir.path()),
            "chown the data folder",
        )?;
    }
    let data = dir.path().join("data");
    let mut initdb = pg_command(&bin.join("initdb"), as_root);
    initdb.arg("-D").arg(&data).args([
        "-A",
        "trust",
        "-U",
        "postgres",
        "-E",
        "UTF8",
        "--locale=C",
        "--no-sync",
    ]);
    run(&mut initdb, "initdb")?;
    let port = free_port()?;
    let mut service = Service {
        kind: Kind::Postgres,
        url: format!("postgres://postgres@127.0.0.1:{port}/postgres"),
        owned: Some(Owned {
            port,
            dir,
            child: None,
            pg_bin: Some(bin),
        }),
    };
    service.start_again()?;
    Ok(service)
}

impl Service {
    /// The connection URL (`redis://127.0.0.1:PORT`, `postgres://postgres@127.0.0.1:PORT/postgres`,
    /// or the environment's).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The PostgreSQL URL whose connections work in `schema` (tokio-postgres's
    /// `options=-csearch_path=...`, added to the URL's own parameters if it has any).
    pub fn url_in_schema(&self, schema: &str) -> String {
        let join = if self.url.contains('?') { '&' } else { '?' };
        format!("{}{join}options=-csearch_path%3D{schema}", self.url)
    }

    /// The kind of server.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// Whether this server was started for the caller (and is stopped on drop).
    pub fn started_here(&self) -> bool {
        self.owned.is_some()
    }

    /// Stops a server started here, keeping its folder and port so that
    /// [`start_again`](Self::start_again) brings it back at the same URL. Redis forgets its data
    /// (nothing is persisted); PostgreSQL keeps its cluster.
    pub fn stop(&mut self) -> Result<(), String> {
        let kind = self.kind;
        let owned = self.owned.as_mut().ok_or_else(|| not_owned(kind))?;
        let Some(mut child) = owned.child.take() else {
            return Ok(());
        };
        if kind == Kind::Postgres {
            let bin = owned
                .pg_bin
                .as_deref()
                .expect("a started PostgreSQL knows its binaries");
            let mut stop = pg_command(&bin.join("pg_ctl"), running_as_root());
            stop.arg("stop")
                .arg("-D")
                .arg(owned.dir.path().join("data"))
                .args(["-m", "immediate", "-w"]);
            run(&mut stop, "pg_ctl stop")?;
        } else {
            let _ = child.kill();
        }
        child
            .wait()
            .map_err(|e| format!("cannot wait for the {kind} server to stop: {e}"))?;
        Ok(())
    }

    /// Starts a server stopped by [`stop`](Self::stop) again, on the same port.
    pub fn start_again(&mut self) -> Result<(), String> {
        let kind = self.kind;
        let owned = self.owned.as_mut().ok_or_else(|| not_owned(kind))?;
        if owned.child.is_some() {
            return Ok(());
        }
        let log = owned.dir.path().join("server.log");
        let log_file = std::fs::File::create(&log)
            .map_err(|e| format!("cannot create `{}`: {e}", log.display()))?;
        let port = owned.port.to_string();
        let bin = owned
            .pg_bin
            .clone()
            .expect("a started service knows its binary");
        let mut command = match kind {
            Kind::Redis => {
                let mut c = Command::new(&bin);
                c.args([
                    "--port",
                    &port,
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                ])
                .args(["--protected-mode", "no", "--daemonize", "no"])
                .arg("--dir")
                .arg(owned.dir.path());
                c
            }
            Kind::Postgres => {
                let mut c = pg_command(&bin.join("postgres"), running_as_root());
                c.arg("-D")
                    .arg(owned.dir.path().join("data"))
                    .args(["-p", &port, "-h", "127.0.0.1", "-k"])
                    .arg(owned.dir.path())
                    // No fsync (a test cluster need not survive the OS crashing), but commits stay
                    // synchronous: a committed row survives `stop` (an immediate shutdown).
                    .args(["-F", "-c", "full_page_writes=off"])
                    .args(["-c", "max_connections=200"])
                    // Capture by logical decoding streams a replication slot.
                    .args(["-c", "wal_level=logical", "-c", "max_replication_slots=20"])
                    .args(["-c", "max_wal_senders=20"]);
                c
            }
        };
        let stderr = log_file
            .try_clone()
            .map_err(|e| format!("cannot share the log file: {e}"))?;
        let child = command
            .stdin(Stdio::null())
            .stdout(log_file)
            .stderr(stderr)
            .spawn()
            .map_err(|e| format!("cannot start the {kind} server `{}`: {e}", bin.display()))?;
        owned.child = Some(child);
        wait_ready(kind, owned, &log)
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        if self.owned.is_some()
            && let Err(e) = self.stop()
        {
            eprintln!("warning: {e}");
        }
    }
}

fn wait_ready(kind: Kind, owned: &mut Owned, log: &Path) -> Result<(), String> {
    let deadline = Instant::now() + READY_WITHIN;
    let addr = SocketAddr::from(([127, 0, 0, 1], owned.port));
    loop {
        if let Some(child) = owned.child.as_mut()
            && let Ok(Some(status)) = child.try_wait()
        {
            owned.child = None;
            return Err(format!(
                "the {kind} server exited at start ({status}); its log:\n{}",
                tail(log)
            ));
        }
        let ready = match kind {
            Kind::Redis => redis_pong(addr),
            Kind::Postgres => {
                let bin = owned.pg_bin.as_deref().expect("PostgreSQL binaries");
                Command::new(bin.join("pg_isready"))
                    .args(["-q", "-h", "127.0.0.1", "-p", &owned.port.to_string()])
                    .status()
                    .is_ok_and(|s| s.success())
            }
        };
        if ready {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!(
                "the {kind} server on 127.0.0.1:{} did not accept connections within {}s; its log:\n{}",
                owned.port,
                READY_WITHIN.as_secs(),
                tail(log)
            ));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn redis_pong(addr: SocketAddr) -> bool {
    let Ok(mut stream) = TcpStream::connect_timeout(&addr, Duration::from_millis(200)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
    let mut answer = [0u8; 5];
    stream.write_all(b"PING\r\n").is_ok()
        && stream.read_exact(&mut answer).is_ok()
        && &answer == b"+PONG"
}

/// The environment's server, when its variable is set and the host accepts a TCP connection.
fn from_env(kind: Kind) -> Option<Service> {
    let url = std::env::var(kind.env_var())
        .ok()
        .filter(|u| !u.trim().is_empty())?;
    if reachable(&url, kind.default_port()) {
        Some(Service {
            kind,
            url,
            owned: None,
        })
    } else {
        eprintln!(
            "note: ${} ({url}) is not reachable; starting a {kind} server for this test",
            kind.env_var()
        );
        None
    }
}

fn reachable(url: &str, default_port: u16) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?']).next().unwrap_or("");
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, hp)| hp);
    let with_port = if host_port
        .rsplit_once(':')
        .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
    {
        host_port.to_owned()
    } else {
        format!("{host_port}:{default_port}")
    };
    with_port.to_socket_addrs().is_ok_and(|mut addrs| {
        addrs.any(|a| TcpStream::connect_timeout(&a, Duration::from_millis(500)).is_ok())
    })
}

fn free_port() -> Result<u16, String> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("cannot find a free loopback port: {e}"))
}

fn temp_dir(kind: Kind) -> Result<tempfile::TempDir, String> {
    tempfile::Builder::new()
        .prefix(&format!("sheplang-{}-", kind.package()))
        .tempdir()
        .map_err(|e| format!("cannot create a temporary folder for {kind}: {e}"))
}

fn find_binary(name: &str, extra: &[PathBuf]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(extra.iter().cloned())
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/usr/bin")])
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// The folder of PostgreSQL's server binaries: `initdb` on `PATH`, or Debian's
/// `/usr/lib/postgresql/<newest>/bin`.
fn postgres_bin() -> Option<PathBuf> {
    let mut debian: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            Some((
                entry.file_name().to_str()?.parse().ok()?,
                entry.path().join("bin"),
            ))
        })
        .collect();
    debian.sort();
    let debian: Vec<PathBuf> = debian.into_iter().rev().map(|(_, bin)| bin).collect();
    // `initdb` may be a symlink into the real folder (which also holds `pg_ctl`, `pg_isready`).
    let initdb = find_binary("initdb", &debian)?;
    let real = std::fs::canonicalize(&initdb).unwrap_or(initdb);
    real.parent().map(Path::to_path_buf)
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| out.stdout.trim_ascii() == b"0")
}

/// A PostgreSQL binary, run as `postgres` when the caller is root.
fn pg_command(binary: &Path, as_root: bool) -> Command {
    if as_root {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(binary);
        c
    } else {
        Command::new(binary)
    }
}

fn run(command: &mut Command, what: &str) -> Result<(), String> {
    let out = command
        .output()
        .map_err(|e| format!("cannot run {what}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{what} failed ({}):\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

fn tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

fn missing(kind: Kind, binary: &str) -> String {
    format!(
        "`{binary}` was not found: install Debian's `{}` package (`apt-get install -y --no-install-recommends {}`; \
         `bash scripts/test.sh` does this), or set ${} to a reachable {kind} server",
        kind.package(),
        kind.package(),
        kind.env_var()
    )
}

fn not_owned(kind: Kind) -> String {
    format!(
        "this {kind} server was not started by the test (it is ${}): use `test_services::{}_owned()` to control one",
        kind.env_var(),
        match kind {
            Kind::Redis => "redis",
            Kind::Postgres => "postgres",
        }
    )
}
