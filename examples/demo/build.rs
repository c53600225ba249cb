//! Compiles `specs/tasks.shep` into `$OUT_DIR/sheplang/` (the Rust module included by
//! `src/lib.rs`). The page gets the TypeScript half from `sheplang export` (`npm run gen` in
//! `web/`), as `[package.metadata.sheplang]` in `Cargo.toml` asks.

fn main() {
    sheplang_build::compile_or_exit("specs/tasks.shep");
}
