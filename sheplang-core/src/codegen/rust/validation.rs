//! Each model's constraints as a constant table, `RULES`, and `validate()`, one call of the
//! facade's `sheplang::validate::check` with the table and the row's constrained fields.
//!
//! A table and one generic checker keep the generated code small: a field with constraints
//! costs one line of constants and one reference, whatever it checks.

use proc_macro2::{Literal, TokenStream};
use quote::quote;

use super::Gen;
use super::names::ident;
use crate::codegen::constraints::{Bound, Checks, bound_text};
use crate::ir;

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
    let checks = Checks::of(field)?;
    let mut chain = Vec::new();
    if checks.required {
        chain.push(quote!(.required()));
    }
    for (bound, value) in checks.bounds {
        let method = match bound {
            Bound::MinLength => quote!(min_length),
            Bound::MaxLength => quote!(max_length),
            Bound::Min => quote!(min),
            Bound::Max => quote!(max),
        };
        let text = bound_text(value);
        let value = f64_tokens(value);
        chain.push(quote!(.#method(#value, #text)));
    }
    if checks.email {
        chain.push(quote!(.email()));
    }
    if let Some(pattern) = checks.pattern {
        chain.push(quote!(.pattern(#pattern)));
    }
    Some(quote!(#(#chain)*))
}

/// An `f64` literal (`-10f64`), or an infinity.
fn f64_tokens(value: f64) -> TokenStream {
    if value.is_finite() {
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
    }
}
