//! Workflow checks. A `workflow` named like a `data` model governs that model's lifecycle:
//! every state it names (`on` states, event targets, `else` states) must be one of the
//! model's `states:` (E0214), a state is listed once and an event once per state (E0217), and
//! each guard must be a yes/no condition on the model's fields that the generated Rust and
//! TypeScript can evaluate alike (unknown field: E0215; anything else: E0216). A workflow named
//! like no model is kept as written, unchecked, as before.

use std::collections::HashMap;

use super::{Checker, suggest};
use crate::ast::{self, BinaryOp, Decl, ExprKind, UnaryOp};
use crate::diagnostic::{Code, Diagnostic};
use crate::ir::GuardValue;
use crate::lower::field_type;
use crate::span::Span;

pub(super) fn check_workflows<'s, 'a>(cx: &mut Checker<'_, 's, 'a>, app: &'s ast::App<'a>) {
    for decl in &app.decls {
        if let Decl::Workflow(workflow) = decl
            && let Some(data) = cx.symbols.models.get(workflow.name.name).copied()
        {
            check_workflow(cx, workflow, data);
        }
    }
}

fn check_workflow<'a>(
    cx: &mut Checker<'_, '_, 'a>,
    workflow: &ast::Workflow<'a>,
    data: &ast::Data<'a>,
) {
    let chain: Vec<&str> = data
        .states
        .as_ref()
        .map(|s| s.names.iter().map(|n| n.name).collect())
        .unwrap_or_default();
    if data.states.is_none() {
        let model = data.name.name;
        let d = Diagnostic::error(
            Code::WORKFLOW_STATE,
            cx.file,
            workflow.name.span,
            format!(
                "the workflow `{}` governs `{model}`, which has no `states:`",
                workflow.name.name
            ),
        )
        .with_label(format!("named like the model `{model}`"))
        .with_secondary(data.name.span, format!("`{model}` has no lifecycle"))
        .with_help(format!(
            "give `{model}` a lifecycle (`states: a -> b`) with the workflow's states, or rename \
             the workflow (a workflow named like a model governs its `states:`)"
        ));
        cx.error(d);
        return;
    }
    let mut seen_states: HashMap<&str, Span> = HashMap::new();
    for state in &workflow.states {
        if let Some(&first) = seen_states.get(state.name.name) {
            let d = Diagnostic::error(
                Code::DUPLICATE_WORKFLOW_ITEM,
                cx.file,
                state.name.span,
                format!(
                    "the state `{}` has two `on` blocks in the workflow `{}`",
                    state.name.name, workflow.name.name
                ),
            )
            .with_label("listed again here")
            .with_secondary(first, "first listed here")
            .with_help("put all the events of a state in one `on` block");
            cx.error(d);
        } else {
            seen_states.insert(state.name.name, state.name.span);
        }
        check_state(cx, workflow, data, &chain, state.name, "`on` names");
        let mut seen_events: HashMap<&str, Span> = HashMap::new();
        for event in &state.events {
            if let Some(&first) = seen_events.get(event.name.name) {
                let d = Diagnostic::error(
                    Code::DUPLICATE_WORKFLOW_ITEM,
                    cx.file,
                    event.name.span,
                    format!(
                        "the event `{}` is declared twice for the state `{}`",
                        event.name.name, state.name.name
                    ),
                )
                .with_label("declared again here")
                .with_secondary(first, "first declared here")
                .with_help(
                    "an event leads to one state; use a guard with `else` to choose between two",
                );
                cx.error(d);
            } else {
                seen_events.insert(event.name.name, event.name.span);
            }
            check_state(
                cx,
                workflow,
                data,
                &chain,
                event.target,
                "the event leads to",
            );
            if let Some(otherwise) = event.otherwise {
                check_state(
                    cx,
                    workflow,
                    data,
                    &chain,
                    otherwise,
                    "a failed guard leads to",
                );
            }
            if let Some(guard) = &event.guard {
                Guard { cx: &mut *cx, data }.condition(guard);
            }
        }
    }
}

/// Reports `name` when it is not one of the model's states.
fn check_state<'a>(
    cx: &mut Checker<'_, '_, 'a>,
    workflow: &ast::Workflow<'a>,
    data: &ast::Data<'a>,
    chain: &[&str],
    name: ast::Ident<'a>,
    role: &str,
) {
    if chain.contains(&name.name) {
        return;
    }
    let model = data.name.name;
    let d = Diagnostic::error(
        Code::WORKFLOW_STATE,
        cx.file,
        name.span,
        format!("`{}` is not a state of `{model}`", name.name),
    )
    .with_label(format!("{role} a state `{model}` does not have"))
    .with_secondary(
        data.states.as_ref().map_or(data.name.span, |s| s.span),
        format!(
            "the states of `{model}` (its workflow `{}` may use only these)",
            workflow.name.name
        ),
    );
    cx.error(match suggest::help_for(name.name, "state", chain) {
        Some(help) => d.with_help(help),
        None => d,
    });
}

/// What a guard's operand holds.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Ty {
    Bool,
    Number,
    Text,
    /// A `date` or `datetime` field: an ISO string, ordered as text.
    Temporal,
    /// A text literal: equal to a text, ordered against a date.
    TextLiteral,
}

impl Ty {
    fn name(self) -> &'static str {
        match self {
            Ty::Bool => "a yes/no value",
            Ty::Number => "a number",
            Ty::Text | Ty::TextLiteral => "text",
            Ty::Temporal => "a date",
        }
    }
}

struct Guard<'c, 'd, 's, 'a, 'm> {
    cx: &'c mut Checker<'d, 's, 'a>,
    data: &'m ast::Data<'a>,
}

impl<'a> Guard<'_, '_, '_, 'a, '_> {
    fn unsupported(&mut self, span: Span, message: String, label: &str, help: &str) {
        let d = Diagnostic::error(Code::BAD_GUARD, self.cx.file, span, message)
            .with_label(label)
            .with_help(help);
        self.cx.error(d);
    }

    /// A yes/no condition: a comparison, `and`, `or`, `not`, a yes/no field or literal.
    fn condition(&mut self, e: &ast::Expr<'a>) {
        match &e.kind {
            ExprKind::Paren(inner) => self.condition(inner),
            ExprKind::Unary(UnaryOp::Not, inner) => self.condition(inner),
            ExprKind::Binary(BinaryOp::And | BinaryOp::Or, l, r) => {
                self.condition(l);
                self.condition(r);
            }
            ExprKind::Binary(op, l, r) if op.is_comparison() => self.comparison(e.span, *op, l, r),
            ExprKind::Error => {}
            ExprKind::Bool(_) => self.unsupported(
                e.span,
                "a guard reads the row; `true` or `false` alone is always the same".to_owned(),
                "always the same answer",
                "drop the guard, or name a `yes/no` field",
            ),
            _ => {
                if let Some(ty) = self.operand(e)
                    && ty != Ty::Bool
                {
                    self.unsupported(
                        e.span,
                        format!("a guard must be yes or no, and this is {}", ty.name()),
                        "not a condition",
                        "compare it (`score >= 7`), or name a `yes/no` field",
                    );
                }
            }
        }
    }

    fn comparison(&mut self, span: Span, op: BinaryOp, l: &ast::Expr<'a>, r: &ast::Expr<'a>) {
        let (Some(lt), Some(rt)) = (self.operand(l), self.operand(r)) else {
            return;
        };
        if !is_field(l) && !is_field(r) {
            self.unsupported(
                span,
                "a guard compares a field of the row; this compares two values".to_owned(),
                "always the same answer",
                "name one of the model's fields on one side",
            );
            return;
        }
        let ordering = !matches!(op, BinaryOp::Eq | BinaryOp::Ne);
        let same = match (lt, rt) {
            (Ty::TextLiteral, Ty::TextLiteral) => true,
            (Ty::TextLiteral, t) | (t, Ty::TextLiteral) => {
                if ordering {
                    t == Ty::Temporal
                } else {
                    matches!(t, Ty::Text | Ty::Temporal)
                }
            }
            (a, b) => a == b,
        };
        if !same {
            self.unsupported(
                span,
                format!("a guard compares {} with {}", lt.name(), rt.name()),
                "the two sides have different types",
                "compare a field with a value of its own type (`priority > 4`, `owner == \"ann\"`)",
            );
            return;
        }
        if ordering
            && !matches!(lt, Ty::Number | Ty::Temporal)
            && !matches!(rt, Ty::Number | Ty::Temporal)
        {
            self.unsupported(
                span,
                format!("`{}` orders numbers and dates only", op.as_str()),
                "Rust and JavaScript order other values differently",
                "compare text with `==` or `!=`",
            );
        }
    }

    /// The type of a comparison's operand: a field of the model or a literal. `None` when it
    /// was reported.
    fn operand(&mut self, e: &ast::Expr<'a>) -> Option<Ty> {
        match &e.kind {
            ExprKind::Paren(inner) => self.operand(inner),
            ExprKind::Num(_) => Some(Ty::Number),
            ExprKind::Unary(UnaryOp::Neg, inner) if matches!(inner.kind, ExprKind::Num(_)) => {
                Some(Ty::Number)
            }
            ExprKind::Str(_) => Some(Ty::TextLiteral),
            ExprKind::Bool(_) => Some(Ty::Bool),
            ExprKind::Name(name) => self.field(*name),
            ExprKind::Error => None,
            ExprKind::Binary(op, ..)
                if op.is_comparison() || matches!(op, BinaryOp::And | BinaryOp::Or) =>
            {
                self.unsupported(
                    e.span,
                    "a guard compares a field with a value, not conditions with each other"
                        .to_owned(),
                    "a condition where a field or a value belongs",
                    "combine conditions with `and`, `or` and `not`",
                );
                None
            }
            ExprKind::Unary(UnaryOp::Not, _) => {
                self.unsupported(
                    e.span,
                    "a guard compares a field with a value, not conditions with each other"
                        .to_owned(),
                    "a condition where a field or a value belongs",
                    "put `not` before the whole comparison: `not (a == b)`",
                );
                None
            }
            _ => {
                self.unsupported(
                    e.span,
                    "a guard compares the row's fields with values; it does no arithmetic and calls nothing".to_owned(),
                    "not a field or a value",
                    "write the condition on a field: `total > 100`, `approved`, `owner != \"\"`",
                );
                None
            }
        }
    }

    fn field(&mut self, name: ast::Ident<'a>) -> Option<Ty> {
        let data = self.data;
        let Some(field) = data.fields.iter().find(|f| f.name.name == name.name) else {
            let mut d = Diagnostic::error(
                Code::GUARD_FIELD,
                self.cx.file,
                name.span,
                format!(
                    "the model `{}` has no field `{}`",
                    data.name.name, name.name
                ),
            )
            .with_label("the guard reads a field that does not exist")
            .with_secondary(
                data.name.span,
                format!("`{}` is declared here", data.name.name),
            );
            let names: Vec<&str> = data.fields.iter().map(|f| f.name.name).collect();
            if let Some(help) = suggest::help_for(name.name, "field", &names) {
                d = d.with_help(help);
            }
            self.cx.error(d);
            return None;
        };
        let is_state = data.states.is_some() && field.name.name == crate::ir::STATE_FIELD;
        let ty =
            GuardValue::of(&field_type(&field.ty.base), field.ty.list, is_state).map(|value| {
                match value {
                    GuardValue::Bool => Ty::Bool,
                    GuardValue::Number => Ty::Number,
                    GuardValue::Text | GuardValue::Ref => Ty::Text,
                    GuardValue::Temporal => Ty::Temporal,
                }
            });
        if ty.is_none() {
            let why = if is_state {
                "the row's state: the workflow's `on` block already says which state applies"
            } else if field.ty.list {
                "a list"
            } else {
                "neither a number, text, a date nor a yes/no value"
            };
            self.unsupported(
                name.span,
                format!("a guard cannot read the field `{}`", name.name),
                why,
                "a guard reads numbers, text, dates, `ref[X]` ids and yes/no fields",
            );
        }
        ty
    }
}

/// A field's name, possibly in parentheses.
fn is_field(e: &ast::Expr<'_>) -> bool {
    match &e.kind {
        ExprKind::Name(_) => true,
        ExprKind::Paren(inner) => is_field(inner),
        _ => false,
    }
}
