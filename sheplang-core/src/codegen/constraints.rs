//! What both generators read of a field's constraints, so that the Rust and the TypeScript
//! validators check the same things with the same bounds and messages.

use crate::ir;
use crate::types::Builtin;

/// The checks of one field that a validator runs, in the spec's words.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Checks<'a> {
    /// `required` (and not `optional`, which wins).
    pub(crate) required: bool,
    /// `(rule, value)` for `minLength`, `maxLength`, `min`, `max`, in this order, when given.
    pub(crate) bounds: Vec<(Bound, f64)>,
    /// `email=true`, or a field of type `email` without `email=false`.
    pub(crate) email: bool,
    pub(crate) pattern: Option<&'a str>,
}

/// A bounding constraint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Bound {
    MinLength,
    MaxLength,
    Min,
    Max,
}

impl<'a> Checks<'a> {
    /// The checks of `field`, or `None` when it has none.
    pub(crate) fn of(field: &'a ir::Field) -> Option<Self> {
        let c = &field.constraints;
        let bounds: Vec<(Bound, f64)> = [
            (Bound::MinLength, c.min_length),
            (Bound::MaxLength, c.max_length),
            (Bound::Min, c.min),
            (Bound::Max, c.max),
        ]
        .into_iter()
        .filter_map(|(bound, value)| value.map(|v| (bound, v)))
        .collect();
        let email = match c.email {
            Some(yes) => yes,
            None => field.ty == ir::FieldType::Builtin(Builtin::Email),
        };
        let checks = Checks {
            required: field.required && !field.optional,
            bounds,
            email,
            pattern: c.pattern.as_deref(),
        };
        let none = !checks.required
            && checks.bounds.is_empty()
            && !checks.email
            && checks.pattern.is_none();
        (!none).then_some(checks)
    }
}

/// How a bound is printed in messages, in both languages: Rust's shortest decimal form
/// (`1000.5`, `-10`), which is also a JavaScript number literal when finite.
pub(crate) fn bound_text(value: f64) -> String {
    format!("{value}")
}

/// Whether a workflow named like the model adds edges to its `states:` arrows (an event's
/// target or `else` state, docs/language.md): the generated docs then name both.
pub(crate) fn has_workflow(lifecycle: &ir::Lifecycle) -> bool {
    !lifecycle.events.is_empty()
}

/// Every change of state the lifecycle refuses, `(from, to, allowed)`: each pair of distinct
/// states with no allowed change (no arrow of `states:`, no edge of its workflow), with the
/// states `from` may become, in the order of the spec.
pub fn refused_transitions(lifecycle: &ir::Lifecycle) -> Vec<(&str, &str, Vec<&str>)> {
    let next = |from: &str| -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for (f, t) in &lifecycle.transitions {
            if f == from && !out.contains(&t.as_str()) {
                out.push(t);
            }
        }
        out
    };
    let mut out = Vec::new();
    for from in &lifecycle.states {
        let allowed = next(from);
        for to in &lifecycle.states {
            if to != from && !allowed.contains(&to.as_str()) {
                out.push((from.as_str(), to.as_str(), allowed.clone()));
            }
        }
    }
    out
}

/// The message of a refused change of state, the same in every checker (the facade's
/// `TransitionRefused`, `validate.ts`'s `checkTransition`, the database triggers).
pub fn transition_message(model: &str, from: &str, to: &str, allowed: &[&str]) -> String {
    let rest = match allowed {
        [] => format!("`{from}` is a final state"),
        [one] => format!("from `{from}` it may only become `{one}`"),
        [init @ .., last] => {
            let init: Vec<String> = init.iter().map(|s| format!("`{s}`")).collect();
            format!(
                "from `{from}` it may only become {} or `{last}`",
                init.join(", ")
            )
        }
    };
    format!("`{model}` may not go from `{from}` to `{to}`: {rest}")
}
