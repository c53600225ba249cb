//! Field checks: types (built-in, `ref[X]`, model names), the `id` field, duplicate fields and
//! states, constraints that cannot apply, and defaults that do not fit.

use std::collections::HashMap;

use super::{Checker, suggest};
use crate::ast::{self, BaseType, ConstraintKind, Decl, Literal};
use crate::diagnostic::{Code, Diagnostic};
use crate::span::Span;
use crate::types::{self, Builtin, TypeInfo, ValueClass};

pub(super) fn check_models<'s, 'a>(cx: &mut Checker<'_, 's, 'a>, app: &'s ast::App<'a>) {
    for decl in &app.decls {
        if let Decl::Data(data) = decl {
            check_model(cx, data);
        }
    }
}

fn check_model<'s, 'a>(cx: &mut Checker<'_, 's, 'a>, data: &'s ast::Data<'a>) {
    let mut seen: HashMap<&str, Span> = HashMap::new();
    for field in &data.fields {
        if let Some(&first) = seen.get(field.name.name) {
            let d = Diagnostic::error(
                Code::DUPLICATE_FIELD,
                cx.file,
                field.name.span,
                format!(
                    "the field `{}` is declared twice in `{}`",
                    field.name.name, data.name.name
                ),
            )
            .with_label("declared again here")
            .with_secondary(first, "first declared here")
            .with_help("remove one of the two fields or rename it");
            cx.error(d);
        } else {
            seen.insert(field.name.name, field.name.span);
        }
        // A field whose type is unknown has already been reported; its constraints and
        // default cannot be judged against a type that does not exist.
        if check_type(cx, &field.ty) {
            check_id_field(cx, field);
            check_state_field(cx, data, field);
            check_constraints(cx, data, field);
        }
    }
    if let Some(states) = &data.states {
        let mut seen: HashMap<&str, Span> = HashMap::new();
        for state in &states.names {
            if let Some(&first) = seen.get(state.name) {
                let d = Diagnostic::error(
                    Code::DUPLICATE_STATE,
                    cx.file,
                    state.span,
                    format!("the state `{}` appears twice in the lifecycle of `{}`", state.name, data.name.name),
                )
                .with_label("repeated here")
                .with_secondary(first, "first listed here")
                .with_help("a lifecycle lists each state once; loops back to an earlier state are not expressible in `states:`");
                cx.error(d);
            } else {
                seen.insert(state.name, state.span);
            }
        }
    }
}

/// Checks a field or parameter type: bare names must be models, `ref[X]` must name a model.
/// Returns false when it reported the type.
pub(super) fn check_type<'a>(cx: &mut Checker<'_, '_, 'a>, ty: &ast::TypeRef<'a>) -> bool {
    match ty.base {
        BaseType::Named(name) => {
            if cx.symbols.models.contains_key(name.name) {
                return true;
            }
            let alias = Builtin::from_alias(name.name).map(Builtin::name);
            let mut candidates: Vec<&str> = types::names().collect();
            candidates.extend(cx.symbols.model_order.iter().copied());
            let help =
                match alias.or_else(|| suggest::closest(name.name, candidates.iter().copied())) {
                    Some(t) => format!("did you mean `{t}`?"),
                    None => format!(
                        "use a built-in type ({}) or the name of a `data` model",
                        types::names()
                            .map(|t| format!("`{t}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                };
            let d = Diagnostic::error(
                Code::UNKNOWN_TYPE,
                cx.file,
                name.span,
                format!("unknown type `{}`", name.name),
            )
            .with_label("not a built-in type or a data model")
            .with_help(help);
            cx.error(d);
            false
        }
        BaseType::Ref(name) => {
            if cx.symbols.models.contains_key(name.name) {
                return true;
            }
            let mut d = Diagnostic::error(
                Code::REF_NOT_MODEL,
                cx.file,
                name.span,
                format!(
                    "`ref[{}]` refers to `{}`, which is not a data model",
                    name.name, name.name
                ),
            )
            .with_label("no data model of this name");
            if let Some(help) = suggest::help_for(name.name, "data model", &cx.symbols.model_order)
            {
                d = d.with_help(help);
            }
            cx.error(d);
            false
        }
        _ => true,
    }
}

/// A field called `id` is the row's id: it must be a required scalar string.
fn check_id_field(cx: &mut Checker<'_, '_, '_>, field: &ast::Field<'_>) {
    if field.name.name != "id" {
        return;
    }
    let optional = field
        .constraints
        .iter()
        .any(|c| matches!(c.kind, ConstraintKind::Optional));
    let id_capable = |t: &TypeInfo| t.id_capable;
    let scalar_string =
        !field.ty.list && matches!(field.ty.base, BaseType::Builtin(b) if id_capable(b.info()));
    if scalar_string && !optional {
        return;
    }
    let d = Diagnostic::error(
        Code::BAD_ID_FIELD,
        cx.file,
        field.ty.span,
        format!(
            "a field named `id` must be a required `{}` or {}",
            Builtin::Id.name(),
            types::listed(|t| id_capable(t) && t.builtin != Builtin::Id, "or")
        ),
    )
    .with_label("every row's `id` travels as a string in `model_deleted` and in every payload")
    .with_help("write `id: id`, or drop the field: every model gets a string `id` anyway");
    cx.error(d);
}

/// A model with `states:` carries its state in the field `status` (`ir::STATE_FIELD`). A spec
/// may declare it itself, as the plain `text` it is on the wire, with no default or the first
/// state as its default; anything else would contradict the lifecycle.
fn check_state_field(cx: &mut Checker<'_, '_, '_>, data: &ast::Data<'_>, field: &ast::Field<'_>) {
    let Some(states) = &data.states else {
        return;
    };
    if field.name.name != crate::ir::STATE_FIELD {
        return;
    }
    let initial = states.names.first().map_or("", |n| n.name);
    let is_text = !field.ty.list && matches!(field.ty.base, BaseType::Builtin(Builtin::Text));
    let mut wrong = (!is_text).then(|| {
        (
            field.ty.span,
            format!("declared as `{}`", type_name(&field.ty)),
        )
    });
    for c in &field.constraints {
        if wrong.is_some() {
            break;
        }
        wrong = match &c.kind {
            ConstraintKind::Optional => {
                Some((c.span, "`optional`: a row always has a state".to_owned()))
            }
            ConstraintKind::Default(Literal::Name(n)) if n.name == initial => None,
            ConstraintKind::Default(Literal::Str(s)) if s.value == initial => None,
            ConstraintKind::Default(_) => Some((
                c.span,
                format!("a row starts in `{initial}`, the first state"),
            )),
            ConstraintKind::Required => None,
            _ => Some((c.span, "the lifecycle decides its values".to_owned())),
        };
    }
    let Some((span, label)) = wrong else {
        return;
    };
    let d = Diagnostic::error(
        Code::BAD_STATE_FIELD,
        cx.file,
        span,
        format!(
            "the field `{}` of `{}` is its lifecycle state: a `text` that starts as `{initial}`",
            field.name.name, data.name.name
        ),
    )
    .with_label(label)
    .with_help(format!(
        "write `{}: text` (or drop the field: `states:` adds it), or rename the field",
        field.name.name
    ));
    cx.error(d);
}

/// What a field's base type accepts, for constraint and default checks.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Value(ValueClass),
    Reference,
}

fn kind_of(base: &BaseType<'_>) -> Kind {
    match base {
        BaseType::Builtin(b) => Kind::Value(b.info().class),
        BaseType::Ref(_) | BaseType::Named(_) => Kind::Reference,
    }
}

/// The type as the spec spells it (`yes/no`, `ref[User]`, `text[]`): the IR's
/// [`spec_name`](crate::ir::FieldType::spec_name) of the lowered base type.
fn type_name(ty: &ast::TypeRef<'_>) -> String {
    let base = crate::lower::field_type(&ty.base).spec_name();
    if ty.list { format!("{base}[]") } else { base }
}

fn check_constraints(cx: &mut Checker<'_, '_, '_>, data: &ast::Data<'_>, field: &ast::Field<'_>) {
    let kind = kind_of(&field.ty.base);
    let ty = type_name(&field.ty);
    let mut min: Option<(f64, Span)> = None;
    let mut max: Option<(f64, Span)> = None;
    let mut min_len: Option<(f64, Span)> = None;
    let mut max_len: Option<(f64, Span)> = None;
    let mut required: Option<Span> = None;
    let mut optional: Option<Span> = None;
    for c in &field.constraints {
        let not_for = |what: &str, applies_to: &str| {
            Diagnostic::warning(
                Code::CONSTRAINT_TYPE,
                cx.file,
                c.span,
                format!(
                    "`{what}` does not apply to the `{ty}` field `{}`",
                    field.name.name
                ),
            )
            .with_label(format!("ignored for `{ty}`"))
            .with_help(format!("`{what}` applies to {applies_to}"))
        };
        match &c.kind {
            ConstraintKind::Required => required = Some(c.span),
            ConstraintKind::Optional => optional = Some(c.span),
            ConstraintKind::Unique => {}
            ConstraintKind::Min(n) | ConstraintKind::Max(n) => {
                let what = if matches!(c.kind, ConstraintKind::Min(_)) {
                    "min"
                } else {
                    "max"
                };
                if !matches!(kind, Kind::Value(c) if c.is_numeric()) || field.ty.list {
                    let d = not_for(
                        what,
                        &format!(
                            "{} fields; use `minLength`/`maxLength` for text",
                            types::listed(|t| t.class.is_numeric(), "and")
                        ),
                    );
                    cx.error(d);
                } else if what == "min" {
                    min = Some((n.value, c.span));
                } else {
                    max = Some((n.value, c.span));
                }
            }
            ConstraintKind::MinLength(n) | ConstraintKind::MaxLength(n) => {
                let what = if matches!(c.kind, ConstraintKind::MinLength(_)) {
                    "minLength"
                } else {
                    "maxLength"
                };
                if kind != Kind::Value(ValueClass::Text) && !field.ty.list {
                    let d = not_for(
                        what,
                        "text-like fields and lists; use `min`/`max` for numbers",
                    );
                    cx.error(d);
                } else if what == "minLength" {
                    min_len = Some((n.value, c.span));
                } else {
                    max_len = Some((n.value, c.span));
                }
            }
            ConstraintKind::Email(_) | ConstraintKind::Pattern(_) => {
                let what = if matches!(c.kind, ConstraintKind::Email(_)) {
                    "email"
                } else {
                    "pattern"
                };
                if kind != Kind::Value(ValueClass::Text) || field.ty.list {
                    let d = not_for(what, "text-like fields");
                    cx.error(d);
                } else if let ConstraintKind::Pattern(p) = &c.kind
                    && let Err((message, hint)) = super::pattern::portable(p.value)
                {
                    let d = Diagnostic::error(
                        Code::BAD_PATTERN,
                        cx.file,
                        p.span,
                        format!(
                            "the `pattern` of the field `{}`: {message}",
                            field.name.name
                        ),
                    )
                    .with_label("the validators run it in Rust and in JavaScript")
                    .with_help(hint);
                    cx.error(d);
                }
            }
            ConstraintKind::Default(lit) => check_default(cx, data, field, kind, &ty, lit),
        }
    }
    for (lo, hi, names) in [
        (min, max, ("min", "max")),
        (min_len, max_len, ("minLength", "maxLength")),
    ] {
        if let (Some((lo, lo_span)), Some((hi, hi_span))) = (lo, hi)
            && lo > hi
        {
            let d = Diagnostic::warning(
                Code::MIN_GREATER_THAN_MAX,
                cx.file,
                lo_span,
                format!(
                    "`{}` is above `{}` on the field `{}`: no value can satisfy both",
                    names.0, names.1, field.name.name
                ),
            )
            .with_label(format!("{} = {lo}", names.0))
            .with_secondary(hi_span, format!("{} = {hi}", names.1))
            .with_help("swap the two bounds");
            cx.error(d);
        }
    }
    if let (Some(req), Some(opt)) = (required, optional) {
        let d = Diagnostic::warning(
            Code::CONFLICTING_CONSTRAINTS,
            cx.file,
            opt,
            format!(
                "the field `{}` is marked both `required` and `optional`",
                field.name.name
            ),
        )
        .with_label("`optional` wins: the field may be absent")
        .with_secondary(req, "`required` here")
        .with_help("keep one of the two");
        cx.error(d);
    }
}

fn check_default(
    cx: &mut Checker<'_, '_, '_>,
    data: &ast::Data<'_>,
    field: &ast::Field<'_>,
    kind: Kind,
    ty: &str,
    lit: &Literal<'_>,
) {
    let fits = !field.ty.list
        && match (kind, lit) {
            (Kind::Value(ValueClass::Text | ValueClass::Temporal), Literal::Str(_)) => true,
            (Kind::Value(class), Literal::Num(_)) => class.is_numeric(),
            (Kind::Value(ValueClass::Decimal), Literal::Str(s)) => s.value.parse::<f64>().is_ok(),
            (Kind::Value(ValueClass::Bool), Literal::Bool(..)) => true,
            // A bare name fits a text field when it names one of the model's states
            // (`status: text default=pending`), and a temporal field when it is `now`.
            (Kind::Value(ValueClass::Text), Literal::Name(n)) => data
                .states
                .as_ref()
                .is_some_and(|s| s.names.iter().any(|st| st.name == n.name)),
            (Kind::Value(ValueClass::Temporal), Literal::Name(n)) => n.name == "now",
            _ => false,
        };
    if fits {
        return;
    }
    let (found, hint) = match lit {
        Literal::Str(s) => (format!("the text \"{}\"", s.value), None),
        Literal::Num(n) => (format!("the number {}", n.text), None),
        Literal::Bool(b, _) => (format!("`{b}`"), None),
        Literal::Name(n) => (
            format!("the name `{}`", n.name),
            Some(
                "a bare name is only a default for a text field when it is one of the model's states",
            ),
        ),
    };
    let help = match (kind, lit) {
        (_, _) if field.ty.list => "list fields take no default".to_owned(),
        (Kind::Value(ValueClass::Text), Literal::Bool(b, _)) => {
            format!(
                "write it as text: `default=\"{b}\"`, or make the field `{}`",
                Builtin::Bool.name()
            )
        }
        (Kind::Value(ValueClass::Text), Literal::Num(n)) => format!(
            "write it as text: `default=\"{}\"`, or make the field a `{}`",
            n.text,
            Builtin::Number.name()
        ),
        (Kind::Value(ValueClass::Bool), _) => {
            format!("a `{ty}` field defaults to `true` or `false`")
        }
        (Kind::Value(class), _) if class.is_numeric() => {
            "a number field defaults to a number, such as `default=0`".to_owned()
        }
        _ => hint
            .unwrap_or("use a literal of the field's type")
            .to_owned(),
    };
    let d = Diagnostic::warning(
        Code::DEFAULT_TYPE,
        cx.file,
        lit.span(),
        format!(
            "the default of the `{ty}` field `{}` is {found}, which is not a `{ty}`",
            field.name.name
        ),
    )
    .with_label("does not fit the field's type")
    .with_help(help);
    cx.error(d);
}
