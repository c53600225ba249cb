//! The client-to-server half of the protocol (docs/wire.md): `connected` on connect,
//! `subscribe` / `unsubscribe` with their acknowledgement, `ping`.
//!
//! Every handler is written so that no client input can panic or wedge the server:
//! arguments are read as untyped JSON and checked with [`sheplang::channel_arg`]; an
//! acknowledgement is sent only when the client asked for one; events the protocol does not
//! have are ignored (no handler is registered for them).
//!
//! **Order.** Without an authorize hook, subscribe and unsubscribe are handled synchronously,
//! in the order the packets arrived. With a hook, each connection gets a queue and one task
//! that handles its subscribes and unsubscribes one after the other, so that a slow hook cannot
//! reorder `subscribe x` / `unsubscribe x`. The queue holds [`MAX_QUEUED`] requests; a client
//! that floods past it is answered `not authorized` for the overflow.
//!
//! **Acknowledgements are never dropped.** socketioxide's per-connection send queue is bounded
//! (`max_buffer_size`) and drops what does not fit; a client that sends thousands of requests
//! before reading a single answer (as `for (...) socket.emit('subscribe', c, ack)` does) would
//! lose answers. An answer that does not fit waits in a per-connection outbox, retried in
//! order as the queue drains. A client with more than [`MAX_PENDING_ACKS`] answers waiting is
//! not reading at all and is disconnected.

use core::future::Future;
use core::pin::Pin;
use core::sync::atomic::{AtomicUsize, Ordering};
use core::task::{Context, Poll};
use core::time::Duration;
use std::collections::VecDeque;
use std::convert::Infallible;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex, PoisonError, Weak};

use serde::de::{Deserialize, Deserializer, SeqAccess, Visitor};
use serde_json::Value;
use sheplang::{Channel, EventError, Filter, Spec, SubscribeResult, channel_arg};
use socketioxide::extract::{AckSender, SocketRef, TryData};
use socketioxide::handler::{FromMessageParts, Value as RawValue};
use socketioxide::socket::Socket;
use socketioxide::{SendError, SocketError, SocketIo};
use tokio::sync::mpsc;

use crate::hub::Hub;
use crate::hub::{Answer, Command as HubCommand, Resume};

/// The boxed future of an authorize hook.
pub(crate) type AuthorizeFuture = Pin<Box<dyn Future<Output = bool> + Send>>;

/// The type-erased authorize hook: the socket, the channel and the subscription's filter
/// (empty for the whole channel).
pub(crate) type AuthorizeFn<S> =
    Arc<dyn Fn(SocketRef, <S as Spec>::Channel, Filter) -> AuthorizeFuture + Send + Sync>;

/// How many subscribes/unsubscribes may wait for the authorize hook, per connection.
pub const MAX_QUEUED: usize = 16_384;

/// How many acknowledgements may wait for room in one connection's send queue before the
/// connection is closed as not reading.
pub const MAX_PENDING_ACKS: usize = 16_384;

/// What the server handle and the handlers share.
pub(crate) struct Shared<S: Spec> {
    pub(crate) io: SocketIo,
    pub(crate) authorize: Option<AuthorizeFn<S>>,
    pub(crate) authorize_timeout: Duration,
    pub(crate) connected: AtomicUsize,
    pub(crate) hub: Hub,
}

/// Registers the default namespace with its connect handler.
pub(crate) fn register<S: Spec>(shared: &Arc<Shared<S>>) {
    let on_connect = {
        let shared = shared.clone();
        move |socket: SocketRef, TryData(auth): TryData<Value>| {
            // socketioxide reads a handshake without `auth` as `{}`: that is none.
            if let Ok(auth) = auth
                && !auth.is_null()
                && auth.as_object().is_none_or(|o| !o.is_empty())
            {
                socket.extensions.insert(HandshakeAuth(Arc::new(auth)));
            }
            on_connect(&shared, &socket);
            core::future::ready(())
        }
    };
    shared.io.ns("/", on_connect);
}

/// The `auth` payload of a connection's handshake, kept in the socket's extensions.
#[derive(Clone)]
struct HandshakeAuth(Arc<Value>);

/// The `auth` payload the client sent with its Socket.IO handshake (socket.io-client's
/// `io(url, { auth: { user: "ada" } })`, python-socketio's `connect(url, auth={...})`), as
/// JSON; `None` when it sent none (or an empty object). Set before any subscribe is handled, so an authorize hook
/// and a row check may read it. It is whatever the client claims: a host checks it (a signed
/// token, a session) before trusting it.
pub fn handshake_auth(socket: &SocketRef) -> Option<Arc<Value>> {
    socket.extensions.get::<HandshakeAuth>().map(|auth| auth.0)
}

/// The socket and acknowledgement id of a message: an extractor, so that an answer can be
/// sent (and retried) after the handler returned.
struct Reply {
    socket: Arc<Socket>,
    id: Option<i64>,
}

impl FromMessageParts<socketioxide::adapter::LocalAdapter> for Reply {
    type Error = Infallible;

    fn from_message_parts(
        socket: &Arc<Socket>,
        _: &mut RawValue,
        id: &Option<i64>,
    ) -> Result<Self, Infallible> {
        Ok(Reply {
            socket: socket.clone(),
            id: *id,
        })
    }
}

/// A subscribe or unsubscribe waiting for its turn behind the authorize hook.
enum Command<C> {
    Subscribe(Reply, C, Option<Resume>),
    Unsubscribe(Reply, C),
}

/// The state of one connection, captured by its handlers (and dropped with them).
struct Connection<S: Spec> {
    shared: Arc<Shared<S>>,
    /// The authorize queue, when there is a hook.
    queue: Option<mpsc::Sender<Command<S::Channel>>>,
    outbox: Mutex<Outbox>,
}

/// Answers waiting for room in the connection's send queue, in order.
#[derive(Default)]
struct Outbox {
    pending: VecDeque<(i64, Answer)>,
    draining: bool,
}

fn on_connect<S: Spec>(shared: &Arc<Shared<S>>, socket: &SocketRef) {
    shared.hub.start();
    shared.connected.fetch_add(1, Ordering::Relaxed);
    {
        let shared = shared.clone();
        let sid = socket.id;
        socket.on_disconnect(move || {
            shared.connected.fetch_sub(1, Ordering::Relaxed);
            shared.hub.send(HubCommand::Gone { sid });
            core::future::ready(())
        });
    }

    // The queue exists only when there is a hook to wait for. Its task holds the connection
    // weakly: the connection lives as long as its handlers, which live with the socket.
    let connection = Arc::new_cyclic(|weak| Connection {
        shared: shared.clone(),
        queue: shared.authorize.as_ref().map(|_| {
            let (tx, rx) = mpsc::channel(MAX_QUEUED);
            tokio::spawn(run_queue(weak.clone(), rx));
            tx
        }),
        outbox: Mutex::new(Outbox::default()),
    });

    {
        let connection = connection.clone();
        socket.on(
            "subscribe",
            move |TryData(args): TryData<Args>, reply: Reply| {
                connection.request(reply, args.ok().map(|a| a.0).unwrap_or_default(), true);
                core::future::ready(())
            },
        );
    }
    {
        let connection = connection.clone();
        socket.on(
            "unsubscribe",
            move |TryData(args): TryData<Args>, reply: Reply| {
                connection.request(reply, args.ok().map(|a| a.0).unwrap_or_default(), false);
                core::future::ready(())
            },
        );
    }
    socket.on("ping", move |reply: Reply| {
        connection.answer(reply, Answer::Empty);
        core::future::ready(())
    });

    // Last: the client may act on `connected` at once.
    if let Err(_e) = socket.emit("connected", &S::connected_info()) {
        #[cfg(feature = "tracing")]
        tracing::debug!(socket = %socket.id, "could not send `connected`: {_e}");
    }
}

impl<S: Spec> Connection<S> {
    /// A subscribe (`join`) or unsubscribe request, with its arguments as they arrived.
    fn request(self: &Arc<Self>, reply: Reply, args: Vec<Value>, join: bool) {
        let channel = match parse_channel::<S>(args.first()) {
            Ok(channel) => channel,
            Err(e) => {
                self.answer(
                    reply,
                    Answer::Subscribe(SubscribeResult::Err(e.to_string())),
                );
                return;
            }
        };
        let resume = if join {
            match parse_resume(channel, &args[1..]) {
                Ok(resume) => resume,
                Err(e) => {
                    self.answer(reply, Answer::Subscribe(SubscribeResult::Err(e)));
                    return;
                }
            }
        } else {
            None
        };
        match &self.queue {
            None => {
                if join {
                    self.join(reply, channel, resume);
                } else {
                    self.leave(reply, channel);
                }
            }
            Some(queue) => {
                let command = if join {
                    Command::Subscribe(reply, channel, resume)
                } else {
                    Command::Unsubscribe(reply, channel)
                };
                if let Err(e) = queue.try_send(command) {
                    let (mpsc::error::TrySendError::Full(command)
                    | mpsc::error::TrySendError::Closed(command)) = e;
                    let (Command::Subscribe(reply, _, _) | Command::Unsubscribe(reply, _)) =
                        command;
                    self.answer(reply, Answer::Subscribe(SubscribeResult::not_authorized()));
                }
            }
        }
    }

    /// Joins through the dispatcher, which answers once the client is in (after its replay).
    fn join(self: &Arc<Self>, reply: Reply, channel: S::Channel, resume: Option<Resume>) {
        let connection = self.clone();
        let socket = reply.socket.clone();
        let done: crate::hub::Done = Box::new(move |answer| connection.answer(reply, answer));
        self.shared.hub.send(HubCommand::Join {
            socket,
            channel: channel.as_str(),
            resume,
            done,
        });
    }

    fn leave(self: &Arc<Self>, reply: Reply, channel: S::Channel) {
        let connection = self.clone();
        let socket = reply.socket.clone();
        let done: crate::hub::Done = Box::new(move |answer| connection.answer(reply, answer));
        self.shared.hub.send(HubCommand::Leave {
            socket,
            channel: channel.as_str(),
            done,
        });
    }

    /// Sends `answer` if the client asked for one; keeps it in the outbox while the
    /// connection's send queue is full.
    fn answer(self: &Arc<Self>, reply: Reply, answer: Answer) {
        let Some(id) = reply.id else {
            return;
        };
        {
            let mut outbox = self.outbox.lock().unwrap_or_else(PoisonError::into_inner);
            if outbox.draining {
                self.keep(&mut outbox, &reply.socket, id, answer);
                return;
            }
        }
        match try_answer(&reply.socket, id, &answer) {
            Sent::Done => {}
            Sent::Full => {
                let mut outbox = self.outbox.lock().unwrap_or_else(PoisonError::into_inner);
                self.keep(&mut outbox, &reply.socket, id, answer);
                if !outbox.draining {
                    outbox.draining = true;
                    tokio::spawn(self.clone().drain(reply.socket));
                }
            }
        }
    }

    /// Puts an answer in the outbox, or closes a connection that stopped reading.
    fn keep(&self, outbox: &mut Outbox, socket: &Arc<Socket>, id: i64, answer: Answer) {
        if outbox.pending.len() >= MAX_PENDING_ACKS {
            #[cfg(feature = "tracing")]
            tracing::debug!(socket = %socket.id, "closing a connection that does not read its acknowledgements");
            outbox.pending.clear();
            let _ = socket.clone().disconnect();
            return;
        }
        outbox.pending.push_back((id, answer));
    }

    /// Sends the outbox in order as room appears; ends when it is empty or the connection is
    /// gone.
    async fn drain(self: Arc<Self>, socket: Arc<Socket>) {
        let mut backoff = Duration::from_millis(1);
        loop {
            let next = {
                let mut outbox = self.outbox.lock().unwrap_or_else(PoisonError::into_inner);
                match outbox.pending.pop_front() {
                    Some(next) => next,
                    None => {
                        outbox.draining = false;
                        return;
                    }
                }
            };
            match try_answer(&socket, next.0, &next.1) {
                Sent::Done => backoff = Duration::from_millis(1),
                Sent::Full if socket.connected() => {
                    self.outbox
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .pending
                        .push_front(next);
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_millis(20));
                }
                Sent::Full => {
                    let mut outbox = self.outbox.lock().unwrap_or_else(PoisonError::into_inner);
                    outbox.pending.clear();
                    outbox.draining = false;
                    return;
                }
            }
        }
    }
}

/// The outcome of one attempt to send an acknowledgement.
enum Sent {
    /// Sent, or not sendable at all (closed connection, encoding failure): nothing to retry.
    Done,
    /// The connection's send queue is full: try again later.
    Full,
}

fn try_answer(socket: &Arc<Socket>, id: i64, answer: &Answer) -> Sent {
    let mut none = RawValue::Bytes(Default::default());
    let Ok(ack) = AckSender::from_message_parts(socket, &mut none, &Some(id));
    match ack.send(answer) {
        Err(SendError::Socket(SocketError::InternalChannelFull)) => Sent::Full,
        Ok(()) | Err(_) => Sent::Done,
    }
}

/// The channel argument of `subscribe` / `unsubscribe`, checked as the protocol says.
fn parse_channel<S: Spec>(arg: Option<&Value>) -> Result<S::Channel, EventError> {
    channel_arg::<S::Channel>(arg)
}

/// Every argument of an event (before the acknowledgement), whatever their number and types.
#[derive(Default)]
struct Args(Vec<Value>);

impl<'de> Deserialize<'de> for Args {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct All;
        impl<'de> Visitor<'de> for All {
            type Value = Args;
            fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str("the event's arguments")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Args, A::Error> {
                let mut args = Vec::new();
                while let Some(arg) = seq.next_element::<Value>()? {
                    args.push(arg);
                }
                Ok(Args(args))
            }
        }
        // A tuple, so that socketioxide hands over the whole argument list, not the first.
        deserializer.deserialize_tuple(usize::MAX, All)
    }
}

/// The error answered for a `subscribe` whose options object has a `since` or `epoch` of the
/// wrong type.
pub(crate) const INVALID_OPTIONS: &str = "invalid options";

/// The options of `subscribe(channel, options)`: `None` without them (the old arity, also when
/// the second argument is not an object: an old client's stray argument), else where the
/// client is and which rows it wants. Unknown keys and further arguments are ignored.
fn parse_resume<C: Channel>(channel: C, rest: &[Value]) -> Result<Option<Resume>, String> {
    let Some(Value::Object(options)) = rest.first() else {
        return Ok(None);
    };
    let since = match options.get("since") {
        None | Some(Value::Null) => None,
        Some(since) => match since.as_u64() {
            Some(since) if since <= MAX_SAFE_INTEGER => Some(since),
            _ => return Err(INVALID_OPTIONS.to_owned()),
        },
    };
    let epoch = match options.get("epoch") {
        None | Some(Value::Null) => None,
        Some(Value::String(epoch)) if epoch.len() <= 256 => Some(epoch.clone()),
        Some(_) => return Err(INVALID_OPTIONS.to_owned()),
    };
    let filter = match options.get("filter") {
        None => None,
        Some(filter) => {
            let filter = Filter::parse(channel.model_name(), channel.filter_fields(), filter)
                .map_err(|e| e.to_string())?;
            (!filter.is_empty()).then(|| Arc::new(filter))
        }
    };
    Ok(Some(Resume {
        // A position without the epoch it came from cannot be trusted: it resets.
        since: since.map(|since| (since, epoch.unwrap_or_default())),
        filter,
    }))
}

/// The largest integer a JavaScript number holds exactly.
const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// One connection's authorize task: handles its subscribes and unsubscribes in order. It ends
/// when the connection is gone (its handlers, which hold the sender, are dropped with it).
async fn run_queue<S: Spec>(
    connection: Weak<Connection<S>>,
    mut rx: mpsc::Receiver<Command<S::Channel>>,
) {
    while let Some(command) = rx.recv().await {
        let Some(connection) = connection.upgrade() else {
            return;
        };
        let (reply, channel, resume) = match command {
            Command::Subscribe(reply, channel, resume) => (reply, channel, Some(resume)),
            Command::Unsubscribe(reply, channel) => (reply, channel, None),
        };
        let socket = reply.socket.clone();
        if !socket.connected() {
            continue;
        }
        match resume {
            None => connection.leave(reply, channel),
            Some(resume) => {
                let filter = resume
                    .as_ref()
                    .and_then(|r| r.filter.as_deref().cloned())
                    .unwrap_or_default();
                if authorize(&connection.shared, &socket, channel, filter).await
                    && socket.connected()
                {
                    connection.join(reply, channel, resume);
                } else {
                    #[cfg(feature = "tracing")]
                    tracing::debug!(socket = %socket.id, %channel, "subscription not authorized");
                    connection.answer(reply, Answer::Subscribe(SubscribeResult::not_authorized()));
                }
            }
        }
    }
}

/// Runs the host's hook: a panic (while making or polling the future), a timeout or `false`
/// all deny.
async fn authorize<S: Spec>(
    shared: &Shared<S>,
    socket: &Arc<Socket>,
    channel: S::Channel,
    filter: Filter,
) -> bool {
    let Some(hook) = &shared.authorize else {
        return true;
    };
    let mut none = RawValue::Bytes(Default::default());
    let Ok(socket) = SocketRef::from_message_parts(socket, &mut none, &None);
    let Ok(future) = catch_unwind(AssertUnwindSafe(|| hook(socket, channel, filter))) else {
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
