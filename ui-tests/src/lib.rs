//! `trybuild` cases for ShepLang: `tests/ui/` holds one compile-fail case a file, named after the
//! failure it shows, with the expected compiler output beside it (`.stderr`); `tests/pass/`
//! holds programs that use every generated item and must build and run.
//!
//! `build.rs` registers `specs/tasks.shep`, which the cases include with
//! `sheplang::include_spec!("tasks")` and check host structs against with
//! `#[derive(sheplang::Model)]`. trybuild builds the cases in a crate of its own, which has no
//! build script; `tests/ui.rs` hands it this crate's `OUT_DIR` (see there).
//!
//! Run them with `cargo test -p ui-tests`; after a deliberate change of a message, review the
//! new output with `TRYBUILD=overwrite cargo test -p ui-tests` and `git diff`.

/// The generated module of `specs/tasks.shep`, as a host crate includes it.
pub mod tasks {
    sheplang::include_spec!("tasks");
}

/// A host's own row of the spec's `Task`, checked against it by the derive. Here rather than
/// only in a case so that the workspace's clippy and `deny(warnings)` builds see the expansion.
#[derive(Debug, Clone, PartialEq, sheplang::Model)]
#[sheplang(spec = "tasks", model = "Task")]
pub struct TaskRow {
    /// The row's id.
    pub id: String,
    /// `title: text required`
    pub title: String,
    /// `assignee: ref[User] optional`
    pub assignee: Option<sheplang::Ref<tasks::User>>,
    /// `estimate: money`
    pub estimate: sheplang::Money,
    /// `dueDate: date optional`
    pub due_date: Option<String>,
    /// `tags: text[]`
    pub tags: Vec<String>,
    /// `priority: number min=1 max=5`
    pub priority: f64,
    /// The lifecycle state, `states: todo -> doing -> done`.
    pub status: tasks::TaskState,
}
