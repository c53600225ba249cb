//! Compiles the specs into `$OUT_DIR/sheplang/`. On a spec error the build stops with
//! rustc-style diagnostics; Cargo reruns this script only when a spec changes.

fn main() {
    sheplang_build::configure()
        // The tests read events back with `ServerToClient::parse`, as a Rust client would.
        .emit_protocol_enums(true)
        .compile_or_exit(&["specs/tasks.shep", "specs/billing.shep"]);
}
