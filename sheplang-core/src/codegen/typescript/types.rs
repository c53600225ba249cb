//! `types.ts`: the model interfaces, the channels and the Socket.IO event maps, declared once.

use std::borrow::Cow;

use super::names::{self, Names};
use super::writer::{Code, tl};
use crate::codegen::constraints::has_workflow;
use crate::ir::{self, FieldType};

pub(super) fn generate(spec: &ir::Spec, names: &Names) -> String {
    // About 4 KB a model of 20 fields with a lifecycle.
    let mut c = Code::with_capacity(16_384 + spec.models.len() * 4_200);
    c.line(super::header(spec));
    c.blank();
    c.doc(&format!(
        "The wire types of app `{}`: one interface per data model (a row as JSON, keyed by\n\
         the spec's field names), the channels, and the Socket.IO event maps that the server,\n\
         the Prisma extension and the React client share. Declared here once; the other\n\
         files import them.",
        spec.app
    ));
    c.blank();
    names_from(
        &mut c,
        "import",
        &[
            "isOneOf",
            "type ClientToServerEventsOf",
            "type FilterField as FilterFieldOf",
            "type ModelEventArgsOf",
            "type PositionedEventArgsOf",
            "type ServerToClientEventsOf",
        ],
    );
    c.line(super::validators::import(spec));
    c.blank();
    c.doc("The wire protocol's shapes that are the same for every spec (`protocol.ts`).");
    names_from(
        &mut c,
        "export type",
        &[
            "FilterField",
            "InterServerEvents",
            "ResumeResult",
            "ServerInfo",
            "SocketData",
            "SubscribeOptions",
            "SubscribeResult",
        ],
    );
    c.blank();
    c.doc("The app's name, as written in the spec.");
    c.line(format!(
        "export const APP_NAME = {};",
        names::string(&spec.app)
    ));
    c.blank();
    c.doc(
        "A digest of everything that shapes the wire (models, fields, types, optionality,\n\
         states). The server sends it in `connected`; a client built from another version of\n\
         the spec sees a different value.",
    );
    c.line(format!(
        "export const FINGERPRINT = {};",
        names::string(&spec.fingerprint)
    ));

    for model in &spec.models {
        c.blank();
        model_interface(&mut c, model, names);
        if let (Some(lifecycle), Some((ty, constant))) = (&model.states, names.states(&model.name))
        {
            c.blank();
            states(&mut c, model, lifecycle, ty, constant);
            if let Some(next) = names.next_states(&model.name) {
                c.blank();
                next_states(&mut c, model, lifecycle, ty, next);
            }
            if let Some((event_ty, by_state)) = names.events(&model.name) {
                c.blank();
                events(&mut c, model, lifecycle, ty, event_ty, by_state);
            }
            if let Some(record) = names.transition(&model.name) {
                c.blank();
                c.doc(&format!(
                    "A row of the transition history of `{}` (the table `<table>_history`, which\n\
                     the database writes when the history is on).",
                    model.name
                ));
                c.line(format!("export type {record} = TransitionRecord<{ty}>;"));
            }
        }
    }

    c.blank();
    maps(&mut c, spec, names);
    c.blank();
    filters(&mut c, spec, names);
    c.blank();
    super::validators::generate(&mut c, spec, names);
    c.blank();
    c.doc(&model_event_args_doc(spec));
    c.line("export type ModelEventArgs = ModelEventArgsOf<Models>;");
    c.blank();
    c.doc(
        "The arguments of `model_created` and `model_updated` on a channel subscribed with\n\
         options: the row's position in its channel's log comes last (docs/wire.md).",
    );
    c.line("export type PositionedEventArgs = PositionedEventArgsOf<Models>;");
    c.blank();
    c.doc("Events the server sends (docs/wire.md).");
    c.line("export interface ServerToClientEvents extends ServerToClientEventsOf<Models> {}");
    c.blank();
    c.doc("Events a client sends (docs/wire.md).");
    c.line("export interface ClientToServerEvents extends ClientToServerEventsOf<Channel> {}");
    c.finish()
}

/// `{keyword} { a, b, ... } from './protocol.js';`, one name a line.
fn names_from(c: &mut Code, keyword: &str, names: &[&str]) {
    c.block(format!("{keyword} {{"), "} from './protocol.js';", |c| {
        for name in names {
            c.line(format!("{name},"));
        }
    });
}

/// The doc of `ModelEventArgs`, with an example from the spec's first model.
fn model_event_args_doc(spec: &ir::Spec) -> String {
    let mut doc = String::from(
        "The arguments of `model_created` and `model_updated`: a model name and a row of that\n\
         model.",
    );
    if let Some(model) = spec.models.first() {
        let field = model
            .fields
            .iter()
            .map(|f| f.name.as_str())
            .find(|name| *name != "id" && names::is_identifier(name))
            .unwrap_or("id");
        doc.push_str(&format!(
            " Checking the name narrows the row:\n\
             \n\
             ```ts\n\
             socket.on('model_created', (model, data) => {{\n\
             \x20 if (model === {name}) console.log(data.{field}); // `data` is a `{model}` here\n\
             }});\n\
             ```",
            name = names::string(&model.name),
            model = model.name,
        ));
    }
    doc
}

fn model_interface(c: &mut Code, model: &ir::Model, names: &Names) {
    c.doc(&format!(
        "A row of `{}`, as it travels on channel `{}`.",
        model.name, model.channel
    ));
    c.block(
        format!("export interface {} {{", names.interface(&model.name)),
        "}",
        |c| {
            c.line("id: string;");
            for field in model.fields.iter().filter(|f| f.name != "id") {
                if let Some(doc) = field_doc(model, field) {
                    c.doc(&doc);
                }
                // `row_field_type` written in place.
                let (base, list) = match names.states(&model.name) {
                    Some((ty, _)) if model.is_state_field(field) => (ty, false),
                    _ => (field_base(field, names), field.list),
                };
                let (question, null) = if field.optional {
                    ("?", " | null")
                } else {
                    ("", "")
                };
                let brackets = if list { "[]" } else { "" };
                tl!(
                    c,
                    "{}{question}: {base}{brackets}{null};",
                    names::Key(&field.name)
                );
            }
        },
    );
}

/// The TypeScript type of field `field` of a row of `model`: its state union for the state
/// field, else [`field_type`].
pub(super) fn row_field_type(model: &ir::Model, field: &ir::Field, names: &Names) -> String {
    match names.states(&model.name) {
        Some((ty, _)) if model.is_state_field(field) => ty.to_owned(),
        _ => field_type(field, names),
    }
}

/// The TypeScript type of a field's value (without the optional `| null`).
pub(super) fn field_type(field: &ir::Field, names: &Names) -> String {
    let base = field_base(field, names);
    if field.list {
        format!("{base}[]")
    } else {
        base.to_owned()
    }
}

/// The TypeScript type of one value of a field (an item of a list).
fn field_base<'a>(field: &'a ir::Field, names: &'a Names) -> &'a str {
    match &field.ty {
        FieldType::Builtin(b) => b.info().ts,
        FieldType::Model { model } => names.interface(model),
        FieldType::Ref { .. } => "string",
    }
}

/// A JSDoc line for the fields whose TypeScript type does not say everything.
fn field_doc(model: &ir::Model, field: &ir::Field) -> Option<Cow<'static, str>> {
    if model.is_state_field(field) {
        let along = if model.states.as_ref().is_some_and(has_workflow) {
            "the arrows of `states:` and the edges of its workflow"
        } else {
            "the arrows of `states:`"
        };
        return Some(Cow::Owned(format!(
            "The row's lifecycle state: it starts in the first state and moves only along {along} \
             (see `check{}Transition`).",
            super::validators::suffix(&model.name)
        )));
    }
    let what = match &field.ty {
        FieldType::Builtin(b) => Cow::Borrowed(b.info().ts_doc?),
        FieldType::Ref { model } => Cow::Owned(format!("`ref[{model}]`: the id of a `{model}`.")),
        FieldType::Model { .. } => return None,
    };
    Some(if field.list {
        Cow::Owned(format!("A list; each item is {what}"))
    } else {
        what
    })
}

fn states(c: &mut Code, model: &ir::Model, lifecycle: &ir::Lifecycle, ty: &str, constant: &str) {
    let union = if lifecycle.states.is_empty() {
        "never".to_owned()
    } else {
        lifecycle
            .states
            .iter()
            .map(|s| names::string(s))
            .collect::<Vec<_>>()
            .join(" | ")
    };
    c.doc(&format!(
        "A lifecycle state of `{}` (`states: {}`).",
        model.name,
        lifecycle.states.join(" -> ")
    ));
    c.line(format!("export type {ty} = {union};"));
    c.blank();
    c.doc(&format!(
        "The states of `{}` in declaration order; the first is the initial state.",
        model.name
    ));
    let items = lifecycle
        .states
        .iter()
        .map(|s| names::string(s))
        .collect::<Vec<_>>()
        .join(", ");
    c.line(format!(
        "export const {constant} = [{items}] as const satisfies readonly {ty}[];"
    ));
}

/// The constant of the states each state may become.
fn next_states(c: &mut Code, model: &ir::Model, lifecycle: &ir::Lifecycle, ty: &str, next: &str) {
    let per = if has_workflow(lifecycle) {
        "arrow of `states:` or edge of its workflow"
    } else {
        "arrow of `states:`"
    };
    c.doc(&format!(
        "The states each state of `{}` may become: one entry per {per}.",
        model.name
    ));
    c.block(
        format!("export const {next}: {{ readonly [S in {ty}]: readonly {ty}[] }} = {{"),
        "};",
        |c| {
            for state in &lifecycle.states {
                let targets: Vec<String> = lifecycle
                    .transitions
                    .iter()
                    .filter(|(from, _)| from == state)
                    .map(|(_, to)| names::string(to))
                    .collect();
                c.line(format!(
                    "{}: [{}],",
                    names::literal_key(state),
                    targets.join(", ")
                ));
            }
        },
    );
}

/// The event union of a model's workflow and the constant of the events each state accepts.
fn events(
    c: &mut Code,
    model: &ir::Model,
    lifecycle: &ir::Lifecycle,
    state_ty: &str,
    ty: &str,
    by_state: &str,
) {
    let union: Vec<String> = lifecycle
        .event_names()
        .iter()
        .map(|e| names::string(e))
        .collect();
    c.doc(&format!(
        "An event of the workflow `{}`: what `apply{}Event` takes.",
        model.name,
        super::validators::suffix(&model.name)
    ));
    c.line(format!("export type {ty} = {};", union.join(" | ")));
    c.blank();
    c.doc(&format!(
        "The events each state of `{}` accepts, in the order of the workflow.",
        model.name
    ));
    c.block(
        format!("export const {by_state}: {{ readonly [S in {state_ty}]: readonly {ty}[] }} = {{"),
        "};",
        |c| {
            for state in &lifecycle.states {
                let events: Vec<String> = lifecycle
                    .events_of(state)
                    .map(|e| names::string(&e.name))
                    .collect();
                c.line(format!(
                    "{}: [{}],",
                    names::literal_key(state),
                    events.join(", ")
                ));
            }
        },
    );
}

fn maps(c: &mut Code, spec: &ir::Spec, names: &Names) {
    let example = spec.models.first();
    if let Some(model) = example {
        c.doc(&format!(
            "Every model by name: `Models['{0}']` is a row of `{0}`.",
            model.name
        ));
    }
    if spec.models.is_empty() {
        c.doc("Every model by name. This spec declares none.");
        c.line("export interface Models {}");
    } else {
        c.block("export interface Models {", "}", |c| {
            for model in &spec.models {
                c.line(format!(
                    "{}: {};",
                    names::key(&model.name),
                    names.interface(&model.name)
                ));
            }
        });
    }
    c.blank();
    c.doc("The name of a data model, as it travels on the wire (original case).");
    c.line("export type ModelName = keyof Models;");
    c.blank();
    c.doc("The model names, in spec order.");
    let model_names = spec
        .models
        .iter()
        .map(|m| names::string(&m.name))
        .collect::<Vec<_>>()
        .join(", ");
    c.line(format!(
        "export const MODEL_NAMES = [{model_names}] as const satisfies readonly ModelName[];"
    ));
    c.blank();
    c.doc("The channel (Socket.IO room) of each model: its name lower-cased.");
    if spec.models.is_empty() {
        c.line("export const CHANNEL_OF = {} as const satisfies { readonly [M in ModelName]: string };");
    } else {
        c.block(
            "export const CHANNEL_OF = {",
            "} as const satisfies { readonly [M in ModelName]: string };",
            |c| {
                for model in &spec.models {
                    c.line(format!(
                        "{}: {},",
                        names::literal_key(&model.name),
                        names::string(&model.channel)
                    ));
                }
            },
        );
    }
    c.blank();
    match example {
        Some(model) => c.doc(&format!(
            "The channel of model `M`: `ChannelOf<'{}'>` is `'{}'`.",
            model.name, model.channel
        )),
        None => c.doc("The channel of model `M`."),
    }
    c.line("export type ChannelOf<M extends ModelName> = (typeof CHANNEL_OF)[M];");
    c.blank();
    c.doc("A channel a client may subscribe to: one per model, nothing else.");
    let channels: Vec<String> = spec
        .models
        .iter()
        .map(|m| names::string(&m.channel))
        .collect();
    if channels.is_empty() {
        c.line("export type Channel = never;");
    } else {
        c.line(format!("export type Channel = {};", channels.join(" | ")));
    }
    c.blank();
    c.doc("The channels, in spec order.");
    c.line(format!(
        "export const CHANNELS = [{}] as const satisfies readonly Channel[];",
        channels.join(", ")
    ));
    c.blank();
    c.doc("True when `value` names a data model of this spec.");
    c.line("export function isModelName(value: unknown): value is ModelName {");
    c.line("  return isOneOf(MODEL_NAMES, value);");
    c.line("}");
    c.blank();
    c.doc("True when `value` is a channel of this spec.");
    c.line("export function isChannel(value: unknown): value is Channel {");
    c.line("  return isOneOf(CHANNELS, value);");
    c.line("}");
}

/// The fields a subscription may filter on (docs/wire.md, "Filtered subscriptions"): the
/// id and every single-value field, as a table the server checks filters with and as one
/// type per model that `tsc` checks a client's filter with.
fn filters(c: &mut Code, spec: &ir::Spec, names: &Names) {
    let fields = |model| filter_fields(model, names);
    let mut line = String::new();
    c.doc(
        "The fields of each model a subscription may filter on, `[name, kind, optional]`:\n\
         the id and every field that holds one value (docs/wire.md, \"Filtered subscriptions\").",
    );
    if spec.models.is_empty() {
        c.line("export const FILTER_FIELDS = {} as const satisfies { readonly [M in ModelName]: readonly FilterFieldOf[] };");
    } else {
        c.block(
            "export const FILTER_FIELDS = {",
            "} as const satisfies { readonly [M in ModelName]: readonly FilterFieldOf[] };",
            |c| {
                for model in &spec.models {
                    // `{key}: [[name, 'kind', optional], ...],`
                    line.clear();
                    line.push_str(&names::literal_key(&model.name));
                    line.push_str(": [");
                    for (i, (name, kind, optional, _)) in fields(model).enumerate() {
                        if i > 0 {
                            line.push_str(", ");
                        }
                        line.push('[');
                        names::push_string(&mut line, name);
                        line.push_str(", '");
                        line.push_str(kind);
                        line.push_str(if optional { "', true]" } else { "', false]" });
                    }
                    line.push_str("],");
                    c.line(&line);
                }
            },
        );
    }
    c.blank();
    c.doc(
        "A filter per model: each field it names must equal the value (`null` only for an\n\
         optional field). A field the model lacks, or a value of another type, fails `tsc`.",
    );
    if spec.models.is_empty() {
        c.line("export interface Filters {}");
    } else {
        c.block("export interface Filters {", "}", |c| {
            for model in &spec.models {
                // `{key}: { name?: type; ... };`
                line.clear();
                line.push_str(&names::key(&model.name));
                line.push_str(": { ");
                for (i, (name, _, optional, ty)) in fields(model).enumerate() {
                    if i > 0 {
                        line.push_str("; ");
                    }
                    line.push_str(&names::key(name));
                    line.push_str("?: ");
                    line.push_str(ty);
                    if optional {
                        line.push_str(" | null");
                    }
                }
                line.push_str(" };");
                c.line(&line);
            }
        });
    }
    c.blank();
    c.doc("The filter of model `M`'s rows.");
    c.line("export type FilterOf<M extends ModelName> = Filters[M];");
}

/// `(name, kind, optional, type without `| null`)` of each field of `model` a filter may name.
fn filter_fields<'a>(
    model: &'a ir::Model,
    names: &'a Names,
) -> impl Iterator<Item = (&'a str, &'static str, bool, &'a str)> + 'a {
    let state = names.states(&model.name).map(|(state, _)| state);
    let rest = model.fields.iter().filter_map(move |field| {
        if field.list || field.name == "id" {
            return None;
        }
        let kind = match &field.ty {
            FieldType::Builtin(b) => match b.info().class {
                crate::types::ValueClass::Number => "number",
                crate::types::ValueClass::Bool => "boolean",
                _ => "text",
            },
            FieldType::Ref { .. } => "text",
            FieldType::Model { .. } => return None,
        };
        // The lifecycle's state field takes one of its states, as the row does.
        let ty = match (kind, state) {
            (_, Some(state)) if model.is_state_field(field) => state,
            ("number", _) => "number",
            ("boolean", _) => "boolean",
            _ => "string",
        };
        Some((field.name.as_str(), kind, field.optional, ty))
    });
    std::iter::once(("id", "text", false, "string")).chain(rest)
}
