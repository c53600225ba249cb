//! Compiles `specs/teams.shep` into `$OUT_DIR/sheplang/`: the Rust module included by
//! `src/lib.rs` and the SQLite tables `src/store.rs` creates (`teams.sqlite.sql`). The page gets
//! the TypeScript half from `sheplang export` (`npm run gen` in `web/`).

fn main() {
    sheplang_build::configure()
        .emit_typescript(false)
        .emit_prisma(false)
        .compile_or_exit(&["specs/teams.shep"]);
}
