//! Each service starts, answers, stops and starts again on the same URL.

use std::io::{Read, Write};
use std::net::TcpStream;

fn redis_roundtrip(url: &str, command: &str) -> String {
    let addr = url
        .trim_start_matches("redis://")
        .split('/')
        .next()
        .unwrap();
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.write_all(command.as_bytes()).unwrap();
    let mut buf = [0u8; 64];
    let n = stream.read(&mut buf).unwrap();
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

#[test]
fn an_owned_redis_answers_and_forgets_on_restart() {
    let mut redis = test_services::redis_owned().unwrap_or_else(|e| panic!("{e}"));
    assert!(redis.started_here());
    assert_eq!(redis_roundtrip(redis.url(), "SET k v\r\n"), "+OK\r\n");
    assert_eq!(redis_roundtrip(redis.url(), "GET k\r\n"), "$1\r\nv\r\n");
    redis.stop().unwrap();
    assert!(
        TcpStream::connect(redis.url().trim_start_matches("redis://")).is_err(),
        "stopped means closed"
    );
    redis.start_again().unwrap();
    assert_eq!(
        redis_roundtrip(redis.url(), "GET k\r\n"),
        "$-1\r\n",
        "nothing is persisted"
    );
}

#[test]
fn the_shared_redis_is_reachable() {
    let redis = test_services::redis().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(redis_roundtrip(redis.url(), "PING\r\n"), "+PONG\r\n");
}

fn psql(url: &str, sql: &str) -> String {
    let run = |binary: &str| {
        std::process::Command::new(binary)
            .args([
                "-X",
                "-q",
                "-t",
                "-A",
                "-v",
                "ON_ERROR_STOP=1",
                url,
                "-c",
                sql,
            ])
            .output()
    };
    let out = run("psql")
        .or_else(|_| run("/usr/lib/postgresql/15/bin/psql"))
        .expect("psql runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

#[test]
fn an_owned_postgres_accepts_sql_and_keeps_it_across_a_restart() {
    let mut pg = test_services::postgres_owned().unwrap_or_else(|e| panic!("{e}"));
    assert!(pg.started_here());
    psql(
        pg.url(),
        "CREATE TABLE t (n int); INSERT INTO t VALUES (7);",
    );
    pg.stop().unwrap();
    pg.start_again().unwrap();
    assert_eq!(
        psql(pg.url(), "SELECT n FROM t"),
        "7",
        "a committed row survives a restart"
    );
}

#[test]
fn the_shared_postgres_is_reachable() {
    let pg = test_services::postgres().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(psql(pg.url(), "SELECT 1 + 1"), "2");
}
