//! `api/realtime/records.ts`: the spec's side of the Prisma extension (the runtime's
//! `api/realtime/middleware.ts`): the field table (`FIELDS`) and one converter per model
//! (`TO_WIRE`, a Prisma record to its wire JSON per docs/wire.md), importing only the value
//! readers (`api/realtime/readers.ts`) those use.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::fmt::{self, Write as _};

use super::names;
use super::writer::{Code, tl};
use crate::ir::{self, FieldType};

pub(super) fn generate(spec: &ir::Spec) -> String {
    let mut readers = BTreeSet::new();
    // About 1.6 KB a model of 20 fields.
    let mut body = Code::with_capacity(4_096 + spec.models.len() * 1_700);
    let names = names::Names::new(spec);
    fields_table(&mut body, spec);
    body.blank();
    converters(&mut body, spec, &names, &mut readers);
    // The state constants the converters check a `status` against.
    let states: Vec<&str> = spec
        .models
        .iter()
        .filter_map(|m| m.state_field().and(names.states(&m.name)))
        .map(|(_, constant)| constant)
        .collect();

    let mut c = Code::with_capacity(4_096 + spec.models.len() * 1_700);
    c.line(super::header(spec));
    c.blank();
    c.doc(&format!(
        "App `{}` as the Prisma extension (`middleware.ts`) sees it: the fields each event\n\
         reads, and how a Prisma record of each model becomes its wire JSON.",
        spec.app
    ));
    c.blank();
    if states.is_empty() {
        c.line("import type { ModelName, Models } from '../../types.js';");
    } else {
        c.line(format!(
            "import {{ {}, type ModelName, type Models }} from '../../types.js';",
            states.join(", ")
        ));
    }
    let mut names: Vec<String> = readers.iter().map(|r| (*r).to_owned()).collect();
    names.extend(["type Fields".to_owned(), "type PrismaRecord".to_owned()]);
    let import = if readers.is_empty() {
        "import type { Fields, PrismaRecord } from './readers.js';".to_owned()
    } else {
        format!("import {{ {} }} from './readers.js';", names.join(", "))
    };
    if import.len() <= 100 {
        c.line(import);
    } else {
        c.block("import {", "} from './readers.js';", |c| {
            for name in &names {
                c.line(format!("{name},"));
            }
        });
    }
    c.blank();
    c.raw(&body.finish());
    c.finish()
}

fn fields_table(c: &mut Code, spec: &ir::Spec) {
    c.doc("The fields each event needs, per model.");
    if spec.models.is_empty() {
        c.line("export const FIELDS: { readonly [M in ModelName]: Fields } = {};");
        return;
    }
    c.block(
        "export const FIELDS: { readonly [M in ModelName]: Fields } = {",
        "};",
        |c| {
            let (mut scalars, mut relations) = (String::new(), String::new());
            for model in &spec.models {
                scalars.clear();
                relations.clear();
                scalars.push_str("'id'");
                for field in model.fields.iter().filter(|f| f.name != "id") {
                    let list = match field.ty {
                        FieldType::Model { .. } => &mut relations,
                        _ => &mut scalars,
                    };
                    if !list.is_empty() {
                        list.push_str(", ");
                    }
                    names::push_string(list, &field.name);
                }
                let key = names::literal_key(&model.name);
                let one_line =
                    format!("{key}: {{ scalars: [{scalars}], relations: [{relations}] }},");
                if one_line.len() <= 96 {
                    c.line(one_line);
                } else {
                    c.block(format!("{key}: {{"), "},", |c| {
                        c.line(format!("scalars: [{scalars}],"));
                        c.line(format!("relations: [{relations}],"));
                    });
                }
            }
        },
    );
}

fn converters(
    c: &mut Code,
    spec: &ir::Spec,
    names: &names::Names,
    readers: &mut BTreeSet<&'static str>,
) {
    c.doc("Reads a Prisma record of each model into its wire JSON (docs/wire.md).");
    if spec.models.is_empty() {
        c.line(
            "export const TO_WIRE: { readonly [M in ModelName]: (record: PrismaRecord) => Models[M] } = {};",
        );
        return;
    }
    let mut line = String::new();
    c.block(
        "export const TO_WIRE: { readonly [M in ModelName]: (record: PrismaRecord) => Models[M] } = {",
        "};",
        |c| {
            for model in &spec.models {
                c.block(
                    format!("{}: (record) => ({{", names::literal_key(&model.name)),
                    "}),",
                    |c| {
                        readers.insert("asId");
                        tl!(
                            c,
                            "id: asId({}, {}),",
                            names::Index("record", "id"),
                            Path(&model.name, "id")
                        );
                        for field in model.fields.iter().filter(|f| f.name != "id") {
                            line.clear();
                            let _ = write!(line, "{}: ", names::LiteralKey(&field.name));
                            read_field(&mut line, model, field, names, readers);
                            line.push(',');
                            c.line(&line);
                        }
                    },
                );
            }
        },
    );
}

/// The expression that reads one field from `record`, written to `out`.
fn read_field(
    out: &mut String,
    model: &ir::Model,
    field: &ir::Field,
    names: &names::Names,
    readers: &mut BTreeSet<&'static str>,
) {
    let value = names::Index("record", &field.name);
    let path = Path(&model.name, &field.name);
    if let (true, Some((_, states))) = (model.is_state_field(field), names.states(&model.name)) {
        readers.insert("asState");
        let _ = write!(out, "asState({value}, {path}, {states})");
        return;
    }
    // A reader is a function `(value, path) => T`.
    let item = match &field.ty {
        FieldType::Model { model } => {
            readers.insert("asRow");
            if field.list || field.optional {
                readers.insert("rowOf");
            }
            Cow::Owned(format!(
                "rowOf({}, {})",
                to_wire(model),
                names::string(model)
            ))
        }
        other => {
            let name = scalar_reader(other);
            readers.insert(name);
            Cow::Borrowed(name)
        }
    };
    let _ = match (field.list, field.optional) {
        (false, false) => match &field.ty {
            FieldType::Model { model } => write!(
                out,
                "asRow({}, {}, {value}, {path})",
                to_wire(model),
                names::Quoted(model)
            ),
            _ => write!(out, "{item}({value}, {path})"),
        },
        (true, false) => {
            readers.insert("asList");
            write!(out, "asList({value}, {path}, {item})")
        }
        (false, true) => {
            readers.insert("asOptional");
            write!(out, "asOptional({value}, {path}, {item})")
        }
        (true, true) => {
            readers.insert("asList");
            readers.insert("listOf");
            readers.insert("asOptional");
            write!(out, "asOptional({value}, {path}, listOf({item}))")
        }
    };
}

fn scalar_reader(ty: &FieldType) -> &'static str {
    match ty {
        FieldType::Builtin(b) => b.info().ts_reader,
        FieldType::Ref { .. } => "asId",
        FieldType::Model { .. } => "asRow",
    }
}

/// The quoted path of a field in messages: `'Task.title'`.
struct Path<'a>(&'a str, &'a str);

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `'Model.field'`: each half quoted alike (the `.` needs no escape), so the halves are
        // written in turn without putting the path together first.
        if names::is_plain(self.0) && names::is_plain(self.1) {
            f.write_char('\'')?;
            f.write_str(self.0)?;
            f.write_char('.')?;
            f.write_str(self.1)?;
            return f.write_char('\'');
        }
        f.write_str(&names::string(&format!("{}.{}", self.0, self.1)))
    }
}

/// The converter of `model`, for a related row.
fn to_wire(model: &str) -> String {
    names::index("TO_WIRE", model)
}
