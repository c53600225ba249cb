//! `sheplang-demo`: the demo server. `--help` lists the options.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use sheplang_demo::{Config, Location, Server, tasks};
use sheplang_socketio::CaptureOptions;

const USAGE: &str = "\
sheplang-demo: a live task list; open it in two browser windows and change it in one.

usage: sheplang-demo [--port N] [--db FILE | --db URL | --memory] [--web DIR] [--allowed-host NAME]
                     ... [--header-timeout-ms N] [--keep-alive-timeout-ms N] [--max-connections N]
                     [--redis URL] [--capture triggers|decoding]

options:
  --port N                  port on 127.0.0.1 (default 3000, or $PORT); 0 picks a free port
  --db FILE                 SQLite file of the tasks (default $SHEPLANG_DEMO_DB, or
                            sheplang-demo/tasks.sqlite3 in the temporary folder)
  --db postgres://...       keep the tasks in this PostgreSQL database instead (its tables,
                            change capture and idempotency keys are created when missing;
                            `?options=-csearch_path%3Dname` picks a schema)
  --memory                  keep the tasks in memory only (gone when the server stops)
  --web DIR                 the built page (default $SHEPLANG_DEMO_WEB, or examples/demo/web/dist)
  --allowed-host NAME       also answer requests for this host name (`name` or `name:port`);
                            localhost and 127.0.0.1 always are, any other name is refused
  --header-timeout-ms N     close a connection that has not sent a request head within N ms
                            (default 10000)
  --keep-alive-timeout-ms N close a connection idle between requests for N ms (default 5000)
  --max-connections N       answer 503 to connections beyond N (default 10000, kept under
                            the open-file limit)
  --redis URL               keep the realtime event log in this Redis (`redis://host:port`):
                            demo processes on one --db file and one Redis are one app, a
                            change made through any of them reaches every page
  --capture HOW             on PostgreSQL, how each committed change is captured (default
                            $SHEPLANG_DEMO_CAPTURE, or `triggers`): `triggers` in each
                            writer's commit, or `decoding` from the server's write-ahead log
                            (needs `wal_level = logical`; docs/capture.md)
  -h, --help                this help

The first line on stdout that starts with `http://` is the page's address.";

fn main() -> ExitCode {
    let config = match parse(std::env::args().skip(1)) {
        Ok(Some(config)) => config,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("error: {message}\n  = help: `sheplang-demo --help` lists the options");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(run(config))
}

async fn run(config: Config) -> ExitCode {
    let server = match Server::bind(&config).await {
        Ok(server) => server,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let addr = match server.local_addr() {
        Ok(addr) => addr,
        Err(e) => {
            eprintln!("error: cannot read the bound address: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "sheplang demo: app `{}` (spec fingerprint {})",
        tasks::Spec::APP,
        tasks::Spec::FINGERPRINT
    );
    println!("  tasks:    {}", config.db);
    if server.seeded() > 0 {
        println!(
            "            (new database: added {} welcome tasks)",
            server.seeded()
        );
    }
    println!("  page:     {}", config.web_dir.display());
    if !config.web_dir.join("index.html").is_file() {
        println!(
            "            (not built: run `bash scripts/demo.sh`, or `npm run build` in examples/demo/web)"
        );
    }
    println!("  realtime: ws://{addr}/socket.io/");
    println!("open this in two browser windows (Ctrl-C stops):");
    println!("http://{addr}/");

    match server.serve(shutdown_signal()).await {
        Ok(()) => {
            println!("stopped");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: the server failed: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Ctrl-C, or SIGTERM on Unix.
async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}

/// The configuration from the arguments and the environment; `None` for `--help`.
fn parse(args: impl Iterator<Item = String>) -> Result<Option<Config>, String> {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let mut config = Config::default();
    if let Some(port) = env("PORT") {
        config.port = parse_port(&port).map_err(|e| format!("$PORT: {e}"))?;
    }
    if let Some(db) = env("SHEPLANG_DEMO_DB") {
        config.db = location(db);
    }
    if let Some(web) = env("SHEPLANG_DEMO_WEB") {
        config.web_dir = PathBuf::from(web);
    }
    if let Some(how) = env("SHEPLANG_DEMO_CAPTURE") {
        config.capture = capture(&how).map_err(|e| format!("$SHEPLANG_DEMO_CAPTURE: {e}"))?;
    }
    let mut args = args.peekable();
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => {
                (flag.to_owned(), Some(value.to_owned()))
            }
            _ => (arg.clone(), None),
        };
        let mut value = |what: &str| {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("`{flag}` needs {what}"))
        };
        match flag.as_str() {
            "-h" | "--help" => return Ok(None),
            "--port" => config.port = parse_port(&value("a port number")?)?,
            "--db" => config.db = location(value("a file path or a postgres:// URL")?),
            "--memory" => config.db = Location::Memory,
            "--web" => config.web_dir = PathBuf::from(value("a folder")?),
            "--allowed-host" => config.hosts.push(value("a host name")?),
            "--redis" => config.redis = Some(value("a Redis URL")?),
            "--capture" => config.capture = capture(&value("`triggers` or `decoding`")?)?,
            "--header-timeout-ms" => {
                let ms = parse_number(&value("milliseconds")?)?;
                config.serve = config.serve.header_read_timeout(Duration::from_millis(ms));
            }
            "--keep-alive-timeout-ms" => {
                let ms = parse_number(&value("milliseconds")?)?;
                config.serve = config.serve.keep_alive_timeout(Duration::from_millis(ms));
            }
            "--max-connections" => {
                let n = parse_number(&value("a number")?)?;
                config.serve = config
                    .serve
                    .max_connections(usize::try_from(n).unwrap_or(usize::MAX));
            }
            _ => return Err(format!("unknown argument `{arg}`")),
        }
    }
    Ok(Some(config))
}

/// A `--capture` value.
fn capture(how: &str) -> Result<CaptureOptions, String> {
    match how {
        "triggers" => Ok(CaptureOptions::default()),
        "decoding" => Ok(CaptureOptions::default().decoding()),
        other => Err(format!(
            "unknown capture `{other}`: `triggers` (the default) or `decoding`"
        )),
    }
}

/// A `--db` value: a PostgreSQL connection string, or a SQLite file.
fn location(value: String) -> Location {
    if value.starts_with("postgres://") || value.starts_with("postgresql://") {
        Location::Postgres(value)
    } else {
        Location::File(PathBuf::from(value))
    }
}

fn parse_number(text: &str) -> Result<u64, String> {
    text.trim()
        .parse()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("`{text}` is not a positive whole number"))
}

fn parse_port(text: &str) -> Result<u16, String> {
    text.trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a port number (0 to 65535)"))
}
