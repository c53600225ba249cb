//! What a spec declares and where each name is used: built from the syntax tree, so it works on
//! a spec with errors as far as the parser recovered.

use std::collections::HashMap;

use sheplang_core::Span;
use sheplang_core::ast::{self, BaseType, Decl, Expr, ExprKind, Stmt, StmtKind};

/// What a name names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Model,
    View,
    Action,
    Flow,
    Job,
    Workflow,
    /// A field, keyed `Model.field`.
    Field,
}

impl Kind {
    pub fn word(self) -> &'static str {
        match self {
            Kind::Model => "data",
            Kind::View => "view",
            Kind::Action => "action",
            Kind::Flow => "flow",
            Kind::Job => "job",
            Kind::Workflow => "workflow",
            Kind::Field => "field",
        }
    }
}

/// What an identifier is, for semantic highlighting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A model, its declaration or a use.
    Model,
    View,
    Action,
    /// A flow, job or workflow name.
    Other,
    Field,
    Parameter,
    Variable,
    /// A state of a `states:` chain or a workflow.
    State,
    /// A built-in type word.
    Type,
}

/// A declaration.
#[derive(Debug, Clone)]
pub struct Def {
    pub kind: Kind,
    /// The name (`Task`; `Task.title` for a field).
    pub key: String,
    /// The name's span.
    pub span: Span,
    /// The whole declaration.
    pub full: Span,
    pub children: Vec<Def>,
}

/// A use of a name.
#[derive(Debug, Clone)]
pub struct Ref {
    pub kind: Kind,
    pub key: String,
    pub span: Span,
}

/// One field, for hover.
#[derive(Debug, Clone)]
pub struct FieldInfo {
    pub model: String,
    pub name: String,
    /// The field name's span.
    pub span: Span,
    /// The type as written (`ref[User]`, `text[]`).
    pub ty: String,
    pub ty_span: Span,
    /// The constraints as written, in order.
    pub constraints: Vec<String>,
}

#[derive(Debug, Default)]
pub struct Index {
    pub defs: Vec<Def>,
    pub refs: Vec<Ref>,
    pub fields: Vec<FieldInfo>,
    /// The role of each identifier the tree knows, by its start offset.
    pub roles: HashMap<u32, Role>,
}

impl Index {
    pub fn build(text: &str, file: &ast::File<'_>) -> Index {
        let mut ix = Index::default();
        let Some(app) = &file.app else {
            return ix;
        };
        let views: Vec<&str> = app
            .decls
            .iter()
            .filter_map(|d| match d {
                Decl::View(v) => Some(v.name.name),
                _ => None,
            })
            .collect();
        for decl in &app.decls {
            ix.decl(text, decl, &views);
        }
        ix
    }

    /// The definition of `kind` named `key`.
    pub fn def(&self, kind: Kind, key: &str) -> Option<&Def> {
        self.defs
            .iter()
            .flat_map(|d| std::iter::once(d).chain(&d.children))
            .find(|d| d.kind == kind && d.key == key)
    }

    /// The name (declared or used) under a byte offset.
    pub fn at(&self, offset: u32) -> Option<(Kind, &str, Span)> {
        let hit = |s: Span| s.start <= offset && offset <= s.end;
        if let Some(r) = self.refs.iter().find(|r| hit(r.span)) {
            return Some((r.kind, &r.key, r.span));
        }
        self.defs
            .iter()
            .flat_map(|d| std::iter::once(d).chain(&d.children))
            .find(|d| hit(d.span))
            .map(|d| (d.kind, d.key.as_str(), d.span))
    }

    fn role(&mut self, span: Span, role: Role) {
        self.roles.insert(span.start, role);
    }

    fn use_name(&mut self, kind: Kind, name: &ast::Ident<'_>) {
        let role = match kind {
            Kind::Model => Role::Model,
            Kind::View => Role::View,
            Kind::Action => Role::Action,
            Kind::Field => Role::Field,
            Kind::Flow | Kind::Job | Kind::Workflow => Role::Other,
        };
        self.role(name.span, role);
        self.refs.push(Ref {
            kind,
            key: name.name.to_owned(),
            span: name.span,
        });
    }

    fn use_field(&mut self, model: &str, name: &ast::Ident<'_>) {
        self.role(name.span, Role::Field);
        self.refs.push(Ref {
            kind: Kind::Field,
            key: format!("{model}.{}", name.name),
            span: name.span,
        });
    }

    fn type_ref(&mut self, ty: &ast::TypeRef<'_>) {
        match &ty.base {
            BaseType::Ref(m) | BaseType::Named(m) => self.use_name(Kind::Model, m),
            _ => {
                self.role(ty.span, Role::Type);
            }
        }
    }

    fn decl(&mut self, text: &str, decl: &Decl<'_>, views: &[&str]) {
        let (kind, name, full) = match decl {
            Decl::Data(d) => (Kind::Model, d.name, d.span),
            Decl::View(v) => (Kind::View, v.name, v.span),
            Decl::Action(a) => (Kind::Action, a.name, a.span),
            Decl::Flow(f) => (Kind::Flow, f.name, f.span),
            Decl::Job(j) => (Kind::Job, j.name, j.span),
            Decl::Workflow(w) => (Kind::Workflow, w.name, w.span),
        };
        let role = match kind {
            Kind::Model => Role::Model,
            Kind::View => Role::View,
            Kind::Action => Role::Action,
            _ => Role::Other,
        };
        self.role(name.span, role);
        let mut children = Vec::new();
        match decl {
            Decl::Data(d) => {
                for f in &d.fields {
                    self.role(f.name.span, Role::Field);
                    self.type_ref(&f.ty);
                    children.push(Def {
                        kind: Kind::Field,
                        key: format!("{}.{}", d.name.name, f.name.name),
                        span: f.name.span,
                        full: f.span,
                        children: Vec::new(),
                    });
                    self.fields.push(FieldInfo {
                        model: d.name.name.to_owned(),
                        name: f.name.name.to_owned(),
                        span: f.name.span,
                        ty: slice(text, f.ty.span).to_owned(),
                        ty_span: f.ty.span,
                        constraints: f
                            .constraints
                            .iter()
                            .map(|c| slice(text, c.span).to_owned())
                            .collect(),
                    });
                }
                if let Some(states) = &d.states {
                    for s in &states.names {
                        self.role(s.span, Role::State);
                    }
                }
            }
            Decl::View(v) => {
                for item in &v.items {
                    match item {
                        ast::ViewItem::List(m) => self.use_name(Kind::Model, m),
                        ast::ViewItem::Button { action, .. } => self.use_name(Kind::Action, action),
                    }
                }
            }
            Decl::Action(a) => {
                for p in &a.params {
                    self.role(p.name.span, Role::Parameter);
                    if let Some(ty) = &p.ty {
                        self.type_ref(ty);
                    }
                }
                self.stmts(&a.body);
            }
            Decl::Flow(f) => {
                let kind = if views.contains(&f.from.name) {
                    Kind::View
                } else {
                    Kind::Model
                };
                self.use_name(kind, &f.from);
            }
            Decl::Job(j) => {
                if let ast::JobWhen::Trigger(t) = &j.when {
                    match t {
                        ast::Trigger::Lifecycle { model, .. } => self.use_name(Kind::Model, model),
                        ast::Trigger::Change { model, field, to } => {
                            self.use_name(Kind::Model, model);
                            self.use_field(model.name, field);
                            self.role(to.span, Role::State);
                        }
                    }
                }
                self.stmts(&j.body);
            }
            Decl::Workflow(w) => {
                for s in &w.states {
                    self.role(s.name.span, Role::State);
                    for e in &s.events {
                        self.role(e.target.span, Role::State);
                        if let Some(o) = &e.otherwise {
                            self.role(o.span, Role::State);
                        }
                        if let Some(g) = &e.guard {
                            self.expr(g);
                        }
                    }
                }
            }
        }
        self.defs.push(Def {
            kind,
            key: name.name.to_owned(),
            span: name.span,
            full,
            children,
        });
    }

    fn stmts(&mut self, stmts: &[Stmt<'_>]) {
        for s in stmts {
            self.stmt(s);
        }
    }

    fn stmt(&mut self, s: &Stmt<'_>) {
        match &s.kind {
            StmtKind::Add { model, values } => {
                self.use_name(Kind::Model, model);
                for v in values {
                    self.use_field(model.name, &v.name);
                    if let Some(e) = &v.value {
                        self.expr(e);
                    }
                }
            }
            StmtKind::Show { view } => self.use_name(Kind::View, view),
            StmtKind::Call { args, .. } => {
                for a in args {
                    self.expr(a);
                }
            }
            StmtKind::Load { into, .. } => self.role(into.span, Role::Variable),
            StmtKind::Update { model, filter, set } => {
                self.use_name(Kind::Model, model);
                self.expr(filter);
                for a in set {
                    self.use_field(model.name, &a.target);
                    self.expr(&a.value);
                }
            }
            StmtKind::Delete { model, filter } => {
                self.use_name(Kind::Model, model);
                self.expr(filter);
            }
            StmtKind::If {
                branches,
                otherwise,
            } => {
                for (c, body) in branches {
                    self.expr(c);
                    self.stmts(body);
                }
                if let Some(body) = otherwise {
                    self.stmts(body);
                }
            }
            StmtKind::ForIn { var, iter, body } => {
                self.role(var.span, Role::Variable);
                self.expr(iter);
                self.stmts(body);
            }
            StmtKind::ForRange {
                var,
                from,
                to,
                body,
            } => {
                self.role(var.span, Role::Variable);
                self.expr(from);
                self.expr(to);
                self.stmts(body);
            }
            StmtKind::Assign(a) => {
                self.role(a.target.span, Role::Variable);
                self.expr(&a.value);
            }
            StmtKind::Steps { steps, on_error } => {
                for step in steps {
                    self.stmts(&step.body);
                }
                if let Some(action) = on_error {
                    self.use_name(Kind::Action, action);
                }
            }
            StmtKind::Note(_) => {}
        }
    }

    fn expr(&mut self, e: &Expr<'_>) {
        match &e.kind {
            ExprKind::Name(n) => self.role(n.span, Role::Variable),
            ExprKind::Field(inner, f) => {
                self.expr(inner);
                self.role(f.span, Role::Field);
            }
            ExprKind::Call(_, args) => {
                for a in args {
                    self.expr(a);
                }
            }
            ExprKind::Unary(_, inner) | ExprKind::Paren(inner) => self.expr(inner),
            ExprKind::Binary(_, a, b) => {
                self.expr(a);
                self.expr(b);
            }
            ExprKind::Num(_) | ExprKind::Str(_) | ExprKind::Bool(_) | ExprKind::Error => {}
        }
    }
}

fn slice(text: &str, span: Span) -> &str {
    text.get(span.range()).unwrap_or("")
}
