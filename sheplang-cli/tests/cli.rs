//! The `sheplang` binary as a user runs it: the corpora, exit codes, and output.

#[path = "../../sheplang-core/tests/common/mod.rs"]
mod common;

use std::path::PathBuf;
use std::process::{Command, Output};

use common::Origin;

fn sheplang(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sheplang"))
        .args(args)
        .output()
        .expect("the binary runs")
}

/// A spec of the project corpus, `corpus/accept/<name>`.
fn accepted(name: &str) -> PathBuf {
    let path = common::project_dir("accept").join(name);
    assert!(path.is_file(), "{} is missing", path.display());
    path
}

/// The lines of every `error[...]` diagnostic's `--> file:line:col` in rendered output.
fn error_lines(stderr: &str) -> Vec<usize> {
    let mut lines = Vec::new();
    let mut in_error = false;
    for line in stderr.lines() {
        if line.starts_with("error[") {
            in_error = true;
        } else if line.starts_with("warning[") {
            in_error = false;
        } else if let Some(loc) = line.trim_start().strip_prefix("--> ")
            && in_error
        {
            let mut parts = loc.rsplitn(3, ':');
            let _col = parts.next();
            if let Some(n) = parts.next().and_then(|l| l.parse().ok()) {
                lines.push(n);
            }
            in_error = false;
        }
    }
    lines
}

#[test]
fn every_accepted_spec_checks() {
    for spec in common::specs("accept") {
        let spec = spec.path;
        let out = sheplang(&["check", spec.to_str().unwrap()]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{} should compile:\n{stderr}",
            spec.display()
        );
        assert!(!stderr.contains("error["), "{}:\n{stderr}", spec.display());
    }
}

/// The line of the real problem in each known shared reject spec. A spec added to that folder
/// later is still checked to fail with at least one located error. The project corpus's specs
/// state their line in their header.
const REJECT_LINES: &[(&str, usize)] = &[
    ("bobascript-component.shep", 1),
    ("hash-comments.shep", 34),
    ("statemachine-block.shep", 9),
    ("status-block-instead-of-states.shep", 7),
    ("unquoted-job-time.shep", 3),
    ("unresolved-view.shep", 31),
];

#[test]
fn every_rejected_spec_fails_on_the_right_line() {
    for spec in common::specs("reject") {
        let expected = match spec.origin {
            Origin::Project => spec.expectations().first().map(|e| e.line),
            Origin::Shared => REJECT_LINES
                .iter()
                .find(|(n, _)| *n == spec.name)
                .map(|(_, line)| *line),
        };
        let spec = spec.path;
        let out = sheplang(&["check", spec.to_str().unwrap()]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{} should be rejected:\n{stderr}",
            spec.display()
        );
        let lines = error_lines(&stderr);
        assert!(
            !lines.is_empty(),
            "{}: no located error in:\n{stderr}",
            spec.display()
        );
        let name = spec.file_name().unwrap().to_str().unwrap();
        if let Some(line) = expected {
            assert_eq!(
                lines[0], line,
                "{name}: first error should be on line {line}:\n{stderr}"
            );
        }
    }
}

#[test]
fn warnings_do_not_fail_check() {
    let spec = accepted("braces-warnings.shep");
    let out = sheplang(&["check", spec.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    for code in ["W0001", "W0002", "W0003", "W0004", "W0005"] {
        assert!(
            stderr.contains(&format!("warning[{code}]")),
            "expected a {code} warning:\n{stderr}"
        );
    }
    assert!(!stderr.contains("error["), "{stderr}");
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &[][..],
        &["frobnicate"],
        &["check"],
        &["check", "/no/such/file.shep"],
        &["model", "a", "--format", "xml"],
    ] {
        let out = sheplang(args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "args {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(String::from_utf8_lossy(&out.stderr).starts_with("error: "));
    }
}

#[test]
fn model_prints_the_ir_as_json_and_yaml() {
    let spec = accepted("braces-library.shep");
    let json = sheplang(&["model", spec.to_str().unwrap()]);
    assert_eq!(
        json.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&json.stderr)
    );
    let value: serde_json::Value = serde_json::from_slice(&json.stdout).expect("valid JSON");
    assert_eq!(value["app"], "Library");
    assert_eq!(value["models"][1]["name"], "Book");
    assert_eq!(value["models"][1]["channel"], "book");
    assert_eq!(value["models"][1]["states"]["states"][0], "available");
    assert_eq!(value["models"][1]["fields"][9]["name"], "donor");
    assert_eq!(value["models"][1]["fields"][9]["type"]["kind"], "ref");
    assert_eq!(value["models"][1]["fields"][9]["type"]["model"], "Member");
    // The keys the README's IR table documents, no more and no fewer.
    let keys = |v: &serde_json::Value| -> Vec<String> {
        let mut k: Vec<String> = v.as_object().expect("an object").keys().cloned().collect();
        k.sort();
        k
    };
    assert_eq!(
        keys(&value),
        [
            "actions",
            "app",
            "fingerprint",
            "flows",
            "jobs",
            "models",
            "views",
            "workflows"
        ]
    );
    assert_eq!(
        keys(&value["models"][1]),
        [
            "channel",
            "fields",
            "id_declared",
            "name",
            "rules",
            "states"
        ]
    );
    assert_eq!(
        keys(&value["models"][1]["fields"][0]),
        [
            "constraints",
            "default",
            "list",
            "name",
            "optional",
            "required",
            "type",
            "unique"
        ]
    );
    assert_eq!(
        keys(&value["models"][1]["fields"][0]["constraints"]),
        ["email", "max", "max_length", "min", "min_length", "pattern"]
    );
    assert_eq!(value["fingerprint"].as_str().map(str::len), Some(16));

    let yaml = sheplang(&["model", spec.to_str().unwrap(), "--format", "yaml"]);
    assert_eq!(yaml.status.code(), Some(0));
    let text = String::from_utf8(yaml.stdout).unwrap();
    assert!(text.contains("app: Library"), "{text}");
    assert!(text.contains("channel: book"), "{text}");
}

#[test]
fn gen_writes_artifacts_only_when_they_change() {
    let spec = accepted("indent-library.shep");
    let out = std::env::temp_dir().join(format!("sheplang-cli-gen-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let run = sheplang(&[
        "gen",
        spec.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let rust = out.join("indent-library.rs");
    let first = std::fs::read_to_string(&rust).expect("the Rust module is written");
    assert!(first.contains("@generated"));
    let stamp = std::fs::metadata(&rust).unwrap().modified().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    let again = sheplang(&[
        "gen",
        spec.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(again.status.code(), Some(0));
    assert_eq!(
        std::fs::metadata(&rust).unwrap().modified().unwrap(),
        stamp,
        "unchanged output was rewritten"
    );
    let _ = std::fs::remove_dir_all(&out);
}
