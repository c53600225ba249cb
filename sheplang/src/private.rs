//! What generated code needs at run time. Not a public API: names and signatures here change
//! with the generator, which is always the same version as this crate.

pub use core;
pub use serde;
pub use serde_json;
pub use std;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::truncate;
pub use crate::row_de::{Fields, Row, row};
use crate::{ConnectedInfo, EventError, ModelEventKind};

/// `[model, row]`, the arguments of `model_created` / `model_updated`.
pub fn row_args<T: Serialize + ?Sized>(
    model: &'static str,
    row: &T,
) -> Result<Vec<Value>, serde_json::Error> {
    Ok(vec![
        Value::String(model.to_owned()),
        serde_json::to_value(row)?,
    ])
}

/// `[model, id]`, the arguments of `model_deleted`.
pub fn id_args(model: &'static str, id: &str) -> Vec<Value> {
    vec![
        Value::String(model.to_owned()),
        Value::String(id.to_owned()),
    ]
}

/// `[message]` or `[message, data]`, the arguments of `notification`.
pub fn notification_args(message: &str, data: Option<&Value>) -> Vec<Value> {
    let mut args = vec![Value::String(message.to_owned())];
    if let Some(data) = data {
        args.push(data.clone());
    }
    args
}

/// `[{ app, fingerprint }]`, the argument of `connected`.
pub fn connected_args(info: &ConnectedInfo) -> Vec<Value> {
    let mut object = serde_json::Map::new();
    object.insert("app".to_owned(), Value::String(info.app.clone()));
    object.insert(
        "fingerprint".to_owned(),
        Value::String(info.fingerprint.clone()),
    );
    vec![Value::Object(object)]
}

/// A server-to-client event split by shape, before the model name is resolved.
#[derive(Debug)]
pub enum RawServerEvent<'a> {
    /// `model_*(model, payload)`.
    Model {
        /// Which event.
        kind: ModelEventKind,
        /// The model name argument.
        model: &'a str,
        /// The row, or the id for a delete.
        payload: &'a Value,
    },
    /// `notification(message, data?)`.
    Notification {
        /// The message.
        message: String,
        /// The optional data.
        data: Option<Value>,
    },
    /// `connected(info)`.
    Connected(ConnectedInfo),
}

/// Splits `(event, args)` by the protocol's shapes.
pub fn split_server_event<'a>(
    event: &str,
    args: &'a [Value],
) -> Result<RawServerEvent<'a>, EventError> {
    if let Some(kind) = ModelEventKind::from_event_name(event) {
        let name = kind.event_name();
        let model = match args.first() {
            Some(Value::String(model)) => model.as_str(),
            _ => return Err(invalid(name, "the first argument must be the model name")),
        };
        let Some(payload) = args.get(1) else {
            return Err(invalid(name, "the second argument is missing"));
        };
        return Ok(RawServerEvent::Model {
            kind,
            model,
            payload,
        });
    }
    match event {
        "notification" => {
            let message = match args.first() {
                Some(Value::String(message)) => message.clone(),
                _ => return Err(invalid("notification", "the message must be a string")),
            };
            Ok(RawServerEvent::Notification {
                message,
                data: args.get(1).filter(|v| !v.is_null()).cloned(),
            })
        }
        "connected" => {
            let info = args
                .first()
                .ok_or_else(|| {
                    invalid(
                        "connected",
                        "the `{ app, fingerprint }` argument is missing",
                    )
                })
                .and_then(|v| {
                    ConnectedInfo::deserialize_value(v)
                        .map_err(|e| invalid("connected", &e.to_string()))
                })?;
            Ok(RawServerEvent::Connected(info))
        }
        other => Err(EventError::UnknownEvent(truncate(other))),
    }
}

impl ConnectedInfo {
    fn deserialize_value(value: &Value) -> Result<Self, serde_json::Error> {
        <ConnectedInfo as serde::Deserialize>::deserialize(value)
    }
}

/// Deserialises the payload of a model event.
pub fn payload<T: DeserializeOwned>(kind: ModelEventKind, value: &Value) -> Result<T, EventError> {
    T::deserialize(value).map_err(|e| invalid(kind.event_name(), &e.to_string()))
}

fn invalid(event: &'static str, message: &str) -> EventError {
    EventError::InvalidArguments {
        event,
        message: message.to_owned(),
    }
}

/// Reads a string-like enum (`Channel`, `ModelName`, a lifecycle) from its string: the index of
/// that string in `names`, the enum's `NAMES` (in the order of its `ALL`). Any other string is
/// serde's `unknown variant` error, as a derived `Deserialize` gives. One generic function for
/// every such enum, in place of a derived visitor per enum: the generated code stays small.
///
/// # Errors
/// Anything but a string, or a string not in `names`.
pub fn name_index<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
    names: &'static [&'static str],
) -> Result<usize, D::Error> {
    deserializer.deserialize_str(NameVisitor(names))
}

struct NameVisitor(&'static [&'static str]);

impl serde::de::Visitor<'_> for NameVisitor {
    type Value = usize;

    fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("variant identifier")
    }

    fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<usize, E> {
        self.0
            .iter()
            .position(|name| *name == s)
            .ok_or_else(|| E::unknown_variant(s, self.0))
    }

    fn visit_bytes<E: serde::de::Error>(self, bytes: &[u8]) -> Result<usize, E> {
        match core::str::from_utf8(bytes) {
            Ok(s) => self.visit_str(s),
            Err(_) => Err(E::invalid_value(serde::de::Unexpected::Bytes(bytes), &self)),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde::de::IntoDeserializer as _;
    use serde::de::value::{Error, StrDeserializer};

    use super::name_index;

    const NAMES: &[&str] = &["todo", "in_progress", "done"];

    fn index(value: &serde_json::Value) -> Result<usize, String> {
        name_index(value, NAMES).map_err(|e| e.to_string())
    }

    #[test]
    fn a_name_reads_as_its_index_and_anything_else_is_serdes_error() {
        assert_eq!(index(&serde_json::json!("in_progress")), Ok(1));
        assert_eq!(
            index(&serde_json::json!("doing")),
            Err("unknown variant `doing`, expected one of `todo`, `in_progress`, `done`".into())
        );
        assert_eq!(
            index(&serde_json::json!(3)),
            Err("invalid type: integer `3`, expected variant identifier".into())
        );
        let borrowed: StrDeserializer<'_, Error> = "done".into_deserializer();
        assert_eq!(name_index(borrowed, NAMES), Ok(2));
    }
}
