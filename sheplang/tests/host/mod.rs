//! Scratch host crates built by a `cargo` subprocess, as a user's crate would be.
//!
//! Each crate lives under Cargo's temporary folder for tests and is its own workspace; it
//! depends on this workspace's crates by absolute path, reuses its `Cargo.lock` and builds
//! `--offline` into one shared target folder, so only the first build of a run is slow.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The workspace root: the nearest folder above this crate that holds `Cargo.lock`.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .find(|dir| dir.join("Cargo.lock").is_file())
        .expect("the workspace root")
        .to_path_buf()
}

/// An empty folder for a scratch crate named `name` (emptied if it exists).
pub fn scratch_crate(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    if dir.exists() {
        std::fs::remove_dir_all(&dir).expect("remove the old scratch crate");
    }
    std::fs::create_dir_all(&dir).expect("create the scratch crate");
    std::fs::copy(workspace().join("Cargo.lock"), dir.join("Cargo.lock")).expect("copy Cargo.lock");
    dir
}

/// Writes a file, creating its folder.
pub fn write(path: &Path, contents: &str) {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("create a folder");
    }
    std::fs::write(path, contents).expect("write a file");
}

/// A manifest depending on `sheplang` (and `sheplang-build` for the build script), plus extra
/// `[dependencies]` and `[build-dependencies]` lines.
pub fn manifest(name: &str, deps: &[&str], build_deps: &[&str]) -> String {
    let root = workspace();
    let path = |krate: &str| root.join(krate).display().to_string().replace('\\', "/");
    let mut out = format!(
        "[package]\nname = \"{name}\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
         [dependencies]\nsheplang = {{ path = \"{}\" }}\n",
        path("sheplang")
    );
    for d in deps {
        out.push_str(d);
        out.push('\n');
    }
    out.push_str(&format!(
        "\n[build-dependencies]\nsheplang-build = {{ path = \"{}\" }}\n",
        path("sheplang-build")
    ));
    for d in build_deps {
        out.push_str(d);
        out.push('\n');
    }
    out.push_str("\n[workspace]\n");
    out
}

/// What a cargo subprocess did.
#[allow(dead_code, reason = "not every test reads every part")]
pub struct Output {
    pub status: std::process::ExitStatus,
    pub stderr: String,
}

/// Runs `cargo <args>` in `dir`, offline, in the shared scratch target folder.
pub fn cargo(dir: &Path, args: &[&str]) -> Output {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("sheplang-host-target");
    let out = Command::new(cargo)
        .arg("--offline")
        .args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", &target)
        .env_remove("RUSTFLAGS")
        .env("CARGO_TERM_COLOR", "never")
        .output()
        .expect("run cargo");
    Output {
        status: out.status,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}
