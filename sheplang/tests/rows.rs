//! A generated row's `Deserialize` (written out, through `sheplang::__private::row`) reads
//! exactly what serde's derived `Deserialize` of the same struct reads: the same rows from the
//! same input, and the same error, message for message. Each input goes through both, as a
//! JSON text and as a `serde_json::Value`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

mod spec {
    sheplang::sheplang! {
        app Rows {
            data Task {
                fields: {
                    title: text
                    dueDate: date optional
                    estimate: number
                    tags: text[]
                    price: money optional
                    parent: ref[Task] optional
                    done: yes/no default=false
                }
                states: todo -> doing -> done
            }
            data Note {
                fields: { id: id  text: text optional }
            }
        }
    }
}

/// The row structs the generator wrote before, with serde's derive: the reference. Named as
/// the generated ones, for serde's messages name the struct.
mod derived {
    use serde::{Deserialize, Serialize};

    use super::spec;

    /// `Task`, derived.
    #[derive(Debug, Serialize, Deserialize)]
    pub struct Task {
        pub id: String,
        pub title: String,
        #[serde(rename = "dueDate")]
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub due_date: Option<String>,
        pub estimate: f64,
        pub tags: Vec<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub price: Option<sheplang::Money>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub parent: Option<sheplang::Ref<spec::Task>>,
        pub done: bool,
        #[serde(default)]
        pub status: spec::TaskState,
    }

    /// `Note`, derived: one required field and one optional.
    #[derive(Debug, Serialize, Deserialize)]
    pub struct Note {
        pub id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub text: Option<String>,
    }
}

/// A result as JSON (the row) or as the error's message, for comparing.
fn outcome<T: Serialize, E: std::fmt::Display>(result: Result<T, E>) -> Result<Value, String> {
    result
        .map(|row| serde_json::to_value(row).expect("a row serialises"))
        .map_err(|e| e.to_string())
}

/// Reads `json` as both structs, from the text and from a `Value`, and checks they agree;
/// returns the generated row's outcome (from the text).
fn both<G, D>(json: &str) -> Result<Value, String>
where
    G: Serialize + for<'de> Deserialize<'de>,
    D: Serialize + for<'de> Deserialize<'de>,
{
    let generated = outcome(serde_json::from_str::<G>(json));
    assert_eq!(
        generated,
        outcome(serde_json::from_str::<D>(json)),
        "from the text {json}"
    );
    if let Ok(value) = serde_json::from_str::<Value>(json) {
        assert_eq!(
            outcome(serde_json::from_value::<G>(value.clone())),
            outcome(serde_json::from_value::<D>(value.clone())),
            "from the value {json}"
        );
        assert_eq!(
            outcome(G::deserialize(&value)),
            outcome(D::deserialize(&value)),
            "borrowed from the value {json}"
        );
    }
    generated
}

fn task(json: &str) -> Result<Value, String> {
    both::<spec::Task, derived::Task>(json)
}

fn note(json: &str) -> Result<Value, String> {
    both::<spec::Note, derived::Note>(json)
}

const FULL: &str = r#"{"id":"t-1","title":"Write","dueDate":"2026-12-01","estimate":2.5,
    "tags":["a","b"],"price":"12.50","parent":"t-0","done":true,"status":"doing"}"#;

#[test]
fn a_whole_row_reads_as_the_derive_reads_it() {
    let row = task(FULL).expect("a valid row");
    assert_eq!(row["status"], "doing");
    assert_eq!(row["price"], "12.50");
    let parsed: spec::Task = serde_json::from_str(FULL).expect("a valid row");
    assert_eq!(parsed.due_date.as_deref(), Some("2026-12-01"));
    assert_eq!(parsed.status, spec::TaskState::Doing);
}

#[test]
fn missing_optional_fields_are_none_and_a_missing_state_is_the_initial_one() {
    let row = task(r#"{"id":"t-1","title":"Write","estimate":1,"tags":[],"done":false}"#)
        .expect("the required fields are enough");
    assert_eq!(row.get("dueDate"), None);
    assert_eq!(row["status"], "todo");
    // `null` for an optional field is `None` too.
    let row = task(
        r#"{"id":"t","title":"","estimate":0,"tags":[],"done":false,"dueDate":null,"price":null}"#,
    )
    .expect("null is None");
    assert_eq!(row.get("dueDate"), None);
    assert_eq!(row.get("price"), None);
}

#[test]
fn a_missing_required_field_is_serdes_error_for_the_first_one_in_struct_order() {
    let error = task(r#"{"id":"t-1","estimate":1,"done":false}"#).expect_err("no title");
    assert!(error.starts_with("missing field `title`"), "{error}");
    assert_eq!(
        note("{}").expect_err("no id"),
        "missing field `id` at line 1 column 2"
    );
}

#[test]
fn a_key_given_twice_is_serdes_duplicate_field_error() {
    let error = task(r#"{"id":"a","title":"x","title":"y","estimate":1,"tags":[],"done":false}"#)
        .expect_err("a duplicate key");
    assert!(error.starts_with("duplicate field `title`"), "{error}");
    let error = note(r#"{"id":"a","text":null,"text":"b"}"#).expect_err("twice, even after null");
    assert!(error.starts_with("duplicate field `text`"), "{error}");
}

#[test]
fn unknown_keys_are_skipped_whatever_their_values() {
    let row =
        note(r#"{"extra":{"deep":[1,2,{"x":null}]},"id":"n-1","Text":"case matters","text":"t"}"#)
            .expect("unknown keys are ignored");
    assert_eq!(row, serde_json::json!({ "id": "n-1", "text": "t" }));
}

#[test]
fn a_value_of_another_type_is_the_fields_own_error() {
    for json in [
        r#"{"id":1,"title":"x","estimate":1,"tags":[],"done":false}"#,
        r#"{"id":"a","title":"x","estimate":"1","tags":[],"done":false}"#,
        r#"{"id":"a","title":"x","estimate":1,"tags":[1],"done":false}"#,
        r#"{"id":"a","title":"x","estimate":1,"tags":[],"done":false,"price":12.5}"#,
        r#"{"id":"a","title":"x","estimate":1,"tags":[],"done":false,"status":"gone"}"#,
        r#"{"id":"a","title":"x","estimate":1,"tags":[],"done":"no"}"#,
        r#"{"id":"a","title":null,"estimate":1,"tags":[],"done":false}"#,
    ] {
        task(json).expect_err("a wrong type");
    }
}

#[test]
fn anything_but_an_object_or_an_array_is_refused_as_the_derive_refuses_it() {
    for json in ["\"t-1\"", "3", "null", "true"] {
        let error = task(json).expect_err("not a row");
        assert!(error.contains("expected struct Task"), "{error}");
    }
}

#[test]
fn an_array_is_read_field_by_field_and_a_short_one_is_serdes_invalid_length() {
    let row = note(r#"["n-1","t"]"#).expect("both fields");
    assert_eq!(row, serde_json::json!({ "id": "n-1", "text": "t" }));
    note(r#"["n-1"]"#).expect("the optional field may be left out");
    assert_eq!(
        note("[]").expect_err("no id"),
        "invalid length 0, expected struct Note with 2 elements at line 1 column 2"
    );
    task(r#"["t-1","Write",null,2.5,[],null,null,true,"done"]"#).expect("every field");
    task(r#"["t-1","Write",null,2.5,[],null,null,true]"#).expect("the state left out");
    let error = task(r#"["t-1","Write",null,2.5]"#).expect_err("no tags");
    assert!(
        error.starts_with("invalid length 4, expected struct Task with 9 elements"),
        "{error}"
    );
    task(r#"["t-1","Write",null,2.5,[],null,null,true,"done","extra"]"#)
        .expect_err("an element too many");
}
