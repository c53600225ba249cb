//! Compiles the example specs into `$OUT_DIR/sheplang/` (Rust, TypeScript and the IR). On a spec
//! error the build stops with rustc-style diagnostics; Cargo reruns this script only when a spec
//! changes.

fn main() {
    // The control and publish tools read and send events with `ServerToClient`.
    sheplang_build::configure()
        .emit_protocol_enums(true)
        .compile_or_exit(&[
            // The spec of the shared protocol cases (ts/test/protocol-cases.ts): both servers serve it.
            "../../ts/specs/tasks.shep",
            // Reserved words as field names, a declared id, every field type: for the row checks.
            "../../ts/specs/edge.shep",
            "specs/alltypes.shep",
            "specs/bench.shep",
        ]);
}
