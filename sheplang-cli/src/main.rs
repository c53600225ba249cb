//! `sheplang`: check specs, print their model, generate their artifacts.
//!
//! Exit codes: 0 success (warnings may be printed), 1 a spec has errors, 2 a usage error
//! (a bad flag, a missing file, an output folder that cannot be written).

mod args;
mod commands;
mod export;
mod generate;
mod lsp;
mod report;
mod stale;

use std::process::ExitCode;

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let command = match args::parse(&argv) {
        Ok(command) => command,
        Err(message) => {
            eprintln!("error: {message}\n\n{}", args::USAGE_HINT);
            return ExitCode::from(2);
        }
    };
    match commands::run(command) {
        Ok(report::Outcome::Success) => ExitCode::SUCCESS,
        Ok(report::Outcome::SpecErrors) => ExitCode::from(1),
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}
