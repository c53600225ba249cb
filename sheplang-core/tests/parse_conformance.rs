//! The conformance specs through the front end (lexer, layout, parser):
//! every `accept/` spec parses with no diagnostic at all, every syntax `reject/` spec fails with
//! an error on the expected line(s).

mod common;

use sheplang_core::{Diagnostic, SourceMap, parse};

/// Every `.shep` file of a folder, sorted, as (file name, text).
fn specs(kind: &str) -> Vec<(String, String)> {
    common::specs(kind)
        .into_iter()
        .map(|s| (s.name, s.text))
        .collect()
}

fn parse_one(name: &str, text: &str) -> (SourceMap, Vec<Diagnostic>) {
    let mut sources = SourceMap::new();
    let file = sources.add(name, text);
    let (_, diags) = parse(&sources, file);
    (sources, diags)
}

/// Reject specs whose failure is a syntax error, with the lines that must carry an error.
const EXPECTED_LINES: &[(&str, &[usize])] = &[
    ("bobascript-component.shep", &[1]),
    // The first `#` is on line 34 (line 32 is blank).
    ("hash-comments.shep", &[34]),
    ("statemachine-block.shep", &[9]),
    ("status-block-instead-of-states.shep", &[7]),
    ("unquoted-job-time.shep", &[3, 5]),
];

/// Reject specs that fail in the checker, not the parser: they must parse cleanly.
const CHECKER_REJECTS: &[&str] = &["unresolved-view.shep"];

#[test]
fn accept_specs_parse_without_diagnostics() {
    let mut failures = Vec::new();
    for (name, text) in specs("accept") {
        let (sources, diags) = parse_one(&name, &text);
        if !diags.is_empty() {
            failures.push(sheplang_core::render_all(&diags, &sources));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn reject_specs_fail_on_the_expected_lines() {
    for (name, text) in specs("reject") {
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
