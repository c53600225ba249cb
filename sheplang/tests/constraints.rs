//! The constraint cases shared with the TypeScript validator (`corpus/constraints/cases.json`):
//! each row must give exactly its violations (field, rule, message) from the generated
//! `validate()`.

use serde_json::Value;

mod spec {
    sheplang::sheplang! { file = "../corpus/constraints/constraints.shep" }
}

const CASES: &str = include_str!("../../corpus/constraints/cases.json");

#[test]
fn every_case_gives_its_violations() {
    let file: Value = serde_json::from_str(CASES).expect("cases.json is JSON");
    assert_eq!(file["model"], "Profile");
    let cases = file["cases"].as_array().expect("a list of cases");
    assert!(cases.len() > 30, "the cases are all there");
    let mut failures = Vec::new();
    for case in cases {
        let name = case["name"].as_str().expect("a name");
        let mut row = file["valid"].clone();
        for (key, value) in case["set"].as_object().expect("`set` is an object") {
            row[key] = value.clone();
        }
        let profile: spec::Profile = match serde_json::from_value(row) {
            Ok(profile) => profile,
            Err(e) => panic!("{name}: the row does not fit the model: {e}"),
        };
        let found: Vec<Value> = match profile.validate() {
            Ok(()) => Vec::new(),
            Err(violations) => violations
                .iter()
                .map(|v| serde_json::to_value(v).expect("serialisable"))
                .collect(),
        };
        let expected = case["violations"].as_array().expect("a list of violations");
        if &found != expected {
            failures.push(format!(
                "{name}:\n  expected {}\n  found    {}",
                Value::from(expected.clone()),
                Value::from(found)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn violations_read_as_one_error() {
    let profile = spec::Profile {
        id: "p-1".into(),
        display_name: " ".into(),
        nickname: None,
        bio: String::new(),
        age: 200.0,
        balance: "1".parse().expect("a decimal"),
        contact: "ann@example.org".into(),
        backup: None,
        code: "ABC-1".into(),
        tags: vec!["a".into()],
        handle: "ann".into(),
        owner: None,
    };
    let violations = profile.validate().expect_err("two violations");
    assert_eq!(
        violations.to_string(),
        "`displayName` must contain a visible character; `displayName` must be at least 2 \
         characters long; `age` must be at most 150"
    );
    assert_eq!(
        serde_json::to_value(&violations).expect("serialisable")[2],
        serde_json::json!({ "field": "age", "rule": "max", "message": "must be at most 150" })
    );
    assert_eq!(spec::Profile::RULES.len(), 8, "only the constrained fields");
}
