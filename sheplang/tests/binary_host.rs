//! A binary host crate as a user writes one, built by a `cargo` subprocess:
//!
//! - the spec's module is private, the crate says `#![deny(warnings)]` and uses one generated
//!   struct only: the items it leaves unused do not warn, under rustc and clippy;
//! - its `build.rs` is prost-build's pattern, `fn main() -> Result<(), Box<dyn Error>>` with
//!   `sheplang_build::compile(..)?`: a spec error shows the rendered diagnostic, line by line,
//!   the `-->` line included, not a `Debug` dump on one line.

mod host;

const NAME: &str = "sheplang-binary-host";

const BUILD_RS: &str = r#"fn main() -> Result<(), Box<dyn std::error::Error>> {
    sheplang_build::compile("specs/tasks.shep")?;
    Ok(())
}
"#;

const MAIN_RS: &str = r#"#![deny(warnings)]

mod tasks {
    sheplang::include_spec!("tasks");
}

fn main() {
    let task = tasks::Task {
        id: "t-1".into(),
        title: "Write the guide".into(),
        done: false,
        status: tasks::TaskState::initial(),
    };
    println!("{} {}", task.title, task.done);
}
"#;

const SPEC: &str = "app Tasks {
  data Task {
    fields: {
      title: text required
      done: yes/no default=false
    }
    states: open -> doing -> done
  }
  data User { fields: { name: text } }
}
";

#[test]
fn a_private_module_in_a_binary_crate_and_a_question_mark_build_script() {
    let dir = host::scratch_crate(NAME);
    host::write(&dir.join("Cargo.toml"), &host::manifest(NAME, &[], &[]));
    host::write(&dir.join("build.rs"), BUILD_RS);
    host::write(&dir.join("src/main.rs"), MAIN_RS);
    let spec = dir.join("specs/tasks.shep");
    host::write(&spec, SPEC);

    let clean = host::cargo(&dir, &["clippy", "--all-targets", "--", "-D", "warnings"]);
    assert!(
        clean.status.success(),
        "the generated items of a private module warn (or the crate does not build):\n{}",
        clean.stderr
    );

    host::write(&spec, &SPEC.replace("done: yes/no", "done: boolean"));
    let broken = host::cargo(&dir, &["build"]);
    assert!(
        !broken.status.success(),
        "a spec error did not stop the build"
    );
    let stderr = broken.stderr;
    // `?` in `main` prints `Error: {:?}`: the diagnostic itself, with real line breaks (Cargo
    // indents a build script's output).
    let lines: Vec<&str> = stderr.lines().map(str::trim).collect();
    assert!(
        lines.contains(&"Error: error[E0207]: unknown type `boolean`"),
        "no diagnostic on a line of its own:\n{stderr}"
    );
    assert!(
        lines.contains(&"--> specs/tasks.shep:5:13"),
        "no `-->` line of its own:\n{stderr}"
    );
    assert!(
        lines.contains(&"= help: did you mean `yes/no`?"),
        "no hint line:\n{stderr}"
    );
    assert!(
        !stderr.contains("\\n") && !stderr.contains("kinds:"),
        "a `Debug` dump instead of the diagnostic:\n{stderr}"
    );
}
