//! Snapshot tests of rendered diagnostics: one case for each check and each kind of syntax
//! error. The snapshots are the rustc-style text a user sees (`sheplang check`, build.rs).

use sheplang_core::{Code, compile_str, render_all};

/// Compiles `source` and renders every diagnostic (errors or warnings) as the CLI prints them.
fn render(name: &str, source: &str) -> String {
    let (sources, result) = compile_str(&format!("{name}.shep"), source);
    let diagnostics = match result {
        Ok(compiled) => compiled.warnings,
        Err(diagnostics) => diagnostics,
    };
    assert!(
        !diagnostics.is_empty(),
        "case `{name}` produced no diagnostic"
    );
    render_all(&diagnostics, &sources)
}

/// An action whose `if` blocks nest `depth` deep, one per line.
fn nested_ifs(depth: usize) -> String {
    let mut s = String::from("app A {\n  view V { }\n  action Go(a) {\n");
    for _ in 0..depth {
        s.push_str("    if a: {\n");
    }
    s.push_str("    show V\n");
    for _ in 0..depth {
        s.push_str("    }\n");
    }
    s.push_str("  }\n}\n");
    s
}

/// An action assigning a sum of `terms` terms, one per line.
fn long_sum(terms: usize) -> String {
    let mut s = String::from("app A {\n  action Go(a) {\n    x = a\n");
    for _ in 1..terms {
        s.push_str("      + a\n");
    }
    s.push_str("  }\n}\n");
    s
}

macro_rules! cases {
    ($($name:ident => $source:expr;)*) => {
        $(
            #[test]
            fn $name() {
                insta::assert_snapshot!(stringify!($name), render(stringify!($name), $source));
            }
        )*
    };
}

cases! {
    // ---- lexical ----
    hash_comment => "app A {\n  # a comment\n  data T { fields: { a: text } }\n}\n";
    unterminated_string => "app A {\n  view V { button \"Save -> Go }\n}\n";
    unterminated_block_comment => "app A {\n  data T { fields: { a: text } }\n  /* never closed\n}\n";
    tab_in_indentation => "app A\n\ndata T:\n  fields:\n\ttitle: text\n";
    empty_file => "";
    only_comments => "// nothing here\n/* still nothing */\n";
    // ---- syntax ----
    not_an_app => "component Broken {\n  state count = 1\n";
    unknown_declaration => "app A {\n  statemachine S {\n    states: a -> b\n  }\n}\n";
    status_instead_of_states => "app A {\n  data T {\n    fields: { a: text }\n    status: a -> b\n  }\n}\n";
    unquoted_job_time => "app A {\n  job J {\n    schedule: daily at 9am\n    action { ~ \"x\" }\n  }\n}\n";
    missing_field_type => "app A {\n  data T {\n    fields: {\n      title:\n      done: yes/no\n    }\n  }\n}\n";
    unclosed_app => "app A {\n  data T { fields: { a: text } }\n";
    bad_expression => "app A {\n  action Go(x) {\n    if x == : { show V }\n  }\n  view V { }\n}\n";
    indentation_style_error => "app Shop\n\ndata Product:\n  fields:\n    title text\n    price: number\n";
    indentation_style_column => "app Shop\n\nview Catalog:\n  list Product\n  button \"Add\" -> \n";
    bad_dedent => "app A\n\ndata T:\n  fields:\n      a: text\n    b: text\n";
    second_app => "app A { }\napp B { }\n";
    text_after_the_app => "app A { }\n}\n";
    header_without_colon => "app A\n\ndata Task\n  fields:\n    title: text\n";
    header_without_block => "app A\n\ndata Task:\nview V:\n  list Task\n";
    data_without_fields => "app A {\n  data Task { }\n}\n";
    data_blocks_out_of_order => "app A {\n  data Task {\n    states: open -> done\n    fields: { title: text }\n  }\n}\n";
    job_item_twice => "app A {\n  job J {\n    schedule: daily at \"9am\"\n    schedule: daily at \"5pm\"\n    action { }\n  }\n}\n";
    job_without_action => "app A {\n  job J {\n    schedule: daily at \"9am\"\n  }\n}\n";
    unknown_trigger_event => "app A {\n  data Order { fields: { total: number } }\n  job J {\n    trigger: on Order.changed\n    action { }\n  }\n}\n";
    blocks_too_deep => &nested_ifs(65);
    expression_too_complex => &long_sum(300);
    chained_comparison => "app A {\n  action Go(a, b, c) {\n    if a < b < c: { show V }\n  }\n  view V { }\n}\n";
    three_independent_errors => "app A {\n  data T {\n    fields: {\n      a: text\n      b: 12\n    }\n  }\n  view V {\n    list\n  }\n  job J {\n    schedule: daily at 9am\n    action { }\n  }\n}\n";
    // ---- checks ----
    unresolved_list_model => "app A {\n  data Task { fields: { title: text } }\n  view V { list Tsk }\n}\n";
    unresolved_view => "app A {\n  view Home { }\n  action Go() { show Hme }\n}\n";
    unresolved_action => "app A {\n  action Save() { }\n  view V { button \"Go\" -> Sav }\n}\n";
    unresolved_on_error => "app A {\n  action Save() {\n    step a { ~ \"x\" }\n    on error -> Nope\n  }\n}\n";
    unresolved_add_model => "app A {\n  action Go() { add Order with title }\n}\n";
    duplicate_model => "app A {\n  data Task { fields: { a: text } }\n  data Task { fields: { b: text } }\n}\n";
    duplicate_view => "app A {\n  view Home { }\n  view Home { }\n}\n";
    duplicate_action => "app A {\n  action Go() { }\n  action Go() { }\n}\n";
    duplicate_job => "app A {\n  job J { schedule: every 5 minutes action { } }\n  job J { schedule: every 5 minutes action { } }\n}\n";
    duplicate_workflow => "app A {\n  workflow W { }\n  workflow W { }\n}\n";
    duplicate_field => "app A {\n  data Task {\n    fields: {\n      title: text\n      title: number\n    }\n  }\n}\n";
    duplicate_state => "app A {\n  data Task {\n    fields: { a: text }\n    states: open -> done -> open\n  }\n}\n";
    unknown_type_boolean => "app A {\n  data Task { fields: { done: boolean } }\n}\n";
    unknown_type_is_the_only_error => "app A {\n  data T { fields: { price: nuber min=0 default=1 } }\n}\n";
    unknown_type_named => "app A {\n  data Task { fields: { priority: Priority } }\n}\n";
    ref_to_non_model => "app A {\n  data Task { fields: { owner: ref[Usr] } }\n  data User { fields: { name: text } }\n}\n";
    job_trigger_unknown_model => "app A {\n  job J {\n    trigger: on Order.created\n    action { }\n  }\n}\n";
    job_trigger_unknown_field => "app A {\n  data Order { fields: { total: number } }\n  job J {\n    trigger: on Order.totl -> high\n    action { }\n  }\n}\n";
    channel_collision => "app A {\n  data Task { fields: { a: text } }\n  data TASK { fields: { b: text } }\n}\n";
    bad_id_field => "app A {\n  data Task { fields: { id: number } }\n}\n";
    pattern_not_portable => "app A {\n  data T { fields: { code: text pattern=\"^\\s(a)\\1$\" } }\n}\n";
    bad_state_field => "app A {\n  data Task {\n    fields: { status: number }\n    states: todo -> done\n  }\n}\n";
    state_field_wrong_default => "app A {\n  data Task {\n    fields: { status: text default=done }\n    states: todo -> done\n  }\n}\n";
    workflow_unknown_state => "app A {\n  data Task {\n    fields: { title: text }\n    states: todo -> doing -> done\n  }\n  workflow Task {\n    on todo { event start -> doin }\n  }\n}\n";
    workflow_without_states => "app A {\n  data Task { fields: { title: text } }\n  workflow Task {\n    on todo { event start -> doing }\n  }\n}\n";
    guard_unknown_field => "app A {\n  data Task {\n    fields: { title: text  points: number }\n    states: todo -> done\n  }\n  workflow Task {\n    on todo { event finish: if pionts > 3 -> done }\n  }\n}\n";
    guard_type_mismatch => "app A {\n  data Task {\n    fields: { title: text  points: number }\n    states: todo -> done\n  }\n  workflow Task {\n    on todo { event finish: if points > \"3\" -> done }\n  }\n}\n";
    guard_not_a_condition => "app A {\n  data Task {\n    fields: { title: text  points: number }\n    states: todo -> done\n  }\n  workflow Task {\n    on todo { event finish: if points + 1 -> done }\n  }\n}\n";
    workflow_event_twice => "app A {\n  data Task {\n    fields: { title: text }\n    states: todo -> doing -> done\n  }\n  workflow Task {\n    on todo {\n      event start -> doing\n      event start -> done\n    }\n  }\n}\n";
    pattern_does_not_compile => "app A {\n  data T { fields: { code: text pattern=\"^(ab$\" } }\n}\n";
    // ---- warnings ----
    constraint_not_for_type => "app A {\n  data T { fields: { n: number minLength=3 } }\n}\n";
    min_above_max => "app A {\n  data T { fields: { n: number min=10 max=5 } }\n}\n";
    default_wrong_type => "app A\n\ndata User:\n  fields:\n    flag: text default = true\n";
    unknown_field_in_add => "app A {\n  data Task { fields: { title: text } }\n  action Go(t) { add Task with titel = t }\n}\n";
    required_and_optional => "app A {\n  data T { fields: { a: text required optional } }\n}\n";
}

/// Every code in [`Code::ALL`] is shown by at least one snapshot above, so a new code comes with
/// a case (the input-size limit is the exception: it needs a 4 GiB input, and the lexer's unit
/// tests cover it).
#[test]
fn every_code_has_a_case() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots");
    let mut shown = String::new();
    for entry in std::fs::read_dir(&dir).expect("the snapshots folder") {
        let path = entry.expect("a snapshot").path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with("diagnostics__") && name.ends_with(".snap") {
            shown.push_str(&std::fs::read_to_string(&path).expect("a readable snapshot"));
        }
    }
    let missing: Vec<&str> = Code::ALL
        .iter()
        .map(|(code, _)| code.0)
        .filter(|code| *code != Code::TOO_LARGE.0 && !shown.contains(&format!("[{code}]")))
        .collect();
    assert!(
        missing.is_empty(),
        "codes without a diagnostics case: {missing:?}"
    );
}
