//! Runs the trybuild cases: `tests/ui/*.rs` must fail to compile with exactly the `.stderr`
//! beside them, `tests/pass/*.rs` must build and run.
//!
//! How the cases find the spec registered by `build.rs`: trybuild builds every case as a
//! binary of a crate of its own, under `target/tests/trybuild/ui-tests/`, which has no build
//! script, so Cargo sets no `OUT_DIR` for it. Cargo does pass on an `OUT_DIR` that is already in
//! its environment, and trybuild runs Cargo with this process's environment. So this test runs
//! itself again as a child process with `OUT_DIR` set to this crate's own (where `build.rs`
//! wrote `sheplang/tasks.rs` and `sheplang/tasks.ir.json`), and the child runs trybuild. In the
//! cases, `sheplang::include_spec!` and `#[derive(sheplang::Model)]` then read exactly what they
//! read in a host crate with a build script: `$OUT_DIR/sheplang/`. (Setting the variable in
//! this process would need `unsafe` `std::env::set_var`.)
//!
//! `sheplang! { file = "..." }` resolves paths against the crate root of the crate being
//! compiled, which for a case is trybuild's crate; the specs are copied there first.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Set in the child process.
const CHILD: &str = "SHEPLANG_UI_TESTS_CHILD";

#[test]
fn ui() {
    if std::env::var_os(CHILD).is_none() {
        let exe = std::env::current_exe().expect("the test binary's path");
        // `cargo test -p ui-tests -- ui trybuild=host_struct_wrong_type.rs` runs one case.
        let filters = std::env::args().filter(|a| a.starts_with("trybuild="));
        let status = Command::new(exe)
            .args(["ui", "--exact", "--nocapture", "--test-threads=1"])
            .args(filters)
            .env(CHILD, "1")
            .env("OUT_DIR", env!("OUT_DIR"))
            .status()
            .expect("the test binary runs");
        assert!(status.success(), "the trybuild cases failed (see above)");
        return;
    }
    copy_specs_for_trybuild();
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
    cases.pass("tests/pass/*.rs");
}

/// Copies `specs/` into the crate trybuild builds the cases in, so that a case's
/// `file = "specs/..."` resolves as it would in this crate.
fn copy_specs_for_trybuild() {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    // `CARGO_TARGET_TMPDIR` is `<target>/tmp`; trybuild's crate is `<target>/tests/trybuild/<name>`.
    let target: PathBuf = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("the target folder")
        .to_path_buf();
    let specs = target
        .join("tests/trybuild")
        .join(env!("CARGO_PKG_NAME"))
        .join("specs");
    std::fs::create_dir_all(&specs).expect("create trybuild's specs folder");
    for entry in std::fs::read_dir(here.join("specs")).expect("the specs folder") {
        let path = entry.expect("a directory entry").path();
        if let Some(name) = path.file_name() {
            std::fs::copy(&path, specs.join(name)).expect("copy a spec");
        }
    }
}
