//! The TypeScript generator: what depends on the spec, plus the runtime beside it.
//!
//! Generated per spec: `types.ts` (the model interfaces, `Models`, the channels and the
//! Socket.IO event maps, declared once), `api/realtime/records.ts` (what the Prisma extension
//! needs to know of each model: its fields and a converter from a Prisma record to the wire
//! JSON of docs/wire.md) and one hook per model. The runtime ([`runtime`]: the server, the
//! Prisma extension, the React provider) is hand-written TypeScript kept in real source files
//! and written unchanged beside them; it reaches the spec through those generated files.
//! Imports carry `.js` extensions so that the files compile under `moduleResolution`
//! `nodenext` as well as `bundler`.

mod names;
mod react;
mod records;
mod runtime;
mod types;
mod writer;

#[cfg(test)]
mod tests;

use super::Artifact;
use crate::ir;

/// Generates every TypeScript artifact of one spec, with paths relative to the `ts/` folder
/// (`types.ts`, `api/realtime/server.ts`, ...), in a deterministic order: the generated
/// `types.ts`, the runtime files, then the rest of the generated files.
pub fn generate(spec: &ir::Spec) -> Vec<Artifact> {
    let names = names::Names::new(spec);
    let mut out = vec![Artifact {
        path: "types.ts".into(),
        contents: types::generate(spec, &names),
    }];
    out.extend(runtime::FILES.iter().map(|file| Artifact {
        path: file.path.into(),
        contents: runtime::contents(file),
    }));
    out.push(Artifact {
        path: "api/realtime/records.ts".into(),
        contents: records::generate(spec),
    });
    for model in &spec.models {
        out.push(Artifact {
            path: format!("hooks/{}.ts", react::hook_name(model)),
            contents: react::hook(spec, model),
        });
    }
    out
}

/// The paths of the runtime files among [`generate`]'s artifacts: the same bytes for every
/// spec.
pub fn runtime_paths() -> impl Iterator<Item = &'static str> {
    runtime::FILES.iter().map(|file| file.path)
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
