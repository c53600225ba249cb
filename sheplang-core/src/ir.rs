//! The checked, resolved intermediate representation: what the generators read.
//!
//! Everything here is owned, ordered as in the spec, and serialisable (this is what
//! `sheplang model --format json|yaml` prints). Every reference in it has been resolved:
//! a `ref[X]` names an existing model, an action's `show` names an existing view, and so on.

use serde::{Deserialize, Serialize};

use crate::types::{Builtin, TypeInfo, ValueClass};

/// One compiled spec (one file, one `app`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Spec {
    /// The app's name as written (`app TaskManager`).
    pub app: String,
    /// A stable hex digest of everything that shapes the wire protocol (models, fields, types,
    /// optionality, states). Both sides of a connection can compare it.
    pub fingerprint: String,
    pub models: Vec<Model>,
    pub views: Vec<View>,
    pub actions: Vec<Action>,
    pub flows: Vec<Flow>,
    pub jobs: Vec<Job>,
    pub workflows: Vec<Workflow>,
}

impl Spec {
    pub fn model(&self, name: &str) -> Option<&Model> {
        self.models.iter().find(|m| m.name == name)
    }
}

/// A `data` model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Model {
    /// As written (`OrderItem`). Travels in this case on the wire.
    pub name: String,
    /// The lower-cased name (`orderitem`): the Socket.IO room.
    pub channel: String,
    /// The spec's fields in order. The id is not among them unless the spec declares a field
    /// called `id`; see [`Model::id_declared`].
    pub fields: Vec<Field>,
    /// True when the spec declared a field named `id` itself.
    pub id_declared: bool,
    /// The lifecycle (`states: a -> b -> c`), if any.
    pub states: Option<Lifecycle>,
    /// `rules:` lines, verbatim.
    pub rules: Vec<String>,
}

/// The field that carries a row's lifecycle state, on every model with `states:`.
pub const STATE_FIELD: &str = "status";

impl Model {
    /// The field carrying the row's state (`status`), when the model has a lifecycle.
    pub fn state_field(&self) -> Option<&Field> {
        self.states.as_ref()?;
        self.fields.iter().find(|f| f.name == STATE_FIELD)
    }

    /// True when `field` is this model's state field.
    pub fn is_state_field(&self, field: &Field) -> bool {
        self.states.is_some() && field.name == STATE_FIELD
    }

    /// The field a workflow guard names (`if score >= 7`): its index, the field and what the
    /// guard reads of it. `None` when the model has no such field or a guard cannot read it
    /// (see [`GuardValue::of`]). The checker reports both; the generators read only what it
    /// allows.
    pub fn guard_field(&self, name: &str) -> Option<(usize, &Field, GuardValue)> {
        let index = self.fields.iter().position(|f| f.name == name)?;
        let field = &self.fields[index];
        let value = GuardValue::of(&field.ty, field.list, self.is_state_field(field))?;
        Some((index, field, value))
    }
}

/// What a workflow guard reads of a field: the values the generated Rust and TypeScript
/// compare alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GuardValue {
    /// `yes/no`.
    Bool,
    /// A number (not a decimal).
    Number,
    /// Text.
    Text,
    /// A `date` or `datetime`: an ISO string, ordered as text.
    Temporal,
    /// A `ref[X]` id: text.
    Ref,
}

impl GuardValue {
    /// What a guard reads of a field of type `ty`, a list field when `list`, the model's state
    /// field when `state`. `None` when a guard cannot read it: a list, the state (the workflow's
    /// `on` block says which state applies), a decimal such as `money`, a related row.
    pub fn of(ty: &FieldType, list: bool, state: bool) -> Option<GuardValue> {
        if list || state {
            return None;
        }
        match ty {
            FieldType::Builtin(b) => match b.info().class {
                ValueClass::Bool => Some(GuardValue::Bool),
                ValueClass::Number => Some(GuardValue::Number),
                ValueClass::Text => Some(GuardValue::Text),
                ValueClass::Temporal => Some(GuardValue::Temporal),
                ValueClass::Decimal => None,
            },
            FieldType::Ref { .. } => Some(GuardValue::Ref),
            FieldType::Model { .. } => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Lifecycle {
    /// In declaration order; the first is the initial state.
    pub states: Vec<String>,
    /// Allowed transitions `(from, to)`: one per arrow of the chain and, with a workflow of the
    /// model's name, one per edge of it (an event's target or `else` state) that is not an
    /// arrow, ordered as the states are (by `from`, then by `to`).
    pub transitions: Vec<(String, String)>,
    /// The events of the workflow named like the model (`workflow Task { on todo { event
    /// start -> doing } }`), in the order of the spec; empty when it has none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<StateEvent>,
}

/// One event a state of a lifecycle accepts (`on from { event name: if guard else otherwise
/// -> target }`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StateEvent {
    /// The state that accepts the event.
    pub from: String,
    /// The event's name.
    pub name: String,
    /// The guard on the row's fields, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guard: Option<Guard>,
    /// Where a failed guard leads; without it, a failed guard refuses the event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub otherwise: Option<String>,
    /// Where the event leads when its guard holds (or it has none).
    pub target: String,
}

/// A workflow event's guard: the expression and its canonical text, which refusals quote.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Guard {
    pub expr: Expr,
    /// [`Expr::spec_text`] of `expr`.
    pub text: String,
}

impl Lifecycle {
    /// The events state `from` accepts, in the order of the spec (each name once).
    pub fn events_of<'a>(&'a self, from: &'a str) -> impl Iterator<Item = &'a StateEvent> + 'a {
        self.events.iter().filter(move |e| e.from == from)
    }

    /// Every event name of the workflow, each once, in the order of the spec.
    pub fn event_names(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for e in &self.events {
            if !out.contains(&e.name.as_str()) {
                out.push(&e.name);
            }
        }
        out
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Field {
    /// The spec's name (`userId`): the JSON key on the wire.
    pub name: String,
    #[serde(rename = "type")]
    pub ty: FieldType,
    /// `[]` after the type.
    pub list: bool,
    /// `optional` was given: the value may be absent or null.
    pub optional: bool,
    pub required: bool,
    pub unique: bool,
    pub constraints: Constraints,
    pub default: Option<DefaultValue>,
}

/// A field's type. In JSON: `{"kind": "text"}` (a built-in's [`ir_kind`](TypeInfo::ir_kind)),
/// `{"kind": "ref", "model": "User"}` or `{"kind": "model", "model": "User"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "FieldTypeRepr", try_from = "FieldTypeRepr")]
pub enum FieldType {
    /// A built-in type (`text`, `yes/no`, ...): see [`crate::types::TYPES`].
    Builtin(Builtin),
    /// `ref[Model]`: the id of a row of that model.
    Ref { model: String },
    /// A bare model name used as a type: the related row itself.
    Model { model: String },
}

impl FieldType {
    /// The spelling in the spec (`yes/no`, `ref[User]`).
    pub fn spec_name(&self) -> String {
        match self {
            FieldType::Builtin(b) => b.name().to_owned(),
            FieldType::Ref { model } => format!("ref[{model}]"),
            FieldType::Model { model } => model.clone(),
        }
    }

    /// The built-in type's entry of the type table, if this is a built-in.
    pub fn builtin(&self) -> Option<&'static TypeInfo> {
        match self {
            FieldType::Builtin(b) => Some(b.info()),
            FieldType::Ref { .. } | FieldType::Model { .. } => None,
        }
    }
}

/// [`FieldType`] as it is written in JSON.
#[derive(Serialize, Deserialize)]
struct FieldTypeRepr {
    kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    model: Option<String>,
}

impl From<FieldType> for FieldTypeRepr {
    fn from(ty: FieldType) -> Self {
        let (kind, model) = match ty {
            FieldType::Builtin(b) => (b.info().ir_kind.to_owned(), None),
            FieldType::Ref { model } => ("ref".to_owned(), Some(model)),
            FieldType::Model { model } => ("model".to_owned(), Some(model)),
        };
        FieldTypeRepr { kind, model }
    }
}

impl TryFrom<FieldTypeRepr> for FieldType {
    type Error = String;

    fn try_from(repr: FieldTypeRepr) -> Result<Self, String> {
        match (repr.kind.as_str(), repr.model) {
            ("ref", Some(model)) => Ok(FieldType::Ref { model }),
            ("model", Some(model)) => Ok(FieldType::Model { model }),
            ("ref" | "model", None) => Err(format!("a `{}` type needs a `model`", repr.kind)),
            (kind, _) => Builtin::from_ir_kind(kind)
                .map(FieldType::Builtin)
                .ok_or_else(|| format!("unknown field type kind `{kind}`")),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Constraints {
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub min_length: Option<f64>,
    pub max_length: Option<f64>,
    /// `email=true|false`
    pub email: Option<bool>,
    pub pattern: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum DefaultValue {
    Text(String),
    Number(f64),
    Bool(bool),
    /// A bare name (`default=pending`), typically a state.
    Name(String),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct View {
    pub name: String,
    pub items: Vec<ViewItem>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ViewItem {
    List { model: String },
    Button { label: String, action: String },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Action {
    pub name: String,
    pub params: Vec<Param>,
    pub body: Vec<Stmt>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Param {
    pub name: String,
    /// The declared type, if any (`body: text`).
    #[serde(rename = "type")]
    pub ty: Option<ParamType>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParamType {
    #[serde(rename = "type")]
    pub ty: FieldType,
    pub list: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Stmt {
    Add {
        model: String,
        values: Vec<FieldValue>,
    },
    Show {
        view: String,
    },
    Call {
        method: Method,
        path: String,
        args: Vec<Expr>,
    },
    Load {
        method: Method,
        path: String,
        into: String,
    },
    Update {
        model: String,
        filter: Expr,
        set: Vec<Assignment>,
    },
    Delete {
        model: String,
        filter: Expr,
    },
    If {
        branches: Vec<Branch>,
        otherwise: Option<Vec<Stmt>>,
    },
    ForIn {
        var: String,
        iter: Expr,
        body: Vec<Stmt>,
    },
    ForRange {
        var: String,
        from: Expr,
        to: Expr,
        body: Vec<Stmt>,
    },
    Assign {
        target: String,
        value: Expr,
    },
    Steps {
        steps: Vec<Step>,
        on_error: Option<String>,
    },
    Note {
        text: String,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Branch {
    pub condition: Expr,
    pub body: Vec<Stmt>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldValue {
    pub field: String,
    /// `None` for the shorthand `add M with title` (the value is the variable `title`).
    pub value: Option<Expr>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assignment {
    pub target: String,
    pub value: Expr,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    pub name: String,
    pub body: Vec<Stmt>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Expr {
    Number {
        value: f64,
    },
    Text {
        value: String,
    },
    Bool {
        value: bool,
    },
    Name {
        name: String,
    },
    Field {
        object: Box<Expr>,
        field: String,
    },
    Call {
        function: String,
        args: Vec<Expr>,
    },
    Unary {
        op: UnaryOp,
        operand: Box<Expr>,
    },
    Binary {
        op: BinaryOp,
        left: Box<Expr>,
        right: Box<Expr>,
    },
}

impl Expr {
    /// The expression as a spec writes it, with the parentheses its operators need and no
    /// others (`score >= 7 and not (a or b)`); `=` is written `==`.
    pub fn spec_text(&self) -> String {
        let mut out = String::new();
        self.write_text(&mut out, 0);
        out
    }

    /// Binding strength of an operator, weakest first (`or`, `and`, comparisons, `+ -`,
    /// `* / %`); a unary operator binds tighter than all.
    fn precedence(op: BinaryOp) -> u8 {
        match op {
            BinaryOp::Or => 1,
            BinaryOp::And => 2,
            BinaryOp::Eq
            | BinaryOp::Ne
            | BinaryOp::Lt
            | BinaryOp::Le
            | BinaryOp::Gt
            | BinaryOp::Ge => 3,
            BinaryOp::Add | BinaryOp::Sub => 4,
            BinaryOp::Mul | BinaryOp::Div | BinaryOp::Rem => 5,
        }
    }

    /// Writes the expression, in parentheses when its operator binds weaker than `min`.
    fn write_text(&self, out: &mut String, min: u8) {
        match self {
            Expr::Number { value } => out.push_str(&format!("{value}")),
            Expr::Text { value } => {
                let quote = if value.contains('"') { '\'' } else { '"' };
                out.push(quote);
                out.push_str(value);
                out.push(quote);
            }
            Expr::Bool { value } => out.push_str(if *value { "true" } else { "false" }),
            Expr::Name { name } => out.push_str(name),
            Expr::Field { object, field } => {
                object.write_text(out, 6);
                out.push('.');
                out.push_str(field);
            }
            Expr::Call { function, args } => {
                out.push_str(function);
                out.push('(');
                for (i, a) in args.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    a.write_text(out, 0);
                }
                out.push(')');
            }
            Expr::Unary { op, operand } => {
                out.push_str(match op {
                    UnaryOp::Not => "not ",
                    UnaryOp::Neg => "-",
                });
                operand.write_text(out, 6);
            }
            Expr::Binary { op, left, right } => {
                let own = Self::precedence(*op);
                let paren = own < min;
                if paren {
                    out.push('(');
                }
                // Left-associative, and comparisons do not chain: a left operand of the same
                // strength needs no parentheses unless it is a comparison.
                let left_min = if own == 3 { own + 1 } else { own };
                left.write_text(out, left_min);
                out.push(' ');
                out.push_str(op.as_str());
                out.push(' ');
                right.write_text(out, own + 1);
                if paren {
                    out.push(')');
                }
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnaryOp {
    Not,
    Neg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BinaryOp {
    Or,
    And,
    /// `==` or `=` (SQL-style equality)
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

impl BinaryOp {
    /// A comparison (`==`, `!=`, `<`, `<=`, `>`, `>=`): what a workflow guard applies to a field
    /// and a value.
    pub fn is_comparison(self) -> bool {
        matches!(
            self,
            BinaryOp::Eq | BinaryOp::Ne | BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge
        )
    }

    /// The operator as a spec writes it (`==` for both `==` and `=`).
    pub fn as_str(self) -> &'static str {
        match self {
            BinaryOp::Or => "or",
            BinaryOp::And => "and",
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Rem => "%",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Flow {
    pub name: String,
    pub from: String,
    pub trigger: String,
    pub steps: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Job {
    pub name: String,
    pub when: JobWhen,
    pub delay: Option<Duration>,
    pub body: Vec<Stmt>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobWhen {
    Schedule(Schedule),
    Trigger(Trigger),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeUnit {
    Minutes,
    Hours,
    Days,
    Weeks,
    Months,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Duration {
    pub amount: f64,
    pub unit: TimeUnit,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Schedule {
    Cron { expression: String },
    Daily { at: String },
    Weekly { day: String, at: String },
    Every { every: Duration, at: Option<String> },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Trigger {
    /// `on Model.created|updated|deleted`
    Lifecycle {
        model: String,
        event: LifecycleEvent,
    },
    /// `on Model.field -> value`
    Change {
        model: String,
        field: String,
        to: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LifecycleEvent {
    Created,
    Updated,
    Deleted,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Workflow {
    pub name: String,
    pub states: Vec<WorkflowState>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkflowState {
    pub name: String,
    pub events: Vec<WorkflowEvent>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkflowEvent {
    pub name: String,
    pub guard: Option<Expr>,
    pub otherwise: Option<String>,
    pub target: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::TYPES;

    #[test]
    fn field_types_keep_their_json_form() {
        let json = |ty: &FieldType| serde_json::to_string(ty).expect("serialisable");
        assert_eq!(
            json(&FieldType::Builtin(Builtin::Bool)),
            r#"{"kind":"bool"}"#
        );
        assert_eq!(
            json(&FieldType::Ref {
                model: "User".into()
            }),
            r#"{"kind":"ref","model":"User"}"#
        );
        let mut all: Vec<FieldType> = TYPES
            .iter()
            .map(|t| FieldType::Builtin(t.builtin))
            .collect();
        all.push(FieldType::Model {
            model: "User".into(),
        });
        for ty in all {
            let back: FieldType = serde_json::from_str(&json(&ty)).expect("readable");
            assert_eq!(back, ty);
        }
        for bad in [
            r#"{"kind":"boolean"}"#,
            r#"{"kind":"ref"}"#,
            r#"{"model":"X"}"#,
        ] {
            assert!(serde_json::from_str::<FieldType>(bad).is_err(), "{bad}");
        }
    }
}
