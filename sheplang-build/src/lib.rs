//! Compile ShepLang specs from `build.rs`: Rust types, TypeScript artifacts and the IR, written
//! into `OUT_DIR`, so that a host crate that no longer matches its spec fails `cargo build`.
//!
//! # Walkthrough
//!
//! `Cargo.toml` of the host crate:
//!
//! (Nothing is on crates.io: these are path dependencies into a clone of the repository beside
//! the crate; `git = "<the repository's URL>"` in place of `path` works too.)
//!
//! ```toml
//! [dependencies]
//! sheplang = { path = "../sheplang/sheplang" }
//!
//! [build-dependencies]
//! sheplang-build = { path = "../sheplang/sheplang-build" }
//! ```
//!
//! `build.rs`: one call. On a spec error it prints rustc-style diagnostics and stops the build
//! (exit code 1, no panic backtrace); warnings become `cargo:warning=` lines:
//!
//! ```no_run
//! fn main() {
//!     sheplang_build::compile_or_exit("specs/app.shep");
//! }
//! ```
//!
//! The generated module is `$OUT_DIR/sheplang/app.rs`, named after the spec's file stem; include
//! it with `sheplang::include_spec!`:
//!
//! ```ignore
//! pub mod app {
//!     sheplang::include_spec!("app");
//! }
//! ```
//!
//! Cargo reruns the build script only when a spec changes: each spec read is announced with
//! `cargo:rerun-if-changed`, and a file is written only when its bytes change, so an unchanged
//! spec never triggers a rebuild of the host crate.
//!
//! With options, the same in builder form (one setter style: each takes and returns the
//! builder by value):
//!
//! ```no_run
//! fn main() {
//!     sheplang_build::configure()
//!         .emit_typescript(false)
//!         .compile_or_exit(&["specs/app.shep", "specs/admin.shep"]);
//! }
//! ```
//!
//! # What the Rust module holds
//!
//! By default: `Spec`, `Channel`, `ModelName`, a row struct per model and a `<Model>State`
//! enum per lifecycle, documented. Two kinds of item a host asks for when it uses them, as
//! on a big spec they are half the module's compile time: the typed filters
//! ([`Builder::emit_filters`]: `TaskFilter`) and the protocol enums
//! ([`Builder::emit_protocol_enums`]: `ServerToClient`, `ClientToServer`).
//! [`Builder::emit_docs`] and [`Builder::emit_state_enums`] leave out the rest.
//!
//! # Output layout
//!
//! For a spec `specs/app.shep`, in the output folder (`$OUT_DIR/sheplang` unless
//! [`Builder::out_dir`] says otherwise):
//!
//! | file | what |
//! |---|---|
//! | `app.rs` | the Rust module, for `sheplang::include_spec!("app")` |
//! | `app.ir.json` | the checked IR as JSON (what `sheplang-macros` reads to check host structs) |
//! | `app/ts/...` | the browser half of the TypeScript (`types.ts`, `contexts/RealtimeContext.tsx`, `hooks/use<Model>Realtime.ts`) |
//! | `app/ts-server/...` | the server half (`types.ts`, `api/realtime/server.ts`, the Prisma extension `api/realtime/middleware.ts`) |
//! | `app.sqlite.sql`, `app.postgres.sql` | the tables of the spec's models (`CREATE TABLE`), for SQLite and PostgreSQL |
//! | `app.capture.sqlite.sql`, `app.capture.postgres.sql` | change capture: triggers that record every committed write of a model's table in the change table, which a database-backed event log relays (`docs/capture.md`) |
//! | `app.history.sqlite.sql`, `app.history.postgres.sql` | only with [`Builder::emit_history`]: per model with `states:`, the transition history table and the trigger that fills it |
//! | `app/prisma/sqlite/schema.prisma`, `app/prisma/postgres/schema.prisma` | the same models for Prisma, on those tables |
//!
//! # The tables as a migration
//!
//! The SQL holds the spec's constraints as the database's own (`NOT NULL`, `UNIQUE`, `CHECK`
//! for lengths and bounds, foreign keys, defaults; docs/wire.md has the mapping). Run it once
//! on a new database, for instance when SQLite's `PRAGMA user_version` is 0:
//!
//! ```ignore
//! const TABLES: &str = include_str!(concat!(env!("OUT_DIR"), "/sheplang/app.sqlite.sql"));
//! ```
//!
//! For an existing database, [`Builder::storage`] names the tables and columns and gives a
//! model an integer id:
//!
//! ```no_run
//! use sheplang_build::Storage;
//!
//! fn main() {
//!     sheplang_build::configure()
//!         .storage(
//!             Storage::new()
//!                 .table("Task", "task")
//!                 .column("Task", "createdAt", "created_at")
//!                 .integer_id("Task"),
//!         )
//!         .compile_or_exit(&["specs/app.shep"]);
//! }
//! ```
//!
//! [`write_artifacts`] writes that layout into any folder (the `sheplang gen --out` command
//! uses it), and [`write_if_changed`] is the primitive under both.

#![allow(
    clippy::needless_doctest_main,
    reason = "the examples are build scripts, shown whole with their `fn main`"
)]

use std::fmt;
use std::io;
use std::path::{Component, Path, PathBuf};

use sheplang_core::codegen::sql::Dialect;
use sheplang_core::codegen::{self, capture, history, prisma, sql, typescript};
use sheplang_core::{Compiled, SourceMap, ir};

pub use sheplang_core::codegen::storage::{IdKind, ModelStorage, Storage};

/// Compiles one spec with the default options: the shortcut for
/// `configure().compile(&[spec])`.
///
/// A relative path is relative to the crate's root (`CARGO_MANIFEST_DIR`).
///
/// ```no_run
/// fn main() {
///     if let Err(e) = sheplang_build::compile("specs/app.shep") {
///         eprintln!("{e}");
///         std::process::exit(1);
///     }
/// }
/// ```
///
/// [`compile_or_exit`] does exactly that.
///
/// # Errors
/// See [`Builder::compile`].
pub fn compile(spec: impl AsRef<Path>) -> Result<(), Error> {
    configure().compile(&[spec])
}

/// Compiles one spec with the default options; on any error, prints it on stderr (the
/// rustc-style diagnostics of the spec) and exits the build script with code 1.
pub fn compile_or_exit(spec: impl AsRef<Path>) {
    configure().compile_or_exit(&[spec]);
}

/// A [`Builder`] with the default options.
pub fn configure() -> Builder {
    Builder::default()
}

/// Options for compiling specs. Each setter takes the builder by value and returns it.
#[derive(Debug, Clone)]
pub struct Builder {
    out_dir: Option<PathBuf>,
    emit_rust: bool,
    emit_typescript: bool,
    emit_ir: bool,
    emit_sql: bool,
    emit_prisma: bool,
    emit_history: bool,
    emit_rerun_if_changed: bool,
    emit_warnings: bool,
    storage: Storage,
    rust: codegen::rust::Options,
    pretty_ir: bool,
}

impl Default for Builder {
    fn default() -> Self {
        Builder {
            out_dir: None,
            emit_rust: true,
            emit_typescript: true,
            emit_ir: true,
            emit_sql: true,
            emit_prisma: true,
            emit_history: false,
            emit_rerun_if_changed: true,
            emit_warnings: true,
            storage: Storage::new(),
            rust: codegen::rust::Options::build_default(),
            pretty_ir: false,
        }
    }
}

impl Builder {
    /// The folder that receives `<stem>.rs`, `<stem>.ir.json`, `<stem>/ts/` and
    /// `<stem>/ts-server/`. Default:
    /// `$OUT_DIR/sheplang`, where `sheplang::include_spec!` looks. Nothing is ever written
    /// outside it.
    pub fn out_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.out_dir = Some(dir.into());
        self
    }

    /// Whether to write the Rust module `<stem>.rs` (default `true`).
    pub fn emit_rust(mut self, yes: bool) -> Self {
        self.emit_rust = yes;
        self
    }

    /// Whether to write the TypeScript artifacts under `<stem>/ts/` and `<stem>/ts-server/`
    /// (default `true`).
    pub fn emit_typescript(mut self, yes: bool) -> Self {
        self.emit_typescript = yes;
        self
    }

    /// Whether to write the IR as `<stem>.ir.json` (default `true`; the host-struct checks of
    /// `sheplang-macros` read it).
    pub fn emit_ir(mut self, yes: bool) -> Self {
        self.emit_ir = yes;
        self
    }

    /// Whether to write the SQL tables `<stem>.sqlite.sql` and `<stem>.postgres.sql` and their
    /// change capture, `<stem>.capture.sqlite.sql` and `<stem>.capture.postgres.sql`
    /// (default `true`).
    pub fn emit_sql(mut self, yes: bool) -> Self {
        self.emit_sql = yes;
        self
    }

    /// Whether to write the Prisma schemas `<stem>/prisma/{sqlite,postgres}/schema.prisma`
    /// (default `true`).
    pub fn emit_prisma(mut self, yes: bool) -> Self {
        self.emit_prisma = yes;
        self
    }

    /// Whether to write the transition history, `<stem>.history.sqlite.sql` and
    /// `<stem>.history.postgres.sql` (default `false`; only with [`Self::emit_sql`]): per model
    /// with `states:`, a table `<table>_history` that the database fills on every change of a
    /// row's state, whoever the writer (docs/language.md, "Transition history"). Off by
    /// default: it costs a trigger and a row per change of state.
    pub fn emit_history(mut self, yes: bool) -> Self {
        self.emit_history = yes;
        self
    }

    /// The table and column names and the kinds of id of the SQL and Prisma schemas (default:
    /// the spec's names, text ids). A model it names must be a model of one of the specs, and
    /// a field a field of that model.
    pub fn storage(mut self, storage: Storage) -> Self {
        self.storage = storage;
        self
    }

    /// Whether to print `cargo:rerun-if-changed=<spec>` for each spec read (default `true`).
    /// Turn it off only outside a build script.
    pub fn emit_rerun_if_changed(mut self, yes: bool) -> Self {
        self.emit_rerun_if_changed = yes;
        self
    }

    /// Whether to print the specs' warnings as `cargo:warning=` lines (default `true`).
    pub fn emit_warnings(mut self, yes: bool) -> Self {
        self.emit_warnings = yes;
        self
    }

    /// Whether the Rust module documents its items (default `true`). Without the docs the
    /// module is about half the size and parses faster; rustdoc and editors show less.
    pub fn emit_docs(mut self, yes: bool) -> Self {
        self.rust.docs = yes;
        self
    }

    /// Whether the Rust module has a `<Model>State` enum per `states:` lifecycle (default
    /// `true`). Leave them out when the host does not use them, for a faster build.
    pub fn emit_state_enums(mut self, yes: bool) -> Self {
        self.rust.lifecycles = yes;
        self
    }

    /// Whether the Rust module has the event types `ServerToClient` and `ClientToServer`
    /// (default `false`). A host that sends events with `sheplang::created` and friends, or
    /// serves them with `sheplang-socketio`, does not need them; one that reads events back as
    /// a Rust client would (`ServerToClient::parse`) turns them on. On a big spec they are
    /// about a fifth of the module's compile time.
    pub fn emit_protocol_enums(mut self, yes: bool) -> Self {
        self.rust.protocol = yes;
        self
    }

    /// Whether the Rust module has a typed filter per model, `<Model>Filter` (default
    /// `false`): a struct with an `Option` per field a subscription may filter on, which
    /// converts into `sheplang::Filter`, so that a filter on a field the model lacks, or with
    /// a value of the wrong type, does not compile. A host that builds filters in its own code
    /// turns them on; a server that only checks its clients' filters does not need them (the
    /// `Channel`'s `filter_fields` is always there). On a big spec they are about a third of
    /// the module's compile time.
    pub fn emit_filters(mut self, yes: bool) -> Self {
        self.rust.filters = yes;
        self
    }

    /// Whether `<stem>.ir.json` is pretty-printed (default `false`: one line, smaller and
    /// faster to write and read). `sheplang model` prints it pretty too.
    pub fn pretty_ir(mut self, yes: bool) -> Self {
        self.pretty_ir = yes;
        self
    }

    fn outputs(&self) -> Outputs {
        Outputs {
            rust: self.emit_rust,
            typescript: self.emit_typescript,
            ir: self.emit_ir,
            sql: self.emit_sql,
            prisma: self.emit_prisma,
            history: self.emit_history,
            rust_options: self.rust,
            pretty_ir: self.pretty_ir,
        }
    }

    /// Compiles every spec and writes its artifacts (see the [crate] documentation for the
    /// layout). All specs are read and checked before anything is written, and every error of
    /// every spec is reported at once.
    ///
    /// A relative spec path is relative to `CARGO_MANIFEST_DIR` (the current folder when that
    /// is not set).
    ///
    /// # Errors
    /// - [`ErrorKind::Spec`] when a spec has errors; the [`Display`](fmt::Display) of the error
    ///   is the rendered diagnostics;
    /// - [`ErrorKind::Read`] or [`ErrorKind::Write`] for I/O failures;
    /// - [`ErrorKind::Env`] when no output folder is given and `OUT_DIR` is not set;
    /// - [`ErrorKind::Path`] for a spec path without a usable file name, or two specs whose file
    ///   stems are equal (they would write the same files).
    pub fn compile<P: AsRef<Path>>(&self, specs: &[P]) -> Result<(), Error> {
        let out_dir = match &self.out_dir {
            Some(dir) => dir.clone(),
            None => std::env::var_os("OUT_DIR")
                .map(|d| PathBuf::from(d).join("sheplang"))
                .ok_or(Error::new(ErrorKind::Env {
                    var: "OUT_DIR".to_owned(),
                }))?,
        };
        let root = std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from);

        let mut errors = Vec::new();
        let mut compiled: Vec<(String, Compiled)> = Vec::new();
        let mut stems: Vec<(String, PathBuf)> = Vec::new();
        for spec in specs {
            let given = spec.as_ref();
            let path = match &root {
                Some(root) if given.is_relative() => root.join(given),
                _ => given.to_path_buf(),
            };
            if self.emit_rerun_if_changed {
                println!("cargo:rerun-if-changed={}", path.display());
            }
            let stem = match stem_of(given) {
                Ok(stem) => stem,
                Err(e) => {
                    errors.push(e);
                    continue;
                }
            };
            if let Some((_, first)) = stems.iter().find(|(s, _)| *s == stem) {
                errors.push(Error::new(ErrorKind::Path {
                    path: given.to_path_buf(),
                    message: format!(
                        "`{}` and `{}` have the same file stem `{stem}` and would write the same \
                         files; rename one of them",
                        first.display(),
                        given.display()
                    ),
                }));
                continue;
            }
            stems.push((stem.clone(), given.to_path_buf()));
            let text = match std::fs::read_to_string(&path) {
                Ok(text) => text,
                Err(source) => {
                    errors.push(Error::new(ErrorKind::Read { path, source }));
                    continue;
                }
            };
            let mut sources = SourceMap::new();
            // Diagnostics name the spec as the user wrote its path.
            let file = sources.add(given.display().to_string(), text);
            match sheplang_core::compile(&sources, file) {
                Ok(result) => {
                    if self.emit_warnings {
                        for warning in &result.warnings {
                            for line in warning.one_line(&sources).lines() {
                                println!("cargo:warning={line}");
                            }
                        }
                    }
                    compiled.push((stem, result));
                }
                Err(diagnostics) => errors.push(Error::new(ErrorKind::Spec {
                    path: given.to_path_buf(),
                    rendered: sheplang_core::render_all(&diagnostics, &sources),
                })),
            }
        }
        if errors.is_empty() {
            errors.extend(self.check_storage(&compiled));
        }
        if !errors.is_empty() {
            return Err(Error::many(errors));
        }
        for (stem, result) in &compiled {
            let storage = self.storage.for_spec(&result.spec);
            write_artifacts(&result.spec, stem, &out_dir, self.outputs(), &storage)?;
        }
        Ok(())
    }

    /// The storage names' problems: each spec's, and the models no spec declares.
    fn check_storage(&self, compiled: &[(String, Compiled)]) -> Vec<Error> {
        let specs: Vec<&ir::Spec> = compiled.iter().map(|(_, r)| &r.spec).collect();
        match self.storage.check_all(&specs) {
            Ok(()) => Vec::new(),
            Err(messages) => messages
                .into_iter()
                .map(|message| Error::new(ErrorKind::Storage { message }))
                .collect(),
        }
    }

    /// [`Builder::compile`]; on any error, prints it on stderr and exits with code 1 (no panic,
    /// so Cargo shows the diagnostics without a backtrace).
    pub fn compile_or_exit<P: AsRef<Path>>(&self, specs: &[P]) {
        if let Err(e) = self.compile(specs) {
            eprintln!("{e}");
            std::process::exit(1);
        }
    }
}

/// Which artifacts [`write_artifacts`] writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outputs {
    /// `<stem>.rs`
    pub rust: bool,
    /// `<stem>/ts/...` and `<stem>/ts-server/...`
    pub typescript: bool,
    /// `<stem>.ir.json`
    pub ir: bool,
    /// `<stem>.sqlite.sql`, `<stem>.postgres.sql` and their `<stem>.capture.*.sql`
    pub sql: bool,
    /// `<stem>/prisma/sqlite/schema.prisma` and `<stem>/prisma/postgres/schema.prisma`
    pub prisma: bool,
    /// `<stem>.history.sqlite.sql` and `<stem>.history.postgres.sql` (with `sql`; default
    /// `false`)
    pub history: bool,
    /// What the Rust module holds.
    pub rust_options: codegen::rust::Options,
    /// Whether the IR JSON is pretty-printed (else one line).
    pub pretty_ir: bool,
}

impl Default for Outputs {
    fn default() -> Self {
        Outputs {
            rust: true,
            typescript: true,
            ir: true,
            sql: true,
            prisma: true,
            history: false,
            rust_options: codegen::rust::Options::default(),
            pretty_ir: false,
        }
    }
}

/// One file [`write_artifacts`] produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// Where it is.
    pub path: PathBuf,
    /// False when the file already had these bytes and was left alone.
    pub changed: bool,
}

/// Writes the artifacts of one compiled spec into `dir`, in the layout of the [crate]
/// documentation (`<stem>.rs`, `<stem>.ir.json`, `<stem>/ts/...`, `<stem>/ts-server/...`, the
/// SQL and the Prisma schemas, with the names of `storage`), each file only when its bytes
/// change. Returns the files in a fixed order.
///
/// The outputs are generated on up to as many threads as there are cores (the calling thread
/// among them), each written as soon as it is made; the bytes and the order of the answer do
/// not depend on that.
///
/// # Errors
/// An [`ErrorKind::Path`] error when `stem` is not a plain file name (nothing is written then)
/// or a generated TypeScript path would leave `dir` (a bug; no TypeScript file is written
/// then); an [`ErrorKind::Write`] error when a file cannot be written.
pub fn write_artifacts(
    spec: &ir::Spec,
    stem: &str,
    dir: &Path,
    outputs: Outputs,
    storage: &Storage,
) -> Result<Vec<Written>, Error> {
    if !is_plain_name(stem) {
        return Err(Error::new(ErrorKind::Path {
            path: PathBuf::from(stem),
            message: format!(
                "`{stem}` cannot name output files; use a plain file name without separators"
            ),
        }));
    }
    if let Err(messages) = storage.check(spec) {
        return Err(Error::many(
            messages
                .into_iter()
                .map(|message| Error::new(ErrorKind::Storage { message }))
                .collect(),
        ));
    }
    // The outputs are independent: generated on up to as many threads as there are cores, the
    // biggest first, each written as soon as it is made.
    let mut jobs = Vec::new();
    if outputs.rust {
        jobs.push(Job::Rust);
    }
    if outputs.typescript {
        jobs.push(Job::TypeScript);
    }
    if outputs.sql {
        jobs.extend(Dialect::ALL.map(Job::Sql));
        jobs.extend(Dialect::ALL.map(Job::Capture));
        if outputs.history {
            jobs.extend(Dialect::ALL.map(Job::History));
        }
    }
    if outputs.ir {
        jobs.push(Job::Ir);
    }
    if outputs.prisma {
        jobs.extend(Dialect::ALL.map(Job::Prisma));
    }
    let mut written = in_parallel(jobs.len(), |i| {
        (jobs[i], jobs[i].write(spec, stem, dir, outputs, storage))
    });
    // The files in a fixed order: Rust, IR, SQL (each dialect's tables, then its change
    // capture), Prisma, TypeScript (browser, then server).
    written.sort_by_key(|(job, _)| job.rank());
    let mut files = Vec::new();
    for (_, result) in written {
        files.extend(result?);
    }
    Ok(files)
}

/// One independent output of [`write_artifacts`].
#[derive(Debug, Clone, Copy)]
enum Job {
    Rust,
    Ir,
    Sql(Dialect),
    Capture(Dialect),
    History(Dialect),
    Prisma(Dialect),
    TypeScript,
}

impl Job {
    /// Where the job's files come in [`write_artifacts`]'s answer.
    fn rank(self) -> usize {
        match self {
            Job::Rust => 0,
            Job::Ir => 1,
            Job::Sql(Dialect::Sqlite) => 2,
            Job::Capture(Dialect::Sqlite) => 3,
            Job::History(Dialect::Sqlite) => 4,
            Job::Sql(Dialect::Postgres) => 5,
            Job::Capture(Dialect::Postgres) => 6,
            Job::History(Dialect::Postgres) => 7,
            Job::Prisma(Dialect::Sqlite) => 8,
            Job::Prisma(Dialect::Postgres) => 9,
            Job::TypeScript => 10,
        }
    }

    /// Generates the job's files and writes each (when its bytes change) as soon as it is
    /// made, so that only the outputs being made are in memory at once, not all of them.
    fn write(
        self,
        spec: &ir::Spec,
        stem: &str,
        dir: &Path,
        outputs: Outputs,
        storage: &Storage,
    ) -> Result<Vec<Written>, Error> {
        let one = |path: PathBuf, text: String| Ok(vec![write_file(path, text.as_bytes())?]);
        match self {
            Job::Rust => one(
                dir.join(format!("{stem}.rs")),
                codegen::rust::generate_with(spec, outputs.rust_options),
            ),
            Job::Ir => {
                let path = dir.join(format!("{stem}.ir.json"));
                // About 5 KB a model of 20 fields.
                let mut json = Vec::with_capacity((spec.models.len() * 5_120).max(1 << 16));
                let written = if outputs.pretty_ir {
                    serde_json::to_writer_pretty(&mut json, spec)
                } else {
                    serde_json::to_writer(&mut json, spec)
                };
                if let Err(e) = written {
                    return Err(Error::new(ErrorKind::Write {
                        path,
                        source: io::Error::other(e),
                    }));
                }
                json.push(b'\n');
                Ok(vec![write_file(path, &json)?])
            }
            Job::Sql(dialect) => one(
                dir.join(format!("{stem}.{}.sql", dialect.file_tag())),
                sql::generate(spec, storage, dialect),
            ),
            Job::Capture(dialect) => one(
                dir.join(format!("{stem}.capture.{}.sql", dialect.file_tag())),
                capture::generate(spec, storage, dialect),
            ),
            Job::History(dialect) => one(
                dir.join(format!("{stem}.history.{}.sql", dialect.file_tag())),
                history::generate(spec, storage, dialect),
            ),
            Job::Prisma(dialect) => one(
                dir.join(prisma_path(stem, dialect)),
                prisma::generate(spec, storage, dialect),
            ),
            Job::TypeScript => {
                // Generated once for both halves; a file both carry is written twice from the
                // same text. Every path is checked before any TypeScript file is written.
                let artifacts = typescript::generate(spec);
                let mut relatives = Vec::with_capacity(artifacts.len());
                for artifact in &artifacts {
                    let Some(relative) = safe_relative(&artifact.path) else {
                        return Err(Error::new(ErrorKind::Path {
                            path: PathBuf::from(&artifact.path),
                            message: format!(
                                "the TypeScript generator produced the path `{}`, which \
                                 would leave the output folder; this is a bug in sheplang",
                                artifact.path
                            ),
                        }));
                    };
                    relatives.push(relative);
                }
                let folders = typescript::Half::ALL
                    .map(|half| (half, dir.join(stem).join(typescript_folder(half))));
                let mut halves = [Vec::new(), Vec::new()];
                for (artifact, relative) in artifacts.into_iter().zip(relatives) {
                    for ((half, folder), files) in folders.iter().zip(&mut halves) {
                        if half.includes(&artifact.path) {
                            files.push(write_file(
                                folder.join(&relative),
                                artifact.contents.as_bytes(),
                            )?);
                        }
                    }
                }
                let [mut browser, server] = halves;
                browser.extend(server);
                Ok(browser)
            }
        }
    }
}

/// [`write_if_changed`], with the error of [`write_artifacts`].
fn write_file(path: PathBuf, bytes: &[u8]) -> Result<Written, Error> {
    match write_if_changed(&path, bytes) {
        Ok(changed) => Ok(Written { path, changed }),
        Err(source) => Err(Error::new(ErrorKind::Write { path, source })),
    }
}

/// `work(0..n)`, spread over up to as many threads as there are cores (on the calling thread
/// alone when there is one core or one item); the answers in index order.
fn in_parallel<T: Send>(n: usize, work: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .min(n);
    if threads <= 1 {
        return (0..n).map(work).collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let worker = || {
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            if i >= n {
                return done;
            }
            done.push((i, work(i)));
        }
    };
    let mut all: Vec<(usize, T)> = std::thread::scope(|scope| {
        let helpers: Vec<_> = (1..threads).map(|_| scope.spawn(worker)).collect();
        let mut all = worker();
        for helper in helpers {
            match helper.join() {
                Ok(done) => all.extend(done),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        all
    });
    all.sort_unstable_by_key(|(i, _)| *i);
    all.into_iter().map(|(_, t)| t).collect()
}

/// Where the Prisma schema of `dialect` goes, relative to the output folder:
/// `<stem>/prisma/<sqlite|postgres>/schema.prisma`.
pub fn prisma_path(stem: &str, dialect: Dialect) -> PathBuf {
    Path::new(stem)
        .join("prisma")
        .join(dialect.file_tag())
        .join("schema.prisma")
}

/// The folder, under `<stem>/`, of one half of the TypeScript output: `ts` for the browser
/// half, `ts-server` for the server half.
pub fn typescript_folder(half: typescript::Half) -> &'static str {
    match half {
        typescript::Half::Browser => "ts",
        typescript::Half::Server => "ts-server",
    }
}

/// Writes `bytes` to `path` unless the file already holds exactly these bytes; creates the
/// parent folders. Returns whether it wrote.
///
/// The new contents go to a temporary file beside `path` that is then renamed over it, so a
/// reader (an editor, rust-analyzer) never sees a half-written file. An unchanged file keeps its
/// modification time, so Cargo does not rebuild what includes it.
///
/// # Errors
/// Any I/O error creating the folders, writing or renaming.
pub fn write_if_changed(path: &Path, bytes: &[u8]) -> io::Result<bool> {
    if holds(path, bytes) {
        return Ok(false);
    }
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(parent)?;
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "the path has no file name"))?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(".{}.tmp", std::process::id()));
    let tmp = parent.join(tmp_name);
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })?;
    Ok(true)
}

/// Whether the file at `path` holds exactly `bytes`: its length first, then its contents a
/// block at a time (no copy of a big file in memory), stopping at the first difference. Any
/// error reading it counts as a difference.
fn holds(path: &Path, bytes: &[u8]) -> bool {
    use std::io::Read as _;
    let Ok(mut file) = std::fs::File::open(path) else {
        return false;
    };
    if !file
        .metadata()
        .is_ok_and(|meta| meta.is_file() && meta.len() == bytes.len() as u64)
    {
        return false;
    }
    let mut block = vec![0; (64 * 1024).min(bytes.len()).max(1)];
    let mut rest = bytes;
    loop {
        match file.read(&mut block) {
            Ok(0) => return rest.is_empty(),
            Ok(n) => match rest.split_at_checked(n) {
                Some((head, tail)) if head == &block[..n] => rest = tail,
                _ => return false,
            },
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return false,
        }
    }
}

/// The file stem of a spec path, which names its outputs.
fn stem_of(path: &Path) -> Result<String, Error> {
    path.file_stem()
        .and_then(|s| s.to_str())
        .filter(|s| is_plain_name(s))
        .map(str::to_owned)
        .ok_or_else(|| {
            Error::new(ErrorKind::Path {
                path: path.to_path_buf(),
                message: format!(
                    "`{}` has no file name to name its outputs after; pass a path such as \
                     `specs/app.shep`",
                    path.display()
                ),
            })
        })
}

fn is_plain_name(name: &str) -> bool {
    !name.is_empty()
        && name != "."
        && name != ".."
        && !name.contains(['/', '\\', '\0'])
        && !name.contains(':')
}

/// A relative path made only of normal components, or `None`.
fn safe_relative(path: &str) -> Option<PathBuf> {
    let p = Path::new(path);
    let ok = !path.is_empty()
        && !path.contains('\\')
        && p.components().all(|c| matches!(c, Component::Normal(_)));
    ok.then(|| p.to_path_buf())
}

/// Why compiling specs failed. Its [`Display`](fmt::Display) is what a person should read: for
/// spec errors, the rustc-style diagnostics with source lines and carets.
///
/// Its [`Debug`](fmt::Debug) prints the same text (as `anyhow::Error` does), so a build script
/// that ends in `?` (`fn main() -> Result<(), Box<dyn std::error::Error>>`) or calls
/// `.unwrap()` shows the diagnostics as they are, line by line. The alternate form (`{:#?}`)
/// shows the structure: [`Error::kinds`].
pub struct Error {
    kinds: Vec<ErrorKind>,
}

/// One failure; an [`Error`] holds one or more (all specs are checked before giving up).
#[derive(Debug)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A spec has errors.
    Spec {
        /// The spec, as given.
        path: PathBuf,
        /// Its diagnostics, rendered rustc-style (warnings included), ending with a summary.
        rendered: String,
    },
    /// A spec could not be read.
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
    /// An output file could not be written.
    Write {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
    /// A required environment variable is missing.
    Env {
        /// Its name.
        var: String,
    },
    /// The storage names ([`Builder::storage`]) do not fit the specs.
    Storage {
        /// What is wrong, and what to do.
        message: String,
    },
    /// A path that cannot be used.
    Path {
        /// The path.
        path: PathBuf,
        /// What is wrong with it, and what to do.
        message: String,
    },
}

impl Error {
    fn new(kind: ErrorKind) -> Self {
        Error { kinds: vec![kind] }
    }

    fn many(errors: Vec<Error>) -> Self {
        Error {
            kinds: errors.into_iter().flat_map(|e| e.kinds).collect(),
        }
    }

    /// Every failure, in the order of the specs.
    pub fn kinds(&self) -> &[ErrorKind] {
        &self.kinds
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorKind::Spec { rendered, .. } => f.write_str(rendered.trim_end()),
            ErrorKind::Read { path, source } => write!(
                f,
                "error: cannot read the spec `{}`: {source}\n  = help: spec paths are relative to \
                 the crate root (`CARGO_MANIFEST_DIR`)",
                path.display()
            ),
            ErrorKind::Write { path, source } => {
                write!(f, "error: cannot write `{}`: {source}", path.display())
            }
            ErrorKind::Env { var } => write!(
                f,
                "error: the environment variable `{var}` is not set\n  = help: call \
                 `sheplang_build` from a build script, or give an output folder with \
                 `configure().out_dir(..)`"
            ),
            ErrorKind::Path { message, .. } | ErrorKind::Storage { message } => {
                write!(f, "error: {message}")
            }
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if f.alternate() {
            f.debug_struct("Error").field("kinds", &self.kinds).finish()
        } else {
            fmt::Display::fmt(self, f)
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, kind) in self.kinds.iter().enumerate() {
            if i > 0 {
                f.write_str("\n\n")?;
            }
            fmt::Display::fmt(kind, f)?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.kinds.iter().find_map(|k| match k {
            ErrorKind::Read { source, .. } | ErrorKind::Write { source, .. } => {
                Some(source as &(dyn std::error::Error + 'static))
            }
            _ => None,
        })
    }
}

#[cfg(test)]
mod tests;
