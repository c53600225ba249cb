//! The generated SQL on real databases: SQLite (bundled, through rusqlite) and PostgreSQL (the
//! environment's `$DATABASE_URL`, or a server started for this test; see `test-services`),
//! driven with `psql`.
//!
//! - Every accepted spec's tables are created, each PostgreSQL run in a fresh schema.
//! - Every row of `corpus/constraints/cases.json` is inserted: the database refuses exactly the
//!   rows that break a constraint it holds, and names the broken rule (`Profile_age_max`).
//! - The change capture SQL is installed too, so every accepted insert also runs its trigger;
//!   each table's apply function (capture by logical decoding) runs once, and writes the row
//!   of each allowed state move as the trigger did.
//! - `unique` and `ref[X]`, which only a database sees, refuse a second row and a dangling id.

mod common;

use std::io::Write as _;
use std::process::{Command, Stdio};

use rusqlite::Connection;
use rusqlite::types::Value as SqlValue;
use serde_json::Value;
use sheplang_core::codegen::capture;
use sheplang_core::codegen::sql::{self, Dialect, quote};
use sheplang_core::codegen::storage::Storage;
use sheplang_core::{compile_str, ir, render_all};

fn compile(name: &str, text: &str) -> ir::Spec {
    let (sources, result) = compile_str(name, text);
    match result {
        Ok(compiled) => compiled.spec,
        Err(d) => panic!("{name} does not compile:\n{}", render_all(&d, &sources)),
    }
}

/// Every accepted spec, plus the constraint cases' spec.
fn specs() -> Vec<(String, ir::Spec)> {
    let mut out: Vec<(String, ir::Spec)> = common::specs("accept")
        .into_iter()
        .map(|s| (s.snapshot(), compile(&s.name, &s.text)))
        .collect();
    let (name, text) = constraints_spec();
    out.push((name.clone(), compile(&name, &text)));
    out
}

fn constraints_spec() -> (String, String) {
    let path = common::repo_root().join("corpus/constraints/constraints.shep");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    ("constraints.shep".to_owned(), text)
}

fn sqlite(spec: &ir::Spec) -> Connection {
    let conn = Connection::open_in_memory().expect("an in-memory database");
    conn.pragma_update(None, "foreign_keys", true)
        .expect("foreign keys on");
    conn.execute_batch(&sql::generate(spec, &Storage::new(), Dialect::Sqlite))
        .unwrap_or_else(|e| panic!("app `{}`: the SQLite DDL fails: {e}", spec.app));
    // Every insert below also runs the capture triggers.
    conn.execute_batch(&capture::generate(spec, &Storage::new(), Dialect::Sqlite))
        .unwrap_or_else(|e| panic!("app `{}`: the SQLite capture SQL fails: {e}", spec.app));
    conn
}

/// A PostgreSQL server and a `psql` that reaches it.
struct Postgres {
    service: test_services::Service,
}

impl Postgres {
    fn start() -> Postgres {
        let service = test_services::postgres().unwrap_or_else(|e| panic!("{e}"));
        Postgres { service }
    }

    /// Runs `script` in one transaction with `search_path` set to `schema`; `Err` carries
    /// psql's error output.
    fn run(&self, schema: &str, script: &str) -> Result<(), String> {
        let mut child = Command::new("psql")
            .args([
                "-X",
                "-q",
                "-v",
                "ON_ERROR_STOP=1",
                "--single-transaction",
                "-d",
            ])
            .arg(self.service.url())
            .args(["-f", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot run `psql`: {e}; install it with `apt-get install \
                     postgresql-client`"
                )
            });
        // The capture triggers are deferred to the commit, and these scripts roll back: made
        // immediate, they run at each write, so every row inserted here runs them.
        let full = format!(
            "SET client_min_messages = warning;\nSET CONSTRAINTS ALL IMMEDIATE;\n\
             SET search_path TO {};\n{script}",
            quote(schema)
        );
        child
            .stdin
            .take()
            .expect("psql's stdin")
            .write_all(full.as_bytes())
            .expect("psql reads its script");
        let out = child.wait_with_output().expect("psql finishes");
        if out.status.success() {
            Ok(())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    }

    /// A fresh schema holding `spec`'s tables and its change capture.
    fn schema_with(&self, name: &str, spec: &ir::Spec) -> Schema<'_> {
        let schema = format!("sheplang_{}_{}", std::process::id(), name.replace('-', "_"));
        let capture = capture::generate(spec, &Storage::new(), Dialect::Postgres);
        let create = format!(
            "DROP SCHEMA IF EXISTS {q} CASCADE;\nCREATE SCHEMA {q};\nSET search_path TO {q};\n{}\n{capture}",
            sql::generate(spec, &Storage::new(), Dialect::Postgres),
            q = quote(&schema)
        );
        self.run("public", &create)
            .unwrap_or_else(|e| panic!("app `{}`: the PostgreSQL DDL fails:\n{e}", spec.app));
        Schema {
            pg: self,
            name: schema,
        }
    }
}

/// A schema dropped at the end of the test.
struct Schema<'a> {
    pg: &'a Postgres,
    name: String,
}

impl Drop for Schema<'_> {
    fn drop(&mut self) {
        let _ = self.pg.run(
            "public",
            &format!("DROP SCHEMA IF EXISTS {} CASCADE;", quote(&self.name)),
        );
    }
}

#[test]
fn the_sqlite_tables_of_every_accepted_spec_are_created() {
    for (name, spec) in specs() {
        let conn = sqlite(&spec);
        let tables: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
                 AND substr(name, 1, 10) <> '_sheplang_'",
                [],
                |row| row.get(0),
            )
            .expect("the catalogue reads");
        let joins = spec
            .models
            .iter()
            .flat_map(|m| &m.fields)
            .filter(|f| f.list && matches!(f.ty, ir::FieldType::Model { .. }))
            .count();
        assert_eq!(
            usize::try_from(tables).expect("a count"),
            spec.models.len() + joins,
            "{name}"
        );
    }
}

#[test]
fn the_postgres_tables_of_every_accepted_spec_are_created() {
    let pg = Postgres::start();
    for (name, spec) in specs() {
        let schema = pg.schema_with(&name, &spec);
        let count = format!(
            "DO $$ BEGIN IF (SELECT count(*) FROM information_schema.tables WHERE table_schema = '{}' \
             AND left(table_name, 10) <> '_sheplang_') <> {} \
             THEN RAISE EXCEPTION 'wrong table count'; END IF; END $$;",
            schema.name,
            spec.models.len()
                + spec
                    .models
                    .iter()
                    .flat_map(|m| &m.fields)
                    .filter(|f| f.list && matches!(f.ty, ir::FieldType::Model { .. }))
                    .count()
        );
        pg.run(&schema.name, &count)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        // Each table's apply function (capture by logical decoding) is PL/pgSQL, whose
        // statement is checked when it first runs: run each once, on no change.
        let applies: String = spec
            .models
            .iter()
            .map(|m| {
                format!(
                    "SELECT {}('[]');\n",
                    quote(&format!("{}_capture_apply", m.name))
                )
            })
            .collect();
        pg.run(&schema.name, &format!("{applies}ROLLBACK;"))
            .unwrap_or_else(|e| panic!("{name}: an apply function fails: {e}"));
    }
}

/// One row of `cases.json`.
struct Case {
    name: String,
    row: serde_json::Map<String, Value>,
    /// `(field, rule)` of each violation.
    violations: Vec<(String, String)>,
}

fn cases() -> (String, Vec<Case>) {
    let path = common::repo_root().join("corpus/constraints/cases.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let json: Value = serde_json::from_str(&text).expect("cases.json is JSON");
    let model = json["model"].as_str().expect("a model").to_owned();
    let valid = json["valid"].as_object().expect("a valid row").clone();
    let cases = json["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .map(|case| {
            let mut row = valid.clone();
            for (k, v) in case["set"].as_object().expect("a set") {
                row.insert(k.clone(), v.clone());
            }
            Case {
                name: case["name"].as_str().expect("a name").to_owned(),
                row,
                violations: case["violations"]
                    .as_array()
                    .expect("violations")
                    .iter()
                    .map(|v| {
                        (
                            v["field"].as_str().expect("a field").to_owned(),
                            v["rule"].as_str().expect("a rule").to_owned(),
                        )
                    })
                    .collect(),
            }
        })
        .collect();
    (model, cases)
}

/// The rules a database holds as its own constraints. SQLite has no regular expressions, so a
/// `pattern` is the validators' alone there.
fn held(dialect: Dialect, rule: &str) -> bool {
    match rule {
        "required" | "minLength" | "maxLength" | "min" | "max" | "email" => true,
        "pattern" => dialect == Dialect::Postgres,
        _ => false,
    }
}

/// The database's answer to one row: refused (with its error) or not, checked against the
/// case. Returns a complaint, if any.
fn judge(
    dialect: Dialect,
    model: &str,
    case: &Case,
    outcome: Result<(), String>,
) -> Option<String> {
    let broken: Vec<String> = case
        .violations
        .iter()
        .filter(|(_, rule)| held(dialect, rule))
        .map(|(field, rule)| format!("{model}_{field}_{rule}"))
        .collect();
    match (outcome, broken.is_empty()) {
        (Ok(()), true) => None,
        (Ok(()), false) => Some(format!(
            "{dialect:?}, case `{}`: the row was stored, but it breaks {}",
            case.name,
            broken.join(", ")
        )),
        (Err(e), true) => Some(format!(
            "{dialect:?}, case `{}`: a row that breaks no constraint was refused: {e}",
            case.name
        )),
        // PostgreSQL text cannot hold a NUL: the value is refused before any constraint.
        (Err(e), false)
            if dialect == Dialect::Postgres
                && case
                    .row
                    .values()
                    .any(|v| v.as_str().is_some_and(|s| s.contains('\0')))
                && e.contains("invalid Unicode escape value") =>
        {
            None
        }
        (Err(e), false) => (!broken.iter().any(|name| e.contains(name.as_str()))).then(|| {
            format!(
                "{dialect:?}, case `{}`: refused, but the error names none of {}: {e}",
                case.name,
                broken.join(", ")
            )
        }),
    }
}

fn sqlite_value(value: &Value) -> SqlValue {
    match value {
        Value::Null => SqlValue::Null,
        Value::Bool(b) => SqlValue::Integer(i64::from(*b)),
        Value::Number(n) => SqlValue::Real(n.as_f64().expect("a finite number")),
        Value::String(s) => SqlValue::Text(s.clone()),
        Value::Array(_) | Value::Object(_) => SqlValue::Text(value.to_string()),
    }
}

fn sqlite_insert(
    conn: &Connection,
    model: &str,
    row: &serde_json::Map<String, Value>,
) -> Result<(), String> {
    let columns: Vec<String> = row.keys().map(|k| quote(k)).collect();
    let marks: Vec<String> = (1..=row.len()).map(|i| format!("?{i}")).collect();
    let statement = format!(
        "INSERT INTO {} ({}) VALUES ({})",
        quote(model),
        columns.join(", "),
        marks.join(", ")
    );
    let values: Vec<SqlValue> = row.values().map(sqlite_value).collect();
    conn.execute(&statement, rusqlite::params_from_iter(values))
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// A PostgreSQL literal of a JSON value, Unicode escapes for anything not plain ASCII.
fn pg_literal(value: &Value) -> String {
    match value {
        Value::Null => "NULL".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => {
            let mut out = String::from("U&'");
            for c in s.chars() {
                match c {
                    '\'' => out.push_str("''"),
                    '\\' => out.push_str("\\\\"),
                    ' '..='~' => out.push(c),
                    c if u32::from(c) <= 0xFFFF => out.push_str(&format!("\\{:04X}", u32::from(c))),
                    c => out.push_str(&format!("\\+{:06X}", u32::from(c))),
                }
            }
            out.push('\'');
            out
        }
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(pg_literal).collect();
            format!("ARRAY[{}]::text[]", items.join(", "))
        }
        Value::Object(_) => panic!("no object values in the cases"),
    }
}

fn pg_insert(model: &str, row: &serde_json::Map<String, Value>) -> String {
    let columns: Vec<String> = row.keys().map(|k| quote(k)).collect();
    let values: Vec<String> = row.values().map(pg_literal).collect();
    format!(
        "INSERT INTO {} ({}) VALUES ({});",
        quote(model),
        columns.join(", "),
        values.join(", ")
    )
}

#[test]
fn sqlite_refuses_each_row_that_breaks_a_constraint_it_holds() {
    let (name, text) = constraints_spec();
    let spec = compile(&name, &text);
    let (model, cases) = cases();
    let conn = sqlite(&spec);
    let mut complaints = Vec::new();
    for case in &cases {
        conn.execute_batch("SAVEPOINT one_case")
            .expect("a savepoint");
        let outcome = sqlite_insert(&conn, &model, &case.row);
        conn.execute_batch("ROLLBACK TO one_case; RELEASE one_case")
            .expect("a rollback");
        complaints.extend(judge(Dialect::Sqlite, &model, case, outcome));
    }
    assert!(complaints.is_empty(), "{}", complaints.join("\n"));
    assert!(cases.len() > 10, "the cases were read");
}

#[test]
fn postgres_refuses_each_row_that_breaks_a_constraint_it_holds() {
    let (name, text) = constraints_spec();
    let spec = compile(&name, &text);
    let (model, cases) = cases();
    let pg = Postgres::start();
    let schema = pg.schema_with("constraint_cases", &spec);
    let mut complaints = Vec::new();
    for case in &cases {
        // `--single-transaction` with a final ROLLBACK: nothing stays.
        let script = format!("{}\nROLLBACK;", pg_insert(&model, &case.row));
        complaints.extend(judge(
            Dialect::Postgres,
            &model,
            case,
            pg.run(&schema.name, &script),
        ));
    }
    assert!(complaints.is_empty(), "{}", complaints.join("\n"));
}

#[test]
fn unique_and_references_are_the_databases_own() {
    let (name, text) = constraints_spec();
    let spec = compile(&name, &text);
    let (model, cases) = cases();
    let valid = &cases
        .iter()
        .find(|c| c.violations.is_empty())
        .expect("a valid case")
        .row;
    let mut twin = valid.clone();
    twin.insert("id".into(), Value::String("p-2".into()));
    let mut dangling = twin.clone();
    dangling.insert("handle".into(), Value::String("other".into()));
    dangling.insert("owner".into(), Value::String("nobody".into()));

    let conn = sqlite(&spec);
    sqlite_insert(&conn, &model, valid).expect("the valid row is stored");
    let e = sqlite_insert(&conn, &model, &twin).expect_err("a second `handle` is refused");
    assert!(
        e.contains("UNIQUE constraint failed: Profile.handle"),
        "{e}"
    );
    let e = sqlite_insert(&conn, &model, &dangling).expect_err("a dangling `owner` is refused");
    assert!(e.contains("FOREIGN KEY constraint failed"), "{e}");

    let pg = Postgres::start();
    let schema = pg.schema_with("unique_and_references", &spec);
    let first = pg_insert(&model, valid);
    pg.run(&schema.name, &format!("{first}\nROLLBACK;"))
        .expect("the valid row is stored");
    let e = pg
        .run(
            &schema.name,
            &format!("{first}\n{}", pg_insert(&model, &twin)),
        )
        .expect_err("a second `handle` is refused");
    assert!(e.contains("Profile_handle_key"), "{e}");
    let e = pg
        .run(&schema.name, &pg_insert(&model, &dangling))
        .expect_err("a dangling `owner` is refused");
    assert!(e.contains("Profile_owner_fkey"), "{e}");
}

/// One lifecycle of `corpus/transitions/cases.json`: its spec, model and `(from, to, refused)`.
struct Chain {
    spec: ir::Spec,
    model: String,
    pairs: Vec<(String, String, Option<String>)>,
}

/// The transition cases, each with its compiled spec. Fails when a chain of the project corpus
/// or a pair of one is missing, or when a listed chain is not the corpus's.
fn chains() -> Vec<Chain> {
    let path = common::repo_root().join("corpus/transitions/cases.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let json: Value = serde_json::from_str(&text).expect("cases.json is JSON");
    let mut listed = Vec::new();
    let mut out = Vec::new();
    for chain in json["chains"].as_array().expect("chains") {
        let spec_name = chain["spec"].as_str().expect("a spec");
        let model = chain["model"].as_str().expect("a model").to_owned();
        let path = common::project_dir("accept").join(spec_name);
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        let spec = compile(spec_name, &text);
        let lifecycle = spec
            .model(&model)
            .and_then(|m| m.states.clone())
            .unwrap_or_else(|| panic!("{spec_name}: `{model}` has no lifecycle"));
        let pairs: Vec<(String, String, Option<String>)> = chain["pairs"]
            .as_array()
            .expect("pairs")
            .iter()
            .map(|p| {
                (
                    p["from"].as_str().expect("a from").to_owned(),
                    p["to"].as_str().expect("a to").to_owned(),
                    p["refused"].as_str().map(str::to_owned),
                )
            })
            .collect();
        let mut expected = Vec::new();
        for from in &lifecycle.states {
            for to in lifecycle.states.iter().filter(|to| *to != from) {
                let allowed = lifecycle.transitions.contains(&(from.clone(), to.clone()));
                expected.push((from.clone(), to.clone(), allowed));
            }
        }
        let found: Vec<(String, String, bool)> = pairs
            .iter()
            .map(|(f, t, r)| (f.clone(), t.clone(), r.is_none()))
            .collect();
        assert_eq!(
            found, expected,
            "{spec_name}, `{model}`: the pairs of cases.json are not every pair of its chain, \
             with `refused: null` exactly for the arrows"
        );
        listed.push((spec_name.to_owned(), model.clone()));
        out.push(Chain { spec, model, pairs });
    }
    let mut corpus = Vec::new();
    for s in common::specs("accept")
        .into_iter()
        .filter(|s| matches!(s.origin, common::Origin::Project))
    {
        for m in compile(&s.name, &s.text).models {
            if m.states.is_some() {
                corpus.push((s.name.clone(), m.name.clone()));
            }
        }
    }
    assert_eq!(
        listed, corpus,
        "corpus/transitions/cases.json lists exactly the lifecycles of corpus/accept"
    );
    out
}

/// A value that every constraint a field may carry in the corpus accepts, for the columns a
/// row must fill (not optional, no default, not a list); `None` for the others.
fn filler(field: &ir::Field) -> Option<Value> {
    if field.optional || field.default.is_some() || field.list {
        return None;
    }
    let b = match &field.ty {
        ir::FieldType::Builtin(b) => *b,
        // The id of the referenced row `rows_in` stores first.
        ir::FieldType::Ref { .. } | ir::FieldType::Model { .. } => {
            return Some(Value::String("r-1".into()));
        }
    };
    Some(match b.name() {
        "yes/no" => Value::Bool(false),
        "number" => Value::from(1),
        "email" => Value::String("a@example.org".into()),
        "date" => Value::String("2026-01-01".into()),
        "datetime" => Value::String("2026-01-01T00:00:00Z".into()),
        // Digits: a visible text that the corpus's patterns (`^[0-9-]+$`) accept too.
        _ => Value::String("1".into()),
    })
}

/// A row `r-1` of `model` in the state `state`, after a row `r-1` of each model it refers to
/// (in the order to store them): `(model, row)`.
fn rows_in(
    spec: &ir::Spec,
    model: &str,
    state: &str,
) -> Vec<(String, serde_json::Map<String, Value>)> {
    fn add(
        spec: &ir::Spec,
        model: &str,
        state: Option<&str>,
        out: &mut Vec<(String, serde_json::Map<String, Value>)>,
    ) {
        if out.iter().any(|(m, _)| m == model) {
            return;
        }
        let m = spec.model(model).expect("the model");
        let mut row = serde_json::Map::new();
        row.insert("id".into(), Value::String("r-1".into()));
        for field in m.fields.iter().filter(|f| f.name != "id") {
            if let Some(v) = filler(field) {
                if let ir::FieldType::Ref { model: target } | ir::FieldType::Model { model: target } =
                    &field.ty
                    && target != model
                {
                    add(spec, target, None, out);
                }
                row.insert(field.name.clone(), v);
            }
        }
        if let (Some(state), true) = (state, m.states.is_some()) {
            row.insert(ir::STATE_FIELD.into(), Value::String(state.into()));
        }
        out.push((model.to_owned(), row));
    }
    let mut out = Vec::new();
    add(spec, model, Some(state), &mut out);
    out
}

fn update_state(model: &str, to: &str) -> String {
    format!(
        "UPDATE {} SET {} = '{to}' WHERE {} = 'r-1'",
        quote(model),
        quote(ir::STATE_FIELD),
        quote("id")
    )
}

/// The database's answer against the case: `None` when it is the expected one.
fn judge_transition(
    dialect: Dialect,
    chain: &Chain,
    (from, to, refused): &(String, String, Option<String>),
    outcome: Result<(), String>,
) -> Option<String> {
    let what = format!("{dialect:?}, `{}` {from} -> {to}", chain.model);
    match (outcome, refused) {
        (Ok(()), None) => None,
        (Ok(()), Some(message)) => Some(format!("{what}: stored, but must be refused: {message}")),
        (Err(e), None) => Some(format!("{what}: an allowed change was refused: {e}")),
        (Err(e), Some(message)) => {
            let named = format!("{}_status_transition: {message}", chain.model);
            (!e.contains(&named)).then(|| format!("{what}: refused with `{e}`, not `{named}`"))
        }
    }
}

#[test]
fn sqlite_refuses_every_transition_the_chain_does_not_allow() {
    let mut complaints = Vec::new();
    let mut runs = 0;
    for chain in chains() {
        let conn = sqlite(&chain.spec);
        for pair in &chain.pairs {
            conn.execute_batch("SAVEPOINT one_case")
                .expect("a savepoint");
            for (model, row) in rows_in(&chain.spec, &chain.model, &pair.0) {
                sqlite_insert(&conn, &model, &row)
                    .unwrap_or_else(|e| panic!("a `{model}` row is stored: {e}"));
            }
            let outcome = conn
                .execute(&update_state(&chain.model, &pair.1), [])
                .map(|_| ())
                .map_err(|e| e.to_string());
            let state: String = conn
                .query_row(
                    &format!(
                        "SELECT {} FROM {}",
                        quote(ir::STATE_FIELD),
                        quote(&chain.model)
                    ),
                    [],
                    |row| row.get(0),
                )
                .expect("the row reads");
            let expected = if pair.2.is_some() { &pair.0 } else { &pair.1 };
            if &state != expected {
                complaints.push(format!(
                    "SQLite, `{}`: the row is in `{state}`",
                    chain.model
                ));
            }
            // The change capture logs an allowed change, and nothing for a refused one.
            let updates: i64 = conn
                .query_row(
                    "SELECT count(*) FROM \"_sheplang_change\" WHERE \"kind\" = 'updated'",
                    [],
                    |row| row.get(0),
                )
                .expect("the change table reads");
            if updates != i64::from(pair.2.is_none()) {
                complaints.push(format!(
                    "SQLite, `{}` {} -> {}: {updates} changes logged",
                    chain.model, pair.0, pair.1
                ));
            }
            conn.execute_batch("ROLLBACK TO one_case; RELEASE one_case")
                .expect("a rollback");
            complaints.extend(judge_transition(Dialect::Sqlite, &chain, pair, outcome));
            runs += 1;
        }
    }
    assert!(complaints.is_empty(), "{}", complaints.join("\n"));
    assert!(runs >= 40, "every pair ran ({runs})");
}

#[test]
fn postgres_refuses_every_transition_the_chain_does_not_allow() {
    let pg = Postgres::start();
    let mut complaints = Vec::new();
    let mut runs = 0;
    for (i, chain) in chains().iter().enumerate() {
        // With the change capture: the keywords specs' `data` is wider than one
        // `json_build_object` call can take (100 arguments), so its rows are built in parts.
        let schema = pg.schema_with(&format!("transitions_{i}"), &chain.spec);
        for pair in &chain.pairs {
            let inserts: Vec<String> = rows_in(&chain.spec, &chain.model, &pair.0)
                .iter()
                .map(|(model, row)| pg_insert(model, row))
                .collect();
            // An allowed move is in the row and in the change table (a refused one fails at the
            // update, before these checks).
            let script = format!(
                "{}\n{};\n\
                 DO $$ BEGIN IF (SELECT {col} FROM {table}) <> '{to}' THEN RAISE EXCEPTION 'not moved'; END IF; END $$;\n\
                 DO $$ BEGIN IF (SELECT count(*) FROM \"_sheplang_change\" WHERE \"kind\" = 'updated') <> 1 \
                 THEN RAISE EXCEPTION 'the move was not captured'; END IF; END $$;\n\
                 {same_decoded}\nROLLBACK;",
                inserts.join("\n"),
                update_state(&chain.model, &pair.1),
                col = quote(ir::STATE_FIELD),
                table = quote(&chain.model),
                to = pair.1,
                same_decoded = same_decoded(&chain.model),
            );
            complaints.extend(judge_transition(
                Dialect::Postgres,
                chain,
                pair,
                pg.run(&schema.name, &script),
            ));
            runs += 1;
        }
    }
    assert!(complaints.is_empty(), "{}", complaints.join("\n"));
    assert!(runs >= 40, "every pair ran ({runs})");
}

/// A check that capture by logical decoding records the row of `model`'s table as its trigger
/// did: the table's apply function, given the row's columns, writes the same JSON as the
/// trigger's `updated` change (the row, and as the row before, the same row).
fn same_decoded(model: &str) -> String {
    format!(
        "DO $$ DECLARE by_trigger \"_sheplang_change\"; decoded \"_sheplang_change\"; BEGIN\n  \
         SELECT * INTO by_trigger FROM \"_sheplang_change\" WHERE \"kind\" = 'updated';\n  \
         PERFORM {apply}((SELECT jsonb_build_array(jsonb_build_object('k', 'u', 'n', to_jsonb(r), 'o', to_jsonb(r)))\n    \
         FROM {table} AS r));\n  \
         SELECT * INTO decoded FROM \"_sheplang_change\" WHERE \"kind\" = 'updated' ORDER BY \"seq\" DESC LIMIT 1;\n  \
         IF decoded.\"seq\" <> by_trigger.\"seq\" + 1 OR decoded.\"row_id\" <> by_trigger.\"row_id\"\n    \
         OR decoded.\"payload\"::jsonb <> by_trigger.\"payload\"::jsonb\n    \
         OR decoded.\"before\"::jsonb <> by_trigger.\"payload\"::jsonb THEN\n    \
         RAISE EXCEPTION 'decoded % (before %), the trigger wrote %', decoded.\"payload\", decoded.\"before\", by_trigger.\"payload\";\n  \
         END IF;\n\
         END $$;",
        apply = quote(&format!("{model}_capture_apply")),
        table = quote(model),
    )
}

/// The workflow cases of `corpus/transitions/cases.json` that move the row: `(spec, model,
/// row in `from`, to)`. The databases do not know the event; each move it makes must be a
/// change their triggers accept.
fn event_moves() -> Vec<(ir::Spec, String, serde_json::Map<String, Value>, String)> {
    let path = common::repo_root().join("corpus/transitions/cases.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let json: Value = serde_json::from_str(&text).expect("cases.json is JSON");
    let mut out = Vec::new();
    for case in json["events"].as_array().expect("the event cases") {
        let (Some(to), Some(from)) = (case["to"].as_str(), case["from"].as_str()) else {
            continue;
        };
        let spec_name = case["spec"].as_str().expect("a spec");
        let model = case["model"].as_str().expect("a model").to_owned();
        let path = common::project_dir("accept").join(spec_name);
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        let spec = compile(spec_name, &text);
        let mut row = case["row"].as_object().expect("a row").clone();
        row.insert("id".into(), Value::String("r-1".into()));
        row.insert(ir::STATE_FIELD.into(), Value::String(from.into()));
        out.push((spec, model, row, to.to_owned()));
    }
    assert!(
        out.len() >= 5,
        "the moving event cases are there ({})",
        out.len()
    );
    out
}

#[test]
fn sqlite_accepts_every_move_of_the_workflow_cases() {
    let mut complaints = Vec::new();
    for (spec, model, row, to) in event_moves() {
        let conn = sqlite(&spec);
        sqlite_insert(&conn, &model, &row)
            .unwrap_or_else(|e| panic!("a `{model}` row is stored: {e}"));
        if let Err(e) = conn.execute(&update_state(&model, &to), []) {
            complaints.push(format!(
                "SQLite, `{model}` {} -> {to}: {e}",
                row[ir::STATE_FIELD]
            ));
        }
    }
    assert!(complaints.is_empty(), "{}", complaints.join("\n"));
}

#[test]
fn postgres_accepts_every_move_of_the_workflow_cases() {
    let pg = Postgres::start();
    let mut complaints = Vec::new();
    for (i, (spec, model, row, to)) in event_moves().into_iter().enumerate() {
        let schema = pg.schema_with(&format!("workflow_{i}"), &spec);
        let script = format!(
            "{}\n{};\nROLLBACK;",
            pg_insert(&model, &row),
            update_state(&model, &to)
        );
        if let Err(e) = pg.run(&schema.name, &script) {
            complaints.push(format!(
                "PostgreSQL, `{model}` {} -> {to}: {e}",
                row[ir::STATE_FIELD]
            ));
        }
    }
    assert!(complaints.is_empty(), "{}", complaints.join("\n"));
}
