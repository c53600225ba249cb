//! `serve-spec`: the Rust realtime server of one example spec, on 127.0.0.1, with the HTTP
//! control endpoint of [`sheplang_socketio_examples::control`].
//!
//! **Test and benchmark support**: the Node cross-language tests (`ts/test/rust-*.test.ts`)
//! and `bench/fanout` start it; it is not an example of a production server.
//!
//! ```text
//! serve-spec <tasks|edge|alltypes|bench> [--port N] [--origin URL]... [--any-origin]
//!            [--deny CHANNEL]... [--deny-filter CHANNEL:FIELD=VALUE]...
//!            [--panic CHANNEL]... [--hang CHANNEL]... [--slow-ms N]
//!            [--authorize-timeout-ms N] [--max-payload BYTES] [--max-buffer-size PACKETS]
//!            [--log-capacity EVENTS] [--log-max-age-ms N]
//!            [--allowed-host NAME]... [--header-timeout-ms N] [--keep-alive-timeout-ms N]
//!            [--max-connections N] [--redis URL] [--redis-prefix PREFIX]
//!            [--max-pending-emits N] [--worker-threads N] [--exit-on-stdin-eof]
//! ```
//!
//! `--worker-threads N`: the Tokio runtime's worker threads (default: one per core); `0` runs
//! everything on one thread (a current-thread runtime), for the benchmarks' comparisons.
//!
//! With `--redis URL`, the event log is a [`RedisLog`] at that URL (key prefix `--redis-prefix`,
//! default `sheplang`; `--log-capacity` and `--log-max-age-ms` apply to it): several
//! `serve-spec` processes on one Redis are the nodes of one cluster (`docs/scale-out.md`). A
//! Redis that cannot be reached at start is an error naming the URL (exit status 1).
//!
//! It serves with [`sheplang_socketio::serve()`]: the connection flags set its
//! [`ServeOptions`], whose defaults they are otherwise.
//!
//! The port is `--port`, else `$PORT`, else 0 (any free port). Once listening it prints one
//! JSON line on stdout, `{"port":N,"app":"...","fingerprint":"...","pid":N,"generated":"..."}`
//! (`generated`: the folder with this build's generated Rust, TypeScript and IR of every
//! example spec, so a test compares the halves of one build), and serves until
//! killed (or, with `--exit-on-stdin-eof`, until its standard input closes, so that it never
//! outlives the test that started it).
//!
//! The authorize flags install a hook only when one of them is given: `--deny c` answers
//! `false` for channel `c`, `--deny-filter c:f=v` for a subscription to `c` whose filter
//! asks field `f` to equal the string `v`, `--panic c` panics, `--hang c` never answers (the timeout
//! denies), `--slow-ms N` delays every answer.

use std::collections::HashSet;
use std::io::{Read as _, Write as _};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use sheplang::{Channel as _, Spec};
use sheplang_socketio::{
    Origins, RealtimeServer, RealtimeServerBuilder, RedisLog, RedisOptions, ServeOptions,
};
use sheplang_socketio_examples::control::{self, Controlled};
use sheplang_socketio_examples::{GENERATED_DIR, alltypes, bench, edge, tasks};
use tokio::net::TcpListener;

const USAGE: &str = "usage: serve-spec <tasks|edge|alltypes|bench> [--port N] [--origin URL]... \
[--any-origin] [--deny CHANNEL]... [--deny-filter CHANNEL:FIELD=VALUE]... [--panic CHANNEL]... [--hang CHANNEL]... [--slow-ms N] \
[--authorize-timeout-ms N] [--max-payload BYTES] [--max-buffer-size PACKETS] \
[--log-capacity EVENTS] [--log-max-age-ms N] \
[--allowed-host NAME]... [--header-timeout-ms N] [--keep-alive-timeout-ms N] [--max-connections N] \
[--redis URL] [--redis-prefix PREFIX] [--max-pending-emits N] [--worker-threads N] [--exit-on-stdin-eof]";

#[derive(Debug, Default)]
struct Options {
    spec: String,
    port: u16,
    origins: Vec<String>,
    any_origin: bool,
    deny: HashSet<String>,
    /// `(channel, field, value)`: filters refused.
    deny_filter: Vec<(String, String, String)>,
    panic: HashSet<String>,
    hang: HashSet<String>,
    slow_ms: u64,
    authorize_timeout_ms: Option<u64>,
    max_payload: Option<u64>,
    max_buffer_size: Option<usize>,
    max_pending_emits: Option<usize>,
    log_capacity: Option<usize>,
    log_max_age_ms: Option<u64>,
    hosts: Vec<String>,
    serve: ServeOptions,
    exit_on_stdin_eof: bool,
    /// The runtime's worker threads; `Some(0)`: a current-thread runtime.
    worker_threads: Option<usize>,
    redis: Option<String>,
    redis_prefix: Option<String>,
    /// The connected log, once `--redis` is connected.
    redis_log: Option<RedisLog>,
}

fn parse_args() -> Result<Options, String> {
    let mut options = Options {
        port: match std::env::var("PORT") {
            Ok(p) => p.parse().map_err(|_| format!("invalid $PORT `{p}`"))?,
            Err(_) => 0,
        },
        ..Options::default()
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("`{name}` needs a value"));
        match arg.as_str() {
            "--port" => {
                options.port = value("--port")?
                    .parse()
                    .map_err(|e| format!("--port: {e}"))?;
            }
            "--origin" => options.origins.push(value("--origin")?),
            "--any-origin" => options.any_origin = true,
            "--deny" => {
                options.deny.insert(value("--deny")?);
            }
            "--deny-filter" => {
                let rule = value("--deny-filter")?;
                let parsed = rule.split_once(':').and_then(|(channel, rest)| {
                    let (field, value) = rest.split_once('=')?;
                    Some((channel.to_owned(), field.to_owned(), value.to_owned()))
                });
                options.deny_filter.push(parsed.ok_or(format!(
                    "--deny-filter `{rule}`: expected CHANNEL:FIELD=VALUE"
                ))?);
            }
            "--panic" => {
                options.panic.insert(value("--panic")?);
            }
            "--hang" => {
                options.hang.insert(value("--hang")?);
            }
            "--slow-ms" => {
                options.slow_ms = value("--slow-ms")?
                    .parse()
                    .map_err(|e| format!("--slow-ms: {e}"))?;
            }
            "--authorize-timeout-ms" => {
                options.authorize_timeout_ms = Some(
                    value("--authorize-timeout-ms")?
                        .parse()
                        .map_err(|e| format!("--authorize-timeout-ms: {e}"))?,
                );
            }
            "--max-payload" => {
                options.max_payload = Some(
                    value("--max-payload")?
                        .parse()
                        .map_err(|e| format!("--max-payload: {e}"))?,
                );
            }
            "--max-pending-emits" => {
                options.max_pending_emits = Some(
                    value("--max-pending-emits")?
                        .parse()
                        .map_err(|e| format!("--max-pending-emits: {e}"))?,
                );
            }
            "--max-buffer-size" => {
                options.max_buffer_size = Some(
                    value("--max-buffer-size")?
                        .parse()
                        .map_err(|e| format!("--max-buffer-size: {e}"))?,
                );
            }
            "--log-capacity" => {
                options.log_capacity = Some(
                    value("--log-capacity")?
                        .parse()
                        .map_err(|e| format!("--log-capacity: {e}"))?,
                );
            }
            "--log-max-age-ms" => {
                options.log_max_age_ms = Some(
                    value("--log-max-age-ms")?
                        .parse()
                        .map_err(|e| format!("--log-max-age-ms: {e}"))?,
                );
            }
            "--allowed-host" => options.hosts.push(value("--allowed-host")?),
            "--header-timeout-ms" => {
                let ms = value("--header-timeout-ms")?
                    .parse()
                    .map_err(|e| format!("--header-timeout-ms: {e}"))?;
                options.serve = options
                    .serve
                    .clone()
                    .header_read_timeout(Duration::from_millis(ms));
            }
            "--keep-alive-timeout-ms" => {
                let ms = value("--keep-alive-timeout-ms")?
                    .parse()
                    .map_err(|e| format!("--keep-alive-timeout-ms: {e}"))?;
                options.serve = options
                    .serve
                    .clone()
                    .keep_alive_timeout(Duration::from_millis(ms));
            }
            "--max-connections" => {
                let n = value("--max-connections")?
                    .parse()
                    .map_err(|e| format!("--max-connections: {e}"))?;
                options.serve = options.serve.clone().max_connections(n);
            }
            "--exit-on-stdin-eof" => options.exit_on_stdin_eof = true,
            "--worker-threads" => {
                options.worker_threads = Some(
                    value("--worker-threads")?
                        .parse()
                        .map_err(|e| format!("--worker-threads: {e}"))?,
                );
            }
            "--redis" => options.redis = Some(value("--redis")?),
            "--redis-prefix" => options.redis_prefix = Some(value("--redis-prefix")?),
            "-h" | "--help" => return Err(USAGE.to_owned()),
            other if other.starts_with('-') => return Err(format!("unknown option `{other}`")),
            spec if options.spec.is_empty() => options.spec = spec.to_owned(),
            extra => return Err(format!("unexpected argument `{extra}`")),
        }
    }
    if options.spec.is_empty() {
        return Err(USAGE.to_owned());
    }
    Ok(options)
}

/// The builder of spec `S` with the options' origins, hook and limits.
fn configure<S: Spec + Send + Sync>(options: &Options) -> RealtimeServerBuilder<S> {
    let mut builder = RealtimeServer::<S>::builder()
        .allowed_origins(if options.any_origin {
            Origins::any()
        } else {
            Origins::list(&options.origins)
        })
        .allowed_hosts(options.hosts.as_slice());
    if !(options.deny.is_empty()
        && options.deny_filter.is_empty()
        && options.panic.is_empty()
        && options.hang.is_empty()
        && options.slow_ms == 0)
    {
        let deny = Arc::new(options.deny.clone());
        let deny_filter = Arc::new(options.deny_filter.clone());
        let panic = Arc::new(options.panic.clone());
        let hang = Arc::new(options.hang.clone());
        let slow = Duration::from_millis(options.slow_ms);
        builder = builder.authorize_filter(move |_socket, channel: S::Channel, filter| {
            let name = channel.as_str();
            let (deny, panic, hang) = (deny.clone(), panic.clone(), hang.clone());
            let refused = deny_filter
                .iter()
                .any(|(c, f, v)| c == name && filter.get_str(f) == Some(v.as_str()));
            async move {
                if !slow.is_zero() {
                    tokio::time::sleep(slow).await;
                }
                if hang.contains(name) {
                    std::future::pending::<()>().await;
                }
                assert!(
                    !panic.contains(name),
                    "serve-spec: authorize hook told to panic on `{name}`"
                );
                !deny.contains(name) && !refused
            }
        });
    }
    if let Some(ms) = options.authorize_timeout_ms {
        builder = builder.authorize_timeout(Duration::from_millis(ms));
    }
    if let Some(bytes) = options.max_payload {
        builder = builder.max_payload(bytes);
    }
    if let Some(emits) = options.max_pending_emits {
        builder = builder.max_pending_emits(emits);
    }
    if let Some(packets) = options.max_buffer_size {
        builder = builder.max_buffer_size(packets);
    }
    if let Some(log) = &options.redis_log {
        builder = builder.log(log.clone());
    } else if options.log_capacity.is_some() || options.log_max_age_ms.is_some() {
        builder = builder.log_limits(
            options
                .log_capacity
                .unwrap_or(sheplang_socketio::DEFAULT_LOG_CAPACITY),
            options.log_max_age_ms.map_or(
                sheplang_socketio::DEFAULT_LOG_MAX_AGE,
                Duration::from_millis,
            ),
        );
    }
    builder
}

/// The realtime layer and the control routes of spec `S`.
fn app<S: Controlled>(options: &Options, control: fn(RealtimeServer<S>) -> Router) -> Router {
    let (server, layer) = configure::<S>(options).build();
    control(server).layer(layer)
}

async fn serve(mut options: Options) -> Result<(), String> {
    if let Some(url) = &options.redis {
        let mut redis = RedisOptions::default();
        if let Some(prefix) = &options.redis_prefix {
            redis = redis.prefix(prefix.clone());
        }
        if let Some(capacity) = options.log_capacity {
            redis = redis.capacity(capacity);
        }
        if let Some(ms) = options.log_max_age_ms {
            redis = redis.max_age(Duration::from_millis(ms));
        }
        let log = RedisLog::connect(url, redis)
            .await
            .map_err(|e| e.to_string())?;
        options.redis_log = Some(log);
    }
    let (router, app_name, fingerprint) = match options.spec.as_str() {
        "tasks" => (
            app::<tasks::Spec>(&options, control::router),
            tasks::Spec::APP,
            tasks::Spec::FINGERPRINT,
        ),
        "edge" => (
            app::<edge::Spec>(&options, control::router),
            edge::Spec::APP,
            edge::Spec::FINGERPRINT,
        ),
        "alltypes" => (
            app::<alltypes::Spec>(&options, control::alltypes_router),
            alltypes::Spec::APP,
            alltypes::Spec::FINGERPRINT,
        ),
        "bench" => (
            app::<bench::Spec>(&options, control::bench_router),
            bench::Spec::APP,
            bench::Spec::FINGERPRINT,
        ),
        other => {
            return Err(format!(
                "unknown spec `{other}`; expected tasks, edge, alltypes or bench"
            ));
        }
    };
    let listener = TcpListener::bind(("127.0.0.1", options.port))
        .await
        .map_err(|e| format!("cannot listen on 127.0.0.1:{}: {e}", options.port))?;
    let port = listener
        .local_addr()
        .map_err(|e| format!("no local address: {e}"))?
        .port();
    let ready = serde_json::json!({
        "port": port,
        "app": app_name,
        "fingerprint": fingerprint,
        "pid": std::process::id(),
        "generated": GENERATED_DIR,
    });
    {
        let mut stdout = std::io::stdout().lock();
        let _ = writeln!(stdout, "{ready}");
        let _ = stdout.flush();
    }
    let shutdown = async move {
        if options.exit_on_stdin_eof {
            // A blocking read on a thread of its own: EOF (or an error) means the parent is gone.
            let _ = tokio::task::spawn_blocking(|| {
                let mut sink = [0u8; 256];
                let mut stdin = std::io::stdin();
                while matches!(stdin.read(&mut sink), Ok(n) if n > 0) {}
            })
            .await;
        } else {
            let _ = tokio::signal::ctrl_c().await;
        }
    };
    // No graceful shutdown: realtime clients may stay connected; the test is over.
    tokio::select! {
        served = sheplang_socketio::serve(listener, router, options.serve.clone()) => {
            served.map_err(|e| format!("server error: {e}"))
        }
        () = shutdown => Ok(()),
    }
}

fn main() -> ExitCode {
    let options = match parse_args() {
        Ok(options) => options,
        Err(e) => {
            eprintln!("serve-spec: {e}");
            return ExitCode::from(2);
        }
    };
    let mut builder = match options.worker_threads {
        Some(0) => tokio::runtime::Builder::new_current_thread(),
        Some(threads) => {
            let mut builder = tokio::runtime::Builder::new_multi_thread();
            builder.worker_threads(threads);
            builder
        }
        None => tokio::runtime::Builder::new_multi_thread(),
    };
    let runtime = match builder.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("serve-spec: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(serve(options)) {
        Ok(()) => {
            runtime.shutdown_timeout(Duration::from_millis(100));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("serve-spec: {e}");
            ExitCode::FAILURE
        }
    }
}
