//! Golden snapshots of the generated SQL (SQLite, PostgreSQL) and Prisma schemas, one of each
//! per accepted spec: the project corpus's (`corpus-<stem>-<kind>`) and, when it is there, the
//! shared corpus's (`<stem>-<kind>`). `tests/databases.rs` runs the SQL on real databases, and
//! the TypeScript suite (`ts/`) has `prisma validate` read the Prisma schemas.
//!
//! Review a change with `cargo insta review`.

mod common;

use sheplang_core::codegen::sql::Dialect;
use sheplang_core::codegen::storage::Storage;
use sheplang_core::codegen::{prisma, sql};
use sheplang_core::{compile_str, render_all};

/// Every output of every accepted spec, as (snapshot name, text).
fn outputs() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for s in common::specs("accept") {
        let (sources, result) = compile_str(&s.name, &s.text);
        let spec = match result {
            Ok(compiled) => compiled.spec,
            Err(d) => panic!(
                "an accepted spec failed to compile:\n{}",
                render_all(&d, &sources)
            ),
        };
        let storage = Storage::new();
        for dialect in Dialect::ALL {
            let tag = dialect.file_tag();
            out.push((
                format!("{}-{tag}-sql", s.snapshot()),
                sql::generate(&spec, &storage, dialect),
            ));
            out.push((
                format!("{}-{tag}-prisma", s.snapshot()),
                prisma::generate(&spec, &storage, dialect),
            ));
        }
    }
    out
}

#[test]
fn storage_goldens() {
    let mut failed = Vec::new();
    for (name, text) in outputs() {
        let outcome = std::panic::catch_unwind(|| {
            let mut settings = insta::Settings::clone_current();
            settings.set_omit_expression(true);
            settings.bind(|| insta::assert_snapshot!(name.clone(), text));
        });
        if outcome.is_err() {
            failed.push(name);
        }
    }
    assert!(
        failed.is_empty(),
        "generated schemas differ from their snapshots for: {}\n(review with `cargo insta review`)",
        failed.join(", ")
    );
}

#[test]
fn no_orphan_snapshots() {
    let names: Vec<String> = outputs().into_iter().map(|(name, _)| name).collect();
    common::assert_no_orphan_snapshots("storage_golden", &names);
}
