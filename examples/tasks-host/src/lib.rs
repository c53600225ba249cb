//! An example host crate for ShepLang: `specs/tasks.shep` and `specs/billing.shep` are
//! compiled by `build.rs` (with `sheplang-build`) into `$OUT_DIR/sheplang/`, included below,
//! and used by a small in-memory task board that emits the protocol's events.
//!
//! The generated types, as the spec's `data Task` declares them:
//!
//! ```
//! use sheplang::Money;
//! use tasks_host::tasks::{Channel, ModelName, Task, TaskState};
//!
//! let task = Task {
//!     id: "t-1".into(),
//!     title: "Write the docs".into(),
//!     r#type: "chore".into(),
//!     assignee: Some(sheplang::Ref::new("u-1")),
//!     watchers: vec![],
//!     estimate: "2.50".parse::<Money>()?,
//!     due_date: None,
//!     created_at: "2026-11-25T09:00:00Z".into(),
//!     tags: vec!["docs".into()],
//!     priority: 2.0,
//!     status: TaskState::Todo,
//! };
//!
//! // On the wire: the spec's field names, `id` first, optional fields absent when `None`.
//! let json = serde_json::to_value(&task)?;
//! assert_eq!(json["dueDate"], serde_json::Value::Null);
//! assert!(json.get("dueDate").is_none());
//! assert_eq!(json["createdAt"], "2026-11-25T09:00:00Z");
//! assert_eq!(json["estimate"], "2.50");
//!
//! // Channels parse only from the lower-case model name.
//! assert_eq!("task".parse::<Channel>()?, Channel::Task);
//! assert_eq!(
//!     "tasks".parse::<Channel>().unwrap_err().to_string(),
//!     r#"unknown channel "tasks""#
//! );
//! assert_eq!(Channel::Task.model(), ModelName::Task);
//!
//! // The lifecycle `todo -> doing -> done`.
//! assert_eq!(TaskState::initial(), TaskState::Todo);
//! assert!(TaskState::Todo.can_transition_to(TaskState::Doing));
//! assert!(!TaskState::Todo.can_transition_to(TaskState::Done));
//!
//! // The model type decides the room and the arguments of its events.
//! let event = sheplang::created(&task);
//! assert_eq!((event.room(), event.event_name()), ("task", "model_created"));
//! assert_eq!(event.to_values()?[0], "Task");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! What cannot be written. An event is made from a model value and nothing else, so its room
//! cannot be chosen, and a `Task` event is not a `User` event:
//!
//! ```compile_fail,E0308
//! # fn f(task: &tasks_host::tasks::Task) {
//! let event: sheplang::ModelEvent<'_, tasks_host::tasks::User> = sheplang::created(task);
//! # }
//! ```
//!
//! A channel that is not in the spec does not exist:
//!
//! ```compile_fail,E0599
//! let channel = tasks_host::tasks::Channel::Tasks;
//! ```
//!
//! An emitter of one spec does not accept the models of another:
//!
//! ```compile_fail,E0271
//! use sheplang::Emitter;
//! # fn f(invoice: &tasks_host::billing::Invoice) {
//! let emitter = sheplang::testing::Recorder::<tasks_host::tasks::Spec>::new();
//! emitter.created(invoice);
//! # }
//! ```

use std::collections::BTreeMap;
use std::fmt;

use sheplang::Emitter;

/// The generated module of `specs/tasks.shep` (app `TaskManager`).
pub mod tasks {
    sheplang::include_spec!("tasks");
}

/// The generated module of `specs/billing.shep` (app `Billing`).
pub mod billing {
    sheplang::include_spec!("billing");
}

use tasks::{Task, TaskState};

/// An in-memory task board that emits `model_*` events through any [`Emitter`] of the task
/// app (a Socket.IO server, or [`sheplang::testing::Recorder`] in tests).
///
/// The lifecycle state is kept beside each task: the spec's `Task` row has no state field.
#[derive(Debug)]
pub struct TaskBoard<E> {
    tasks: BTreeMap<String, (Task, TaskState)>,
    emitter: E,
}

/// Why a board operation failed.
#[derive(Debug, PartialEq)]
pub enum BoardError<E> {
    /// No task has this id.
    NoSuchTask(String),
    /// A task with this id exists already.
    Duplicate(String),
    /// The spec has no arrow from `from` to `to`.
    Transition {
        /// The current state.
        from: TaskState,
        /// The requested state.
        to: TaskState,
    },
    /// The emitter failed.
    Emit(E),
}

impl<E: fmt::Display> fmt::Display for BoardError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BoardError::NoSuchTask(id) => write!(f, "no task `{id}`"),
            BoardError::Duplicate(id) => write!(f, "a task `{id}` exists already"),
            BoardError::Transition { from, to } => write!(
                f,
                "a task cannot go from `{from}` to `{to}`; from `{from}` it may become {:?}",
                from.next_states()
            ),
            BoardError::Emit(e) => write!(f, "cannot send the event: {e}"),
        }
    }
}

impl<E: fmt::Debug + fmt::Display> std::error::Error for BoardError<E> {}

impl<E: Emitter<Spec = tasks::Spec>> TaskBoard<E> {
    /// An empty board sending through `emitter`.
    pub fn new(emitter: E) -> Self {
        TaskBoard {
            tasks: BTreeMap::new(),
            emitter,
        }
    }

    /// The emitter.
    pub fn emitter(&self) -> &E {
        &self.emitter
    }

    /// Adds a task in the initial state and sends `model_created`.
    ///
    /// # Errors
    /// [`BoardError::Duplicate`] or [`BoardError::Emit`].
    pub fn add(&mut self, task: Task) -> Result<(), BoardError<E::Error>> {
        if self.tasks.contains_key(&task.id) {
            return Err(BoardError::Duplicate(task.id));
        }
        self.emitter.created(&task).map_err(BoardError::Emit)?;
        self.tasks
            .insert(task.id.clone(), (task, TaskState::initial()));
        Ok(())
    }

    /// The task and its state.
    pub fn get(&self, id: &str) -> Option<(&Task, TaskState)> {
        self.tasks.get(id).map(|(t, s)| (t, *s))
    }

    /// Moves a task along its lifecycle and sends `model_updated`.
    ///
    /// # Errors
    /// [`BoardError::NoSuchTask`], [`BoardError::Transition`] or [`BoardError::Emit`].
    pub fn advance(&mut self, id: &str, to: TaskState) -> Result<(), BoardError<E::Error>> {
        let (task, state) = self
            .tasks
            .get_mut(id)
            .ok_or_else(|| BoardError::NoSuchTask(id.to_owned()))?;
        if !state.can_transition_to(to) {
            return Err(BoardError::Transition { from: *state, to });
        }
        self.emitter.updated(&*task).map_err(BoardError::Emit)?;
        *state = to;
        Ok(())
    }

    /// Removes a task and sends `model_deleted` with its id.
    ///
    /// # Errors
    /// [`BoardError::NoSuchTask`] or [`BoardError::Emit`].
    pub fn remove(&mut self, id: &str) -> Result<Task, BoardError<E::Error>> {
        let (task, _) = self
            .tasks
            .remove(id)
            .ok_or_else(|| BoardError::NoSuchTask(id.to_owned()))?;
        self.emitter.deleted(&task).map_err(BoardError::Emit)?;
        Ok(task)
    }
}
