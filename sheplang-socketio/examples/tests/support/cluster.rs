//! The nodes of a Redis cluster for the scale-out tests (tests/scaleout.rs,
//! tests/scaleout_filter.rs): `serve-spec tasks --redis URL` processes, their control routes,
//! and a key prefix of each test's own.

use std::io::{BufRead as _, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use super::WAIT;

/// The Redis of a test: `$REDIS_URL` when it is set and reachable, else a `redis-server`
/// started for it (`test-services`).
pub fn redis() -> test_services::Service {
    test_services::redis().unwrap_or_else(|e| panic!("{e}"))
}

/// A key prefix no other test (or run) uses.
pub fn prefix(test: &str) -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!(
        "test:{test}:{}:{nanos}:{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// One `serve-spec tasks --redis URL` process; killed (`kill -9`) when dropped.
pub struct Node {
    child: Child,
    pub addr: SocketAddr,
}

impl Node {
    pub fn start(redis: &str, prefix: &str) -> Node {
        Node::start_with(redis, prefix, &[])
    }

    /// A node with more options of `serve-spec`.
    pub fn start_with(redis: &str, prefix: &str, more: &[&str]) -> Node {
        let mut child = Command::new(env!("CARGO_BIN_EXE_serve-spec"))
            .args(["tasks", "--redis", redis, "--redis-prefix", prefix])
            .args(more)
            .arg("--exit-on-stdin-eof")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("serve-spec starts");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("serve-spec prints its port");
        let ready: Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("serve-spec's first line `{line}`: {e}"));
        let port = u16::try_from(ready["port"].as_u64().expect("port")).expect("a port");
        Node {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
        }
    }

    /// Whether the process still runs.
    pub fn is_running(&mut self) -> bool {
        self.child.try_wait().expect("wait").is_none()
    }

    /// `kill -9`: the node dies without closing anything.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// One request to a control route on a fresh connection; the whole answer.
    async fn control(&self, request: &str) -> String {
        let mut stream = TcpStream::connect(self.addr).await.expect("connect");
        stream.write_all(request.as_bytes()).await.expect("write");
        let mut answer = Vec::new();
        tokio::time::timeout(WAIT, stream.read_to_end(&mut answer))
            .await
            .expect("the control endpoint answers")
            .expect("read");
        String::from_utf8_lossy(&answer).into_owned()
    }

    /// `POST /control/emit-batch` with these events; waits for the answer.
    pub async fn emit_batch(&self, events: Vec<Value>) {
        let body = json!({ "events": events }).to_string();
        let answer = self
            .control(&format!(
                "POST /control/emit-batch HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            ))
            .await;
        assert!(answer.starts_with("HTTP/1.1 2"), "{answer}");
    }

    /// `GET /control/stats`: the node's metrics.
    pub async fn metrics(&self) -> Value {
        let answer = self
            .control("GET /control/stats HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            .await;
        let body = answer.split("\r\n\r\n").nth(1).expect("a body");
        serde_json::from_str::<Value>(body).expect("JSON")["metrics"].clone()
    }

    /// Waits until the node's metrics satisfy `done`, checking them as they change.
    pub async fn wait_metrics(&self, what: &str, done: impl Fn(&Value) -> bool) -> Value {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            let metrics = self.metrics().await;
            if done(&metrics) {
                return metrics;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{what} within 30 s: {metrics}"
            );
            tokio::task::yield_now().await;
        }
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill();
    }
}
