//! The validators of `types.ts`: each model's constraints as a table (`RULES`, the same
//! entries as the Rust `RULES`) and one function per model over the runtime's `checkRow`
//! (`validate.ts`).

use super::names::{self, Names};
use super::writer::{Code, tl};
use crate::codegen::constraints::{Bound, Checks, bound_text};
use crate::ir::{self, FieldType};
use crate::types::Builtin;

/// The import line `types.ts` needs from `validate.ts`.
pub(super) fn import(spec: &ir::Spec) -> &'static str {
    if spec
        .models
        .iter()
        .any(|m| m.states.as_ref().is_some_and(|l| !l.events.is_empty()))
    {
        "import { checkRow, checkTransition, refuseEvent, refuseGuard, type EventOutcome, type FieldRules, type TransitionRecord, type TransitionRefused, type Violation } from './validate.js';"
    } else if spec.models.iter().any(|m| m.states.is_some()) {
        "import { checkRow, checkTransition, type FieldRules, type TransitionRecord, type TransitionRefused, type Violation } from './validate.js';"
    } else {
        "import { checkRow, type FieldRules, type Violation } from './validate.js';"
    }
}

pub(super) fn generate(c: &mut Code, spec: &ir::Spec, names: &Names) {
    c.doc("The validators' shapes and error, from the runtime (`validate.ts`).");
    c.line(
        "export type { Bound, EventOutcome, FieldRules, Rule, TransitionRecord, TransitionRefused, Violation } from './validate.js';",
    );
    c.line("export { ValidationError, describe } from './validate.js';");
    c.blank();
    c.doc(
        "The spec's constraints of each model, one entry per constrained field (its name on the\n\
         wire and what it must be): what the validators below check.",
    );
    let ty = "{ readonly [M in ModelName]: readonly FieldRules[] }";
    if spec.models.is_empty() {
        c.line(format!("export const RULES: {ty} = {{}};"));
    } else {
        c.block(format!("export const RULES: {ty} = {{"), "};", |c| {
            for model in &spec.models {
                let mut entries = model.fields.iter().filter_map(entry).peekable();
                let key = names::LiteralKey(&model.name);
                if entries.peek().is_none() {
                    tl!(c, "{key}: [],");
                } else {
                    c.block(format!("{key}: ["), "],", |c| {
                        for entry in entries {
                            tl!(c, "{entry},");
                        }
                    });
                }
            }
        });
    }
    for model in &spec.models {
        let interface = names.interface(&model.name);
        c.blank();
        c.doc(&format!(
            "Every constraint a row of `{}` breaks, in the order of its fields; empty when none.\n\
             The same rules and messages as the Rust `validate()`.",
            model.name
        ));
        tl!(
            c,
            "export function validate{}(row: {interface}): Violation[] {{",
            suffix(&model.name)
        );
        tl!(
            c,
            "  return checkRow({}, row);",
            names::Index("RULES", &model.name)
        );
        c.line("}");
        if let (Some((ty, _)), Some(next)) =
            (names.states(&model.name), names.next_states(&model.name))
        {
            c.blank();
            c.doc(&format!(
                "Why a row of `{}` may not go from state `from` to `to`, or `null` when it may\n\
                 (staying is no change). The same refusal and message as the Rust\n\
                 `check_transition` and the database's trigger.",
                model.name
            ));
            tl!(
                c,
                "export function check{}Transition(from: {ty}, to: {ty}): TransitionRefused | null {{",
                suffix(&model.name)
            );
            tl!(
                c,
                "  return checkTransition({}, {next}, from, to);",
                names::Quoted(&model.name)
            );
            c.line("}");
        }
        apply(c, model, names);
    }
    c.blank();
    c.doc("Every constraint a row of model `model` breaks; empty when none.");
    c.line(
        "export function validate<M extends ModelName>(model: M, row: Models[M]): Violation[] {",
    );
    c.line("  return checkRow(RULES[model], row);");
    c.line("}");
}

/// `apply<Model>Event(row, event)`, when a workflow governs the model.
fn apply(c: &mut Code, model: &ir::Model, names: &Names) {
    let (Some(lifecycle), Some((state_ty, _)), Some(next), Some((event_ty, by_state))) = (
        &model.states,
        names.states(&model.name),
        names.next_states(&model.name),
        names.events(&model.name),
    ) else {
        return;
    };
    let Some(state_field) = model.state_field() else {
        return;
    };
    let interface = names.interface(&model.name);
    let model_name = names::string(&model.name);
    c.blank();
    c.doc(&format!(
        "The state a row of `{}` moves to on the workflow event `event`, or why it may not (the\n\
         row is not changed). A guard is evaluated on the row's fields; a comparison with an\n\
         absent optional field is false. The same answers and messages as the Rust `apply`.",
        model.name
    ));
    c.line(format!(
        "export function apply{}Event(row: {interface}, event: {event_ty}): EventOutcome<{state_ty}> {{",
        suffix(&model.name)
    ));
    c.line(format!(
        "  const from: {state_ty} = {};",
        names::index("row", &state_field.name)
    ));
    for event in &lifecycle.events {
        let when = format!(
            "from === {} && event === {}",
            names::string(&event.from),
            names::string(&event.name)
        );
        let to = |state: &str| format!("{{ ok: true, state: {} }}", names::string(state));
        match &event.guard {
            None => c.line(format!("  if ({when}) return {};", to(&event.target))),
            Some(guard) => {
                let otherwise = match &event.otherwise {
                    Some(other) => to(other),
                    None => format!(
                        "refuseGuard({model_name}, from, {}, {}, {}, {by_state}[from], {next}[from])",
                        names::string(&event.target),
                        names::string(&event.name),
                        names::string(&guard.text)
                    ),
                };
                c.line(format!("  if ({when}) {{"));
                c.line(format!(
                    "    return {} ? {} : {otherwise};",
                    guard_code(model, &guard.expr),
                    to(&event.target)
                ));
                c.line("  }");
            }
        }
    }
    c.line(format!(
        "  return refuseEvent({model_name}, from, event, {by_state}[from], {next}[from]);"
    ));
    c.line("}");
}

/// A guard as a TypeScript `boolean` expression on `row`; anything the checker does not allow
/// (only in a hand-made IR) is `false`.
fn guard_code(model: &ir::Model, expr: &ir::Expr) -> String {
    use ir::{BinaryOp, Expr, UnaryOp};
    match expr {
        Expr::Bool { value } => value.to_string(),
        Expr::Unary {
            op: UnaryOp::Not,
            operand,
        } => format!("!{}", guard_code(model, operand)),
        Expr::Binary {
            op: op @ (BinaryOp::And | BinaryOp::Or),
            left,
            right,
        } => format!(
            "({} {} {})",
            guard_code(model, left),
            if *op == BinaryOp::And { "&&" } else { "||" },
            guard_code(model, right)
        ),
        Expr::Binary { op, left, right } if op.is_comparison() => {
            let (Some((l, l_opt)), Some((r, r_opt))) =
                (operand(model, left), operand(model, right))
            else {
                return "false".to_owned();
            };
            let op = match op {
                BinaryOp::Eq => "===",
                BinaryOp::Ne => "!==",
                other => other.as_str(),
            };
            let mut parts = Vec::new();
            if l_opt {
                parts.push(format!("{l} != null"));
            }
            if r_opt {
                parts.push(format!("{r} != null"));
            }
            parts.push(format!("{l} {op} {r}"));
            format!("({})", parts.join(" && "))
        }
        Expr::Name { .. } => match operand(model, expr) {
            Some((code, true)) => format!("({code} === true)"),
            Some((code, false)) => code,
            None => "false".to_owned(),
        },
        _ => "false".to_owned(),
    }
}

/// A comparison's operand: a literal, or a field of the row, with whether it may be absent.
fn operand(model: &ir::Model, expr: &ir::Expr) -> Option<(String, bool)> {
    use ir::{Expr, UnaryOp};
    match expr {
        Expr::Number { value } => Some((bound_text(*value), false)),
        Expr::Unary {
            op: UnaryOp::Neg,
            operand,
        } => match operand.as_ref() {
            Expr::Number { value } => Some((format!("-{}", bound_text(*value)), false)),
            _ => None,
        },
        Expr::Text { value } => Some((names::string(value), false)),
        Expr::Bool { value } => Some((value.to_string(), false)),
        Expr::Name { name } => {
            let (_, field, _) = model.guard_field(name)?;
            Some((names::index("row", &field.name), field.optional))
        }
        _ => None,
    }
}

/// The part of a validator's name after `validate`: the model's name, whose first letter is
/// upper-cased (`validateTask`).
pub(super) fn suffix(model: &str) -> String {
    let mut chars = model.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// One entry of `RULES` (`{ field: 'title', required: true, maxLength: [200, '200'] }`).
fn entry(field: &ir::Field) -> Option<String> {
    let checks = Checks::of(field)?;
    let mut out = String::with_capacity(64);
    out.push_str("{ field: ");
    names::push_string(&mut out, &field.name);
    if checks.required {
        out.push_str(", required: true");
    }
    for (bound, value) in checks.bounds {
        let key = match bound {
            Bound::MinLength => "minLength",
            Bound::MaxLength => "maxLength",
            Bound::Min => "min",
            Bound::Max => "max",
        };
        let text = bound_text(value);
        let literal = if value.is_finite() {
            &text
        } else if value > 0.0 {
            "Infinity"
        } else {
            "-Infinity"
        };
        out.push_str(", ");
        out.push_str(key);
        out.push_str(": [");
        out.push_str(literal);
        out.push_str(", ");
        names::push_string(&mut out, &text);
        out.push(']');
    }
    if checks.email {
        out.push_str(", email: true");
    }
    if let Some(pattern) = checks.pattern {
        out.push_str(", pattern: ");
        names::push_string(&mut out, pattern);
    }
    if field.list {
        out.push_str(", list: true");
    } else if field.ty == FieldType::Builtin(Builtin::Money) {
        out.push_str(", decimal: true");
    }
    out.push_str(" }");
    Some(out)
}
