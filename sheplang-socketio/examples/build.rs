//! Compiles the example specs into `$OUT_DIR/sheplang/` (Rust, TypeScript and the IR). On a spec
//! error the build stops with rustc-style diagnostics; Cargo reruns this script only when a spec
//! changes.

fn main() {
    sheplang_build::configure().compile_or_exit(&[
        "specs/tasks.shep",
        "specs/alltypes.shep",
        "specs/bench.shep",
    ]);
}
