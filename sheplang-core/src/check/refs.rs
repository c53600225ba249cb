//! Reference checks: `list`, `add`, `update`, `delete` name models; `show` names a view;
//! `button ... ->` and `on error ->` name actions; job triggers name a model and its field.
//! Fields named by `add` and `update ... set` are checked against the model (a warning: the
//! reference compiler accepted them).

use super::{Checker, fields::check_type, suggest};
use crate::ast::{self, Decl, Ident, JobWhen, StmtKind, Trigger, ViewItem};
use crate::diagnostic::{Code, Diagnostic};

pub(super) fn check_references<'s, 'a>(cx: &mut Checker<'_, 's, 'a>, app: &'s ast::App<'a>) {
    for decl in &app.decls {
        match decl {
            Decl::View(view) => {
                for item in &view.items {
                    match item {
                        ViewItem::List(model) => {
                            cx.resolve_model(*model, "`list` shows");
                        }
                        ViewItem::Button { action, .. } => {
                            cx.resolve_action(*action, "the button runs")
                        }
                    }
                }
            }
            Decl::Action(action) => {
                for param in &action.params {
                    if let Some(ty) = &param.ty {
                        // Reported there when unknown; nothing more to check on a parameter.
                        let _known = check_type(cx, ty);
                    }
                }
                check_block(cx, &action.body);
            }
            Decl::Job(job) => {
                if let JobWhen::Trigger(trigger) = &job.when {
                    check_trigger(cx, trigger);
                }
                check_block(cx, &job.body);
            }
            Decl::Data(_) | Decl::Flow(_) | Decl::Workflow(_) => {}
        }
    }
}

fn check_trigger<'a>(cx: &mut Checker<'_, '_, 'a>, trigger: &Trigger<'a>) {
    match trigger {
        Trigger::Lifecycle { model, .. } => {
            cx.resolve_model(*model, "the job is triggered by");
        }
        Trigger::Change { model, field, .. } => {
            let Some(data) = cx.resolve_model(*model, "the job is triggered by") else {
                return;
            };
            let is_field = data.fields.iter().any(|f| f.name.name == field.name);
            let is_lifecycle =
                field.name == "state" || field.name == "states" || field.name == "status";
            if is_field || (is_lifecycle && data.states.is_some()) {
                return;
            }
            let mut d = Diagnostic::error(
                Code::UNKNOWN_TRIGGER_FIELD,
                cx.file,
                field.span,
                format!("the model `{}` has no field `{}`", model.name, field.name),
            )
            .with_label("the job watches a field that does not exist");
            if let Some(help) = field_help(data, field.name) {
                d = d.with_help(help);
            }
            cx.error(d);
        }
    }
}

fn check_block<'a>(cx: &mut Checker<'_, '_, 'a>, body: &[ast::Stmt<'a>]) {
    for stmt in body {
        check_stmt(cx, stmt);
    }
}

fn check_stmt<'a>(cx: &mut Checker<'_, '_, 'a>, stmt: &ast::Stmt<'a>) {
    match &stmt.kind {
        StmtKind::Add { model, values } => {
            if let Some(data) = cx.resolve_model(*model, "`add` creates a row of") {
                for v in values {
                    check_field_name(cx, data, v.name, "add");
                }
            }
        }
        StmtKind::Update { model, set, .. } => {
            if let Some(data) = cx.resolve_model(*model, "`update` changes rows of") {
                for a in set {
                    check_field_name(cx, data, a.target, "update");
                }
            }
        }
        StmtKind::Delete { model, .. } => {
            cx.resolve_model(*model, "`delete` removes rows of");
        }
        StmtKind::Show { view } => cx.resolve_view(*view),
        StmtKind::If {
            branches,
            otherwise,
        } => {
            for (_, body) in branches {
                check_block(cx, body);
            }
            if let Some(body) = otherwise {
                check_block(cx, body);
            }
        }
        StmtKind::ForIn { body, .. } | StmtKind::ForRange { body, .. } => check_block(cx, body),
        StmtKind::Steps { steps, on_error } => {
            for step in steps {
                check_block(cx, &step.body);
            }
            if let Some(action) = on_error {
                cx.resolve_action(*action, "`on error` runs");
            }
        }
        StmtKind::Call { .. } | StmtKind::Load { .. } | StmtKind::Assign(_) | StmtKind::Note(_) => {
        }
    }
}

fn check_field_name(
    cx: &mut Checker<'_, '_, '_>,
    data: &ast::Data<'_>,
    name: Ident<'_>,
    verb: &str,
) {
    if name.name == "id" || data.fields.iter().any(|f| f.name.name == name.name) {
        return;
    }
    let mut d = Diagnostic::warning(
        Code::UNKNOWN_FIELD_VALUE,
        cx.file,
        name.span,
        format!(
            "`{verb}` sets `{}`, which is not a field of `{}`",
            name.name, data.name.name
        ),
    )
    .with_label("no such field");
    if let Some(help) = field_help(data, name.name) {
        d = d.with_help(help);
    }
    cx.error(d);
}

/// The help for `name`, which is not a field of `data`: a close field, or the list of them.
fn field_help(data: &ast::Data<'_>, name: &str) -> Option<String> {
    let names: Vec<&str> = data.fields.iter().map(|f| f.name.name).collect();
    suggest::help_for(name, "field", &names)
}
