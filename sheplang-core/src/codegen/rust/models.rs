//! One struct per model, and one enum per `states:` lifecycle.

use proc_macro2::TokenStream;
use quote::quote;

use super::Gen;
use super::docs::{self, code};
use super::names::{ident, is_all_caps, variant_names_may_lint};
use super::string_enum::StringEnum;
use crate::ir;

impl Gen<'_> {
    /// The row struct of model `index`, its `Model` impl and its lifecycle enum.
    pub(super) fn model(&self, index: usize) -> TokenStream {
        let model = &self.spec.models[index];
        let names = &self.names.models[index];
        let ty = ident(&names.ty);
        let channel = ident(&self.names.channel);
        let channel_variant = ty.clone();
        let spec_ty = ident(&self.names.spec);
        let name = &model.name;
        let serde = self.serde_crate();

        let mut doc = vec![
            format!(
                "A row of {} (`data {}` in app {}).",
                code(name),
                name,
                code(&self.spec.app)
            ),
            String::new(),
            format!(
                "Its events go to the channel [`{}::{}`], the room {}; make them with \
                 [`sheplang::created`], [`sheplang::updated`] and [`sheplang::deleted`].",
                self.names.channel,
                names.ty,
                code(&format!("\"{}\"", model.channel))
            ),
            "On the wire it is a JSON object whose keys are the spec's field names, `id` first."
                .to_owned(),
        ];
        if let Some(state) = &names.state {
            doc.push(String::new());
            doc.push(format!(
                "Its lifecycle is [`{}`]. The state is not a field of the row: a row carries \
                 exactly the spec's fields, so declare one (for example `state: text`) to store it.",
                state.ty
            ));
        }
        if !model.rules.is_empty() {
            doc.push(String::new());
            doc.push("Rules:".to_owned());
            doc.extend(model.rules.iter().map(|r| format!("- {}", code(r))));
        }
        let doc = docs::attrs(&doc);
        let acronym = self.acronym_allow(&names.ty);

        let id_field = self.id_field(model);
        let fields = model
            .fields
            .iter()
            .zip(&names.fields)
            .filter_map(|(f, n)| n.as_ref().map(|n| self.field(f, n)));

        let validation = self.validation(index);

        let lifecycle = names
            .state
            .as_ref()
            .and_then(|s| model.states.as_ref().map(|l| (s, l)))
            .map(|(s, l)| self.lifecycle(model, &names.ty, s, l));

        quote! {
            #doc
            #[derive(Debug, Clone, PartialEq, ::sheplang::__private::serde::Serialize, ::sheplang::__private::serde::Deserialize)]
            #serde
            #acronym
            pub struct #ty {
                #id_field
                #(#fields)*
            }

            impl #ty {
                /// The model's name as written in the spec: the first argument of its events.
                pub const NAME: &'static str = #name;
                /// The model's channel: the room its events go to.
                pub const CHANNEL: #channel = #channel::#channel_variant;

                #validation
            }

            impl ::sheplang::Model for #ty {
                type Spec = #spec_ty;
                const NAME: &'static str = #name;

                fn channel() -> #channel {
                    #channel::#channel_variant
                }

                fn id(&self) -> &str {
                    &self.id
                }
            }

            #lifecycle
        }
    }

    /// The `id` field: always first, always a string (wire.md); a declared `id` lends its docs.
    fn id_field(&self, model: &ir::Model) -> TokenStream {
        let mut doc = vec![
            "The row's id: a string on the wire, whether or not the spec declares it.".to_owned(),
        ];
        if let Some(declared) = model.fields.iter().find(|f| f.name == "id") {
            doc.push(String::new());
            doc.push(format!(
                "Declared as {}.",
                code(&docs::field_declaration(declared))
            ));
            let string_like = declared.ty.builtin().is_some_and(|t| t.id_capable) && !declared.list;
            if !string_like || declared.optional {
                doc.push(
                    "The wire contract makes every row's `id` a required string, so that is its \
                     type here."
                        .to_owned(),
                );
            }
        }
        let doc = docs::attrs(&doc);
        quote! {
            #doc
            pub id: ::std::string::String,
        }
    }

    /// One field of a row struct.
    fn field(&self, field: &ir::Field, rust_name: &str) -> TokenStream {
        let name = ident(rust_name);
        let mut doc = vec![code(&docs::field_declaration(field))];
        let note = self.type_note(field);
        if !note.is_empty() {
            doc.push(String::new());
            doc.push(note);
        }
        let doc = docs::attrs(&doc);
        // serde names a field after its identifier without the `r#` of a raw one.
        let serde_name = name.to_string();
        let serde_name = serde_name.strip_prefix("r#").unwrap_or(&serde_name);
        let rename = (field.name != serde_name).then(|| {
            let wire = &field.name;
            quote!(#[serde(rename = #wire)])
        });
        let optional = field.optional.then(
            || quote!(#[serde(default, skip_serializing_if = "::core::option::Option::is_none")]),
        );
        let ty = self.field_type(field);
        quote! {
            #doc
            #rename
            #optional
            pub #name: #ty,
        }
    }

    /// What the Rust type means on the wire, when it is not obvious.
    fn type_note(&self, field: &ir::Field) -> String {
        let mut notes = Vec::new();
        match &field.ty {
            ir::FieldType::Builtin(b) => notes.extend(b.info().rust_doc.map(str::to_owned)),
            ir::FieldType::Ref { model } => match self.model_type(model) {
                Some(ty) => notes.push(format!("The id of a [`{ty}`] row.")),
                None => notes.push(format!("The id of a {} row.", code(model))),
            },
            ir::FieldType::Model { model } => match self.model_type(model) {
                Some(ty) => notes.push(format!("The related [`{ty}`] row itself, nested.")),
                None => notes.push(format!("A nested {} row.", code(model))),
            },
        }
        if field.optional {
            notes.push("May be absent or `null` on the wire; absent when `None`.".to_owned());
        }
        notes.join(" ")
    }

    /// The Rust type of a field, per the type table of `docs/wire.md`.
    pub(super) fn field_type(&self, field: &ir::Field) -> TokenStream {
        let string = quote!(::std::string::String);
        let base = match &field.ty {
            // Every entry's path parses (the type table's tests check it).
            ir::FieldType::Builtin(b) => b.info().rust.parse().unwrap_or_else(|_| string.clone()),
            ir::FieldType::Ref { model } => match self.model_type(model) {
                Some(ty) => {
                    let ty = ident(ty);
                    quote!(::sheplang::Ref<#ty>)
                }
                // Unreachable for a checked spec; keep the id readable anyway.
                None => string,
            },
            ir::FieldType::Model { model } => match self.model_type(model) {
                Some(ty) => {
                    let ty = ident(ty);
                    if field.list {
                        quote!(#ty)
                    } else {
                        quote!(::std::boxed::Box<#ty>)
                    }
                }
                None => quote!(::sheplang::__private::serde_json::Value),
            },
        };
        let ty = if field.list {
            quote!(::std::vec::Vec<#base>)
        } else {
            base
        };
        if field.optional {
            quote!(::core::option::Option<#ty>)
        } else {
            ty
        }
    }

    /// The enum of a `states:` chain.
    fn lifecycle(
        &self,
        model: &ir::Model,
        model_ty: &str,
        names: &super::names::StateNames,
        lifecycle: &ir::Lifecycle,
    ) -> TokenStream {
        let ty = ident(&names.ty);
        let serde = self.serde_crate();
        // A state named twice (only in a hand-made IR) resolves to its first variant.
        let index_of = |state: &str| lifecycle.states.iter().position(|s| s == state);
        let mut next: Vec<Vec<usize>> = vec![Vec::new(); lifecycle.states.len()];
        let mut pairs: Vec<(usize, usize)> = Vec::new();
        for (from, to) in &lifecycle.transitions {
            if let (Some(f), Some(t)) = (index_of(from), index_of(to))
                && !pairs.contains(&(f, t))
            {
                pairs.push((f, t));
                next[f].push(t);
            }
        }
        let variants: Vec<_> = names.variants.iter().map(|v| ident(v)).collect();
        let chain = lifecycle.states.join(" -> ");

        let doc = docs::attrs(&[
            format!("The lifecycle of [`{model_ty}`]: {}.", code(&chain)),
            String::new(),
            format!(
                "{} is the initial state; each arrow is an allowed transition. It serialises as \
                 the state's name in the spec.",
                code(&lifecycle.states[0])
            ),
            String::new(),
            format!(
                "It is not a field of [`{model_ty}`]: a row on the wire carries exactly the \
                 spec's fields."
            ),
        ]);
        let variant_defs = lifecycle.states.iter().enumerate().map(|(i, state)| {
            let v = &variants[i];
            let mut line = code(state);
            if i == 0 {
                line.push_str(" (initial)");
            }
            let targets: Vec<String> = next[i]
                .iter()
                .map(|&t| code(&lifecycle.states[t]))
                .collect();
            if targets.is_empty() {
                line.push_str(": a final state.");
            } else {
                line.push_str(&format!(": may become {}.", targets.join(", ")));
            }
            let doc = docs::attrs(&[line]);
            let rename = (state != &names.variants[i]).then(|| quote!(#[serde(rename = #state)]));
            quote! {
                #doc
                #rename
                #v,
            }
        });
        let state_names = &lifecycle.states;
        let as_str_arms = variants
            .iter()
            .zip(state_names)
            .map(|(v, s)| quote!(Self::#v => #s,));
        let from_str_arms = variants
            .iter()
            .zip(state_names)
            .enumerate()
            // Only the first of a duplicated name can be parsed.
            .filter(|(i, (_, s))| index_of(s) == Some(*i))
            .map(|(_, (v, s))| quote!(#s => ::core::result::Result::Ok(Self::#v),));
        let next_arms = variants.iter().enumerate().map(|(i, v)| {
            let targets = next[i].iter().map(|&t| &variants[t]);
            quote!(Self::#v => &[#(Self::#targets),*],)
        });
        let can_transition = if pairs.is_empty() {
            quote! {
                let _ = (self, next);
                false
            }
        } else {
            let pats = pairs.iter().map(|&(f, t)| {
                let (f, t) = (&variants[f], &variants[t]);
                quote!((Self::#f, Self::#t))
            });
            quote!(::core::matches!((self, next), #(#pats)|*))
        };
        let initial = &variants[0];
        let what = format!("state of `{}`", model.name);
        let mut allows = Vec::new();
        if variant_names_may_lint(&names.ty, &names.variants) {
            allows.push(quote!(clippy::enum_variant_names));
        }
        if is_all_caps(&names.ty) || names.variants.iter().any(|v| is_all_caps(v)) {
            allows.push(quote!(clippy::upper_case_acronyms));
        }
        let allow = (!allows.is_empty())
            .then(|| quote!(#[allow(#(#allows),*, reason = "the names are the spec's")]));

        StringEnum {
            doc,
            ty,
            serde,
            allow,
            variants: variant_defs.collect(),
            inherent: quote! {
                /// Every state, in the order of the spec.
                pub const ALL: &'static [Self] = &[#(Self::#variants),*];
                /// Every state's name in the spec, in the same order.
                pub const NAMES: &'static [&'static str] = &[#(#state_names),*];

                /// The initial state: the first of the chain.
                pub const fn initial() -> Self {
                    Self::#initial
                }

                /// The state's name in the spec.
                pub const fn as_str(self) -> &'static str {
                    match self {
                        #(#as_str_arms)*
                    }
                }

                /// The states this one may become, in the order of the spec.
                pub const fn next_states(self) -> &'static [Self] {
                    match self {
                        #(#next_arms)*
                    }
                }

                /// True when an arrow of the spec leads from this state to `next`.
                pub const fn can_transition_to(self, next: Self) -> bool {
                    #can_transition
                }

                /// True when no arrow leaves this state.
                pub const fn is_final(self) -> bool {
                    self.next_states().is_empty()
                }
            },
            error: quote!(::sheplang::UnknownName),
            parse_arms: from_str_arms.collect(),
            parse_failure: quote!(::core::result::Result::Err(::sheplang::UnknownName::new(
                #what,
                s,
                Self::NAMES
            ))),
        }
        .tokens()
    }

    /// `#[allow(clippy::upper_case_acronyms)]` for a type named like `URL`.
    fn acronym_allow(&self, ty: &str) -> Option<TokenStream> {
        is_all_caps(ty).then(
            || quote!(#[allow(clippy::upper_case_acronyms, reason = "the name is the spec's")]),
        )
    }
}
