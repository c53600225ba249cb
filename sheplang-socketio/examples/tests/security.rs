//! The authorize hook, and the host and origin guard.

mod support;

use std::time::Duration;

use serde_json::{Value, json};
use sheplang_socketio::{Hosts, Origins, RealtimeServer};
use sheplang_socketio_examples::alltypes::{self, Channel};
use sheplang_socketio_examples::rows;
use support::{TestServer, bounded};

type AllTypes = RealtimeServer<alltypes::Spec>;

fn not_authorized() -> Vec<Value> {
    vec![json!({"ok": false, "error": "not authorized"})]
}

#[tokio::test]
async fn the_hook_decides_known_channels_only() {
    bounded(async {
        let server = TestServer::start(
            AllTypes::builder()
                .authorize(|_socket, channel| async move { channel != Channel::Everything }),
        )
        .await;
        let mut c = server.client().await;
        assert_eq!(
            c.call("subscribe", &[json!("owner")]).await,
            vec![json!({"ok": true})]
        );
        assert_eq!(
            c.call("subscribe", &[json!("everything")]).await,
            not_authorized()
        );
        // Unknown and invalid channels are answered before the hook.
        assert_eq!(
            c.call("subscribe", &[json!("secret")]).await,
            vec![json!({"ok": false, "error": "unknown channel \"secret\""})]
        );
        assert_eq!(
            c.call("subscribe", &[json!(1)]).await,
            vec![json!({"ok": false, "error": "invalid channel"})]
        );
        server
            .realtime
            .emit_created(&rows::everything_full("e-1"))
            .unwrap();
        assert_eq!(server.events_before_marker(&mut c).await, vec![]);
    })
    .await;
}

#[tokio::test]
async fn the_hook_sees_the_handshake() {
    bounded(async {
        let server = TestServer::start(AllTypes::builder().authorize(|socket, _| {
            let query = socket.req_parts().uri.query().unwrap_or("").to_owned();
            async move { query.contains("EIO=4") }
        }))
        .await;
        let mut c = server.client().await;
        c.subscribe("owner").await;
    })
    .await;
}

#[tokio::test]
async fn a_panicking_hook_denies() {
    bounded(async {
        let server = TestServer::start(AllTypes::builder().authorize(|_, channel| {
            assert!(
                channel != Channel::Owner,
                "host bug while making the future"
            );
            async move {
                assert!(channel != Channel::OrderItem, "host bug while polling");
                true
            }
        }))
        .await;
        let mut c = server.client().await;
        assert_eq!(
            c.call("subscribe", &[json!("owner")]).await,
            not_authorized()
        );
        assert_eq!(
            c.call("subscribe", &[json!("orderitem")]).await,
            not_authorized()
        );
        assert_eq!(
            c.call("subscribe", &[json!("everything")]).await,
            vec![json!({"ok": true})]
        );
    })
    .await;
}

#[tokio::test]
async fn a_hook_that_never_answers_times_out_and_denies() {
    bounded(async {
        let server = TestServer::start(
            AllTypes::builder()
                .authorize(|_, channel| async move {
                    if channel == Channel::Owner {
                        std::future::pending::<()>().await;
                    }
                    true
                })
                .authorize_timeout(Duration::from_millis(200)),
        )
        .await;
        let mut c = server.client().await;
        assert_eq!(
            c.call("subscribe", &[json!("owner")]).await,
            not_authorized()
        );
        assert_eq!(
            c.call("subscribe", &[json!("orderitem")]).await,
            vec![json!({"ok": true})]
        );
    })
    .await;
}

#[tokio::test]
async fn a_slow_hook_keeps_subscribe_and_unsubscribe_in_order() {
    bounded(async {
        let server = TestServer::start(AllTypes::builder().authorize(|_, _| async {
            tokio::time::sleep(Duration::from_millis(300)).await;
            true
        }))
        .await;
        let mut c = server.client().await;
        let sub = c.emit_acked("subscribe", &[json!("owner")]).await;
        let unsub = c.emit_acked("unsubscribe", &[json!("owner")]).await;
        let ping = c.emit_acked("ping", &[]).await;
        // `ping` is not queued behind the hook: it is answered before the subscribe is.
        assert_eq!(c.ack(ping).await, Vec::<Value>::new());
        assert!(
            !c.has_unread_ack(sub) && !c.has_unread_ack(unsub),
            "ping waited for the hook"
        );
        assert_eq!(c.ack(sub).await, vec![json!({"ok": true})]);
        assert_eq!(c.ack(unsub).await, vec![json!({"ok": true})]);
        assert_eq!(
            server.realtime.subscriber_count(Channel::Owner),
            0,
            "left after joining"
        );
        server.realtime.emit_created(&rows::owner("o-1")).unwrap();
        assert_eq!(server.events_before_marker(&mut c).await, vec![]);
    })
    .await;
}

fn handshake(origin: Option<&str>, host: &str) -> String {
    let origin = origin
        .map(|o| format!("Origin: {o}\r\n"))
        .unwrap_or_default();
    format!(
        "GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: {host}\r\n{origin}Connection: close\r\n\r\n"
    )
}

fn status(response: &str) -> u16 {
    response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

fn header<'a>(response: &'a str, name: &str) -> Option<&'a str> {
    response.lines().find_map(|line| {
        let (k, v) = line.split_once(':')?;
        k.eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

#[tokio::test]
async fn foreign_origins_are_refused_by_default() {
    bounded(async {
        let server = TestServer::start(AllTypes::builder()).await;
        let host = server.addr.to_string();
        let r = server.http(&handshake(Some("http://evil.example"), &host)).await;
        assert_eq!(status(&r), 403, "{r}");
        let r = server.http(&handshake(Some("null"), &host)).await;
        assert_eq!(status(&r), 403, "{r}");
        // A WebSocket handshake from a foreign page is refused too.
        let ws = format!(
            "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: {host}\r\nOrigin: http://evil.example\r\n\
             Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
        );
        assert_eq!(status(&server.http(&ws).await), 403);
        // Non-browser clients and same-origin pages are let in.
        let r = server.http(&handshake(None, &host)).await;
        assert_eq!(status(&r), 200, "{r}");
        let r = server.http(&handshake(Some(&format!("http://{host}")), &host)).await;
        assert_eq!(status(&r), 200, "{r}");
        assert_eq!(header(&r, "access-control-allow-origin"), None);
        // The rest of the app is not the guard's business.
        let r = server
            .http(&format!(
                "GET /hello HTTP/1.1\r\nHost: {host}\r\nOrigin: http://evil.example\r\nConnection: close\r\n\r\n"
            ))
            .await;
        assert_eq!(status(&r), 200, "{r}");
    })
    .await;
}

#[tokio::test]
async fn listed_origins_get_cors_headers() {
    bounded(async {
        let server =
            TestServer::start(AllTypes::builder().allowed_origins(["http://localhost:5173"])).await;
        let host = server.addr.to_string();
        let r = server
            .http(&handshake(Some("http://localhost:5173"), &host))
            .await;
        assert_eq!(status(&r), 200, "{r}");
        assert_eq!(
            header(&r, "access-control-allow-origin"),
            Some("http://localhost:5173")
        );
        assert_eq!(header(&r, "access-control-allow-credentials"), Some("true"));
        let r = server
            .http(&handshake(Some("http://localhost:5174"), &host))
            .await;
        assert_eq!(status(&r), 403);
        let preflight = format!(
            "OPTIONS /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: {host}\r\n\
             Origin: http://localhost:5173\r\nAccess-Control-Request-Method: POST\r\n\
             Access-Control-Request-Headers: content-type\r\nConnection: close\r\n\r\n"
        );
        let r = server.http(&preflight).await;
        assert_eq!(status(&r), 204, "{r}");
        assert_eq!(
            header(&r, "access-control-allow-headers"),
            Some("content-type")
        );
    })
    .await;
}

#[tokio::test]
async fn any_origin_is_an_explicit_opt_in() {
    bounded(async {
        let server = TestServer::start(AllTypes::builder().allowed_origins(Origins::any())).await;
        let host = server.addr.to_string();
        let r = server
            .http(&handshake(Some("https://anyone.example"), &host))
            .await;
        assert_eq!(status(&r), 200, "{r}");
        assert_eq!(
            header(&r, "access-control-allow-origin"),
            Some("https://anyone.example")
        );
    })
    .await;
}

fn websocket(host: &str, origin: Option<&str>) -> String {
    let origin = origin
        .map(|o| format!("Origin: {o}\r\n"))
        .unwrap_or_default();
    format!(
        "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: {host}\r\n{origin}\
         Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
    )
}

fn hello(host: &str) -> String {
    format!("GET /hello HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n")
}

#[tokio::test]
async fn a_foreign_host_is_refused_everywhere() {
    bounded(async {
        let server = TestServer::start(AllTypes::builder()).await;
        let port = server.addr.port();
        // A DNS-rebinding page: its origin matches its host, which is the attacker's name.
        let evil = format!("evil.example:{port}");
        let page = format!("http://{evil}");
        let r = server.http(&handshake(Some(&page), &evil)).await;
        assert_eq!(status(&r), 403, "polling handshake: {r}");
        let r = server.http(&websocket(&evil, Some(&page))).await;
        assert_eq!(status(&r), 403, "websocket upgrade: {r}");
        let r = server.http(&handshake(None, &evil)).await;
        assert_eq!(status(&r), 403, "without an origin: {r}");
        let r = server.http(&hello(&evil)).await;
        assert_eq!(status(&r), 403, "the rest of the app: {r}");
        // Two Host headers, the first a good one.
        let r = server
            .http(&format!(
                "GET /hello HTTP/1.1\r\nHost: {}\r\nHost: {evil}\r\nConnection: close\r\n\r\n",
                server.addr
            ))
            .await;
        assert_ne!(status(&r), 200, "{r}");

        // localhost and the bound address, any port.
        for host in [
            format!("localhost:{port}"),
            "localhost".to_owned(),
            server.addr.to_string(),
        ] {
            let r = server.http(&handshake(None, &host)).await;
            assert_eq!(status(&r), 200, "{host}: {r}");
            let r = server.http(&websocket(&host, None)).await;
            assert_eq!(status(&r), 101, "{host}: {r}");
            let r = server.http(&hello(&host)).await;
            assert_eq!(status(&r), 200, "{host}: {r}");
        }
        // Another IP literal than the one the connection came in on.
        let r = server.http(&hello(&format!("127.0.0.2:{port}"))).await;
        assert_eq!(status(&r), 403, "{r}");
    })
    .await;
}

#[tokio::test]
async fn listed_hosts_are_let_in() {
    bounded(async {
        let server = TestServer::start(
            AllTypes::builder().allowed_hosts(["app.example", "admin.example:8443"]),
        )
        .await;
        for (host, code) in [
            ("app.example", 200),
            ("APP.example.:3000", 200),
            ("admin.example:8443", 200),
            ("admin.example:8444", 403),
            ("other.example", 403),
            ("localhost", 200),
        ] {
            let r = server.http(&hello(host)).await;
            assert_eq!(status(&r), code, "{host}: {r}");
        }
        let any = TestServer::start(AllTypes::builder().allowed_hosts(Hosts::any())).await;
        assert_eq!(status(&any.http(&hello("whatever.example")).await), 200);
    })
    .await;
}

#[tokio::test]
async fn every_origin_header_must_be_allowed() {
    bounded(async {
        let server = TestServer::start(AllTypes::builder()).await;
        let host = server.addr.to_string();
        let r = server
            .http(&format!(
                "GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: {host}\r\n\
                 Origin: http://{host}\r\nOrigin: http://evil.example\r\nConnection: close\r\n\r\n"
            ))
            .await;
        assert_eq!(status(&r), 403, "{r}");
        let r = server
            .http(&format!(
                "GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: {host}\r\n\
                 Origin: http://{host}\r\nOrigin: http://{host}\r\nConnection: close\r\n\r\n"
            ))
            .await;
        assert_eq!(status(&r), 200, "{r}");
    })
    .await;
}
