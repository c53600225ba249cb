//! `schema.prisma`: the spec's models for Prisma, as the generated Prisma extension
//! (`api/realtime/middleware.ts`) expects them: the same model names, an `id` primary key and a
//! field named after each spec field. The tables are those of [`super::sql`] (the same
//! names, types and join tables), so a database made with the generated SQL serves this
//! schema's client.
//!
//! - A `ref[X]` is the scalar id of an `X` (the SQL holds its foreign key).
//! - A bare `X` is a relation: the field holds the related row, and a scalar `<field>Id`
//!   (stored in the field's column) holds its id. A list of bare `X` is an implicit
//!   many-to-many relation. Prisma needs the other side of each relation: `X` gets a field
//!   named `<model><Field>` (`bookAuthor`) listing the rows that point at it.
//! - SQLite has no list columns: a list is a JSON array in a `String`; PostgreSQL has scalar
//!   lists.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use super::GENERATED_HEADER;
use super::sql::{Dialect, is_decimal, is_temporal, number, relation_name};
use super::storage::{IdKind, Storage};
use crate::ir::{self, DefaultValue, FieldType};
use crate::types::{Builtin, ValueClass};

/// The `schema.prisma` of `spec` for `dialect`: the datasource, a `prisma-client` generator
/// writing into `./generated` beside the schema, and one model per spec model.
pub fn generate(spec: &ir::Spec, storage: &Storage, dialect: Dialect) -> String {
    let mut out = String::new();
    let provider = match dialect {
        Dialect::Sqlite => "sqlite",
        Dialect::Postgres => "postgresql",
    };
    let _ = writeln!(
        out,
        "{GENERATED_HEADER} from app `{}`: its Prisma models. Do not edit.\n\
         // The tables are those of the spec's generated {} SQL; the connection URL goes in\n\
         // `prisma.config.ts` or the client's driver adapter.\n\n\
         generator client {{\n  provider = \"prisma-client\"\n  output   = \"./generated\"\n}}\n\n\
         datasource db {{\n  provider = \"{provider}\"\n}}",
        spec.app,
        dialect.title()
    );
    // Each model's back relations, found once (not by scanning them all for every model).
    let mut back: BTreeMap<String, Vec<Back>> = BTreeMap::new();
    for b in back_relations(spec) {
        back.entry(b.on.clone()).or_default().push(b);
    }
    for model in &spec.models {
        out.push('\n');
        let back = back.get(model.name.as_str()).map_or(&[][..], Vec::as_slice);
        model_block(&mut out, spec, storage, dialect, model, back);
    }
    out
}

/// The other side of a relation: a field of the target model.
struct Back {
    /// The model holding it (the relation's target).
    on: String,
    /// The model the relation comes from.
    from: String,
    relation: String,
    /// `[]` or `?` (a unique single relation is one-to-one).
    many: bool,
    /// The preferred field name: `<model><Field>`.
    name: String,
}

fn back_relations(spec: &ir::Spec) -> Vec<Back> {
    let mut out = Vec::new();
    for model in &spec.models {
        for field in &model.fields {
            if let FieldType::Model { model: target } = &field.ty {
                out.push(Back {
                    on: target.clone(),
                    from: model.name.clone(),
                    relation: relation_name(model, field),
                    many: field.list || !field.unique,
                    name: format!("{}{}", lower_first(&model.name), upper_first(&field.name)),
                });
            }
        }
    }
    out
}

fn model_block(
    out: &mut String,
    spec: &ir::Spec,
    storage: &Storage,
    dialect: Dialect,
    model: &ir::Model,
    back: &[Back],
) {
    let mut taken: BTreeSet<Cow<'_, str>> = model
        .fields
        .iter()
        .map(|f| Cow::Borrowed(f.name.as_str()))
        .collect();
    taken.insert(Cow::Borrowed("id"));
    // (name, type, attributes)
    let mut rows: Vec<(Cow<'_, str>, Cow<'_, str>, String)> =
        Vec::with_capacity(model.fields.len() + back.len() + 2);
    let id_column = storage.column_of(&model.name, "id");
    let (id_type, id_default) = match storage.id_of(&model.name) {
        IdKind::Text => ("String", "uuid()"),
        IdKind::Integer => (integer(dialect), "autoincrement()"),
    };
    rows.push((
        Cow::Borrowed("id"),
        Cow::Borrowed(id_type),
        format!("@id @default({id_default}){}", map(id_column, "id")),
    ));
    for field in model.fields.iter().filter(|f| f.name != "id") {
        let column = storage.column_of(&model.name, &field.name);
        let optional = if field.optional { "?" } else { "" };
        match &field.ty {
            FieldType::Model { model: target } if field.list => rows.push((
                Cow::Borrowed(field.name.as_str()),
                Cow::Owned(format!("{target}[]")),
                format!("@relation({})", string(&relation_name(model, field))),
            )),
            FieldType::Model { model: target } => {
                let scalar = fresh(&format!("{}Id", field.name), &mut taken);
                rows.push((
                    Cow::Borrowed(field.name.as_str()),
                    Cow::Owned(format!("{target}{optional}")),
                    format!(
                        "@relation({}, fields: [{scalar}], references: [id])",
                        string(&relation_name(model, field))
                    ),
                ));
                let mut attributes = String::new();
                if field.unique {
                    attributes.push_str("@unique");
                }
                push_map(&mut attributes, column, &scalar);
                rows.push((
                    Cow::Owned(scalar),
                    Cow::Owned(format!(
                        "{}{optional}",
                        target_id(spec, storage, dialect, target)
                    )),
                    attributes,
                ));
            }
            _ => {
                let (ty, attributes) = scalar(spec, storage, dialect, field);
                let mut attributes = attributes;
                push_map(&mut attributes, column, &field.name);
                let suffix = if field.list { "" } else { optional };
                let ty = if suffix.is_empty() {
                    ty
                } else {
                    Cow::Owned(format!("{ty}{suffix}"))
                };
                rows.push((Cow::Borrowed(field.name.as_str()), ty, attributes));
            }
        }
    }
    for b in back {
        let name = fresh(&b.name, &mut taken);
        let ty = if b.many {
            format!("{}[]", b.from)
        } else {
            format!("{}?", b.from)
        };
        rows.push((
            Cow::Owned(name),
            Cow::Owned(ty),
            format!("@relation({})", string(&b.relation)),
        ));
    }
    let name_width = rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
    let type_width = rows.iter().map(|r| r.1.len()).max().unwrap_or(0);
    let _ = writeln!(out, "model {} {{", model.name);
    for (name, ty, attributes) in &rows {
        // `  {name:name_width$} {ty:type_width$} {attributes}` without its trailing spaces,
        // written in place (the widths count bytes, the padding characters, as `format!`).
        let start = out.len();
        out.push_str("  ");
        push_padded(out, name, name_width);
        out.push(' ');
        push_padded(out, ty, type_width);
        out.push(' ');
        out.push_str(attributes);
        let kept = out[start..].trim_end().len();
        out.truncate(start + kept);
        out.push('\n');
    }
    let table = storage.table_of(&model.name);
    if table != model.name {
        let _ = writeln!(out, "\n  @@map({})", string(table));
    }
    out.push_str("}\n");
}

/// `text` and spaces after it up to `width` characters (`format!("{text:width$}")`).
fn push_padded(out: &mut String, text: &str, width: usize) {
    out.push_str(text);
    let chars = if text.is_ascii() {
        text.len()
    } else {
        text.chars().count()
    };
    for _ in chars..width {
        out.push(' ');
    }
}

fn integer(dialect: Dialect) -> &'static str {
    match dialect {
        // SQLite's INTEGER is 64 bits either way; Prisma counts up only an `Int` there.
        Dialect::Sqlite => "Int",
        Dialect::Postgres => "BigInt",
    }
}

fn target_id(spec: &ir::Spec, storage: &Storage, dialect: Dialect, target: &str) -> &'static str {
    debug_assert!(spec.model(target).is_some(), "a resolved reference");
    match storage.id_of(target) {
        IdKind::Text => "String",
        IdKind::Integer => integer(dialect),
    }
}

/// A field that is a column of its own: its Prisma type (without `?`) and attributes.
fn scalar(
    spec: &ir::Spec,
    storage: &Storage,
    dialect: Dialect,
    field: &ir::Field,
) -> (Cow<'static, str>, String) {
    let mut attributes = Vec::new();
    let one = match &field.ty {
        FieldType::Builtin(b) => {
            if let (Dialect::Postgres, Builtin::Date) = (dialect, b) {
                attributes.push("@db.Date".to_owned());
            }
            if let (Dialect::Postgres, Builtin::Datetime) = (dialect, b) {
                attributes.push("@db.Timestamptz".to_owned());
            }
            match b.info().class {
                ValueClass::Text => "String",
                ValueClass::Number => "Float",
                ValueClass::Decimal => "Decimal",
                ValueClass::Bool => "Boolean",
                ValueClass::Temporal => "DateTime",
            }
        }
        FieldType::Ref { model } => target_id(spec, storage, dialect, model),
        FieldType::Model { .. } => unreachable!("relations are not scalars"),
    };
    if field.unique {
        attributes.insert(0, "@unique".to_owned());
    }
    if field.list {
        return match dialect {
            Dialect::Sqlite => {
                if !field.optional {
                    attributes.insert(0, "@default(\"[]\")".to_owned());
                }
                attributes.retain(|a| !a.starts_with("@db."));
                (Cow::Borrowed("String"), attributes.join(" "))
            }
            Dialect::Postgres => {
                if !field.optional {
                    attributes.insert(0, "@default([])".to_owned());
                }
                (Cow::Owned(format!("{one}[]")), attributes.join(" "))
            }
        };
    }
    if let (FieldType::Builtin(b), Some(value)) = (&field.ty, &field.default)
        && let Some(default) = default(*b, value)
    {
        attributes.insert(0, format!("@default({default})"));
    }
    (Cow::Borrowed(one), attributes.join(" "))
}

/// A default that fits the field's type, as the SQL generator keeps it.
fn default(builtin: Builtin, value: &DefaultValue) -> Option<String> {
    match (builtin.info().class, value) {
        (ValueClass::Text, DefaultValue::Text(s) | DefaultValue::Name(s)) => Some(string(s)),
        (ValueClass::Number | ValueClass::Decimal, DefaultValue::Number(n)) => Some(number(*n)),
        (ValueClass::Decimal, DefaultValue::Text(s)) if is_decimal(s) => Some(string(s)),
        (ValueClass::Bool, DefaultValue::Bool(b)) => Some(b.to_string()),
        (ValueClass::Temporal, DefaultValue::Name(now)) if now == "now" => Some("now()".into()),
        (ValueClass::Temporal, DefaultValue::Text(s))
            if builtin == Builtin::Datetime && is_temporal(builtin, s) =>
        {
            Some(string(s))
        }
        _ => None,
    }
}

/// `@map("column")` when the column is not named like the field.
fn map(column: &str, field: &str) -> String {
    if column == field {
        String::new()
    } else {
        format!(" @map({})", string(column))
    }
}

fn push_map(attributes: &mut String, column: &str, field: &str) {
    let m = map(column, field);
    if attributes.is_empty() {
        attributes.push_str(m.trim_start());
    } else {
        attributes.push_str(&m);
    }
}

/// `base`, or `base2`, `base3`, ... : the first name not yet taken (which it then is).
fn fresh(base: &str, taken: &mut BTreeSet<Cow<'_, str>>) -> String {
    let mut name = base.to_owned();
    let mut n = 2;
    while taken.contains(name.as_str()) {
        name = format!("{base}{n}");
        n += 1;
    }
    taken.insert(Cow::Owned(name.clone()));
    name
}

/// A Prisma string literal.
fn string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn lower_first(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_lowercase().chain(chars).collect())
        .unwrap_or_default()
}

fn upper_first(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}
