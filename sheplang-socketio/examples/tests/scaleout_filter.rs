//! Filtered subscriptions across a Redis cluster (docs/wire.md, "Filtered subscriptions";
//! docs/scale-out.md): a change emitted on node A, with the row before it, reaches a filtered
//! client of node B by the filter's rules: the matching rows, a row that moves out as a
//! removal, one that moves in as an addition, nothing of the others; and an unfiltered client
//! of B gets every change, with the same positions.
//!
//! Redis comes from `test-services`: `$REDIS_URL` when it is set and reachable (the test uses
//! a key prefix of its own), else a `redis-server` started for the test.

mod support;

use serde_json::{Value, json};
use support::cluster::{Node, prefix, redis};
use support::{Client, WAIT};

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
    let redis = redis();
    let prefix = prefix("scaleout-filter");
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
