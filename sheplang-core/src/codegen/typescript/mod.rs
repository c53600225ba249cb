//! The TypeScript generator: `types.ts`, the Socket.IO server, the Prisma extension, the React
//! context and one hook per model.
//!
//! Everything spec-specific that the other files need is declared once in `types.ts` (the model
//! interfaces, `Models`, the channels and the Socket.IO event maps); the server and the React
//! files are written against those names, so they read like hand-written code. The middleware
//! also carries one small converter per model (a Prisma record to its wire JSON, per
//! `docs/wire.md`). Imports carry `.js` extensions so that the files compile under
//! `moduleResolution` `nodenext` as well as `bundler`.

mod middleware;
mod names;
mod react;
mod server;
mod types;
mod writer;

#[cfg(test)]
mod tests;

use super::Artifact;
use crate::ir;

/// Generates every TypeScript artifact of one spec, with paths relative to the `ts/` folder
/// (`types.ts`, `api/realtime/server.ts`, ...), in a deterministic order.
pub fn generate(spec: &ir::Spec) -> Vec<Artifact> {
    let names = names::Names::new(spec);
    let mut out = vec![
        Artifact {
            path: "types.ts".into(),
            contents: types::generate(spec, &names),
        },
        Artifact {
            path: "api/realtime/server.ts".into(),
            contents: server::generate(spec),
        },
        Artifact {
            path: "api/realtime/middleware.ts".into(),
            contents: middleware::generate(spec),
        },
        Artifact {
            path: "contexts/RealtimeContext.tsx".into(),
            contents: react::context(spec),
        },
    ];
    for model in &spec.models {
        out.push(Artifact {
            path: format!("hooks/{}.ts", react::hook_name(model)),
            contents: react::hook(spec, model),
        });
    }
    out
}

/// The first line of every generated file.
fn header(spec: &ir::Spec) -> String {
    // App names are identifiers; a stray line break would still end the comment early.
    let app: String = spec
        .app
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    format!(
        "// {} by sheplang from app `{app}`. Do not edit.",
        super::GENERATED_MARKER
    )
}
