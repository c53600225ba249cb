//! The protocol's events: typed model events, the client-to-server events, and the small wire
//! values around them.

use core::fmt;
use core::marker::PhantomData;

use serde::ser::SerializeTuple;
use serde::{Deserialize, Serialize, Serializer};
use serde_json::Value;

use crate::error::truncate;
use crate::{Channel, EventError, Model, Ref, Spec};

/// The longest channel string a server looks up; longer ones are `invalid channel`.
pub const MAX_CHANNEL_LEN: usize = 256;

/// Which of the three model events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ModelEventKind {
    /// `model_created`: a row was created.
    Created,
    /// `model_updated`: a row changed.
    Updated,
    /// `model_deleted`: a row was deleted.
    Deleted,
}

impl ModelEventKind {
    /// All three, in protocol order.
    pub const ALL: [ModelEventKind; 3] = [
        ModelEventKind::Created,
        ModelEventKind::Updated,
        ModelEventKind::Deleted,
    ];

    /// The Socket.IO event name (`model_created`, `model_updated`, `model_deleted`).
    pub const fn event_name(self) -> &'static str {
        match self {
            ModelEventKind::Created => "model_created",
            ModelEventKind::Updated => "model_updated",
            ModelEventKind::Deleted => "model_deleted",
        }
    }

    /// The kind of a Socket.IO event name, if it is one of the three.
    pub fn from_event_name(name: &str) -> Option<Self> {
        match name {
            "model_created" => Some(ModelEventKind::Created),
            "model_updated" => Some(ModelEventKind::Updated),
            "model_deleted" => Some(ModelEventKind::Deleted),
            _ => None,
        }
    }
}

impl fmt::Display for ModelEventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.event_name())
    }
}

enum Payload<'a> {
    Row,
    Id(&'a str),
}

/// A server-to-client model event, ready to send: the model type decides the room.
///
/// Built only from a row (or a typed id) of a [`Model`], never from a free channel, so a `Task`
/// event always goes to the room `"task"`:
///
/// - [`event_name`](Self::event_name): `model_created` / `model_updated` / `model_deleted`;
/// - [`room`](Self::room) / [`channel`](Self::channel): the model's channel;
/// - [`args`](Self::args): `("Task", row)` or, for a delete, `("Task", id)`. It serialises as a
///   tuple, which Socket.IO servers such as socketioxide send as separate event arguments.
///
/// ```text
/// let event = sheplang::created(&task);
/// io.to(event.room()).emit(event.event_name(), &event.args()).await?;
/// ```
pub struct ModelEvent<'a, M: Model> {
    kind: ModelEventKind,
    row: Option<&'a M>,
    payload: Payload<'a>,
}

/// `model_created` for `row`.
pub fn created<M: Model>(row: &M) -> ModelEvent<'_, M> {
    ModelEvent::new(ModelEventKind::Created, row)
}

/// `model_updated` for `row`.
pub fn updated<M: Model>(row: &M) -> ModelEvent<'_, M> {
    ModelEvent::new(ModelEventKind::Updated, row)
}

/// `model_deleted` for `row`: the event carries the row's id.
pub fn deleted<M: Model>(row: &M) -> ModelEvent<'_, M> {
    ModelEvent::new(ModelEventKind::Deleted, row)
}

impl<'a, M: Model> ModelEvent<'a, M> {
    /// An event of `kind` about `row` (a delete carries only its id).
    pub fn new(kind: ModelEventKind, row: &'a M) -> Self {
        let payload = match kind {
            ModelEventKind::Deleted => Payload::Id(row.id()),
            ModelEventKind::Created | ModelEventKind::Updated => Payload::Row,
        };
        ModelEvent {
            kind,
            row: Some(row),
            payload,
        }
    }

    /// `model_deleted` for the row with this id, when the row itself is gone.
    pub fn deleted_id(id: &'a Ref<M>) -> Self {
        ModelEvent {
            kind: ModelEventKind::Deleted,
            row: None,
            payload: Payload::Id(id.as_str()),
        }
    }

    /// Created, updated or deleted.
    pub fn kind(&self) -> ModelEventKind {
        self.kind
    }

    /// The Socket.IO event name.
    pub fn event_name(&self) -> &'static str {
        self.kind.event_name()
    }

    /// The model's channel.
    pub fn channel(&self) -> <M::Spec as Spec>::Channel {
        M::channel()
    }

    /// The room the event goes to: the channel string (`"task"`).
    pub fn room(&self) -> &'static str {
        M::channel().as_str()
    }

    /// The model name, the first argument (`"Task"`).
    pub fn model_name(&self) -> &'static str {
        M::NAME
    }

    /// The id of the row the event is about.
    pub fn id(&self) -> &'a str {
        match (&self.payload, self.row) {
            (Payload::Id(id), _) => id,
            (Payload::Row, Some(row)) => row.id(),
            (Payload::Row, None) => "",
        }
    }

    /// The event's arguments, serialising as the tuple `("Task", row)` or `("Task", id)`.
    pub fn args(&self) -> ModelEventArgs<'a, M> {
        ModelEventArgs {
            row: match self.payload {
                Payload::Row => self.row,
                Payload::Id(_) => None,
            },
            id: self.id(),
            model: PhantomData,
        }
    }

    /// The arguments as JSON values, one per Socket.IO argument.
    ///
    /// # Errors
    /// When the row's `Serialize` implementation fails (generated rows never do).
    pub fn to_values(&self) -> Result<Vec<Value>, serde_json::Error> {
        let second = match (&self.payload, self.row) {
            (Payload::Row, Some(row)) => serde_json::to_value(row)?,
            _ => Value::String(self.id().to_owned()),
        };
        Ok(vec![Value::String(M::NAME.to_owned()), second])
    }
}

impl<M: Model> Clone for ModelEvent<'_, M> {
    fn clone(&self) -> Self {
        ModelEvent {
            kind: self.kind,
            row: self.row,
            payload: match self.payload {
                Payload::Row => Payload::Row,
                Payload::Id(id) => Payload::Id(id),
            },
        }
    }
}

impl<M: Model> fmt::Debug for ModelEvent<'_, M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ModelEvent")
            .field("event", &self.event_name())
            .field("room", &self.room())
            .field("model", &M::NAME)
            .field("id", &self.id())
            .finish()
    }
}

/// The arguments of a [`ModelEvent`]: serialises as a 2-tuple, the model name then the row (or
/// the id, for a delete).
pub struct ModelEventArgs<'a, M: Model> {
    row: Option<&'a M>,
    id: &'a str,
    model: PhantomData<fn() -> M>,
}

impl<M: Model> Serialize for ModelEventArgs<'_, M> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut tuple = serializer.serialize_tuple(2)?;
        tuple.serialize_element(M::NAME)?;
        match self.row {
            Some(row) => tuple.serialize_element(row)?,
            None => tuple.serialize_element(self.id)?,
        }
        tuple.end()
    }
}

impl<M: Model> fmt::Debug for ModelEventArgs<'_, M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ModelEventArgs")
            .field("model", &M::NAME)
            .field("id", &self.id)
            .field("row", &self.row.is_some())
            .finish()
    }
}

/// Something that sends model events of one spec: a Socket.IO server, a test recorder.
///
/// Its one required method takes a [`ModelEvent`], which only a model type can make, and only
/// models of the emitter's own spec are accepted (`M: Model<Spec = Self::Spec>`): sending a
/// `Task` on the `user` channel, on a channel that does not exist, or a model of another spec,
/// does not compile.
pub trait Emitter {
    /// The spec whose models this emitter sends.
    type Spec: Spec;
    /// What can go wrong while sending.
    type Error;

    /// Sends `event` to its room ([`ModelEvent::room`]).
    ///
    /// # Errors
    /// Whatever the transport reports.
    fn emit<M: Model<Spec = Self::Spec>>(
        &self,
        event: ModelEvent<'_, M>,
    ) -> Result<(), Self::Error>;

    /// Sends `model_created` for `row`.
    ///
    /// # Errors
    /// As [`Emitter::emit`].
    fn created<M: Model<Spec = Self::Spec>>(&self, row: &M) -> Result<(), Self::Error> {
        self.emit(created(row))
    }

    /// Sends `model_updated` for `row`.
    ///
    /// # Errors
    /// As [`Emitter::emit`].
    fn updated<M: Model<Spec = Self::Spec>>(&self, row: &M) -> Result<(), Self::Error> {
        self.emit(updated(row))
    }

    /// Sends `model_deleted` for `row`.
    ///
    /// # Errors
    /// As [`Emitter::emit`].
    fn deleted<M: Model<Spec = Self::Spec>>(&self, row: &M) -> Result<(), Self::Error> {
        self.emit(deleted(row))
    }
}

/// A client-to-server event of a spec whose channel enum is `C`.
///
/// Generated code names it `ClientToServer` (`pub type ClientToServer =
/// sheplang::ClientEvent<Channel>`). The acknowledgement callback is Socket.IO's own and is not
/// among the arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClientEvent<C> {
    /// `subscribe(channel, ack?)`: join the channel's room.
    Subscribe(C),
    /// `unsubscribe(channel, ack?)`: leave the channel's room.
    Unsubscribe(C),
    /// `ping(ack)`: the server calls the ack.
    Ping,
}

impl<C: Channel> ClientEvent<C> {
    /// Every client-to-server event name.
    pub const NAMES: &'static [&'static str] = &["subscribe", "unsubscribe", "ping"];

    /// The Socket.IO event name.
    pub fn event_name(&self) -> &'static str {
        match self {
            ClientEvent::Subscribe(_) => "subscribe",
            ClientEvent::Unsubscribe(_) => "unsubscribe",
            ClientEvent::Ping => "ping",
        }
    }

    /// The channel of a subscribe or unsubscribe.
    pub fn channel(&self) -> Option<C> {
        match self {
            ClientEvent::Subscribe(c) | ClientEvent::Unsubscribe(c) => Some(*c),
            ClientEvent::Ping => None,
        }
    }

    /// The arguments as JSON values (without the acknowledgement): `[channel]` or `[]`.
    pub fn args(&self) -> Vec<Value> {
        match self.channel() {
            Some(c) => vec![Value::String(c.as_str().to_owned())],
            None => Vec::new(),
        }
    }

    /// Reads a client event from its name and JSON arguments (the acknowledgement excluded),
    /// as a server receives it. Anything malformed is an error value, never a panic.
    ///
    /// Extra arguments are ignored, as Socket.IO does.
    ///
    /// # Errors
    /// - [`EventError::UnknownEvent`] for a name that is not `subscribe`, `unsubscribe` or `ping`;
    /// - [`EventError::InvalidChannel`] for a channel that is missing, not a string, or longer
    ///   than [`MAX_CHANNEL_LEN`] bytes;
    /// - [`EventError::UnknownChannel`] for a string that is not a channel of the spec.
    pub fn parse(event: &str, args: &[Value]) -> Result<Self, EventError> {
        match event {
            "subscribe" => channel_arg(args.first()).map(ClientEvent::Subscribe),
            "unsubscribe" => channel_arg(args.first()).map(ClientEvent::Unsubscribe),
            "ping" => Ok(ClientEvent::Ping),
            other => Err(EventError::UnknownEvent(truncate(other))),
        }
    }
}

/// Reads a channel argument as the protocol says: `invalid channel` unless it is a string of
/// at most [`MAX_CHANNEL_LEN`] bytes, `unknown channel "x"` unless it is one of the spec's.
///
/// # Errors
/// [`EventError::InvalidChannel`] or [`EventError::UnknownChannel`], as above.
pub fn channel_arg<C: Channel>(value: Option<&Value>) -> Result<C, EventError> {
    match value {
        Some(Value::String(s)) if s.len() <= MAX_CHANNEL_LEN => Ok(s.parse::<C>()?),
        _ => Err(EventError::InvalidChannel),
    }
}

/// The acknowledgement of `subscribe` and `unsubscribe` (*addition* to the original protocol):
/// `{ "ok": true }` or `{ "ok": false, "error": "..." }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubscribeResult {
    /// `{ "ok": true }`
    Ok,
    /// `{ "ok": false, "error": message }`, where the message is one of `unknown channel "x"`,
    /// `invalid channel` or `not authorized`.
    Err(String),
}

impl SubscribeResult {
    /// The error message when the host's authorize hook refused (or failed).
    pub const NOT_AUTHORIZED: &'static str = "not authorized";

    /// `{ "ok": false, "error": "not authorized" }`.
    pub fn not_authorized() -> Self {
        SubscribeResult::Err(Self::NOT_AUTHORIZED.to_owned())
    }

    /// True for `{ "ok": true }`.
    pub fn is_ok(&self) -> bool {
        matches!(self, SubscribeResult::Ok)
    }
}

impl<T, E: fmt::Display> From<Result<T, E>> for SubscribeResult {
    fn from(result: Result<T, E>) -> Self {
        match result {
            Ok(_) => SubscribeResult::Ok,
            Err(e) => SubscribeResult::Err(e.to_string()),
        }
    }
}

#[derive(Serialize, Deserialize)]
struct SubscribeResultWire {
    ok: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

impl Serialize for SubscribeResult {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let wire = match self {
            SubscribeResult::Ok => SubscribeResultWire {
                ok: true,
                error: None,
            },
            SubscribeResult::Err(e) => SubscribeResultWire {
                ok: false,
                error: Some(e.clone()),
            },
        };
        wire.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for SubscribeResult {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let wire = SubscribeResultWire::deserialize(deserializer)?;
        Ok(if wire.ok {
            SubscribeResult::Ok
        } else {
            SubscribeResult::Err(wire.error.unwrap_or_default())
        })
    }
}

/// The argument of the `connected` event (*addition*): which spec the server was built from.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ConnectedInfo {
    /// [`Spec::APP`].
    pub app: String,
    /// [`Spec::FINGERPRINT`].
    pub fingerprint: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
    enum Ch {
        #[serde(rename = "task")]
        Task,
    }

    impl fmt::Display for Ch {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("task")
        }
    }

    impl core::str::FromStr for Ch {
        type Err = crate::UnknownChannel;
        fn from_str(s: &str) -> Result<Self, Self::Err> {
            match s {
                "task" => Ok(Ch::Task),
                _ => Err(crate::UnknownChannel::new(s, Self::NAMES)),
            }
        }
    }

    impl Channel for Ch {
        const ALL: &'static [Self] = &[Ch::Task];
        const NAMES: &'static [&'static str] = &["task"];
        fn as_str(self) -> &'static str {
            "task"
        }
        fn model_name(self) -> &'static str {
            "Task"
        }
    }

    #[test]
    fn client_events_parse_strictly() {
        type E = ClientEvent<Ch>;
        assert_eq!(
            E::parse("subscribe", &[json!("task")]),
            Ok(E::Subscribe(Ch::Task))
        );
        assert_eq!(
            E::parse("unsubscribe", &[json!("task"), json!(1)]),
            Ok(E::Unsubscribe(Ch::Task))
        );
        assert_eq!(E::parse("ping", &[]), Ok(E::Ping));
        let err = |event: &str, args: &[Value]| E::parse(event, args).unwrap_err().to_string();
        assert_eq!(
            err("subscribe", &[json!("tasks")]),
            "unknown channel \"tasks\""
        );
        assert_eq!(err("subscribe", &[]), "invalid channel");
        assert_eq!(err("subscribe", &[json!(3)]), "invalid channel");
        assert_eq!(err("subscribe", &[json!({"a": 1})]), "invalid channel");
        assert_eq!(
            err("subscribe", &[json!("x".repeat(257))]),
            "invalid channel"
        );
        assert_eq!(err("hello", &[]), "unknown event \"hello\"");
        assert_eq!(E::Subscribe(Ch::Task).args(), vec![json!("task")]);
        assert_eq!(E::Ping.args(), Vec::<Value>::new());
    }

    #[test]
    fn subscribe_result_wire() {
        assert_eq!(
            serde_json::to_value(SubscribeResult::Ok).unwrap(),
            json!({"ok": true})
        );
        assert_eq!(
            serde_json::to_value(SubscribeResult::not_authorized()).unwrap(),
            json!({"ok": false, "error": "not authorized"})
        );
        let back: SubscribeResult =
            serde_json::from_value(json!({"ok": false, "error": "invalid channel"})).unwrap();
        assert_eq!(back, SubscribeResult::Err("invalid channel".into()));
        let r: SubscribeResult = Err::<(), _>(EventError::InvalidChannel).into();
        assert_eq!(r, SubscribeResult::Err("invalid channel".into()));
    }
}
