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
//!   snake case with serde renames to the spec's names), its `sheplang::Model` impl and, when it
//!   has `states:`, its lifecycle enum `<Model>State`. The state is not added to the row: the wire
//!   row carries exactly the spec's fields;
//! - `ServerToClient` (`<Model>Created`, `<Model>Updated`, `<Model>Deleted` per model, then
//!   `Notification` and `Connected`) and `ClientToServer` (an alias of
//!   `sheplang::ClientEvent<Channel>`).
//!
//! Formatting is `prettyplease`; the output is deterministic: the same IR gives the same bytes.

mod docs;
mod models;
mod names;
mod protocol;
mod string_enum;
mod validation;

use proc_macro2::TokenStream;
use quote::quote;

use crate::ir;
use names::Names;

/// Generates the Rust module for one spec: formatted source with an `@generated` header.
pub fn generate(spec: &ir::Spec) -> String {
    let tokens = tokens(spec);
    let mut out = header(spec);
    match syn::parse2::<syn::File>(tokens.clone()) {
        // One item at a time, so that a blank line separates items.
        Ok(mut file) => {
            for item in std::mem::take(&mut file.items) {
                file.items = vec![item];
                out.push('\n');
                out.push_str(&prettyplease::unparse(&file));
            }
        }
        // Not reachable for tokens built here; never panic, keep the code compilable.
        Err(_) => {
            out.push('\n');
            out.push_str(&tokens.to_string());
            out.push('\n');
        }
    }
    out
}

/// The generated items as tokens, unformatted (for `sheplang!`, which expands inline).
pub fn tokens(spec: &ir::Spec) -> TokenStream {
    let generator = Gen {
        spec,
        names: Names::plan(spec),
    };
    allow_unused(generator.file())
}

/// Marks every item that could go unused with `#[allow(dead_code)]`.
///
/// A host uses what it needs of a spec: a binary crate with the spec in a private module and
/// `#![deny(warnings)]` must build when it uses one struct only. The output is `include!`d into
/// the host's module, so it cannot carry an inner `#![allow]`; each item gets its own, placed
/// after its documentation. Trait impls never warn and are left alone.
fn allow_unused(tokens: TokenStream) -> TokenStream {
    let Ok(mut file) = syn::parse2::<syn::File>(tokens.clone()) else {
        return tokens;
    };
    let allow: syn::Attribute = syn::parse_quote!(
        #[allow(dead_code, reason = "a host uses what it needs of the spec's items")]
    );
    for item in &mut file.items {
        let attrs = match item {
            syn::Item::Struct(item) => &mut item.attrs,
            syn::Item::Enum(item) => &mut item.attrs,
            syn::Item::Type(item) => &mut item.attrs,
            syn::Item::Const(item) => &mut item.attrs,
            syn::Item::Static(item) => &mut item.attrs,
            syn::Item::Fn(item) => &mut item.attrs,
            syn::Item::Impl(item) if item.trait_.is_none() => &mut item.attrs,
            _ => continue,
        };
        let at = attrs
            .iter()
            .position(|a| !a.path().is_ident("doc"))
            .unwrap_or(attrs.len());
        attrs.insert(at, allow.clone());
    }
    quote!(#file)
}

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
    };
    let ir_model = &spec.models[index];
    let names = &generator.names.models[index];
    let mut fields = vec![RowField {
        name: "id".to_owned(),
        wire: "id".to_owned(),
        spec_index: ir_model.fields.iter().position(|f| f.name == "id"),
        ty: quote!(::std::string::String),
        optional: false,
    }];
    for (i, (field, name)) in ir_model.fields.iter().zip(&names.fields).enumerate() {
        if let Some(name) = name {
            fields.push(RowField {
                name: names::ident(name).to_string(),
                wire: field.name.clone(),
                spec_index: Some(i),
                ty: generator.field_type(field),
                optional: field.optional,
            });
        }
    }
    Some(RowLayout {
        ty: names.ty.clone(),
        fields,
    })
}

/// The comment lines that open a generated file (prettyplease would drop comments).
fn header(spec: &ir::Spec) -> String {
    format!(
        "{} from app `{}`. Do not edit: change the spec and rebuild.\n\
         // Spec fingerprint: {}\n",
        super::GENERATED_HEADER,
        spec.app.escape_debug(),
        spec.fingerprint.escape_debug(),
    )
}

/// The generator of one spec: the IR and the names planned for it.
struct Gen<'a> {
    spec: &'a ir::Spec,
    names: Names,
}

impl Gen<'_> {
    fn file(&self) -> TokenStream {
        let marker = self.spec_marker();
        let channel = self.channel_enum();
        let model_name = self.model_name_enum();
        let models = (0..self.spec.models.len()).map(|i| self.model(i));
        let events = self.events();
        quote! {
            #marker
            #channel
            #model_name
            #(#models)*
            #events
        }
    }

    /// The Rust type name of a model, by its spec name.
    fn model_type(&self, name: &str) -> Option<&str> {
        self.spec
            .models
            .iter()
            .position(|m| m.name == name)
            .map(|i| self.names.models[i].ty.as_str())
    }

    /// Points serde's derives at the facade's re-export, so the host needs no `serde` dependency.
    fn serde_crate(&self) -> TokenStream {
        quote!(#[serde(crate = "::sheplang::__private::serde")])
    }
}

#[cfg(test)]
mod tests;
