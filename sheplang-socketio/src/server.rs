//! [`RealtimeServer`]: the handle a host keeps to send the spec's server-to-client events.

use core::fmt;
use core::future::Future;
use core::marker::PhantomData;
use core::pin::pin;
use core::sync::atomic::Ordering;
use core::task::{Context, Poll, Waker};
use std::sync::Arc;

use serde_json::Value;
use sheplang::{Emitter, Model, ModelEvent, Ref, Spec};
use socketioxide::{BroadcastError, SocketIo};

use crate::protocol::Shared;
use crate::{EmitError, RealtimeServerBuilder};

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
/// Emits are synchronous, as in the Node server: the event is queued on every subscriber before
/// the call returns. The handle also implements [`sheplang::Emitter`], for code written
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
    /// Synchronous, like the Node server's emits: the event is encoded once and queued on every
    /// subscriber's connection before this returns (each connection's own task writes it). It
    /// needs no `.await` and works outside the Tokio runtime too.
    ///
    /// # Errors
    /// [`EmitError`] when the row does not serialise or some subscribers' queues were full or
    /// closed (the others still get the event).
    pub fn emit_event<M: Model<Spec = S>>(
        &self,
        event: ModelEvent<'_, M>,
    ) -> Result<(), EmitError> {
        send_now(
            self.shared
                .io
                .to(event.room())
                .emit(event.event_name(), &event.args()),
        )
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
        let all = self.shared.io.broadcast();
        match data {
            Some(data) => send_now(all.emit("notification", &(message, data))),
            None => send_now(all.emit("notification", &(message,))),
        }
    }

    /// How many clients are connected now.
    pub fn connected_count(&self) -> usize {
        self.shared.connected.load(Ordering::Relaxed)
    }

    /// How many clients are subscribed to `channel` now.
    pub fn subscriber_count(&self, channel: S::Channel) -> usize {
        self.shared
            .io
            .to(sheplang::Channel::as_str(channel))
            .sockets()
            .len()
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

/// Runs a broadcast of the in-process adapter, which completes on its first poll (socketioxide's
/// local adapter returns a ready future: the packet is encoded and queued on every socket
/// synchronously).
fn send_now<F>(send: F) -> Result<(), EmitError>
where
    F: Future<Output = Result<(), BroadcastError>>,
{
    let send = pin!(send);
    match send.poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(result) => result.map_err(EmitError::from),
        Poll::Pending => Err(EmitError::pending()),
    }
}
