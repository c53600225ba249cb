//! ShepLang for Rust hosts: compile-time-checked real-time apps from one `.shep` spec.
//!
//! A spec describes a product's data models. At build time `sheplang-build` compiles it into
//! Rust types (one struct per model, a `Channel` enum, the Socket.IO event types) and the
//! TypeScript client and server, so that a host whose code no longer matches the spec fails
//! `cargo build`. This crate is what the generated code uses at run time: the traits it
//! implements ([`Spec`], [`Channel`], [`Model`]), the wire types ([`Money`], [`Ref`]), the typed
//! emit path ([`ModelEvent`], [`Emitter`]) and the errors.
//!
//! # Walkthrough
//!
//! **1. A spec**, `specs/tasks.shep` in the host crate:
//!
//! ```text
//! app TaskManager {
//!   data User {
//!     fields: {
//!       name: text required
//!     }
//!   }
//!   data Task {
//!     fields: {
//!       title: text required
//!       assignee: ref[User] optional
//!       estimate: money
//!     }
//!     states: todo -> doing -> done
//!   }
//! }
//! ```
//!
//! **2. `Cargo.toml`**: `sheplang` as a dependency and `sheplang-build` as a build dependency.
//! Nothing else: generated code reaches serde through this crate.
//!
//! (Nothing is on crates.io: these are path dependencies into a clone of the repository beside
//! the crate; `git = "<the repository's URL>"` in place of `path` works too.)
//!
//! ```toml
//! [dependencies]
//! sheplang = { path = "../sheplang/sheplang" }
//!
//! [build-dependencies]
//! sheplang-build = { path = "../sheplang/sheplang-build" }
//! ```
//!
//! **3. `build.rs`** compiles the spec into `$OUT_DIR/sheplang/tasks.rs` (and the TypeScript
//! under `$OUT_DIR/sheplang/tasks/ts/`). A spec error stops the build with rustc-style
//! diagnostics, and Cargo reruns the script only when the spec changes:
//!
//! ```ignore
//! fn main() {
//!     sheplang_build::compile_or_exit("specs/tasks.shep");
//! }
//! ```
//!
//! **4. Include** the generated module with [`include_spec!`], named after the spec's file stem:
//!
//! ```ignore
//! pub mod tasks {
//!     sheplang::include_spec!("tasks");
//! }
//! ```
//!
//! **5. Use** it. Field names are snake_case in Rust and exactly the spec's names on the wire;
//! the model type decides the room of its events:
//!
//! ```ignore
//! use sheplang::Emitter;
//! use tasks::{Channel, Task, TaskState};
//!
//! let task = Task {
//!     id: "t-1".into(),
//!     title: "Write docs".into(),
//!     assignee: None,
//!     estimate: "2.50".parse()?,
//! };
//! assert_eq!("task".parse::<Channel>()?, Channel::Task);
//! assert!("tasks".parse::<Channel>().is_err());
//! assert!(TaskState::Todo.can_transition_to(TaskState::Doing));
//!
//! let event = sheplang::created(&task);
//! assert_eq!(event.room(), "task");
//! assert_eq!(event.to_values()?[0], "Task");
//! ```
//!
//! The example crate `examples/tasks-host` in the repository is this walkthrough as a building,
//! tested crate; its documentation tests run against the real generated code.
//!
//! **6. Serve it.** The crate `sheplang-socketio` is the realtime server for these types, on
//! socketioxide, wire-compatible with the generated TypeScript client and React hooks. In an
//! axum app it is a layer and a handle; a handler stores a row, then emits it, and the row's
//! type picks the room:
//!
//! ```ignore
//! use axum::{Json, Router, extract::State, routing::post};
//! use sheplang_socketio::RealtimeServer;
//!
//! type Realtime = RealtimeServer<tasks::Spec>;
//!
//! #[tokio::main]
//! async fn main() -> std::io::Result<()> {
//!     let (realtime, layer) = Realtime::builder().build(); // same-origin pages only
//!     let app = Router::new().route("/tasks", post(create)).with_state(realtime).layer(layer);
//!     axum::serve(tokio::net::TcpListener::bind("127.0.0.1:3000").await?, app).await
//! }
//!
//! async fn create(State(realtime): State<Realtime>, Json(task): Json<tasks::Task>) -> Json<tasks::Task> {
//!     // ... store it, then: model_created("Task", task) to the room "task"
//!     let _ = realtime.emit_created(&task);
//!     Json(task)
//! }
//! ```
//!
//! `sheplang-socketio`'s documentation has the options (allowed origins, an authorize hook,
//! payload limits), and `examples/demo` in the repository is a whole app built this way.
//!
//! # Without a build script: `sheplang!`
//!
//! A spec can also be written where it is used. [`sheplang!`] generates the same items, and a
//! spec error lands on the offending token of the macro call:
//!
//! ```
//! mod board {
//!     sheplang::sheplang! {
//!         app Board {
//!             data Card {
//!                 fields: {
//!                     title: text required
//!                     done: yes/no
//!                 }
//!                 states: todo -> doing -> done
//!             }
//!         }
//!     }
//! }
//!
//! use board::CardState;
//!
//! let mut card = board::Card {
//!     id: "c-1".into(),
//!     title: "Ship it".into(),
//!     done: false,
//!     status: CardState::Todo,
//! };
//! let event = sheplang::created(&card);
//! assert_eq!(event.room(), "card");
//! assert_eq!("card".parse::<board::Channel>().unwrap(), board::Channel::Card);
//! // The state is the row's `status`; a change must follow an arrow of `states:`.
//! let refused = card.transition(CardState::Done).unwrap_err();
//! assert_eq!(
//!     refused.to_string(),
//!     "`Card` may not go from `todo` to `done`: from `todo` it may only become `doing`"
//! );
//! card.transition(CardState::Doing).unwrap();
//! assert_eq!(card.status, CardState::Doing);
//! ```
//!
//! `sheplang! { file = "specs/app.shep" }` reads a spec relative to the crate root instead,
//! and `#[derive(sheplang::Model)]` checks a host's own struct against a registered model
//! (see [`Model`](macro@Model)).
//!
//! # What a spec generates
//!
//! For `include_spec!("app")` inside `mod app`:
//!
//! | item | what it is |
//! |---|---|
//! | `app::Task` (one per model) | the row: `id: String` first, then the spec's fields; implements [`Model`]; `Task::validate()` checks the spec's constraints ([`validate`]) |
//! | `app::TaskState` (one per `states:`) | the lifecycle: `ALL`, `initial()`, `can_transition_to`, `next_states`; not a field of the row (a row carries exactly the spec's fields; declare one to store the state) |
//! | `app::Channel` | one variant per model; parses from and prints as the lower-case string; implements [`Channel`] |
//! | `app::ModelName` | one variant per model, in the spec's case |
//! | `app::ServerToClient` | `TaskCreated`, `TaskUpdated`, `TaskDeleted`, ..., `Notification`, `Connected` |
//! | `app::ClientToServer` | [`ClientEvent<Channel>`]: `Subscribe`, `Unsubscribe`, `Ping` |
//! | `app::Spec` | a unit struct implementing [`Spec`] (`APP`, `FINGERPRINT`, `Channel`) |
//!
//! Type mapping (the wire contract): `text`, `richtext`, `image`, `file`, `email`, `id`, `date`
//! and `datetime` are `String`; `number` is `f64`; `yes/no` is `bool`; `money` is [`Money`];
//! `ref[X]` is [`Ref<X>`]; a bare model `X` is `Box<X>`; `T[]` is `Vec<T>`; an `optional` field
//! is `Option<T>`, absent from the JSON when `None`.
//!
//! For tests, [`testing::Recorder`] is an [`Emitter`] that keeps what it would have sent.
//!
//! A model that collides with a generated name (a model called `Channel`, `Spec`, ...) keeps
//! its name; the generated item is renamed instead (`<App>Channel`), and its documentation says
//! so.

mod error;
mod event;
mod filter;
mod history;
mod money;
mod reference;
mod row_de;
mod spec;
pub mod testing;
pub mod typed;
pub mod validate;

pub use error::{EventError, TransitionRefused, UnknownChannel, UnknownName};
pub use event::{
    ClientEvent, ConnectedInfo, Emitter, MAX_CHANNEL_LEN, ModelEvent, ModelEventArgs,
    ModelEventKind, SubscribeResult, channel_arg, created, deleted, updated,
};
pub use filter::{Filter, FilterError, FilterField, FilterKey, FilterKind, MAX_FILTER_FIELDS};
pub use history::TransitionRecord;
pub use money::{Money, ParseMoneyError};
pub use reference::Ref;
pub use spec::{Channel, DynSpec, Model, ModelFilter, Spec};
pub use validate::{Rule, Violation, Violations};

// The procedural macros (`sheplang!` for inline specs, the host-struct derive) live in
// `sheplang-macros`; re-exported here so users depend on this crate only. The derive `Model`
// and the trait `Model` live in different namespaces, as with serde.
#[doc(inline)]
pub use sheplang_macros::{Model, sheplang};

/// Includes the Rust module that `sheplang-build` generated for a spec, by the spec's file stem.
///
/// `include_spec!("app")` expands to `include!(concat!(env!("OUT_DIR"), "/sheplang/app.rs"))`;
/// use it inside a module of its own:
///
/// ```ignore
/// pub mod app {
///     sheplang::include_spec!("app");
/// }
/// ```
#[macro_export]
macro_rules! include_spec {
    ($name:literal) => {
        include!(concat!(env!("OUT_DIR"), "/sheplang/", $name, ".rs"));
    };
}

/// The `rust_decimal` crate (feature `decimal`), for [`typed`] values.
#[cfg(feature = "decimal")]
pub use rust_decimal;
/// The `time` crate (feature `time`), for [`typed`] values.
#[cfg(feature = "time")]
pub use time;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;
