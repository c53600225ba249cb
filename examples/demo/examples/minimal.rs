//! The README's "Your own host crate, step by step", steps 4 and 5, in the demo crate (the
//! guide itself is replayed outside the workspace by `scripts/test-guide.sh`):
//! the generated module, the realtime server's layer on an axum router, and a handler that
//! emits through the typed path. `cargo run -p sheplang-demo --example minimal`, then
//! `curl -X POST localhost:3000/api/tasks -H 'content-type: application/json' -d '{"title":"x"}'`.

use axum::{Json, Router, extract::State, routing::post};
use sheplang_socketio::{RealtimeServer, ServeOptions};

pub mod tasks {
    sheplang::include_spec!("tasks");
}
use tasks::Task;

type Realtime = RealtimeServer<tasks::Spec>;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    // Same-origin pages only; a dev server elsewhere: .allowed_origins(["http://localhost:5173"])
    let (realtime, layer) = Realtime::builder().build();
    let app = Router::new()
        .route("/api/tasks", post(create))
        .with_state(realtime)
        .layer(layer);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
    // Header-read and keep-alive timeouts and a connection cap (`axum::serve` has none).
    sheplang_socketio::serve(listener, app, ServeOptions::default()).await
}

#[derive(serde::Deserialize)]
struct NewTask {
    title: String,
}

async fn create(State(realtime): State<Realtime>, Json(new): Json<NewTask>) -> Json<Task> {
    let task = Task {
        id: "1".into(), // from your store
        title: new.title,
        done: false,
        created_at: "2026-11-25T09:00:00Z".into(),
        status: tasks::TaskState::initial(),
    };
    // model_created("Task", task) to the room "task". An error means some subscribers were
    // too slow to be told; the write itself stands.
    let _ = realtime.emit_event(sheplang::created(&task));
    Json(task)
}
