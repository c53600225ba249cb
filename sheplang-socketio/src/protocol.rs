//! The client-to-server half of the protocol (docs/wire.md): `connected` on connect,
//! `subscribe` / `unsubscribe` with their acknowledgement, `ping`.
//!
//! Every handler is written so that no client input can panic or wedge the server:
//! arguments are read as untyped JSON and checked with [`sheplang::channel_arg`]; an
//! acknowledgement is sent only when the client asked for one (socketioxide's [`AckSender`]
//! does nothing without an ack id); events the protocol does not have are ignored (no handler
//! is registered for them).
//!
//! Without an authorize hook, subscribe and unsubscribe are answered synchronously, in the
//! order the packets arrived. With a hook, each socket gets a small queue and one task that
//! handles its subscribes and unsubscribes one after the other, so that a slow hook cannot
//! reorder `subscribe x` / `unsubscribe x`. The queue is bounded: a client that floods it is
//! answered `not authorized` for the overflow.

use core::future::Future;
use core::pin::Pin;
use core::sync::atomic::{AtomicUsize, Ordering};
use core::task::{Context, Poll};
use core::time::Duration;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use serde::ser::{Serialize, SerializeTuple, Serializer};
use serde_json::Value;
use sheplang::{Channel, EventError, Spec, SubscribeResult, channel_arg};
use socketioxide::SocketIo;
use socketioxide::extract::{AckSender, SocketRef, TryData};
use tokio::sync::mpsc;

/// The boxed future of an authorize hook.
pub(crate) type AuthorizeFuture = Pin<Box<dyn Future<Output = bool> + Send>>;

/// The type-erased authorize hook.
pub(crate) type AuthorizeFn<S> =
    Arc<dyn Fn(SocketRef, <S as Spec>::Channel) -> AuthorizeFuture + Send + Sync>;

/// How many subscribes/unsubscribes may wait for the authorize hook, per socket.
pub(crate) const QUEUE_LEN: usize = 256;

/// What the server handle and the handlers share.
pub(crate) struct Shared<S: Spec> {
    pub(crate) io: SocketIo,
    pub(crate) authorize: Option<AuthorizeFn<S>>,
    pub(crate) authorize_timeout: Duration,
    pub(crate) connected: AtomicUsize,
}

/// A subscribe or unsubscribe waiting for its turn behind the authorize hook.
enum Command<C> {
    Subscribe(SocketRef, C, AckSender),
    Unsubscribe(SocketRef, C, AckSender),
}

/// The empty argument list of an acknowledgement (`ack()` in JavaScript): socketioxide sends a
/// tuple as the argument list, and this is the tuple of none.
struct NoArgs;

impl Serialize for NoArgs {
    fn serialize<Se: Serializer>(&self, serializer: Se) -> Result<Se::Ok, Se::Error> {
        serializer.serialize_tuple(0)?.end()
    }
}

/// Registers the default namespace with its connect handler.
pub(crate) fn register<S: Spec>(shared: &Arc<Shared<S>>) {
    let on_connect = {
        let shared = shared.clone();
        move |socket: SocketRef| {
            on_connect(&shared, &socket);
            core::future::ready(())
        }
    };
    shared.io.ns("/", on_connect);
}

fn on_connect<S: Spec>(shared: &Arc<Shared<S>>, socket: &SocketRef) {
    shared.connected.fetch_add(1, Ordering::Relaxed);
    {
        let shared = shared.clone();
        socket.on_disconnect(move || {
            shared.connected.fetch_sub(1, Ordering::Relaxed);
            core::future::ready(())
        });
    }

    // The queue exists only when there is a hook to wait for.
    let queue = shared.authorize.as_ref().map(|_| {
        let (tx, rx) = mpsc::channel(QUEUE_LEN);
        tokio::spawn(run_queue(shared.clone(), rx));
        tx
    });

    {
        let queue = queue.clone();
        socket.on(
            "subscribe",
            move |socket: SocketRef, TryData(data): TryData<Value>, ack: AckSender| {
                match parse_channel::<S>(data.ok().as_ref()) {
                    Err(e) => answer(ack, &SubscribeResult::Err(e.to_string())),
                    Ok(channel) => match &queue {
                        None => {
                            socket.join(channel.as_str());
                            answer(ack, &SubscribeResult::Ok);
                        }
                        Some(queue) => enqueue(queue, Command::Subscribe(socket, channel, ack)),
                    },
                }
                core::future::ready(())
            },
        );
    }
    socket.on(
        "unsubscribe",
        move |socket: SocketRef, TryData(data): TryData<Value>, ack: AckSender| {
            match parse_channel::<S>(data.ok().as_ref()) {
                Err(e) => answer(ack, &SubscribeResult::Err(e.to_string())),
                Ok(channel) => match &queue {
                    None => {
                        socket.leave(channel.as_str());
                        answer(ack, &SubscribeResult::Ok);
                    }
                    Some(queue) => enqueue(queue, Command::Unsubscribe(socket, channel, ack)),
                },
            }
            core::future::ready(())
        },
    );
    socket.on("ping", |ack: AckSender| {
        answer(ack, &NoArgs);
        core::future::ready(())
    });

    // Last: the client may act on `connected` at once.
    if let Err(_e) = socket.emit("connected", &S::connected_info()) {
        #[cfg(feature = "tracing")]
        tracing::debug!(socket = %socket.id, "could not send `connected`: {_e}");
    }
}

/// The channel argument of `subscribe` / `unsubscribe`, checked as the protocol says.
fn parse_channel<S: Spec>(arg: Option<&Value>) -> Result<S::Channel, EventError> {
    channel_arg::<S::Channel>(arg)
}

/// Sends an acknowledgement if the client asked for one; a closed socket is not an error.
fn answer<T: Serialize + ?Sized>(ack: AckSender, result: &T) {
    if let Err(_e) = ack.send(result) {
        #[cfg(feature = "tracing")]
        tracing::trace!("acknowledgement not sent: {_e}");
    }
}

/// Queues a command for the socket's authorize task; a full queue denies at once.
fn enqueue<C>(queue: &mpsc::Sender<Command<C>>, command: Command<C>) {
    if let Err(e) = queue.try_send(command) {
        let command = match e {
            mpsc::error::TrySendError::Full(c) | mpsc::error::TrySendError::Closed(c) => c,
        };
        let ack = match command {
            Command::Subscribe(_, _, ack) | Command::Unsubscribe(_, _, ack) => ack,
        };
        answer(ack, &SubscribeResult::not_authorized());
    }
}

/// One socket's authorize task: handles its subscribes and unsubscribes in order. It ends when
/// the socket is gone (its handlers, which hold the senders, are dropped with it).
async fn run_queue<S: Spec>(shared: Arc<Shared<S>>, mut rx: mpsc::Receiver<Command<S::Channel>>) {
    while let Some(command) = rx.recv().await {
        match command {
            Command::Subscribe(socket, channel, ack) => {
                if !socket.connected() {
                    continue;
                }
                let allowed = authorize(&shared, socket.clone(), channel).await;
                let result = if allowed && socket.connected() {
                    socket.join(channel.as_str());
                    SubscribeResult::Ok
                } else {
                    #[cfg(feature = "tracing")]
                    tracing::debug!(socket = %socket.id, %channel, "subscription not authorized");
                    SubscribeResult::not_authorized()
                };
                answer(ack, &result);
            }
            Command::Unsubscribe(socket, channel, ack) => {
                socket.leave(channel.as_str());
                answer(ack, &SubscribeResult::Ok);
            }
        }
    }
}

/// Runs the host's hook: a panic (while making or polling the future), a timeout or `false`
/// all deny.
async fn authorize<S: Spec>(shared: &Shared<S>, socket: SocketRef, channel: S::Channel) -> bool {
    let Some(hook) = &shared.authorize else {
        return true;
    };
    let Ok(future) = catch_unwind(AssertUnwindSafe(|| hook(socket, channel))) else {
        #[cfg(feature = "tracing")]
        tracing::warn!(%channel, "the authorize hook panicked; subscription denied");
        return false;
    };
    match tokio::time::timeout(shared.authorize_timeout, CatchUnwind(future)).await {
        Ok(Some(allowed)) => allowed,
        Ok(None) => {
            #[cfg(feature = "tracing")]
            tracing::warn!(%channel, "the authorize hook panicked; subscription denied");
            false
        }
        Err(_elapsed) => {
            #[cfg(feature = "tracing")]
            tracing::warn!(%channel, "the authorize hook timed out; subscription denied");
            false
        }
    }
}

/// A future that turns a panic while polling into `None`.
struct CatchUnwind(AuthorizeFuture);

impl Future for CatchUnwind {
    type Output = Option<bool>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = &mut self.0;
        match catch_unwind(AssertUnwindSafe(|| inner.as_mut().poll(cx))) {
            Ok(Poll::Ready(allowed)) => Poll::Ready(Some(allowed)),
            Ok(Poll::Pending) => Poll::Pending,
            Err(_) => Poll::Ready(None),
        }
    }
}
