//! The docs' type tables against the compiler's ([`sheplang_core::types::TYPES`]), both ways:
//! `docs/language.md`'s `## Types` table lists every built-in spelling and no other, and
//! `docs/wire.md`'s payload table gives each built-in the JSON, Rust and TypeScript types the
//! generators use.

use std::path::PathBuf;

use sheplang_core::types::{Builtin, TYPES};

fn doc(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../docs")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read {}: {e}; the docs must describe every built-in type",
            path.display()
        )
    })
}

/// The rows of the first Markdown table after the line `heading` (or after the line that starts
/// with `heading`, for a table header), as cells, without the header and separator rows.
fn table_after(text: &str, heading: &str) -> Vec<Vec<String>> {
    let mut lines = text.lines().skip_while(|l| !l.starts_with(heading));
    assert!(
        lines.next().is_some(),
        "no line starting with `{heading}` in the doc"
    );
    let rows: Vec<Vec<String>> = lines
        .skip_while(|l| !l.trim_start().starts_with('|'))
        .take_while(|l| l.trim_start().starts_with('|'))
        .map(|l| {
            let inner = l.trim().trim_start_matches('|').trim_end_matches('|');
            inner.split('|').map(|c| c.trim().to_owned()).collect()
        })
        .collect();
    assert!(rows.len() > 2, "no table after `{heading}`");
    // The header row and the `|---|` row.
    rows.into_iter()
        .skip(1)
        .filter(|r| !r.iter().all(|c| c.chars().all(|ch| "-: ".contains(ch))))
        .collect()
}

/// The `code` spans of a cell.
fn spans(cell: &str) -> Vec<&str> {
    cell.split('`').skip(1).step_by(2).collect()
}

/// A spelling that stands for a family rather than naming a built-in: `ref[X]`, `T[]`, a model
/// name such as `X`.
fn is_form(spelling: &str) -> bool {
    spelling.contains('[') || spelling.starts_with(|c: char| c.is_ascii_uppercase())
}

#[test]
fn language_doc_lists_every_builtin_type_and_no_other() {
    let text = doc("language.md");
    let rows = table_after(&text, "## Types");
    let mut listed = Vec::new();
    for row in &rows {
        for spelling in spans(&row[0]) {
            if is_form(spelling) {
                continue;
            }
            let t = Builtin::from_name(spelling)
                .unwrap_or_else(|| {
                    panic!(
                        "docs/language.md lists `{spelling}` as a type, but the compiler has no \
                         built-in type of that name (sheplang-core/src/types.rs)"
                    )
                })
                .info();
            // | spec type | meaning | JSON | Rust | TypeScript |
            if let [_, _, json, rust, ts] = &row[..] {
                let wire = t.json.split(',').next().unwrap_or(t.json);
                assert_eq!(json, wire, "docs/language.md: the JSON of `{spelling}`");
                assert_eq!(
                    rust,
                    &format!("`{}`", short_rust(t.rust)),
                    "docs/language.md: the Rust type of `{spelling}`"
                );
                assert_eq!(
                    ts,
                    &format!("`{}`", t.ts),
                    "docs/language.md: the TypeScript type of `{spelling}`"
                );
            }
            listed.push(spelling);
        }
    }
    for t in TYPES {
        assert!(
            listed.contains(&t.name),
            "the built-in type `{}` is missing from the `## Types` table of docs/language.md",
            t.name
        );
    }
}

/// `::std::string::String` as the docs write it: `String`.
fn short_rust(path: &str) -> &str {
    let path = path.strip_prefix("::").unwrap_or(path);
    path.strip_prefix("std::string::").unwrap_or(path)
}

#[test]
fn wire_doc_maps_every_builtin_type_as_the_generators_do() {
    let text = doc("wire.md");
    let rows = table_after(&text, "| spec type |");
    let mut seen = Vec::new();
    for row in &rows {
        let [spec, json, rust, ts] = &row[..] else {
            panic!("docs/wire.md: a type row without four cells: {row:?}");
        };
        for spelling in spans(spec) {
            if is_form(spelling) {
                continue;
            }
            let t = Builtin::from_name(spelling)
                .unwrap_or_else(|| panic!("docs/wire.md: `{spelling}` is no built-in type"))
                .info();
            assert_eq!(json, t.json, "docs/wire.md: the JSON of `{spelling}`");
            assert_eq!(
                rust,
                &format!("`{}`", short_rust(t.rust)),
                "docs/wire.md: the Rust type of `{spelling}`"
            );
            assert_eq!(
                ts,
                &format!("`{}`", t.ts),
                "docs/wire.md: the TypeScript type of `{spelling}`"
            );
            seen.push(spelling);
        }
    }
    for t in TYPES {
        assert!(
            seen.contains(&t.name),
            "the built-in type `{}` is missing from the payload table of docs/wire.md",
            t.name
        );
    }
}
