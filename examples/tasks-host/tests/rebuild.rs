//! Cargo reruns the build script exactly when a spec changes, a spec's warnings show up as
//! Cargo warnings, and a host that no longer matches its spec fails `cargo build`.
//!
//! A copy of this crate is built by `cargo build -v` subprocesses (offline, in a shared scratch
//! target folder). `-v` prints `Running `.../build-script-build`` when the build script runs and
//! `Fresh <crate>` when nothing needs doing.

#[path = "../../../sheplang/tests/host/mod.rs"]
mod host;

use std::path::Path;

const NAME: &str = "tasks-host-copy";

fn copy_crate() -> std::path::PathBuf {
    let me = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = host::scratch_crate(NAME);
    for file in [
        "build.rs",
        "src/lib.rs",
        "specs/tasks.shep",
        "specs/billing.shep",
    ] {
        let text = std::fs::read_to_string(me.join(file)).expect("a file of the example");
        host::write(&dir.join(file), &text);
    }
    host::write(&dir.join("Cargo.toml"), &host::manifest(NAME, &[], &[]));
    dir
}

struct Build {
    ok: bool,
    ran_build_script: bool,
    fresh: bool,
    stderr: String,
}

fn build(dir: &Path) -> Build {
    let out = host::cargo(dir, &["build", "-v"]);
    let ran_build_script = out
        .stderr
        .lines()
        .any(|l| l.contains("Running") && l.contains("build-script-build") && l.contains(NAME));
    Build {
        ok: out.status.success(),
        ran_build_script,
        fresh: out.stderr.contains(&format!("Fresh {NAME}")),
        stderr: out.stderr,
    }
}

fn edit(path: &Path, f: impl FnOnce(String) -> String) {
    let text = std::fs::read_to_string(path).expect("read");
    std::fs::write(path, f(text)).expect("write");
}

#[test]
fn build_script_reruns_only_when_a_spec_changes() {
    let dir = copy_crate();
    let spec = dir.join("specs/tasks.shep");

    let first = build(&dir);
    assert!(first.ok, "the first build fails:\n{}", first.stderr);
    assert!(first.ran_build_script, "{}", first.stderr);

    let second = build(&dir);
    assert!(second.ok, "{}", second.stderr);
    assert!(
        !second.ran_build_script && second.fresh,
        "an unchanged crate reran its build script:\n{}",
        second.stderr
    );

    // Another source file of the crate changes: the crate recompiles, the script does not rerun.
    edit(&dir.join("src/lib.rs"), |t| t + "\n// an unrelated edit\n");
    let third = build(&dir);
    assert!(third.ok, "{}", third.stderr);
    assert!(
        !third.ran_build_script,
        "editing src/lib.rs reran the build script:\n{}",
        third.stderr
    );

    // The spec gains a field and the host uses it: the script reruns and the build passes.
    edit(&spec, |t| {
        t.replacen(
            "isAdmin: yes/no default=false",
            "isAdmin: yes/no default=false\n      nickname: text optional min=3",
            1,
        )
    });
    edit(&dir.join("src/lib.rs"), |t| {
        t + "\n/// Uses the new field.\npub fn nickname(user: &tasks::User) -> Option<&str> {\n    user.nickname.as_deref()\n}\n"
    });
    let fourth = build(&dir);
    assert!(fourth.ok, "the new field is not there:\n{}", fourth.stderr);
    assert!(fourth.ran_build_script, "{}", fourth.stderr);
    // The spec's warning (`min` on a text field) reaches Cargo's output as a warning.
    assert!(
        fourth
            .stderr
            .contains("warning[W0001]: `min` does not apply to the `text` field `nickname`"),
        "{}",
        fourth.stderr
    );

    // The spec loses the field the host uses: `cargo build` fails on the host's code.
    edit(&spec, |t| {
        t.replacen("\n      nickname: text optional min=3", "", 1)
    });
    let fifth = build(&dir);
    assert!(!fifth.ok, "a host that no longer matches its spec built");
    assert!(fifth.ran_build_script);
    assert!(
        fifth.stderr.contains("no field `nickname`"),
        "{}",
        fifth.stderr
    );

    // A spec error stops the build with the rendered diagnostic, not a panic.
    edit(&spec, |t| {
        t.replacen("ref[User] optional", "ref[Usr] optional", 1)
    });
    let sixth = build(&dir);
    assert!(!sixth.ok);
    assert!(
        sixth.stderr.contains("--> specs/tasks.shep:"),
        "no rendered diagnostic:\n{}",
        sixth.stderr
    );
    assert!(sixth.stderr.contains("error["), "{}", sixth.stderr);
    assert!(!sixth.stderr.contains("panicked"), "{}", sixth.stderr);
}
