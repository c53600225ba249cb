//! The TypeScript generator (being written): `types.ts`, the Socket.IO server, the Prisma
//! extension, the React context and one hook per model.

use super::Artifact;
use crate::ir;

/// Generates every TypeScript artifact of one spec, with paths relative to the `ts/` folder
/// (`types.ts`, `api/realtime/server.ts`, ...), in a deterministic order.
pub fn generate(spec: &ir::Spec) -> Vec<Artifact> {
    let _ = spec;
    Vec::new()
}
