//! Checks beyond syntax, split by concern:
//! - this module: the symbol table, duplicate declarations and channel collisions;
//! - `fields`: field types, `ref[X]`, constraints and defaults;
//! - `refs`: references from views, actions, jobs (models, views, actions, fields);
//! - `workflow`: a workflow named like a model: its states and guards.
//!
//! Every check reports into the shared [`Diagnostics`] and goes on, so one run shows every
//! independent problem.

mod fields;
mod pattern;
mod refs;
mod workflow;
pub use crate::suggest;

use std::collections::{HashMap, HashSet};

use crate::ast::{self, Decl, Ident};
use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::span::FileId;

/// Runs every check over a parsed file.
pub fn check(file: &ast::File<'_>, id: FileId, diags: &mut Diagnostics) {
    let Some(app) = &file.app else { return };
    let mut cx = Checker {
        file: id,
        diags,
        symbols: Symbols::default(),
    };
    cx.collect(app);
    fields::check_models(&mut cx, app);
    refs::check_references(&mut cx, app);
    workflow::check_workflows(&mut cx, app);
}

/// The names a spec declares, by kind, in declaration order (first declaration wins).
#[derive(Default)]
pub(crate) struct Symbols<'s, 'a> {
    pub models: HashMap<&'a str, &'s ast::Data<'a>>,
    pub model_order: Vec<&'a str>,
    pub views: HashSet<&'a str>,
    pub view_order: Vec<&'a str>,
    pub actions: HashSet<&'a str>,
    pub action_order: Vec<&'a str>,
}

pub(crate) struct Checker<'d, 's, 'a> {
    pub file: FileId,
    pub diags: &'d mut Diagnostics,
    pub symbols: Symbols<'s, 'a>,
}

impl<'s, 'a> Checker<'_, 's, 'a> {
    pub fn error(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    /// Builds the symbol table; reports duplicate names per kind and channel collisions.
    fn collect(&mut self, app: &'s ast::App<'a>) {
        let mut seen: HashMap<(&'static str, &'a str), Ident<'a>> = HashMap::new();
        let mut channels: HashMap<String, Ident<'a>> = HashMap::new();
        for decl in &app.decls {
            let (kind, name) = decl_kind_and_name(decl);
            if let Some(first) = seen.get(&(kind, name.name)) {
                let d = Diagnostic::error(
                    Code::DUPLICATE_DECL,
                    self.file,
                    name.span,
                    format!("the {kind} `{}` is declared twice", name.name),
                )
                .with_label(format!("`{}` redeclared here", name.name))
                .with_secondary(first.span, "first declared here")
                .with_help(format!("rename one of them or merge the two {kind}s"));
                self.error(d);
                continue;
            }
            seen.insert((kind, name.name), name);
            match decl {
                Decl::Data(data) => {
                    let channel = name.name.to_lowercase();
                    if let Some(first) = channels.get(&channel) {
                        let d = Diagnostic::error(
                            Code::CHANNEL_COLLISION,
                            self.file,
                            name.span,
                            format!(
                                "the models `{}` and `{}` share the channel `{channel}`",
                                first.name, name.name
                            ),
                        )
                        .with_label(format!("its channel `{channel}` is already taken"))
                        .with_secondary(first.span, format!("`{}` has the channel `{channel}`", first.name))
                        .with_help("channels are lower-cased model names: rename one model so they differ in more than case");
                        self.error(d);
                    } else {
                        channels.insert(channel, name);
                    }
                    self.symbols.models.insert(name.name, data);
                    self.symbols.model_order.push(name.name);
                }
                Decl::View(_) => {
                    self.symbols.views.insert(name.name);
                    self.symbols.view_order.push(name.name);
                }
                Decl::Action(_) => {
                    self.symbols.actions.insert(name.name);
                    self.symbols.action_order.push(name.name);
                }
                Decl::Flow(_) | Decl::Job(_) | Decl::Workflow(_) => {}
            }
        }
    }

    /// Reports `name` if it is not a model. Returns the model when it is.
    pub fn resolve_model(&mut self, name: Ident<'a>, role: &str) -> Option<&'s ast::Data<'a>> {
        let model = self.symbols.models.get(name.name).copied();
        if model.is_none() {
            let d = unresolved(
                self.file,
                Code::UNRESOLVED_DATA,
                name,
                "data model",
                format!("{role} an unknown model"),
                &self.symbols.model_order,
            );
            self.error(d);
        }
        model
    }

    /// Reports `name` if it is not a view.
    pub fn resolve_view(&mut self, name: Ident<'a>) {
        if !self.symbols.views.contains(name.name) {
            let d = unresolved(
                self.file,
                Code::UNRESOLVED_VIEW,
                name,
                "view",
                "`show` names an unknown view".to_owned(),
                &self.symbols.view_order,
            );
            self.error(d);
        }
    }

    /// Reports `name` if it is not an action.
    pub fn resolve_action(&mut self, name: Ident<'a>, role: &str) {
        if !self.symbols.actions.contains(name.name) {
            let d = unresolved(
                self.file,
                Code::UNRESOLVED_ACTION,
                name,
                "action",
                format!("{role} an unknown action"),
                &self.symbols.action_order,
            );
            self.error(d);
        }
    }
}

/// The error for a name that no declaration of kind `what` has, with a suggestion from
/// `declared` (see [`suggest::help_for`]).
fn unresolved(
    file: FileId,
    code: Code,
    name: Ident<'_>,
    what: &str,
    label: String,
    declared: &[&str],
) -> Diagnostic {
    let d = Diagnostic::error(
        code,
        file,
        name.span,
        format!("cannot find {what} `{}`", name.name),
    )
    .with_label(label);
    match suggest::help_for(name.name, what, declared) {
        Some(help) => d.with_help(help),
        None => d,
    }
}

fn decl_kind_and_name<'a>(decl: &Decl<'a>) -> (&'static str, Ident<'a>) {
    match decl {
        Decl::Data(d) => ("data model", d.name),
        Decl::View(v) => ("view", v.name),
        Decl::Action(a) => ("action", a.name),
        Decl::Flow(f) => ("flow", f.name),
        Decl::Job(j) => ("job", j.name),
        Decl::Workflow(w) => ("workflow", w.name),
    }
}
