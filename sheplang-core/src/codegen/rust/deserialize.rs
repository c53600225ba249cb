//! A row's `Deserialize`: written out, not derived. The generic visitor is the facade's
//! (`sheplang::__private::row`); each row implements `sheplang::__private::Row`: its keys, and
//! one function that reads each field's value into a slot (a tuple of `Option`s whose types
//! the struct literal at its end infers) and makes the row from the slots. serde's derive
//! writes an enum of the fields with its own visitor, a `visit_seq` and a `visit_map` per
//! struct, a large part of a big spec's compile time; this reads the same input with the same
//! results and errors (the facade's `row_de` module has the rules).

use super::Gen;
use super::names::ident;
use super::out::{Out, lit, ln};

/// How a row field without a value on the wire is made.
enum Missing {
    /// serde's `missing field` error (the facade's `Fields::required`).
    Required,
    /// Its type's default: `None` for an optional field, the initial state for the lifecycle's.
    Default,
}

impl Gen<'_> {
    /// The `Deserialize` and `sheplang::__private::Row` impls of model `index`'s row.
    pub(super) fn row_deserialize(&self, out: &mut Out, index: usize) {
        let model = &self.spec.models[index];
        let names = &self.names.models[index];
        let ty = &names.ty;
        // (Rust name, wire key, without a value): the struct's fields in its order.
        let mut fields = vec![("id".into(), "id", Missing::Required)];
        for (field, rust_name) in model.fields.iter().zip(&names.fields) {
            let Some(rust_name) = rust_name else {
                continue;
            };
            let missing = if field.optional || self.state_type(index, field).is_some() {
                Missing::Default
            } else {
                Missing::Required
            };
            fields.push((ident(rust_name), field.name.as_str(), missing));
        }

        out.open(&format!(
            "impl<'de> ::sheplang::__private::serde::Deserialize<'de> for {ty} {{"
        ));
        out.line("#[inline]");
        out.open("fn deserialize<D: ::sheplang::__private::serde::Deserializer<'de>>(deserializer: D) -> ::core::result::Result<Self, D::Error> {");
        out.line("::sheplang::__private::row(deserializer)");
        out.close("}");
        out.close("}");
        out.blank();

        out.open(&format!(
            "impl<'de> ::sheplang::__private::Row<'de> for {ty} {{"
        ));
        ln!(out, "const STRUCT: &'static str = {};", lit(ty));
        let keys: Vec<String> = fields.iter().map(|f| lit(f.1)).collect();
        let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
        out.list("const KEYS: &'static [&'static str] = &[", &keys, "];");
        out.blank();
        out.line("#[inline]");
        out.open("fn read<F: ::sheplang::__private::Fields<'de>>(mut fields: F) -> ::core::result::Result<Self, F::Error> {");
        // One slot a field, its type inferred from the struct below.
        out.line("use ::core::option::Option::None;");
        let nones = vec!["None"; fields.len()];
        // A tuple of one needs its comma.
        out.list(
            "let mut slots = (",
            &nones,
            if fields.len() == 1 { ",);" } else { ");" },
        );
        out.open("while let ::core::option::Option::Some(index) = fields.next_key()? {");
        out.open("match index {");
        for i in 0..fields.len() {
            ln!(out, "{i} => fields.read(&mut slots.{i})?,");
        }
        out.line("_ => {}");
        out.close("}");
        out.close("}");
        out.open("::core::result::Result::Ok(Self {");
        for (i, (name, _, missing)) in fields.iter().enumerate() {
            match missing {
                Missing::Required => ln!(out, "{name}: fields.required(slots.{i}, {i})?,"),
                Missing::Default => ln!(out, "{name}: slots.{i}.unwrap_or_default(),"),
            }
        }
        out.close("})");
        out.close("}");
        out.close("}");
        out.blank();
    }
}
