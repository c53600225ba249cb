//! Hostile and broken clients: answered or ignored, never a panic, a stuck task or a server
//! that stops serving others.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{Value, json};
use sheplang_socketio::RealtimeServer;
use sheplang_socketio_examples::alltypes;
use sheplang_socketio_examples::rows;
use support::{Client, TestServer, bounded};

type AllTypes = RealtimeServer<alltypes::Spec>;

/// The server still serves a fresh client end to end.
async fn still_serves(server: &TestServer<alltypes::Spec>) {
    let mut c = server.client().await;
    c.subscribe("owner").await;
    server
        .realtime
        .emit_created(&rows::owner("o-alive"))
        .unwrap();
    let (event, args) = c.next_event().await;
    assert_eq!(event, "model_created");
    assert_eq!(args[1]["id"], json!("o-alive"));
    assert_eq!(c.call("ping", &[]).await, Vec::<Value>::new());
}

#[tokio::test]
async fn malformed_events_are_ignored() {
    bounded(async {
        let server = TestServer::start(AllTypes::builder()).await;
        let mut c = server.client().await;
        c.emit("ping", &[]).await; // no ack function
        c.emit("ping", &[json!(42)]).await; // a non-function "ack"
        c.emit("subscribe", &[json!("owner")]).await; // no ack: joins silently
        c.emit("subscribe", &[json!(7), json!("not a function")])
            .await;
        c.emit("unsubscribe", &[]).await;
        c.emit("no_such_event", &[json!({"a": [1, 2, 3]})]).await;
        c.emit("model_created", &[json!("Owner"), json!({"id": "spoof"})])
            .await;
        c.emit("connected", &[]).await;
        let _ = c.emit_acked("no_such_event", &[]).await;
        for raw in [
            "42",
            "42[",
            "42{}",
            "42[1,2]",
            "42[null]",
            "42[\"subscribe\",",
            "42abc[\"ping\"]",
            "4299999999999999999999[\"ping\"]",
            "43[\"ack for nothing\"]",
            "431[]",
            "49",
            "4",
            "",
            "6",
            "\u{0}\u{ffff}",
        ] {
            c.send_raw(raw).await;
        }
        // Whatever the server did with this client (ignore, or drop a broken connection), it
        // serves everyone else.
        still_serves(&server).await;
    })
    .await;
}

#[tokio::test]
async fn a_client_that_joined_silently_receives_events() {
    bounded(async {
        let server = TestServer::start(AllTypes::builder()).await;
        let mut c = server.client().await;
        c.emit("subscribe", &[json!("owner")]).await;
        // `ping` is handled after `subscribe` on the same connection.
        assert_eq!(c.call("ping", &[]).await, Vec::<Value>::new());
        server.realtime.emit_created(&rows::owner("o-1")).unwrap();
        assert_eq!(c.next_event().await.0, "model_created");
    })
    .await;
}

#[tokio::test]
async fn an_oversized_message_closes_only_that_connection() {
    bounded(async {
        let server = TestServer::start(AllTypes::builder()).await;
        let mut c = server.client().await;
        // 1 MB, ten times the default limit.
        c.emit("subscribe", &[json!("x".repeat(1 << 20))]).await;
        assert!(
            c.is_closed_within(support::WAIT).await,
            "a message over max_payload closes the connection"
        );
        still_serves(&server).await;
    })
    .await;
}

#[tokio::test]
async fn a_binary_attachment_closes_the_connection() {
    bounded(async {
        let server = TestServer::start(AllTypes::builder()).await;
        let mut c = server.client().await;
        // A binary event that announces 100 attachments, then 99 frames of 99 kB: each is
        // under `max_payload`, and the protocol has no use for any of them.
        c.send_raw("45100-[\"subscribe\",{\"_placeholder\":true,\"num\":0}]")
            .await;
        for _ in 0..99 {
            if !c.send_binary(vec![7; 99_000]).await {
                break;
            }
        }
        assert!(
            c.is_closed_within(support::WAIT).await,
            "a packet with binary attachments closes the connection"
        );
        server.wait_for_connected_count(0).await;
        still_serves(&server).await;
    })
    .await;
}

#[tokio::test]
async fn a_long_channel_under_the_payload_limit_is_invalid() {
    bounded(async {
        let server = TestServer::start(AllTypes::builder()).await;
        let mut c = server.client().await;
        let answer = c.call("subscribe", &[json!("x".repeat(90_000))]).await;
        assert_eq!(
            answer,
            vec![json!({"ok": false, "error": "invalid channel"})]
        );
    })
    .await;
}

#[tokio::test]
async fn ten_thousand_rapid_subscribes_are_all_answered() {
    bounded(async {
        let server = TestServer::start(AllTypes::builder()).await;
        let mut c = server.client().await;
        let channels = ["owner", "orderitem", "everything", "nope", "", "Owner"];
        let mut ids = Vec::with_capacity(10_000);
        for i in 0..10_000 {
            let id = c
                .emit_acked("subscribe", &[json!(channels[i % channels.len()])])
                .await;
            ids.push((id, channels[i % channels.len()]));
        }
        for (id, channel) in ids {
            let answer = c.ack(id).await;
            let ok = ["owner", "orderitem", "everything"].contains(&channel);
            assert_eq!(answer[0]["ok"], json!(ok), "{channel}");
        }
        still_serves(&server).await;
    })
    .await;
}

#[tokio::test]
async fn ten_thousand_subscribes_behind_a_hook_are_all_answered_in_order() {
    bounded(async {
        let calls = Arc::new(AtomicUsize::new(0));
        let counted = calls.clone();
        let server = TestServer::start(AllTypes::builder().authorize(move |_, _| {
            counted.fetch_add(1, Ordering::Relaxed);
            async { true }
        }))
        .await;
        let mut c = server.client().await;
        let mut ids = Vec::with_capacity(10_000);
        for _ in 0..10_000 {
            ids.push(c.emit_acked("subscribe", &[json!("owner")]).await);
        }
        for id in ids {
            assert_eq!(c.ack(id).await, vec![json!({"ok": true})]);
        }
        assert_eq!(calls.load(Ordering::Relaxed), 10_000);
        still_serves(&server).await;
    })
    .await;
}

#[tokio::test]
async fn many_connections_come_and_go() {
    bounded(async {
        let server = TestServer::start(AllTypes::builder()).await;
        for _ in 0..5 {
            let mut clients = Vec::new();
            for _ in 0..40 {
                let mut c = Client::connect(server.addr).await;
                c.emit("subscribe", &[json!("owner")]).await;
                clients.push(c);
            }
            // Half leave abruptly (dropped sockets), half politely.
            for (i, c) in clients.into_iter().enumerate() {
                if i % 2 == 0 {
                    c.close().await;
                } else {
                    drop(c);
                }
            }
        }
        // Every connection released.
        server.wait_for_connected_count(0).await;
        still_serves(&server).await;
    })
    .await;
}
