//! Compiles `specs/tasks.shep` into `$OUT_DIR/sheplang/`: the Rust module included by
//! `src/lib.rs`, and the SQLite table `src/store.rs` creates (`tasks.sqlite.sql`), named as the
//! demo's databases have always had it: `task`, with `created_at` and an integer id. The page
//! gets the TypeScript half from `sheplang export` (`npm run gen` in `web/`), as
//! `[package.metadata.sheplang]` in `Cargo.toml` asks.

use sheplang_build::Storage;

fn main() {
    sheplang_build::configure()
        .emit_typescript(false)
        .emit_prisma(false)
        .storage(
            Storage::new()
                .table("Task", "task")
                .column("Task", "createdAt", "created_at")
                .integer_id("Task"),
        )
        .compile_or_exit(&["specs/tasks.shep"]);
}
