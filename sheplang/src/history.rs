//! The typed row of a model's transition history table.

use serde::{Deserialize, Serialize};

/// One row of a model's transition history, the table `<table>_history` that the database
/// writes on every change of a row's state when the history is on (`sheplang_build`'s
/// `emit_history(true)`, `sheplang gen --history`; docs/language.md, "Transition history").
///
/// `S` is the model's state enum: the generated module names it `<Model>Transition`
/// (`TaskTransition = TransitionRecord<TaskState>`). In JSON, and as the table's columns, the
/// keys are `id`, `rowId`, `from`, `to`, `event` and `at`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TransitionRecord<S> {
    /// The record's number: it counts up in the order of the changes.
    pub id: i64,
    /// The id of the row that changed state, as on the wire.
    pub row_id: String,
    /// The state it left.
    pub from: S,
    /// The state it entered.
    pub to: S,
    /// The workflow event that caused it, when the writer named one.
    #[serde(default)]
    pub event: Option<String>,
    /// When, in UTC, as ISO 8601 with milliseconds (`2026-01-01T09:00:00.000Z`).
    pub at: String,
}
