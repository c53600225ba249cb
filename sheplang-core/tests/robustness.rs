//! The whole pipeline never panics and every diagnostic points inside its input.
//!
//! Feeds every prefix of every corpus spec (the project's and, when it is there, the shared
//! conformance corpus's), and a few thousand deterministic mutations of
//! them (characters replaced, inserted and deleted; lines dropped, swapped and duplicated),
//! through [`sheplang_core::compile`] and checks each diagnostic's spans and rendering.

mod common;
#[path = "common/mutate.rs"]
mod mutate;

use std::fs;
use std::path::Path;

use sheplang_core::{Diagnostic, SourceMap, compile};

/// Every corpus spec, accept and reject, as (path, text).
fn corpus() -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = ["accept", "reject"]
        .into_iter()
        .flat_map(common::specs)
        .map(|s| (s.path.display().to_string(), s.text))
        .collect();
    out.sort();
    out
}

fn check_span(text: &str, start: u32, end: u32, what: &str, d: &Diagnostic) {
    let (start, end) = (start as usize, end as usize);
    assert!(
        start <= end && end <= text.len(),
        "{what} {start}..{end} outside the input ({} bytes): {d:?}\n--- input ---\n{text}",
        text.len()
    );
    assert!(
        text.is_char_boundary(start) && text.is_char_boundary(end),
        "{what} {start}..{end} not on char boundaries: {d:?}\n--- input ---\n{text}"
    );
}

/// Compiles `text` and checks every diagnostic. Returns the number of diagnostics.
fn run(text: &str) -> usize {
    let mut sources = SourceMap::new();
    let file = sources.add("fuzz.shep", text);
    let diags = match compile(&sources, file) {
        Ok(out) => out.warnings,
        Err(diags) => {
            assert!(
                diags.iter().any(Diagnostic::is_error),
                "compile failed without an error: {diags:?}\n--- input ---\n{text}"
            );
            diags
        }
    };
    for d in &diags {
        check_span(text, d.span.start, d.span.end, "span", d);
        for label in &d.secondary {
            check_span(text, label.span.start, label.span.end, "label", d);
        }
        let rendered = d.render(&sources);
        assert!(rendered.contains(d.code.0));
    }
    diags.len()
}

#[test]
fn every_prefix() {
    for (name, text) in corpus() {
        let mut cuts: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
        cuts.push(text.len());
        for cut in cuts {
            let prefix = &text[..cut];
            let result = std::panic::catch_unwind(|| run(prefix));
            assert!(result.is_ok(), "{name}: panic on the prefix of {cut} bytes");
        }
    }
}

#[test]
fn mutations() {
    let corpus = corpus();
    let mut rng = mutate::Rng(0x5eed_1234_abcd_ef01);
    let per_spec = 10_000 / corpus.len() + 1;
    let mut diagnostics = 0;
    for (name, text) in &corpus {
        for case in 0..per_spec {
            let mutated = mutate::mutate(&mut rng, text);
            let result = std::panic::catch_unwind(|| run(&mutated));
            match result {
                Ok(n) => diagnostics += n,
                Err(_) => panic!("{name}: panic on mutation {case}:\n{mutated}"),
            }
        }
    }
    assert!(diagnostics > 0);
}

/// Inputs that once broke an invariant (found by `cargo fuzz`), read as lossy UTF-8 like the
/// fuzz target does.
#[test]
fn regressions() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/regressions");
    let mut count = 0;
    for entry in fs::read_dir(&dir).expect("the regressions folder") {
        let path = entry.expect("a directory entry").path();
        let bytes = fs::read(&path).expect("a readable file");
        let text = String::from_utf8_lossy(&bytes);
        let result = std::panic::catch_unwind(|| run(&text));
        assert!(result.is_ok(), "panic on {}", path.display());
        count += 1;
    }
    assert!(count > 0);
}

#[test]
fn pathological_inputs() {
    let cases = [
        String::new(),
        "app".to_owned(),
        "app A".to_owned(),
        "app A {".to_owned(),
        "}".repeat(10_000),
        "{".repeat(10_000),
        format!("app A {{ {} }}", "data ".repeat(5_000)),
        format!("app A\n{}", "  ".repeat(5_000)),
        format!("app A\n{}x", "\t".repeat(5_000)),
        format!("app A {{ action X() {{ x = {} }} }}", "(".repeat(20_000)),
        format!("app A {{ action X() {{ x = {}1 }} }}", "-".repeat(20_000)),
        "#".repeat(10_000),
        "\"".repeat(10_001),
        "/*".repeat(1_000),
        "app A\n".to_owned() + &"data P:\n  fields:\n    a: text\n".repeat(500),
        "\u{feff}app A { }".to_owned(),
        "app A { data P { fields: { a: ref[ } } }".to_owned(),
    ];
    for text in &cases {
        let result = std::panic::catch_unwind(|| run(text));
        assert!(result.is_ok(), "panic on {:?}", &text[..text.len().min(80)]);
    }
}
