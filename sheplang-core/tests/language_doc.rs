//! `docs/language.md` is tested: every example in it compiles as its fence says, and every
//! diagnostic code of the compiler is described in it.
//!
//! The fences (see the page's last section):
//! - ` ```shep `: a brace-style spec that compiles with no error and no warning;
//! - ` ```shep indent `: an indentation-style spec that compiles with no error and no warning,
//!   to the same IR as the nearest ` ```shep ` block above it;
//! - ` ```shep-warn W0003 `: compiles, with diagnostics of exactly the codes named;
//! - ` ```shep-error E0207 `: fails, with diagnostics of exactly the codes named;
//! - ` ```text rendered `: what the CLI prints for the ShepLang example above it, saved as
//!   `app.shep`, exactly.

use std::collections::BTreeSet;
use std::path::PathBuf;

use sheplang_core::ast::Style;
use sheplang_core::types::{TYPES, ValueClass};
use sheplang_core::{Code, Diagnostic, SourceMap, compile, compile_str, ir, parse, render_all};

/// The codes no example on the page shows: an input over 4 GiB, and the two limits, whose
/// numbers [`the_limits_are_where_the_page_says`] checks instead.
const UNSHOWABLE: &[Code] = &[Code::TOO_LARGE, Code::TOO_DEEP, Code::TOO_COMPLEX];

fn doc_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/language.md")
}

fn read_doc() -> String {
    let path = doc_path();
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// One fenced block of the page.
struct Block {
    /// The line of the opening fence (1-based).
    line: usize,
    /// The info string after the backticks.
    info: String,
    body: String,
}

/// Every fenced block, in page order. Panics on a fence that is never closed.
fn blocks(doc: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut open: Option<(usize, usize, String, String)> = None;
    for (i, line) in doc.lines().enumerate() {
        let ticks = line.chars().take_while(|&c| c == '`').count();
        match &mut open {
            None if ticks >= 3 => {
                open = Some((i + 1, ticks, line[ticks..].trim().to_owned(), String::new()));
            }
            None => {}
            Some((start, fence, info, body)) => {
                if ticks >= *fence && line[ticks..].trim().is_empty() {
                    out.push(Block {
                        line: *start,
                        info: std::mem::take(info),
                        body: std::mem::take(body),
                    });
                    open = None;
                } else {
                    body.push_str(line);
                    body.push('\n');
                }
            }
        }
    }
    if let Some((line, ..)) = open {
        panic!("docs/language.md:{line}: this code fence is never closed");
    }
    out
}

/// What a ` ```shep... ` block must do.
#[derive(Debug, Clone, PartialEq)]
enum Expect {
    Compiles,
    SameAsAbove,
    /// Compiles, with exactly these codes.
    Warns(BTreeSet<&'static str>),
    /// Fails, with exactly these codes.
    Fails(BTreeSet<&'static str>),
}

/// The expectation of a block's info string; `None` for blocks that are not ShepLang;
/// `Err` for an info string that starts with `shep` but says nothing this test knows.
fn expectation(info: &str) -> Option<Result<Expect, String>> {
    let words: Vec<&str> = info.split_whitespace().collect();
    let first = *words.first()?;
    if !first.starts_with("shep") {
        return None;
    }
    let codes = || -> Result<BTreeSet<&'static str>, String> {
        words[1..]
            .iter()
            .map(|word| {
                Code::ALL
                    .iter()
                    .map(|(c, _)| c.0)
                    .find(|c| c == word)
                    .ok_or_else(|| format!("`{info}`: `{word}` is not a code of `Code::ALL`"))
            })
            .collect()
    };
    Some(match (first, words.len()) {
        ("shep", 1) => Ok(Expect::Compiles),
        ("shep", 2) if words[1] == "indent" => Ok(Expect::SameAsAbove),
        ("shep-warn", 2..) => codes().map(Expect::Warns),
        ("shep-error", 2..) => codes().map(Expect::Fails),
        _ => Err(format!(
            "`{info}` is not one of `shep`, `shep indent`, `shep-warn CODE...`, \
             `shep-error CODE...`"
        )),
    })
}

/// The outcome of compiling one example.
struct Outcome {
    style: Style,
    spec: Option<ir::Spec>,
    diagnostics: Vec<Diagnostic>,
    rendered: String,
}

fn compile_example(name: &str, text: &str) -> Outcome {
    let mut sources = SourceMap::new();
    let file = sources.add(name, text);
    let style = parse(&sources, file).0.style;
    let (spec, diagnostics) = match compile(&sources, file) {
        Ok(compiled) => (Some(compiled.spec), compiled.warnings),
        Err(diagnostics) => (None, diagnostics),
    };
    let rendered = render_all(&diagnostics, &sources);
    Outcome {
        style,
        spec,
        diagnostics,
        rendered,
    }
}

fn codes(diagnostics: &[Diagnostic]) -> BTreeSet<&'static str> {
    diagnostics.iter().map(|d| d.code.0).collect()
}

/// Checks one example against its expectation; `Err` says what is wrong.
fn check(expect: &Expect, out: &Outcome, above: Option<&ir::Spec>) -> Result<(), String> {
    let found = codes(&out.diagnostics);
    match expect {
        Expect::Compiles | Expect::SameAsAbove => {
            let want = if *expect == Expect::Compiles {
                Style::Braces
            } else {
                Style::Indentation
            };
            if out.style != want {
                return Err(format!("is in the {:?} style, not {want:?}", out.style));
            }
            if !out.diagnostics.is_empty() {
                return Err(format!("should compile cleanly:\n{}", out.rendered));
            }
            if *expect == Expect::SameAsAbove {
                let Some(above) = above else {
                    return Err("has no ```shep block above it to compare with".to_owned());
                };
                if let Some(spec) = &out.spec
                    && spec != above
                {
                    return Err(format!(
                        "compiles to another IR than the ```shep block above it; the first \
                         difference (IR as JSON, this example / the one above):\n{}",
                        first_difference(spec, above)
                    ));
                }
            }
        }
        Expect::Warns(want) => {
            if out.spec.is_none() || found != *want {
                return Err(format!(
                    "should compile with {want:?} and nothing else, found {found:?}:\n{}",
                    out.rendered
                ));
            }
        }
        Expect::Fails(want) => {
            if out.spec.is_some() || found != *want {
                return Err(format!(
                    "should fail with {want:?} and nothing else, found {found:?}:\n{}",
                    out.rendered
                ));
            }
        }
    }
    Ok(())
}

#[test]
fn every_example_compiles_as_its_fence_says() {
    let doc = read_doc();
    let mut failures = Vec::new();
    let mut above: Option<ir::Spec> = None;
    let mut counts = [0usize; 5];
    let mut last_example: Option<String> = None;
    for block in blocks(&doc) {
        let at = format!("docs/language.md:{}", block.line);
        if block.info == "text rendered" {
            counts[4] += 1;
            let Some(example) = &last_example else {
                failures.push(format!("{at}: no ShepLang example above this output"));
                continue;
            };
            let printed = compile_example("app.shep", example).rendered;
            if printed != block.body {
                failures.push(format!(
                    "{at}: the example above prints, as `app.shep`:\n{printed}"
                ));
            }
            continue;
        }
        let Some(expect) = expectation(&block.info) else {
            continue;
        };
        last_example = Some(block.body.clone());
        let expect = match expect {
            Ok(e) => e,
            Err(e) => {
                failures.push(format!("{at}: {e}"));
                continue;
            }
        };
        // Blank lines in front, so that diagnostics point at the page's own lines.
        let text = format!("{}{}", "\n".repeat(block.line), block.body);
        let out = compile_example("docs/language.md", &text);
        if let Err(e) = check(&expect, &out, above.as_ref()) {
            failures.push(format!("{at}: the example {e}"));
        }
        let index = match expect {
            Expect::Compiles => {
                above = out.spec;
                0
            }
            Expect::SameAsAbove => 1,
            Expect::Warns(_) => 2,
            Expect::Fails(_) => 3,
        };
        counts[index] += 1;
    }
    assert!(
        failures.is_empty(),
        "{} example(s) of docs/language.md do not do what their fence says:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
    // A page that lost its examples (or a parser of fences that finds none) is a failure too.
    let [braces, indented, warns, fails, rendered] = counts;
    assert!(
        braces >= 15 && indented >= 15 && warns >= 5 && fails >= 20 && rendered >= 1,
        "too few examples found: {braces} brace, {indented} indented, {warns} warning, \
         {fails} error, {rendered} rendered"
    );
}

#[test]
fn every_code_is_described() {
    let doc = read_doc();
    let missing: Vec<&str> = Code::ALL
        .iter()
        .map(|(code, _)| code.0)
        .filter(|code| !mentions(&doc, code))
        .collect();
    assert!(
        missing.is_empty(),
        "docs/language.md does not mention the code(s) {missing:?}: describe each in the \
         section \"Checks and diagnostic codes\""
    );
}

#[test]
fn every_code_has_an_example() {
    let doc = read_doc();
    let shown: BTreeSet<&str> = blocks(&doc)
        .iter()
        .filter_map(|b| match expectation(&b.info) {
            Some(Ok(Expect::Warns(codes) | Expect::Fails(codes))) => Some(codes),
            _ => None,
        })
        .flatten()
        .collect();
    let missing: Vec<&str> = Code::ALL
        .iter()
        .map(|(code, _)| *code)
        .filter(|code| !UNSHOWABLE.contains(code) && !shown.contains(code.0))
        .map(|code| code.0)
        .collect();
    assert!(
        missing.is_empty(),
        "docs/language.md has no ```shep-error or ```shep-warn example for {missing:?}"
    );
}

/// GitHub's anchor of a heading: lower case, punctuation dropped, spaces as hyphens.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-' || *c == '_')
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

#[test]
fn every_link_of_the_page_leads_somewhere() {
    let doc = read_doc();
    let mut anchors = BTreeSet::new();
    let mut in_fence = false;
    for line in doc.lines() {
        if line.starts_with("```") {
            in_fence = !in_fence;
        } else if !in_fence && line.starts_with('#') {
            anchors.insert(slug(line.trim_start_matches('#')));
        }
    }
    let mut broken = Vec::new();
    for (at, _) in doc.match_indices("](") {
        let rest = &doc[at + 2..];
        let target = &rest[..rest.find(')').unwrap_or(rest.len())];
        if let Some(anchor) = target.strip_prefix('#') {
            if !anchors.contains(anchor) {
                broken.push(target.to_owned());
            }
        } else if !target.contains("://") {
            let file = target.split('#').next().unwrap_or(target);
            if !doc_path().with_file_name(file).exists() {
                broken.push(target.to_owned());
            }
        }
    }
    assert!(
        broken.is_empty(),
        "docs/language.md links to {broken:?}, which lead nowhere"
    );
    assert!(anchors.len() > 20, "too few headings found: {anchors:?}");
}

/// The rows of the Markdown table whose header row is `header`, as cells, without the header
/// and separator rows.
fn table(doc: &str, header: &str) -> Vec<Vec<String>> {
    let mut lines = doc.lines().skip_while(|l| l.trim() != header);
    assert!(
        lines.next().is_some(),
        "docs/language.md has no table headed `{header}`"
    );
    lines
        .skip(1)
        .take_while(|l| l.starts_with('|'))
        .map(|l| {
            l.trim_matches('|')
                .split(" | ")
                .map(|c| c.trim().to_owned())
                .collect()
        })
        .collect()
}

/// The first `code span` of a cell.
fn first_span(cell: &str) -> Option<&str> {
    cell.split('`').nth(1)
}

/// A spec with a model that has `states:`, for the generators.
fn generated_spec() -> ir::Spec {
    let (_, result) = compile_str(
        "tasks.shep",
        "app Tasks { data Task { fields: { title: text } states: todo -> done } }",
    );
    result.expect("the spec compiles").spec
}

/// The built-in types of `class`, as a spec spells them.
fn types_of(class: ValueClass) -> BTreeSet<&'static str> {
    TYPES
        .iter()
        .filter(|t| t.class == class)
        .map(|t| t.name)
        .collect()
}

/// The `code spans` of a cell that name built-in types.
fn builtin_spans(cell: &str) -> BTreeSet<&str> {
    cell.split('`')
        .skip(1)
        .step_by(2)
        .filter(|span| TYPES.iter().any(|t| t.name == *span))
        .collect()
}

/// The tables of constraints and defaults list, for each, the built-in types it fits, no more
/// and no fewer: for a constraint, the types the compiler does not warn about (W0001); for a
/// default, the types of its class in `sheplang_core::types`, each taking the row's example.
#[test]
fn constraints_and_defaults_fit_the_types_the_page_says() {
    let doc = read_doc();
    let constraints = table(&doc, "| constraint | fits | says | when it does not fit |");
    for (constraint, example) in [
        ("min=N", "min=1"),
        ("minLength=N", "minLength=1"),
        ("email=true", "email=true"),
        ("pattern=\"regex\"", "pattern=\"^a\""),
    ] {
        let row = constraints
            .iter()
            .find(|row| first_span(&row[0]) == Some(constraint))
            .unwrap_or_else(|| panic!("no row for `{constraint}` in the table of constraints"));
        let fits: BTreeSet<&str> = TYPES
            .iter()
            .map(|t| t.name)
            .filter(|name| {
                let spec = format!("app A {{ data T {{ fields: {{ f: {name} {example} }} }} }}");
                !codes_of(&spec).contains(Code::CONSTRAINT_TYPE.0)
            })
            .collect();
        assert_eq!(
            builtin_spans(&row[1]),
            fits,
            "the types `{constraint}` fits, as docs/language.md lists them (left) and as the \
             compiler has it (right)"
        );
    }
    let defaults = table(&doc, "| field type | a fitting default |");
    for (class, first, example) in [
        (ValueClass::Text, "text", "\"x\""),
        (ValueClass::Number, "number", "1"),
        (ValueClass::Decimal, "money", "\"12.50\""),
        (ValueClass::Bool, "yes/no", "true"),
        (ValueClass::Temporal, "date", "now"),
    ] {
        let row = defaults
            .iter()
            .find(|row| first_span(&row[0]) == Some(first))
            .unwrap_or_else(|| panic!("no row for `{first}` in the table of defaults"));
        assert_eq!(
            builtin_spans(&row[0]),
            types_of(class),
            "the types whose default is {:?}, as docs/language.md lists them (left) and as the \
             checks see them (right)",
            row[1]
        );
        for name in types_of(class) {
            let spec =
                format!("app A {{ data T {{ fields: {{ f: {name} default={example} }} }} }}");
            assert_eq!(codes_of(&spec), BTreeSet::new(), "{spec}");
        }
    }
}

/// The page's table of TypeScript files lists exactly the files the generator writes.
#[test]
fn the_typescript_files_are_the_generated_ones() {
    let doc = read_doc();
    let listed: BTreeSet<String> = table(&doc, "| file | holds |")
        .iter()
        .filter_map(|row| first_span(&row[0]))
        .map(|path| path.replace("<Model>", "Task"))
        .collect();
    let generated: BTreeSet<String> =
        sheplang_core::codegen::typescript::generate(&generated_spec())
            .into_iter()
            .map(|artifact| artifact.path)
            .collect();
    assert_eq!(
        listed, generated,
        "the TypeScript files of docs/language.md (left) are not the generated ones (right)"
    );
}

/// The page's table of Rust items names items the generator writes.
#[test]
fn the_rust_items_are_the_generated_ones() {
    let doc = read_doc();
    let rows = table(&doc, "| item | from |");
    let listed: Vec<&str> = rows.iter().filter_map(|row| first_span(&row[0])).collect();
    let code = sheplang_core::codegen::rust::generate(&generated_spec());
    for (name, item) in [
        ("Spec", "pub struct Spec;"),
        ("Channel", "pub enum Channel {"),
        ("ModelName", "pub enum ModelName {"),
        ("<Model>State", "pub enum TaskState {"),
        ("ServerToClient", "pub enum ServerToClient {"),
        ("ClientToServer", "pub type ClientToServer ="),
    ] {
        assert!(
            listed.contains(&name),
            "docs/language.md's Rust table does not name `{name}`: {listed:?}"
        );
        assert!(code.contains(item), "the generated Rust has no `{item}`");
    }
    // What the table's rows say of the items, and what the generated code has for it.
    for (said, item) in [
        (
            "implementing `sheplang::Model`",
            "impl ::sheplang::Model for Task",
        ),
        ("`initial()`", "pub const fn initial()"),
        ("`next_states()`", "pub const fn next_states("),
        ("`can_transition_to()`", "pub const fn can_transition_to("),
        ("`is_final()`", "pub const fn is_final("),
        ("`<Model>Created`", "TaskCreated("),
        ("`<Model>Updated`", "TaskUpdated("),
        ("`<Model>Deleted`", "TaskDeleted("),
        ("`Notification`", "Notification {"),
        ("`Connected`", "Connected("),
    ] {
        assert!(doc.contains(said), "docs/language.md no longer says {said}");
        assert!(code.contains(item), "the generated Rust has no `{item}`");
    }
    assert!(doc.contains("`id: String` first"));
    let row = code
        .split_once("pub struct Task {")
        .and_then(|(_, rest)| rest.split_once("pub "))
        .map(|(_, field)| field);
    assert!(
        row.is_some_and(|f| f.starts_with("id: ::std::string::String,")),
        "the first field of the generated `Task` is not `id: String`"
    );
}

/// The codes of compiling `text`: empty when it compiles cleanly.
fn codes_of(text: &str) -> BTreeSet<&'static str> {
    match compile_str("limit.shep", text).1 {
        Ok(compiled) => codes(&compiled.warnings),
        Err(diagnostics) => codes(&diagnostics),
    }
}

/// The page says: blocks nest at most 64 deep, the action's own block included (63 `if`s in
/// an action compile, 64 do not), and an expression holds at most 256 operators.
#[test]
fn the_limits_are_where_the_page_says() {
    // The page's words, with line breaks as spaces.
    let doc = read_doc().split_whitespace().collect::<Vec<_>>().join(" ");
    for claim in [
        "blocks nest at most 64 deep",
        "63 `if` blocks nested in an action compile and 64 do not",
        "an expression of 256 operators compiles and one of 257 does not",
    ] {
        assert!(
            doc.contains(claim),
            "docs/language.md no longer says {claim:?}"
        );
    }
    let nested = |ifs: usize| {
        format!(
            "app A {{ action Deep(a) {{ {} ~ \"deep\" {} }} }}",
            "if a: { ".repeat(ifs),
            "} ".repeat(ifs)
        )
    };
    assert_eq!(codes_of(&nested(63)), BTreeSet::new());
    assert_eq!(codes_of(&nested(64)), BTreeSet::from([Code::TOO_DEEP.0]));
    let sum = |ops: usize| format!("app A {{ action Sum() {{ x = 1{} }} }}", " + 1".repeat(ops));
    assert_eq!(codes_of(&sum(256)), BTreeSet::new());
    assert_eq!(codes_of(&sum(257)), BTreeSet::from([Code::TOO_COMPLEX.0]));
}

/// The first line where the two IRs differ as pretty JSON, with a little context.
fn first_difference(this: &ir::Spec, above: &ir::Spec) -> String {
    let json = |spec: &ir::Spec| serde_json::to_string_pretty(spec).unwrap_or_default();
    let (a, b) = (json(this), json(above));
    let (a, b): (Vec<&str>, Vec<&str>) = (a.lines().collect(), b.lines().collect());
    let at = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let from = at.saturating_sub(3);
    let show = |lines: &[&str]| {
        lines
            .iter()
            .skip(from)
            .take(6)
            .copied()
            .collect::<Vec<_>>()
            .join("\n")
    };
    format!("{}\n---\n{}", show(&a), show(&b))
}

/// Whether `code` appears in `doc` as a word of its own (`E0101`, not `E01010`).
fn mentions(doc: &str, code: &str) -> bool {
    doc.match_indices(code).any(|(at, _)| {
        let before = doc[..at].chars().next_back();
        let after = doc[at + code.len()..].chars().next();
        !before.is_some_and(|c| c.is_ascii_alphanumeric())
            && !after.is_some_and(|c| c.is_ascii_alphanumeric())
    })
}

#[test]
fn the_fence_reader_finds_what_is_written() {
    let doc = "text\n```shep\napp A { }\n```\n````md\n```shep-error E0101\n````\n```rust\nfn f() {}\n```\n";
    let found = blocks(doc);
    let found: Vec<(usize, &str, &str)> = found
        .iter()
        .map(|b| (b.line, b.info.as_str(), b.body.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            (2, "shep", "app A { }\n"),
            (5, "md", "```shep-error E0101\n"),
            (8, "rust", "fn f() {}\n"),
        ]
    );
    assert_eq!(expectation("rust"), None);
    assert_eq!(expectation("shep"), Some(Ok(Expect::Compiles)));
    assert_eq!(expectation("shep indent"), Some(Ok(Expect::SameAsAbove)));
    assert_eq!(
        expectation("shep-error E0207"),
        Some(Ok(Expect::Fails(BTreeSet::from(["E0207"]))))
    );
    assert!(matches!(expectation("shep-error E9999"), Some(Err(_))));
    assert!(matches!(expectation("shep-eror E0207"), Some(Err(_))));
    assert!(matches!(expectation("shep-warn"), Some(Err(_))));
    assert_eq!(
        expectation("shep-error E0201 W0004"),
        Some(Ok(Expect::Fails(BTreeSet::from(["E0201", "W0004"]))))
    );
    assert!(mentions("see E0101.", "E0101"));
    assert!(!mentions("E01010", "E0101"));
}
