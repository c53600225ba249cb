//! Golden snapshots of the generated Rust, one per accepted spec: the project
//! corpus's (`corpus/accept/`, snapshots `corpus-<stem>`) and, when it is there, the shared
//! corpus's (`../shared/conformance/accept/`, snapshots `<stem>`).
//!
//! Review a change with `cargo insta review`. The snapshots are also compiled, with
//! `#![deny(warnings)]` and clippy, by `sheplang/tests/goldens.rs`, which first checks that each
//! one still equals the generator's output, so a stale or broken golden cannot pass.

mod common;

use sheplang_core::{codegen, compile_str, render_all};

/// Every accepted spec, as (snapshot name, text).
fn specs() -> Vec<(String, String)> {
    common::specs("accept")
        .into_iter()
        .map(|s| (s.snapshot(), s.text))
        .collect()
}

/// The generated Rust of one spec.
fn generate(stem: &str, text: &str) -> String {
    let (sources, result) = compile_str(&format!("{stem}.shep"), text);
    match result {
        Ok(compiled) => codegen::rust::generate(&compiled.spec),
        Err(diagnostics) => panic!(
            "an accepted spec failed to compile:\n{}",
            render_all(&diagnostics, &sources)
        ),
    }
}

#[test]
fn rust_goldens() {
    let mut failed = Vec::new();
    for (stem, text) in specs() {
        let code = generate(&stem, &text);
        let outcome = std::panic::catch_unwind(|| {
            let mut settings = insta::Settings::clone_current();
            settings.set_omit_expression(true);
            settings.bind(|| insta::assert_snapshot!(stem.clone(), code));
        });
        if outcome.is_err() {
            failed.push(stem);
        }
    }
    assert!(
        failed.is_empty(),
        "generated Rust differs from its snapshot for: {}\n(review with `cargo insta review`)",
        failed.join(", ")
    );
}

#[test]
fn no_orphan_snapshots() {
    let stems: Vec<String> = specs().into_iter().map(|(stem, _)| stem).collect();
    common::assert_no_orphan_snapshots("rust_golden", &stems);
}

#[test]
fn generation_is_deterministic() {
    for (stem, text) in specs() {
        assert_eq!(generate(&stem, &text), generate(&stem, &text), "{stem}");
    }
}
