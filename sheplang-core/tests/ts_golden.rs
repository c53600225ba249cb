//! Golden snapshots of the generated TypeScript, one per spec of `shared/conformance/accept/`.
//!
//! A spec's snapshot holds its spec-specific files (`types.ts`, the Prisma extension, the
//! hooks). The server and the React context are the same for every spec but for the app's
//! name: that is checked here, and they are snapshotted once (`fixed_server`,
//! `fixed_context`). Review a change with `cargo insta review`. `ts/` (npm) type-checks the
//! same output with `tsc` and runs it.

mod common;

use sheplang_core::codegen::{Artifact, typescript};
use sheplang_core::{compile_str, render_all};

/// Every accepted spec, sorted by file name, as (file stem, text).
fn specs() -> Vec<(String, String)> {
    common::specs("accept")
        .into_iter()
        .map(|s| (s.stem, s.text))
        .collect()
}

/// The app's name and the generated TypeScript of one spec.
fn generate(stem: &str, text: &str) -> (String, Vec<Artifact>) {
    let (sources, result) = compile_str(&format!("{stem}.shep"), text);
    match result {
        Ok(compiled) => (
            compiled.spec.app.clone(),
            typescript::generate(&compiled.spec),
        ),
        Err(diagnostics) => panic!(
            "an accepted spec failed to compile:\n{}",
            render_all(&diagnostics, &sources)
        ),
    }
}

/// The files that do not depend on the spec beyond the app's name.
const FIXED: &[(&str, &str)] = &[
    ("api/realtime/server.ts", "fixed_server"),
    ("contexts/RealtimeContext.tsx", "fixed_context"),
];

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

/// `text` with the app's name replaced, so that fixed files of different specs compare equal.
fn without_app(text: &str, app: &str) -> String {
    text.replace(&format!("`{app}`"), "`App`")
}

#[test]
fn typescript_goldens() {
    let mut failed = Vec::new();
    let mut fixed: Vec<Option<(String, String)>> = vec![None; FIXED.len()];
    for (stem, text) in specs() {
        let (app, artifacts) = generate(&stem, &text);
        let specific = artifacts
            .iter()
            .filter(|a| FIXED.iter().all(|(path, _)| a.path != *path));
        if !snapshot(&stem, &bundle(specific)) {
            failed.push(stem.clone());
        }
        for (i, (path, _)) in FIXED.iter().enumerate() {
            let artifact = artifacts
                .iter()
                .find(|a| a.path == *path)
                .unwrap_or_else(|| panic!("{stem}: no `{path}`"));
            let normalized = without_app(&artifact.contents, &app);
            match &fixed[i] {
                None => fixed[i] = Some((stem.clone(), normalized)),
                Some((first, expected)) => assert!(
                    *expected == normalized,
                    "`{path}` of {stem} differs from that of {first} beyond the app's name"
                ),
            }
        }
    }
    for ((_, name), seen) in FIXED.iter().zip(fixed) {
        let (_, text) = seen.expect("at least one spec");
        if !snapshot(name, &text) {
            failed.push((*name).to_owned());
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
    let mut names: Vec<String> = specs().into_iter().map(|(stem, _)| stem).collect();
    names.extend(FIXED.iter().map(|(_, name)| (*name).to_owned()));
    common::assert_no_orphan_snapshots("ts_golden", &names);
}

#[test]
fn generation_is_deterministic() {
    for (stem, text) in specs() {
        assert_eq!(generate(&stem, &text), generate(&stem, &text), "{stem}");
    }
}
