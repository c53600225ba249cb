//! The connection hygiene of `sheplang_socketio::serve`: the header-read timeout, the
//! keep-alive idle timeout and the connection cap.

mod support;

use std::time::Duration;

use sheplang_socketio::{RealtimeServer, ServeOptions};
use sheplang_socketio_examples::alltypes;
use support::{TestServer, WAIT, bounded};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

type AllTypes = RealtimeServer<alltypes::Spec>;

/// Reads until the server closes the connection (end of stream or reset); false when it is
/// still open after `WAIT`.
async fn closed_by_server(stream: &mut TcpStream) -> bool {
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout(WAIT, stream.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0) | Err(_)) => return true,
            Ok(Ok(_)) => {}
        }
    }
}

#[tokio::test]
async fn a_request_head_that_never_ends_is_closed() {
    bounded(async {
        let options = ServeOptions::default()
            .header_read_timeout(Duration::from_millis(500))
            .keep_alive_timeout(Duration::from_secs(600));
        let server = TestServer::start_with(AllTypes::builder(), options).await;
        let mut silent = TcpStream::connect(server.addr).await.unwrap();
        silent
            .write_all(b"GET /hello HTTP/1.1\r\nHost: localhost\r\n")
            .await
            .unwrap();
        // A trickle of header bytes does not restart the clock.
        let mut trickle = TcpStream::connect(server.addr).await.unwrap();
        trickle
            .write_all(b"GET /hello HTTP/1.1\r\nHost: localhost\r\n")
            .await
            .unwrap();
        let trickling = tokio::spawn(async move {
            for _ in 0..(WAIT.as_millis() / 50) {
                if trickle.write_all(b"X-Slow: 1\r\n").await.is_err() {
                    return true;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            false
        });
        // Meanwhile a complete request is answered.
        let r = server
            .http("GET /hello HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            .await;
        assert!(r.starts_with("HTTP/1.1 200"), "{r}");
        assert!(closed_by_server(&mut silent).await, "the silent head");
        assert!(trickling.await.unwrap(), "the trickling head");
    })
    .await;
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed() {
    bounded(async {
        let options = ServeOptions::default()
            .header_read_timeout(Duration::from_secs(600))
            .keep_alive_timeout(Duration::from_millis(300));
        let server = TestServer::start_with(AllTypes::builder(), options).await;
        let mut stream = TcpStream::connect(server.addr).await.unwrap();
        stream
            .write_all(b"GET /hello HTTP/1.1\r\nHost: localhost\r\n\r\n")
            .await
            .unwrap();
        let mut head = Vec::new();
        let mut buf = [0u8; 1024];
        while !String::from_utf8_lossy(&head).ends_with("hello") {
            let n = tokio::time::timeout(WAIT, stream.read(&mut buf))
                .await
                .expect("an answer")
                .unwrap();
            assert!(n > 0, "closed before answering");
            head.extend_from_slice(&buf[..n]);
        }
        let head = String::from_utf8_lossy(&head).to_ascii_lowercase();
        assert!(head.contains("keep-alive: timeout=1"), "{head}");
        assert!(
            closed_by_server(&mut stream).await,
            "an idle keep-alive connection"
        );
    })
    .await;
}

#[tokio::test]
async fn beyond_the_cap_a_connection_is_refused_at_once_until_others_close() {
    bounded(async {
        let cap = 8;
        let options = ServeOptions::default().max_connections(cap);
        let server = TestServer::start_with(AllTypes::builder(), options).await;
        // WebSockets count: they hold their connection after the upgrade.
        let mut clients = Vec::new();
        for _ in 0..cap {
            clients.push(server.client().await);
        }
        let hello = "GET /hello HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
        for _ in 0..3 {
            let refused = tokio::time::timeout(Duration::from_secs(2), server.http(hello))
                .await
                .expect("a connection over the cap is answered at once, not left waiting");
            assert!(refused.starts_with("HTTP/1.1 503"), "{refused}");
            assert!(
                refused.to_ascii_lowercase().contains("retry-after: 1"),
                "{refused}"
            );
        }
        // One client leaves: the next request gets through (once the server saw it go).
        clients.pop().unwrap().close().await;
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let r = server.http(hello).await;
            if r.starts_with("HTTP/1.1 200") {
                break;
            }
            assert!(r.starts_with("HTTP/1.1 503"), "{r}");
            assert!(
                tokio::time::Instant::now() < deadline,
                "still refused {WAIT:?} after a connection closed"
            );
            tokio::task::yield_now().await;
        }
        drop(clients);
        server.wait_for_connected_count(0).await;
        let mut fresh = server.client().await;
        fresh.subscribe("owner").await;
    })
    .await;
}
