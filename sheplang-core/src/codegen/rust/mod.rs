//! The Rust generator: one module of Rust source per spec, read only from the [`ir`].
//!
//! The output is meant for `include!` at the top of a module of the host crate (what
//! `sheplang::include_spec!` does), so it holds items only: no inner attributes, no `use`
//! declarations. Every path outside the module is absolute and goes through `::sheplang`,
//! `::core` or `::std`, so the host needs no dependency but `sheplang`, and no name in the
//! host's module can shadow one the generated code relies on.
//!
//! Items, in this order (see the `names` module for how names are chosen and collisions resolved):
//! - `Spec`, a unit struct implementing `sheplang::Spec`;
//! - `Channel` (one variant per model, the lower-case channel string on the wire) and
//!   `ModelName` (the model name in the spec's case);
//! - per model, in spec order: the row struct (`id: String` first, then the spec's fields in
//!   snake case with serde renames to the spec's names; `Serialize` derived, `Deserialize`
//!   written out over the facade's generic visitor, see `deserialize`), its `sheplang::Model`
//!   impl and, when it
//!   has `states:`, its lifecycle enum `<Model>State` (and, with a workflow of the model's
//!   name, its event enum `<Model>Event` and the row's `apply()`). The state is not added to the row: the wire
//!   row carries exactly the spec's fields;
//! - `ServerToClient` (`<Model>Created`, `<Model>Updated`, `<Model>Deleted` per model, then
//!   `Notification` and `Connected`) and `ClientToServer` (an alias of
//!   `sheplang::ClientEvent<Channel>`).
//!
//! The text is written directly, laid out as `rustfmt` would (no token trees, no formatter
//! pass: a 1,000-model spec generates in milliseconds). Every function carries `#[inline]`, so
//! a host compiles only the ones it calls. [`Options`] leave out the items a host does not use.
//! The output is deterministic: the same IR and options give the same bytes.

mod deserialize;
mod docs;
mod models;
mod names;
mod out;
mod protocol;
mod string_enum;
mod validation;
mod workflow;

use proc_macro2::TokenStream;

use crate::ir;
use names::Names;
use out::Out;

/// Which items [`generate_with`] writes. The default writes everything; a host that does not
/// use an item can leave it out, which makes the generated code cheaper to compile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Documentation comments on every item (default `true`).
    pub docs: bool,
    /// One enum per `states:` lifecycle, `<Model>State` (default `true`).
    pub lifecycles: bool,
    /// The event types `ServerToClient` and `ClientToServer` (default `true`). A host that
    /// sends events with `sheplang::created` and friends, or serves them with
    /// `sheplang-socketio`, does not need them.
    pub protocol: bool,
    /// One typed filter per model, `<Model>Filter`, with its conversion into
    /// `sheplang::Filter` (default `true`). A struct of its own per model: on a big spec the
    /// filters are about a third of the module's compile time, so a host that builds its
    /// filters from JSON (`sheplang::Filter::parse`), or none, can leave them out. The
    /// `Channel`'s `filter_fields`, which a server checks a client's filter against, is always
    /// there.
    pub filters: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            docs: true,
            lifecycles: true,
            protocol: true,
            filters: true,
        }
    }
}

impl Options {
    /// What a build script generates unless told otherwise (`sheplang_build::configure()`):
    /// the docs and the lifecycle enums, without the typed filters and the protocol enums,
    /// which a host asks for when it uses them. The module then costs about what hand-written
    /// serde structs for the same models cost to compile (`bash bench/gen/run.sh --compile`).
    pub const fn build_default() -> Self {
        Options {
            docs: true,
            lifecycles: true,
            protocol: false,
            filters: false,
        }
    }
}

/// Generates the Rust module for one spec: formatted source with an `@generated` header.
pub fn generate(spec: &ir::Spec) -> String {
    generate_with(spec, Options::default())
}

/// [`generate`] with [`Options`].
pub fn generate_with(spec: &ir::Spec, options: Options) -> String {
    let generator = Gen {
        spec,
        names: Names::plan(spec),
        options,
    };
    // About 10 KiB a model with its documentation.
    let mut out = Out::new(8_192 + spec.models.len() * 10_240, options.docs);
    out.line(&header(spec));
    generator.file(&mut out);
    let mut text = out.finish();
    // One newline at the end, not a blank line.
    while text.ends_with("\n\n") {
        text.pop();
    }
    text
}

/// The generated items as tokens (for `sheplang!`, which expands inline): [`generate`]'s text,
/// tokenized. The text always tokenizes; should it not, the tokens are a `compile_error!` that
/// says so, never a panic.
pub fn tokens(spec: &ir::Spec) -> TokenStream {
    let text = generate(spec);
    text.parse().unwrap_or_else(|e| {
        let message =
            format!("sheplang generated Rust that does not tokenize ({e}); this is a bug");
        let message = proc_macro2::Literal::string(&message);
        quote::quote!(::core::compile_error!(#message);)
    })
}

/// Marks an item a host may leave unused: a binary crate with the spec in a private module
/// and `#![deny(warnings)]` must build when it uses one struct only. The output is `include!`d
/// into the host's module, so it cannot carry an inner `#![allow]`; each item gets its own,
/// after its documentation. Trait impls never warn and get none.
const ALLOW_UNUSED: &str =
    "#[allow(dead_code, reason = \"a host uses what it needs of the spec's items\")]";

/// Points serde's derives at the facade's re-export, so the host needs no `serde` dependency.
const SERDE_CRATE: &str = "#[serde(crate = \"::sheplang::__private::serde\")]";

/// The row struct the generator makes for one model, as names and types.
///
/// For code that checks a host's own struct against the spec (the `#[derive(sheplang::Model)]`
/// of `sheplang-macros`): the same names and types as [`generate`] and [`tokens`] produce.
#[derive(Debug, Clone)]
pub struct RowLayout {
    /// The struct's name in the generated module (`Task`).
    pub ty: String,
    /// Its fields in declaration order: `id` first, then the spec's fields.
    pub fields: Vec<RowField>,
}

/// One field of a [`RowLayout`].
#[derive(Debug, Clone)]
pub struct RowField {
    /// The Rust field name as written in code (`due_date`, `r#type`).
    pub name: String,
    /// The key on the wire: the spec's field name (`dueDate`).
    pub wire: String,
    /// The field's index in [`ir::Model::fields`]; `None` for an `id` the spec does not declare.
    pub spec_index: Option<usize>,
    /// The Rust type. Other models are named as inside the generated module (`::sheplang::Ref<User>`).
    pub ty: TokenStream,
    /// The field is `optional`: absent from the JSON when `None`.
    pub optional: bool,
}

/// The [`RowLayout`] of the model named `model` (its spec name), if the spec has it.
///
/// ```
/// use sheplang_core::codegen::rust::row_layout;
///
/// let spec = "app A { data Task { fields: { dueDate: date optional } } }";
/// let (_, result) = sheplang_core::compile_str("app.shep", spec);
/// let spec = result.expect("a valid spec").spec;
/// let row = row_layout(&spec, "Task").expect("the model");
/// let names: Vec<_> = row.fields.iter().map(|f| (f.name.as_str(), f.wire.as_str())).collect();
/// assert_eq!(names, [("id", "id"), ("due_date", "dueDate")]);
/// assert!(row.fields[1].optional);
/// let ty = row.fields[1].ty.to_string().replace(' ', "");
/// assert_eq!(ty, "::core::option::Option<::std::string::String>");
/// ```
pub fn row_layout(spec: &ir::Spec, model: &str) -> Option<RowLayout> {
    let index = spec.models.iter().position(|m| m.name == model)?;
    let generator = Gen {
        spec,
        names: Names::plan(spec),
        options: Options::default(),
    };
    let ir_model = &spec.models[index];
    let names = &generator.names.models[index];
    let mut fields = vec![RowField {
        name: "id".to_owned(),
        wire: "id".to_owned(),
        spec_index: ir_model.fields.iter().position(|f| f.name == "id"),
        ty: type_tokens("::std::string::String"),
        optional: false,
    }];
    for (i, (field, name)) in ir_model.fields.iter().zip(&names.fields).enumerate() {
        if let Some(name) = name {
            fields.push(RowField {
                name: names::ident(name).into_owned(),
                wire: field.name.clone(),
                spec_index: Some(i),
                ty: type_tokens(&generator.row_field_type(index, field)),
                optional: field.optional,
            });
        }
    }
    Some(RowLayout {
        ty: names.ty.clone(),
        fields,
    })
}

/// A Rust type written by the generator, as tokens.
fn type_tokens(ty: &str) -> TokenStream {
    // The generator writes only well-formed paths (the type table's tests check them).
    ty.parse()
        .unwrap_or_else(|_| quote::quote!(::sheplang::__private::serde_json::Value))
}

/// The comment lines that open a generated file.
fn header(spec: &ir::Spec) -> String {
    format!(
        "{} from app `{}`. Do not edit: change the spec and rebuild.\n\
         // Spec fingerprint: {}\n",
        super::GENERATED_HEADER,
        spec.app.escape_debug(),
        spec.fingerprint.escape_debug(),
    )
}

/// The generator of one spec: the IR, the names planned for it and the options.
struct Gen<'a> {
    spec: &'a ir::Spec,
    names: Names,
    options: Options,
}

impl Gen<'_> {
    fn file(&self, out: &mut Out) {
        self.spec_marker(out);
        self.channel_enum(out);
        self.model_name_enum(out);
        for i in 0..self.spec.models.len() {
            self.model(out, i);
        }
        if self.options.protocol {
            self.events(out);
        }
    }

    /// The Rust type name of a model, by its spec name.
    fn model_type(&self, name: &str) -> Option<&str> {
        let i = *self.names.index.get(name)?;
        Some(self.names.models[i].ty.as_str())
    }
}

#[cfg(test)]
mod tests;
