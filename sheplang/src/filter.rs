//! Filtered subscriptions (`docs/wire.md`, "Filtered subscriptions"): equality on one or more
//! of a model's single-value fields.
//!
//! A client sends `subscribe("task", { filter: { teamId: "t-1" } }, ack)`; a server checks the
//! object against the model's [`FilterField`]s ([`Channel::filter_fields`], generated from the
//! spec) with [`Filter::parse`] and keeps the [`Filter`], which decides per row
//! ([`Filter::matches`]). A host builds one in code from the generated typed filter
//! (`TaskFilter { team_id: Some(..), ..Default::default() }.into()`).

use core::fmt;

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Value};

use crate::error::truncate_to;

/// The most fields a filter may name.
pub const MAX_FILTER_FIELDS: usize = 16;

/// What a filterable field holds on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FilterKind {
    /// A string: the id, the text-like types, `date`, `datetime`, `money`, `ref[X]`.
    Text,
    /// A number.
    Number,
    /// `yes/no`: a boolean.
    Bool,
}

impl FilterKind {
    /// What a filter value of this kind is, for an error message.
    fn expected(self) -> &'static str {
        match self {
            FilterKind::Text => "a string",
            FilterKind::Number => "a number",
            FilterKind::Bool => "true or false",
        }
    }

    fn fits(self, value: &Value) -> bool {
        matches!(
            (self, value),
            (FilterKind::Text, Value::String(_))
                | (FilterKind::Number, Value::Number(_))
                | (FilterKind::Bool, Value::Bool(_))
        )
    }
}

/// One field of a model that a filter may name: its spec name (the JSON key), what it holds,
/// and whether it may be absent or `null`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FilterField {
    /// The spec's name, the row's JSON key (`teamId`).
    pub name: &'static str,
    /// What it holds.
    pub kind: FilterKind,
    /// Marked `optional`: a filter may ask for `null` (absent or `null` on the row).
    pub optional: bool,
}

impl FilterField {
    /// A field; for the generated code.
    pub const fn new(name: &'static str, kind: FilterKind, optional: bool) -> Self {
        FilterField {
            name,
            kind,
            optional,
        }
    }
}

/// A filter that breaks the rules of `docs/wire.md`; its text is the wire error
/// (`invalid filter: ...`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterError {
    message: String,
}

impl FilterError {
    fn new(message: String) -> Self {
        FilterError { message }
    }
}

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid filter: {}", self.message)
    }
}

impl std::error::Error for FilterError {}

/// A checked filter: field names with the value each must equal, all of which must hold.
///
/// Its fields are kept sorted by name, so two filters that name the same values are equal
/// (and hash alike) whatever order the client wrote them in. The empty filter matches every
/// row.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Filter {
    fields: Vec<(String, FilterValue)>,
}

/// A filter value: hashable (a number is kept as its JSON text and compared as a number).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum FilterValue {
    Null,
    Bool(bool),
    Text(String),
    /// The number's bits (`-0.0` as `0.0`), so that equal numbers are equal values.
    Number(u64),
}

impl FilterValue {
    fn from_json(value: &Value) -> Option<FilterValue> {
        Some(match value {
            Value::Null => FilterValue::Null,
            Value::Bool(b) => FilterValue::Bool(*b),
            Value::String(s) => FilterValue::Text(s.clone()),
            Value::Number(n) => FilterValue::Number(number_bits(n.as_f64()?)),
            Value::Array(_) | Value::Object(_) => return None,
        })
    }

    fn to_json(&self) -> Value {
        match self {
            FilterValue::Null => Value::Null,
            FilterValue::Bool(b) => Value::Bool(*b),
            FilterValue::Text(s) => Value::String(s.clone()),
            FilterValue::Number(bits) => serde_json::Number::from_f64(f64::from_bits(*bits))
                .map_or(Value::Null, Value::Number),
        }
    }

    /// The row's value (`None`: the key is absent) equals this one.
    fn matches(&self, value: Option<&Value>) -> bool {
        match (self, value) {
            (FilterValue::Null, None | Some(Value::Null)) => true,
            (FilterValue::Bool(b), Some(Value::Bool(v))) => b == v,
            (FilterValue::Text(s), Some(Value::String(v))) => s == v,
            (FilterValue::Number(bits), Some(Value::Number(v))) => {
                v.as_f64().is_some_and(|v| number_bits(v) == *bits)
            }
            _ => false,
        }
    }
}

/// A value in the form a filter compares it, hashable: what a filter names for a field, or what
/// a row holds there. A filter's value matches a row's exactly when their keys are equal, so a
/// server can index its subscriptions by the values their filters name and find those a row may
/// match without asking each one ([`Filter::keys`], [`FilterKey::of_row`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FilterKey(FilterValue);

impl FilterKey {
    /// The key of a row's value for a field (`None`: the key is absent, which matches a filter
    /// that asks for `null`). An array or an object matches no filter: no key.
    pub fn of_row(value: Option<&Value>) -> Option<FilterKey> {
        match value {
            None => Some(FilterKey(FilterValue::Null)),
            Some(value) => FilterValue::from_json(value).map(FilterKey),
        }
    }
}

fn number_bits(n: f64) -> u64 {
    if n == 0.0 {
        0.0f64.to_bits()
    } else {
        n.to_bits()
    }
}

/// How a JSON value is called in an error message.
fn describe(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

impl Filter {
    /// The empty filter: every row.
    pub fn all() -> Self {
        Filter::default()
    }

    /// Checks a client's `filter` object against the fields of model `model` (its name, for
    /// the messages): every key a filterable field, every value of its type (`null` only for an
    /// optional field), at most [`MAX_FILTER_FIELDS`] keys.
    ///
    /// # Errors
    /// A [`FilterError`] naming the first problem, with what to send instead.
    pub fn parse(
        model: &str,
        fields: &[FilterField],
        value: &Value,
    ) -> Result<Filter, FilterError> {
        let Value::Object(object) = value else {
            return Err(FilterError::new(format!(
                "expected an object of field values, got {}; send {{ \"<field>\": <value>, ... }}",
                describe(value)
            )));
        };
        if object.len() > MAX_FILTER_FIELDS {
            return Err(FilterError::new(format!(
                "{} fields, more than the {MAX_FILTER_FIELDS} a filter may name; filter on fewer",
                object.len()
            )));
        }
        let mut checked = Vec::with_capacity(object.len());
        for (name, value) in object {
            let Some(field) = fields.iter().find(|f| f.name == name) else {
                let names: Vec<String> = fields.iter().map(|f| format!("`{}`", f.name)).collect();
                return Err(FilterError::new(format!(
                    "`{}` is not a field of `{model}` that can be filtered on; use one of {}",
                    truncate_to(name, 64),
                    names.join(", ")
                )));
            };
            let fits = field.kind.fits(value) || (field.optional && value.is_null());
            let filter_value = FilterValue::from_json(value).filter(|_| fits);
            let Some(filter_value) = filter_value else {
                let null = if field.optional { " or null" } else { "" };
                return Err(FilterError::new(format!(
                    "`{}` of `{model}` takes {}{null}, not {}",
                    field.name,
                    field.kind.expected(),
                    describe(value)
                )));
            };
            checked.push((field.name.to_owned(), filter_value));
        }
        checked.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(Filter { fields: checked })
    }

    /// A filter from field values already known to fit (the typed filters' conversion).
    #[doc(hidden)]
    pub fn from_checked(fields: impl IntoIterator<Item = (&'static str, Value)>) -> Self {
        let mut fields: Vec<(String, FilterValue)> = fields
            .into_iter()
            .filter_map(|(name, value)| Some((name.to_owned(), FilterValue::from_json(&value)?)))
            .collect();
        fields.sort_by(|a, b| a.0.cmp(&b.0));
        Filter { fields }
    }

    /// No field named: every row matches.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// The value the filter asks `field` to equal, as JSON (`None` when it does not name it).
    /// An authorize hook reads it: `filter.get("teamId") == Some(json!(team))`.
    pub fn get(&self, field: &str) -> Option<Value> {
        self.fields
            .iter()
            .find(|(name, _)| name == field)
            .map(|(_, value)| value.to_json())
    }

    /// The string the filter asks `field` to equal, if it names it with a string.
    pub fn get_str(&self, field: &str) -> Option<&str> {
        self.fields.iter().find_map(|(name, value)| match value {
            FilterValue::Text(s) if name == field => Some(s.as_str()),
            _ => None,
        })
    }

    /// The names of the fields it names, sorted.
    pub fn fields(&self) -> impl Iterator<Item = &str> {
        self.fields.iter().map(|(name, _)| name.as_str())
    }

    /// The fields it names with the key of the value each must equal, sorted by name: a row
    /// matches only if, for every one, [`FilterKey::of_row`] of its value is that key.
    pub fn keys(&self) -> impl Iterator<Item = (&str, FilterKey)> {
        self.fields
            .iter()
            .map(|(name, value)| (name.as_str(), FilterKey(value.clone())))
    }

    /// True when `row` (a row as JSON: an object keyed by the spec's field names) holds every
    /// value the filter names. Anything but an object matches only the empty filter.
    pub fn matches(&self, row: &Value) -> bool {
        match row {
            Value::Object(row) => self.matches_object(row),
            _ => self.is_empty(),
        }
    }

    /// [`matches`](Self::matches) on a row's JSON object.
    pub fn matches_object(&self, row: &Map<String, Value>) -> bool {
        self.fields
            .iter()
            .all(|(name, value)| value.matches(row.get(name)))
    }
}

impl Serialize for Filter {
    /// The wire form: `{ "field": value, ... }`.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.fields.len()))?;
        for (name, value) in &self.fields {
            map.serialize_entry(name, &value.to_json())?;
        }
        map.end()
    }
}

impl fmt::Display for Filter {
    /// The wire form as JSON.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = serde_json::to_string(self).map_err(|_| fmt::Error)?;
        f.write_str(&text)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const FIELDS: &[FilterField] = &[
        FilterField::new("id", FilterKind::Text, false),
        FilterField::new("teamId", FilterKind::Text, false),
        FilterField::new("done", FilterKind::Bool, false),
        FilterField::new("priority", FilterKind::Number, true),
    ];

    fn parse(value: Value) -> Result<Filter, String> {
        Filter::parse("Task", FIELDS, &value).map_err(|e| e.to_string())
    }

    #[test]
    fn matches_every_named_value() {
        let filter = parse(json!({ "teamId": "t-1", "done": false })).unwrap();
        assert!(filter.matches(&json!({ "id": "a", "teamId": "t-1", "done": false })));
        assert!(!filter.matches(&json!({ "id": "a", "teamId": "t-1", "done": true })));
        assert!(!filter.matches(&json!({ "id": "a", "teamId": "t-2", "done": false })));
        assert!(!filter.matches(&json!({ "id": "a", "done": false })));
        assert!(!filter.matches(&json!("a")));
    }

    #[test]
    fn numbers_compare_as_numbers_and_null_matches_absent() {
        let filter = parse(json!({ "priority": 2 })).unwrap();
        assert!(filter.matches(&json!({ "priority": 2.0 })));
        assert!(!filter.matches(&json!({ "priority": "2" })));
        let null = parse(json!({ "priority": null })).unwrap();
        assert!(null.matches(&json!({ "id": "a" })));
        assert!(null.matches(&json!({ "priority": null })));
        assert!(!null.matches(&json!({ "priority": 0 })));
    }

    #[test]
    fn the_order_of_the_keys_does_not_matter() {
        assert_eq!(
            parse(json!({ "teamId": "t", "done": true })).unwrap(),
            parse(json!({ "done": true, "teamId": "t" })).unwrap()
        );
        assert!(parse(json!({})).unwrap().is_empty());
    }

    #[test]
    fn bad_filters_are_named() {
        assert_eq!(
            parse(json!({ "colour": "red" })).unwrap_err(),
            "invalid filter: `colour` is not a field of `Task` that can be filtered on; \
             use one of `id`, `teamId`, `done`, `priority`"
        );
        assert_eq!(
            parse(json!({ "done": "yes" })).unwrap_err(),
            "invalid filter: `done` of `Task` takes true or false, not a string"
        );
        assert_eq!(
            parse(json!({ "teamId": null })).unwrap_err(),
            "invalid filter: `teamId` of `Task` takes a string, not null"
        );
        assert_eq!(
            parse(json!({ "priority": [1] })).unwrap_err(),
            "invalid filter: `priority` of `Task` takes a number or null, not an array"
        );
        assert_eq!(
            parse(json!([1])).unwrap_err(),
            "invalid filter: expected an object of field values, got an array; \
             send { \"<field>\": <value>, ... }"
        );
        let many: Map<String, Value> = (0..17).map(|i| (format!("f{i}"), json!(1))).collect();
        assert!(
            parse(Value::Object(many))
                .unwrap_err()
                .starts_with("invalid filter: 17 fields")
        );
    }

    #[test]
    fn keys_are_equal_exactly_when_the_value_matches() {
        let filters = [
            json!({ "priority": 2 }),
            json!({ "priority": -0.0 }),
            json!({ "priority": null }),
            json!({ "teamId": "t-1" }),
            json!({ "teamId": "2" }),
            json!({ "done": false }),
        ];
        let values = [
            None,
            Some(json!(null)),
            Some(json!(2)),
            Some(json!(2.0)),
            Some(json!(0)),
            Some(json!("2")),
            Some(json!("t-1")),
            Some(json!(false)),
            Some(json!(0)),
            Some(json!([2])),
            Some(json!({ "a": 2 })),
        ];
        for filter in filters {
            let filter = parse(filter).unwrap();
            let (name, key) = filter.keys().next().unwrap();
            let name = name.to_owned();
            for value in &values {
                let mut row = Map::new();
                if let Some(value) = value {
                    row.insert(name.clone(), value.clone());
                }
                assert_eq!(
                    filter.matches_object(&row),
                    FilterKey::of_row(value.as_ref()).as_ref() == Some(&key),
                    "{filter} against {value:?}"
                );
            }
        }
    }

    #[test]
    fn reads_back_as_the_wire_form() {
        let filter = parse(json!({ "teamId": "t-1", "priority": 3 })).unwrap();
        assert_eq!(filter.get_str("teamId"), Some("t-1"));
        assert_eq!(filter.get("priority"), Some(json!(3.0)));
        assert_eq!(filter.to_string(), r#"{"priority":3.0,"teamId":"t-1"}"#);
    }
}
