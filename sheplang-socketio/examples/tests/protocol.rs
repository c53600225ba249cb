//! The wire protocol of docs/wire.md, from a Socket.IO client on loopback: `connected`,
//! subscribe/unsubscribe answers, typed emits on the right channel, `ping`, notifications.

mod support;

use serde_json::{Value, json};
use sheplang_socketio::RealtimeServer;
use sheplang_socketio_examples::alltypes::{self, Everything, OrderItem, Owner};
use sheplang_socketio_examples::rows;
use support::{TestServer, bounded};

type AllTypes = RealtimeServer<alltypes::Spec>;

#[tokio::test]
async fn connected_carries_app_and_fingerprint() {
    bounded(async {
        let server = TestServer::start(AllTypes::builder()).await;
        // `client()` checks the `connected` event.
        let client = server.client().await;
        assert_eq!(server.realtime.connected_count(), 1);
        client.close().await;
    })
    .await;
}

#[tokio::test]
async fn subscribe_answers_as_the_contract_says() {
    bounded(async {
        let server = TestServer::start(AllTypes::builder()).await;
        let mut c = server.client().await;
        let ok = json!({"ok": true});
        let err = |e: &str| vec![json!({"ok": false, "error": e})];
        assert_eq!(
            c.call("subscribe", &[json!("orderitem")]).await,
            vec![ok.clone()]
        );
        assert_eq!(
            c.call("subscribe", &[json!("orderitem")]).await,
            vec![ok.clone()],
            "twice"
        );
        assert_eq!(
            c.call("subscribe", &[json!("OrderItem")]).await,
            err("unknown channel \"OrderItem\"")
        );
        assert_eq!(
            c.call("subscribe", &[json!("orderitems")]).await,
            err("unknown channel \"orderitems\"")
        );
        assert_eq!(
            c.call("subscribe", &[json!("")]).await,
            err("unknown channel \"\"")
        );
        assert_eq!(
            c.call("subscribe", &[json!(3)]).await,
            err("invalid channel")
        );
        assert_eq!(
            c.call("subscribe", &[json!(null)]).await,
            err("invalid channel")
        );
        assert_eq!(
            c.call("subscribe", &[json!({"channel": "owner"})]).await,
            err("invalid channel")
        );
        assert_eq!(
            c.call("subscribe", &[json!(["owner"])]).await,
            err("invalid channel")
        );
        assert_eq!(c.call("subscribe", &[]).await, err("invalid channel"));
        assert_eq!(
            c.call("subscribe", &[json!("x".repeat(257))]).await,
            err("invalid channel")
        );
        let at_limit = "y".repeat(256);
        assert_eq!(
            c.call("subscribe", &[json!(at_limit)]).await,
            err(&format!("unknown channel \"{at_limit}\""))
        );
        assert_eq!(
            c.call("unsubscribe", &[json!("owner")]).await,
            vec![ok.clone()],
            "not joined is fine"
        );
        assert_eq!(
            c.call("unsubscribe", &[json!("nope")]).await,
            err("unknown channel \"nope\"")
        );
        assert_eq!(
            c.call("unsubscribe", &[json!(1.5)]).await,
            err("invalid channel")
        );
        assert_eq!(
            server
                .realtime
                .subscriber_count(alltypes::Channel::OrderItem),
            1
        );
        assert_eq!(
            server.realtime.subscriber_count(alltypes::Channel::Owner),
            0
        );
    })
    .await;
}

#[tokio::test]
async fn events_go_to_the_model_channel_only() {
    bounded(async {
        let server = TestServer::start(AllTypes::builder()).await;
        let mut items = server.client().await;
        items.subscribe("orderitem").await;
        let mut owners = server.client().await;
        owners.subscribe("owner").await;
        let mut nobody = server.client().await;

        let item = rows::order_item("i-1");
        server.realtime.emit_created(&item).unwrap();
        server.realtime.emit_updated(&item).unwrap();
        server.realtime.emit_deleted::<OrderItem>("i-1").unwrap();
        server.realtime.emit_created(&rows::owner("o-1")).unwrap();
        // Through the facade's `Emitter` trait too.
        sheplang::Emitter::deleted(&server.realtime, &rows::owner("o-1")).unwrap();

        let item_json = json!({"id": "i-1", "quantity": 3.0, "price": "19.99"});
        assert_eq!(
            items.next_event().await,
            (
                "model_created".into(),
                vec![json!("OrderItem"), item_json.clone()]
            )
        );
        assert_eq!(
            items.next_event().await,
            ("model_updated".into(), vec![json!("OrderItem"), item_json])
        );
        assert_eq!(
            items.next_event().await,
            (
                "model_deleted".into(),
                vec![json!("OrderItem"), json!("i-1")]
            )
        );
        assert_eq!(
            owners.next_event().await,
            (
                "model_created".into(),
                vec![
                    json!("Owner"),
                    json!({"id": "o-1", "name": "Owner o-1", "since": "2024-02-29"})
                ]
            )
        );
        assert_eq!(
            owners.next_event().await,
            ("model_deleted".into(), vec![json!("Owner"), json!("o-1")])
        );

        // Nothing else reached anyone.
        assert_eq!(server.events_before_marker(&mut items).await, vec![]);
        assert_eq!(server.events_before_marker(&mut owners).await, vec![]);
        assert_eq!(server.events_before_marker(&mut nobody).await, vec![]);

        // Unsubscribed: no more events.
        assert_eq!(
            items.call("unsubscribe", &[json!("orderitem")]).await,
            vec![json!({"ok": true})]
        );
        server.realtime.emit_created(&item).unwrap();
        assert_eq!(server.events_before_marker(&mut items).await, vec![]);
    })
    .await;
}

#[tokio::test]
async fn rows_travel_as_the_wire_contract_says() {
    bounded(async {
        let server = TestServer::start(AllTypes::builder()).await;
        let mut c = server.client().await;
        c.subscribe("everything").await;
        let full = rows::everything_full("e-1");
        let minimal = rows::everything_minimal("e-2");
        server.realtime.emit_created(&full).unwrap();
        server.realtime.emit_created(&minimal).unwrap();

        let raw = c.next_raw().await;
        assert!(
            raw.starts_with(r#"42["model_created","Everything",{"id":"e-1","title":"#),
            "id first, then the spec's fields in order: {raw}"
        );
        let args: Vec<Value> = serde_json::from_str::<Vec<Value>>(&raw[2..]).unwrap()[1..].to_vec();
        let row = args[1].as_object().expect("a row is an object");
        assert_eq!(row["externalId"], json!("ext-42"), "spec names on the wire");
        assert_eq!(
            row["price"],
            json!("10000000000000.01"),
            "money is an exact string"
        );
        assert_eq!(row["nested"]["name"], json!("Owner o-1"));
        assert_eq!(row["owners"], json!(["o-1", "o-2"]));
        assert_eq!(row["maybeTags"], json!([]));
        let back: Everything = serde_json::from_value(args[1].clone()).unwrap();
        assert_eq!(back, full, "round trip");

        let (_, args) = c.next_event().await;
        let row = args[1].as_object().unwrap();
        for absent in [
            "note",
            "maybeCount",
            "maybeOwner",
            "maybeNested",
            "maybeTags",
        ] {
            assert!(!row.contains_key(absent), "`{absent}` is absent when None");
        }
        let back: Everything = serde_json::from_value(args[1].clone()).unwrap();
        assert_eq!(back, minimal);
    })
    .await;
}

#[tokio::test]
async fn notifications_reach_everyone() {
    bounded(async {
        let server = TestServer::start(AllTypes::builder()).await;
        let mut a = server.client().await;
        a.subscribe("owner").await;
        let mut b = server.client().await;
        server.realtime.notify("hello", None).unwrap();
        server
            .realtime
            .notify("with data", Some(&json!({"n": 1})))
            .unwrap();
        for c in [&mut a, &mut b] {
            assert_eq!(
                c.next_event().await,
                ("notification".into(), vec![json!("hello")])
            );
            assert_eq!(
                c.next_event().await,
                (
                    "notification".into(),
                    vec![json!("with data"), json!({"n": 1})]
                )
            );
        }
    })
    .await;
}

#[tokio::test]
async fn ping_answers_with_an_empty_ack() {
    bounded(async {
        let server = TestServer::start(AllTypes::builder()).await;
        let mut c = server.client().await;
        assert_eq!(c.call("ping", &[]).await, Vec::<Value>::new());
        assert_eq!(
            c.call("ping", &[json!("extra"), json!(1)]).await,
            Vec::<Value>::new()
        );
    })
    .await;
}

#[tokio::test]
async fn connected_count_follows_connections() {
    bounded(async {
        let server = TestServer::start(AllTypes::builder()).await;
        let a = server.client().await;
        let b = server.client().await;
        assert_eq!(server.realtime.connected_count(), 2);
        a.close().await;
        server.wait_for_connected_count(1).await;
        b.close().await;
        server.wait_for_connected_count(0).await;
    })
    .await;
}

#[tokio::test]
async fn owner_rows_of_the_other_channel_do_not_leak_into_order_items() {
    // The type decides the room: an `Owner` never reaches `orderitem`, at compile time
    // (`emit_created::<OrderItem>(&owner)` does not type-check) and at run time.
    bounded(async {
        let server = TestServer::start(AllTypes::builder()).await;
        let mut c = server.client().await;
        c.subscribe("orderitem").await;
        let owner: Owner = rows::owner("o-9");
        server.realtime.emit_created(&owner).unwrap();
        assert_eq!(server.events_before_marker(&mut c).await, vec![]);
    })
    .await;
}
