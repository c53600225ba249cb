//! Generation throughput per output, on the 1,000-model benchmark spec (20 fields each, every
//! type, a `ref` and a lifecycle per model; `bench/gen` makes it), compiled once up front.
//! Each benchmark counts the bytes it writes, so divan prints MB/s of generated text.
//!
//! `cargo bench -p sheplang-core --bench generate`
//!
//! The whole `sheplang gen` process (read, compile, generate, write) is measured by
//! `bash bench/gen/run.sh`.

use std::hint::black_box;
use std::sync::OnceLock;

use divan::Bencher;
use divan::counter::BytesCount;
use sheplang_core::codegen::sql::Dialect;
use sheplang_core::codegen::storage::Storage;
use sheplang_core::codegen::{capture, prisma, rust, sql, typescript};
use sheplang_core::{compile_str, ir};

fn main() {
    divan::main();
}

/// The compiled benchmark spec.
fn spec() -> &'static ir::Spec {
    static SPEC: OnceLock<ir::Spec> = OnceLock::new();
    SPEC.get_or_init(|| {
        let text = sheplang_bench_gen::big_spec(1_000);
        let (_, result) = compile_str("big.shep", &text);
        match result {
            Ok(compiled) => compiled.spec,
            Err(_) => panic!("the benchmark spec must compile"),
        }
    })
}

/// Runs `generate` once to size the counter, then measures it.
fn bench_text(bencher: Bencher, generate: impl Fn(&ir::Spec) -> String) {
    let spec = spec();
    let bytes = generate(spec).len();
    bencher
        .counter(BytesCount::new(bytes))
        .bench_local(|| generate(black_box(spec)).len());
}

/// The Rust module, default options.
#[divan::bench]
fn rust_module(bencher: Bencher) {
    bench_text(bencher, rust::generate);
}

/// The Rust module without docs and protocol enums.
#[divan::bench]
fn rust_module_lean(bencher: Bencher) {
    let options = rust::Options {
        docs: false,
        protocol: false,
        ..rust::Options::default()
    };
    bench_text(bencher, move |spec| rust::generate_with(spec, options));
}

/// Every TypeScript artifact, both halves.
#[divan::bench]
fn typescript_all(bencher: Bencher) {
    bench_text(bencher, |spec| {
        typescript::generate(spec)
            .into_iter()
            .map(|a| a.contents)
            .collect()
    });
}

/// The IR as one-line JSON (what `gen` writes by default).
#[divan::bench]
fn ir_json(bencher: Bencher) {
    bench_text(bencher, |spec| {
        serde_json::to_string(spec).unwrap_or_default()
    });
}

/// The IR as pretty JSON (`pretty_ir(true)`).
#[divan::bench]
fn ir_json_pretty(bencher: Bencher) {
    bench_text(bencher, |spec| {
        serde_json::to_string_pretty(spec).unwrap_or_default()
    });
}

/// The SQL schema, both dialects.
#[divan::bench]
fn sql_schema(bencher: Bencher) {
    let storage = Storage::new();
    bench_text(bencher, move |spec| {
        Dialect::ALL
            .iter()
            .map(|&d| sql::generate(spec, &storage, d))
            .collect()
    });
}

/// The Prisma schema, both dialects.
#[divan::bench]
fn prisma_schema(bencher: Bencher) {
    let storage = Storage::new();
    bench_text(bencher, move |spec| {
        Dialect::ALL
            .iter()
            .map(|&d| prisma::generate(spec, &storage, d))
            .collect()
    });
}

/// The change-capture SQL, both dialects.
#[divan::bench]
fn capture_sql(bencher: Bencher) {
    let storage = Storage::new();
    bench_text(bencher, move |spec| {
        Dialect::ALL
            .iter()
            .map(|&d| capture::generate(spec, &storage, d))
            .collect()
    });
}
