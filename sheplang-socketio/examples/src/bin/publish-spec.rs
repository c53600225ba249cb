//! `publish-spec`: a process with no Socket.IO server that publishes model events of spec
//! `tasks` into a shared [`RedisLog`] with a [`Publisher`], as a worker or a cron job would.
//!
//! **Test support**: the mixed-cluster test (`ts/test/scaleout.test.ts`) starts it beside
//! Rust and Node server nodes.
//!
//! ```text
//! publish-spec tasks --redis URL [--redis-prefix PREFIX]
//! ```
//!
//! Once connected it prints `{"ready":true}`; then it reads one JSON event a line on standard
//! input, `{"event": "model_created", "args": ["Task", {...}]}` (the wire form, parsed with
//! the spec's generated `ServerToClient::parse`), publishes it, and prints
//! `{"ok":true,"seq":N}` (its position) or `{"ok":false,"error":"..."}`. It exits when its
//! input ends. A Redis that cannot be reached at start is an error naming the URL (exit 1).

use std::process::ExitCode;

use serde_json::{Value, json};
use sheplang_socketio::log::{LogError, Position};
use sheplang_socketio::{Publisher, RedisLog, RedisOptions};
use sheplang_socketio_examples::tasks;
use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader};

const USAGE: &str = "usage: publish-spec tasks --redis URL [--redis-prefix PREFIX]";

struct Options {
    redis: String,
    prefix: Option<String>,
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut redis = None;
    let mut prefix = None;
    let mut args = args.iter();
    match args.next().map(String::as_str) {
        Some("tasks") => {}
        Some(other) => return Err(format!("unknown spec `{other}`; expected tasks\n{USAGE}")),
        None => return Err(format!("no spec given\n{USAGE}")),
    }
    while let Some(flag) = args.next() {
        let mut value = |name: &str| {
            args.next()
                .cloned()
                .ok_or_else(|| format!("`{name}` needs a value\n{USAGE}"))
        };
        match flag.as_str() {
            "--redis" => redis = Some(value("--redis")?),
            "--redis-prefix" => prefix = Some(value("--redis-prefix")?),
            other => return Err(format!("unknown option `{other}`\n{USAGE}")),
        }
    }
    let redis = redis.ok_or_else(|| format!("`--redis URL` is required\n{USAGE}"))?;
    Ok(Options { redis, prefix })
}

/// Publishes one event in its wire form; `None` for a notification (no position).
async fn publish(
    publisher: &Publisher<tasks::Spec>,
    line: &str,
) -> Result<Option<Position>, String> {
    use tasks::ServerToClient as E;
    let value: Value = serde_json::from_str(line).map_err(|e| format!("not JSON: {e}"))?;
    let event = value["event"]
        .as_str()
        .ok_or("`event` must be a string; expected {\"event\": ..., \"args\": [...]}")?;
    let args = value["args"]
        .as_array()
        .ok_or("`args` must be an array; expected {\"event\": ..., \"args\": [...]}")?;
    let done = |r: Result<Position, LogError>| r.map(Some).map_err(|e| e.to_string());
    match E::parse(event, args).map_err(|e| e.to_string())? {
        E::TaskCreated(row) => done(publisher.emit_created(&*row).await),
        E::TaskUpdated(row) => done(publisher.emit_updated(&*row).await),
        E::TaskDeleted(id) => done(publisher.emit_deleted(id).await),
        E::UserCreated(row) => done(publisher.emit_created(&*row).await),
        E::UserUpdated(row) => done(publisher.emit_updated(&*row).await),
        E::UserDeleted(id) => done(publisher.emit_deleted(id).await),
        E::Notification { message, data } => publisher
            .notify(&message, data.as_ref())
            .await
            .map(|()| None)
            .map_err(|e| e.to_string()),
        E::Connected(_) => Err("`connected` is sent by servers on their own".to_owned()),
    }
}

async fn run(options: Options) -> Result<(), String> {
    let mut redis = RedisOptions::default();
    if let Some(prefix) = options.prefix {
        redis = redis.prefix(prefix);
    }
    let log = RedisLog::connect(&options.redis, redis)
        .await
        .map_err(|e| e.to_string())?;
    let publisher = Publisher::<tasks::Spec>::new(log);
    let mut stdout = tokio::io::stdout();
    let write = |value: Value| format!("{value}\n");
    stdout
        .write_all(write(json!({ "ready": true })).as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    stdout.flush().await.map_err(|e| e.to_string())?;
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    while let Some(line) = lines.next_line().await.map_err(|e| e.to_string())? {
        if line.trim().is_empty() {
            continue;
        }
        let answer = match publish(&publisher, &line).await {
            Ok(Some(position)) => json!({ "ok": true, "seq": position.seq }),
            Ok(None) => json!({ "ok": true }),
            Err(error) => json!({ "ok": false, "error": error }),
        };
        stdout
            .write_all(write(answer).as_bytes())
            .await
            .map_err(|e| e.to_string())?;
        stdout.flush().await.map_err(|e| e.to_string())?;
    }
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let options = match parse(&args) {
        Ok(options) => options,
        Err(error) => {
            eprintln!("publish-spec: {error}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("publish-spec: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(options)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("publish-spec: {error}");
            ExitCode::FAILURE
        }
    }
}
