//! `sheplang fmt`: writes the canonical layout, `--check` names what is not formatted.

use std::fs;
use std::process::{Command, Output};

fn sheplang(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sheplang"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run sheplang")
}

const MESSY: &str =
    "app A { data Task { fields: { title: text required  done: yes/no } } // tasks\n}\n";
const TIDY: &str = "\
app A {
  data Task {
    fields: {
      title: text required
      done: yes/no
    }
  } // tasks
}
";

#[test]
fn check_names_unformatted_files_and_fmt_fixes_them() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let messy = dir.path().join("messy.shep");
    let tidy = dir.path().join("tidy.shep");
    fs::write(&messy, MESSY).expect("write");
    fs::write(&tidy, TIDY).expect("write");
    let (messy_s, tidy_s) = (
        messy.to_str().expect("utf-8"),
        tidy.to_str().expect("utf-8"),
    );

    let out = sheplang(&["fmt", "--check", messy_s, tidy_s]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.trim(), messy_s, "only the unformatted file is named");
    assert_eq!(
        fs::read_to_string(&messy).expect("read"),
        MESSY,
        "--check writes nothing"
    );

    let out = sheplang(&["fmt", messy_s, tidy_s]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(fs::read_to_string(&messy).expect("read"), TIDY);

    let out = sheplang(&["fmt", "--check", messy_s, tidy_s]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(out.stdout.is_empty());
}

#[test]
fn a_file_with_syntax_errors_is_reported_and_left_alone() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let broken = dir.path().join("broken.shep");
    let text = "app A { data Task { fields: { title: } } }\n";
    fs::write(&broken, text).expect("write");
    let out = sheplang(&["fmt", broken.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("error[E0"), "{stderr}");
    assert!(stderr.contains("was not formatted"), "{stderr}");
    assert_eq!(fs::read_to_string(&broken).expect("read"), text);
}
