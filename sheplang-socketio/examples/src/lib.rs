//! A host crate for `sheplang-socketio`: three specs compiled by `build.rs`, the generated
//! modules, and the test/bench support shared by the binaries and the tests.
//!
//! - [`tasks`]: `ts/specs/tasks.shep`, the spec of the shared protocol cases
//!   (`ts/test/protocol-cases.ts`) and of the axum example (`src/bin/axum.rs`);
//! - [`edge`]: `ts/specs/edge.shep`, reserved words as field names and a declared id;
//! - [`alltypes`]: every field type of the language, optional and in lists;
//! - [`bench`](mod@bench): the fan-out benchmark's one model.
//!
//! The specs under `ts/specs/` are shared with the TypeScript tests on purpose: the Node and
//! the Rust server are built from the same file, so they cannot drift apart.
//!
//! [`control`] is the HTTP control endpoint of `serve-spec`: **test and benchmark support
//! only**, never mount it in a real server (anyone who can reach it can make the server emit).

pub mod control;
pub mod rows;

/// `ts/specs/tasks.shep`: the protocol cases' spec, also the axum example's.
pub mod tasks {
    sheplang::include_spec!("tasks");
}

/// `ts/specs/edge.shep`: awkward but valid names and every field type.
pub mod edge {
    sheplang::include_spec!("edge");
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
/// `<stem>.ir.json`, `<stem>/ts/...`, `<stem>/ts-server/...`), for tests that compare the Rust
/// and TypeScript halves.
pub const GENERATED_DIR: &str = concat!(env!("OUT_DIR"), "/sheplang");
