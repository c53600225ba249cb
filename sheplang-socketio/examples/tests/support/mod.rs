//! A minimal Socket.IO v4 client over one WebSocket (Engine.IO v4, no polling, no binary), and
//! a server on 127.0.0.1 for the tests. Only what the tests need; every wait is bounded.

#![allow(
    dead_code,
    reason = "each test file uses a different part of the support module"
)]

pub mod cluster;

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use futures_util::{SinkExt as _, StreamExt as _};
use serde_json::Value;
use sheplang::Spec;
use sheplang_socketio::{RealtimeServer, RealtimeServerBuilder, ServeOptions};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// The start of the notifications [`TestServer::events_before_marker`] broadcasts.
const MARKER: &str = "test-marker-";

/// How long any single wait of a test may take.
pub const WAIT: Duration = Duration::from_secs(10);

/// Runs a test body with an overall time limit.
pub async fn bounded<F: std::future::Future<Output = ()>>(body: F) {
    tokio::time::timeout(Duration::from_secs(60), body)
        .await
        .expect("the test took longer than 60 s");
}

/// A realtime server of spec `S` serving on a free port of 127.0.0.1.
pub struct TestServer<S: Spec> {
    pub realtime: RealtimeServer<S>,
    pub addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl<S: Spec> TestServer<S> {
    /// Starts `builder`'s server behind an axum router with one plain route, `/hello`, served
    /// by [`sheplang_socketio::serve()`] with the default options.
    pub async fn start(builder: RealtimeServerBuilder<S>) -> Self {
        Self::start_with(builder, ServeOptions::default()).await
    }

    /// As [`TestServer::start`], with these connection options.
    pub async fn start_with(builder: RealtimeServerBuilder<S>, options: ServeOptions) -> Self {
        let (realtime, layer) = builder.build();
        let app = Router::new()
            .route("/hello", axum::routing::get(|| async { "hello" }))
            .layer(layer);
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("address");
        let task = tokio::spawn(async move {
            let _ = sheplang_socketio::serve(listener, app, options).await;
        });
        TestServer {
            realtime,
            addr,
            task,
        }
    }

    /// A connected client (the `connected` event already read and checked).
    pub async fn client(&self) -> Client {
        let mut client = Client::connect(self.addr).await;
        let (event, args) = client.next_event().await;
        assert_eq!(event, "connected");
        assert_eq!(
            args,
            vec![serde_json::json!({"app": S::APP, "fingerprint": S::FINGERPRINT})]
        );
        client
    }

    /// Waits (at most [`WAIT`]) until the server counts `n` connections: a disconnect
    /// reaches the server's count a little after the client closed.
    pub async fn wait_for_connected_count(&self, n: usize) {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let count = self.realtime.connected_count();
            if count == n {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{count} connections after {WAIT:?}, expected {n}"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Every event `client` received before a marker notification broadcast now, in order
    /// (other markers left out). The marker is queued on the client after everything sent to
    /// it earlier, so an event that is not here was not sent: no guessing how long to wait.
    pub async fn events_before_marker(&self, client: &mut Client) -> Vec<(String, Vec<Value>)> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let marker = format!("{MARKER}{}", NEXT.fetch_add(1, Ordering::Relaxed));
        self.realtime
            .notify(&marker, None)
            .expect("marker notification");
        let mut out = Vec::new();
        loop {
            let (event, args) = client.next_event().await;
            let seen = (event == "notification")
                .then(|| args.first().and_then(Value::as_str))
                .flatten();
            match seen {
                Some(m) if m == marker => return out,
                Some(m) if m.starts_with(MARKER) => {}
                _ => out.push((event, args)),
            }
        }
    }

    /// An HTTP/1.1 request on a fresh connection; returns the status line and head.
    pub async fn http(&self, request: &str) -> String {
        let mut stream = TcpStream::connect(self.addr).await.expect("connect");
        stream.write_all(request.as_bytes()).await.expect("write");
        let mut buf = vec![0u8; 8192];
        let mut out = Vec::new();
        loop {
            let n = tokio::time::timeout(WAIT, stream.read(&mut buf))
                .await
                .expect("http response timed out")
                .expect("read");
            out.extend_from_slice(&buf[..n]);
            if n == 0 || out.windows(4).any(|w| w == b"\r\n\r\n") {
                break;
            }
        }
        String::from_utf8_lossy(&out).into_owned()
    }
}

impl<S: Spec> Drop for TestServer<S> {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A Socket.IO client on the default namespace.
pub struct Client {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    next_ack: u64,
    /// Events read while waiting for something else.
    events: VecDeque<(String, Vec<Value>)>,
    /// Acks read while waiting for something else: (id, args).
    acks: VecDeque<(u64, Vec<Value>)>,
}

/// What the server sent, as the client sees it.
enum Incoming {
    Event(String, Vec<Value>),
    Ack(u64, Vec<Value>),
    Closed,
}

impl Client {
    /// Opens the WebSocket and joins the default namespace.
    pub async fn connect(addr: SocketAddr) -> Client {
        Self::connect_with_receive_buffer(addr, None).await
    }

    /// [`Self::connect`] with the socket's receive buffer set to `bytes` (a slow reader's
    /// small window), when given.
    pub async fn connect_with_receive_buffer(addr: SocketAddr, bytes: Option<u32>) -> Client {
        let url = format!("ws://{addr}/socket.io/?EIO=4&transport=websocket");
        let socket = tokio::net::TcpSocket::new_v4().expect("socket");
        if let Some(bytes) = bytes {
            socket.set_recv_buffer_size(bytes).expect("SO_RCVBUF");
        }
        let stream = tokio::time::timeout(WAIT, socket.connect(addr))
            .await
            .expect("tcp connect timed out")
            .expect("tcp connect");
        let (ws, _) = tokio::time::timeout(
            WAIT,
            tokio_tungstenite::client_async(url, MaybeTlsStream::Plain(stream)),
        )
        .await
        .expect("websocket connect timed out")
        .expect("websocket connect");
        let mut client = Client {
            ws,
            next_ack: 0,
            events: VecDeque::new(),
            acks: VecDeque::new(),
        };
        let open = client.recv_text().await.expect("engine.io open packet");
        assert!(open.starts_with("0{"), "not an open packet: {open}");
        client.send_text("40".to_owned()).await;
        let connect = client.recv_text().await.expect("socket.io connect packet");
        assert!(connect.starts_with("40"), "not a connect packet: {connect}");
        client
    }

    /// The next text frame, answering Engine.IO pings on the way; `None` once closed.
    async fn recv_text(&mut self) -> Option<String> {
        loop {
            let message = tokio::time::timeout(WAIT, self.ws.next())
                .await
                .expect("nothing received in time")?;
            match message {
                Ok(Message::Text(text)) => {
                    let text = text.to_string();
                    if text == "2" {
                        self.send_text("3".to_owned()).await;
                        continue;
                    }
                    return Some(text);
                }
                Ok(Message::Close(_)) | Err(_) => return None,
                Ok(_) => continue,
            }
        }
    }

    async fn send_text(&mut self, text: String) {
        let _ = self.ws.send(Message::text(text)).await;
    }

    /// Sends a binary WebSocket frame (an attachment, as far as Socket.IO is concerned); true
    /// when it could be written.
    pub async fn send_binary(&mut self, data: Vec<u8>) -> bool {
        self.ws.send(Message::binary(data)).await.is_ok()
    }

    /// Sends a raw Socket.IO packet (`42[...]`, ...), for malformed input.
    pub async fn send_raw(&mut self, packet: &str) {
        self.send_text(packet.to_owned()).await;
    }

    async fn read(&mut self) -> Incoming {
        let Some(text) = self.recv_text().await else {
            return Incoming::Closed;
        };
        if let Some(body) = text.strip_prefix("42") {
            let mut array: Vec<Value> = serde_json::from_str(body).expect("event JSON");
            let name = array.remove(0);
            return Incoming::Event(name.as_str().expect("event name").to_owned(), array);
        }
        if let Some(body) = text.strip_prefix("43") {
            let split = body.find('[').expect("ack array");
            let id = body[..split].parse().expect("ack id");
            let array: Vec<Value> = serde_json::from_str(&body[split..]).expect("ack JSON");
            return Incoming::Ack(id, array);
        }
        if text.starts_with("41") || text.starts_with('1') {
            return Incoming::Closed;
        }
        panic!("unexpected packet {text}");
    }

    /// Emits an event without asking for an acknowledgement.
    pub async fn emit(&mut self, event: &str, args: &[Value]) {
        let mut array = vec![Value::String(event.to_owned())];
        array.extend_from_slice(args);
        self.send_text(format!("42{}", Value::Array(array))).await;
    }

    /// Emits an event with an acknowledgement id; returns the id.
    pub async fn emit_acked(&mut self, event: &str, args: &[Value]) -> u64 {
        let id = self.next_ack;
        self.next_ack += 1;
        let mut array = vec![Value::String(event.to_owned())];
        array.extend_from_slice(args);
        self.send_text(format!("42{id}{}", Value::Array(array)))
            .await;
        id
    }

    /// Emits an event and waits for its acknowledgement's arguments.
    pub async fn call(&mut self, event: &str, args: &[Value]) -> Vec<Value> {
        let id = self.emit_acked(event, args).await;
        self.ack(id).await
    }

    /// Waits for the acknowledgement `id`.
    pub async fn ack(&mut self, id: u64) -> Vec<Value> {
        if let Some(i) = self.acks.iter().position(|(a, _)| *a == id) {
            return self
                .acks
                .remove(i)
                .map(|(_, args)| args)
                .unwrap_or_default();
        }
        loop {
            match self.read().await {
                Incoming::Ack(a, args) if a == id => return args,
                Incoming::Ack(a, args) => self.acks.push_back((a, args)),
                Incoming::Event(name, args) => self.events.push_back((name, args)),
                Incoming::Closed => panic!("closed while waiting for ack {id}"),
            }
        }
    }

    /// True when the acknowledgement `id` has arrived but was not yet taken with [`Self::ack`]
    /// (it arrived while the client waited for something else).
    pub fn has_unread_ack(&self, id: u64) -> bool {
        self.acks.iter().any(|(a, _)| *a == id)
    }

    /// The next packet as received, unparsed (for key order, which `Value` does not keep).
    pub async fn next_raw(&mut self) -> String {
        assert!(self.events.is_empty(), "events already parsed");
        self.recv_text().await.expect("a packet")
    }

    /// The next event the server sent.
    pub async fn next_event(&mut self) -> (String, Vec<Value>) {
        if let Some(event) = self.events.pop_front() {
            return event;
        }
        loop {
            match self.read().await {
                Incoming::Event(name, args) => return (name, args),
                Incoming::Ack(a, args) => self.acks.push_back((a, args)),
                Incoming::Closed => panic!("closed while waiting for an event"),
            }
        }
    }

    /// The next event, or `None` once the server closed the connection (or disconnected the
    /// namespace).
    pub async fn next_event_or_closed(&mut self) -> Option<(String, Vec<Value>)> {
        if let Some(event) = self.events.pop_front() {
            return Some(event);
        }
        loop {
            match self.read().await {
                Incoming::Event(name, args) => return Some((name, args)),
                Incoming::Ack(a, args) => self.acks.push_back((a, args)),
                Incoming::Closed => return None,
            }
        }
    }

    /// True when the server closes the connection within `duration`.
    pub async fn is_closed_within(&mut self, duration: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + duration;
        loop {
            match tokio::time::timeout_at(deadline, self.read()).await {
                Err(_) => return false,
                Ok(Incoming::Closed) => return true,
                Ok(Incoming::Event(name, args)) => self.events.push_back((name, args)),
                Ok(Incoming::Ack(a, args)) => self.acks.push_back((a, args)),
            }
        }
    }

    /// Subscribes and asserts `{ ok: true }`.
    pub async fn subscribe(&mut self, channel: &str) {
        let answer = self.call("subscribe", &[Value::from(channel)]).await;
        assert_eq!(
            answer,
            vec![serde_json::json!({"ok": true})],
            "subscribe {channel}"
        );
    }

    /// Closes the connection.
    pub async fn close(mut self) {
        let _ = self.ws.close(None).await;
    }
}
