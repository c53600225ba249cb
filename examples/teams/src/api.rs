//! The JSON API under `/api`. Every route but `GET /api/users` needs the stand-in identity
//! header `X-User: <user id>` (401 without it), and touches only the caller's team's tasks:
//!
//! | route | answer |
//! |---|---|
//! | `GET /api/users` | every user, `[{ id, name, team }]` (the page's "sign in as") |
//! | `GET /api/teams` | every team, `[{ id, name }]` |
//! | `GET /api/me` | `{ user, team }`: the caller and their team |
//! | `GET /api/tasks` | the tasks of the caller's team |
//! | `POST /api/tasks` `{ title }` | 201 and the new task, in the caller's team |
//! | `PATCH /api/tasks/{id}` `{ title?, done?, team? }` | the task after the change (`team` hands it over) |
//! | `DELETE /api/tasks/{id}` | 204 |
//!
//! A task of another team is a 404, as one that does not exist. Errors are
//! `{ "error": "..." }`. Each write is emitted to the realtime server while the store is still
//! locked, so the events go out in the order of the commits, with the row before the change
//! (`emit_updated_from`, `emit_deleted_row`): a filtered subscription gets a task that leaves
//! its team as a removal.

use std::sync::{Arc, Mutex, PoisonError};

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Path, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;

use crate::store::{Store, StoreError, TaskPatch};
use crate::teams::{Task, Team, User};
use crate::{Directory, Member, Realtime};

/// The API's state.
#[derive(Debug, Clone)]
pub struct AppState {
    store: Arc<Mutex<Store>>,
    realtime: Realtime,
    directory: Arc<Directory>,
}

/// The `/api` routes over `store`, emitting to `realtime`.
pub fn routes(store: Store, realtime: Realtime, directory: Arc<Directory>) -> Router {
    let state = AppState {
        store: Arc::new(Mutex::new(store)),
        realtime,
        directory,
    };
    Router::new()
        .route("/api/users", get(users))
        .route("/api/teams", get(teams))
        .route("/api/me", get(me))
        .route("/api/tasks", get(list).post(create))
        .route("/api/tasks/{id}", get(show).patch(update).delete(remove))
        .with_state(state)
}

/// The body of `POST /api/tasks`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewTask {
    /// The title (checked by the spec's generated validation).
    pub title: String,
}

/// The answer of `GET /api/me`.
#[derive(Debug, serde::Serialize)]
pub struct Me {
    /// The caller.
    pub user: User,
    /// Their team.
    pub team: Team,
}

impl FromRequestParts<AppState> for Member {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        state
            .directory
            .member_of_header(&parts.headers)
            .ok_or_else(|| ApiError {
                status: StatusCode::UNAUTHORIZED,
                message: format!(
                    "send the stand-in identity header `X-User: <user id>`, one of {}",
                    state.directory.users().join(", ")
                ),
                violations: None,
            })
    }
}

async fn users(State(app): State<AppState>) -> Result<Json<Vec<User>>, ApiError> {
    blocking(&app, |store| store.users()).await.map(Json)
}

async fn teams(State(app): State<AppState>) -> Result<Json<Vec<Team>>, ApiError> {
    blocking(&app, |store| store.teams()).await.map(Json)
}

async fn me(State(app): State<AppState>, member: Member) -> Result<Json<Me>, ApiError> {
    blocking(&app, move |store| {
        let user = store.users()?.into_iter().find(|u| u.id == member.user);
        let team = store.teams()?.into_iter().find(|t| t.id == member.team);
        match (user, team) {
            (Some(user), Some(team)) => Ok(Me { user, team }),
            _ => Err(StoreError::Invalid(format!(
                "user `{}` is gone",
                member.user
            ))),
        }
    })
    .await
    .map(Json)
}

async fn list(State(app): State<AppState>, member: Member) -> Result<Json<Vec<Task>>, ApiError> {
    blocking(&app, move |store| store.tasks_of(&member.team))
        .await
        .map(Json)
}

async fn show(
    State(app): State<AppState>,
    member: Member,
    Path(id): Path<String>,
) -> Result<Json<Task>, ApiError> {
    blocking(&app, move |store| store.task(&member.team, &id))
        .await
        .map(Json)
}

async fn create(
    State(app): State<AppState>,
    member: Member,
    body: Body<NewTask>,
) -> Result<Response, ApiError> {
    let realtime = app.realtime.clone();
    let task = blocking(&app, move |store| {
        let task = store.create(&member.team, &body.0.title)?;
        emitted(realtime.emit_created(&task));
        Ok(task)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(task)).into_response())
}

async fn update(
    State(app): State<AppState>,
    member: Member,
    Path(id): Path<String>,
    body: Body<TaskPatch>,
) -> Result<Json<Task>, ApiError> {
    let realtime = app.realtime.clone();
    blocking(&app, move |store| {
        let (before, after) = store.update(&member.team, &id, &body.0)?;
        emitted(realtime.emit_updated_from(&before, &after));
        Ok(after)
    })
    .await
    .map(Json)
}

async fn remove(
    State(app): State<AppState>,
    member: Member,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let realtime = app.realtime.clone();
    blocking(&app, move |store| {
        let task = store.delete(&member.team, &id)?;
        emitted(realtime.emit_deleted_row(&task));
        Ok(())
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An emit that failed (the server is shutting down) is logged: the write is committed, and
/// the pages see it when they load again.
fn emitted(result: Result<(), sheplang_socketio::EmitError>) {
    if let Err(e) = result {
        eprintln!("sheplang-teams: a change was not emitted: {e}");
    }
}

/// Runs `work` on the blocking pool with the store locked.
async fn blocking<T, F>(app: &AppState, work: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&mut Store) -> Result<T, StoreError> + Send + 'static,
{
    let store = app.store.clone();
    tokio::task::spawn_blocking(move || {
        let mut store = store.lock().unwrap_or_else(PoisonError::into_inner);
        work(&mut store)
    })
    .await
    .map_err(|e| ApiError::internal(format!("the store task failed: {e}")))?
    .map_err(ApiError::from)
}

/// A JSON body whose rejections are answered in the API's error shape.
#[derive(Debug)]
pub struct Body<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(value)) => Ok(Body(value)),
            Err(rejection) => Err(ApiError::from(rejection)),
        }
    }
}

/// An API error: a status and `{ "error": "..." }` (with `violations` for a row the spec
/// refuses).
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    message: String,
    violations: Option<sheplang::Violations>,
}

impl ApiError {
    fn internal(message: String) -> Self {
        eprintln!("sheplang-teams: {message}");
        ApiError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            message,
            violations: None,
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        let status = match &e {
            StoreError::Broken(_) | StoreError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            StoreError::NotFound(_) => StatusCode::NOT_FOUND,
            StoreError::Sqlite(_) | StoreError::Io(_) => return ApiError::internal(e.to_string()),
        };
        let message = e.to_string();
        let violations = match e {
            StoreError::Broken(violations) => Some(violations),
            _ => None,
        };
        ApiError {
            status,
            message,
            violations,
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        ApiError {
            status: rejection.status(),
            message: rejection.body_text(),
            violations: None,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = match self.violations {
            Some(violations) => {
                serde_json::json!({ "error": self.message, "violations": violations })
            }
            None => serde_json::json!({ "error": self.message }),
        };
        (self.status, Json(body)).into_response()
    }
}
