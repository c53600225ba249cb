//! Compiles the specs into `$OUT_DIR/sheplang/`. On a spec error the build stops with
//! rustc-style diagnostics; Cargo reruns this script only when a spec changes.

fn main() {
    sheplang_build::configure().compile_or_exit(&["specs/tasks.shep", "specs/billing.shep"]);
}
