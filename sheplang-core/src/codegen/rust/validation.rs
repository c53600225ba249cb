//! Each model's constraints as a constant table, `RULES`, and `validate()`, one call of the
//! facade's `sheplang::validate::check` with the table and the row's constrained fields.
//!
//! A table and one generic checker keep the generated code small: a field with constraints
//! costs one line of constants and one reference, whatever it checks.

use super::Gen;
use super::names::ident;
use super::out::{Out, push_lit};
use crate::codegen::constraints::{Bound, Checks, bound_text};
use crate::ir;

impl Gen<'_> {
    /// `RULES` and `validate()` of model `index`, inside its inherent `impl`.
    pub(super) fn validation(&self, out: &mut Out, index: usize) {
        let model = &self.spec.models[index];
        let names = &self.names.models[index];
        let mut rules = Vec::new();
        let mut values = Vec::new();
        for (field, name) in model.fields.iter().zip(&names.fields) {
            let Some(chain) = field_rules(field) else {
                continue;
            };
            let mut rule = String::with_capacity(48 + field.name.len() + chain.len());
            rule.push_str("::sheplang::validate::FieldRules::new(");
            push_lit(&mut rule, &field.name);
            rule.push(')');
            rule.push_str(&chain);
            rules.push(rule);
            let name = ident(name.as_deref().unwrap_or("id"));
            let mut value = String::with_capacity(6 + name.len());
            value.push_str("&self.");
            value.push_str(&name);
            values.push(value);
        }
        out.doc(&[
            "The spec's constraints, one entry per constrained field (its name on the wire",
            "and what it must be): what [`Self::validate`] checks.",
        ]);
        let rules: Vec<&str> = rules.iter().map(String::as_str).collect();
        out.list(
            "pub const RULES: &'static [::sheplang::validate::FieldRules] = &[",
            &rules,
            "];",
        );
        out.blank();
        out.doc(&[
            "Checks the row against the spec's constraints (`required`, `minLength`,",
            "`maxLength`, `min`, `max`, `email`, `pattern`; `unique` is the database's).",
            "",
            "# Errors",
            "Every constraint the row breaks, in the order of the fields.",
        ]);
        out.line("#[inline]");
        out.open("pub fn validate(&self) -> ::core::result::Result<(), ::sheplang::Violations> {");
        let values: Vec<&str> = values.iter().map(String::as_str).collect();
        out.list("::sheplang::validate::check(Self::RULES, &[", &values, "])");
        out.close("}");
    }
}

/// The builder calls after `FieldRules::new(..)` for a field, or `None` when nothing is checked.
fn field_rules(field: &ir::Field) -> Option<String> {
    let checks = Checks::of(field)?;
    let mut chain = String::new();
    if checks.required {
        chain.push_str(".required()");
    }
    for (bound, value) in checks.bounds {
        let method = match bound {
            Bound::MinLength => "min_length",
            Bound::MaxLength => "max_length",
            Bound::Min => "min",
            Bound::Max => "max",
        };
        let text = bound_text(value);
        chain.push('.');
        chain.push_str(method);
        chain.push('(');
        if value.is_finite() {
            chain.push_str(&text);
            chain.push_str("f64");
        } else {
            chain.push_str(&bound_literal(value));
        }
        chain.push_str(", ");
        push_lit(&mut chain, &text);
        chain.push(')');
    }
    if checks.email {
        chain.push_str(".email()");
    }
    if let Some(pattern) = checks.pattern {
        chain.push_str(".pattern(");
        push_lit(&mut chain, pattern);
        chain.push(')');
    }
    Some(chain)
}

/// A bound as an `f64` expression: `2f64`, `-0.5f64`, or an infinity constant.
fn bound_literal(value: f64) -> String {
    if value.is_finite() {
        format!("{}f64", bound_text(value))
    } else if value > 0.0 {
        "::core::f64::INFINITY".to_owned()
    } else {
        "::core::f64::NEG_INFINITY".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_are_f64_expressions() {
        assert_eq!(bound_literal(2.0), "2f64");
        assert_eq!(bound_literal(-0.5), "-0.5f64");
        assert_eq!(bound_literal(f64::INFINITY), "::core::f64::INFINITY");
        assert_eq!(
            bound_literal(f64::NEG_INFINITY),
            "::core::f64::NEG_INFINITY"
        );
    }
}
