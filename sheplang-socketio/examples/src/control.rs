//! The HTTP control endpoint of `serve-spec`: lets a test or benchmark in another process
//! (the Node cross-language tests, `bench/fanout`) make the Rust server emit.
//!
//! **Test and benchmark support only.** Anyone who can reach these routes can make the server
//! send anything the spec allows; never mount them in a real server.
//!
//! | route | body | does |
//! |---|---|---|
//! | `POST /control/emit` | `{"event": "model_created", "args": ["Task", {...}]}` | parses the event with the generated `ServerToClient::parse` (so the row must match the spec) and sends it through the typed API (`emit_created`, ...); with `"before": {...}` (tasks spec), an update is sent with `emit_updated_from` and a deletion with `emit_deleted_row` |
//! | `POST /control/emit-batch` | `{"events": [{"event": ..., "args": [...]}, ...]}` | each as `/control/emit` (an event may carry its `"before"`), in order |
//! | `GET /control/stats` | | `{"connected": n, "subscribers": {"task": n, ...}, "epoch": "...", "metrics": {"overflowDisconnects": n, ...}}` |
//! | `POST /control/samples` | | all-types spec only: emits the Rust-made rows of [`crate::rows`] |
//! | `POST /control/burst?count=K&batch=B&payload=N&rate=R&teams=T` | | bench spec only: emits `K` `Tick` rows, each with `sentAt` = now (ms since the epoch) and a text of `N` bytes (and with `T` > 0, `team` = `t<seq % T>`, for `bench/filter`); as fast as possible, yielding every `B` (`rate` 0), or paced at `R` events per second, `B` at a time |

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use sheplang::{Channel as _, Spec};
use sheplang_socketio::{EmitError, RealtimeServer};

use crate::{alltypes, bench, edge, rows, tasks};

/// A spec the control endpoint can drive: emits one parsed event through the typed API.
pub trait Controlled: Spec + Send + Sync + Sized {
    /// Parses `(event, args)` with the spec's generated `ServerToClient::parse` and sends it
    /// with the matching typed method.
    ///
    /// # Errors
    /// The parse error (as text) for an event that does not fit the spec, or the emit error.
    fn emit(server: &RealtimeServer<Self>, event: &str, args: &[Value]) -> Result<(), String>;

    /// [`emit`](Self::emit) with the row before the change (for filtered subscriptions); only
    /// the tasks spec takes one.
    ///
    /// # Errors
    /// As [`emit`](Self::emit), or when the spec takes no previous row.
    fn emit_with_before(
        server: &RealtimeServer<Self>,
        event: &str,
        args: &[Value],
        before: Option<&Value>,
    ) -> Result<(), String> {
        match before {
            None => Self::emit(server, event, args),
            Some(_) => Err("`before` is taken by the tasks spec only".to_owned()),
        }
    }
}

fn sent(result: Result<(), EmitError>) -> Result<(), String> {
    result.map_err(|e| e.to_string())
}

fn notify<S: Spec>(
    server: &RealtimeServer<S>,
    message: &str,
    data: Option<&Value>,
) -> Result<(), String> {
    sent(server.notify(message, data))
}

const NOT_SENT_BY_HOSTS: &str = "`connected` is sent by the server on its own";

impl Controlled for tasks::Spec {
    fn emit(server: &RealtimeServer<Self>, event: &str, args: &[Value]) -> Result<(), String> {
        use tasks::ServerToClient as E;
        match E::parse(event, args).map_err(|e| e.to_string())? {
            E::UserCreated(row) => sent(server.emit_created(&*row)),
            E::UserUpdated(row) => sent(server.emit_updated(&*row)),
            E::UserDeleted(id) => sent(server.emit_deleted(id)),
            E::TaskCreated(row) => sent(server.emit_created(&*row)),
            E::TaskUpdated(row) => sent(server.emit_updated(&*row)),
            E::TaskDeleted(id) => sent(server.emit_deleted(id)),
            E::Notification { message, data } => notify(server, &message, data.as_ref()),
            E::Connected(_) => Err(NOT_SENT_BY_HOSTS.to_owned()),
        }
    }

    fn emit_with_before(
        server: &RealtimeServer<Self>,
        event: &str,
        args: &[Value],
        before: Option<&Value>,
    ) -> Result<(), String> {
        use tasks::ServerToClient as E;
        let Some(before) = before else {
            return Self::emit(server, event, args);
        };
        let row = |value: &Value| {
            serde_json::from_value::<tasks::Task>(value.clone())
                .map_err(|e| format!("`before` is not a `Task`: {e}"))
        };
        match E::parse(event, args).map_err(|e| e.to_string())? {
            E::TaskUpdated(after) => sent(server.emit_updated_from(&row(before)?, &after)),
            E::TaskDeleted(id) => {
                let before = row(before)?;
                if before.id != id.as_str() {
                    return Err("`before` is not the deleted row (another id)".to_owned());
                }
                sent(server.emit_deleted_row(&before))
            }
            _ => Err("`before` goes with a `Task` update or deletion".to_owned()),
        }
    }
}

impl Controlled for alltypes::Spec {
    fn emit(server: &RealtimeServer<Self>, event: &str, args: &[Value]) -> Result<(), String> {
        use alltypes::ServerToClient as E;
        match E::parse(event, args).map_err(|e| e.to_string())? {
            E::OwnerCreated(row) => sent(server.emit_created(&*row)),
            E::OwnerUpdated(row) => sent(server.emit_updated(&*row)),
            E::OwnerDeleted(id) => sent(server.emit_deleted(id)),
            E::OrderItemCreated(row) => sent(server.emit_created(&*row)),
            E::OrderItemUpdated(row) => sent(server.emit_updated(&*row)),
            E::OrderItemDeleted(id) => sent(server.emit_deleted(id)),
            E::EverythingCreated(row) => sent(server.emit_created(&*row)),
            E::EverythingUpdated(row) => sent(server.emit_updated(&*row)),
            E::EverythingDeleted(id) => sent(server.emit_deleted(id)),
            E::Notification { message, data } => notify(server, &message, data.as_ref()),
            E::Connected(_) => Err(NOT_SENT_BY_HOSTS.to_owned()),
        }
    }
}

impl Controlled for edge::Spec {
    fn emit(server: &RealtimeServer<Self>, event: &str, args: &[Value]) -> Result<(), String> {
        use edge::ServerToClient as E;
        match E::parse(event, args).map_err(|e| e.to_string())? {
            E::CustomerCreated(row) => sent(server.emit_created(&*row)),
            E::CustomerUpdated(row) => sent(server.emit_updated(&*row)),
            E::CustomerDeleted(id) => sent(server.emit_deleted(id)),
            E::OrderItemCreated(row) => sent(server.emit_created(&*row)),
            E::OrderItemUpdated(row) => sent(server.emit_updated(&*row)),
            E::OrderItemDeleted(id) => sent(server.emit_deleted(id)),
            E::Notification { message, data } => notify(server, &message, data.as_ref()),
            E::Connected(_) => Err(NOT_SENT_BY_HOSTS.to_owned()),
        }
    }
}

impl Controlled for bench::Spec {
    fn emit(server: &RealtimeServer<Self>, event: &str, args: &[Value]) -> Result<(), String> {
        use bench::ServerToClient as E;
        match E::parse(event, args).map_err(|e| e.to_string())? {
            E::TickCreated(row) => sent(server.emit_created(&*row)),
            E::TickUpdated(row) => sent(server.emit_updated(&*row)),
            E::TickDeleted(id) => sent(server.emit_deleted(id)),
            E::Notification { message, data } => notify(server, &message, data.as_ref()),
            E::Connected(_) => Err(NOT_SENT_BY_HOSTS.to_owned()),
        }
    }
}

/// The control routes for `server` (see the [module documentation](self)).
pub fn router<S: Controlled>(server: RealtimeServer<S>) -> Router {
    Router::new()
        .route("/control/emit", post(emit::<S>))
        .route(
            "/control/emit-batch",
            post(emit_batch::<S>).layer(axum::extract::DefaultBodyLimit::max(256 << 20)),
        )
        .route("/control/stats", get(stats::<S>))
        .with_state(server)
}

/// [`router`] plus `POST /control/samples`, for the all-types spec: emits `model_created` with
/// the Rust-made sample rows of [`rows`] (every field set, then every optional field absent).
pub fn alltypes_router(server: RealtimeServer<alltypes::Spec>) -> Router {
    router(server.clone()).merge(
        Router::new()
            .route("/control/samples", post(samples))
            .with_state(server),
    )
}

async fn samples(State(server): State<RealtimeServer<alltypes::Spec>>) -> Response {
    let sent = [
        server.emit_created(&rows::everything_full("e-full")),
        server.emit_created(&rows::everything_minimal("e-minimal")),
        server.emit_created(&rows::owner("o-sample")),
        server.emit_created(&rows::order_item("i-sample")),
    ];
    match sent.into_iter().find_map(Result::err) {
        None => axum::Json(json!({"emitted": 4})).into_response(),
        Some(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

/// [`router`] plus `POST /control/burst`, for the benchmark spec.
pub fn bench_router(server: RealtimeServer<bench::Spec>) -> Router {
    router(server.clone()).merge(
        Router::new()
            .route("/control/burst", post(burst))
            .with_state(server),
    )
}

async fn emit<S: Controlled>(
    State(server): State<RealtimeServer<S>>,
    body: axum::body::Bytes,
) -> Response {
    let request: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => return (StatusCode::BAD_REQUEST, format!("invalid JSON: {e}")).into_response(),
    };
    let (Some(event), Some(args)) = (
        request.get("event").and_then(Value::as_str),
        request.get("args").and_then(Value::as_array),
    ) else {
        return (
            StatusCode::BAD_REQUEST,
            "expected {\"event\": string, \"args\": [...]}",
        )
            .into_response();
    };
    match S::emit_with_before(&server, event, args, request.get("before")) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => (StatusCode::BAD_REQUEST, e).into_response(),
    }
}

/// `POST /control/emit-batch` with `{"events": [{"event": ..., "args": [...]}, ...]}`: each as
/// `/control/emit` (with its `"before"`, if any), in order; stops at the first that does not fit the spec.
async fn emit_batch<S: Controlled>(
    State(server): State<RealtimeServer<S>>,
    body: axum::body::Bytes,
) -> Response {
    let request: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => return (StatusCode::BAD_REQUEST, format!("invalid JSON: {e}")).into_response(),
    };
    let Some(events) = request.get("events").and_then(Value::as_array) else {
        return (StatusCode::BAD_REQUEST, "expected {\"events\": [...]}").into_response();
    };
    for (i, one) in events.iter().enumerate() {
        let (Some(event), Some(args)) = (
            one.get("event").and_then(Value::as_str),
            one.get("args").and_then(Value::as_array),
        ) else {
            return (
                StatusCode::BAD_REQUEST,
                format!("event {i}: expected {{\"event\": string, \"args\": [...]}}"),
            )
                .into_response();
        };
        if let Err(e) = S::emit_with_before(&server, event, args, one.get("before")) {
            return (StatusCode::BAD_REQUEST, format!("event {i}: {e}")).into_response();
        }
    }
    StatusCode::NO_CONTENT.into_response()
}

async fn stats<S: Controlled>(State(server): State<RealtimeServer<S>>) -> Response {
    let subscribers: serde_json::Map<String, Value> = S::channels()
        .iter()
        .map(|c| (c.as_str().to_owned(), json!(server.subscriber_count(*c))))
        .collect();
    let metrics = server.metrics();
    axum::Json(json!({
        "connected": server.connected_count(),
        "subscribers": subscribers,
        "epoch": server.log_epoch(),
        "metrics": {
            "events": metrics.events,
            "overflowDisconnects": metrics.overflow_disconnects,
            "replayed": metrics.replayed,
            "resets": metrics.resets,
            "logErrors": metrics.log_errors,
            "logDegraded": metrics.log_degraded,
            "droppedEmits": metrics.dropped_emits,
            "resyncDisconnects": metrics.resync_disconnects,
        },
    }))
    .into_response()
}

/// The query of `POST /control/burst`.
#[derive(Debug, serde::Deserialize)]
struct Burst {
    count: u32,
    #[serde(default = "default_batch")]
    batch: u32,
    #[serde(default)]
    payload: usize,
    #[serde(default)]
    rate: f64,
    /// With T > 0, row `seq` belongs to team `t<seq % T>` (`bench/filter`).
    #[serde(default)]
    teams: u32,
}

fn default_batch() -> u32 {
    50
}

/// Milliseconds since the Unix epoch, with sub-millisecond precision (the clients compare it
/// with `performance.timeOrigin + performance.now()`).
pub fn now_ms() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

async fn burst(
    State(server): State<RealtimeServer<bench::Spec>>,
    Query(burst): Query<Burst>,
) -> Response {
    let payload = "x".repeat(burst.payload.min(1 << 20));
    let batch = burst.batch.max(1);
    // Paced: batch `i` (from 0) is due at `i * batch / rate` seconds.
    let pace = (burst.rate.is_finite() && burst.rate > 0.0)
        .then(|| std::time::Duration::from_secs_f64(f64::from(batch) / burst.rate));
    let started = Instant::now();
    let base = server.metrics().events;
    let mut failed = 0usize;
    for seq in 0..burst.count {
        let tick = bench::Tick {
            id: seq.to_string(),
            seq: f64::from(seq),
            sent_at: now_ms(),
            payload: payload.clone(),
            team: (burst.teams > 0).then(|| format!("t{}", seq % burst.teams)),
        };
        if let Err(e) = server.emit_created(&tick) {
            let _ = e;
            failed += 1;
        }
        if (seq + 1) % batch == 0 {
            match pace {
                Some(interval) => {
                    let due = started + interval * ((seq + 1) / batch);
                    tokio::time::sleep_until(due.into()).await;
                }
                // As fast as the server takes them: the next batch once the dispatcher has
                // handed this one to the connections (the Node server's emit returns once its
                // writes are done; this keeps the same bound on how far ahead of its
                // connections a host can be).
                None => {
                    let handed = u64::from(seq + 1);
                    // Polled every millisecond: spinning would take a worker thread from the
                    // connections' writers.
                    while server.metrics().events < base + handed {
                        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
                    }
                }
            }
        }
    }
    axum::Json(json!({
        "emitted": burst.count,
        "failedDeliveries": failed,
        "elapsedMs": started.elapsed().as_secs_f64() * 1000.0,
    }))
    .into_response()
}
