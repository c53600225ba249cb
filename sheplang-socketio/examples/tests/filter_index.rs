//! The filtered fan-out's index (sheplang-socketio's `hub/room.rs`): the server files each
//! filtered subscription under one value its filter names and sends an event only to the
//! subscriptions filed under the row's values. These cases are what the index could get wrong;
//! each asserts what the clients receive (docs/wire.md, "Filtered subscriptions").

mod support;

use serde_json::{Value, json};
use sheplang_socketio::RealtimeServer;
use sheplang_socketio_examples::tasks::{self, Task};
use support::{Client, TestServer, bounded};

type Tasks = RealtimeServer<tasks::Spec>;

fn task(n: usize, owner: Option<&str>, done: bool, title: &str) -> Task {
    let mut row = json!({
        "id": format!("t-{n}"),
        "title": title,
        "done": done,
        "createdAt": "2026-11-25T09:00:00Z",
        "tags": [],
    });
    if let Some(owner) = owner {
        row["owner"] = json!(owner);
    }
    serde_json::from_value(row).expect("a task")
}

/// Subscribes to `task` with these options; returns the answer's `seq`.
async fn subscribe_with(c: &mut Client, options: Value) -> u64 {
    let answer = c.call("subscribe", &[json!("task"), options]).await;
    assert_eq!(answer.len(), 1, "{answer:?}");
    assert_eq!(answer[0]["ok"], json!(true), "{answer:?}");
    answer[0]["seq"].as_u64().expect("seq")
}

/// What a sequenced client received: (event, task number, position).
fn seen(events: &[(String, Vec<Value>)]) -> Vec<(&'static str, usize, u64)> {
    events
        .iter()
        .map(|(name, args)| {
            assert_eq!(args.len(), 3, "model, row, seq: {args:?}");
            let id = args[1].get("id").unwrap_or(&args[1]).as_str().expect("id");
            let n = id.trim_start_matches("t-").parse().expect("t-<n>");
            let name = match name.as_str() {
                "model_created" => "created",
                "model_updated" => "updated",
                "model_deleted" => "deleted",
                other => panic!("unexpected event {other}"),
            };
            (name, n, args[2].as_u64().expect("seq"))
        })
        .collect()
}

#[tokio::test]
async fn rows_that_move_between_filed_values_reach_the_right_subscriptions() {
    bounded(async {
        let server = TestServer::start(Tasks::builder()).await;
        // Filtered on two fields, on a field another filter does not name, on the other field
        // alone, on `null` (absent), and not at all.
        let mut two = server.client().await;
        let mut u2 = server.client().await;
        let mut finished = server.client().await;
        let mut ownerless = server.client().await;
        let mut all = server.client().await;
        subscribe_with(&mut two, json!({"filter": {"owner": "u1", "done": false}})).await;
        subscribe_with(&mut u2, json!({"filter": {"owner": "u2"}})).await;
        subscribe_with(&mut finished, json!({"filter": {"done": true}})).await;
        subscribe_with(&mut ownerless, json!({"filter": {"owner": null}})).await;
        subscribe_with(&mut all, json!({})).await;

        let r = &server.realtime;
        let a = task(1, Some("u1"), false, "a");
        r.emit_created(&a).unwrap(); // 1
        let b = task(1, Some("u2"), false, "a");
        r.emit_updated_from(&a, &b).unwrap(); // 2: out of `two`, into `u2`
        let c = task(1, Some("u2"), true, "a");
        r.emit_updated_from(&b, &c).unwrap(); // 3: into `finished`
        r.emit_deleted_row(&c).unwrap(); // 4
        r.emit_created(&task(2, None, false, "b")).unwrap(); // 5
        let d = task(2, Some("u1"), false, "b");
        r.emit_updated_from(&task(2, None, false, "b"), &d).unwrap(); // 6: into `two`
        r.emit_updated(&task(2, Some("u1"), false, "b2")).unwrap(); // 7: no previous row
        r.emit_updated(&task(3, Some("u9"), true, "x")).unwrap(); // 8: `finished` only

        assert_eq!(
            seen(&server.events_before_marker(&mut two).await),
            [
                ("created", 1, 1),
                ("deleted", 1, 2),
                ("created", 2, 6),
                ("updated", 2, 7)
            ]
        );
        assert_eq!(
            seen(&server.events_before_marker(&mut u2).await),
            [("created", 1, 2), ("updated", 1, 3), ("deleted", 1, 4)]
        );
        assert_eq!(
            seen(&server.events_before_marker(&mut finished).await),
            [("created", 1, 3), ("deleted", 1, 4), ("updated", 3, 8)]
        );
        assert_eq!(
            seen(&server.events_before_marker(&mut ownerless).await),
            [("created", 2, 5), ("deleted", 2, 6)]
        );
        let every: Vec<u64> = seen(&server.events_before_marker(&mut all).await)
            .iter()
            .map(|e| e.2)
            .collect();
        assert_eq!(every, (1..=8).collect::<Vec<_>>());
    })
    .await;
}

#[tokio::test]
async fn the_row_check_applies_after_the_filter() {
    bounded(async {
        let server = TestServer::start(
            Tasks::builder().check_rows(|_socket, _channel, row| row["title"] != json!("secret")),
        )
        .await;
        let mut mine = server.client().await;
        let mut plain = server.client().await;
        subscribe_with(&mut mine, json!({"filter": {"owner": "u1"}})).await;
        plain.subscribe("task").await;

        let r = &server.realtime;
        r.emit_created(&task(1, Some("u1"), false, "open")).unwrap(); // 1
        r.emit_created(&task(2, Some("u1"), false, "secret"))
            .unwrap(); // 2
        r.emit_created(&task(3, Some("u2"), false, "open")).unwrap(); // 3
        r.emit_updated_from(
            &task(1, Some("u1"), false, "open"),
            &task(1, Some("u1"), false, "secret"),
        )
        .unwrap(); // 4: the check refuses it now: a removal
        r.emit_updated_from(
            &task(2, Some("u1"), false, "secret"),
            &task(2, Some("u1"), false, "open"),
        )
        .unwrap(); // 5: the check lets it through now: an addition

        assert_eq!(
            seen(&server.events_before_marker(&mut mine).await),
            [("created", 1, 1), ("deleted", 1, 4), ("created", 2, 5)]
        );
        let plain_seen: Vec<(String, Value)> = server
            .events_before_marker(&mut plain)
            .await
            .into_iter()
            .map(|(name, args)| (name, args[1].clone()))
            .collect();
        let row = |t: Task| serde_json::to_value(t).expect("row");
        assert_eq!(
            plain_seen,
            [
                ("model_created", row(task(1, Some("u1"), false, "open"))),
                ("model_created", row(task(3, Some("u2"), false, "open"))),
                ("model_deleted", json!("t-1")),
                ("model_created", row(task(2, Some("u1"), false, "open"))),
            ]
            .map(|(name, row)| (name.to_owned(), row))
        );
    })
    .await;
}

#[tokio::test]
async fn a_filtered_subscriber_resumes_while_events_go_on() {
    bounded(async {
        let server = TestServer::start(Tasks::builder()).await;
        let r = &server.realtime;
        // An unfiltered positioned client stays on throughout: its positions have no hole.
        let mut watcher = server.client().await;
        subscribe_with(&mut watcher, json!({})).await;
        let mut c = server.client().await;
        subscribe_with(&mut c, json!({"filter": {"owner": "u1"}})).await;
        let epoch = r.log_epoch();
        let owner = |n: usize| if n.is_multiple_of(3) { "u1" } else { "u2" };
        for n in 1..=6 {
            r.emit_created(&task(n, Some(owner(n)), false, "x"))
                .unwrap();
        }
        assert_eq!(
            seen(&server.events_before_marker(&mut c).await),
            [("created", 3, 3), ("created", 6, 6)]
        );
        c.close().await;
        server.wait_for_connected_count(1).await;
        for n in 7..=30 {
            r.emit_created(&task(n, Some(owner(n)), false, "x"))
                .unwrap();
        }
        let mut back = server.client().await;
        let seq = subscribe_with(
            &mut back,
            json!({"since": 6, "epoch": epoch, "filter": {"owner": "u1"}}),
        )
        .await;
        assert_eq!(seq, 30);
        // Live events right behind the replay, some for it, some not.
        for n in 31..=45 {
            r.emit_created(&task(n, Some(owner(n)), false, "x"))
                .unwrap();
        }
        let expected: Vec<_> = (7..=45)
            .filter(|n: &usize| n.is_multiple_of(3))
            .map(|n| ("created", n, n as u64))
            .collect();
        assert_eq!(
            seen(&server.events_before_marker(&mut back).await),
            expected
        );
        let positions: Vec<u64> = seen(&server.events_before_marker(&mut watcher).await)
            .iter()
            .map(|e| e.2)
            .collect();
        assert_eq!(positions, (1..=45).collect::<Vec<_>>());
        assert_eq!(r.metrics().resync_disconnects, 0);
    })
    .await;
}

#[tokio::test]
async fn unsubscribing_and_disconnecting_take_a_subscription_out_of_the_index() {
    bounded(async {
        let server = TestServer::start(Tasks::builder()).await;
        let r = &server.realtime;
        let mut stays = server.client().await;
        let mut leaves = server.client().await;
        let mut gone = server.client().await;
        let mut moves = server.client().await;
        for c in [&mut stays, &mut leaves, &mut gone, &mut moves] {
            subscribe_with(c, json!({"filter": {"owner": "u1"}})).await;
        }
        assert_eq!(r.subscriber_count(tasks::Channel::Task), 4);
        assert_eq!(
            leaves.call("unsubscribe", &[json!("task")]).await,
            [json!({"ok": true})]
        );
        gone.close().await;
        // Subscribing again replaces the filter: `moves` is filed under u2 now.
        subscribe_with(&mut moves, json!({"filter": {"owner": "u2"}})).await;
        server.wait_for_connected_count(3).await;

        r.emit_created(&task(1, Some("u1"), false, "x")).unwrap();
        r.emit_created(&task(2, Some("u2"), false, "x")).unwrap();
        assert_eq!(
            seen(&server.events_before_marker(&mut stays).await),
            [("created", 1, 1)]
        );
        assert_eq!(server.events_before_marker(&mut leaves).await, []);
        assert_eq!(
            seen(&server.events_before_marker(&mut moves).await),
            [("created", 2, 2)]
        );
        assert_eq!(r.subscriber_count(tasks::Channel::Task), 2);
    })
    .await;
}
