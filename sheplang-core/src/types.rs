//! The built-in field types: one table that the parser, the checks, lowering, both generators
//! and the docs test read.
//!
//! Adding a type is one entry in [`builtins!`](self) below, with its mappings: what the checks
//! accept for it ([`ValueClass`]), the Rust type, the TypeScript type, its reader in the Prisma
//! extension and the doc lines each generator writes.

/// What a value of a built-in type is, for the checks: which constraints and defaults fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueClass {
    /// Text-like: `minLength`/`maxLength`, `email`, `pattern`; a string default (or a state).
    Text,
    /// A number: `min`/`max`; a number default.
    Number,
    /// A decimal carried as a string: like [`ValueClass::Number`], and a numeric string default.
    Decimal,
    /// `true` or `false`.
    Bool,
    /// A date or a time: a string default, or `now`.
    Temporal,
}

impl ValueClass {
    /// `min` and `max` apply.
    pub fn is_numeric(self) -> bool {
        matches!(self, ValueClass::Number | ValueClass::Decimal)
    }
}

/// One built-in type and everything the compiler knows about it.
#[derive(Debug)]
pub struct TypeInfo {
    pub builtin: Builtin,
    /// The spelling in a spec (`yes/no`).
    pub name: &'static str,
    /// The `kind` of the type in the IR's JSON (`bool`).
    pub ir_kind: &'static str,
    pub class: ValueClass,
    /// A field named `id` may have this type (the id travels as a string).
    pub id_capable: bool,
    /// Names users reach for from other languages that mean this type, for "did you mean".
    pub aliases: &'static [&'static str],
    /// The value on the wire (docs/wire.md's JSON column).
    pub json: &'static str,
    /// The Rust type, as a path the generated code can name.
    pub rust: &'static str,
    /// The note on a Rust field of this type, when its type does not say everything: a few
    /// words, lower case, no full stop (the field's doc line is `` `decl`: note. ``).
    pub rust_doc: Option<&'static str>,
    /// The TypeScript type.
    pub ts: &'static str,
    /// The JSDoc line on a TypeScript field of this type, when its type does not say everything.
    pub ts_doc: Option<&'static str>,
    /// The function of the Prisma extension's runtime that reads a value of this type.
    pub ts_reader: &'static str,
}

macro_rules! builtins {
    ($($variant:ident { $($field:ident: $value:expr,)* })*) => {
        /// A built-in scalar type. Its facts are in [`TYPES`] ([`Builtin::info`]).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Builtin {
            $($variant,)*
        }

        /// Every built-in type, in the order the docs and the messages list them.
        pub const TYPES: &[TypeInfo] = &[
            $(TypeInfo { builtin: Builtin::$variant, $($field: $value,)* },)*
        ];
    };
}

const STRING: &str = "::std::string::String";

builtins! {
    Text {
        name: "text",
        ir_kind: "text",
        class: ValueClass::Text,
        id_capable: true,
        aliases: &["string", "str", "url", "json"],
        json: "string",
        rust: STRING,
        rust_doc: None,
        ts: "string",
        ts_doc: None,
        ts_reader: "asText",
    }
    Number {
        name: "number",
        ir_kind: "number",
        class: ValueClass::Number,
        id_capable: false,
        aliases: &["int", "integer", "float", "double"],
        json: "number",
        rust: "f64",
        rust_doc: None,
        ts: "number",
        ts_doc: None,
        ts_reader: "asNumber",
    }
    Bool {
        name: "yes/no",
        ir_kind: "bool",
        class: ValueClass::Bool,
        id_capable: false,
        aliases: &["boolean", "bool"],
        json: "boolean",
        rust: "bool",
        rust_doc: None,
        ts: "boolean",
        ts_doc: None,
        ts_reader: "asBoolean",
    }
    Id {
        name: "id",
        ir_kind: "id",
        class: ValueClass::Text,
        id_capable: true,
        aliases: &["uuid"],
        json: "string",
        rust: STRING,
        rust_doc: None,
        ts: "string",
        ts_doc: Some("`id`: an identifier."),
        ts_reader: "asId",
    }
    Date {
        name: "date",
        ir_kind: "date",
        class: ValueClass::Temporal,
        id_capable: false,
        aliases: &[],
        json: "string, ISO 8601 date (`\"2026-11-25\"`)",
        rust: STRING,
        rust_doc: Some("an ISO 8601 date"),
        ts: "string",
        ts_doc: Some("`date`: an ISO 8601 date such as `\"2026-11-25\"`."),
        ts_reader: "asDate",
    }
    Datetime {
        name: "datetime",
        ir_kind: "datetime",
        class: ValueClass::Temporal,
        id_capable: false,
        aliases: &["timestamp"],
        json: "string, ISO 8601 / RFC 3339 (`\"2026-11-25T09:00:00Z\"`)",
        rust: STRING,
        rust_doc: Some("an RFC 3339 date-time"),
        ts: "string",
        ts_doc: Some("`datetime`: an ISO 8601 timestamp such as `\"2026-11-25T09:00:00Z\"`."),
        ts_reader: "asDatetime",
    }
    Email {
        name: "email",
        ir_kind: "email",
        class: ValueClass::Text,
        id_capable: false,
        aliases: &[],
        json: "string",
        rust: STRING,
        rust_doc: None,
        ts: "string",
        ts_doc: Some("`email`: an e-mail address."),
        ts_reader: "asText",
    }
    Money {
        name: "money",
        ir_kind: "money",
        class: ValueClass::Decimal,
        id_capable: false,
        aliases: &["decimal"],
        json: "string, a decimal (`\"12.50\"`), never a float",
        rust: "::sheplang::Money",
        rust_doc: Some("a decimal string, never a float"),
        ts: "string",
        ts_doc: Some("`money`: a decimal string such as `\"12.50\"`, never a float."),
        ts_reader: "asMoney",
    }
    Image {
        name: "image",
        ir_kind: "image",
        class: ValueClass::Text,
        id_capable: false,
        aliases: &[],
        json: "string",
        rust: STRING,
        rust_doc: None,
        ts: "string",
        ts_doc: Some("`image`: an image URL or path."),
        ts_reader: "asText",
    }
    Richtext {
        name: "richtext",
        ir_kind: "richtext",
        class: ValueClass::Text,
        id_capable: false,
        aliases: &[],
        json: "string",
        rust: STRING,
        rust_doc: None,
        ts: "string",
        ts_doc: Some("`richtext`: formatted text."),
        ts_reader: "asText",
    }
    File {
        name: "file",
        ir_kind: "file",
        class: ValueClass::Text,
        id_capable: false,
        aliases: &[],
        json: "string",
        rust: STRING,
        rust_doc: None,
        ts: "string",
        ts_doc: Some("`file`: a file URL or path."),
        ts_reader: "asText",
    }
}

impl Builtin {
    /// This type's entry of [`TYPES`].
    pub fn info(self) -> &'static TypeInfo {
        // The macro writes the entries in the enum's order; a unit test checks it.
        &TYPES[self as usize]
    }

    /// The spelling in a spec (`yes/no`).
    pub fn name(self) -> &'static str {
        self.info().name
    }

    /// The built-in type spelled `name` in a spec.
    pub fn from_name(name: &str) -> Option<Builtin> {
        TYPES.iter().find(|t| t.name == name).map(|t| t.builtin)
    }

    /// The built-in type whose IR `kind` is `kind`.
    pub fn from_ir_kind(kind: &str) -> Option<Builtin> {
        TYPES.iter().find(|t| t.ir_kind == kind).map(|t| t.builtin)
    }

    /// The built-in type a name from another language means (`boolean`: `yes/no`), ignoring case.
    pub fn from_alias(name: &str) -> Option<Builtin> {
        TYPES
            .iter()
            .find(|t| t.aliases.iter().any(|a| a.eq_ignore_ascii_case(name)))
            .map(|t| t.builtin)
    }
}

/// Every built-in spelling, in table order.
pub fn names() -> impl Iterator<Item = &'static str> {
    TYPES.iter().map(|t| t.name)
}

/// The spellings of the built-in types of which `keep` holds, as prose: "`number` and `money`".
pub fn listed(keep: impl Fn(&TypeInfo) -> bool, conjunction: &str) -> String {
    let names: Vec<String> = TYPES
        .iter()
        .filter(|t| keep(t))
        .map(|t| format!("`{}`", t.name))
        .collect();
    match names.split_last() {
        None => String::new(),
        Some((only, [])) => only.clone(),
        Some((last, rest)) => format!("{} {conjunction} {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_in_enum_order_and_each_name_is_unique() {
        for (i, t) in TYPES.iter().enumerate() {
            assert_eq!(t.builtin as usize, i, "`{}` is out of place", t.name);
            assert_eq!(t.builtin.info().name, t.name);
            assert_eq!(Builtin::from_name(t.name), Some(t.builtin));
            assert_eq!(Builtin::from_ir_kind(t.ir_kind), Some(t.builtin));
        }
        let mut words: Vec<&str> = TYPES
            .iter()
            .flat_map(|t| std::iter::once(t.name).chain(t.aliases.iter().copied()))
            .collect();
        let all = words.len();
        words.sort_unstable();
        words.dedup();
        assert_eq!(words.len(), all, "a name or alias is listed twice");
        let mut kinds: Vec<&str> = TYPES.iter().map(|t| t.ir_kind).collect();
        kinds.sort_unstable();
        kinds.dedup();
        assert_eq!(kinds.len(), TYPES.len(), "two types share an IR kind");
    }

    #[test]
    fn every_entry_maps_to_both_languages() {
        for t in TYPES {
            let rust: Result<proc_macro2::TokenStream, _> = t.rust.parse();
            assert!(rust.is_ok(), "`{}`: `{}` is no Rust type", t.name, t.rust);
            assert!(
                ["string", "number", "boolean"].contains(&t.ts),
                "`{}`: `{}` is not a JSON-carried TypeScript type",
                t.name,
                t.ts
            );
            assert!(t.ts_reader.starts_with("as"), "`{}`: reader", t.name);
            assert!(
                t.json.starts_with(t.ts),
                "`{}`: the JSON `{}` and the TypeScript `{}` disagree",
                t.name,
                t.json,
                t.ts
            );
            // An alias is a word that is no built-in spelling, so a "did you mean" for it is
            // never about itself.
            for alias in t.aliases {
                assert_eq!(Builtin::from_name(alias), None, "`{alias}`");
                assert_eq!(Builtin::from_alias(alias), Some(t.builtin));
            }
            if t.id_capable {
                assert_eq!(t.class, ValueClass::Text, "`{}`: an id is text", t.name);
            }
        }
    }

    #[test]
    fn listed_reads_as_prose() {
        assert_eq!(
            listed(|t| t.class.is_numeric(), "and"),
            "`number` and `money`"
        );
        assert_eq!(listed(|t| t.id_capable, "or"), "`text` or `id`");
        assert_eq!(listed(|t| t.name == "date", "or"), "`date`");
        assert_eq!(listed(|_| false, "or"), "");
    }
}
