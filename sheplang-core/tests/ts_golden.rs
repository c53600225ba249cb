//! Golden snapshots of the generated TypeScript, one per accepted spec: the project
//! corpus's (`corpus/accept/`, snapshots `corpus-<stem>`) and, when it is there, the shared
//! corpus's (`../shared/conformance/accept/`, snapshots `<stem>`).
//!
//! A spec's snapshot holds what is generated for it (`types.ts`, the Prisma extension's
//! records, the hooks). The runtime files beside them (the server, the Prisma extension, the
//! React context) are the same for every spec: they are the sources under
//! `sheplang-core/runtime/`, checked by the unit tests and by `ts/`, and are not snapshotted.
//! Review a change with `cargo insta review`. `ts/` (npm) type-checks the same output with
//! `tsc` and runs it.

mod common;

use sheplang_core::codegen::{Artifact, typescript};
use sheplang_core::{compile_str, render_all};

/// Every accepted spec, as (snapshot name, text).
fn specs() -> Vec<(String, String)> {
    common::specs("accept")
        .into_iter()
        .map(|s| (s.snapshot(), s.text))
        .collect()
}

/// The generated TypeScript of one spec.
fn generate(stem: &str, text: &str) -> Vec<Artifact> {
    let (sources, result) = compile_str(&format!("{stem}.shep"), text);
    match result {
        Ok(compiled) => typescript::generate(&compiled.spec),
        Err(diagnostics) => panic!(
            "an accepted spec failed to compile:\n{}",
            render_all(&diagnostics, &sources)
        ),
    }
}

/// One snapshot text of several files, each under a `// ==== path ====` line.
fn bundle<'a>(artifacts: impl IntoIterator<Item = &'a Artifact>) -> String {
    let mut out = String::new();
    for artifact in artifacts {
        out.push_str(&format!("// ==== {} ====\n", artifact.path));
        out.push_str(&artifact.contents);
        out.push('\n');
    }
    out
}

fn snapshot(name: &str, text: &str) -> bool {
    std::panic::catch_unwind(|| {
        let mut settings = insta::Settings::clone_current();
        settings.set_omit_expression(true);
        settings.bind(|| insta::assert_snapshot!(name.to_owned(), text));
    })
    .is_ok()
}

#[test]
fn typescript_goldens() {
    let mut failed = Vec::new();
    for (stem, text) in specs() {
        let artifacts = generate(&stem, &text);
        let specific = artifacts
            .iter()
            .filter(|a| typescript::runtime_paths().all(|path| a.path != path));
        if !snapshot(&stem, &bundle(specific)) {
            failed.push(stem.clone());
        }
    }
    assert!(
        failed.is_empty(),
        "generated TypeScript differs from its snapshot for: {}\n(review with `cargo insta review`)",
        failed.join(", ")
    );
}

#[test]
fn no_orphan_snapshots() {
    let names: Vec<String> = specs().into_iter().map(|(stem, _)| stem).collect();
    common::assert_no_orphan_snapshots("ts_golden", &names);
}

#[test]
fn generation_is_deterministic() {
    for (stem, text) in specs() {
        assert_eq!(generate(&stem, &text), generate(&stem, &text), "{stem}");
    }
}
