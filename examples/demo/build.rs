//! Compiles `specs/tasks.shep` into `$OUT_DIR/sheplang/` (the Rust module included by
//! `src/lib.rs`). The web page gets the TypeScript half through the CLI (`web/scripts/gen.mjs`).

fn main() {
    sheplang_build::compile_or_exit("specs/tasks.shep");
}
