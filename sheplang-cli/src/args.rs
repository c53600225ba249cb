//! Command-line parsing, by hand: four commands and a handful of flags need no framework.

use std::path::PathBuf;

pub const USAGE: &str = "\
sheplang: compile-time-checked real-time apps from one spec

Usage:
  sheplang check FILE...                     check specs; warnings and errors on stderr
  sheplang model FILE [--format json|yaml]   print the checked model (IR) on stdout
  sheplang gen FILE... --out DIR [--storage FILE.json] [--history]
                                             write the Rust, TypeScript, SQL and Prisma
                                             artifacts into DIR; --storage names the tables
                                             and columns (docs/wire.md); --history adds the
                                             transition history SQL (docs/language.md)
  sheplang fmt [--check] FILE...             format specs in place; --check lists the files
                                             that are not formatted and changes nothing
  sheplang lsp                               run the language server on stdin and stdout
  sheplang export [--manifest-path PATH] [--package NAME]...
                                             write the TypeScript of the workspace's packages
                                             that have [package.metadata.sheplang]
  sheplang help | --help | --version

Exit status: 0 ok, 1 a spec has errors, 2 usage or I/O error.";

pub const USAGE_HINT: &str = "run `sheplang --help` for usage";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Yaml,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Command {
    Help,
    Version,
    Check {
        files: Vec<PathBuf>,
    },
    Model {
        file: PathBuf,
        format: Format,
    },
    Gen {
        files: Vec<PathBuf>,
        out: PathBuf,
        storage: Option<PathBuf>,
        history: bool,
    },
    Export {
        manifest_path: Option<PathBuf>,
        packages: Vec<String>,
    },
    Fmt {
        files: Vec<PathBuf>,
        check: bool,
    },
    Lsp,
}

pub fn parse(argv: &[String]) -> Result<Command, String> {
    let Some((first, rest)) = argv.split_first() else {
        return Err("no command given".into());
    };
    // `sheplang gen --help` asks for help, not for a file called `--help`.
    if rest
        .iter()
        .take_while(|a| *a != "--")
        .any(|a| a == "--help" || a == "-h")
    {
        return Ok(Command::Help);
    }
    match first.as_str() {
        "help" | "--help" | "-h" => Ok(Command::Help),
        "--version" | "-V" | "version" => Ok(Command::Version),
        "check" => {
            let (files, flags) = split(rest, &[])?;
            if let Some((flag, _)) = flags.first() {
                return Err(format!("unexpected flag `{flag}` for `check`"));
            }
            if files.is_empty() {
                return Err("`check` needs at least one spec file".into());
            }
            Ok(Command::Check { files })
        }
        "model" => {
            let (files, flags) = split(rest, &["--format"])?;
            let [file] = <[PathBuf; 1]>::try_from(files).map_err(|files| {
                format!("`model` takes exactly one spec file, got {}", files.len())
            })?;
            let mut format = Format::Json;
            for (flag, value) in flags {
                match (flag.as_str(), value.as_str()) {
                    ("--format", "json") => format = Format::Json,
                    ("--format", "yaml") => format = Format::Yaml,
                    ("--format", other) => {
                        return Err(format!("unknown format `{other}`: use `json` or `yaml`"));
                    }
                    (other, _) => return Err(format!("unexpected flag `{other}` for `model`")),
                }
            }
            Ok(Command::Model { file, format })
        }
        "gen" => {
            let (files, flags) = split(rest, &["--out", "--storage"])?;
            if files.is_empty() {
                return Err("`gen` needs at least one spec file".into());
            }
            let mut out = None;
            let mut storage = None;
            let mut history = false;
            for (flag, value) in flags {
                match flag.as_str() {
                    "--out" => out = Some(PathBuf::from(value)),
                    "--storage" => storage = Some(PathBuf::from(value)),
                    "--history" if value.is_empty() => history = true,
                    other => return Err(format!("unexpected flag `{other}` for `gen`")),
                }
            }
            let out = out.ok_or("`gen` needs `--out DIR`")?;
            Ok(Command::Gen {
                files,
                out,
                storage,
                history,
            })
        }
        "export" => {
            let (files, flags) = split(rest, &["--manifest-path", "--package"])?;
            if let Some(file) = files.first() {
                return Err(format!(
                    "`export` takes no files, got `{}`: the specs are listed in each package's \
                     `[package.metadata.sheplang]`",
                    file.display()
                ));
            }
            let mut manifest_path = None;
            let mut packages = Vec::new();
            for (flag, value) in flags {
                match flag.as_str() {
                    "--manifest-path" => manifest_path = Some(PathBuf::from(value)),
                    "--package" => packages.push(value),
                    other => return Err(format!("unexpected flag `{other}` for `export`")),
                }
            }
            Ok(Command::Export {
                manifest_path,
                packages,
            })
        }
        "fmt" => {
            let (files, flags) = split(rest, &[])?;
            let mut check = false;
            for (flag, _) in flags {
                match flag.as_str() {
                    "--check" => check = true,
                    other => return Err(format!("unexpected flag `{other}` for `fmt`")),
                }
            }
            if files.is_empty() {
                return Err("`fmt` needs at least one spec file".into());
            }
            Ok(Command::Fmt { files, check })
        }
        "lsp" => {
            // Editors may pass `--stdio`; stdio is the only transport.
            match rest.iter().find(|a| *a != "--stdio") {
                Some(other) => Err(format!(
                    "unexpected argument `{other}` for `lsp`: the server speaks on stdin and stdout"
                )),
                None => Ok(Command::Lsp),
            }
        }
        other if other.starts_with('-') => Err(format!("unknown flag `{other}`")),
        other => Err(format!(
            "unknown command `{other}`: the commands are `check`, `model`, `gen`, `export`, `fmt` \
             and `lsp`"
        )),
    }
}

/// `--flag value` pairs, in order.
type Flags = Vec<(String, String)>;

/// Splits arguments into positional paths and `--flag value` pairs (also `--flag=value`).
/// `takes_value` lists the flags that take a value; any other flag is returned with an empty value
/// for the caller to reject by name.
fn split(args: &[String], takes_value: &[&str]) -> Result<(Vec<PathBuf>, Flags), String> {
    let mut files = Vec::new();
    let mut flags = Vec::new();
    let mut iter = args.iter();
    let mut only_files = false;
    while let Some(arg) = iter.next() {
        if only_files || !arg.starts_with("--") {
            files.push(PathBuf::from(arg));
        } else if arg == "--" {
            only_files = true;
        } else if let Some((flag, value)) = arg.split_once('=') {
            flags.push((flag.to_owned(), value.to_owned()));
        } else if takes_value.contains(&arg.as_str()) {
            let value = iter
                .next()
                .ok_or_else(|| format!("`{arg}` needs a value"))?;
            flags.push((arg.clone(), value.clone()));
        } else {
            flags.push((arg.clone(), String::new()));
        }
    }
    Ok((files, flags))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn parses_commands() {
        assert_eq!(
            parse(&argv("check a.shep b.shep")),
            Ok(Command::Check {
                files: vec!["a.shep".into(), "b.shep".into()]
            })
        );
        assert_eq!(
            parse(&argv("model a.shep --format yaml")),
            Ok(Command::Model {
                file: "a.shep".into(),
                format: Format::Yaml
            })
        );
        assert_eq!(
            parse(&argv("gen a.shep --out=dir")),
            Ok(Command::Gen {
                files: vec!["a.shep".into()],
                out: "dir".into(),
                storage: None,
                history: false,
            })
        );
        assert_eq!(
            parse(&argv("gen a.shep --storage names.json --out dir")),
            Ok(Command::Gen {
                files: vec!["a.shep".into()],
                out: "dir".into(),
                storage: Some("names.json".into()),
                history: false,
            })
        );
        assert_eq!(
            parse(&argv("gen a.shep --history --out dir")),
            Ok(Command::Gen {
                files: vec!["a.shep".into()],
                out: "dir".into(),
                storage: None,
                history: true,
            })
        );
    }

    #[test]
    fn parses_fmt_and_lsp() {
        assert_eq!(
            parse(&argv("fmt --check a.shep b.shep")),
            Ok(Command::Fmt {
                files: vec!["a.shep".into(), "b.shep".into()],
                check: true
            })
        );
        assert_eq!(parse(&argv("lsp")), Ok(Command::Lsp));
        assert_eq!(parse(&argv("lsp --stdio")), Ok(Command::Lsp));
    }

    #[test]
    fn parses_export() {
        assert_eq!(
            parse(&argv(
                "export --manifest-path ws/Cargo.toml --package a --package=b"
            )),
            Ok(Command::Export {
                manifest_path: Some("ws/Cargo.toml".into()),
                packages: vec!["a".into(), "b".into()],
            })
        );
    }

    #[test]
    fn help_anywhere_is_help() {
        assert_eq!(parse(&argv("export --help")), Ok(Command::Help));
        assert_eq!(parse(&argv("gen a.shep -h")), Ok(Command::Help));
        assert_eq!(
            parse(&argv("check -- --help")),
            Ok(Command::Check {
                files: vec!["--help".into()]
            })
        );
    }

    #[test]
    fn rejects_bad_usage() {
        assert!(parse(&argv("")).is_err());
        assert!(parse(&argv("check")).is_err());
        assert!(parse(&argv("check --fast a.shep")).is_err());
        assert!(parse(&argv("model a.shep --format xml")).is_err());
        assert!(parse(&argv("model a.shep b.shep")).is_err());
        assert!(parse(&argv("gen a.shep")).is_err());
        assert!(parse(&argv("gen a.shep --out")).is_err());
        assert!(parse(&argv("frobnicate")).is_err());
        assert!(parse(&argv("export a.shep")).is_err());
        assert!(parse(&argv("export --out dir")).is_err());
        assert!(parse(&argv("fmt")).is_err());
        assert!(parse(&argv("fmt --write a.shep")).is_err());
        assert!(parse(&argv("lsp a.shep")).is_err());
    }
}
