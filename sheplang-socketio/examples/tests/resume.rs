//! Sequence numbers, resume and backpressure (docs/wire.md, "Positions and resume"): a client
//! that subscribes with options gets every model event with its position, resumes after a
//! disconnection with every event exactly once, is told `reset` when the log no longer holds
//! its position, and a client that stops reading is disconnected, never silently skipped.

mod support;

use core::time::Duration;

use serde_json::{Value, json};
use sheplang_socketio::RealtimeServer;
use sheplang_socketio_examples::tasks::{self, Task};
use support::{Client, TestServer, WAIT, bounded};

type Tasks = RealtimeServer<tasks::Spec>;

fn task(n: usize, title: &str) -> Task {
    serde_json::from_value(json!({
        "id": format!("t-{n}"),
        "title": title,
        "done": false,
        "createdAt": "2026-11-25T09:00:00Z",
        "tags": [],
    }))
    .expect("a task")
}

/// Waits (at most [`WAIT`]) until `done` holds: for a counter of the server.
async fn wait_until(done: impl Fn() -> bool) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while !done() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "not reached in {WAIT:?}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// `subscribe(channel, options)` answered `{ ok: true, epoch, seq, reset? }`; returns it.
async fn subscribe_with(c: &mut Client, channel: &str, options: Value) -> Value {
    let mut answer = c.call("subscribe", &[json!(channel), options]).await;
    assert_eq!(answer.len(), 1, "one answer argument: {answer:?}");
    let answer = answer.remove(0);
    assert_eq!(answer["ok"], json!(true), "{answer}");
    assert!(answer["epoch"].is_string(), "{answer}");
    assert!(answer["seq"].is_u64(), "{answer}");
    answer
}

/// The `t-<n>` numbers and positions of `model_created` events, checking their arity.
fn created(events: &[(String, Vec<Value>)]) -> Vec<(usize, u64)> {
    events
        .iter()
        .filter(|(name, _)| name == "model_created")
        .map(|(_, args)| {
            assert_eq!(args.len(), 3, "model, row, seq: {args:?}");
            let id = args[1]["id"].as_str().expect("id");
            let n = id.trim_start_matches("t-").parse().expect("t-<n>");
            (n, args[2].as_u64().expect("seq"))
        })
        .collect()
}

#[tokio::test]
async fn positions_travel_only_to_clients_that_ask_for_them() {
    bounded(async {
        let server = TestServer::start(Tasks::builder()).await;
        let mut old = server.client().await;
        let mut new = server.client().await;
        old.subscribe("task").await;
        let answer = subscribe_with(&mut new, "task", json!({})).await;
        assert_eq!(answer["seq"], json!(0));
        assert_eq!(answer["epoch"], json!(server.realtime.log_epoch()));
        assert!(answer.get("reset").is_none());

        server.realtime.emit_created(&task(1, "one")).unwrap();
        server.realtime.emit_updated(&task(1, "uno")).unwrap();
        server.realtime.emit_deleted::<Task>("t-1").unwrap();

        let old_events = server.events_before_marker(&mut old).await;
        let new_events = server.events_before_marker(&mut new).await;
        // Today's arity for a client that did not ask: a handler `(model, data)` keeps working.
        assert_eq!(
            old_events
                .iter()
                .map(|(name, args)| (name.as_str(), args.len()))
                .collect::<Vec<_>>(),
            [
                ("model_created", 2),
                ("model_updated", 2),
                ("model_deleted", 2)
            ]
        );
        assert_eq!(
            new_events
                .iter()
                .map(|(name, args)| (name.as_str(), args.last().cloned().unwrap()))
                .collect::<Vec<_>>(),
            [
                ("model_created", json!(1)),
                ("model_updated", json!(2)),
                ("model_deleted", json!(3))
            ]
        );
        assert_eq!(new_events[2].1, [json!("Task"), json!("t-1"), json!(3)]);
        assert_eq!(server.realtime.metrics().events, 3);
    })
    .await;
}

#[tokio::test]
async fn a_client_resumes_with_every_event_exactly_once() {
    bounded(async {
        let server = TestServer::start(Tasks::builder()).await;
        let mut c = server.client().await;
        let answer = subscribe_with(&mut c, "task", json!({})).await;
        let epoch = answer["epoch"].clone();
        for n in 1..=3 {
            server.realtime.emit_created(&task(n, "before")).unwrap();
        }
        let seen = created(&server.events_before_marker(&mut c).await);
        assert_eq!(seen, [(1, 1), (2, 2), (3, 3)]);
        c.close().await;
        server.wait_for_connected_count(0).await;

        for n in 4..=6 {
            server
                .realtime
                .emit_created(&task(n, "while away"))
                .unwrap();
        }
        let mut back = server.client().await;
        let answer = subscribe_with(&mut back, "task", json!({"since": 3, "epoch": epoch})).await;
        assert_eq!(answer["seq"], json!(6));
        assert!(answer.get("reset").is_none());
        server.realtime.emit_created(&task(7, "live")).unwrap();
        let seen = created(&server.events_before_marker(&mut back).await);
        assert_eq!(seen, [(4, 4), (5, 5), (6, 6), (7, 7)]);
        assert_eq!(server.realtime.metrics().replayed, 3);

        // Up to date: nothing replayed.
        let mut again = server.client().await;
        let answer = subscribe_with(&mut again, "task", json!({"since": 7, "epoch": epoch})).await;
        assert_eq!(answer["seq"], json!(7));
        assert_eq!(created(&server.events_before_marker(&mut again).await), []);
    })
    .await;
}

#[tokio::test]
async fn a_position_the_log_no_longer_holds_answers_reset() {
    bounded(async {
        let server =
            TestServer::start(Tasks::builder().log_limits(2, Duration::from_secs(60))).await;
        for n in 1..=5 {
            server.realtime.emit_created(&task(n, "x")).unwrap();
        }
        let mut c = server.client().await;
        let epoch = json!(server.realtime.log_epoch());
        // Wait until the dispatcher has the five (the marker is behind them).
        let _ = server.events_before_marker(&mut c).await;
        let answer = subscribe_with(&mut c, "task", json!({"since": 1, "epoch": epoch})).await;
        assert_eq!(
            (answer["seq"].clone(), answer["reset"].clone()),
            (json!(5), json!(true))
        );
        // Another log's position (a restarted server): reset too, whatever the number.
        let answer = subscribe_with(&mut c, "task", json!({"since": 4, "epoch": "another"})).await;
        assert_eq!(
            (answer["seq"].clone(), answer["reset"].clone()),
            (json!(5), json!(true))
        );
        // A position without its epoch cannot be trusted.
        let answer = subscribe_with(&mut c, "task", json!({"since": 4})).await;
        assert_eq!(answer["reset"], json!(true));
        // Still held: replayed.
        let answer = subscribe_with(&mut c, "task", json!({"since": 4, "epoch": epoch})).await;
        assert!(answer.get("reset").is_none());
        assert_eq!(
            created(&server.events_before_marker(&mut c).await),
            [(5, 5)]
        );
        assert_eq!(server.realtime.metrics().resets, 3);
    })
    .await;
}

#[tokio::test]
async fn malformed_calls_with_an_ack_get_the_documented_answer() {
    bounded(async {
        let server = TestServer::start(Tasks::builder()).await;
        let mut c = server.client().await;
        let invalid = |e: &str| vec![json!({"ok": false, "error": e})];
        assert_eq!(c.call("subscribe", &[]).await, invalid("invalid channel"));
        // A second argument that is not an object is an old client's stray argument: the old
        // form, answered as such.
        let ok = vec![json!({"ok": true})];
        assert_eq!(c.call("subscribe", &[json!("task"), json!(1)]).await, ok);
        assert_eq!(c.call("subscribe", &[json!("task"), json!("x")]).await, ok);
        for since in [
            json!(-1),
            json!(1.5),
            json!("3"),
            json!(9_007_199_254_740_992_u64),
        ] {
            assert_eq!(
                c.call(
                    "subscribe",
                    &[json!("task"), json!({"since": since, "epoch": "e"})]
                )
                .await,
                invalid("invalid options"),
                "{since}"
            );
        }
        assert_eq!(
            c.call("subscribe", &[json!("task"), json!({"epoch": 5})])
                .await,
            invalid("invalid options")
        );
        // The channel is checked first.
        assert_eq!(
            c.call("subscribe", &[json!("nope"), json!(1)]).await,
            invalid("unknown channel \"nope\"")
        );
        assert_eq!(c.call("unsubscribe", &[]).await, invalid("invalid channel"));
        assert_eq!(
            c.call("unsubscribe", &[json!("task"), json!(1)]).await,
            vec![json!({"ok": true})]
        );
        assert_eq!(c.call("ping", &[json!("x")]).await, Vec::<Value>::new());
        assert_eq!(
            c.call("ping", &[json!(1), json!(2), json!(3)]).await,
            Vec::<Value>::new()
        );
        // Unknown option keys and further arguments are ignored.
        let answer = subscribe_with(&mut c, "task", json!({"future": true})).await;
        assert_eq!(answer["seq"], json!(0));
        let mut answer = c
            .call("subscribe", &[json!("task"), json!({}), json!(2)])
            .await;
        assert_eq!(answer.remove(0)["seq"], json!(0));
    })
    .await;
}

#[tokio::test]
async fn a_client_that_stops_reading_is_disconnected_then_resumes_with_everything() {
    bounded(async {
        const EVENTS: usize = 2_000;
        let server = TestServer::start(Tasks::builder().max_buffer_size(64)).await;
        // A small receive window, and nothing read while the events are sent.
        let mut slow = Client::connect_with_receive_buffer(server.addr, Some(4096)).await;
        assert_eq!(slow.next_event().await.0, "connected");
        let answer = subscribe_with(&mut slow, "task", json!({})).await;
        let epoch = answer["epoch"].clone();

        let title = "x".repeat(5_000);
        for n in 1..=EVENTS {
            server.realtime.emit_created(&task(n, &title)).unwrap();
        }
        // 10 MB do not fit the socket buffers and 64 packets: the server gives up on it.
        wait_until(|| server.realtime.metrics().overflow_disconnects == 1).await;
        assert_eq!(server.realtime.subscriber_count(tasks::Channel::Task), 0);

        // Reading again: what was queued, in order, then the disconnection.
        let mut seen = Vec::new();
        while let Some(event) = slow.next_event_or_closed().await {
            seen.push(event);
        }
        let mut seen = created(&seen);
        assert!(seen.len() < EVENTS, "the slow reader was not cut off");
        let last = seen.last().map_or(0, |(_, seq)| *seq);

        let mut back = server.client().await;
        let answer =
            subscribe_with(&mut back, "task", json!({"since": last, "epoch": epoch})).await;
        assert!(answer.get("reset").is_none(), "{answer}");
        // The replay is sent as the connection makes room: count to the last event (a marker
        // notification is not ordered with a replay in progress), then check that nothing
        // else follows.
        while seen.last().is_none_or(|(n, _)| *n < EVENTS) {
            let event = back.next_event().await;
            seen.extend(created(&[event]));
        }
        assert_eq!(created(&server.events_before_marker(&mut back).await), []);
        let expected: Vec<(usize, u64)> = (1..=EVENTS).map(|n| (n, n as u64)).collect();
        assert_eq!(seen, expected, "every event exactly once, in order");
        assert_eq!(server.realtime.metrics().overflow_disconnects, 1);
    })
    .await;
}
