//! A model's workflow (`workflow Task { on todo { event start -> doing } }`): the event enum
//! (`TaskEvent`) and the row's `apply()`, which evaluates the guards on the row's fields.

use super::Gen;
use super::docs::code;
use super::names::{StateNames, ident};
use super::out::{Out, lit, ln};
use super::string_enum::{NameEnum, Variant};
use crate::ir::{self, BinaryOp, Expr, GuardValue, UnaryOp};

/// A guard operand in Rust: its code and whether it is an `Option`.
struct Operand {
    code: String,
    optional: bool,
}

impl Gen<'_> {
    /// The event enum of a model's workflow.
    pub(super) fn event_enum(
        &self,
        out: &mut Out,
        model: &ir::Model,
        model_ty: &str,
        names: &StateNames,
        lifecycle: &ir::Lifecycle,
    ) {
        let events = lifecycle.event_names();
        let variants = &names.variants;
        let doc = vec![
            format!(
                "The events of the workflow {}: what [`{model_ty}::apply`] takes.",
                code(&model.name)
            ),
            String::new(),
            "It serialises as the event's name in the spec.".to_owned(),
        ];
        let variant_defs = events
            .iter()
            .zip(variants)
            .map(|(event, variant)| {
                let from: Vec<String> = lifecycle
                    .events
                    .iter()
                    .filter(|e| e.name == *event)
                    .map(|e| code(&e.from))
                    .collect();
                Variant {
                    doc: format!("{}: accepted in {}.", code(event), from.join(", ")),
                    name: variant.clone(),
                    wire: (*event).to_owned(),
                }
            })
            .collect();
        NameEnum {
            names,
            model: &model.name,
            what: "event",
            doc,
            variants: variant_defs,
        }
        .write(out, |_| {}, |_| {});
    }

    /// `apply()` of model `index`, inside its inherent `impl`: a workflow event moves the row.
    pub(super) fn apply(&self, out: &mut Out, index: usize) {
        let model = &self.spec.models[index];
        let names = &self.names.models[index];
        let (Some(lifecycle), Some(states), Some(events), true) = (
            &model.states,
            &names.state,
            &names.events,
            self.options.lifecycles,
        ) else {
            return;
        };
        let Some(position) = model.fields.iter().position(|f| model.is_state_field(f)) else {
            return;
        };
        let Some(state_field) = &names.fields[position] else {
            return;
        };
        let state_field = ident(state_field);
        let state_ty = &states.ty;
        let event_ty = &events.ty;
        let event_names = lifecycle.event_names();
        let state_variant = |name: &str| {
            let i = lifecycle.states.iter().position(|s| s == name).unwrap_or(0);
            format!("{state_ty}::{}", states.variants[i])
        };
        let event_variant = |name: &str| {
            let i = event_names.iter().position(|e| *e == name).unwrap_or(0);
            format!("{event_ty}::{}", events.variants[i])
        };
        let model_name = lit(&model.name);
        out.blank();
        out.doc(&[
            &format!(
                "Applies the workflow event `event`: the row moves to the state the event leads \
                 to from its current state (its field `{}`), which this returns.",
                ir::STATE_FIELD
            ),
            "",
            "An event with a guard (`event e: if guard else other -> target`) leads to `target`",
            "when the guard holds on the row's fields, else to `other`; a comparison with an",
            "absent optional field is false.",
            "",
            "# Errors",
            "When the current state does not accept the event, or the guard is false and the",
            "event has no `else` state; the row is left unchanged.",
        ]);
        out.line("#[inline]");
        out.line(
            "#[allow(clippy::bool_comparison, clippy::nonminimal_bool, clippy::neg_cmp_op_on_partial_ord, clippy::float_cmp, clippy::eq_op, clippy::double_comparisons, clippy::overly_complex_bool_expr, reason = \"the guards are the spec's, as written\")]",
        );
        out.open(&format!(
            "pub fn apply(&mut self, event: {event_ty}) -> ::core::result::Result<{state_ty}, ::sheplang::TransitionRefused> {{"
        ));
        out.open(&format!("let next = match (self.{state_field}, event) {{"));
        let mut covered = 0;
        for event in &lifecycle.events {
            // A repeated event (only in a hand-made IR) keeps its first arm.
            if lifecycle
                .events
                .iter()
                .position(|e| e.from == event.from && e.name == event.name)
                .is_some_and(|first| !std::ptr::eq(&lifecycle.events[first], event))
            {
                continue;
            }
            covered += 1;
            let pattern = format!(
                "({}, {})",
                state_variant(&event.from),
                event_variant(&event.name)
            );
            let target = state_variant(&event.target);
            match &event.guard {
                None => ln!(out, "{pattern} => {target},"),
                Some(guard) => {
                    let condition = self.guard_code(index, &guard.expr, true);
                    let otherwise = match &event.otherwise {
                        Some(other) => state_variant(other),
                        None => format!(
                            "return ::core::result::Result::Err(::sheplang::TransitionRefused::guard_failed({model_name}, {}, {}, {}, {}, {from}.event_names(), {from}.next_names()))",
                            lit(&event.from),
                            lit(&event.target),
                            lit(&event.name),
                            lit(&guard.text),
                            from = state_variant(&event.from),
                        ),
                    };
                    out.open(&format!("{pattern} => {{"));
                    out.open(&format!("if {condition} {{"));
                    out.line(&target);
                    out.close("} else {");
                    out.depth_in();
                    out.line(&otherwise);
                    out.close("}");
                    out.close("}");
                }
            }
        }
        if covered < lifecycle.states.len() * event_names.len() {
            ln!(
                out,
                "(from, event) => return ::core::result::Result::Err(::sheplang::TransitionRefused::unknown_event({model_name}, from.as_str(), event.as_str(), from.event_names(), from.next_names())),"
            );
        }
        out.close("};");
        ln!(out, "self.{state_field} = next;");
        out.line("::core::result::Result::Ok(next)");
        out.close("}");
    }

    /// A guard as a Rust `bool` expression on `self`, in parentheses unless it is the whole
    /// condition (`top`). The checker allows only what this handles; anything else (a
    /// hand-made IR) is `false`.
    fn guard_code(&self, index: usize, expr: &Expr, top: bool) -> String {
        let wrap = |code: String| if top { code } else { format!("({code})") };
        match expr {
            Expr::Bool { value } => value.to_string(),
            Expr::Unary {
                op: UnaryOp::Not,
                operand,
            } => format!("!{}", self.guard_code(index, operand, false)),
            Expr::Binary {
                op: op @ (BinaryOp::And | BinaryOp::Or),
                left,
                right,
            } => wrap(format!(
                "{} {} {}",
                self.guard_code(index, left, false),
                if *op == BinaryOp::And { "&&" } else { "||" },
                self.guard_code(index, right, false)
            )),
            Expr::Binary { op, left, right } if op.is_comparison() => {
                let (Some(l), Some(r)) = (self.operand(index, left), self.operand(index, right))
                else {
                    return "false".to_owned();
                };
                let op = op.as_str();
                if !l.optional && !r.optional {
                    return wrap(format!("{} {op} {}", l.code, r.code));
                }
                let some = |o: Operand| {
                    if o.optional {
                        o.code
                    } else {
                        format!("::core::option::Option::Some({})", o.code)
                    }
                };
                format!(
                    "::core::matches!(({}, {}), (::core::option::Option::Some(l), ::core::option::Option::Some(r)) if l {op} r)",
                    some(l),
                    some(r)
                )
            }
            Expr::Name { .. } => match self.operand(index, expr) {
                Some(Operand {
                    code,
                    optional: true,
                }) => wrap(format!("{code} == ::core::option::Option::Some(true)")),
                Some(Operand { code, .. }) => code,
                None => "false".to_owned(),
            },
            _ => "false".to_owned(),
        }
    }

    /// A comparison's operand: a literal, or a field of the row read as `f64`, `bool` or `&str`.
    fn operand(&self, index: usize, expr: &Expr) -> Option<Operand> {
        let plain = |code: String| {
            Some(Operand {
                code,
                optional: false,
            })
        };
        match expr {
            Expr::Number { value } => plain(format!("{value:?}_f64")),
            Expr::Unary {
                op: UnaryOp::Neg,
                operand,
            } => match operand.as_ref() {
                Expr::Number { value } => plain(format!("-{value:?}_f64")),
                _ => None,
            },
            Expr::Text { value } => plain(lit(value)),
            Expr::Bool { value } => plain(value.to_string()),
            Expr::Name { name } => {
                let (position, field, value) = self.spec.models[index].guard_field(name)?;
                let rust = match &self.names.models[index].fields[position] {
                    Some(rust) => ident(rust),
                    None => "id".into(),
                };
                let (text, by_ref) = match value {
                    GuardValue::Number | GuardValue::Bool => (false, false),
                    GuardValue::Text | GuardValue::Temporal => (true, false),
                    GuardValue::Ref => (true, true),
                };
                let code = match (text, by_ref, field.optional) {
                    (false, _, _) => format!("self.{rust}"),
                    (true, false, false) => format!("self.{rust}.as_str()"),
                    (true, false, true) => format!("self.{rust}.as_deref()"),
                    (true, true, false) => format!("self.{rust}.as_str()"),
                    (true, true, true) => {
                        format!("self.{rust}.as_ref().map(::sheplang::Ref::as_str)")
                    }
                };
                Some(Operand {
                    code,
                    optional: field.optional,
                })
            }
            _ => None,
        }
    }
}
