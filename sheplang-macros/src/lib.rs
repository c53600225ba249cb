//! Procedural macros for ShepLang. Use them through the `sheplang` crate, which re-exports them:
//! `sheplang::sheplang!` and `#[derive(sheplang::Model)]`.
//!
//! Thin, as pest_derive: they only convert between tokens and `sheplang-core`, which parses,
//! checks and generates. They never panic: every failure is a `compile_error!` at the best span
//! (the offending token of an inline spec; the path literal, with `file:line:col` in the
//! message, for a spec file; the field for a host struct).

mod errors;
mod file;
mod host;
mod inline;
mod registry;

use proc_macro::TokenStream;

/// Compiles a ShepLang spec at the call site into the same items `sheplang-build` generates
/// (`Spec`, `Channel`, `ModelName`, one struct per model, the lifecycle enums, the event types).
///
/// Inline, in brace style; an error lands on the offending token:
///
/// ```
/// mod tasks {
///     sheplang::sheplang! {
///         app Tasks {
///             data Task {
///                 fields: {
///                     title: text required
///                     done: yes/no default=false
///                     tags: text[]
///                 }
///                 states: todo -> doing -> done
///             }
///         }
///     }
/// }
///
/// let task = tasks::Task {
///     id: "t-1".into(),
///     title: "Write the docs".into(),
///     done: false,
///     tags: vec![],
///     status: tasks::TaskState::Todo,
/// };
/// assert_eq!(sheplang::created(&task).room(), "task");
/// assert!(tasks::TaskState::Todo.can_transition_to(tasks::TaskState::Doing));
/// ```
///
/// Or from a file, relative to the crate root (`CARGO_MANIFEST_DIR`); Cargo rebuilds when the
/// file changes, and an error is reported on the path with `file:line:col`:
///
/// ```ignore
/// mod tasks {
///     sheplang::sheplang! { file = "specs/tasks.shep" }
/// }
/// ```
///
/// Put the call in a module of its own: the items have fixed names (`Channel`, `Spec`, ...).
///
/// Inline specs are read back from Rust tokens, which decides a few things: comments are
/// dropped (doc comments too), strings are written with double quotes (Rust does not accept
/// `'two words'`), and a string cannot hold both kinds of quote. The indentation style needs
/// line breaks that a macro cannot rely on: use braces, or a file. Warnings of the spec are not
/// shown (a stable proc macro cannot emit warnings); `sheplang check` shows them.
#[proc_macro]
pub fn sheplang(input: TokenStream) -> TokenStream {
    let input = proc_macro2::TokenStream::from(input);
    if file::is_file_form(&input) {
        file::expand(input).into()
    } else {
        inline::expand(input).into()
    }
}

/// Checks a host's own struct against a model of a spec at compile time, and makes it a row of
/// that model: it can be emitted on the model's channel and converted into the generated row.
///
/// (Not compiled here, for want of a build script: `ui-tests/tests/pass/host_struct.rs` is this
/// example in full, and `ui-tests/tests/ui/host_struct_*` show each error.)
///
/// ```ignore
/// // build.rs: sheplang_build::compile_or_exit("specs/tasks.shep");
/// mod tasks {
///     sheplang::include_spec!("tasks");
/// }
///
/// #[derive(Debug, sheplang::Model)]
/// #[sheplang(spec = "tasks", model = "Task")]
/// struct TaskRow {
///     id: String,
///     title: String,
///     done: bool,
/// }
///
/// let row = TaskRow { id: "t-1".into(), title: "Write docs".into(), done: false };
/// assert_eq!(sheplang::created(&row).room(), "task");
/// let task: tasks::Task = row.into();
/// ```
///
/// The struct must have exactly the fields of the generated row (`id` first, then the spec's
/// fields by their Rust names), each of the generated type. Every mismatch is a compile error on
/// the struct's own code: a missing field on the struct's name (with the field to add), an
/// unknown field on that field (with a "did you mean"), a wrong type on the field's type (an
/// ordinary `mismatched types` error: expected the spec's type, found the struct's).
///
/// Keys of `#[sheplang(...)]`:
/// - `spec = "tasks"`: a spec registered by the crate's `build.rs` with `sheplang-build`, by its
///   file stem. The derive reads the IR the build script wrote to
///   `$OUT_DIR/sheplang/tasks.ir.json`; without it, the error says what to add to `build.rs`.
/// - or `file = "specs/tasks.shep"`: reads and checks the spec itself, relative to the crate
///   root, without a build script (for a module made by `sheplang! { file = ... }`). An inline
///   `sheplang! { app ... }` spec cannot be named: its text exists only in that macro call.
/// - `model = "Task"`: the model, as the spec spells it.
/// - `module = crate::path`: where the generated module is; by default `crate::<stem>`
///   (`crate::tasks`), the module `sheplang::include_spec!("tasks")` goes in by convention.
///
/// It implements:
/// - `From<TaskRow> for tasks::Task`, the type check;
/// - `sheplang::Model`, with the generated row's spec, name and channel, so
///   `sheplang::created(&row)` goes to the room `"task"` and an `Emitter` of the spec accepts it;
/// - `serde::Serialize` as the wire row (the spec's field names, `id` first, an `optional` field
///   absent when `None`), exactly as the generated row serialises. Do not derive `Serialize`
///   as well.
#[proc_macro_derive(Model, attributes(sheplang))]
pub fn derive_model(input: TokenStream) -> TokenStream {
    host::expand(input.into()).into()
}
