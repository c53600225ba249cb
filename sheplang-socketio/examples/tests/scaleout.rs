//! Scale-out over Redis (docs/scale-out.md): `serve-spec` processes on one real `redis-server`
//! are the nodes of one cluster; a change emitted on any node, or published by a process with
//! no server, reaches every subscriber of every node once, in the same order, with the same
//! positions; a client of a node that dies (`kill -9`) resumes on another; a Redis restart
//! leaves every client correct.
//!
//! Redis comes from `test-services`: `$REDIS_URL` when it is set and reachable (each test
//! uses a key prefix of its own), else a `redis-server` started for the test.

mod support;

use std::sync::Arc;
use std::time::Duration;

use serde_json::value::RawValue;
use serde_json::{Value, json};
use sheplang::ModelEventKind;
use sheplang_socketio::log::{EventLog as _, LogEvent, Replay};
use sheplang_socketio::{Publisher, RedisLog, RedisOptions};
use sheplang_socketio_examples::tasks::{self, Task};
use support::Client;
use support::cluster::{Node, prefix, redis};

fn task(n: usize) -> Task {
    serde_json::from_value(row(n)).expect("a task")
}

fn row(n: usize) -> Value {
    json!({
        "id": format!("t-{n}"),
        "title": format!("task {n}"),
        "done": false,
        "createdAt": "2026-11-30T09:00:00Z",
        "tags": [],
    })
}

fn created(n: usize) -> Value {
    json!({ "event": "model_created", "args": ["Task", row(n)] })
}

/// Subscribes to `task` with positions; returns the answer.
async fn subscribe(client: &mut Client, options: Value) -> Value {
    let mut answer = client.call("subscribe", &[json!("task"), options]).await;
    assert_eq!(answer.len(), 1, "{answer:?}");
    let answer = answer.remove(0);
    assert_eq!(answer["ok"], json!(true), "{answer}");
    answer
}

/// What a client received of `task`: `(n of t-n, position)` per `model_created`, in order.
#[derive(Default)]
struct Received {
    events: Vec<(usize, u64)>,
}

impl Received {
    /// Reads until `count` events arrived in total, or the connection closes (`false`).
    async fn read_until(&mut self, client: &mut Client, count: usize) -> bool {
        while self.events.len() < count {
            let Some((name, args)) = client.next_event_or_closed().await else {
                return false;
            };
            if name != "model_created" {
                continue;
            }
            assert_eq!(args.len(), 3, "model, row, seq: {args:?}");
            let n = args[1]["id"]
                .as_str()
                .and_then(|id| id.strip_prefix("t-"))
                .and_then(|n| n.parse().ok())
                .expect("t-<n>");
            self.events.push((n, args[2].as_u64().expect("seq")));
        }
        true
    }

    fn last(&self) -> u64 {
        self.events.last().map_or(0, |(_, seq)| *seq)
    }
}

/// Writer `which` of three: emits its share of `t-0 .. t-<total>` through `node`, a batch of
/// `batch` at a time.
async fn write_through(node: &Node, which: usize, batch: usize, total: usize) {
    for start in (0..total).step_by(batch * 3) {
        let events = (start + which * batch..start + (which + 1) * batch)
            .filter(|n| *n < total)
            .map(created)
            .collect();
        node.emit_batch(events).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_from_every_node_and_a_publisher_reach_every_client_once_in_one_order() {
    const TOTAL: usize = 5_000;
    const BATCH: usize = 100;
    let redis = redis();
    let prefix = prefix("cross-node");
    let nodes = [
        Node::start(redis.url(), &prefix),
        Node::start(redis.url(), &prefix),
    ];
    let log = RedisLog::connect(redis.url(), RedisOptions::default().prefix(prefix.clone()))
        .await
        .expect("the publisher connects");
    let publisher = Publisher::<tasks::Spec>::new(log);

    let mut clients = Vec::new();
    for node in &nodes {
        for _ in 0..2 {
            let mut client = Client::connect(node.addr).await;
            let answer = subscribe(&mut client, json!({})).await;
            assert_eq!(answer["seq"], json!(0), "a fresh log: {answer}");
            clients.push(client);
        }
    }

    // Three writers at once, interleaved: each node's control endpoint, and the publisher.
    let by_publisher = async {
        for start in (0..TOTAL).step_by(BATCH * 3) {
            for n in (start + 2 * BATCH..start + 3 * BATCH).filter(|n| *n < TOTAL) {
                publisher.emit_created(&task(n)).await.expect("published");
            }
        }
    };
    let writers = async {
        tokio::join!(
            write_through(&nodes[0], 0, BATCH, TOTAL),
            write_through(&nodes[1], 1, BATCH, TOTAL),
            by_publisher
        );
    };
    let readers = futures_util::future::join_all(clients.iter_mut().map(|client| async move {
        let mut received = Received::default();
        assert!(
            received.read_until(client, TOTAL).await,
            "a client was disconnected"
        );
        received
    }));
    let ((), received) = tokio::time::timeout(Duration::from_secs(120), async {
        tokio::join!(writers, readers)
    })
    .await
    .expect("every client gets every change within 120 s");

    let first = &received[0].events;
    let positions: Vec<u64> = first.iter().map(|(_, seq)| *seq).collect();
    assert_eq!(
        positions,
        (1..=TOTAL as u64).collect::<Vec<_>>(),
        "positions 1..=5000, each once"
    );
    let mut ids: Vec<usize> = first.iter().map(|(n, _)| *n).collect();
    ids.sort_unstable();
    assert_eq!(
        ids,
        (0..TOTAL).collect::<Vec<_>>(),
        "every change exactly once"
    );
    for (i, other) in received.iter().enumerate().skip(1) {
        assert!(
            other.events == *first,
            "client {i} got the changes in another order than client 0"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_of_a_killed_node_resume_on_another_with_every_change_once() {
    const TOTAL: usize = 2_000;
    let redis = redis();
    let prefix = prefix("failover");
    let mut a = Node::start(redis.url(), &prefix);
    let b = Node::start(redis.url(), &prefix);
    let log = RedisLog::connect(redis.url(), RedisOptions::default().prefix(prefix.clone()))
        .await
        .expect("the publisher connects");
    let publisher = Publisher::<tasks::Spec>::new(log);

    let mut on_a = Vec::new();
    for _ in 0..2 {
        let mut client = Client::connect(a.addr).await;
        let answer = subscribe(&mut client, json!({})).await;
        on_a.push((client, answer["epoch"].clone()));
    }
    let mut on_b = Client::connect(b.addr).await;
    subscribe(&mut on_b, json!({})).await;

    let publish = async {
        for n in 0..TOTAL {
            publisher.emit_created(&task(n)).await.expect("published");
        }
    };
    let failover = async {
        // Both of A's clients are a quarter of the way through when A dies.
        let mut received = Vec::new();
        for (client, _) in &mut on_a {
            let mut r = Received::default();
            assert!(r.read_until(client, TOTAL / 4).await, "A is still up");
            received.push(r);
        }
        a.kill();
        let mut resumed = 0;
        for ((client, epoch), r) in on_a.iter_mut().zip(&mut received) {
            // Whatever A had sent before it died, then the end of the connection.
            assert!(!r.read_until(client, TOTAL).await, "A is dead");
            let mut again = Client::connect(b.addr).await;
            let answer = subscribe(&mut again, json!({ "since": r.last(), "epoch": epoch })).await;
            assert!(answer.get("reset").is_none(), "B replays: {answer}");
            assert_eq!(answer["epoch"], *epoch, "one log for the whole cluster");
            assert!(r.read_until(&mut again, TOTAL).await);
            resumed += 1;
            *client = again;
        }
        assert_eq!(resumed, 2);
        received
    };
    let on_b_reads = async {
        let mut r = Received::default();
        assert!(r.read_until(&mut on_b, TOTAL).await);
        r
    };
    let ((), received, on_b) = tokio::time::timeout(Duration::from_secs(120), async {
        tokio::join!(publish, failover, on_b_reads)
    })
    .await
    .expect("the failover completes within 120 s");

    let expected: Vec<(usize, u64)> = (0..TOTAL).map(|n| (n, n as u64 + 1)).collect();
    assert_eq!(on_b.events, expected, "B's own client: every change once");
    for (i, r) in received.iter().enumerate() {
        assert_eq!(
            r.events.len(),
            TOTAL,
            "A's client {i} counts {} changes",
            r.events.len()
        );
        assert!(
            r.events == expected,
            "A's client {i}: every change once, in order"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_restart_mid_stream_leaves_every_client_correct() {
    const HALF: usize = 300;
    let mut redis = test_services::redis_owned().unwrap_or_else(|e| panic!("{e}"));
    let prefix = prefix("restart");
    let mut nodes = [
        Node::start(redis.url(), &prefix),
        Node::start(redis.url(), &prefix),
    ];
    // What a client would load from the database: every row emitted so far.
    let truth: std::collections::BTreeSet<usize> = (0..2 * HALF).collect();

    let mut clients = Vec::new();
    for node in &nodes {
        let mut client = Client::connect(node.addr).await;
        let answer = subscribe(&mut client, json!({})).await;
        clients.push((client, answer["epoch"].clone()));
    }
    nodes[0].emit_batch((0..HALF).map(created).collect()).await;
    let mut received: Vec<Received> = Vec::new();
    for (client, _) in &mut clients {
        let mut r = Received::default();
        assert!(r.read_until(client, HALF).await);
        received.push(r);
    }

    // Redis goes away (its data with it) while the second half is emitted; the node queues it
    // and writes it when Redis is back, in a new history.
    redis.stop().expect("redis stops");
    nodes[1]
        .emit_batch((HALF..2 * HALF).map(created).collect())
        .await;
    redis.start_again().expect("redis starts again");

    for (i, ((client, epoch), r)) in clients.iter_mut().zip(&mut received).enumerate() {
        // The rows this client shows: what it applied, or what it loaded after a reset.
        let mut rows: std::collections::BTreeSet<usize> =
            r.events.iter().map(|(n, _)| *n).collect();
        let mut last = r.last();
        let mut was_reset = false;
        tokio::time::timeout(Duration::from_secs(60), async {
            while rows != truth {
                let Some((name, args)) = client.next_event_or_closed().await else {
                    // Told to resubscribe: it does, from where it is.
                    *client = Client::connect(nodes[i].addr).await;
                    let answer = subscribe(client, json!({ "since": last, "epoch": *epoch })).await;
                    if answer.get("reset").is_some() {
                        was_reset = true;
                        rows.clone_from(&truth);
                        last = last.max(answer["seq"].as_u64().expect("seq"));
                    }
                    *epoch = answer["epoch"].clone();
                    continue;
                };
                if name == "model_created" && args[2].as_u64().expect("seq") > last {
                    last = args[2].as_u64().expect("seq");
                    let id = args[1]["id"].as_str().expect("id");
                    rows.insert(id.trim_start_matches("t-").parse().expect("t-<n>"));
                }
            }
        })
        .await
        .unwrap_or_else(|_| panic!("client {i} shows {} rows of {}", rows.len(), truth.len()));
        // Redis lost the first history: positions of it cannot be resumed from.
        assert!(was_reset, "client {i} was told to reload");
    }
    for node in &mut nodes {
        assert!(node.is_running(), "a node exited when Redis went away");
    }
}

/// The bound on emits waiting for a log that cannot be written: past it, a node drops emits
/// instead of holding them all in memory, and once the log is back it marks a gap in their
/// channel, so that the positioned clients of every node reload (nothing silently lost).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn emits_past_the_bound_during_an_outage_make_every_client_of_the_channel_reload() {
    const BOUND: usize = 20;
    const BURST: usize = 200;
    let redis = redis();
    let prefix = prefix("bound");
    let a = Node::start_with(
        redis.url(),
        &prefix,
        &["--max-pending-emits", &BOUND.to_string()],
    );
    let b = Node::start(redis.url(), &prefix);
    let mut clients = Vec::new();
    for node in [&a, &b] {
        let mut client = Client::connect(node.addr).await;
        let answer = subscribe(&mut client, json!({})).await;
        clients.push((client, answer["epoch"].clone()));
    }
    a.emit_batch((0..5).map(created).collect()).await;
    let mut received = Vec::new();
    for (client, _) in &mut clients {
        let mut r = Received::default();
        assert!(r.read_until(client, 5).await);
        received.push(r);
    }

    // The log cannot be written, its data intact: the epoch key holds a list for a while, so
    // every append script fails (as it would against an unreachable Redis).
    let direct = ::redis::Client::open(redis.url()).expect("a Redis URL");
    let mut direct = direct
        .get_multiplexed_async_connection()
        .await
        .expect("the test reaches Redis");
    let epoch_key = format!("{prefix}:epoch");
    let epoch: String = ::redis::cmd("GET")
        .arg(&epoch_key)
        .query_async(&mut direct)
        .await
        .expect("GET");
    let (): () = ::redis::pipe()
        .cmd("DEL")
        .arg(&epoch_key)
        .ignore()
        .cmd("RPUSH")
        .arg(&epoch_key)
        .arg("not an epoch")
        .ignore()
        .query_async(&mut direct)
        .await
        .expect("break the epoch key");
    a.emit_batch(vec![created(5)]).await;
    a.wait_metrics("node A sees the log degraded", |m| {
        m["logDegraded"] == json!(true)
    })
    .await;
    a.emit_batch((6..6 + BURST).map(created).collect()).await;
    let metrics = a.metrics().await;
    let dropped = metrics["droppedEmits"].as_u64().expect("droppedEmits");
    assert!(
        dropped >= (BURST - BOUND) as u64 && dropped < BURST as u64,
        "node A held at most {BOUND} emits and dropped the rest: {metrics}"
    );
    let (): () = ::redis::pipe()
        .cmd("DEL")
        .arg(&epoch_key)
        .ignore()
        .cmd("SET")
        .arg(&epoch_key)
        .arg(&epoch)
        .ignore()
        .query_async(&mut direct)
        .await
        .expect("mend the epoch key");

    // The emits it held go out, then the gap: every positioned client of the channel, on
    // node A and on node B, is told to resubscribe, and its resume is answered `reset`.
    for (i, ((client, epoch), r)) in clients.iter_mut().zip(&mut received).enumerate() {
        assert!(
            !r.read_until(client, 6 + BURST).await,
            "client {i} is disconnected at the gap"
        );
        let positions: Vec<u64> = r.events.iter().map(|(_, seq)| *seq).collect();
        assert_eq!(
            positions,
            (1..=positions.len() as u64).collect::<Vec<_>>(),
            "client {i}: what it got before the gap, in order"
        );
        let node = if i == 0 { &a } else { &b };
        let mut again = Client::connect(node.addr).await;
        let answer = subscribe(&mut again, json!({ "since": r.last(), "epoch": epoch })).await;
        assert_eq!(answer["reset"], json!(true), "client {i} reloads: {answer}");
        assert_eq!(answer["epoch"], *epoch, "the same history");
    }
    b.wait_metrics("node B counted its resync", |m| {
        m["resyncDisconnects"].as_u64() >= Some(1)
    })
    .await;
}

/// Emits that follow one another are appended together, in one pipeline of append scripts
/// (`EventLog::append_many`): in the order given, at consecutive positions; when Redis has lost
/// the script (`SCRIPT FLUSH`, as after a restart) it is loaded again and each event still goes
/// in once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_appended_together_keep_their_order_when_the_script_must_be_loaded_again() {
    let redis = redis();
    let prefix = prefix("append-many");
    let log = RedisLog::connect(redis.url(), RedisOptions::default().prefix(prefix.clone()))
        .await
        .expect("Redis");
    let event = |n: usize| {
        let payload = RawValue::from_string(row(n).to_string()).expect("a row");
        (
            "task",
            Arc::new(LogEvent::new(ModelEventKind::Created, "Task", payload)),
        )
    };
    let first: Vec<(&str, Arc<LogEvent>)> = (1..=5).map(event).collect();
    let (done, error) = log.append_many(&first).await;
    assert_eq!((done, error.map(|e| e.to_string())), (5, None));

    let client = redis::Client::open(redis.url()).expect("the URL");
    let mut connection = client
        .get_multiplexed_async_connection()
        .await
        .expect("a connection");
    let _: () = redis::cmd("SCRIPT")
        .arg("FLUSH")
        .query_async(&mut connection)
        .await
        .expect("SCRIPT FLUSH");
    let second: Vec<(&str, Arc<LogEvent>)> = (6..=8).map(event).collect();
    let (done, error) = log.append_many(&second).await;
    assert_eq!((done, error.map(|e| e.to_string())), (3, None));

    let Replay::Events { entries, head, .. } = log.read("task", Some(0)).await.expect("a read")
    else {
        panic!("every event is still in the log");
    };
    assert_eq!(head, 8);
    let read: Vec<(u64, String)> = entries
        .iter()
        .map(|entry| {
            let row: Value = serde_json::from_str(entry.event.payload.get()).expect("JSON");
            (entry.seq, row["id"].as_str().expect("an id").to_owned())
        })
        .collect();
    let expected: Vec<(u64, String)> = (1..=8).map(|n| (n as u64, format!("t-{n}"))).collect();
    assert_eq!(read, expected);
}
