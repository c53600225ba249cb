//! Compiling one spec and reporting its diagnostics on stderr, and how a command ended: shared by
//! the commands, `gen` and `export` (which the commands call, so this is not in `commands.rs`).

use std::fs;
use std::path::Path;

use sheplang_core::{ColorChoice, Compiled, SourceMap, compile, render_all_styled};

/// How a command ended when it did not fail on I/O.
pub enum Outcome {
    Success,
    SpecErrors,
}

/// Reads and compiles one spec, printing its diagnostics on stderr. `Ok(None)` means the
/// spec has errors (already printed); `Err` is an I/O problem.
pub fn compile_file(path: &Path) -> Result<Option<Compiled>, String> {
    let text =
        fs::read_to_string(path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    Ok(compile_and_report(path.display().to_string(), text))
}

/// Compiles one spec's text, named `name` in messages, printing its warnings or errors on
/// stderr. `None` means the spec has errors (already printed).
pub fn compile_and_report(name: String, text: String) -> Option<Compiled> {
    let mut sources = SourceMap::new();
    let id = sources.add(name, text);
    let result = compile(&sources, id);
    let shown = match &result {
        Ok(compiled) => &compiled.warnings,
        Err(errors) => errors,
    };
    if !shown.is_empty() {
        eprint!("{}", render_all_styled(shown, &sources, stderr_color()));
    }
    result.ok()
}

/// Colour for diagnostics on stderr: rustc's colours on a terminal, plain text when stderr is
/// a file or a pipe, or when `NO_COLOR` is set (<https://no-color.org>) or `TERM=dumb`.
pub fn stderr_color() -> ColorChoice {
    use std::io::IsTerminal as _;
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let dumb = std::env::var_os("TERM").is_some_and(|t| t == "dumb");
    if !no_color && !dumb && std::io::stderr().is_terminal() {
        ColorChoice::Always
    } else {
        ColorChoice::Never
    }
}
