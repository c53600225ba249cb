//! trybuild cases for ShepLang: `tests/ui/` holds one compile-fail case a file, named after the
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
