//! The commands. Reading files and printing belong here; compiling belongs to the core.

use std::fs;
use std::io::Write as _;

use sheplang_core::{SourceMap, render_all_styled};

use crate::args::{Command, Format, USAGE};
use crate::report::{Outcome, compile_file, stderr_color};

pub fn run(command: Command) -> Result<Outcome, String> {
    match command {
        Command::Help => {
            println!("{USAGE}");
            Ok(Outcome::Success)
        }
        Command::Version => {
            println!("sheplang {}", env!("CARGO_PKG_VERSION"));
            Ok(Outcome::Success)
        }
        Command::Check { files } => {
            let mut failed = false;
            for file in &files {
                failed |= compile_file(file)?.is_none();
            }
            Ok(if failed {
                Outcome::SpecErrors
            } else {
                Outcome::Success
            })
        }
        Command::Model { file, format } => {
            let Some(compiled) = compile_file(&file)? else {
                return Ok(Outcome::SpecErrors);
            };
            let text = match format {
                Format::Json => {
                    serde_json::to_string_pretty(&compiled.spec).map_err(|e| e.to_string())? + "\n"
                }
                Format::Yaml => {
                    serde_saphyr::to_string(&compiled.spec).map_err(|e| e.to_string())?
                }
            };
            let mut stdout = std::io::stdout().lock();
            // A closed pipe (`| head`) is not an error worth reporting.
            let _ = stdout.write_all(text.as_bytes());
            Ok(Outcome::Success)
        }
        Command::Export {
            manifest_path,
            packages,
        } => crate::export::run(manifest_path.as_deref(), &packages),
        Command::Gen {
            files,
            out,
            storage,
            history,
        } => crate::generate::run(&files, &out, storage.as_deref(), history),
        Command::Fmt { files, check } => fmt(&files, check),
        Command::Lsp => crate::lsp::run().map(|()| Outcome::Success),
    }
}

/// `sheplang fmt`: formats each file in place (written only when its bytes change), or with
/// `check` lists the files that are not formatted. A file with syntax errors is reported and
/// left alone.
fn fmt(files: &[std::path::PathBuf], check: bool) -> Result<Outcome, String> {
    let mut failed = false;
    for path in files {
        let text = fs::read_to_string(path)
            .map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
        let mut sources = SourceMap::new();
        let id = sources.add(path.display().to_string(), text);
        let formatted = match sheplang_core::format::format_file(&sources, id) {
            Ok(formatted) => formatted,
            Err(sheplang_core::format::FormatError::Syntax(diags)) => {
                eprint!("{}", render_all_styled(&diags, &sources, stderr_color()));
                eprintln!(
                    "error: `{}` was not formatted: fix its syntax errors first",
                    path.display()
                );
                failed = true;
                continue;
            }
            Err(e) => {
                eprintln!("error: `{}`: {e}", path.display());
                failed = true;
                continue;
            }
        };
        if formatted == sources.get(id).text() {
            continue;
        }
        if check {
            println!("{}", path.display());
            eprintln!(
                "`{}` is not formatted: run `sheplang fmt {}`",
                path.display(),
                path.display()
            );
            failed = true;
        } else {
            fs::write(path, formatted)
                .map_err(|e| format!("cannot write `{}`: {e}", path.display()))?;
            eprintln!("formatted `{}`", path.display());
        }
    }
    Ok(if failed {
        Outcome::SpecErrors
    } else {
        Outcome::Success
    })
}
