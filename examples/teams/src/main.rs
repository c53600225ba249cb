//! `sheplang-teams`: the teams example's server. `--help` lists the options.

use std::path::PathBuf;
use std::process::ExitCode;

use sheplang_teams::{Config, Location, Server, store, teams};

const USAGE: &str = "\
sheplang-teams: each user sees only their team's tasks, live (filtered subscriptions).

usage: sheplang-teams [--port N] [--db FILE | --memory] [--web DIR] [--allowed-host NAME]...

options:
  --port N             port on 127.0.0.1 (default 3001); 0 picks a free port
  --db FILE            SQLite file of the data (default sheplang-teams/teams.sqlite3 in the
                       temporary folder)
  --memory             keep the data in memory only (gone when the server stops)
  --web DIR            the built page (default examples/teams/web/dist)
  --allowed-host NAME  also answer requests for this host name
  -h, --help           this help

The identity is a STAND-IN, not authentication: the API believes the `X-User: <user id>`
header and the realtime server the handshake's `auth: { user }`. The users are seeded.

The first line on stdout that starts with `http://` is the page's address.";

fn main() -> ExitCode {
    let config = match parse(std::env::args().skip(1)) {
        Ok(Some(config)) => config,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("error: {message}\n  = help: `sheplang-teams --help` lists the options");
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
        "sheplang teams example: app `{}` (spec fingerprint {})",
        teams::Spec::APP,
        teams::Spec::FINGERPRINT
    );
    println!("  data:     {}", config.db);
    let users: Vec<String> = store::SEED_USERS
        .iter()
        .map(|(id, _, team)| format!("{id} ({team})"))
        .collect();
    println!("  users:    {} (stand-in identity)", users.join(", "));
    println!("  page:     {}", config.web_dir.display());
    if !config.web_dir.join("index.html").is_file() {
        println!("            (not built: run `npm ci && npm run build` in examples/teams/web)");
    }
    println!("  realtime: ws://{addr}/socket.io/");
    println!("open this in two browser windows as users of different teams (Ctrl-C stops):");
    println!("http://{addr}/");

    let shutdown = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    match server.serve(shutdown).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: the server failed: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The configuration from the arguments; `None` for `--help`.
fn parse(args: impl Iterator<Item = String>) -> Result<Option<Config>, String> {
    let mut config = Config::default();
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
            "--port" => {
                let text = value("a port number")?;
                config.port = text
                    .trim()
                    .parse()
                    .map_err(|_| format!("`{text}` is not a port number (0 to 65535)"))?;
            }
            "--db" => config.db = Location::File(PathBuf::from(value("a file path")?)),
            "--memory" => config.db = Location::Memory,
            "--web" => config.web_dir = PathBuf::from(value("a folder")?),
            "--allowed-host" => config.hosts.push(value("a host name")?),
            _ => return Err(format!("unknown argument `{arg}`")),
        }
    }
    Ok(Some(config))
}
