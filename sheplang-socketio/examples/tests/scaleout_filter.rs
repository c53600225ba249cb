//! Filtered subscriptions across a Redis cluster (docs/wire.md, "Filtered subscriptions";
//! docs/scale-out.md): a change emitted on node A, with the row before it, reaches a filtered
//! client of node B by the filter's rules: the matching rows, a row that moves out as a
//! removal, one that moves in as an addition, nothing of the others; and an unfiltered client
//! of B gets every change, with the same positions.
//!
//! Redis comes from `test-services`: `$REDIS_URL` when it is set and reachable (the test uses
//! a key prefix of its own), else a `redis-server` started for the test.

mod support;

use std::io::{BufRead as _, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};

use serde_json::{Value, json};
use support::{Client, WAIT};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

/// One `serve-spec tasks --redis URL` process; killed when dropped.
struct Node {
    child: Child,
    addr: SocketAddr,
}

impl Node {
    fn start(redis: &str, prefix: &str) -> Node {
        let mut child = Command::new(env!("CARGO_BIN_EXE_serve-spec"))
            .args(["tasks", "--redis", redis, "--redis-prefix", prefix])
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

    /// `POST /control/emit-batch` with these events; waits for the answer.
    async fn emit_batch(&self, events: Vec<Value>) {
        let body = json!({ "events": events }).to_string();
        let request = format!(
            "POST /control/emit-batch HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        let mut stream = TcpStream::connect(self.addr).await.expect("connect");
        stream.write_all(request.as_bytes()).await.expect("write");
        let mut answer = Vec::new();
        tokio::time::timeout(WAIT, stream.read_to_end(&mut answer))
            .await
            .expect("the control endpoint answers")
            .expect("read");
        let answer = String::from_utf8_lossy(&answer);
        assert!(answer.starts_with("HTTP/1.1 2"), "{answer}");
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn row(id: &str, owner: &str) -> Value {
    json!({
        "id": id,
        "title": format!("task {id}"),
        "done": false,
        "owner": owner,
        "createdAt": "2026-11-30T09:00:00Z",
        "tags": [],
    })
}

fn created(id: &str, owner: &str) -> Value {
    json!({ "event": "model_created", "args": ["Task", row(id, owner)] })
}

fn updated(id: &str, owner: &str, before: &str) -> Value {
    json!({ "event": "model_updated", "args": ["Task", row(id, owner)], "before": row(id, before) })
}

fn deleted(id: &str, before: &str) -> Value {
    json!({ "event": "model_deleted", "args": ["Task", id], "before": row(id, before) })
}

/// Reads `count` model events, `(event, id, seq)` each; fewer when none comes for `WAIT`.
async fn read(client: &mut Client, count: usize) -> Vec<(String, String, u64)> {
    let mut out = Vec::new();
    while out.len() < count {
        let Ok((name, args)) = tokio::time::timeout(WAIT, client.next_event()).await else {
            return out;
        };
        if !name.starts_with("model_") {
            continue;
        }
        assert_eq!(args.len(), 3, "model, payload, seq: {args:?}");
        let id = match &args[1] {
            Value::String(id) => id.clone(),
            row => row["id"].as_str().expect("an id").to_owned(),
        };
        if name != "model_deleted" {
            assert_eq!(
                args[1]["owner"],
                json!("u-1"),
                "a row of another owner: {args:?}"
            );
        }
        eprintln!("received {name} {id} {}", args[2]);
        out.push((name, id, args[2].as_u64().expect("seq")));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_filtered_client_of_node_b_gets_by_its_filter_what_node_a_emits() {
    let redis = test_services::redis().unwrap_or_else(|e| panic!("{e}"));
    let prefix = format!(
        "test:scaleout-filter:{}:{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
    );
    let a = Node::start(redis.url(), &prefix);
    let b = Node::start(redis.url(), &prefix);
    let mut filtered = Client::connect(b.addr).await;
    let answer = filtered
        .call(
            "subscribe",
            &[json!("task"), json!({ "filter": { "owner": "u-1" } })],
        )
        .await;
    assert_eq!(answer[0]["ok"], json!(true), "{answer:?}");
    let mut everything = Client::connect(b.addr).await;
    let answer = everything
        .call("subscribe", &[json!("task"), json!({})])
        .await;
    assert_eq!(answer[0]["ok"], json!(true), "{answer:?}");

    a.emit_batch(vec![
        created("a", "u-1"),        // 1: matches
        created("b", "u-2"),        // 2: does not
        updated("b", "u-1", "u-2"), // 3: moves in
        updated("a", "u-2", "u-1"), // 4: moves out
        updated("a", "u-3", "u-2"), // 5: stays out
        updated("b", "u-1", "u-1"), // 6: stays in
        deleted("a", "u-3"),        // 7: did not match
        created("c", "u-2"),        // 8: does not
        deleted("b", "u-1"),        // 9: matched
        created("d", "u-1"),        // 10: matches, the last
    ])
    .await;

    let got = read(&mut filtered, 6).await;
    let expected: Vec<(String, String, u64)> = [
        ("model_created", "a", 1),
        ("model_created", "b", 3),
        ("model_deleted", "a", 4),
        ("model_updated", "b", 6),
        ("model_deleted", "b", 9),
        ("model_created", "d", 10),
    ]
    .iter()
    .map(|(e, id, seq)| ((*e).to_owned(), (*id).to_owned(), *seq))
    .collect();
    assert_eq!(got, expected);
    // The unfiltered client of the same node gets all ten, with the same positions.
    let mut all = Vec::new();
    while all.len() < 10 {
        let (name, args) = tokio::time::timeout(WAIT, everything.next_event())
            .await
            .expect("the unfiltered client gets every event");
        if name.starts_with("model_") {
            all.push(args[2].as_u64().expect("seq"));
        }
    }
    assert_eq!(all, (1..=10).collect::<Vec<u64>>());
    // Nothing more for the filtered client: a marker sent after everything is the next thing.
    a.emit_batch(vec![created("e", "u-1")]).await;
    let next = read(&mut filtered, 1).await;
    assert_eq!(next, [("model_created".to_owned(), "e".to_owned(), 11)]);
}
