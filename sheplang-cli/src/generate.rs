//! `sheplang gen FILE... --out DIR [--storage FILE.json] [--history]`: every artifact of each spec, in the
//! layout `build.rs` uses in `OUT_DIR/sheplang` (`<stem>.rs`, `<stem>.ir.json`, `<stem>/ts/...`
//! for the browser and `<stem>/ts-server/...` for the server, `<stem>.sqlite.sql`,
//! `<stem>.postgres.sql` and `<stem>/prisma/{sqlite,postgres}/schema.prisma`). `--storage`
//! reads the table and column names from a JSON file (`sheplang_build::Storage`); `--history`
//! adds the transition history SQL (`<stem>.history.{sqlite,postgres}.sql`).
//!
//! As safe as `export`: two specs with the same file stem (they would write the same files)
//! are refused before anything is read; every spec is compiled before anything is written, and
//! a spec with errors writes and removes nothing (exit status 1). Each file is written only when
//! its bytes change. Then the artifacts an earlier run left in that layout and this run did not
//! write (a spec, a model or a file the generator no longer makes) are removed: a Rust or
//! TypeScript file (or SQL, or Prisma schema) only when it starts with the generators' header,
//! an `<x>.ir.json` directly
//! in `DIR` only when it reads as a sheplang IR. Nothing else under `DIR` is touched, and
//! nothing outside the layout is even looked at.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use sheplang_build::{Outputs, Storage};
use sheplang_core::codegen::sql::Dialect;
use sheplang_core::codegen::typescript;
use sheplang_core::ir;

use crate::export::is_plain_name;
use crate::report::{Outcome, compile_file};
use crate::stale::{self, show};

pub fn run(
    files: &[PathBuf],
    out: &Path,
    storage: Option<&Path>,
    history: bool,
) -> Result<Outcome, String> {
    let cwd = std::env::current_dir().unwrap_or_default();
    let storage = match storage {
        None => Storage::new(),
        Some(path) => read_storage(path)?,
    };

    // The output names first: two specs named alike would overwrite each other's files.
    let mut named: Vec<(String, &Path)> = Vec::new();
    for file in files {
        let stem = file
            .file_stem()
            .and_then(|s| s.to_str())
            .filter(|s| is_plain_name(s))
            .ok_or_else(|| {
                format!(
                    "`{}` has no file name to name its outputs after\nhelp: pass spec files, such \
                     as `specs/app.shep`",
                    file.display()
                )
            })?;
        if let Some((_, first)) = named.iter().find(|(s, _)| s == stem) {
            return Err(if *first == file.as_path() {
                format!(
                    "the spec `{}` is given twice\nhelp: name each spec once",
                    file.display()
                )
            } else {
                format!(
                    "`{}` and `{}` would write the same files: both are named `{stem}` \
                     (`{stem}.rs`, `{stem}.ir.json` and `{stem}/` in `{}`)\nhelp: rename one \
                     of them, or generate each into its own `--out` folder",
                    first.display(),
                    file.display(),
                    out.display()
                )
            });
        }
        named.push((stem.to_owned(), file));
    }

    // Compile everything before writing anything.
    let mut compiled = Vec::new();
    let mut failed = false;
    for (stem, file) in &named {
        match compile_file(file)? {
            Some(result) => compiled.push((stem, file, result.spec)),
            None => failed = true,
        }
    }
    if failed {
        eprintln!(
            "error: nothing was generated: fix the spec errors above and run `sheplang gen` again"
        );
        return Ok(Outcome::SpecErrors);
    }

    let specs: Vec<&ir::Spec> = compiled.iter().map(|(_, _, spec)| spec).collect();
    if let Err(messages) = storage.check_all(&specs) {
        for message in messages {
            eprintln!("error: {message}");
        }
        return Err(
            "nothing was generated: fix the storage names and run `sheplang gen` again".to_owned(),
        );
    }

    let mut fresh = BTreeSet::new();
    for (stem, file, spec) in &compiled {
        let storage = storage.for_spec(spec);
        let outputs = Outputs {
            history,
            ..Outputs::default()
        };
        let written = sheplang_build::write_artifacts(spec, stem, out, outputs, &storage)
            .map_err(|e| e.to_string())?;
        let changed = written.iter().filter(|w| w.changed).count();
        eprintln!(
            "{}: {changed} of {} files written to `{}`",
            file.display(),
            written.len(),
            show(out, &cwd)
        );
        fresh.extend(written.into_iter().map(|w| w.path));
    }
    let stale = stale_artifacts(out, &fresh);
    stale::remove(out, &stale, &cwd, |line| eprintln!("{line}"))?;
    Ok(Outcome::Success)
}

/// The files of `out`'s layout that an earlier run wrote and this one (`fresh`) did not.
fn stale_artifacts(out: &Path, fresh: &BTreeSet<PathBuf>) -> Vec<PathBuf> {
    let mut stale = Vec::new();
    let Ok(entries) = std::fs::read_dir(out) else {
        return stale;
    };
    let mut entries: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for path in entries {
        // What this run wrote is not stale; a fresh IR need not be read back to know it is ours.
        if fresh.contains(&path) {
            continue;
        }
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if meta.is_dir() {
            // `<stem>/ts/...`, `<stem>/ts-server/...` and `<stem>/prisma/...`
            let mut files = Vec::new();
            for half in typescript::Half::ALL {
                let folder = path.join(sheplang_build::typescript_folder(half));
                stale::walk(&folder, &mut files, &mut Vec::new());
            }
            stale.extend(
                files
                    .into_iter()
                    .filter(|f| !fresh.contains(f) && stale::has_header(f)),
            );
            for dialect in Dialect::ALL {
                let schema = out.join(sheplang_build::prisma_path(name, dialect));
                if schema.is_file() && stale::has_header(&schema) {
                    stale.push(schema);
                }
            }
        } else if meta.is_file() {
            let ours = if name.ends_with(".ir.json") {
                is_ir(&path)
            } else {
                (name.ends_with(".rs") || name.ends_with(".sql")) && stale::has_header(&path)
            };
            if ours {
                stale.push(path);
            }
        }
    }
    stale.retain(|f| !fresh.contains(f));
    stale
}

/// The storage names of `--storage FILE.json`.
fn read_storage(path: &Path) -> Result<Storage, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the storage names `{}`: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| {
        format!(
            "the storage names `{}` are not readable: {e}\nhelp: write them as \
             {{ \"Task\": {{ \"table\": \"task\", \"columns\": {{ \"createdAt\": \"created_at\" }}, \
             \"id\": \"integer\" }} }}",
            path.display()
        )
    })
}

/// Whether a file reads as a sheplang IR (what `gen` writes as `<stem>.ir.json`).
fn is_ir(path: &Path) -> bool {
    std::fs::read(path).is_ok_and(|bytes| serde_json::from_slice::<ir::Spec>(&bytes).is_ok())
}
