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
    // A whole number through the integer formatter: the same text, many times faster.
    if value.fract() == 0.0 && value.abs() < 1e15 {
        whole(value)
    } else {
        format!("{value}")
    }
}

/// A whole number below 1e15 in size as `format!("{n:.0}")` writes it (`-0` for minus zero),
/// through the integer formatter: the float one with a precision is many times slower.
pub(crate) fn whole(n: f64) -> String {
    if n == 0.0 && n.is_sign_negative() {
        return "-0".to_owned();
    }
    // Exact: `n` is whole and well within the range of `i64`.
    #[allow(clippy::cast_possible_truncation, reason = "n is whole and below 1e15")]
    let i = n as i64;
    i.to_string()
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
    // `{model}` may not go from `{from}` to `{to}`: <why>, written into one buffer.
    let mut out = String::with_capacity(
        80 + model.len()
            + 2 * from.len()
            + to.len()
            + allowed.iter().map(|s| s.len() + 4).sum::<usize>(),
    );
    for part in ["`", model, "` may not go from `", from, "` to `", to, "`: "] {
        out.push_str(part);
    }
    match allowed {
        [] => {
            for part in ["`", from, "` is a final state"] {
                out.push_str(part);
            }
        }
        [one] => {
            for part in ["from `", from, "` it may only become `", one, "`"] {
                out.push_str(part);
            }
        }
        [init @ .., last] => {
            for part in ["from `", from, "` it may only become "] {
                out.push_str(part);
            }
            for (i, state) in init.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push('`');
                out.push_str(state);
                out.push('`');
            }
            for part in [" or `", last, "`"] {
                out.push_str(part);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transition_messages_say_what_is_allowed() {
        assert_eq!(
            transition_message("Task", "done", "open", &[]),
            "`Task` may not go from `done` to `open`: `done` is a final state"
        );
        assert_eq!(
            transition_message("Task", "open", "done", &["doing"]),
            "`Task` may not go from `open` to `done`: from `open` it may only become `doing`"
        );
        assert_eq!(
            transition_message("Task", "open", "x", &["a", "b", "c"]),
            "`Task` may not go from `open` to `x`: from `open` it may only become `a`, `b` or `c`"
        );
    }
}
