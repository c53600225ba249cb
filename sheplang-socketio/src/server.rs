//! [`RealtimeServer`]: the handle a host keeps to send the spec's server-to-client events.

use core::fmt;
use core::marker::PhantomData;
use core::sync::atomic::Ordering;
use std::borrow::Cow;
use std::sync::Arc;

use serde_json::Value;
use serde_json::value::RawValue;
use sheplang::{Emitter, Model, ModelEvent, Ref, Spec};
use socketioxide::SocketIo;

use crate::hub::Command;
use crate::log::LogEvent;
use crate::protocol::Shared;
use crate::{EmitError, Metrics, RealtimeServerBuilder};

/// The realtime server of spec `S`: the Socket.IO protocol of `docs/wire.md`, served by
/// socketioxide, with typed emits in which the model type decides the room.
///
/// Made with [`RealtimeServer::builder`], which also gives the tower layer to serve. The handle
/// is cheap to clone (an `Arc`); every clone talks to the same clients.
///
/// Emitting takes a row of one of the spec's models, never a channel string:
///
/// ```ignore
/// realtime.emit_created(&task)?;            // model_created("Task", task) to the room "task"
/// realtime.emit_deleted::<app::Task>("t-1")?;
/// realtime.notify("deploy in 5 minutes", None)?;
/// ```
///
/// Emits are synchronous, as in the Node server: the event is queued, in order, on the server's
/// dispatcher before the call returns (see [`emit_event`](Self::emit_event)). The handle also implements [`sheplang::Emitter`], for code written
/// against that trait.
pub struct RealtimeServer<S: Spec> {
    shared: Arc<Shared<S>>,
    spec: PhantomData<fn() -> S>,
}

impl<S: Spec> RealtimeServer<S> {
    /// The builder: allowed origins, authorize hook, limits.
    pub fn builder() -> RealtimeServerBuilder<S> {
        RealtimeServerBuilder::new()
    }

    pub(crate) fn from_shared(shared: Arc<Shared<S>>) -> Self {
        RealtimeServer {
            shared,
            spec: PhantomData,
        }
    }

    /// Sends a model event to its room (the model's channel).
    ///
    /// Synchronous, like the Node server's emits: the row is encoded here, once, and the
    /// event is queued on the server's dispatcher, which gives it the next position of its
    /// channel's log and sends it to every subscriber in the order of the emits. It needs no
    /// `.await` and works outside the Tokio runtime too.
    ///
    /// # Errors
    /// [`EmitError`] when the row does not serialise or the server's runtime has shut down.
    pub fn emit_event<M: Model<Spec = S>>(
        &self,
        event: ModelEvent<'_, M>,
    ) -> Result<(), EmitError> {
        self.emit_with_before(event, None)
    }

    fn emit_with_before<M: Model<Spec = S>>(
        &self,
        event: ModelEvent<'_, M>,
        before: Option<&M>,
    ) -> Result<(), EmitError> {
        let payload = encode_payload(&event).map_err(EmitError::encode)?;
        let before = match before {
            Some(row) => Some(encode_payload(&sheplang::created(row)).map_err(EmitError::encode)?),
            None => None,
        };
        let sent = self.shared.hub.emit(Command::Emit {
            channel: event.room(),
            event: Arc::new(LogEvent {
                kind: event.kind(),
                model: Cow::Borrowed(M::NAME),
                payload,
                before,
            }),
        });
        if sent {
            Ok(())
        } else {
            Err(EmitError::stopped())
        }
    }

    /// `model_created(M::NAME, row)` to the room of `M`.
    ///
    /// # Errors
    /// As [`emit_event`](Self::emit_event).
    pub fn emit_created<M: Model<Spec = S>>(&self, row: &M) -> Result<(), EmitError> {
        self.emit_event(sheplang::created(row))
    }

    /// `model_updated(M::NAME, row)` to the room of `M`.
    ///
    /// # Errors
    /// As [`emit_event`](Self::emit_event).
    pub fn emit_updated<M: Model<Spec = S>>(&self, row: &M) -> Result<(), EmitError> {
        self.emit_event(sheplang::updated(row))
    }

    /// `model_updated(M::NAME, row)` to the room of `M`, with the row as it was before the
    /// change: a subscription whose filter the row no longer matches gets it as a removal
    /// (`model_deleted`), one it now matches and did not before as an addition
    /// (`model_created`). Use it for every update that may change a filtered field
    /// (`docs/wire.md`, "Filtered subscriptions"); the previous row is never sent.
    ///
    /// # Errors
    /// As [`emit_event`](Self::emit_event).
    pub fn emit_updated_from<M: Model<Spec = S>>(
        &self,
        before: &M,
        row: &M,
    ) -> Result<(), EmitError> {
        self.emit_with_before(sheplang::updated(row), Some(before))
    }

    /// `model_deleted(M::NAME, row.id)` to the room of `M`, with the deleted row: a filtered
    /// subscription gets the deletion only when the row matched its filter. Prefer it to
    /// [`emit_deleted`](Self::emit_deleted) when the row is at hand: a filtered subscription
    /// never gets a deletion by id alone.
    ///
    /// # Errors
    /// As [`emit_event`](Self::emit_event).
    pub fn emit_deleted_row<M: Model<Spec = S>>(&self, row: &M) -> Result<(), EmitError> {
        self.emit_with_before(sheplang::deleted(row), Some(row))
    }

    /// `model_deleted(M::NAME, id)` to the room of `M`, when only the id is left:
    /// `realtime.emit_deleted::<Task>("t-1")`, or with a [`Ref<M>`], whose type names the model.
    ///
    /// # Errors
    /// As [`emit_event`](Self::emit_event).
    pub fn emit_deleted<M: Model<Spec = S>>(&self, id: impl Into<Ref<M>>) -> Result<(), EmitError> {
        let id = id.into();
        self.emit_event(ModelEvent::<M>::deleted_id(&id))
    }

    /// `notification(message)` or `notification(message, data)` to every connected client.
    ///
    /// # Errors
    /// As [`emit_event`](Self::emit_event).
    pub fn notify(&self, message: &str, data: Option<&Value>) -> Result<(), EmitError> {
        let sent = self.shared.hub.send(Command::Notify {
            message: message.to_owned(),
            data: data.cloned(),
            local: false,
        });
        if sent {
            Ok(())
        } else {
            Err(EmitError::stopped())
        }
    }

    /// How many clients are connected now.
    pub fn connected_count(&self) -> usize {
        self.shared.connected.load(Ordering::Relaxed)
    }

    /// How many clients are subscribed to `channel` now.
    pub fn subscriber_count(&self, channel: S::Channel) -> usize {
        self.shared
            .hub
            .subscriber_count(sheplang::Channel::as_str(channel))
    }

    /// The server's counters: events sent, clients disconnected for overflowing their send
    /// queue, events replayed, resets.
    pub fn metrics(&self) -> Metrics {
        self.shared.hub.metrics()
    }

    /// The epoch of the server's event log as last seen: what a resuming `subscribe` answers
    /// in `epoch` (a shared log's epoch changes when its store loses its history).
    pub fn log_epoch(&self) -> String {
        self.shared.hub.epoch().to_string()
    }

    /// The underlying socketioxide server, for what this crate does not wrap (rooms of your
    /// own, other namespaces, [`SocketIo::close`]). Events sent through it are not checked
    /// against the spec.
    pub fn io(&self) -> &SocketIo {
        &self.shared.io
    }

    /// Disconnects every client and stops accepting connections.
    ///
    /// A server-side disconnect is final for socket.io-client: it does **not** reconnect by
    /// itself after it (only after a lost connection). To restart a server so that pages come
    /// back on their own, drop the connections instead (stop the process, or stop serving
    /// the listener) and start again on the same address; `examples/demo` does that.
    pub async fn close(&self) {
        self.shared.io.close().await;
    }
}

impl<S: Spec> Clone for RealtimeServer<S> {
    fn clone(&self) -> Self {
        RealtimeServer::from_shared(self.shared.clone())
    }
}

impl<S: Spec> fmt::Debug for RealtimeServer<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RealtimeServer")
            .field("app", &S::APP)
            .field("fingerprint", &S::FINGERPRINT)
            .field("connected", &self.connected_count())
            .finish_non_exhaustive()
    }
}

impl<S: Spec> Emitter for RealtimeServer<S> {
    type Spec = S;
    type Error = EmitError;

    /// [`RealtimeServer::emit_event`].
    fn emit<M: Model<Spec = S>>(&self, event: ModelEvent<'_, M>) -> Result<(), EmitError> {
        self.emit_event(event)
    }
}

/// The event's second argument (the row, or the id) as JSON, encoded once for every
/// subscriber and the log, with the row's fields in the spec's order.
pub(crate) fn encode_payload<M: Model>(
    event: &ModelEvent<'_, M>,
) -> serde_json::Result<Box<RawValue>> {
    // `args` serialises as the compact array `["Task",<payload>]`: the payload is what lies
    // between the model name's comma and the closing bracket.
    let mut args = serde_json::to_string(&event.args())?;
    let start = 1 + serde_json::to_string(M::NAME)?.len() + 1;
    args.pop();
    RawValue::from_string(args.split_off(start))
}
