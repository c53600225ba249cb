//! The shape shared by the generated string-like enums (`Channel`, `ModelName`, the lifecycle
//! enums): a unit enum that serialises, prints and parses as one string per variant.
//!
//! Their serde impls are written out, not derived: `Serialize` writes `as_str()`, and
//! `Deserialize` asks one generic function of the facade (`__private::name_index`) for the
//! string's index in the enum's `NAMES`. A derived `Deserialize` would be a visitor with three
//! matches over the variants per enum; this is a line, which keeps a big spec's module cheap
//! to compile.

use super::ALLOW_UNUSED;
use super::names::{StateNames, is_all_caps, variant_names_may_lint};
use super::out::{Out, lit, ln};

/// The derives of every string-like enum.
const DERIVES: [&str; 8] = [
    "Debug",
    "Clone",
    "Copy",
    "PartialEq",
    "Eq",
    "Hash",
    "PartialOrd",
    "Ord",
];

/// One variant: its docs, its name, and the string it stands for.
pub(super) struct Variant {
    pub doc: String,
    pub name: String,
    pub wire: String,
}

/// What differs between the string-like enums; [`StringEnum::write`] writes the rest.
pub(super) struct StringEnum<'a> {
    /// The enum's documentation lines.
    pub doc: Vec<String>,
    pub ty: &'a str,
    /// A `#[allow(clippy::...)]` line the spec's names may need.
    pub allow: Option<String>,
    pub variants: Vec<Variant>,
    /// `FromStr::Err`.
    pub error: &'a str,
    /// The `Err(...)` for any other string.
    pub parse_failure: String,
}

impl StringEnum<'_> {
    /// The enum, its inherent impl (`inherent` writes the items), `Display` (the string, padded
    /// like `str`) and `FromStr`.
    pub(super) fn write(&self, out: &mut Out, inherent: impl FnOnce(&mut Out)) {
        let ty = self.ty;
        out.doc(&self.doc);
        out.line(ALLOW_UNUSED);
        out.list("#[derive(", &DERIVES, ")]");
        if let Some(allow) = &self.allow {
            out.line(allow);
        }
        if self.variants.is_empty() {
            ln!(out, "pub enum {ty} {{}}");
        } else {
            out.open(&format!("pub enum {ty} {{"));
            for v in &self.variants {
                out.doc(&[&v.doc]);
                ln!(out, "{},", v.name);
            }
            out.close("}");
        }
        out.blank();

        out.line(ALLOW_UNUSED);
        out.open(&format!("impl {ty} {{"));
        inherent(out);
        out.close("}");
        out.blank();

        out.open(&format!("impl ::core::fmt::Display for {ty} {{"));
        out.line("#[inline]");
        out.open("fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {");
        out.line("f.pad(self.as_str())");
        out.close("}");
        out.close("}");
        out.blank();

        out.open(&format!("impl ::core::str::FromStr for {ty} {{"));
        ln!(out, "type Err = {};", self.error);
        out.blank();
        out.line("#[inline]");
        out.open("fn from_str(s: &str) -> ::core::result::Result<Self, Self::Err> {");
        // Only the first variant of a string can be parsed (a state named twice, in a hand-made IR).
        let mut seen = std::collections::BTreeSet::new();
        let arms: Vec<&Variant> = self
            .variants
            .iter()
            .filter(|v| seen.insert(v.wire.as_str()))
            .collect();
        if arms.is_empty() {
            out.line(&self.parse_failure);
        } else {
            out.open("match s {");
            for v in arms {
                ln!(
                    out,
                    "{} => ::core::result::Result::Ok(Self::{}),",
                    lit(&v.wire),
                    v.name
                );
            }
            ln!(out, "_ => {},", self.parse_failure);
            out.close("}");
        }
        out.close("}");
        out.close("}");
        out.blank();

        // `ALL` and `NAMES` (written by `inherent`) are in the same order.
        out.open(&format!(
            "impl ::sheplang::__private::serde::Serialize for {ty} {{"
        ));
        out.line("#[inline]");
        out.open("fn serialize<S: ::sheplang::__private::serde::Serializer>(&self, serializer: S) -> ::core::result::Result<S::Ok, S::Error> {");
        out.line("serializer.serialize_str(self.as_str())");
        out.close("}");
        out.close("}");
        out.blank();
        out.open(&format!(
            "impl<'de> ::sheplang::__private::serde::Deserialize<'de> for {ty} {{"
        ));
        out.line("#[inline]");
        out.open("fn deserialize<D: ::sheplang::__private::serde::Deserializer<'de>>(deserializer: D) -> ::core::result::Result<Self, D::Error> {");
        out.line(
            "::sheplang::__private::name_index(deserializer, Self::NAMES).map(|i| Self::ALL[i])",
        );
        out.close("}");
        out.close("}");
        out.blank();
    }
}

/// `match self { Self::V => <value>, ... }` as the body of a `const fn`: `match self {}` for an
/// enum without variants.
pub(super) fn match_self<'v>(out: &mut Out, arms: impl IntoIterator<Item = (&'v str, String)>) {
    let mut arms = arms.into_iter().peekable();
    if arms.peek().is_none() {
        out.line("match self {}");
        return;
    }
    out.open("match self {");
    for (variant, value) in arms {
        ln!(out, "Self::{variant} => {value},");
    }
    out.close("}");
}

/// `&[Self::A, Self::B]` or `&["a", "b"]`: the items of an `ALL` or `NAMES` constant.
pub(super) fn slice(out: &mut Out, head: &str, items: &[String]) {
    let items: Vec<&str> = items.iter().map(String::as_str).collect();
    out.list(&format!("{head} = &["), &items, "];");
}

/// A model's enum of names from the spec (its lifecycle's states, its workflow's events): the
/// `#[allow]` its names may need, `ALL`, `NAMES` and `as_str()`, with `FromStr` failing as an
/// unknown `what` of the model. `head` writes the items that come before `as_str()`, `tail`
/// the ones after it.
pub(super) struct NameEnum<'a> {
    pub names: &'a StateNames,
    pub model: &'a str,
    /// What one name is: `state`, `event`.
    pub what: &'a str,
    pub doc: Vec<String>,
    pub variants: Vec<Variant>,
}

impl NameEnum<'_> {
    pub(super) fn write(
        self,
        out: &mut Out,
        head: impl FnOnce(&mut Out),
        tail: impl FnOnce(&mut Out),
    ) {
        let NameEnum {
            names,
            model,
            what,
            doc,
            variants,
        } = self;
        let mut allows = Vec::new();
        if variant_names_may_lint(&names.ty, &names.variants) {
            allows.push("clippy::enum_variant_names");
        }
        if is_all_caps(&names.ty) || names.variants.iter().any(|v| is_all_caps(v)) {
            allows.push("clippy::upper_case_acronyms");
        }
        let allow = (!allows.is_empty()).then(|| {
            format!(
                "#[allow({}, reason = \"the names are the spec's\")]",
                allows.join(", ")
            )
        });
        let all: Vec<String> = names
            .variants
            .iter()
            .map(|v| format!("Self::{v}"))
            .collect();
        let strings: Vec<String> = variants.iter().map(|v| lit(&v.wire)).collect();
        StringEnum {
            doc,
            ty: &names.ty,
            allow,
            variants,
            error: "::sheplang::UnknownName",
            parse_failure: format!(
                "::core::result::Result::Err(::sheplang::UnknownName::new({}, s, Self::NAMES))",
                lit(&format!("{what} of `{model}`"))
            ),
        }
        .write(out, |out| {
            out.doc(&[format!("Every {what}, in the order of the spec.")]);
            slice(out, "pub const ALL: &'static [Self]", &all);
            out.doc(&[format!(
                "Every {what}'s name in the spec, in the same order."
            )]);
            slice(out, "pub const NAMES: &'static [&'static str]", &strings);
            out.blank();
            head(out);
            out.doc(&[format!("The {what}'s name in the spec.")]);
            out.line("#[inline]");
            out.open("pub const fn as_str(self) -> &'static str {");
            match_self(
                out,
                names
                    .variants
                    .iter()
                    .map(String::as_str)
                    .zip(strings.iter().cloned()),
            );
            out.close("}");
            tail(out);
        });
        out.blank();
    }
}
