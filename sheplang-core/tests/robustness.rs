//! The whole pipeline never panics and every diagnostic points inside its input.
//!
//! Feeds every prefix of every conformance spec, and a few thousand deterministic mutations of
//! them (characters replaced, inserted and deleted; lines dropped, swapped and duplicated),
//! through [`sheplang_core::compile`] and checks each diagnostic's spans and rendering.

mod common;

use std::fs;
use std::path::Path;

use sheplang_core::{Diagnostic, SourceMap, compile};

/// Every conformance spec, accept and reject.
/// Every conformance spec, accept and reject, as (path, text).
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

/// xorshift64*: tiny, deterministic, good enough to pick mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

/// Characters that matter to the lexer and the layout, plus a few that do not.
const ALPHABET: &[char] = &[
    '{', '}', '(', ')', '[', ']', ':', ',', '.', '-', '>', '<', '=', '!', '~', '+', '*', '/', '%',
    '#', '"', '\'', '\n', '\t', ' ', ' ', '\r', 'a', 'Z', '_', '0', '9', 'é', '€', '\u{0}',
];

/// Words that steer the parser into its less travelled paths.
const WORDS: &[&str] = &[
    "app ",
    "data ",
    "view ",
    "action ",
    "flow ",
    "job ",
    "workflow ",
    "fields:",
    "states:",
    "rules:",
    "if ",
    "else:",
    "for ",
    "step ",
    "on error -> ",
    "schedule: ",
    "trigger: ",
    "yes/no",
    "ref[",
    "[]",
    "->",
    "/*",
    "*/",
    "//",
    "  ",
    "\n  ",
    ":\n",
    "\"",
    "not ",
    "or ",
];

fn mutate(rng: &mut Rng, text: &str) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for _ in 0..1 + rng.below(4) {
        let len = chars.len();
        match rng.below(7) {
            0 if len > 0 => {
                let i = rng.below(len);
                chars[i] = ALPHABET[rng.below(ALPHABET.len())];
            }
            1 => {
                let i = rng.below(len + 1);
                chars.insert(i, ALPHABET[rng.below(ALPHABET.len())]);
            }
            2 if len > 0 => {
                let i = rng.below(len);
                let n = 1 + rng.below(8.min(len - i));
                chars.drain(i..i + n);
            }
            3 => {
                let i = rng.below(len + 1);
                let word = WORDS[rng.below(WORDS.len())];
                chars.splice(i..i, word.chars());
            }
            _ => {
                let s: String = chars.iter().collect();
                let mut lines: Vec<&str> = s.split('\n').collect();
                let n = lines.len();
                let (a, b) = (rng.below(n), rng.below(n));
                match rng.below(3) {
                    0 => {
                        lines.remove(a);
                    }
                    1 => lines.swap(a, b),
                    _ => {
                        let line = lines[a];
                        lines.insert(b, line);
                    }
                }
                chars = lines.join("\n").chars().collect();
            }
        }
    }
    chars.into_iter().collect()
}

#[test]
fn mutations() {
    let corpus = corpus();
    let mut rng = Rng(0x5eed_1234_abcd_ef01);
    let per_spec = 10_000 / corpus.len() + 1;
    let mut diagnostics = 0;
    for (name, text) in &corpus {
        for case in 0..per_spec {
            let mutated = mutate(&mut rng, text);
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
