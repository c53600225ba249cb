//! Parser unit tests: precedence, statements, declarations and error recovery.

use super::expr::sexpr;
use super::parse;
use crate::ast::{self, BaseType, ConstraintKind, Decl, StmtKind};
use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::span::{FileId, SourceFile};
use crate::types::Builtin;

fn parse_str(text: &str) -> (ast::File<'_>, Vec<Diagnostic>) {
    let mut diags = Diagnostics::new();
    let file = parse(text, FileId(0), &mut diags);
    (file, diags.into_sorted())
}

/// Parses and asserts there is no diagnostic.
fn parse_ok(text: &str) -> ast::App<'_> {
    let (file, diags) = parse_str(text);
    assert!(diags.is_empty(), "unexpected diagnostics: {diags:#?}");
    file.app.expect("an app")
}

/// The (line, column, code) of every diagnostic.
fn errors(text: &str) -> Vec<(usize, usize, &'static str)> {
    let (_, diags) = parse_str(text);
    let src = SourceFile::new("t", text);
    diags
        .iter()
        .map(|d| {
            let (l, c) = src.line_col(d.span.start);
            (l, c, d.code.0)
        })
        .collect()
}

fn first_message(text: &str) -> (String, Option<String>) {
    let (_, diags) = parse_str(text);
    let d = diags.first().expect("an error");
    (d.message.clone(), d.help.clone())
}

/// The statements of the first action of `app A { action X() { <body> } }`.
fn body(stmts: &str) -> Vec<ast::Stmt<'static>> {
    let text: &'static str = Box::leak(format!("app A {{ action X() {{ {stmts} }} }}").into());
    let app = parse_ok(text);
    match app.decls.into_iter().next() {
        Some(Decl::Action(a)) => a.body,
        other => panic!("expected an action, got {other:?}"),
    }
}

/// The s-expression of `x = <expr>`.
fn expr(src: &str) -> String {
    let stmts = body(&format!("x = {src}"));
    match &stmts[0].kind {
        StmtKind::Assign(a) => sexpr(&a.value),
        other => panic!("expected an assignment, got {other:?}"),
    }
}

#[test]
fn precedence() {
    assert_eq!(
        expr("a or b and c == d + e * -f"),
        "(or a (and b (== c (+ d (* e (- f))))))"
    );
    assert_eq!(expr("a - b - c"), "(- (- a b) c)");
    assert_eq!(expr("a * (b + c) % 2"), "(% (* a (+ b c)) 2)");
    assert_eq!(expr("not a = b"), "(== (not a) b)");
    assert_eq!(expr("not not a and b"), "(and (not (not a)) b)");
    assert_eq!(expr("a = 1 or b != 'x'"), "(or (== a 1) (!= b \"x\"))");
    assert_eq!(
        expr("f(a, b.c).d <= 2.5"),
        "(<= (. (call f a (. b c)) d) 2.5)"
    );
    assert_eq!(expr("now()"), "(call now)");
    assert_eq!(expr("true and false"), "(and true false)");
    assert_eq!(expr("- - 1"), "(- (- 1))");
    assert_eq!(expr("title.length < 3"), "(< (. title length) 3)");
}

#[test]
fn comparisons_do_not_chain() {
    let (message, help) = first_message("app A { action X() { y = a < b < c } }");
    assert_eq!(message, "comparison operators cannot be chained");
    assert!(help.is_some_and(|h| h.contains("and")));
}

#[test]
fn every_statement() {
    let stmts = body(
        r#"add Post with title, body = "b", n = 1 + 2
        show Feed
        call POST "/p" with title, user.name
        call DELETE "/p"
        load GET "/p" into data
        update Post where id = 1 set title = "x", price = 2 * 3
        delete Post where title = "old"
        if a: { show A } else if b: { show B } else: { show C }
        for p in posts: { count = count + 1 }
        for i from 1 to 10: { ~ "noop" }
        step fetch { show A } -> step notify { show B } on error -> X
        ~ 'note'
        show = 1"#,
    );
    let kinds: Vec<&str> = stmts
        .iter()
        .map(|s| match &s.kind {
            StmtKind::Add { .. } => "add",
            StmtKind::Show { .. } => "show",
            StmtKind::Call { .. } => "call",
            StmtKind::Load { .. } => "load",
            StmtKind::Update { .. } => "update",
            StmtKind::Delete { .. } => "delete",
            StmtKind::If { .. } => "if",
            StmtKind::ForIn { .. } => "for-in",
            StmtKind::ForRange { .. } => "for-range",
            StmtKind::Assign(_) => "assign",
            StmtKind::Steps { .. } => "steps",
            StmtKind::Note(_) => "note",
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "add",
            "show",
            "call",
            "call",
            "load",
            "update",
            "delete",
            "if",
            "for-in",
            "for-range",
            "steps",
            "note",
            "assign"
        ]
    );
    match &stmts[2].kind {
        StmtKind::Call { method, path, args } => {
            assert_eq!(*method, ast::Method::Post);
            assert_eq!(path.value, "/p");
            assert_eq!(
                args.iter().map(sexpr).collect::<Vec<_>>(),
                ["title", "(. user name)"]
            );
        }
        other => panic!("{other:?}"),
    }
    match &stmts[7].kind {
        StmtKind::If {
            branches,
            otherwise,
        } => {
            assert_eq!(branches.len(), 2);
            assert!(otherwise.is_some());
        }
        other => panic!("{other:?}"),
    }
    match &stmts[10].kind {
        StmtKind::Steps { steps, on_error } => {
            assert_eq!(steps.len(), 2);
            assert_eq!(on_error.map(|a| a.name), Some("X"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn keywords_are_names_where_a_name_is_expected() {
    let app = parse_ok(
        "app A { data data { fields: { text: text data: text email: email from: text on: date \
         required: text } } view view { list data } action action(text, from: number) { \
         data = text load GET \"/\" into data } }",
    );
    let Decl::Data(d) = &app.decls[0] else {
        panic!()
    };
    assert_eq!(d.name.name, "data");
    let names: Vec<&str> = d.fields.iter().map(|f| f.name.name).collect();
    assert_eq!(names, ["text", "data", "email", "from", "on", "required"]);
    assert_eq!(d.fields[2].ty.base, BaseType::Builtin(Builtin::Email));
    assert!(d.fields[0].constraints.is_empty());
}

#[test]
fn fields_types_and_constraints() {
    let app = parse_ok(
        "app A { data P { fields: { \
           a: text required unique \
           b: number min=0 max = -5 optional \
           c: yes/no default=true \
           d: ref[User] \
           e: text[] \
           f: Thing email=false pattern=\"^x$\" minLength=1 maxLength=9 default=x \
         } states: draft -> live -> gone rules: { - \"r1\" - 'r2' } } }",
    );
    let Decl::Data(d) = &app.decls[0] else {
        panic!()
    };
    assert_eq!(d.fields.len(), 6);
    assert_eq!(d.fields[0].constraints.len(), 2);
    match &d.fields[1].constraints[1].kind {
        ConstraintKind::Max(n) => {
            assert_eq!(n.value, -5.0);
            assert_eq!(n.text, "-5");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(d.fields[2].ty.base, BaseType::Builtin(Builtin::Bool));
    assert!(matches!(d.fields[3].ty.base, BaseType::Ref(m) if m.name == "User"));
    assert!(d.fields[4].ty.list);
    assert!(matches!(d.fields[5].ty.base, BaseType::Named(m) if m.name == "Thing"));
    assert_eq!(d.fields[5].constraints.len(), 5);
    let states: Vec<&str> = d
        .states
        .as_ref()
        .map(|s| s.names.iter().map(|n| n.name).collect())
        .unwrap_or_default();
    assert_eq!(states, ["draft", "live", "gone"]);
    assert_eq!(
        d.rules.iter().map(|r| r.value).collect::<Vec<_>>(),
        ["r1", "r2"]
    );
}

#[test]
fn jobs_flows_workflows() {
    let app = parse_ok(
        r#"app A {
          flow F: from: V trigger: "t" steps: - "a" - "b"
          job J1 { schedule: cron "0 3 * * *" action { ~ "x" } }
          job J2 { schedule: weekly on Friday at "5pm" action { } }
          job J3 { schedule: every 2 hours at "00:15" action { } }
          job J4 { trigger: on Post.created delay: 5 minutes action { } }
          job J5 { trigger: on Post.status -> published action { } }
          job J6 { schedule: daily at "9am" action { } }
          workflow W { on draft { event submit -> review } on review { event ok: if s > 5 else draft -> live } }
        }"#,
    );
    assert_eq!(app.decls.len(), 8);
    let Decl::Flow(f) = &app.decls[0] else {
        panic!()
    };
    assert_eq!(f.steps.len(), 2);
    let Decl::Job(j) = &app.decls[2] else {
        panic!()
    };
    assert!(matches!(
        j.when,
        ast::JobWhen::Schedule(ast::Timing::Weekly {
            day: ast::Weekday::Friday,
            ..
        })
    ));
    let Decl::Job(j) = &app.decls[4] else {
        panic!()
    };
    assert_eq!(j.delay.map(|d| d.unit), Some(ast::TimeUnit::Minutes));
    let Decl::Job(j) = &app.decls[5] else {
        panic!()
    };
    assert!(matches!(
        &j.when,
        ast::JobWhen::Trigger(ast::Trigger::Change { field, to, .. })
            if field.name == "status" && to.name == "published"
    ));
    let Decl::Workflow(w) = &app.decls[7] else {
        panic!()
    };
    let ev = &w.states[1].events[0];
    assert_eq!(ev.guard.as_ref().map(sexpr).as_deref(), Some("(> s 5)"));
    assert_eq!(ev.otherwise.map(|o| o.name), Some("draft"));
    assert_eq!(ev.target.name, "live");
}

#[test]
fn indentation_style_matches_brace_style() {
    let indented = "app A\n\ndata P:\n  fields:\n    t: text required\n  states: a -> b\n\naction X(t):\n  if t > 1:\n    show V\n  else if t < 0:\n    show W\n  else:\n    for i in t:\n      n = n + i\n  show V\n";
    let braces = "app A { data P { fields: { t: text required } states: a -> b } \
                  action X(t) { if t > 1: { show V } else if t < 0: { show W } else: { for i in t: { n = n + i } } show V } }";
    let a = parse_ok(indented);
    let b = parse_ok(braces);
    assert_eq!(format!("{:?}", strip(&a)), format!("{:?}", strip(&b)));
}

/// A span-free summary of an app, to compare trees parsed from different layouts.
fn strip(app: &ast::App<'_>) -> Vec<String> {
    app.decls
        .iter()
        .map(|d| match d {
            Decl::Data(d) => format!(
                "data {} {:?} {:?}",
                d.name.name,
                d.fields
                    .iter()
                    .map(|f| (f.name.name, f.constraints.len()))
                    .collect::<Vec<_>>(),
                d.states
                    .as_ref()
                    .map(|s| s.names.iter().map(|n| n.name).collect::<Vec<_>>())
            ),
            Decl::Action(a) => format!("action {} {}", a.name.name, stmts(&a.body)),
            other => format!("{other:?}"),
        })
        .collect()
}

fn stmts(body: &[ast::Stmt<'_>]) -> String {
    body.iter()
        .map(|s| match &s.kind {
            StmtKind::If {
                branches,
                otherwise,
            } => format!(
                "(if {} else {})",
                branches
                    .iter()
                    .map(|(c, b)| format!("{} {}", sexpr(c), stmts(b)))
                    .collect::<Vec<_>>()
                    .join(" | "),
                otherwise.as_deref().map(stmts).unwrap_or_default()
            ),
            StmtKind::ForIn { var, iter, body } => {
                format!("(for {} {} {})", var.name, sexpr(iter), stmts(body))
            }
            StmtKind::Show { view } => format!("(show {})", view.name),
            StmtKind::Assign(a) => format!("(= {} {})", a.target.name, sexpr(&a.value)),
            other => format!("{other:?}"),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn indentation_errors_have_true_columns() {
    // The `@` is on line 4, column 15 (1-based), under two levels of indentation.
    let text = "app A\ndata P:\n  fields:\n    t: text   @\n";
    assert_eq!(errors(text), [(4, 15, "E0001")]);
    let text = "app A\naction X():\n  show\n";
    let (file, diags) = parse_str(text);
    assert!(file.app.is_some());
    assert_eq!(diags.len(), 1);
    let src = SourceFile::new("t", text);
    // The missing view name is reported at the end of the indented block (after `show`).
    assert_eq!(src.line_col(diags[0].span.start), (3, 7));
    assert!(diags[0].message.contains("end of the indented block"));
}

#[test]
fn empty_and_wrong_start() {
    assert_eq!(errors(""), [(1, 1, "E0102")]);
    assert_eq!(errors("  // nothing\n"), [(2, 1, "E0102")]);
    assert_eq!(
        errors("component Broken {\n state x = 1\n"),
        [(1, 1, "E0107")]
    );
    // A later `app` line is still parsed after the error.
    assert_eq!(
        errors("appp X\napp A { data P { fields: { a: } } }"),
        [(1, 1, "E0107"), (2, 31, "E0101")]
    );
}

#[test]
fn after_the_app() {
    assert_eq!(errors("app A { } app B { }"), [(1, 11, "E0103")]);
    assert_eq!(errors("app A { } }"), [(1, 11, "E0106")]);
}

#[test]
fn unclosed_braces_are_one_error() {
    assert_eq!(
        errors("app A {\n  data P {\n    fields: {\n      a: text\n"),
        [(3, 13, "E0105")]
    );
    // A missing `}` before the next declaration: one error there, and the view is still read.
    let text = "app A {\n  action X() {\n    if a: {\n      show V\n  }\n  view V { list P }\n}\n";
    let (file, diags) = parse_str(text);
    assert_eq!(diags.len(), 1, "{diags:#?}");
    assert_eq!(diags[0].code, Code::UNCLOSED_DELIM);
    let decls = file.app.map(|a| a.decls.len());
    assert_eq!(decls, Some(2));
}

#[test]
fn independent_errors_are_all_reported_once() {
    let text = r#"app A {
  data P {
    fields: {
      a: text requird
      b: number
      c: 12
      d: text
    }
  }
  view V {
    lst P
    button "Go" -> X
  }
  action X() {
    add P with
    show V
    load get "/x" into y
    ~ "ok"
  }
  job J { schedule: every 5 minute action { } }
  frobnicate Q { }
  data R { fields: { r: text } }
}"#;
    let got = errors(text);
    assert_eq!(
        got,
        [
            (4, 15, "E0101"),
            (6, 10, "E0101"),
            (11, 5, "E0101"),
            (16, 5, "E0101"),
            (17, 10, "E0101"),
            (20, 29, "E0101"),
            (21, 3, "E0104"),
        ]
    );
    let (file, _) = parse_str(text);
    let app = file.app.expect("an app");
    // The broken fields are dropped, the rest is kept.
    let Decl::Data(d) = &app.decls[0] else {
        panic!()
    };
    assert_eq!(
        d.fields.iter().map(|f| f.name.name).collect::<Vec<_>>(),
        ["b", "d"]
    );
    assert!(
        app.decls
            .iter()
            .any(|d| matches!(d, Decl::Data(d) if d.name.name == "R"))
    );
}

#[test]
fn helpful_messages() {
    let (m, h) = first_message("app A { data P { fields: { a: text } status: a -> b } }");
    assert_eq!(m, "expected `states:`, `rules:` or `}`, found `status`");
    assert_eq!(h.as_deref(), Some("did you mean `states:`?"));
    let (m, h) = first_message("app A { job J { schedule: daily at 9am action { } } }");
    assert_eq!(m, "expected a quoted time, found `9am`");
    assert_eq!(h.as_deref(), Some("quote the time: `\"9am\"`"));
    let (m, h) = first_message("app A { action X() { ~ test action } }");
    assert_eq!(m, "expected a string after `~`, found `test`");
    assert_eq!(h.as_deref(), Some("quote the note: `~ \"test action\"`"));
    let (_, h) = first_message("app A { action X() { call post \"/x\" } }");
    assert_eq!(h.as_deref(), Some("methods are upper-case: `POST`"));
    let (m, h) = first_message("app A { statemachine S { } }");
    assert_eq!(m, "expected a declaration, found `statemachine`");
    assert!(
        h.is_some_and(|h| h.contains("`data`, `view`, `action`, `flow`, `job` and `workflow`"))
    );
    let (_, h) = first_message("app A { daat P { } }");
    assert!(h.is_some_and(|h| h.starts_with("did you mean `data`?")));
    let (m, _) = first_message("app A { data P { title: text } }");
    assert_eq!(m, "expected `fields:`, found `title`");
}

#[test]
fn missing_if_colon_is_reported_and_read() {
    let text = "app A { action X() { if a { show V } } }";
    let (file, diags) = parse_str(text);
    assert_eq!(diags.len(), 1);
    let Some(Decl::Action(a)) = file.app.and_then(|a| a.decls.into_iter().next()) else {
        panic!()
    };
    assert!(matches!(&a.body[0].kind, StmtKind::If { branches, .. } if branches[0].1.len() == 1));
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let parens = format!(
        "app A {{ action X() {{ x = {}1{} }} }}",
        "(".repeat(50_000),
        ")".repeat(50_000)
    );
    assert!(!errors(&parens).is_empty());
    let chain = format!(
        "app A {{ action X() {{ x = 1{} }} }}",
        " + 1".repeat(50_000)
    );
    assert!(!errors(&chain).is_empty());
    let nots = format!(
        "app A {{ action X() {{ x = {}a }} }}",
        "not ".repeat(50_000)
    );
    assert!(!errors(&nots).is_empty());
    let ifs = format!(
        "app A {{ action X() {{ {} show V {} }} }}",
        "if a: { ".repeat(5_000),
        "} ".repeat(5_000)
    );
    assert_eq!(errors(&ifs).len(), 1);
    let mut indented = String::from("app A\naction X():\n");
    for depth in 1..2_000 {
        indented.push_str(&" ".repeat(depth * 2));
        indented.push_str("if a:\n");
    }
    indented.push_str(&" ".repeat(4_000));
    indented.push_str("show V\n");
    assert_eq!(errors(&indented).len(), 1);
}

#[test]
fn broken_headers_still_declare() {
    // Each broken header is one error, and the declaration stays in the tree so references to
    // it resolve.
    let text = "app A {\n  action X(a b) { show V }\n  view V list P\n  data P fields: { a: text }\n  view W { button \"x\" -> X }\n}";
    let (file, diags) = parse_str(text);
    let src = SourceFile::new("t", text);
    let lines: Vec<usize> = diags.iter().map(|d| src.line_col(d.span.start).0).collect();
    assert_eq!(lines, [2, 3, 4], "{diags:#?}");
    let app = file.app.expect("an app");
    let names: Vec<&str> = app
        .decls
        .iter()
        .map(|d| match d {
            Decl::Action(a) => a.name.name,
            Decl::View(v) => v.name.name,
            Decl::Data(d) => d.name.name,
            _ => "?",
        })
        .collect();
    assert_eq!(names, ["X", "V", "P", "W"]);
    let Decl::Action(a) = &app.decls[0] else {
        panic!()
    };
    assert_eq!(a.body.len(), 1);
}

#[test]
fn unterminated_strings_and_comments_cause_no_cascade() {
    assert_eq!(
        errors("app A {\n  view V { button \"Save -> Go }\n}\n"),
        [(2, 19, "E0002")]
    );
    assert_eq!(
        errors("app A {\n  data T { fields: { a: text } }\n  /* never closed\n}\n"),
        [(3, 3, "E0003")]
    );
}

#[test]
fn a_missing_open_brace_is_one_error() {
    // The `}` of the fields is still there: read on as if the `{` were.
    let text = "app A {\n  data P {\n    fields:\n      a: text\n    }\n    states: x -> y\n  }\n  view V { list P }\n}\n";
    let (file, diags) = parse_str(text);
    assert_eq!(diags.len(), 1, "{diags:#?}");
    assert_eq!(file.app.map(|a| a.decls.len()), Some(2));
    // An action body without its `{`.
    let text = "app A {\n  action X()\n    show V\n  }\n  view V { list P }\n}\n";
    assert_eq!(errors(text), [(3, 5, "E0101")]);
    // A one-line `if` without braces: nothing to read on with, one error.
    let text = "app A {\n  action X() {\n    if a: show V\n  }\n  view V { list P }\n}\n";
    assert_eq!(errors(text), [(3, 11, "E0101")]);
}

#[test]
fn else_after_a_broken_if_is_no_second_error() {
    let text = "app A {\n  action X() {\n    if > 1: {\n      show V\n    } else if b: {\n      show W\n    } else: {\n      show ?\n    }\n  }\n}\n";
    assert_eq!(errors(text), [(3, 8, "E0101"), (8, 12, "E0001")]);
    let text = "app A\naction X():\n  if > 1:\n    show V\n  else:\n    show W\n";
    assert_eq!(errors(text), [(3, 6, "E0101")]);
}

#[test]
fn more_single_mistakes_are_single_errors() {
    // A brace-style file that lost the `{` after `app Name`.
    assert_eq!(
        errors("app A\n  data P { fields: { a: text } }\n  view V { list P }\n}\n"),
        [(2, 3, "E0101")]
    );
    // A job whose time is missing, and one whose `action` lost its `{`.
    assert_eq!(
        errors("app A {\n  job J {\n    schedule: daily at\n    action { ~ \"x\" }\n  }\n}\n"),
        [(4, 5, "E0101")]
    );
    assert_eq!(
        errors(
            "app A {\n  job J {\n    schedule: every 5 minutes\n    action\n      ~ \"x\"\n    }\n  }\n}\n"
        ),
        [(5, 7, "E0101")]
    );
    // An indented header that lost its keyword or its name.
    assert_eq!(
        errors("app A\nProduct:\n  fields:\n    a: text\n"),
        [(2, 1, "E0104")]
    );
    assert_eq!(errors("app A\naction (t):\n  show V\n"), [(2, 8, "E0101")]);
}

#[test]
fn a_missing_close_brace_inside_an_action_is_one_error() {
    let text = "app A {\n  action X() {\n    if a: {\n      show V\n    else: {\n      show W\n    }\n    show V\n  }\n  view V { list P }\n}\n";
    assert_eq!(errors(text), [(5, 5, "E0105")]);
    let text = "app A {\n  action X() {\n    step s {\n      show V\n    -> step t {\n      show W\n    }\n    on error -> X\n  }\n}\n";
    assert_eq!(errors(text), [(5, 5, "E0105")]);
    let text = "app A {\n  workflow W {\n    on a {\n      event e -> b\n    on b {\n      event f -> a\n    }\n  }\n}\n";
    assert_eq!(errors(text), [(5, 5, "E0105")]);
}
