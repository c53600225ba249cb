//! The JSON API under `/api`: list, create, update and delete tasks. The handlers only write:
//! the database's capture triggers record every committed change in the change table, in the
//! same transaction, and the realtime server's log relays it to the pages (`docs/capture.md`),
//! so a write made by anything else (a `sqlite3` shell, another process) reaches them too.
//!
//! Every answer under `/api` that is an error is JSON, `{ "error": "..." }`: a path that names
//! no route is a 404, a method the route does not have a 405 with an `Allow` header.
//!
//! `POST /api/tasks` takes an [`Idempotency-Key`](IDEMPOTENCY_KEY) header: a client that did
//! not get the answer to a create sends it again with the same key, and gets the answer of
//! the first request (with `Idempotent-Replayed: true`) instead of a second task.

use std::sync::Arc;

use axum::Router;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use axum::{Json, extract::FromRequest};
use serde::Deserialize;

use crate::postgres::PgStore;
use crate::store::{Created, Store, StoreError, TaskPatch};
use crate::tasks::Task;
use crate::writer::Writer;

/// Where the API keeps the tasks.
#[derive(Debug)]
pub enum Db {
    /// A SQLite store, on its writer thread: the calls run there one at a time, those that
    /// queue up while a commit runs are committed together (group commit, [`crate::writer`]).
    Sqlite(Writer),
    /// A PostgreSQL database.
    Postgres(PgStore),
}

/// The API's state: the database, cheap to clone.
pub type AppState = Arc<Db>;

/// The `/api` routes over a SQLite `store`, moved to a writer thread of its own.
///
/// # Errors
/// When the thread cannot be started.
pub fn routes(store: Store) -> Result<Router, StoreError> {
    Ok(routes_on(Db::Sqlite(Writer::start(store)?)))
}

/// The `/api` routes over `db`.
pub fn routes_on(db: Db) -> Router {
    let state: AppState = Arc::new(db);
    Router::new()
        .route("/api/tasks", get(list).post(create))
        .route("/api/tasks/{id}", get(show).patch(update).delete(remove))
        .route("/api", any(no_route))
        .route("/api/", any(no_route))
        .route("/api/{*rest}", any(no_route))
        .layer(middleware::from_fn(json_errors))
        .with_state(state)
}

/// The request header of a retryable create (the IETF HTTP API working group's
/// `Idempotency-Key`): a string of 1 to 255 visible ASCII characters, quoted or not.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";

/// The answer header that marks a replayed create.
pub const IDEMPOTENT_REPLAYED: &str = "idempotent-replayed";

/// Any method on a path under `/api` that names no route.
async fn no_route(method: Method, uri: axum::http::Uri) -> ApiError {
    ApiError {
        violations: None,
        transition: None,
        status: StatusCode::NOT_FOUND,
        message: format!(
            "no API route `{method} {}`; the routes are `/api/tasks` and `/api/tasks/{{id}}`",
            uri.path()
        ),
    }
}

/// Rewrites the errors that axum answers by itself under `/api` (a method the route lacks, a
/// path segment it cannot decode) into the API's JSON shape, keeping their status and headers.
async fn json_errors(req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let response = next.run(req).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if is_json || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, 4096)
        .await
        .map(|bytes| String::from_utf8_lossy(&bytes).trim().to_owned())
        .unwrap_or_default();
    let message = if status == StatusCode::METHOD_NOT_ALLOWED {
        let allowed = parts
            .headers
            .get(header::ALLOW)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        format!("`{method}` is not allowed on `{path}`; it allows {allowed}")
    } else if text.is_empty() {
        status
            .canonical_reason()
            .unwrap_or("error")
            .to_ascii_lowercase()
    } else {
        text
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    let body = serde_json::json!({ "error": message }).to_string();
    Response::from_parts(parts, axum::body::Body::from(body))
}

/// The body of `POST /api/tasks`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewTask {
    /// The title, as the spec's `Task.title` (checked by the generated validation).
    pub title: String,
}

async fn list(State(app): State<AppState>) -> Result<Json<Vec<Task>>, ApiError> {
    match &*app {
        Db::Postgres(pg) => Ok(pg.list().await?),
        Db::Sqlite(_) => blocking(app.clone(), |store| store.list()).await,
    }
    .map(Json)
}

async fn show(State(app): State<AppState>, Path(id): Path<String>) -> Result<Json<Task>, ApiError> {
    match &*app {
        Db::Postgres(pg) => Ok(pg.get(&id).await?),
        Db::Sqlite(_) => blocking(app.clone(), move |store| store.get(&id)).await,
    }
    .map(Json)
}

async fn create(
    State(app): State<AppState>,
    headers: HeaderMap,
    body: Body<NewTask>,
) -> Result<Response, ApiError> {
    let key = idempotency_key(&headers)?;
    let new = body.0;
    let created = match &*app {
        Db::Postgres(pg) => match key {
            Some(key) => pg.create_once(&key, &new.title).await?,
            None => Created::New(pg.create(&new.title).await?),
        },
        Db::Sqlite(_) => {
            blocking(app.clone(), move |store| match key {
                Some(key) => store.create_once(&key, &new.title),
                None => Ok(Created::New(store.create(&new.title)?)),
            })
            .await?
        }
    };
    Ok(match created {
        Created::New(task) => (StatusCode::CREATED, Json(task)).into_response(),
        Created::Replayed(task) => (
            StatusCode::CREATED,
            [(IDEMPOTENT_REPLAYED, HeaderValue::from_static("true"))],
            Json(task),
        )
            .into_response(),
    })
}

/// The request's idempotency key, if it sent one (a structured-field string, `"..."`, or the
/// bare characters).
fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let mut values = headers.get_all(IDEMPOTENCY_KEY).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    let bad = |message: String| ApiError {
        violations: None,
        transition: None,
        status: StatusCode::BAD_REQUEST,
        message,
    };
    if values.next().is_some() {
        return Err(bad(
            "the `Idempotency-Key` header is sent twice; send it once".to_owned(),
        ));
    }
    let text = value.to_str().unwrap_or("\u{fffd}").trim();
    let key = text
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(text);
    crate::store::check_key(key).map_err(|e| bad(format!("the `Idempotency-Key` header: {e}")))?;
    Ok(Some(key.to_owned()))
}

async fn update(
    State(app): State<AppState>,
    Path(id): Path<String>,
    body: Body<TaskPatch>,
) -> Result<Json<Task>, ApiError> {
    let patch = body.0;
    match &*app {
        Db::Postgres(pg) => Ok(pg.update(&id, &patch).await?),
        Db::Sqlite(_) => blocking(app.clone(), move |store| store.update(&id, &patch)).await,
    }
    .map(Json)
}

async fn remove(
    State(app): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    match &*app {
        Db::Postgres(pg) => {
            pg.delete(&id).await?;
        }
        Db::Sqlite(_) => {
            blocking(app.clone(), move |store| store.delete(&id)).await?;
        }
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Runs `work` on the SQLite store's writer thread, answered once its group is committed.
async fn blocking<T, F>(app: AppState, work: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&mut Store) -> Result<T, StoreError> + Send + 'static,
{
    let Db::Sqlite(writer) = &*app else {
        return Err(ApiError::from(StoreError::Invalid(
            "the tasks are not in SQLite".to_owned(),
        )));
    };
    writer.run(work).await.map_err(ApiError::from)
}

/// A JSON body whose rejections are answered in the API's own error shape.
#[derive(Debug)]
pub struct Body<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(value)) => Ok(Body(value)),
            Err(rejection) => Err(ApiError::from(rejection)),
        }
    }
}

/// An API error: a status and `{ "error": "..." }`; a row that breaks the spec's constraints
/// adds `"violations": [{ "field", "rule", "message" }, ...]`.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    message: String,
    violations: Option<sheplang::Violations>,
    transition: Option<sheplang::TransitionRefused>,
}

impl ApiError {
    fn internal(message: String) -> Self {
        eprintln!("sheplang-demo: {message}");
        ApiError {
            violations: None,
            transition: None,
            status: StatusCode::INTERNAL_SERVER_ERROR,
            message,
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Broken(violations) => ApiError {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                message: violations.to_string(),
                violations: Some(violations),
                transition: None,
            },
            StoreError::Invalid(message) => ApiError {
                violations: None,
                transition: None,
                status: StatusCode::UNPROCESSABLE_ENTITY,
                message,
            },
            StoreError::NotFound(_) => ApiError {
                violations: None,
                transition: None,
                status: StatusCode::NOT_FOUND,
                message: e.to_string(),
            },
            StoreError::Transition(refused) => ApiError {
                violations: None,
                status: StatusCode::UNPROCESSABLE_ENTITY,
                message: refused.to_string(),
                transition: Some(refused),
            },
            StoreError::KeyReused(_) => ApiError {
                violations: None,
                transition: None,
                status: StatusCode::UNPROCESSABLE_ENTITY,
                message: e.to_string(),
            },
            StoreError::Sqlite(_)
            | StoreError::Postgres(_)
            | StoreError::Io(_)
            | StoreError::Thread(_) => ApiError::internal(e.to_string()),
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        ApiError {
            violations: None,
            transition: None,
            status: rejection.status(),
            message: rejection.body_text(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = match (self.violations, self.transition) {
            (Some(violations), _) => {
                serde_json::json!({ "error": self.message, "violations": violations })
            }
            (None, Some(refused)) => serde_json::json!({
                "error": self.message,
                "transition": {
                    "from": refused.from(),
                    "to": refused.to(),
                    "allowed": refused.allowed(),
                },
            }),
            (None, None) => serde_json::json!({ "error": self.message }),
        };
        (self.status, Json(body)).into_response()
    }
}
