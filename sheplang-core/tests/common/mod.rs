//! The spec corpora the tests walk. Shared by the integration tests of this crate and, through
//! `#[path]`, by the CLI's and the facade's tests and by the benchmark.
//!
//! - The project's own corpus, `<repo>/corpus/{accept,reject}` (see `corpus/README.md`): always.
//! - The shared conformance corpus, `<repo>/../shared/conformance/{accept,reject}`, beside the
//!   repository (CI has it there): when that folder exists. When it does not, the first call
//!   prints one line saying so, and the tests go on with the project corpus.
//!
//! Walking the folders means a spec added to either later is covered without a code change.

// Each test crate uses a part of this module.
#![allow(dead_code, reason = "each test crate uses a part of this module")]

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Once;

/// Where a spec comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// `<repo>/corpus/`.
    Project,
    /// `<repo>/../shared/conformance/`.
    Shared,
}

/// One spec of a corpus.
pub struct Spec {
    pub origin: Origin,
    pub path: PathBuf,
    /// The file name without `.shep` (`kitchen-sink`).
    pub stem: String,
    /// The file name (`kitchen-sink.shep`).
    pub name: String,
    pub text: String,
}

/// One `// expect: CODE at line N` line of a project spec's header.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Expect {
    pub code: String,
    pub line: usize,
}

impl Spec {
    /// The name of its golden snapshots: `corpus-<stem>` for a project spec (so the two
    /// corpora never share a snapshot), the stem for a shared one.
    pub fn snapshot(&self) -> String {
        match self.origin {
            Origin::Project => format!("corpus-{}", self.stem),
            Origin::Shared => self.stem.clone(),
        }
    }

    /// The `// expect: CODE at line N` lines at the top of the file (see `corpus/README.md`).
    /// Panics on a malformed one: a typo must not silently drop an expectation.
    pub fn expectations(&self) -> Vec<Expect> {
        let mut out = Vec::new();
        for line in self.text.lines() {
            let Some(rest) = line.trim().strip_prefix("// expect:") else {
                break;
            };
            let parsed = rest.trim().split_once(" at line ").and_then(|(code, n)| {
                let code = code.trim();
                let valid = code.len() == 5
                    && code.starts_with(['E', 'W'])
                    && code[1..].bytes().all(|b| b.is_ascii_digit());
                Some(Expect {
                    code: valid.then(|| code.to_owned())?,
                    line: n.trim().parse().ok()?,
                })
            });
            match parsed {
                Some(e) => out.push(e),
                None => panic!(
                    "{}: malformed header line `{line}`; write `// expect: E0207 at line 5`",
                    self.path.display()
                ),
            }
        }
        out
    }
}

/// The repository's root: the parent of every crate's folder.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("a crate folder has a parent")
        .to_path_buf()
}

/// `<repo>/corpus/<kind>`, where `kind` is `accept` or `reject`.
pub fn project_dir(kind: &str) -> PathBuf {
    repo_root().join("corpus").join(kind)
}

/// `<repo>/../shared/conformance`, whether or not it exists.
pub fn shared_root() -> PathBuf {
    repo_root().join("../shared/conformance")
}

/// Whether the shared conformance corpus is there. When it is not, says so once a process,
/// on the real stderr (past the test harness's capture, so a run shows it).
pub fn shared_present() -> bool {
    static NOTE: Once = Once::new();
    let root = shared_root();
    let present = root.is_dir();
    if !present {
        NOTE.call_once(|| {
            let _ = writeln!(
                std::io::stderr(),
                "note: {} not found; walking the project corpus only",
                root.display()
            );
        });
    }
    present
}

/// Every `.shep` file of `dir`, sorted by file name. Panics (a test failure) when the folder
/// is missing or empty: a corpus that silently vanished must not pass.
fn read_dir(origin: Origin, dir: &Path) -> Vec<Spec> {
    let mut out: Vec<Spec> = fs::read_dir(dir)
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
                origin,
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

/// The project corpus's specs of `kind` (`accept` or `reject`).
pub fn project_specs(kind: &str) -> Vec<Spec> {
    read_dir(Origin::Project, &project_dir(kind))
}

/// The shared corpus's specs of `kind`; none (and the note) when it is not there.
pub fn shared_specs(kind: &str) -> Vec<Spec> {
    if shared_present() {
        read_dir(Origin::Shared, &shared_root().join(kind))
    } else {
        Vec::new()
    }
}

/// Every spec of `kind`: the project corpus's, then the shared corpus's when it is there.
pub fn specs(kind: &str) -> Vec<Spec> {
    let mut out = project_specs(kind);
    out.extend(shared_specs(kind));
    out
}

/// Fails when `tests/snapshots` holds a `<prefix>__<name>.snap` whose name is not in `names`:
/// a golden whose spec left the corpus must be deleted, not kept as dead weight. A shared
/// spec's snapshot is judged only when the shared corpus is there to judge it by.
pub fn assert_no_orphan_snapshots(prefix: &str, names: &[String]) {
    let judge_shared = shared_present();
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
            if !judge_shared && !name.starts_with("corpus-") {
                continue;
            }
            assert!(
                names.iter().any(|n| n == name),
                "snapshot `{file}` has no spec in a corpus; delete it ({})",
                dir.display()
            );
        }
    }
}
