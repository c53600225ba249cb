//! Lowering: a checked syntax tree to the owned [`crate::ir`].
//!
//! Runs only after the checks passed, so every reference resolves; it never fails on a file
//! that has an app.

use crate::ast::{self, BaseType, ConstraintKind, Decl, Literal};
use crate::ir;

/// Lowers a file whose checks passed. `None` when the file has no app.
pub fn lower(file: &ast::File<'_>) -> Option<ir::Spec> {
    let app = file.app.as_ref()?;
    let mut spec = ir::Spec {
        app: app.name.name.to_owned(),
        fingerprint: String::new(),
        models: Vec::new(),
        views: Vec::new(),
        actions: Vec::new(),
        flows: Vec::new(),
        jobs: Vec::new(),
        workflows: Vec::new(),
    };
    for decl in &app.decls {
        match decl {
            Decl::Data(d) => spec.models.push(model(d)),
            Decl::View(v) => spec.views.push(ir::View {
                name: v.name.name.to_owned(),
                items: v
                    .items
                    .iter()
                    .map(|item| match item {
                        ast::ViewItem::List(m) => ir::ViewItem::List {
                            model: m.name.to_owned(),
                        },
                        ast::ViewItem::Button { label, action } => ir::ViewItem::Button {
                            label: label.value.to_owned(),
                            action: action.name.to_owned(),
                        },
                    })
                    .collect(),
            }),
            Decl::Action(a) => spec.actions.push(ir::Action {
                name: a.name.name.to_owned(),
                params: a
                    .params
                    .iter()
                    .map(|p| ir::Param {
                        name: p.name.name.to_owned(),
                        ty: p.ty.as_ref().map(|t| ir::ParamType {
                            ty: field_type(&t.base),
                            list: t.list,
                        }),
                    })
                    .collect(),
                body: block(&a.body),
            }),
            Decl::Flow(f) => spec.flows.push(ir::Flow {
                name: f.name.name.to_owned(),
                from: f.from.name.to_owned(),
                trigger: f.trigger.value.to_owned(),
                steps: f.steps.iter().map(|s| s.value.to_owned()).collect(),
            }),
            Decl::Job(j) => spec.jobs.push(ir::Job {
                name: j.name.name.to_owned(),
                when: match &j.when {
                    ast::JobWhen::Schedule(t) => ir::JobWhen::Schedule(timing(t)),
                    ast::JobWhen::Trigger(t) => ir::JobWhen::Trigger(trigger(t)),
                },
                delay: j.delay.map(duration),
                body: block(&j.body),
            }),
            Decl::Workflow(w) => spec.workflows.push(ir::Workflow {
                name: w.name.name.to_owned(),
                states: w
                    .states
                    .iter()
                    .map(|s| ir::WorkflowState {
                        name: s.name.name.to_owned(),
                        events: s
                            .events
                            .iter()
                            .map(|e| ir::WorkflowEvent {
                                name: e.name.name.to_owned(),
                                guard: e.guard.as_ref().map(expr),
                                otherwise: e.otherwise.map(|o| o.name.to_owned()),
                                target: e.target.name.to_owned(),
                            })
                            .collect(),
                    })
                    .collect(),
            }),
        }
    }
    link_workflows(&mut spec);
    spec.fingerprint = fingerprint(&spec);
    Some(spec)
}

/// A workflow named like a model with `states:` governs it: its events become the
/// lifecycle's, and each edge (an event's target or `else` state) that is not an arrow of the
/// chain becomes an allowed transition; the transitions are then ordered as the states are
/// (by `from`, then by `to`). The checker made sure every state it names is one of the
/// chain's.
fn link_workflows(spec: &mut ir::Spec) {
    for model in &mut spec.models {
        let Some(lifecycle) = &mut model.states else {
            continue;
        };
        let Some(workflow) = spec.workflows.iter().find(|w| w.name == model.name) else {
            continue;
        };
        for state in &workflow.states {
            for event in &state.events {
                for to in std::iter::once(&event.target).chain(&event.otherwise) {
                    let pair = (state.name.clone(), to.clone());
                    if state.name != *to && !lifecycle.transitions.contains(&pair) {
                        lifecycle.transitions.push(pair);
                    }
                }
                lifecycle.events.push(ir::StateEvent {
                    from: state.name.clone(),
                    name: event.name.clone(),
                    guard: event.guard.as_ref().map(|expr| ir::Guard {
                        text: expr.spec_text(),
                        expr: expr.clone(),
                    }),
                    otherwise: event.otherwise.clone(),
                    target: event.target.clone(),
                });
            }
        }
        let states = &lifecycle.states;
        let rank = |state: &str| states.iter().position(|s| s == state);
        lifecycle
            .transitions
            .sort_by_key(|(from, to)| (rank(from), rank(to)));
    }
}

fn model(d: &ast::Data<'_>) -> ir::Model {
    let mut fields: Vec<ir::Field> = d.fields.iter().map(field).collect();
    if let Some(initial) = d.states.as_ref().and_then(|s| s.names.first()) {
        state_field(&mut fields, initial.name);
    }
    ir::Model {
        name: d.name.name.to_owned(),
        channel: d.name.name.to_lowercase(),
        id_declared: fields.iter().any(|f| f.name == "id"),
        fields,
        states: d.states.as_ref().map(|s| {
            let states: Vec<String> = s.names.iter().map(|n| n.name.to_owned()).collect();
            let transitions = states
                .windows(2)
                .map(|w| (w[0].clone(), w[1].clone()))
                .collect();
            ir::Lifecycle {
                states,
                transitions,
                events: Vec::new(),
            }
        }),
        rules: d.rules.iter().map(|r| r.value.to_owned()).collect(),
    }
}

/// The lifecycle's state field (`status`): the spec's own declaration, where it wrote one (the
/// checker made sure it is a plain `text`), else a field after the spec's.
fn state_field(fields: &mut Vec<ir::Field>, initial: &str) {
    let default = Some(ir::DefaultValue::Name(initial.to_owned()));
    if let Some(declared) = fields.iter_mut().find(|f| f.name == ir::STATE_FIELD) {
        declared.default = default;
        return;
    }
    fields.push(ir::Field {
        name: ir::STATE_FIELD.to_owned(),
        ty: ir::FieldType::Builtin(crate::types::Builtin::Text),
        list: false,
        optional: false,
        required: false,
        unique: false,
        constraints: ir::Constraints::default(),
        default,
    });
}

fn field(f: &ast::Field<'_>) -> ir::Field {
    let mut out = ir::Field {
        name: f.name.name.to_owned(),
        ty: field_type(&f.ty.base),
        list: f.ty.list,
        optional: false,
        required: false,
        unique: false,
        constraints: ir::Constraints::default(),
        default: None,
    };
    for c in &f.constraints {
        match &c.kind {
            ConstraintKind::Required => out.required = true,
            ConstraintKind::Optional => out.optional = true,
            ConstraintKind::Unique => out.unique = true,
            ConstraintKind::Min(n) => out.constraints.min = Some(n.value),
            ConstraintKind::Max(n) => out.constraints.max = Some(n.value),
            ConstraintKind::MinLength(n) => out.constraints.min_length = Some(n.value),
            ConstraintKind::MaxLength(n) => out.constraints.max_length = Some(n.value),
            ConstraintKind::Email(b) => out.constraints.email = Some(*b),
            ConstraintKind::Pattern(s) => out.constraints.pattern = Some(s.value.to_owned()),
            ConstraintKind::Default(lit) => {
                out.default = Some(match lit {
                    Literal::Str(s) => ir::DefaultValue::Text(s.value.to_owned()),
                    Literal::Num(n) => ir::DefaultValue::Number(n.value),
                    Literal::Bool(b, _) => ir::DefaultValue::Bool(*b),
                    Literal::Name(n) => ir::DefaultValue::Name(n.name.to_owned()),
                })
            }
        }
    }
    // `required optional` is warned about; optional wins, consistently everywhere.
    if out.optional {
        out.required = false;
    }
    out
}

pub(crate) fn field_type(base: &BaseType<'_>) -> ir::FieldType {
    match base {
        BaseType::Builtin(b) => ir::FieldType::Builtin(*b),
        BaseType::Ref(m) => ir::FieldType::Ref {
            model: m.name.to_owned(),
        },
        BaseType::Named(m) => ir::FieldType::Model {
            model: m.name.to_owned(),
        },
    }
}

fn block(stmts: &[ast::Stmt<'_>]) -> Vec<ir::Stmt> {
    stmts.iter().map(stmt).collect()
}

fn stmt(s: &ast::Stmt<'_>) -> ir::Stmt {
    use ast::StmtKind as S;
    match &s.kind {
        S::Add { model, values } => ir::Stmt::Add {
            model: model.name.to_owned(),
            values: values
                .iter()
                .map(|v| ir::FieldValue {
                    field: v.name.name.to_owned(),
                    value: v.value.as_ref().map(expr),
                })
                .collect(),
        },
        S::Show { view } => ir::Stmt::Show {
            view: view.name.to_owned(),
        },
        S::Call {
            method: m,
            path,
            args,
        } => ir::Stmt::Call {
            method: *m,
            path: path.value.to_owned(),
            args: args.iter().map(expr).collect(),
        },
        S::Load {
            method: m,
            path,
            into,
        } => ir::Stmt::Load {
            method: *m,
            path: path.value.to_owned(),
            into: into.name.to_owned(),
        },
        S::Update { model, filter, set } => ir::Stmt::Update {
            model: model.name.to_owned(),
            filter: expr(filter),
            set: set.iter().map(assignment).collect(),
        },
        S::Delete { model, filter } => ir::Stmt::Delete {
            model: model.name.to_owned(),
            filter: expr(filter),
        },
        S::If {
            branches,
            otherwise,
        } => ir::Stmt::If {
            branches: branches
                .iter()
                .map(|(c, b)| ir::Branch {
                    condition: expr(c),
                    body: block(b),
                })
                .collect(),
            otherwise: otherwise.as_deref().map(block),
        },
        S::ForIn { var, iter, body } => ir::Stmt::ForIn {
            var: var.name.to_owned(),
            iter: expr(iter),
            body: block(body),
        },
        S::ForRange {
            var,
            from,
            to,
            body,
        } => ir::Stmt::ForRange {
            var: var.name.to_owned(),
            from: expr(from),
            to: expr(to),
            body: block(body),
        },
        S::Assign(a) => {
            let ir::Assignment { target, value } = assignment(a);
            ir::Stmt::Assign { target, value }
        }
        S::Steps { steps, on_error } => ir::Stmt::Steps {
            steps: steps
                .iter()
                .map(|st| ir::Step {
                    name: st.name.name.to_owned(),
                    body: block(&st.body),
                })
                .collect(),
            on_error: on_error.map(|a| a.name.to_owned()),
        },
        S::Note(text) => ir::Stmt::Note {
            text: text.value.to_owned(),
        },
    }
}

fn assignment(a: &ast::Assignment<'_>) -> ir::Assignment {
    ir::Assignment {
        target: a.target.name.to_owned(),
        value: expr(&a.value),
    }
}

fn expr(e: &ast::Expr<'_>) -> ir::Expr {
    use ast::ExprKind as E;
    match &e.kind {
        E::Num(n) => ir::Expr::Number { value: n.value },
        E::Str(s) => ir::Expr::Text {
            value: s.value.to_owned(),
        },
        E::Bool(b) => ir::Expr::Bool { value: *b },
        E::Name(n) => ir::Expr::Name {
            name: n.name.to_owned(),
        },
        E::Field(object, field) => ir::Expr::Field {
            object: Box::new(expr(object)),
            field: field.name.to_owned(),
        },
        E::Call(f, args) => ir::Expr::Call {
            function: f.name.to_owned(),
            args: args.iter().map(expr).collect(),
        },
        E::Unary(op, operand) => ir::Expr::Unary {
            op: *op,
            operand: Box::new(expr(operand)),
        },
        E::Binary(op, l, r) => ir::Expr::Binary {
            op: *op,
            left: Box::new(expr(l)),
            right: Box::new(expr(r)),
        },
        E::Paren(inner) => expr(inner),
        // Only produced alongside a syntax error, so never lowered; keep lowering total anyway.
        E::Error => ir::Expr::Name {
            name: String::new(),
        },
    }
}

fn duration(d: ast::Duration) -> ir::Duration {
    ir::Duration {
        amount: d.amount,
        unit: d.unit,
    }
}

fn timing(t: &ast::Timing<'_>) -> ir::Schedule {
    match t {
        ast::Timing::Cron(s) => ir::Schedule::Cron {
            expression: s.value.to_owned(),
        },
        ast::Timing::Daily { at } => ir::Schedule::Daily {
            at: at.value.to_owned(),
        },
        ast::Timing::Weekly { day, at } => ir::Schedule::Weekly {
            day: day.as_str().to_owned(),
            at: at.value.to_owned(),
        },
        ast::Timing::Every { every, at } => ir::Schedule::Every {
            every: duration(*every),
            at: at.map(|a| a.value.to_owned()),
        },
    }
}

fn trigger(t: &ast::Trigger<'_>) -> ir::Trigger {
    match t {
        ast::Trigger::Lifecycle { model, event, .. } => ir::Trigger::Lifecycle {
            model: model.name.to_owned(),
            event: *event,
        },
        ast::Trigger::Change { model, field, to } => ir::Trigger::Change {
            model: model.name.to_owned(),
            field: field.name.to_owned(),
            to: to.name.to_owned(),
        },
    }
}

/// FNV-1a (64 bit) over a canonical description of everything on the wire: the app, each
/// model's name, each field's name, type, list-ness and optionality, and the states. Stable
/// across platforms and releases; hex, 16 digits.
fn fingerprint(spec: &ir::Spec) -> String {
    let mut canon = String::new();
    canon.push_str(&spec.app);
    for m in &spec.models {
        canon.push('\n');
        canon.push_str(&m.name);
        for f in &m.fields {
            canon.push('|');
            canon.push_str(&f.name);
            canon.push(':');
            canon.push_str(&f.ty.spec_name());
            if f.list {
                canon.push_str("[]");
            }
            if f.optional {
                canon.push('?');
            }
        }
        if let Some(l) = &m.states {
            canon.push_str("|states:");
            canon.push_str(&l.states.join("->"));
        }
    }
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in canon.bytes() {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{hash:016x}")
}
