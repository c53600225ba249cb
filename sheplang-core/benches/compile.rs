//! Front-end and pipeline throughput.
//!
//! Inputs: every accepted spec of the project corpus, and of the shared conformance corpus when
//! it is beside the repository (one compile per file, their bytes added up), and a
//! generated spec of 1,000 models with 20 fields each, in the brace and in the indentation style.
//! Each benchmark sets a bytes counter, so divan prints MB/s.
//!
//! `cargo bench -p sheplang-core --bench compile`

#[path = "../tests/common/mod.rs"]
mod common;

use std::fmt::Write as _;
use std::hint::black_box;

use divan::Bencher;
use divan::counter::BytesCount;
use sheplang_core::diagnostic::Diagnostics;
use sheplang_core::{FileId, SourceMap, compile, lexer, parser};

fn main() {
    divan::main();
}

/// The texts of the corpus specs that must compile.
fn accept_specs() -> Vec<String> {
    common::specs("accept")
        .into_iter()
        .map(|spec| spec.text)
        .collect()
}

const TYPES: [&str; 8] = [
    "text required",
    "number min=0 max=100",
    "yes/no default=false",
    "date",
    "email unique",
    "money optional",
    "text[]",
    "richtext minLength=1 maxLength=5000",
];

/// 1,000 models of 20 fields each, plus a view and an action per ten models.
fn large_spec(indented: bool) -> String {
    let mut s = String::with_capacity(1 << 21);
    s.push_str(if indented {
        "app Large\n\n"
    } else {
        "app Large {\n"
    });
    for m in 0..1_000 {
        if indented {
            let _ = writeln!(s, "data Model{m}:\n  fields:");
        } else {
            let _ = writeln!(s, "  data Model{m} {{\n    fields: {{");
        }
        for f in 0..20 {
            let ty = TYPES[(m + f) % TYPES.len()];
            let _ = writeln!(s, "      field{f}: {ty}");
        }
        if indented {
            s.push_str("  states: draft -> live -> archived\n\n");
        } else {
            s.push_str("    }\n    states: draft -> live -> archived\n  }\n");
        }
        if m % 10 == 0 {
            if indented {
                let _ = writeln!(
                    s,
                    "view View{m}:\n  list Model{m}\n  button \"Add\" -> Add{m}\n\n\
                     action Add{m}(field0, field1):\n  if field1 > 10 and field0 != \"\":\n    \
                     add Model{m} with field0, field1 = field1 * 2 + 1\n  else:\n    \
                     show View{m}\n  show View{m}\n"
                );
            } else {
                let _ = writeln!(
                    s,
                    "  view View{m} {{\n    list Model{m}\n    button \"Add\" -> Add{m}\n  }}\n  \
                     action Add{m}(field0, field1) {{\n    if field1 > 10 and field0 != \"\": {{\n      \
                     add Model{m} with field0, field1 = field1 * 2 + 1\n    }} else: {{\n      \
                     show View{m}\n    }}\n    show View{m}\n  }}"
                );
            }
        }
    }
    if !indented {
        s.push_str("}\n");
    }
    s
}

fn lex_all(texts: &[String]) -> usize {
    texts
        .iter()
        .map(|t| {
            let mut diags = Diagnostics::new();
            lexer::tokenize(black_box(t), FileId(0), &mut diags).len()
        })
        .sum()
}

fn parse_all(texts: &[String]) -> usize {
    texts
        .iter()
        .map(|t| {
            let mut diags = Diagnostics::new();
            let file = parser::parse(black_box(t), FileId(0), &mut diags);
            assert!(diags.is_empty());
            file.app.map_or(0, |a| a.decls.len())
        })
        .sum()
}

fn compile_all(sources: &SourceMap, files: &[FileId]) -> usize {
    files
        .iter()
        .map(|&f| match compile(black_box(sources), f) {
            Ok(out) => out.spec.models.len(),
            Err(_) => 0,
        })
        .sum()
}

fn bytes(texts: &[String]) -> BytesCount {
    BytesCount::new(texts.iter().map(String::len).sum::<usize>())
}

fn inputs(which: &str) -> Vec<String> {
    match which {
        "accept" => accept_specs(),
        "large" => vec![large_spec(false)],
        _ => vec![large_spec(true)],
    }
}

const INPUTS: [&str; 3] = ["accept", "large", "large_indented"];

/// The lexer alone.
#[divan::bench(args = INPUTS)]
fn lex(bencher: Bencher, which: &str) {
    let texts = inputs(which);
    bencher
        .counter(bytes(&texts))
        .bench_local(|| lex_all(&texts));
}

/// Lexer, layout and parser: text to syntax tree.
#[divan::bench(args = INPUTS)]
fn parse(bencher: Bencher, which: &str) {
    let texts = inputs(which);
    bencher
        .counter(bytes(&texts))
        .bench_local(|| parse_all(&texts));
}

/// The whole `compile`: parse, check and lower to the IR.
#[divan::bench(args = INPUTS)]
fn full_compile(bencher: Bencher, which: &str) {
    let texts = inputs(which);
    let mut sources = SourceMap::new();
    let files: Vec<FileId> = texts
        .iter()
        .enumerate()
        .map(|(i, t)| sources.add(format!("{which}{i}.shep"), t.as_str()))
        .collect();
    assert!(
        compile_all(&sources, &files) > 0,
        "the {which} input must compile"
    );
    bencher
        .counter(bytes(&texts))
        .bench_local(|| compile_all(&sources, &files));
}
