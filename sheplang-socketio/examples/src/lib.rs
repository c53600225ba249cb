//! A host crate for `sheplang-socketio`: three specs compiled by `build.rs`, the generated
//! modules, and the test/bench support shared by the binaries and the tests.
//!
//! - [`tasks`]: the spec of the axum example (`src/bin/axum.rs`);
//! - [`alltypes`]: every field type of the language, for the cross-language row test;
//! - [`bench`]: the fan-out benchmark's one model.
//!
//! [`control`] is the HTTP control endpoint of `serve-spec`: **test and benchmark support
//! only**, never mount it in a real server (anyone who can reach it can make the server emit).

pub mod control;
pub mod rows;

/// `specs/tasks.shep`: the axum example's spec.
pub mod tasks {
    sheplang::include_spec!("tasks");
}

/// `specs/alltypes.shep`: every field type, optional fields and lists.
pub mod alltypes {
    sheplang::include_spec!("alltypes");
}

/// `specs/bench.shep`: the fan-out benchmark's spec.
pub mod bench {
    sheplang::include_spec!("bench");
}

/// The folder with the generated artifacts of every example spec (`<stem>.rs`,
/// `<stem>.ir.json`, `<stem>/ts/...`), for tests that compare the Rust and TypeScript halves.
pub const GENERATED_DIR: &str = concat!(env!("OUT_DIR"), "/sheplang");
