//! The TypeScript generator: what depends on the spec, plus the runtime beside it.
//!
//! Generated per spec: `types.ts` (the model interfaces, `Models`, the channels and the
//! Socket.IO event maps, declared once), `api/realtime/records.ts` (what the Prisma extension
//! needs to know of each model: its fields and a converter from a Prisma record to the wire
//! JSON of docs/wire.md) and one hook per model. The runtime (`runtime.rs`: the server, the
//! Prisma extension, the React provider) is hand-written TypeScript kept in real source files
//! and written unchanged beside them; it reaches the spec through those generated files.
//! Imports carry `.js` extensions so that the files compile under `moduleResolution`
//! `nodenext` as well as `bundler`.

mod names;
mod react;
mod records;
mod runtime;
mod types;
mod validators;
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

/// The two halves of the TypeScript output, so that each project includes only its own.
///
/// The browser half (`types.ts`, `protocol.ts`, `validate.ts`, `contexts/RealtimeContext.tsx`, `hooks/...`) imports only
/// `react` and `socket.io-client`; the server half (`types.ts`, `api/realtime/...`: the Socket.IO
/// server and the Prisma extension) imports `socket.io`, `@prisma/client` and `node:*`. Each
/// half is complete on its own: both carry `types.ts`, `protocol.ts` and `validate.ts`, at the same paths, so the two can also
/// share one folder (the paths never clash).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Half {
    Browser,
    Server,
}

impl Half {
    /// Both halves, browser first.
    pub const ALL: [Half; 2] = [Half::Browser, Half::Server];

    /// Whether the artifact at `path` (as [`generate`] names it) belongs to this half.
    pub fn includes(self, path: &str) -> bool {
        let server = path.starts_with("api/");
        path == "types.ts"
            || path == "protocol.ts"
            || path == "validate.ts"
            || server == (self == Half::Server)
    }
}

/// The artifacts of one half (see [`Half`]), in [`generate`]'s order.
pub fn generate_half(spec: &ir::Spec, half: Half) -> Vec<Artifact> {
    generate(spec)
        .into_iter()
        .filter(|artifact| half.includes(&artifact.path))
        .collect()
}

/// Both halves at once, in [`Half::ALL`]'s order: what [`generate_half`] gives for each, from
/// one run of the generator (the files both halves carry are generated once and copied).
pub fn generate_halves(spec: &ir::Spec) -> [Vec<Artifact>; 2] {
    let mut browser = Vec::new();
    let mut server = Vec::new();
    for artifact in generate(spec) {
        match (
            Half::Browser.includes(&artifact.path),
            Half::Server.includes(&artifact.path),
        ) {
            (true, true) => {
                server.push(artifact.clone());
                browser.push(artifact);
            }
            (true, false) => browser.push(artifact),
            (false, _) => server.push(artifact),
        }
    }
    [browser, server]
}

/// The paths of the runtime files among [`generate`]'s artifacts: the same bytes for every
/// spec.
pub fn runtime_paths() -> impl Iterator<Item = &'static str> {
    runtime::FILES.iter().map(|file| file.path)
}

/// The interface `types.ts` declares for one model, as names and types.
///
/// For tools that show what a spec generates (the language server's hover): the same names and
/// types as [`generate`] writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterfaceLayout {
    /// The interface's name (the model's own name unless that is taken).
    pub name: String,
    /// `id` first, then the spec's fields.
    pub fields: Vec<InterfaceField>,
}

/// One property of an [`InterfaceLayout`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterfaceField {
    /// The property as written in `types.ts` (quoted when it is no identifier).
    pub key: String,
    /// The spec's field name, the key on the wire.
    pub wire: String,
    /// The property's type (`string`, `number[]`, `string | null`).
    pub ty: String,
    /// Declared with `?` (an `optional` field).
    pub optional: bool,
}

/// The [`InterfaceLayout`] of the model named `model`, if the spec has it.
///
/// ```
/// use sheplang_core::codegen::typescript::{generate, interface_layout};
///
/// let spec = "app A { data Task { fields: { dueDate: date optional } } }";
/// let spec = sheplang_core::compile_str("app.shep", spec).1.expect("a valid spec").spec;
/// let layout = interface_layout(&spec, "Task").expect("the model");
/// let due = &layout.fields[1];
/// assert_eq!((due.key.as_str(), due.ty.as_str(), due.optional), ("dueDate", "string | null", true));
/// let types = &generate(&spec)[0].contents;
/// assert!(types.contains("dueDate?: string | null;"));
/// ```
pub fn interface_layout(spec: &ir::Spec, model: &str) -> Option<InterfaceLayout> {
    let model = spec.model(model)?;
    let names = names::Names::new(spec);
    let mut fields = vec![InterfaceField {
        key: "id".to_owned(),
        wire: "id".to_owned(),
        ty: "string".to_owned(),
        optional: false,
    }];
    for field in model.fields.iter().filter(|f| f.name != "id") {
        let ty = types::row_field_type(model, field, &names);
        fields.push(InterfaceField {
            key: names::key(&field.name),
            wire: field.name.clone(),
            ty: if field.optional {
                format!("{ty} | null")
            } else {
                ty
            },
            optional: field.optional,
        });
    }
    Some(InterfaceLayout {
        name: names.interface(&model.name).to_owned(),
        fields,
    })
}

/// The first line of every generated file.
fn header(spec: &ir::Spec) -> String {
    // App names are identifiers; a stray line break would still end the comment early.
    let app: String = spec
        .app
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    format!("{} from app `{app}`. Do not edit.", super::GENERATED_HEADER)
}
