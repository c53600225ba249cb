//! Registers `specs/tasks.shep`: its Rust module and its IR go to `$OUT_DIR/sheplang/`, where
//! `sheplang::include_spec!` and `#[derive(sheplang::Model)]` find them. `specs/broken.shep` is
//! not registered: a ui case reads it with `sheplang! { file = ... }` to show its errors.

fn main() {
    sheplang_build::configure()
        .emit_typescript(false)
        // The tests cover every item, the opt-in ones too.
        .emit_protocol_enums(true)
        .emit_filters(true)
        .compile_or_exit(&["specs/tasks.shep"]);
}
