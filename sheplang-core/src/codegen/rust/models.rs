//! One struct per model, and one enum per `states:` lifecycle.

use super::docs::{self, code};
use super::names::{StateNames, ident, is_all_caps};
use super::out::{Out, lit, ln};
use super::string_enum::{NameEnum, Variant, match_self};
use super::{ALLOW_UNUSED, Gen, SERDE_CRATE};
use crate::codegen::constraints::has_workflow;
use crate::ir;
use crate::types::ValueClass;

/// One field a filter may name.
pub(super) struct FilterRow<'a> {
    /// The spec's name.
    pub(super) name: &'a str,
    /// The Rust field name.
    pub(super) rust: &'a str,
    /// The Rust type of its value.
    pub(super) ty: String,
    /// The `sheplang::FilterKind` variant.
    pub(super) kind: &'static str,
    pub(super) optional: bool,
}

/// The derives of every row struct. Its `Deserialize` is written out (the `deserialize`
/// module), not derived.
const DERIVES: [&str; 4] = [
    "Debug",
    "Clone",
    "PartialEq",
    "::sheplang::__private::serde::Serialize",
];

impl Gen<'_> {
    /// The row struct of model `index`, its `Model` impl and its lifecycle enum.
    pub(super) fn model(&self, out: &mut Out, index: usize) {
        let model = &self.spec.models[index];
        let names = &self.names.models[index];
        let ty = &names.ty;
        let channel = &self.names.channel;
        let name = lit(&model.name);

        let mut doc = vec![
            format!(
                "A row of {} (`data {}` in app {}).",
                code(&model.name),
                model.name,
                code(&self.spec.app)
            ),
            String::new(),
            format!(
                "Its events go to the channel [`{channel}::{ty}`], the room {}; make them with \
                 [`sheplang::created`], [`sheplang::updated`] and [`sheplang::deleted`].",
                code(&format!("\"{}\"", model.channel))
            ),
            "On the wire it is a JSON object whose keys are the spec's field names, `id` first."
                .to_owned(),
        ];
        if let Some(state) = names.state.as_ref().filter(|_| self.options.lifecycles) {
            doc.push(String::new());
            doc.push(format!(
                "Its lifecycle is [`{}`], and the row's state is its field `{}`: change it with \
                 [`Self::transition`], which refuses a step the chain does not allow.",
                state.ty,
                ir::STATE_FIELD
            ));
        }
        if !model.rules.is_empty() {
            doc.push(String::new());
            doc.push("Rules:".to_owned());
            doc.extend(model.rules.iter().map(|r| format!("- {}", code(r))));
        }
        out.doc(&doc);
        out.line(ALLOW_UNUSED);
        out.list("#[derive(", &DERIVES, ")]");
        out.line(SERDE_CRATE);
        if is_all_caps(ty) {
            out.line("#[allow(clippy::upper_case_acronyms, reason = \"the name is the spec's\")]");
        }
        out.open(&format!("pub struct {ty} {{"));
        self.id_field(out, model);
        for (field, rust_name) in model.fields.iter().zip(&names.fields) {
            if let Some(rust_name) = rust_name {
                self.field(out, index, field, rust_name);
            }
        }
        out.close("}");
        out.blank();

        out.line(ALLOW_UNUSED);
        out.open(&format!("impl {ty} {{"));
        out.doc(&["The model's name as written in the spec: the first argument of its events."]);
        ln!(out, "pub const NAME: &'static str = {name};");
        out.doc(&["The model's channel: the room its events go to."]);
        ln!(out, "pub const CHANNEL: {channel} = {channel}::{ty};");
        out.blank();
        self.validation(out, index);
        self.transition(out, index);
        self.apply(out, index);
        out.close("}");
        out.blank();

        out.open(&format!("impl ::sheplang::Model for {ty} {{"));
        ln!(out, "type Spec = {};", self.names.spec);
        ln!(out, "const NAME: &'static str = {name};");
        out.blank();
        out.line("#[inline]");
        ln!(out, "fn channel() -> {channel} {{");
        ln!(out, "    {channel}::{ty}");
        out.line("}");
        out.blank();
        out.line("#[inline]");
        out.open("fn id(&self) -> &str {");
        out.line("&self.id");
        out.close("}");
        out.close("}");
        out.blank();

        self.row_deserialize(out, index);

        if self.options.filters {
            self.filter(out, index);
        }

        if let (Some(state), Some(lifecycle), true) =
            (&names.state, &model.states, self.options.lifecycles)
        {
            self.lifecycle(out, model, ty, state, lifecycle);
            if let Some(events) = &names.events {
                self.event_enum(out, model, ty, events, lifecycle);
            }
            if let Some(alias) = &names.transition {
                out.doc(&[format!(
                    "A row of the transition history of [`{ty}`]: the table `<table>_history`, \
                     which the database writes when the history is on (`emit_history`)."
                )]);
                out.line(ALLOW_UNUSED);
                ln!(
                    out,
                    "pub type {alias} = ::sheplang::TransitionRecord<{}>;",
                    state.ty
                );
                out.blank();
            }
        }
    }

    /// The fields of model `index` a subscription may filter on: the id, then every
    /// single-value field, with their Rust names and `sheplang::FilterKind`.
    pub(super) fn filter_fields(&self, index: usize) -> Vec<FilterRow<'_>> {
        let model = &self.spec.models[index];
        let names = &self.names.models[index];
        let mut rows = vec![FilterRow {
            name: "id",
            rust: "id",
            ty: "::std::string::String".to_owned(),
            kind: "Text",
            optional: false,
        }];
        for (field, rust) in model.fields.iter().zip(&names.fields) {
            let Some(rust) = rust else { continue };
            if field.list {
                continue;
            }
            let kind = match &field.ty {
                ir::FieldType::Builtin(b) => match b.info().class {
                    ValueClass::Number => "Number",
                    ValueClass::Bool => "Bool",
                    ValueClass::Text | ValueClass::Decimal | ValueClass::Temporal => "Text",
                },
                ir::FieldType::Ref { .. } => "Text",
                ir::FieldType::Model { .. } => continue,
            };
            let plain = ir::Field {
                optional: false,
                ..field.clone()
            };
            // The lifecycle's state field takes the state enum, as the row does.
            let ty = self
                .state_type(index, field)
                .map_or_else(|| self.field_type(&plain), str::to_owned);
            rows.push(FilterRow {
                name: &field.name,
                rust,
                ty,
                kind,
                optional: field.optional,
            });
        }
        rows
    }

    /// The typed filter of model `index` (`TaskFilter`) and its conversions.
    fn filter(&self, out: &mut Out, index: usize) {
        let model = &self.spec.models[index];
        let names = &self.names.models[index];
        let ty = &names.ty;
        let filter = &names.filter;
        let rows = self.filter_fields(index);
        out.doc(&[
            format!(
                "A filter on [`{ty}`] rows for a subscription (`docs/wire.md`, \"Filtered \
                 subscriptions\"): each field set is a value the row's field must equal; the \
                 unset ones are not looked at. Converts into [`sheplang::Filter`]."
            ),
            String::new(),
            format!(
                "`{filter} {{ id: Some(\"r-1\".into()), ..Default::default() }}`: a field \
                 {} lacks, or a value of another type, does not compile.",
                code(&model.name)
            ),
        ]);
        out.line(ALLOW_UNUSED);
        out.line("#[derive(Debug, Clone, Default, PartialEq)]");
        out.open(&format!("pub struct {filter} {{"));
        for row in &rows {
            out.doc(&[format!("The row's {} equals this.", code(row.name))]);
            ln!(
                out,
                "pub {}: ::core::option::Option<{}>,",
                ident(row.rust),
                row.ty
            );
        }
        out.close("}");
        out.blank();
        out.open(&format!(
            "impl ::core::convert::From<{filter}> for ::sheplang::Filter {{"
        ));
        // Inline, as every generated function: compiled only in a crate that calls it.
        out.line("#[inline]");
        out.open(&format!("fn from(filter: {filter}) -> Self {{"));
        out.line("let mut fields = ::std::vec::Vec::new();");
        for row in &rows {
            ln!(
                out,
                "if let ::core::option::Option::Some(value) = filter.{} {{",
                ident(row.rust)
            );
            ln!(
                out,
                "    fields.push(({}, ::sheplang::__private::serde_json::to_value(value).unwrap_or_default()));",
                lit(row.name)
            );
            out.line("}");
        }
        out.line("::sheplang::Filter::from_checked(fields)");
        out.close("}");
        out.close("}");
        out.blank();
        out.open(&format!("impl ::sheplang::ModelFilter for {filter} {{"));
        ln!(out, "type Model = {ty};");
        out.close("}");
        out.blank();
    }

    /// The `id` field: always first, always a string (wire.md); a declared `id` lends its docs.
    fn id_field(&self, out: &mut Out, model: &ir::Model) {
        let mut doc = "The row's id, a string on the wire".to_owned();
        if let Some(declared) = model.fields.iter().find(|f| f.name == "id") {
            doc.push_str(": declared as ");
            doc.push_str(&code(&docs::field_declaration(declared)));
            let string_like = declared.ty.builtin().is_some_and(|t| t.id_capable) && !declared.list;
            if !string_like || declared.optional {
                doc.push_str(", a required string by the wire contract");
            }
        }
        doc.push('.');
        out.doc(&[doc]);
        out.line("pub id: ::std::string::String,");
    }

    /// The state enum's name, when field `field` of model `index` is its state and the
    /// lifecycle enums are generated.
    pub(super) fn state_type(&self, index: usize, field: &ir::Field) -> Option<&str> {
        let model = &self.spec.models[index];
        let state = self.names.models[index].state.as_ref()?;
        (self.options.lifecycles && model.is_state_field(field)).then_some(state.ty.as_str())
    }

    /// The Rust type of field `field` of model `index`: its state enum, or [`Self::field_type`].
    pub(super) fn row_field_type(&self, index: usize, field: &ir::Field) -> String {
        match self.state_type(index, field) {
            Some(ty) => ty.to_owned(),
            None => self.field_type(field),
        }
    }

    /// `transition()` of model `index`, inside its inherent `impl`.
    fn transition(&self, out: &mut Out, index: usize) {
        let model = &self.spec.models[index];
        let names = &self.names.models[index];
        let Some((position, field)) = model
            .fields
            .iter()
            .enumerate()
            .find(|(_, f)| model.is_state_field(f))
        else {
            return;
        };
        let (Some(state), Some(rust_name)) =
            (self.state_type(index, field), &names.fields[position])
        else {
            return;
        };
        let name = ident(rust_name);
        let refused = if model.states.as_ref().is_some_and(has_workflow) {
            [
                format!(
                    "When neither an arrow of the spec's `states:` nor an edge of the workflow {}",
                    code(&model.name)
                ),
                "leads from the current state to `next`; the row is left unchanged.".to_owned(),
            ]
        } else {
            [
                "When no arrow of the spec's `states:` leads from the current state to `next`; the"
                    .to_owned(),
                "row is left unchanged.".to_owned(),
            ]
        };
        out.blank();
        out.doc(&[
            &format!(
                "Moves the row to the state `next` (its field `{}`).",
                ir::STATE_FIELD
            ),
            "",
            "Staying in the same state is no transition and always succeeds.",
            "",
            "# Errors",
            &refused[0],
            &refused[1],
        ]);
        out.line("#[inline]");
        ln!(
            out,
            "pub fn transition(&mut self, next: {state}) -> ::core::result::Result<(), ::sheplang::TransitionRefused> {{"
        );
        ln!(out, "    self.{name}.check_transition(next)?;");
        ln!(out, "    self.{name} = next;");
        out.line("    ::core::result::Result::Ok(())");
        out.line("}");
    }

    /// One field of a row struct.
    fn field(&self, out: &mut Out, index: usize, field: &ir::Field, rust_name: &str) {
        let name = ident(rust_name);
        let state = self.state_type(index, field);
        let mut note = String::new();
        self.type_note(&mut note, field);
        // One short line a field: a field's docs are handed to every derive of the row, so on a
        // big spec their length is a measurable part of the module's compile time.
        let line = match (state, &self.spec.models[index].states) {
            (Some(_), Some(lifecycle)) => format!(
                "The lifecycle state ({}), {} when new: see [`Self::transition`].",
                code(&format!("states: {}", lifecycle.states.join(" -> "))),
                code(&lifecycle.states[0])
            ),
            _ if note.is_empty() => code(&docs::field_declaration(field)),
            _ => format!("{}: {note}.", code(&docs::field_declaration(field))),
        };
        out.doc(&[line]);
        // serde names a field after its identifier without the `r#` of a raw one.
        let serde_name = name.strip_prefix("r#").unwrap_or(&name);
        if field.name != serde_name {
            ln!(out, "#[serde(rename = {})]", lit(&field.name));
        }
        // Read without a value, an optional field is `None` and the state the initial one
        // (the row's `Deserialize`, in the `deserialize` module).
        if field.optional {
            out.line("#[serde(skip_serializing_if = \"::core::option::Option::is_none\")]");
        }
        let text = out.start();
        text.push_str("pub ");
        text.push_str(&name);
        text.push_str(": ");
        match state {
            Some(ty) => text.push_str(ty),
            None => self.push_field_type(text, field),
        }
        text.push_str(",\n");
    }

    /// What the Rust type means on the wire, when it is not obvious, in a few words appended to
    /// `note` (nothing when it is obvious).
    fn type_note(&self, note: &mut String, field: &ir::Field) {
        match &field.ty {
            ir::FieldType::Builtin(b) => {
                if let Some(doc) = b.info().rust_doc {
                    note.push_str(doc);
                }
            }
            ir::FieldType::Ref { model } => match self.model_type(model) {
                Some(ty) => {
                    note.push_str("the id of a [`");
                    note.push_str(ty);
                    note.push_str("`]");
                }
                None => {
                    note.push_str("the id of a ");
                    note.push_str(&code(model));
                }
            },
            ir::FieldType::Model { model } => match self.model_type(model) {
                Some(ty) => {
                    note.push_str("the [`");
                    note.push_str(ty);
                    note.push_str("`] row itself, nested");
                }
                None => {
                    note.push_str("a nested ");
                    note.push_str(&code(model));
                    note.push_str(" row");
                }
            },
        }
        if field.optional {
            if !note.is_empty() {
                note.push_str("; ");
            }
            note.push_str("absent when `None`");
        }
    }

    /// The Rust type of a field, per the type table of `docs/wire.md`.
    pub(super) fn field_type(&self, field: &ir::Field) -> String {
        let mut ty = String::new();
        self.push_field_type(&mut ty, field);
        ty
    }

    /// [`Self::field_type`], appended to `text`.
    fn push_field_type(&self, text: &mut String, field: &ir::Field) {
        const STRING: &str = "::std::string::String";
        if field.optional {
            text.push_str("::core::option::Option<");
        }
        if field.list {
            text.push_str("::std::vec::Vec<");
        }
        match &field.ty {
            ir::FieldType::Builtin(b) => text.push_str(b.info().rust),
            ir::FieldType::Ref { model } => match self.model_type(model) {
                Some(ty) => {
                    text.push_str("::sheplang::Ref<");
                    text.push_str(ty);
                    text.push('>');
                }
                // Unreachable for a checked spec; keep the id readable anyway.
                None => text.push_str(STRING),
            },
            ir::FieldType::Model { model } => match self.model_type(model) {
                Some(ty) if field.list => text.push_str(ty),
                Some(ty) => {
                    text.push_str("::std::boxed::Box<");
                    text.push_str(ty);
                    text.push('>');
                }
                None => text.push_str("::sheplang::__private::serde_json::Value"),
            },
        }
        if field.list {
            text.push('>');
        }
        if field.optional {
            text.push('>');
        }
    }

    /// The enum of a `states:` chain.
    fn lifecycle(
        &self,
        out: &mut Out,
        model: &ir::Model,
        model_ty: &str,
        names: &StateNames,
        lifecycle: &ir::Lifecycle,
    ) {
        // A state named twice (only in a hand-made IR) resolves to its first variant.
        let index_of = |state: &str| lifecycle.states.iter().position(|s| s == state);
        let mut next: Vec<Vec<usize>> = vec![Vec::new(); lifecycle.states.len()];
        let mut pairs: Vec<(usize, usize)> = Vec::new();
        for (from, to) in &lifecycle.transitions {
            if let (Some(f), Some(t)) = (index_of(from), index_of(to))
                && !pairs.contains(&(f, t))
            {
                pairs.push((f, t));
                next[f].push(t);
            }
        }
        let variants = &names.variants;
        let chain = lifecycle.states.join(" -> ");
        // A workflow named like the model adds its edges to the arrows (docs/language.md).
        let workflow = has_workflow(lifecycle);
        let (arrow, arrows, edge) = if workflow {
            (
                "an arrow of the spec or an edge of its workflow",
                "no arrow or workflow edge",
                format!(
                    "each arrow, and each edge of the workflow {}, is an allowed transition",
                    code(&model.name)
                ),
            )
        } else {
            (
                "an arrow of the spec",
                "no arrow",
                "each arrow is an allowed transition".to_owned(),
            )
        };
        let doc = vec![
            format!("The lifecycle of [`{model_ty}`]: {}.", code(&chain)),
            String::new(),
            format!(
                "{} is the initial state; {edge}. It serialises as the state's name in the spec.",
                code(&lifecycle.states[0])
            ),
            String::new(),
            format!(
                "A row of [`{model_ty}`] carries it in its field `{}`; [`Self::check_transition`] \
                 is the rule every writer applies.",
                ir::STATE_FIELD
            ),
        ];
        let variant_defs = lifecycle
            .states
            .iter()
            .enumerate()
            .map(|(i, state)| {
                let mut line = code(state);
                if i == 0 {
                    line.push_str(" (initial)");
                }
                let targets: Vec<String> = next[i]
                    .iter()
                    .map(|&t| code(&lifecycle.states[t]))
                    .collect();
                if targets.is_empty() {
                    line.push_str(": a final state.");
                } else {
                    line.push_str(&format!(": may become {}.", targets.join(", ")));
                }
                Variant {
                    doc: line,
                    name: variants[i].clone(),
                    wire: state.clone(),
                }
            })
            .collect();
        NameEnum {
            names,
            model: &model.name,
            what: "state",
            doc,
            variants: variant_defs,
        }
        .write(
            out,
            |out| {
                out.doc(&["The initial state: the first of the chain."]);
                out.line("#[inline]");
                ln!(out, "pub const fn initial() -> Self {{");
                ln!(out, "    Self::{}", variants[0]);
                out.line("}");
                out.blank();
            },
            |out| {
            out.blank();
            out.doc(&["The states this one may become, in the order of the spec."]);
            out.line("#[inline]");
            out.open("pub const fn next_states(self) -> &'static [Self] {");
            match_self(
                out,
                variants.iter().enumerate().map(|(i, v)| {
                    let targets: Vec<String> = next[i]
                        .iter()
                        .map(|&t| format!("Self::{}", variants[t]))
                        .collect();
                    (v.as_str(), format!("&[{}]", targets.join(", ")))
                }),
            );
            out.close("}");
            out.blank();
            out.doc(&[&format!("True when {arrow} leads from this state to `next`.")]);
            out.line("#[inline]");
            out.open("pub const fn can_transition_to(self, next: Self) -> bool {");
            if pairs.is_empty() {
                out.line("let _ = (self, next);");
                out.line("false");
            } else {
                let pats: Vec<String> = pairs
                    .iter()
                    .map(|&(f, t)| format!("(Self::{}, Self::{})", variants[f], variants[t]))
                    .collect();
                ln!(out, "::core::matches!((self, next), {})", pats.join(" | "));
            }
            out.close("}");
            out.blank();
            out.doc(&["The names of the states this one may become, in the order of the spec."]);
            out.line("#[inline]");
            out.open("pub const fn next_names(self) -> &'static [&'static str] {");
            match_self(
                out,
                variants.iter().enumerate().map(|(i, v)| {
                    let targets: Vec<String> =
                        next[i].iter().map(|&t| lit(&lifecycle.states[t])).collect();
                    (v.as_str(), format!("&[{}]", targets.join(", ")))
                }),
            );
            out.close("}");
            out.blank();
            if !lifecycle.events.is_empty() {
                out.doc(&["The workflow events this state accepts, in the order of the spec."]);
                out.line("#[inline]");
                out.open("pub const fn event_names(self) -> &'static [&'static str] {");
                match_self(
                    out,
                    variants.iter().zip(&lifecycle.states).map(|(v, state)| {
                        let events: Vec<String> =
                            lifecycle.events_of(state).map(|e| lit(&e.name)).collect();
                        (v.as_str(), format!("&[{}]", events.join(", ")))
                    }),
                );
                out.close("}");
                out.blank();
            }
            out.doc(&[&format!("True when {arrows} leaves this state.")]);
            out.line("#[inline]");
            out.open("pub const fn is_final(self) -> bool {");
            out.line("self.next_states().is_empty()");
            out.close("}");
            out.blank();
            out.doc(&[
                "Checks a change from this state to `next`: staying is no change, and a change",
                &format!("must follow {arrow}."),
                "",
                "# Errors",
                "The refused change, naming both states and the ones this state may become.",
            ]);
            out.line("#[inline]");
            out.open(
                "pub fn check_transition(self, next: Self) -> ::core::result::Result<(), ::sheplang::TransitionRefused> {",
            );
            out.open("if self == next || self.can_transition_to(next) {");
            out.line("return ::core::result::Result::Ok(());");
            out.close("}");
            ln!(
                out,
                "::core::result::Result::Err(::sheplang::TransitionRefused::new({}, self.as_str(), next.as_str(), self.next_names()))",
                lit(&model.name)
            );
            out.close("}");
            },
        );
        out.doc(&["The initial state, the first of the chain."]);
        out.open(&format!(
            "impl ::core::default::Default for {} {{",
            names.ty
        ));
        out.line("#[inline]");
        out.open("fn default() -> Self {");
        out.line("Self::initial()");
        out.close("}");
        out.close("}");
    }
}
