//! Documentation text for generated items, from the spec.
//!
//! Spec text (rules, defaults, patterns) goes inside code spans, so nothing in it can turn into
//! a broken intra-doc link, an HTML tag or a bare URL under `rustdoc -D warnings`.

use crate::ir;

/// A Markdown code span around arbitrary text: a fence of backticks longer than any run inside.
/// Control characters (a newline could end a `///` line) become spaces.
pub(super) fn code(text: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for b in text.bytes() {
        if b == b'`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    let pad = if text.starts_with('`') || text.ends_with('`') || text.is_empty() {
        " "
    } else {
        ""
    };
    let mut out = String::with_capacity(text.len() + 2 * (longest + 2));
    for _ in 0..=longest {
        out.push('`');
    }
    out.push_str(pad);
    super::out::push_spaced(&mut out, text);
    out.push_str(pad);
    for _ in 0..=longest {
        out.push('`');
    }
    out
}

/// A number as the spec would write it: `3`, not `3.0`.
pub(super) fn number(n: f64) -> String {
    if n.is_finite() && n.fract() == 0.0 && n.abs() < 1e15 {
        crate::codegen::constraints::whole(n)
    } else {
        format!("{n}")
    }
}

/// A string literal as the spec writes it: double quotes, or single quotes when it holds a
/// double quote (the language has no escapes).
fn string_literal(s: &str) -> String {
    if s.contains('"') {
        format!("'{s}'")
    } else {
        format!("\"{s}\"")
    }
}

/// The field's declaration, normalised: `title: text required minLength=3`.
pub(super) fn field_declaration(field: &ir::Field) -> String {
    let mut out = String::with_capacity(64);
    out.push_str(&field.name);
    out.push_str(": ");
    out.push_str(&field.ty.spec_name());
    if field.list {
        out.push_str("[]");
    }
    if field.required {
        out.push_str(" required");
    }
    if field.unique {
        out.push_str(" unique");
    }
    if field.optional {
        out.push_str(" optional");
    }
    let c = &field.constraints;
    for (key, n) in [
        ("min", c.min),
        ("max", c.max),
        ("minLength", c.min_length),
        ("maxLength", c.max_length),
    ] {
        if let Some(n) = n {
            out.push(' ');
            out.push_str(key);
            out.push('=');
            out.push_str(&number(n));
        }
    }
    if let Some(b) = c.email {
        out.push_str(if b { " email=true" } else { " email=false" });
    }
    if let Some(p) = &c.pattern {
        out.push_str(" pattern=");
        out.push_str(&string_literal(p));
    }
    if let Some(d) = &field.default {
        out.push_str(" default=");
        out.push_str(&default_value(d));
    }
    out
}

/// A default as the spec writes it.
pub(super) fn default_value(d: &ir::DefaultValue) -> String {
    match d {
        ir::DefaultValue::Text(s) => string_literal(s),
        ir::DefaultValue::Number(n) => number(*n),
        ir::DefaultValue::Bool(b) => b.to_string(),
        ir::DefaultValue::Name(n) => n.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_spans_survive_backticks() {
        assert_eq!(code("a"), "`a`");
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`x`"), "`` `x` ``");
        assert_eq!(code("line\nbreak"), "`line break`");
    }

    #[test]
    fn numbers_read_like_the_spec() {
        assert_eq!(number(3.0), "3");
        assert_eq!(number(12.5), "12.5");
        assert_eq!(number(-0.25), "-0.25");
        assert_eq!(number(f64::NAN), "NaN");
        // The same as the float formatter for every whole number it takes.
        for n in [
            0.0,
            -0.0,
            1.0,
            -7.0,
            42.0,
            1e14,
            -999_999_999_999_999.0,
            2f64.powi(49),
        ] {
            assert_eq!(number(n), format!("{n:.0}"));
            assert_eq!(crate::codegen::constraints::bound_text(n), format!("{n}"));
        }
    }
}
