//! `make-spec [--models N] [--floor]`: prints the benchmark spec (default 1,000 models), or with
//! `--floor` the hand-written serde rows for it, on stdout. The same arguments give the same bytes.

use std::io::Write as _;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut models = 1_000;
    let mut floor = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--floor" => floor = true,
            "--models" => match args.next().and_then(|n| n.parse().ok()) {
                Some(n) if n > 0 => models = n,
                _ => {
                    eprintln!(
                        "error: `--models` takes a positive whole number\nhelp: `make-spec --models 1000`"
                    );
                    return ExitCode::from(2);
                }
            },
            other => {
                eprintln!(
                    "error: unknown argument `{other}`\nhelp: `make-spec [--models N] [--floor]`"
                );
                return ExitCode::from(2);
            }
        }
    }
    let text = if floor {
        sheplang_bench_gen::serde_floor(models)
    } else {
        sheplang_bench_gen::big_spec(models)
    };
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: cannot write the output: {e}\nhelp: redirect it to a file");
            ExitCode::FAILURE
        }
    }
}
