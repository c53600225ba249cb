//! The corpora through the front end (lexer, layout, parser): every `accept/` spec parses with
//! no diagnostic at all, every syntax `reject/` spec fails with an error on the expected
//! line(s), and every reject spec that fails in the checker parses cleanly.
//!
//! The project corpus's specs state their expected first error in their header; the shared
//! corpus's (when it is there) are listed in [`EXPECTED_LINES`] and [`CHECKER_REJECTS`].

mod common;

use sheplang_core::{Diagnostic, SourceMap, parse};

fn parse_one(name: &str, text: &str) -> (SourceMap, Vec<Diagnostic>) {
    let mut sources = SourceMap::new();
    let file = sources.add(name, text);
    let (_, diags) = parse(&sources, file);
    (sources, diags)
}

/// Shared reject specs whose failure is a syntax error, with the lines that must carry an
/// error.
const EXPECTED_LINES: &[(&str, &[usize])] = &[
    ("bobascript-component.shep", &[1]),
    // The first `#` is on line 34 (line 32 is blank).
    ("hash-comments.shep", &[34]),
    ("statemachine-block.shep", &[9]),
    ("status-block-instead-of-states.shep", &[7]),
    ("unquoted-job-time.shep", &[3, 5]),
];

/// Shared reject specs that fail in the checker, not the parser: they must parse cleanly.
const CHECKER_REJECTS: &[&str] = &["unresolved-view.shep"];

#[test]
fn accept_specs_parse_without_diagnostics() {
    let mut failures = Vec::new();
    for spec in common::specs("accept") {
        let (sources, diags) = parse_one(&spec.name, &spec.text);
        if !diags.is_empty() {
            failures.push(sheplang_core::render_all(&diags, &sources));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn project_reject_specs_fail_where_their_header_says() {
    for spec in common::project_specs("reject") {
        let name = &spec.name;
        let expected = spec.expectations();
        let expected = expected
            .first()
            .unwrap_or_else(|| panic!("{name}: no `// expect:`"));
        let (sources, diags) = parse_one(name, &spec.text);
        let rendered = sheplang_core::render_all(&diags, &sources);
        // Lexical (E00xx) and syntax (E01xx) errors come from the front end; the rest from
        // the checker, which sees a cleanly parsed file.
        if expected.code.as_str() >= "E0200" {
            assert!(diags.is_empty(), "{name} must parse cleanly:\n{rendered}");
            continue;
        }
        let first = diags
            .iter()
            .find(|d| d.is_error())
            .unwrap_or_else(|| panic!("{name} must fail to parse"));
        let line = sources.get(first.file).line_col(first.span.start).0;
        assert_eq!(
            (first.code.0, line),
            (expected.code.as_str(), expected.line),
            "{name}: first error\n{rendered}"
        );
    }
}

#[test]
fn shared_reject_specs_fail_on_the_expected_lines() {
    for spec in common::shared_specs("reject") {
        let (name, text) = (spec.name, spec.text);
        let (sources, diags) = parse_one(&name, &text);
        let rendered = sheplang_core::render_all(&diags, &sources);
        if CHECKER_REJECTS.contains(&name.as_str()) {
            assert!(diags.is_empty(), "{name} must parse cleanly:\n{rendered}");
            continue;
        }
        let errors: Vec<&Diagnostic> = diags.iter().filter(|d| d.is_error()).collect();
        assert!(!errors.is_empty(), "{name} must fail to parse");
        // A syntax reject spec without expected lines would skip the line check unnoticed.
        let (_, lines) = EXPECTED_LINES
            .iter()
            .find(|(n, _)| *n == name)
            .unwrap_or_else(|| panic!("{name}: add its error lines to EXPECTED_LINES"));
        let file = sources.get(errors[0].file);
        let got: Vec<usize> = errors
            .iter()
            .map(|d| file.line_col(d.span.start).0)
            .collect();
        // The first error is on the first expected line, and every expected line has one.
        assert_eq!(got[0], lines[0], "{name}: first error line\n{rendered}");
        for line in *lines {
            assert!(
                got.contains(line),
                "{name}: no error on line {line}\n{rendered}"
            );
        }
    }
}
