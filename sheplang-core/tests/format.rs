//! The formatter over every spec the repository has (and `../shared/conformance` when it is
//! there), in both styles: the formatted spec compiles to the same IR (or to the same
//! diagnostics), formatting it again changes nothing, and every comment is still there. Then the
//! same over mutations of those specs: whatever parses is formatted, never refused as unstable.

mod common;
#[path = "common/mutate.rs"]
mod mutate;

use std::fs;
use std::path::{Path, PathBuf};

use sheplang_core::ast::Style;
use sheplang_core::format::{FormatError, format_str};
use sheplang_core::{SourceMap, compile, parse};

/// Every `.shep` file under `dir`, recursively (build output and `node_modules` skipped).
fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        if path.is_dir() {
            if !matches!(
                name.to_str(),
                Some("target" | "node_modules" | ".git" | "fuzz")
            ) {
                walk(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "shep") {
            out.push(path);
        }
    }
}

/// The repository's specs (its `corpus/` included), then the shared conformance corpus.
fn corpus() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut paths = Vec::new();
    walk(&root, &mut paths);
    // Says so in one line when the shared corpus is not there.
    if common::shared_present() {
        walk(&common::shared_root(), &mut paths);
    }
    paths.sort();
    assert!(paths.len() >= 5, "too few specs found: {paths:?}");
    paths
        .into_iter()
        .map(|p| {
            let text = fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            (p.display().to_string(), text)
        })
        .collect()
}

/// The IR, or the diagnostics' codes and messages when the spec does not compile.
fn meaning(text: &str) -> Result<sheplang_core::ir::Spec, Vec<(String, String)>> {
    let mut sources = SourceMap::new();
    let file = sources.add("spec.shep", text);
    compile(&sources, file).map(|c| c.spec).map_err(|d| {
        d.iter()
            .map(|d| (d.code.0.to_owned(), d.message.clone()))
            .collect()
    })
}

fn style(text: &str) -> Style {
    let mut sources = SourceMap::new();
    let file = sources.add("spec.shep", text);
    parse(&sources, file).0.style
}

fn comments(text: &str) -> usize {
    text.matches("//").count() + text.matches("/*").count()
}

#[test]
fn corpus_is_formatted_idempotently_and_keeps_its_ir() {
    let mut formatted = 0;
    let mut styles = [0usize; 2];
    for (name, text) in corpus() {
        let out = match format_str(&name, &text) {
            Ok(out) => out,
            Err(FormatError::Syntax(_)) => continue,
            Err(e) => panic!("{name}: {e}"),
        };
        formatted += 1;
        styles[usize::from(style(&text) == Style::Indentation)] += 1;
        assert_eq!(style(&out), style(&text), "{name}: the style changed");
        assert_eq!(
            meaning(&out),
            meaning(&text),
            "{name}: formatting changed the compiled spec\n--- formatted ---\n{out}"
        );
        assert_eq!(
            comments(&out),
            comments(&text),
            "{name}: a comment was lost"
        );
        let again = format_str(&name, &out).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(again, out, "{name}: formatting is not idempotent");
    }
    assert!(styles[0] > 0, "no brace-style spec was formatted");
    assert!(styles[1] > 0, "no indentation-style spec was formatted");
    println!(
        "{formatted} specs formatted ({} brace style, {} indentation style)",
        styles[0], styles[1]
    );
}

#[test]
fn mutations_are_formatted_or_refused_with_their_syntax_errors() {
    let corpus = corpus();
    let mut rng = mutate::Rng(0xf0e1_d2c3_b4a5_9687);
    let per_spec = 4_000 / corpus.len() + 1;
    let mut formatted = 0;
    for (name, text) in &corpus {
        for case in 0..per_spec {
            let mutated = mutate::mutate(&mut rng, text);
            match format_str(name, &mutated) {
                Ok(out) => {
                    formatted += 1;
                    assert_eq!(
                        meaning(&out),
                        meaning(&mutated),
                        "{name}: mutation {case} changed meaning:\n{mutated}\n--- formatted ---\n{out}"
                    );
                    let again = format_str(name, &out)
                        .unwrap_or_else(|e| panic!("{name}: mutation {case}: {e}\n{out}"));
                    assert_eq!(
                        again, out,
                        "{name}: mutation {case} is not idempotent:\n{mutated}"
                    );
                }
                Err(FormatError::Syntax(d)) => {
                    assert!(d.iter().any(|d| d.is_error()));
                }
                Err(e) => panic!("{name}: mutation {case}: {e}\n--- input ---\n{mutated}"),
            }
        }
    }
    assert!(formatted > 0);
    println!("{formatted} mutated specs formatted");
}
