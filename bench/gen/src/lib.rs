//! The inputs of the generation benchmarks, made deterministically.
//!
//! - [`big_spec`]: a spec of `models` data models of 20 fields each: every built-in type, a
//!   list, optional fields, constraints, a `ref[...]` to the previous model, and a
//!   `states:` lifecycle per model. With 1,000 models it is about 0.6 MB.
//! - [`serde_floor`]: the Rust a person would write by hand for the same rows: one serde
//!   struct per model with the same fields and wire names, one serde enum per lifecycle, and
//!   nothing else. It is the floor the generated Rust's compile time is compared with.
//!
//! `cargo run --release -p sheplang-bench-gen --bin make-spec -- --models 1000 > big.shep`

use std::fmt::Write as _;

/// One field of every generated model: its spec name, its declaration after the colon, and the
/// Rust type the floor gives it.
struct FieldShape {
    name: &'static str,
    decl: &'static str,
    rust: &'static str,
    optional: bool,
}

const fn field(
    name: &'static str,
    decl: &'static str,
    rust: &'static str,
    optional: bool,
) -> FieldShape {
    FieldShape {
        name,
        decl,
        rust,
        optional,
    }
}

/// The 20 fields of every model but the `ref` (field 12 is `owner: ref[...]`, added apart).
const FIELDS: [FieldShape; 19] = [
    field("title", "text required", "String", false),
    field("count", "number min=0 max=100", "f64", false),
    field("done", "yes/no default=false", "bool", false),
    field("code", "id unique", "String", false),
    field("dueDate", "date optional", "String", true),
    field("startsAt", "datetime", "String", false),
    field("contact", "email unique", "String", false),
    field("price", "money optional", "String", true),
    field("photo", "image optional", "String", true),
    field(
        "body",
        "richtext minLength=1 maxLength=5000",
        "String",
        false,
    ),
    field("attachment", "file optional", "String", true),
    field("tags", "text[]", "Vec<String>", false),
    field("scores", "number[] optional", "Vec<f64>", true),
    field("summary", "text maxLength=280", "String", false),
    field("rating", "number min=1 max=5 default=3", "f64", false),
    field("pinned", "yes/no", "bool", false),
    field("publishedOn", "date", "String", false),
    field("website", "text pattern=\"^https://\"", "String", false),
    field("notes", "richtext optional", "String", true),
];

/// The lifecycle of every model: the states in order (each arrow an allowed transition).
const STATES: [&str; 4] = ["draft", "review", "live", "archived"];

/// The name of model `m`.
fn model_name(m: usize) -> String {
    format!("Item{m}")
}

/// The model a model's `owner` field refers to: the previous one (the first refers to itself).
fn owner_of(m: usize) -> usize {
    m.saturating_sub(1)
}

/// A spec of `models` models, 20 fields each, a `ref` and a lifecycle per model (brace style).
pub fn big_spec(models: usize) -> String {
    let mut s = String::with_capacity(models * 700 + 64);
    s.push_str("app Big {\n");
    for m in 0..models {
        let _ = writeln!(s, "  data {} {{\n    fields: {{", model_name(m));
        for (i, f) in FIELDS.iter().enumerate() {
            if i == 12 {
                let _ = writeln!(s, "      owner: ref[{}]", model_name(owner_of(m)));
            }
            let _ = writeln!(s, "      {}: {}", f.name, f.decl);
        }
        let _ = writeln!(s, "    }}\n    states: {}\n  }}", STATES.join(" -> "));
    }
    s.push_str("}\n");
    s
}

/// `dueDate` -> `due_date`.
fn snake(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for c in name.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// The hand-written serde floor of [`big_spec`] with as many models: a library crate's
/// `lib.rs` that needs `serde` (with `derive`) only.
pub fn serde_floor(models: usize) -> String {
    let mut s = String::with_capacity(models * 1_500 + 256);
    s.push_str(
        "//! Hand-written serde rows for the benchmark spec: the least a typed model costs.\n\n\
         use serde::{Deserialize, Serialize};\n",
    );
    for m in 0..models {
        let name = model_name(m);
        let _ = writeln!(
            s,
            "\n#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]\n\
             pub struct {name} {{\n    pub id: String,"
        );
        for (i, f) in FIELDS.iter().enumerate() {
            if i == 12 {
                s.push_str("    pub owner: String,\n");
            }
            let rust = snake(f.name);
            if rust != f.name {
                let _ = writeln!(s, "    #[serde(rename = \"{}\")]", f.name);
            }
            if f.optional {
                let _ = writeln!(
                    s,
                    "    #[serde(default, skip_serializing_if = \"Option::is_none\")]\n    \
                     pub {rust}: Option<{}>,",
                    f.rust
                );
            } else {
                let _ = writeln!(s, "    pub {rust}: {},", f.rust);
            }
        }
        s.push_str("}\n");
        let _ = writeln!(
            s,
            "\n#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]\n\
             #[serde(rename_all = \"lowercase\")]\npub enum {name}State {{"
        );
        for state in STATES {
            let mut variant = state.to_owned();
            variant[..1].make_ascii_uppercase();
            let _ = writeln!(s, "    {variant},");
        }
        s.push_str("}\n");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spec_has_the_promised_shape() {
        let spec = big_spec(3);
        assert_eq!(spec.matches("  data Item").count(), 3);
        assert_eq!(spec.matches("owner: ref[Item").count(), 3);
        assert_eq!(spec.matches("states: draft").count(), 3);
        let fields_of_first = spec
            .split("data Item1 ")
            .next()
            .unwrap_or_default()
            .lines()
            .filter(|l| l.starts_with("      "))
            .count();
        assert_eq!(fields_of_first, 20);
    }

    #[test]
    fn the_floor_has_a_struct_and_an_enum_per_model() {
        let floor = serde_floor(3);
        assert_eq!(floor.matches("pub struct Item").count(), 3);
        assert_eq!(floor.matches("pub enum Item").count(), 3);
        assert!(floor.contains("#[serde(rename = \"dueDate\")]\n"));
    }
}
