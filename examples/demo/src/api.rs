//! The JSON API under `/api`: list, create, update and delete tasks. Every write is committed,
//! then broadcast through the typed emit path (`sheplang::created(&task)`: the `Task` type
//! decides the room), while the store is still locked, so that subscribers see the events in
//! the order of the commits.

use std::sync::{Arc, Mutex, PoisonError};

use axum::Router;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, extract::FromRequest};
use serde::Deserialize;
use sheplang::Emitter;

use crate::store::{Store, StoreError, TaskPatch};
use crate::tasks::{self, Task};

/// What the handlers share: the store and the emitter of the spec's events.
#[derive(Debug)]
pub struct Inner<E> {
    store: Mutex<Store>,
    emitter: E,
}

/// The API's state: cheap to clone.
pub type AppState<E> = Arc<Inner<E>>;

/// The `/api` routes over `store`, emitting through `emitter` (the realtime server, or a
/// [`sheplang::testing::Recorder`] in tests).
pub fn routes<E>(store: Store, emitter: E) -> Router
where
    E: Emitter<Spec = tasks::Spec> + Send + Sync + 'static,
    E::Error: std::fmt::Display,
{
    let state: AppState<E> = Arc::new(Inner {
        store: Mutex::new(store),
        emitter,
    });
    Router::new()
        .route("/api/tasks", get(list::<E>).post(create::<E>))
        .route(
            "/api/tasks/{id}",
            get(show::<E>).patch(update::<E>).delete(remove::<E>),
        )
        .with_state(state)
}

/// The body of `POST /api/tasks`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewTask {
    /// The title: 1 to 200 characters.
    pub title: String,
}

async fn list<E: Send + Sync + 'static>(
    State(app): State<AppState<E>>,
) -> Result<Json<Vec<Task>>, ApiError> {
    blocking(app, |store, _| store.list()).await.map(Json)
}

async fn show<E: Send + Sync + 'static>(
    State(app): State<AppState<E>>,
    Path(id): Path<String>,
) -> Result<Json<Task>, ApiError> {
    blocking(app, move |store, _| store.get(&id))
        .await
        .map(Json)
}

async fn create<E>(
    State(app): State<AppState<E>>,
    body: Body<NewTask>,
) -> Result<(StatusCode, Json<Task>), ApiError>
where
    E: Emitter<Spec = tasks::Spec> + Send + Sync + 'static,
    E::Error: std::fmt::Display,
{
    let new = body.0;
    blocking(app, move |store, emitter| {
        let task = store.create(&new.title)?;
        report(emitter.emit(sheplang::created(&task)));
        Ok(task)
    })
    .await
    .map(|task| (StatusCode::CREATED, Json(task)))
}

async fn update<E>(
    State(app): State<AppState<E>>,
    Path(id): Path<String>,
    body: Body<TaskPatch>,
) -> Result<Json<Task>, ApiError>
where
    E: Emitter<Spec = tasks::Spec> + Send + Sync + 'static,
    E::Error: std::fmt::Display,
{
    let patch = body.0;
    blocking(app, move |store, emitter| {
        let task = store.update(&id, &patch)?;
        report(emitter.emit(sheplang::updated(&task)));
        Ok(task)
    })
    .await
    .map(Json)
}

async fn remove<E>(
    State(app): State<AppState<E>>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError>
where
    E: Emitter<Spec = tasks::Spec> + Send + Sync + 'static,
    E::Error: std::fmt::Display,
{
    blocking(app, move |store, emitter| {
        let task = store.delete(&id)?;
        report(emitter.emit(sheplang::deleted(&task)));
        Ok(())
    })
    .await
    .map(|()| StatusCode::NO_CONTENT)
}

/// Runs `work` on the blocking pool with the store locked (SQLite calls block).
async fn blocking<E, T, F>(app: AppState<E>, work: F) -> Result<T, ApiError>
where
    E: Send + Sync + 'static,
    T: Send + 'static,
    F: FnOnce(&mut Store, &E) -> Result<T, StoreError> + Send + 'static,
{
    tokio::task::spawn_blocking(move || {
        let mut store = app.store.lock().unwrap_or_else(PoisonError::into_inner);
        work(&mut store, &app.emitter)
    })
    .await
    .map_err(|e| ApiError::internal(format!("the store task failed: {e}")))?
    .map_err(ApiError::from)
}

/// The write is committed either way: a subscriber whose queue was full misses one event (its
/// page refetches when it reconnects), which is no reason to fail the request.
fn report<Error: std::fmt::Display>(sent: Result<(), Error>) {
    if let Err(e) = sent {
        eprintln!("sheplang-demo: some subscribers were not told: {e}");
    }
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

/// An API error: a status and `{ "error": "..." }`.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    message: String,
}

impl ApiError {
    fn internal(message: String) -> Self {
        eprintln!("sheplang-demo: {message}");
        ApiError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            message,
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Invalid(message) => ApiError {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                message,
            },
            StoreError::NotFound(_) => ApiError {
                status: StatusCode::NOT_FOUND,
                message: e.to_string(),
            },
            StoreError::Sqlite(_) | StoreError::Io(_) => ApiError::internal(e.to_string()),
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        ApiError {
            status: rejection.status(),
            message: rejection.body_text(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(serde_json::json!({ "error": self.message })),
        )
            .into_response()
    }
}
