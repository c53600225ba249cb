//! Each model's constraints as a constant table, `RULES`, and `validate()`, one call of the
//! facade's `sheplang::validate::check` with the table and the row's constrained fields.
//!
//! A table and one generic checker keep the generated code small: a field with constraints
//! costs one line of constants and one reference, whatever it checks.

use proc_macro2::{Literal, TokenStream};
use quote::quote;

use super::Gen;
use super::names::ident;
use crate::ir;
use crate::types::Builtin;

impl Gen<'_> {
    /// `RULES` and `validate()` of model `index`, for its inherent `impl`.
    pub(super) fn validation(&self, index: usize) -> TokenStream {
        let model = &self.spec.models[index];
        let names = &self.names.models[index];
        let mut rules = Vec::new();
        let mut values = Vec::new();
        for (field, name) in model.fields.iter().zip(&names.fields) {
            let Some(chain) = field_rules(field) else {
                continue;
            };
            let wire = &field.name;
            rules.push(quote!(::sheplang::validate::FieldRules::new(#wire) #chain));
            let member = ident(name.as_deref().unwrap_or("id"));
            values.push(quote!(&self.#member));
        }
        quote! {
            /// The spec's constraints, one entry per constrained field (its name on the wire
            /// and what it must be): what [`Self::validate`] checks.
            pub const RULES: &'static [::sheplang::validate::FieldRules] = &[#(#rules),*];

            /// Checks the row against the spec's constraints (`required`, `minLength`,
            /// `maxLength`, `min`, `max`, `email`, `pattern`; `unique` is the database's).
            ///
            /// # Errors
            /// Every constraint the row breaks, in the order of the fields.
            pub fn validate(&self) -> ::core::result::Result<(), ::sheplang::Violations> {
                ::sheplang::validate::check(Self::RULES, &[#(#values),*])
            }
        }
    }
}

/// The builder calls after `FieldRules::new(..)` for a field, or `None` when nothing is checked.
fn field_rules(field: &ir::Field) -> Option<TokenStream> {
    let c = &field.constraints;
    let mut chain = Vec::new();
    if field.required && !field.optional {
        chain.push(quote!(.required()));
    }
    let bounds = [
        (c.min_length, quote!(min_length)),
        (c.max_length, quote!(max_length)),
        (c.min, quote!(min)),
        (c.max, quote!(max)),
    ];
    for (bound, method) in bounds {
        if let Some(value) = bound {
            let (value, text) = bound_tokens(value);
            chain.push(quote!(.#method(#value, #text)));
        }
    }
    if checks_email(field) {
        chain.push(quote!(.email()));
    }
    if let Some(pattern) = &c.pattern {
        chain.push(quote!(.pattern(#pattern)));
    }
    (!chain.is_empty()).then(|| quote!(#(#chain)*))
}

/// Whether the field is checked as an e-mail address: `email=true`, or a field of type `email`
/// without `email=false`.
pub(crate) fn checks_email(field: &ir::Field) -> bool {
    match field.constraints.email {
        Some(yes) => yes,
        None => field.ty == ir::FieldType::Builtin(Builtin::Email),
    }
}

/// A bound as an `f64` literal and its text in messages (Rust's shortest form, `1000.5`).
fn bound_tokens(value: f64) -> (TokenStream, String) {
    let text = bound_text(value);
    let tokens = if value.is_finite() {
        let literal = Literal::f64_suffixed(value.abs());
        if value.is_sign_negative() {
            quote!(-#literal)
        } else {
            quote!(#literal)
        }
    } else if value > 0.0 {
        quote!(::core::f64::INFINITY)
    } else {
        quote!(::core::f64::NEG_INFINITY)
    };
    (tokens, text)
}

/// How a bound is printed in messages, in both languages: Rust's shortest decimal form.
pub(crate) fn bound_text(value: f64) -> String {
    format!("{value}")
}
