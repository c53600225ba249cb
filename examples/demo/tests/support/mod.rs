//! Test support: a server on a free port of 127.0.0.1, a one-request HTTP/1.1 client, and a
//! minimal Socket.IO client over Engine.IO long-polling (no WebSocket, no binary), enough to
//! watch the events the demo broadcasts. Every wait is bounded.

#![allow(
    dead_code,
    reason = "each test file uses a different part of the support module"
)]

use std::net::SocketAddr;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

/// How long any single wait of a test may take.
pub const WAIT: Duration = Duration::from_secs(15);

/// Serves `router` on a free port of 127.0.0.1 until the test ends, as the demo does
/// (`sheplang_socketio::serve`, default options).
pub async fn serve(router: axum::Router) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(async move {
        let options = sheplang_socketio::ServeOptions::default();
        let _ = sheplang_socketio::serve(listener, router, options).await;
    });
    addr
}

/// An HTTP response.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.body))
    }
}

/// One request on a fresh connection (`Connection: close`).
pub async fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: Option<(&str, &str)>,
) -> Response {
    request(addr, method, path, &[("Host", &addr.to_string())], body).await
}

/// One request with these header lines (give `Host` yourself) on a fresh connection.
pub async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<(&str, &str)>,
) -> Response {
    let mut request = format!("{method} {path} HTTP/1.1\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    if let Some((content_type, body)) = body {
        request.push_str(&format!(
            "Content-Type: {content_type}\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        ));
    } else {
        request.push_str("\r\n");
    }
    tokio::time::timeout(WAIT, async {
        let mut stream = TcpStream::connect(addr).await.expect("connect");
        stream
            .write_all(request.as_bytes())
            .await
            .expect("write request");
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await.expect("read response");
        parse_response(&raw)
    })
    .await
    .unwrap_or_else(|_| panic!("{method} {path}: no response within {WAIT:?}"))
}

/// `application/json` request with a JSON body.
pub async fn json(addr: SocketAddr, method: &str, path: &str, body: &Value) -> Response {
    http(
        addr,
        method,
        path,
        Some(("application/json", &body.to_string())),
    )
    .await
}

fn parse_response(raw: &[u8]) -> Response {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a response head");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse().ok())
        .expect("a status line");
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    let chunked = headers.iter().any(|(n, v)| {
        n.eq_ignore_ascii_case("transfer-encoding") && v.eq_ignore_ascii_case("chunked")
    });
    if chunked {
        body = dechunk(&body);
    }
    Response {
        status,
        headers,
        body: String::from_utf8(body).expect("a UTF-8 body"),
    }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let end = data
            .windows(2)
            .position(|w| w == b"\r\n")
            .expect("a chunk size");
        let size_text = String::from_utf8_lossy(&data[..end]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
            .expect("a hex chunk size");
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&data[end + 2..end + 2 + size]);
        data = &data[end + 2 + size + 2..];
    }
}

/// A Socket.IO client on the default namespace over Engine.IO v4 long-polling.
pub struct PollingClient {
    addr: SocketAddr,
    sid: String,
    next_ack: u64,
    /// Engine.IO packets read but not yet looked at.
    pending: std::collections::VecDeque<String>,
    /// Socket.IO packets set aside while waiting for an acknowledgement.
    stash: std::collections::VecDeque<String>,
}

impl PollingClient {
    /// Opens the Engine.IO session and connects the default namespace; returns the client and
    /// the arguments of the server's `connected` event.
    pub async fn connect(addr: SocketAddr) -> (PollingClient, Vec<Value>) {
        let open = http(addr, "GET", "/socket.io/?EIO=4&transport=polling", None).await;
        assert_eq!(open.status, 200, "handshake: {open:?}");
        let handshake: Value = serde_json::from_str(
            open.body
                .strip_prefix('0')
                .expect("an Engine.IO open packet"),
        )
        .expect("handshake JSON");
        let sid = handshake["sid"].as_str().expect("a sid").to_owned();
        let mut client = PollingClient {
            addr,
            sid,
            next_ack: 1,
            pending: Default::default(),
            stash: Default::default(),
        };
        client.send("40").await;
        let connect = client.next_packet().await;
        assert!(
            connect.starts_with("0{"),
            "namespace connect answer: {connect}"
        );
        let (event, args) = client.next_event().await;
        assert_eq!(event, "connected");
        (client, args)
    }

    fn path(&self) -> String {
        format!("/socket.io/?EIO=4&transport=polling&sid={}", self.sid)
    }

    async fn send(&self, packet: &str) {
        let response = http(
            self.addr,
            "POST",
            &self.path(),
            Some(("text/plain;charset=UTF-8", packet)),
        )
        .await;
        assert_eq!(response.status, 200, "post {packet}: {response:?}");
    }

    /// The next Socket.IO packet.
    pub async fn next_packet(&mut self) -> String {
        match self.stash.pop_front() {
            Some(packet) => packet,
            None => self.read_packet().await,
        }
    }

    /// The next Socket.IO packet from the server (Engine.IO pings are answered and skipped).
    async fn read_packet(&mut self) -> String {
        loop {
            if let Some(packet) = self.pending.pop_front() {
                if packet == "2" {
                    self.send("3").await;
                    continue;
                }
                let message = packet
                    .strip_prefix('4')
                    .unwrap_or_else(|| panic!("an Engine.IO message, not {packet:?}"));
                return message.to_owned();
            }
            let response = http(self.addr, "GET", &self.path(), None).await;
            assert_eq!(response.status, 200, "poll: {response:?}");
            self.pending
                .extend(response.body.split('\u{1e}').map(str::to_owned));
        }
    }

    /// The next event packet (`2[...]`): its name and arguments.
    pub async fn next_event(&mut self) -> (String, Vec<Value>) {
        loop {
            let packet = self.next_packet().await;
            if let Some(json) = packet.strip_prefix('2') {
                let mut array: Vec<Value> = serde_json::from_str(json).expect("event JSON");
                let name = array.remove(0).as_str().expect("an event name").to_owned();
                return (name, array);
            }
        }
    }

    /// Emits `subscribe(channel, ack)` and returns the ack's argument.
    pub async fn subscribe(&mut self, channel: &str) -> Value {
        let id = self.next_ack;
        self.next_ack += 1;
        self.send(&format!(
            "42{id}{}",
            serde_json::json!(["subscribe", channel])
        ))
        .await;
        loop {
            let packet = self.read_packet().await;
            if let Some(rest) = packet.strip_prefix(&format!("3{id}")) {
                let mut args: Vec<Value> = serde_json::from_str(rest).expect("ack JSON");
                return args.remove(0);
            }
            self.stash.push_back(packet);
        }
    }
}
