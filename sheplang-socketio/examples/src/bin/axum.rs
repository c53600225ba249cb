//! The axum example: the realtime server of `ts/specs/tasks.shep` next to a small REST API.
//!
//! ```text
//! cargo run -p sheplang-socketio-examples --bin axum
//! curl -X POST localhost:3000/tasks -H 'content-type: application/json' \
//!      -d '{"id":"t-1","title":"Write docs","done":false,"createdAt":"2026-11-25T09:00:00Z","tags":[]}'
//! ```
//!
//! A client subscribed to `task` (the generated React hooks, or any Socket.IO client) gets
//! `model_created("Task", {...})`. Subscribing to `user` is refused by the authorize hook below,
//! and a page served from another origin than `http://localhost:5173` cannot connect at all.

use axum::Router;
use axum::extract::{Json, Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, post};
use sheplang_socketio::{RealtimeServer, ServeOptions};
use sheplang_socketio_examples::tasks::{self, Task};

type Realtime = RealtimeServer<tasks::Spec>;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let (realtime, layer) = Realtime::builder()
        .allowed_origins(["http://localhost:5173"])
        .authorize(|_socket, channel| async move { channel != tasks::Channel::User })
        .build();

    let app = Router::new()
        .route("/tasks", post(create_task))
        .route("/tasks/{id}", delete(delete_task))
        .with_state(realtime)
        .layer(layer);

    let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
    println!("listening on http://{}", listener.local_addr()?);
    // Header-read and keep-alive timeouts and a connection cap, unlike `axum::serve`.
    sheplang_socketio::serve(listener, app, ServeOptions::default()).await
}

/// Stores the task (not shown) and tells the subscribers of `task`.
async fn create_task(State(realtime): State<Realtime>, Json(task): Json<Task>) -> StatusCode {
    match realtime.emit_created(&task) {
        Ok(()) => StatusCode::CREATED,
        Err(_) => StatusCode::ACCEPTED, // stored; some subscribers were too slow to be told
    }
}

/// Deletes the task (not shown) and tells the subscribers of `task`.
async fn delete_task(State(realtime): State<Realtime>, Path(id): Path<String>) -> StatusCode {
    match realtime.emit_deleted::<Task>(id) {
        Ok(()) => StatusCode::NO_CONTENT,
        Err(_) => StatusCode::ACCEPTED,
    }
}
