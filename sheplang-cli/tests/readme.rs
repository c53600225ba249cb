//! The README's promises about the CLI, replayed: its `console` session prints exactly what the
//! binary prints, and every spec it shows compiles.

use std::path::Path;
use std::process::Command;

fn readme() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// The fenced blocks of a Markdown text, as (info string, body).
fn blocks(markdown: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut lines = markdown.lines();
    while let Some(line) = lines.next() {
        if let Some(info) = line.strip_prefix("```") {
            let body: Vec<&str> = lines
                .by_ref()
                .take_while(|l| !l.starts_with("```"))
                .collect();
            out.push((info.trim().to_owned(), body.join("\n") + "\n"));
        }
    }
    out
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("sheplang-readme-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a temporary folder");
    dir
}

#[test]
fn the_console_session_is_what_the_tool_prints() {
    let sessions: Vec<String> = blocks(&readme())
        .into_iter()
        .filter(|(info, _)| info == "console")
        .map(|(_, body)| body)
        .collect();
    assert_eq!(
        sessions.len(),
        1,
        "expected one `console` block in the README"
    );
    let session = &sessions[0];
    let (spec, rest) = session
        .strip_prefix("$ cat app.shep\n")
        .and_then(|s| s.split_once("$ sheplang check app.shep\n"))
        .expect("the session shows `$ cat app.shep`, then `$ sheplang check app.shep`");

    let dir = temp_dir("console");
    std::fs::write(dir.join("app.shep"), spec).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_sheplang"))
        .args(["check", "app.shep"])
        .current_dir(&dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("the binary runs");
    assert_eq!(
        out.status.code(),
        Some(1),
        "the session shows a failing check"
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        rest,
        "README session is stale"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn every_spec_shown_compiles() {
    let specs: Vec<String> = blocks(&readme())
        .into_iter()
        .filter(|(info, body)| info == "text" && body.starts_with("app "))
        .map(|(_, body)| body)
        .collect();
    assert!(
        specs.len() >= 2,
        "the README shows specs; found {}",
        specs.len()
    );
    let dir = temp_dir("specs");
    for (i, spec) in specs.iter().enumerate() {
        let file = dir.join(format!("spec{i}.shep"));
        std::fs::write(&file, spec).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_sheplang"))
            .arg("check")
            .arg(&file)
            .output()
            .expect("the binary runs");
        assert_eq!(
            out.status.code(),
            Some(0),
            "README spec {i} does not compile:\n{spec}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
