//! The project corpus (`corpus/`, see its README) is complete, and says what it means.
//!
//! - Every reject spec fails with exactly the first error its header expects (code and line);
//!   every accept spec compiles with exactly the warnings its header lists.
//! - The compiled IR of the accept specs, walked, holds every kind of declaration, type,
//!   constraint, default, statement, expression, operator, schedule, trigger and delay unit,
//!   in the brace style and in the indentation style; the matches below are exhaustive, so a
//!   new IR variant does not compile here until the corpus covers it.
//! - Every keyword is used as a name, and comments appear, in each style.
//! - Every code of [`Code::ALL`] is expected by some spec.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::{Expect, Spec};
use sheplang_core::ast::Style;
use sheplang_core::diagnostic::Diagnostics;
use sheplang_core::ir::{
    self, BinaryOp, DefaultValue, Expr, FieldType, JobWhen, LifecycleEvent, Method, Schedule, Stmt,
    TimeUnit, Trigger, UnaryOp, ViewItem,
};
use sheplang_core::lexer::{self, TokenKind};
use sheplang_core::{Code, Diagnostic, SourceMap, compile, parse, render_all};

/// Codes no file can carry, and why. Everything else in [`Code::ALL`] must be expected by a
/// corpus spec.
const EXEMPT: &[(&str, &str)] = &[(
    "E0006",
    "an input over 4 GiB cannot be a file in a repository; the lexer's unit test \
     `too_large_is_reported_not_panicked` covers it",
)];

/// Every word the grammar gives a meaning somewhere. The dialect lets each be a plain name
/// wherever a name is expected; the corpus uses each as one in both styles.
const KEYWORDS: &[&str] = &[
    "app",
    "data",
    "view",
    "action",
    "flow",
    "job",
    "workflow",
    "fields",
    "states",
    "rules",
    "list",
    "button",
    "add",
    "show",
    "call",
    "load",
    "update",
    "delete",
    "if",
    "else",
    "for",
    "in",
    "from",
    "to",
    "step",
    "on",
    "error",
    "with",
    "where",
    "set",
    "into",
    "text",
    "number",
    "id",
    "date",
    "datetime",
    "email",
    "money",
    "image",
    "richtext",
    "file",
    "ref",
    "required",
    "unique",
    "optional",
    "min",
    "max",
    "minLength",
    "maxLength",
    "pattern",
    "default",
    "schedule",
    "trigger",
    "delay",
    "cron",
    "daily",
    "weekly",
    "every",
    "at",
    "event",
    "and",
    "or",
    "not",
];

fn style_name(style: Style) -> &'static str {
    match style {
        Style::Braces => "brace",
        Style::Indentation => "indentation",
    }
}

fn code_of(d: &Diagnostic, sources: &SourceMap) -> Expect {
    let file = sources.get(d.file);
    Expect {
        code: d.code.0.to_owned(),
        line: file.line_col(d.span.start).0,
    }
}

/// Compiles a spec: its style, and its IR and warnings or its diagnostics.
fn run(
    spec: &Spec,
) -> (
    SourceMap,
    Style,
    Result<sheplang_core::Compiled, Vec<Diagnostic>>,
) {
    let mut sources = SourceMap::new();
    let file = sources.add(&spec.name, &spec.text);
    let style = parse(&sources, file).0.style;
    let result = compile(&sources, file);
    (sources, style, result)
}

#[test]
fn reject_specs_fail_with_their_expected_first_error() {
    let mut failures = Vec::new();
    for spec in common::project_specs("reject") {
        let expected = spec.expectations();
        let [expected] = expected.as_slice() else {
            failures.push(format!(
                "{}: a reject spec states exactly one `// expect:` line, found {}",
                spec.name,
                expected.len()
            ));
            continue;
        };
        let (sources, _, result) = run(&spec);
        let Err(diags) = result else {
            failures.push(format!("{}: compiles, but must fail", spec.name));
            continue;
        };
        let first = diags
            .iter()
            .find(|d| d.is_error())
            .expect("a failed compile has an error");
        let got = code_of(first, &sources);
        if got != *expected {
            failures.push(format!(
                "{}: expected {} at line {}, the first error is {} at line {}:\n{}",
                spec.name,
                expected.code,
                expected.line,
                got.code,
                got.line,
                render_all(&diags, &sources)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn accept_specs_compile_with_exactly_their_expected_warnings() {
    let mut failures = Vec::new();
    for spec in common::project_specs("accept") {
        let mut expected = spec.expectations();
        let (sources, _, result) = run(&spec);
        match result {
            Err(diags) => failures.push(format!(
                "{}: does not compile:\n{}",
                spec.name,
                render_all(&diags, &sources)
            )),
            Ok(out) => {
                let mut got: Vec<Expect> =
                    out.warnings.iter().map(|d| code_of(d, &sources)).collect();
                got.sort();
                expected.sort();
                if got != expected {
                    failures.push(format!(
                        "{}: expected the warnings {expected:?}, got {got:?}:\n{}",
                        spec.name,
                        render_all(&out.warnings, &sources)
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_code_is_expected_by_some_spec() {
    let mut expected = BTreeSet::new();
    for spec in common::project_specs("accept")
        .into_iter()
        .chain(common::project_specs("reject"))
    {
        expected.extend(spec.expectations().into_iter().map(|e| e.code));
    }
    let all: BTreeSet<&str> = Code::ALL.iter().map(|(code, _)| code.0).collect();
    for (code, why) in EXEMPT {
        assert!(
            all.contains(code),
            "the exempt code {code} no longer exists"
        );
        assert!(
            !expected.contains(*code),
            "{code} is exempt ({why}) but a spec expects it: drop the exemption"
        );
    }
    let missing: Vec<String> = Code::ALL
        .iter()
        .filter(|(code, _)| !expected.contains(code.0) && EXEMPT.iter().all(|(c, _)| *c != code.0))
        .map(|(code, what)| format!("{code} ({what})"))
        .collect();
    assert!(
        missing.is_empty(),
        "no corpus spec expects these codes; add a spec to corpus/ for each:\n{}",
        missing.join("\n")
    );
    let unknown: Vec<&String> = expected
        .iter()
        .filter(|c| !all.contains(c.as_str()))
        .collect();
    assert!(
        unknown.is_empty(),
        "specs expect codes that do not exist: {unknown:?}"
    );
}

/// What the walk found, by style.
#[derive(Default)]
struct Seen {
    features: BTreeSet<String>,
    names: BTreeSet<String>,
}

impl Seen {
    fn add(&mut self, feature: impl Into<String>) {
        self.features.insert(feature.into());
    }

    fn name(&mut self, name: &str) {
        self.names.insert(name.to_owned());
    }

    fn field_type(&mut self, ty: &FieldType, list: bool, place: &str) {
        let kind = match ty {
            FieldType::Builtin(b) => b.name(),
            FieldType::Ref { .. } => "ref[X]",
            FieldType::Model { .. } => "a model name",
        };
        self.add(format!("{place} type {kind}"));
        if list {
            let base = match ty {
                FieldType::Ref { .. } => "ref[X]",
                FieldType::Model { .. } => "a model name",
                FieldType::Builtin(_) => "a built-in",
            };
            self.add(format!("{place} type list of {base}"));
        }
    }

    fn model(&mut self, model: &ir::Model) {
        self.add("declaration data");
        self.name(&model.name);
        if model.id_declared {
            self.add("a declared `id` field");
        }
        if let Some(states) = &model.states {
            self.add("states:");
            for s in &states.states {
                self.name(s);
            }
        }
        if !model.rules.is_empty() {
            self.add("rules:");
        }
        for field in &model.fields {
            self.name(&field.name);
            self.field_type(&field.ty, field.list, "field");
            if field.required {
                self.add("constraint required");
            }
            if field.unique {
                self.add("constraint unique");
            }
            if field.optional {
                self.add("constraint optional");
            }
            let c = &field.constraints;
            for (set, name) in [
                (c.min.is_some(), "min"),
                (c.max.is_some(), "max"),
                (c.min_length.is_some(), "minLength"),
                (c.max_length.is_some(), "maxLength"),
                (c.email == Some(true), "email=true"),
                (c.email == Some(false), "email=false"),
                (c.pattern.is_some(), "pattern"),
                (c.min.is_some_and(|n| n < 0.0), "a negative min"),
            ] {
                if set {
                    self.add(format!("constraint {name}"));
                }
            }
            if let Some(default) = &field.default {
                let kind = match default {
                    DefaultValue::Text(_) => "text",
                    DefaultValue::Number(n) if *n < 0.0 => "a negative number",
                    DefaultValue::Number(n) if n.fract() != 0.0 => "a decimal number",
                    DefaultValue::Number(_) => "a whole number",
                    DefaultValue::Bool(true) => "true",
                    DefaultValue::Bool(false) => "false",
                    DefaultValue::Name(_) => "a name",
                };
                self.add(format!("default {kind}"));
            }
        }
    }

    fn block(&mut self, body: &[Stmt]) {
        for stmt in body {
            self.stmt(stmt);
        }
    }

    fn method(&mut self, method: Method) {
        let name = match method {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        };
        self.add(format!("method {name}"));
    }

    fn stmt(&mut self, stmt: &Stmt) {
        match stmt {
            Stmt::Add { values, .. } => {
                self.add("statement add");
                for v in values {
                    self.name(&v.field);
                    match &v.value {
                        Some(e) => {
                            self.add("statement add, a value");
                            self.expr(e);
                        }
                        None => self.add("statement add, a shorthand value"),
                    }
                }
            }
            Stmt::Show { .. } => self.add("statement show"),
            Stmt::Call { method, args, .. } => {
                self.method(*method);
                self.add(if args.is_empty() {
                    "statement call"
                } else {
                    "statement call with"
                });
                args.iter().for_each(|e| self.expr(e));
            }
            Stmt::Load { method, into, .. } => {
                self.method(*method);
                self.add("statement load");
                self.name(into);
            }
            Stmt::Update { filter, set, .. } => {
                self.add("statement update");
                self.expr(filter);
                for a in set {
                    self.name(&a.target);
                    self.expr(&a.value);
                }
                if set.len() > 1 {
                    self.add("statement update, several values");
                }
            }
            Stmt::Delete { filter, .. } => {
                self.add("statement delete");
                self.expr(filter);
            }
            Stmt::If {
                branches,
                otherwise,
            } => {
                self.add("statement if");
                if branches.len() > 1 {
                    self.add("statement if, else if");
                }
                for b in branches {
                    self.expr(&b.condition);
                    self.block(&b.body);
                }
                if let Some(body) = otherwise {
                    self.add("statement if, else");
                    self.block(body);
                }
            }
            Stmt::ForIn { var, iter, body } => {
                self.add("statement for in");
                self.name(var);
                self.expr(iter);
                self.block(body);
            }
            Stmt::ForRange {
                var,
                from,
                to,
                body,
            } => {
                self.add("statement for from to");
                self.name(var);
                self.expr(from);
                self.expr(to);
                self.block(body);
            }
            Stmt::Assign { target, value } => {
                self.add("statement assignment");
                self.name(target);
                self.expr(value);
            }
            Stmt::Steps { steps, on_error } => {
                self.add("statement step");
                if steps.len() > 1 {
                    self.add("statement step -> step");
                }
                self.add(match on_error {
                    Some(_) => "statement step, on error",
                    None => "statement step, no on error",
                });
                for s in steps {
                    self.name(&s.name);
                    self.block(&s.body);
                }
            }
            Stmt::Note { .. } => self.add("statement note"),
        }
    }

    fn expr(&mut self, expr: &Expr) {
        match expr {
            Expr::Number { value } => self.add(if value.fract() == 0.0 {
                "expression whole number"
            } else {
                "expression decimal number"
            }),
            Expr::Text { .. } => self.add("expression text"),
            Expr::Bool { value } => self.add(format!("expression {value}")),
            Expr::Name { name } => {
                self.add("expression name");
                self.name(name);
            }
            Expr::Field { object, .. } => {
                self.add("expression field access");
                self.expr(object);
            }
            Expr::Call { args, .. } => {
                self.add("expression call");
                if args.len() > 1 {
                    self.add("expression call, several arguments");
                }
                args.iter().for_each(|e| self.expr(e));
            }
            Expr::Unary { op, operand } => {
                let op = match op {
                    UnaryOp::Not => "not",
                    UnaryOp::Neg => "-",
                };
                self.add(format!("unary {op}"));
                self.expr(operand);
            }
            Expr::Binary { op, left, right } => {
                let op = match op {
                    BinaryOp::Or => "or",
                    BinaryOp::And => "and",
                    BinaryOp::Eq => "==",
                    BinaryOp::Ne => "!=",
                    BinaryOp::Lt => "<",
                    BinaryOp::Le => "<=",
                    BinaryOp::Gt => ">",
                    BinaryOp::Ge => ">=",
                    BinaryOp::Add => "+",
                    BinaryOp::Sub => "-",
                    BinaryOp::Mul => "*",
                    BinaryOp::Div => "/",
                    BinaryOp::Rem => "%",
                };
                self.add(format!("binary {op}"));
                self.expr(left);
                self.expr(right);
            }
        }
    }

    fn unit(&mut self, unit: TimeUnit) {
        let name = match unit {
            TimeUnit::Minutes => "minutes",
            TimeUnit::Hours => "hours",
            TimeUnit::Days => "days",
            TimeUnit::Weeks => "weeks",
            TimeUnit::Months => "months",
        };
        self.add(format!("unit {name}"));
    }

    fn job(&mut self, job: &ir::Job) {
        self.add("declaration job");
        self.name(&job.name);
        match &job.when {
            JobWhen::Schedule(schedule) => match schedule {
                Schedule::Cron { .. } => self.add("schedule cron"),
                Schedule::Daily { .. } => self.add("schedule daily at"),
                Schedule::Weekly { .. } => self.add("schedule weekly on at"),
                Schedule::Every { every, at } => {
                    self.unit(every.unit);
                    self.add(match at {
                        Some(_) => "schedule every at",
                        None => "schedule every",
                    });
                }
            },
            JobWhen::Trigger(trigger) => match trigger {
                Trigger::Lifecycle { event, .. } => {
                    let event = match event {
                        LifecycleEvent::Created => "created",
                        LifecycleEvent::Updated => "updated",
                        LifecycleEvent::Deleted => "deleted",
                    };
                    self.add(format!("trigger on Model.{event}"));
                }
                Trigger::Change { to, .. } => {
                    self.add("trigger on Model.field -> value");
                    self.name(to);
                }
            },
        }
        if let Some(delay) = &job.delay {
            self.add("delay");
            self.unit(delay.unit);
        }
        self.block(&job.body);
    }

    fn spec(&mut self, spec: &ir::Spec) {
        spec.models.iter().for_each(|m| self.model(m));
        for view in &spec.views {
            self.add("declaration view");
            self.name(&view.name);
            for item in &view.items {
                self.add(match item {
                    ViewItem::List { .. } => "view list",
                    ViewItem::Button { .. } => "view button",
                });
            }
        }
        for action in &spec.actions {
            self.add("declaration action");
            self.name(&action.name);
            if action.params.is_empty() {
                self.add("action without parameters");
            }
            for p in &action.params {
                self.name(&p.name);
                match &p.ty {
                    Some(t) => self.field_type(&t.ty, t.list, "parameter"),
                    None => self.add("parameter without a type"),
                }
            }
            self.block(&action.body);
        }
        for flow in &spec.flows {
            self.add("declaration flow");
            self.name(&flow.name);
            self.add(if flow.steps.is_empty() {
                "flow without steps"
            } else {
                "flow with steps"
            });
        }
        spec.jobs.iter().for_each(|j| self.job(j));
        for workflow in &spec.workflows {
            self.add("declaration workflow");
            self.name(&workflow.name);
            for state in &workflow.states {
                self.name(&state.name);
                if state.events.is_empty() {
                    self.add("workflow state without events");
                }
                for event in &state.events {
                    self.name(&event.name);
                    self.name(&event.target);
                    if let Some(guard) = &event.guard {
                        self.expr(guard);
                    }
                    self.add(match (&event.guard, &event.otherwise) {
                        (None, _) => "workflow event",
                        (Some(_), None) => "workflow event: if guard",
                        (Some(_), Some(_)) => "workflow event: if guard else state",
                    });
                    if let Some(s) = &event.otherwise {
                        self.name(s);
                    }
                }
            }
        }
    }

    /// What only the text shows: comments (the gaps between tokens) and the token forms.
    fn tokens(&mut self, text: &str) {
        let mut diags = Diagnostics::new();
        let mut sources = SourceMap::new();
        let file = sources.add("spec.shep", text);
        let tokens = lexer::tokenize(text, file, &mut diags);
        let mut end = 0;
        for t in &tokens {
            let gap = text.get(end..t.span.start as usize).unwrap_or("");
            if gap.contains("/*") {
                self.add("block comment");
            }
            // The header's `// expect:` lines do not count as a use of line comments.
            if gap.lines().any(|l| {
                let l = l.trim_start();
                l.starts_with("//") && !l.starts_with("// expect:")
            }) {
                self.add("line comment");
            }
            end = (t.span.end as usize).max(end);
            match t.kind {
                TokenKind::Str if t.text(text).starts_with('\'') => self.add("string '...'"),
                TokenKind::Str => self.add("string \"...\""),
                TokenKind::EqEq => self.add("token =="),
                _ => {}
            }
        }
    }
}

/// Every feature of the dialect that the IR or the text shows. The walk above adds exactly
/// these strings; the test fails on a string it adds that is not listed (a typo here or
/// there) as well as on a listed one it never adds.
fn required_features() -> BTreeSet<String> {
    let mut all: Vec<String> = [
        "declaration data",
        "declaration view",
        "declaration action",
        "declaration flow",
        "declaration job",
        "declaration workflow",
        "a declared `id` field",
        "states:",
        "rules:",
        "constraint required",
        "constraint unique",
        "constraint optional",
        "constraint min",
        "constraint max",
        "constraint minLength",
        "constraint maxLength",
        "constraint email=true",
        "constraint email=false",
        "constraint pattern",
        "constraint a negative min",
        "default text",
        "default a negative number",
        "default a decimal number",
        "default a whole number",
        "default true",
        "default false",
        "default a name",
        "view list",
        "view button",
        "action without parameters",
        "parameter without a type",
        "statement add",
        "statement add, a value",
        "statement add, a shorthand value",
        "statement show",
        "statement call",
        "statement call with",
        "statement load",
        "statement update",
        "statement update, several values",
        "statement delete",
        "statement if",
        "statement if, else if",
        "statement if, else",
        "statement for in",
        "statement for from to",
        "statement assignment",
        "statement step",
        "statement step -> step",
        "statement step, on error",
        "statement step, no on error",
        "statement note",
        "method GET",
        "method POST",
        "method PUT",
        "method PATCH",
        "method DELETE",
        "expression whole number",
        "expression decimal number",
        "expression text",
        "expression true",
        "expression false",
        "expression name",
        "expression field access",
        "expression call",
        "expression call, several arguments",
        "unary not",
        "unary -",
        "flow with steps",
        "flow without steps",
        "schedule cron",
        "schedule daily at",
        "schedule weekly on at",
        "schedule every",
        "schedule every at",
        "trigger on Model.created",
        "trigger on Model.updated",
        "trigger on Model.deleted",
        "trigger on Model.field -> value",
        "delay",
        "unit minutes",
        "unit hours",
        "unit days",
        "unit weeks",
        "unit months",
        "workflow event",
        "workflow event: if guard",
        "workflow event: if guard else state",
        "workflow state without events",
        "block comment",
        "line comment",
        "string '...'",
        "string \"...\"",
        "token ==",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    for op in [
        "or", "and", "==", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/", "%",
    ] {
        all.push(format!("binary {op}"));
    }
    for place in ["field", "parameter"] {
        // Every built-in of the type table, so a type added there needs a corpus spec.
        let builtins = sheplang_core::types::TYPES.iter().map(|t| t.builtin.name());
        for kind in builtins.chain(["ref[X]", "a model name"]) {
            all.push(format!("{place} type {kind}"));
        }
    }
    for base in ["a built-in", "ref[X]", "a model name"] {
        all.push(format!("field type list of {base}"));
    }
    all.push("parameter type list of a built-in".to_owned());
    all.into_iter().collect()
}

#[test]
fn accept_specs_cover_the_dialect_in_both_styles() {
    let mut seen: BTreeMap<&'static str, Seen> = BTreeMap::new();
    for spec in common::project_specs("accept") {
        let (sources, style, result) = run(&spec);
        let compiled = result.unwrap_or_else(|d| {
            panic!(
                "{} does not compile:\n{}",
                spec.name,
                render_all(&d, &sources)
            )
        });
        let entry = seen.entry(style_name(style)).or_default();
        entry.spec(&compiled.spec);
        entry.name(&compiled.spec.app);
        entry.tokens(&spec.text);
    }
    let required = required_features();
    // Parameters need not repeat every built-in type: one of each family is required.
    let optional = |f: &String| {
        f.strip_prefix("parameter type ")
            .is_some_and(|k| !matches!(k, "text" | "number" | "ref[X]" | "a model name"))
            && !f.contains("list")
    };
    let mut failures = Vec::new();
    for style in [Style::Braces, Style::Indentation] {
        let style = style_name(style);
        let Some(seen) = seen.get(style) else {
            failures.push(format!("no accept spec is in the {style} style"));
            continue;
        };
        for missing in required.difference(&seen.features).filter(|f| !optional(f)) {
            failures.push(format!("{style} style: no spec has `{missing}`"));
        }
        for unlisted in seen.features.difference(&required) {
            failures.push(format!(
                "{style} style: the walk found `{unlisted}`, which required_features() lacks"
            ));
        }
        for keyword in KEYWORDS {
            if !seen.names.contains(*keyword) {
                failures.push(format!(
                    "{style} style: no spec uses the keyword `{keyword}` as a name"
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "the corpus does not cover the dialect (add to corpus/accept/):\n{}",
        failures.join("\n")
    );
}
