//! The Rust golden snapshots (`sheplang-core/tests/snapshots/rust_golden__*.snap`) compile in a
//! host crate with `#![deny(warnings)]` and pass clippy with `-D warnings`.
//!
//! A stale golden cannot pass: each snapshot must first equal what the generator makes of its
//! spec today, every accepted spec (of the project corpus, and of the shared one when it is
//! there) must have a snapshot, and then exactly the snapshots' text is
//! compiled, each `include!`d in a module of its own (typify's approach) in a scratch crate that
//! depends on this facade only, built by a `cargo clippy` subprocess.

#[path = "../../sheplang-core/tests/common/mod.rs"]
mod common;
mod host;

use std::fs;
use std::path::PathBuf;

use host::workspace;

use sheplang_core::{codegen, compile_str, render_all};

fn snapshot_dir() -> PathBuf {
    workspace().join("sheplang-core/tests/snapshots")
}

/// The text of an insta snapshot without its front matter.
fn snapshot_body(snap: &str) -> Option<&str> {
    let rest = snap.strip_prefix("---\n")?;
    let end = rest.find("\n---\n")?;
    Some(&rest[end + "\n---\n".len()..])
}

/// Every accepted spec's snapshot name (the project corpus's and, when it is there, the
/// shared corpus's), with the golden text checked against the generator.
fn fresh_goldens() -> Vec<(String, String)> {
    let mut stale = Vec::new();
    let mut goldens = Vec::new();
    for spec in common::specs("accept") {
        let name = spec.snapshot();
        let (sources, result) = compile_str(&spec.name, &spec.text);
        let compiled = result
            .unwrap_or_else(|d| panic!("`{name}` does not compile:\n{}", render_all(&d, &sources)));
        let generated = codegen::rust::generate(&compiled.spec);
        let snap_path = snapshot_dir().join(format!("rust_golden__{name}.snap"));
        let Ok(snap) = fs::read_to_string(&snap_path) else {
            stale.push(format!(
                "{name}: no snapshot (run the `rust_golden` test of sheplang-core)"
            ));
            continue;
        };
        let body = snapshot_body(&snap)
            .unwrap_or_else(|| panic!("{} is not an insta snapshot", snap_path.display()));
        if body.trim_end() != generated.trim_end() {
            stale.push(format!(
                "{name}: the snapshot differs from the generator's output"
            ));
            continue;
        }
        goldens.push((name, body.to_owned()));
    }
    assert!(
        stale.is_empty(),
        "stale Rust goldens (review with `cargo insta test -p sheplang-core --review`):\n{}",
        stale.join("\n")
    );
    goldens
}

/// The specs of `tests/specs/`, generated now.
fn extra_specs() -> Vec<(String, String)> {
    let dir = workspace().join("sheplang/tests/specs");
    let mut out = Vec::new();
    for entry in fs::read_dir(&dir).expect("tests/specs") {
        let path = entry.expect("a directory entry").path();
        let stem = path
            .file_stem()
            .expect("a stem")
            .to_string_lossy()
            .into_owned();
        let text = fs::read_to_string(&path).expect("a readable spec");
        let (sources, result) = compile_str(&format!("{stem}.shep"), &text);
        let compiled = result
            .unwrap_or_else(|d| panic!("`{stem}` does not compile:\n{}", render_all(&d, &sources)));
        out.push((stem, codegen::rust::generate(&compiled.spec)));
    }
    out.sort();
    out
}

#[test]
fn goldens_compile_without_warnings_and_pass_clippy() {
    let goldens = fresh_goldens();
    let krate = host::scratch_crate("sheplang-goldens");
    let src = krate.join("src");
    let mut lib = String::from(
        "//! Every Rust golden, each in a module of its own.\n\
         #![deny(warnings, missing_docs, missing_debug_implementations, unreachable_pub)]\n",
    );
    // Beside the goldens, specs whose names stress the generator (keywords, prelude types,
    // the generated items' own names), generated fresh.
    let mut modules = goldens;
    modules.extend(extra_specs());
    for (stem, body) in &modules {
        let file = format!("{stem}.rs");
        host::write(&src.join("goldens").join(&file), body);
        let module = stem.replace('-', "_");
        lib.push_str(&format!(
            "/// Generated from `{stem}.shep`.\npub mod {module} {{\n    include!(\"goldens/{file}\");\n}}\n"
        ));
    }
    host::write(&src.join("lib.rs"), &lib);
    host::write(
        &krate.join("Cargo.toml"),
        &host::manifest("sheplang-goldens", &[], &[]),
    );
    let out = host::cargo(&krate, &["clippy", "--all-targets", "--", "-D", "warnings"]);
    assert!(
        out.status.success(),
        "the goldens do not compile cleanly:\n{}",
        out.stderr
    );
}
