//! Shared by the integration tests: the conformance corpus, `../shared/conformance` beside the
//! repository (CI has it there too). Walking the folders means a spec added there later is
//! covered without a code change.

// Each test crate uses a part of this module.
#![allow(dead_code, reason = "each test crate uses a part of this module")]

use std::fs;
use std::path::{Path, PathBuf};

/// One conformance spec.
pub struct Spec {
    pub path: PathBuf,
    /// The file name without `.shep` (`kitchen-sink`).
    pub stem: String,
    /// The file name (`kitchen-sink.shep`).
    pub name: String,
    pub text: String,
}

/// `../shared/conformance/<kind>`, where `kind` is `accept` or `reject`.
pub fn dir(kind: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/conformance")
        .join(kind)
}

/// Every `.shep` file of `dir(kind)`, sorted by file name. Panics (a test failure) when the
/// folder is missing or empty: a corpus that silently vanished must not pass.
pub fn specs(kind: &str) -> Vec<Spec> {
    let dir = dir(kind);
    let mut out: Vec<Spec> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "shep"))
        .map(|path| {
            let text = fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
            let stem = path
                .file_stem()
                .expect("a file name")
                .to_string_lossy()
                .into_owned();
            let name = path
                .file_name()
                .expect("a file name")
                .to_string_lossy()
                .into_owned();
            Spec {
                path,
                stem,
                name,
                text,
            }
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    assert!(!out.is_empty(), "no specs found in {}", dir.display());
    out
}

/// Fails when `tests/snapshots` holds a `<prefix>__<name>.snap` whose name is not in `names`:
/// a golden whose spec left the corpus must be deleted, not kept as dead weight.
pub fn assert_no_orphan_snapshots(prefix: &str, names: &[String]) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots");
    // A missing folder is a broken path here, not "no orphans".
    let entries =
        fs::read_dir(&dir).unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()));
    for entry in entries {
        let file = entry.expect("a directory entry").file_name();
        let file = file.to_string_lossy();
        if let Some(name) = file
            .strip_prefix(prefix)
            .and_then(|n| n.strip_prefix("__"))
            .and_then(|n| n.strip_suffix(".snap"))
        {
            assert!(
                names.iter().any(|n| n == name),
                "snapshot `{file}` has no spec in {}; delete it",
                dir.display()
            );
        }
    }
}
