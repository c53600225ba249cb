//! The demo server under hostile load, as shipped: the `sheplang-demo` binary in a process of
//! its own on 127.0.0.1, attacked from this one.
//!
//! - thousands of connections that send half a request head and wait do not keep real
//!   clients out, and are closed within the header-read timeout;
//! - beyond the connection cap a new connection is refused at once, and service resumes when
//!   connections drop;
//! - binary attachments (which the protocol never uses) close the connection without pinning
//!   memory;
//! - a foreign `Host` (DNS rebinding) is refused on the API and both Socket.IO handshakes.

mod support;

use std::io::{BufRead as _, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use futures_util::{SinkExt as _, StreamExt as _};
use serde_json::json;
use support::{PollingClient, http};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;

/// The start of a request head that never ends.
const PARTIAL_HEAD: &[u8] = b"GET /api/tasks HTTP/1.1\r\nHost: localhost\r\n";

/// A `sheplang-demo` process, killed when dropped.
struct Demo {
    child: Child,
    addr: SocketAddr,
    _dir: tempfile::TempDir,
}

impl Demo {
    /// Starts the demo on a free port with an in-memory store and these extra arguments.
    fn start(args: &[&str]) -> Demo {
        let dir = tempfile::tempdir().unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_sheplang-demo"))
            .args(["--port", "0", "--memory", "--web"])
            .arg(dir.path())
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start sheplang-demo");
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let addr = loop {
            let line = lines
                .next()
                .expect("sheplang-demo exited before printing its address")
                .unwrap();
            if let Some(rest) = line.strip_prefix("http://") {
                break rest.trim_end_matches('/').parse().expect("an address");
            }
        };
        // Keep reading stdout so that the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Demo {
            child,
            addr,
            _dir: dir,
        }
    }

    /// The resident memory of the server process, in bytes (Linux).
    fn rss(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("the server's /proc status");
        let kb: u64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .expect("VmRSS");
        kb * 1024
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Raises this process's soft limit on open files to `wanted` (or the hard limit); the demo
/// process inherits it.
fn raise_file_limit(wanted: u64) {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let limit = getrlimit(Resource::Nofile);
    let target = limit.maximum.map_or(wanted, |hard| hard.min(wanted));
    if limit.current.is_some_and(|current| current < target) {
        setrlimit(
            Resource::Nofile,
            Rlimit {
                current: Some(target),
                maximum: limit.maximum,
            },
        )
        .expect("raise the open-file limit");
    }
    let now = getrlimit(Resource::Nofile).current;
    assert!(
        now.is_none_or(|n| n >= wanted),
        "this test needs {wanted} open files; the hard limit allows {now:?}"
    );
}

/// Opens `n` connections that each send half a request head; returns them with the instant
/// each was opened.
async fn partial_heads(addr: SocketAddr, n: usize) -> Vec<(TcpStream, Instant)> {
    let mut held = Vec::with_capacity(n);
    for _ in 0..n {
        let mut stream = TcpStream::connect(addr).await.expect("connect");
        stream.write_all(PARTIAL_HEAD).await.expect("write");
        held.push((stream, Instant::now()));
    }
    held
}

/// Waits until the server closes `stream` (end of stream or reset), at most until `deadline`.
async fn closed_by(stream: &mut TcpStream, deadline: Instant) -> bool {
    let mut buf = [0u8; 1024];
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0) | Err(_)) => return true,
            Ok(Ok(_)) => {}
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_thousand_partial_heads_do_not_keep_real_clients_out() {
    raise_file_limit(4_096);
    let header_timeout = Duration::from_secs(8);
    let demo = Demo::start(&[
        "--header-timeout-ms",
        &header_timeout.as_millis().to_string(),
        // Only the header timeout may close them here.
        "--keep-alive-timeout-ms",
        "600000",
    ]);
    let addr = demo.addr;
    let mut held = partial_heads(addr, 3_000).await;
    let first_opened = held[0].1;

    // A real client's request answers within 1 s.
    let asked = Instant::now();
    let tasks = tokio::time::timeout(
        Duration::from_secs(1),
        http(addr, "GET", "/api/tasks", None),
    )
    .await
    .expect("GET /api/tasks answers within 1 s while 3,000 partial heads are held");
    assert_eq!(tasks.status, 200, "{tasks:?}");
    // A Socket.IO client connects and subscribes within 2 s.
    let subscribed = tokio::time::timeout(Duration::from_secs(2), async {
        let (mut client, _) = PollingClient::connect(addr).await;
        client.subscribe("task").await
    })
    .await
    .expect("a Socket.IO client connects and subscribes within 2 s");
    assert_eq!(subscribed, json!({"ok": true}));
    assert!(
        first_opened + header_timeout > Instant::now(),
        "inconclusive: the checks ended after the first partial head's timeout ({:?} after it)",
        asked - first_opened
    );

    // Every partial head is closed by the server within the header timeout (and a margin for
    // a loaded machine).
    let margin = Duration::from_secs(2);
    for (i, (stream, opened)) in held.iter_mut().enumerate() {
        assert!(
            closed_by(stream, *opened + header_timeout + margin).await,
            "partial head {i} still open {:?} after it was sent",
            header_timeout + margin
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_the_connection_cap_a_new_connection_is_refused_at_once() {
    raise_file_limit(1_024);
    let demo = Demo::start(&["--max-connections", "50"]);
    let addr = demo.addr;
    let held = partial_heads(addr, 50).await;
    for _ in 0..3 {
        let refused = tokio::time::timeout(
            Duration::from_secs(2),
            http(addr, "GET", "/api/tasks", None),
        )
        .await
        .expect("a connection over the cap is answered at once, not left waiting");
        assert_eq!(refused.status, 503, "{refused:?}");
        assert_eq!(refused.header("retry-after"), Some("1"));
    }
    drop(held);
    // Service resumes once the server has seen them go.
    let deadline = Instant::now() + support::WAIT;
    loop {
        let response = http(addr, "GET", "/api/tasks", None).await;
        if response.status == 200 {
            break;
        }
        assert_eq!(response.status, 503, "{response:?}");
        assert!(
            Instant::now() < deadline,
            "still refused after the connections closed"
        );
        tokio::task::yield_now().await;
    }
}

#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binary_attachments_close_the_connection_and_pin_no_memory() {
    let demo = Demo::start(&[]);
    let addr = demo.addr;
    let url = format!("ws://{addr}/socket.io/?EIO=4&transport=websocket");

    // One attack run: 10 connections, each a binary event announcing 100 attachments and 99
    // frames of 99 kB; returns when the server has closed every one.
    let attack = || async {
        let connections: Vec<_> = (0..10)
            .map(|_| {
                let url = url.clone();
                tokio::spawn(async move {
                    let (mut ws, _) = tokio_tungstenite::connect_async(url)
                        .await
                        .expect("websocket");
                    let _open = ws.next().await;
                    ws.send(Message::text("40")).await.unwrap();
                    let _connect = ws.next().await;
                    let _ = ws
                        .send(Message::text(
                            r#"45100-["subscribe",{"_placeholder":true,"num":0}]"#,
                        ))
                        .await;
                    for _ in 0..99 {
                        if ws.send(Message::binary(vec![7u8; 99_000])).await.is_err() {
                            break;
                        }
                    }
                    // Answer pings until the server closes the connection.
                    let closed = tokio::time::timeout(support::WAIT, async {
                        loop {
                            match ws.next().await {
                                None | Some(Err(_) | Ok(Message::Close(_))) => return,
                                Some(Ok(Message::Text(t))) if t.as_str() == "2" => {
                                    let _ = ws.send(Message::text("3")).await;
                                }
                                Some(Ok(_)) => {}
                            }
                        }
                    })
                    .await;
                    assert!(
                        closed.is_ok(),
                        "the server kept a connection that sent binary"
                    );
                })
            })
            .collect();
        for connection in connections {
            connection.await.unwrap();
        }
    };
    // A first run warms the server's allocator and buffers up; the second is measured.
    attack().await;
    assert_eq!(http(addr, "GET", "/api/tasks", None).await.status, 200);
    let before = demo.rss();
    attack().await;
    assert_eq!(http(addr, "GET", "/api/tasks", None).await.status, 200);
    let after = demo.rss();
    let grown = after.saturating_sub(before);
    assert!(
        grown < 5 << 20,
        "the server's RSS grew by {} kB (from {} kB to {} kB)",
        grown / 1024,
        before / 1024,
        after / 1024
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_foreign_host_is_refused_on_the_api_and_both_handshakes() {
    let demo = Demo::start(&["--allowed-host", "tasks.example"]);
    let addr = demo.addr;
    let port = addr.port();
    let evil = format!("evil.example:{port}");
    let page = format!("http://{evil}");
    let upgrade: [(&str, &str); 4] = [
        ("Connection", "Upgrade"),
        ("Upgrade", "websocket"),
        ("Sec-WebSocket-Version", "13"),
        ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
    ];
    let polling = "/socket.io/?EIO=4&transport=polling";
    let websocket = "/socket.io/?EIO=4&transport=websocket";

    // A DNS-rebinding page: same origin as itself, the attacker's name as Host.
    let foreign = [("Host", evil.as_str()), ("Origin", page.as_str())];
    let created = support::request(
        addr,
        "POST",
        "/api/tasks",
        &foreign,
        Some(("application/json", r#"{"title":"pwned"}"#)),
    )
    .await;
    assert_eq!(created.status, 403, "POST /api/tasks: {created:?}");
    let listed = support::request(addr, "GET", "/api/tasks", &foreign, None).await;
    assert_eq!(listed.status, 403, "GET /api/tasks: {listed:?}");
    let handshake = support::request(addr, "GET", polling, &foreign, None).await;
    assert_eq!(handshake.status, 403, "polling handshake: {handshake:?}");
    let ws = raw_status(addr, websocket, &[&foreign[..], &upgrade[..]].concat()).await;
    assert_eq!(ws, 403, "websocket upgrade");
    let page_get = support::request(addr, "GET", "/", &foreign, None).await;
    assert_eq!(page_get.status, 403, "the page: {page_get:?}");

    // localhost, the bound address and the allowed name are answered.
    let tasks = format!("tasks.example:{port}");
    for host in [format!("localhost:{port}"), addr.to_string(), tasks] {
        let own = format!("http://{host}");
        let ok = [("Host", host.as_str()), ("Origin", own.as_str())];
        let listed = support::request(addr, "GET", "/api/tasks", &ok, None).await;
        assert_eq!(listed.status, 200, "{host}: {listed:?}");
        let handshake = support::request(addr, "GET", polling, &ok, None).await;
        assert_eq!(handshake.status, 200, "{host}: {handshake:?}");
        let ws = raw_status(addr, websocket, &[&ok[..], &upgrade[..]].concat()).await;
        assert_eq!(ws, 101, "{host}: websocket upgrade");
    }
    assert!(
        http(addr, "GET", "/api/tasks", None)
            .await
            .json()
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["title"] != "pwned"),
        "the refused create created nothing"
    );
}

/// The status of a request whose answer may never end (a WebSocket upgrade).
async fn raw_status(addr: SocketAddr, path: &str, headers: &[(&str, &str)]) -> u16 {
    let mut request = format!("GET {path} HTTP/1.1\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = tokio::time::timeout(support::WAIT, stream.read(&mut buf))
            .await
            .expect("an answer")
            .unwrap();
        assert!(n > 0, "closed without an answer");
        head.extend_from_slice(&buf[..n]);
    }
    String::from_utf8_lossy(&head)
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .expect("a status line")
}
