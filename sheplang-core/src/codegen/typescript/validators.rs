//! The validators of `types.ts`: each model's constraints as a table (`RULES`, the same
//! entries as the Rust `RULES`) and one function per model over the runtime's `checkRow`
//! (`validate.ts`).

use super::names::{self, Names};
use super::writer::Code;
use crate::codegen::constraints::{Bound, Checks, bound_text};
use crate::ir::{self, FieldType};
use crate::types::Builtin;

/// The import line `types.ts` needs from `validate.ts`.
pub(super) fn import(spec: &ir::Spec) -> &'static str {
    if spec.models.iter().any(|m| m.states.is_some()) {
        "import { checkRow, checkTransition, type FieldRules, type TransitionRefused, type Violation } from './validate.js';"
    } else {
        "import { checkRow, type FieldRules, type Violation } from './validate.js';"
    }
}

pub(super) fn generate(c: &mut Code, spec: &ir::Spec, names: &Names) {
    c.doc("The validators' shapes and error, from the runtime (`validate.ts`).");
    c.line(
        "export type { Bound, FieldRules, Rule, TransitionRefused, Violation } from './validate.js';",
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
                let entries: Vec<String> = model.fields.iter().filter_map(entry).collect();
                let key = names::literal_key(&model.name);
                if entries.is_empty() {
                    c.line(format!("{key}: [],"));
                } else {
                    c.block(format!("{key}: ["), "],", |c| {
                        for entry in entries {
                            c.line(format!("{entry},"));
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
        c.line(format!(
            "export function validate{}(row: {interface}): Violation[] {{",
            suffix(&model.name)
        ));
        c.line(format!(
            "  return checkRow({}, row);",
            names::index("RULES", &model.name)
        ));
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
            c.line(format!(
                "export function check{}Transition(from: {ty}, to: {ty}): TransitionRefused | null {{",
                suffix(&model.name)
            ));
            c.line(format!(
                "  return checkTransition({}, {next}, from, to);",
                names::string(&model.name)
            ));
            c.line("}");
        }
    }
    c.blank();
    c.doc("Every constraint a row of model `model` breaks; empty when none.");
    c.line(
        "export function validate<M extends ModelName>(model: M, row: Models[M]): Violation[] {",
    );
    c.line("  return checkRow(RULES[model], row);");
    c.line("}");
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
    let mut parts = vec![format!("field: {}", names::string(&field.name))];
    if checks.required {
        parts.push("required: true".to_owned());
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
            text.clone()
        } else if value > 0.0 {
            "Infinity".to_owned()
        } else {
            "-Infinity".to_owned()
        };
        parts.push(format!("{key}: [{literal}, {}]", names::string(&text)));
    }
    if checks.email {
        parts.push("email: true".to_owned());
    }
    if let Some(pattern) = checks.pattern {
        parts.push(format!("pattern: {}", names::string(pattern)));
    }
    if field.list {
        parts.push("list: true".to_owned());
    } else if field.ty == FieldType::Builtin(Builtin::Money) {
        parts.push("decimal: true".to_owned());
    }
    Some(format!("{{ {} }}", parts.join(", ")))
}
