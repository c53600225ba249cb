//! Change capture on PostgreSQL (docs/capture.md): the spec's tables with the generated capture
//! triggers (`tasks.postgres.sql`, `tasks.capture.postgres.sql`) in a fresh schema of a real
//! server (`test-services`), a Rust server whose log is [`PostgresLog`], and a subscribed
//! client.
//!
//! - Three writers at once: this process through tokio-postgres (as a host's API would write),
//!   and two `psql` processes; 2,000 writes, a quarter of them in transactions that roll back.
//!   The client receives exactly the committed changes, once each, in each writer's order,
//!   and the rows it ends with are a fresh read's.
//! - A row of 20 KB (NOTIFY carries at most 8,000 bytes) arrives whole.
//! - Relayed into Redis (`PostgresLog::relay_into`), the changes reach the clients of two nodes.
//! - During a burst the relay stops listening, and listens again after it.
//! - Capture by logical decoding ([`CaptureOptions::decoding`]): the three writers and the
//!   large row again, the triggers off, the changes read from the write-ahead log (a server
//!   with `wal_level = logical`: `$DATABASE_URL`'s when it has it, else one started here).

mod support;

use std::collections::BTreeMap;
use std::io::Write as _;
use std::process::{Command, Stdio};
use std::sync::Arc;

use serde_json::{Map, Value, json};
use sheplang_socketio::{CaptureOptions, PostgresLog, RealtimeServer, RedisLog, RedisOptions};
use sheplang_socketio_examples::tasks;
use support::{Client, TestServer, bounded};
use tokio_postgres::NoTls;

const TABLES: &str = include_str!(concat!(env!("OUT_DIR"), "/sheplang/tasks.postgres.sql"));
const CAPTURE: &str = include_str!(concat!(
    env!("OUT_DIR"),
    "/sheplang/tasks.capture.postgres.sql"
));

/// A fresh schema holding the tables and their capture, dropped at the end.
struct Schema {
    service: test_services::Service,
    name: String,
    admin: tokio_postgres::Client,
    /// How the log captures: by the triggers, or by logical decoding.
    options: CaptureOptions,
}

impl Schema {
    async fn new(tag: &str) -> Schema {
        Schema::with(tag, CaptureOptions::default()).await
    }

    /// A schema on a server with `wal_level = logical`, captured by logical decoding.
    async fn decoded(tag: &str) -> Schema {
        Schema::with(tag, CaptureOptions::default().decoding()).await
    }

    async fn with(tag: &str, options: CaptureOptions) -> Schema {
        let mut service = test_services::postgres().unwrap_or_else(|e| panic!("{e}"));
        if options.decoding && !wal_level_is_logical(service.url()).await {
            println!("# $DATABASE_URL's server has no `wal_level = logical`: one is started here");
            service = test_services::postgres_owned().unwrap_or_else(|e| panic!("{e}"));
        }
        let name = format!("capture_{tag}_{}", std::process::id());
        let (admin, connection) = tokio_postgres::connect(service.url(), NoTls)
            .await
            .expect("PostgreSQL accepts a connection");
        tokio::spawn(connection);
        admin
            .batch_execute(&format!(
                "SET client_min_messages = warning;\
                 DROP SCHEMA IF EXISTS {name} CASCADE; CREATE SCHEMA {name};\
                 SET search_path TO {name};\n{TABLES}\n{CAPTURE}"
            ))
            .await
            .expect("the generated tables and capture run");
        Schema {
            service,
            name,
            admin,
            options,
        }
    }

    /// The connection string of this schema.
    fn url(&self) -> String {
        self.service.url_in_schema(&self.name)
    }

    async fn client(&self) -> tokio_postgres::Client {
        let (client, connection) = tokio_postgres::connect(&self.url(), NoTls)
            .await
            .expect("a connection to the schema");
        tokio::spawn(connection);
        client
    }

    /// Runs `script` with `psql` in this schema, in a process of its own.
    fn psql(&self, script: String) -> std::thread::JoinHandle<Result<(), String>> {
        let url = self.service.url().to_owned();
        let schema = self.name.clone();
        std::thread::spawn(move || {
            let mut child = Command::new("psql")
                .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", &url, "-f", "-"])
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .map_err(|e| {
                    format!("cannot run `psql`: {e}; install it with `apt-get install postgresql-client`")
                })?;
            let full = format!("SET search_path TO {schema};\n{script}");
            child
                .stdin
                .take()
                .expect("psql's stdin")
                .write_all(full.as_bytes())
                .map_err(|e| e.to_string())?;
            let out = child.wait_with_output().map_err(|e| e.to_string())?;
            if out.status.success() {
                Ok(())
            } else {
                Err(String::from_utf8_lossy(&out.stderr).into_owned())
            }
        })
    }

    /// Every task as the wire writes it, read with typed columns (not with the triggers' JSON).
    async fn fresh_read(&self) -> Vec<Value> {
        let rows = self
            .admin
            .query(
                &format!(
                    "SELECT id, title, done, owner, priority, due::text, \
                     to_char(\"createdAt\" AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US'), \
                     price::text, tags, type, status FROM {}.\"Task\" ORDER BY id",
                    self.name
                ),
                &[],
            )
            .await
            .expect("the tasks read");
        rows.iter()
            .map(|row| {
                let mut out = Map::new();
                out.insert("id".into(), json!(row.get::<_, String>(0)));
                out.insert("title".into(), json!(row.get::<_, String>(1)));
                out.insert("done".into(), json!(row.get::<_, bool>(2)));
                let mut optional = |key: &str, value: Option<Value>| {
                    if let Some(value) = value {
                        out.insert(key.into(), value);
                    }
                };
                optional("owner", row.get::<_, Option<String>>(3).map(Value::from));
                optional("priority", row.get::<_, Option<f64>>(4).map(Value::from));
                optional("due", row.get::<_, Option<String>>(5).map(Value::from));
                let at: String = row.get(6);
                optional("createdAt", Some(json!(canonical_utc(&at))));
                optional("price", row.get::<_, Option<String>>(7).map(Value::from));
                optional("tags", Some(json!(row.get::<_, Vec<String>>(8))));
                optional("type", row.get::<_, Option<String>>(9).map(Value::from));
                // The lifecycle's state (`states: open -> doing -> done`).
                optional("status", Some(json!(row.get::<_, String>(10))));
                Value::Object(out)
            })
            .collect()
    }
}

/// `2026-11-30T10:00:00.500000` as RFC 3339's canonical form: `2026-11-30T10:00:00.5Z`.
fn canonical_utc(local: &str) -> String {
    let (seconds, fraction) = local.split_once('.').unwrap_or((local, ""));
    let fraction = fraction.trim_end_matches('0');
    if fraction.is_empty() {
        format!("{seconds}Z")
    } else {
        format!("{seconds}.{fraction}Z")
    }
}

async fn wal_level_is_logical(url: &str) -> bool {
    let (client, connection) = tokio_postgres::connect(url, NoTls)
        .await
        .expect("PostgreSQL accepts a connection");
    tokio::spawn(connection);
    let level: String = client
        .query_one("SHOW wal_level", &[])
        .await
        .expect("wal_level")
        .get(0);
    level == "logical"
}

impl Drop for Schema {
    fn drop(&mut self) {
        // A decoding schema's slot (which would keep the server's write-ahead log) and
        // publication go with it: the streaming session is ended first.
        let _ = Command::new("psql")
            .args(["-X", "-q", "-d", self.service.url(), "-c"])
            .arg(format!(
                "SELECT pg_terminate_backend(active_pid, 5000) FROM pg_replication_slots \
                 WHERE slot_name LIKE 'sheplang\\_%\\_{name}' AND active_pid IS NOT NULL;\
                 SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots \
                 WHERE slot_name LIKE 'sheplang\\_%\\_{name}';\
                 DO $$ DECLARE p text; BEGIN FOR p IN SELECT pubname FROM pg_publication \
                 WHERE pubname LIKE 'sheplang\\_%\\_{name}' LOOP \
                 EXECUTE format('DROP PUBLICATION %I', p); END LOOP; END $$;\
                 DROP SCHEMA IF EXISTS {name} CASCADE",
                name = self.name
            ))
            .output();
    }
}

async fn server(schema: &Schema) -> TestServer<tasks::Spec> {
    let log = PostgresLog::connect(&schema.url(), schema.options.clone())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    TestServer::start(RealtimeServer::<tasks::Spec>::builder().log(log)).await
}

async fn subscribe(client: &mut Client) -> u64 {
    let answer = client
        .call("subscribe", &[json!("task"), json!({})])
        .await
        .remove(0);
    assert_eq!(answer["ok"], json!(true), "{answer}");
    answer["seq"].as_u64().expect("a position")
}

/// One transaction of five writes: two creates, two updates, one delete; the titles of one
/// that rolls back say so.
fn transaction(prefix: &str, n: usize, commit: bool) -> String {
    let tag = if commit {
        format!("{prefix}-{n}")
    } else {
        format!("{prefix}-{n}-rollback")
    };
    format!(
        "BEGIN;\n\
         INSERT INTO \"Task\" (title, tags, \"createdAt\") VALUES ('{tag}-a', '{{x,y}}', '2026-11-30T10:00:00.5Z');\n\
         UPDATE \"Task\" SET done = true, priority = 2.5 WHERE title = '{tag}-a';\n\
         INSERT INTO \"Task\" (title, price, due) VALUES ('{tag}-b', 12.50, '2026-12-01');\n\
         UPDATE \"Task\" SET title = '{tag}-b renamed' WHERE title = '{tag}-b';\n\
         DELETE FROM \"Task\" WHERE title = '{tag}-b renamed';\n\
         {};\n",
        if commit { "COMMIT" } else { "ROLLBACK" }
    )
}

/// The (event, title) of a committed [`transaction`]'s changes, in order (a delete: no title).
fn expected(prefix: &str, n: usize) -> Vec<(String, Option<String>)> {
    let tag = format!("{prefix}-{n}");
    [
        ("model_created", Some(format!("{tag}-a"))),
        ("model_updated", Some(format!("{tag}-a"))),
        ("model_created", Some(format!("{tag}-b"))),
        ("model_updated", Some(format!("{tag}-b renamed"))),
        ("model_deleted", None),
    ]
    .into_iter()
    .map(|(e, t)| (e.to_owned(), t))
    .collect()
}

/// 140 transactions per psql writer (700 writes), 40 of them (200 writes) rolled back.
const TRANSACTIONS: usize = 140;
const ROLLED_BACK: usize = 40;

fn rolls_back(n: usize) -> bool {
    n * ROLLED_BACK / TRANSACTIONS != (n + 1) * ROLLED_BACK / TRANSACTIONS
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_writers_and_rollbacks_reach_a_client_exactly_once_in_commit_order() {
    bounded(three_writers(Schema::new("writers"))).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn by_logical_decoding_three_writers_and_rollbacks_reach_a_client_exactly_once() {
    bounded(three_writers(Schema::decoded("decoded_writers"))).await;
}

async fn three_writers(schema: impl Future<Output = Schema>) {
    let schema = schema.await;
    let server = server(&schema).await;
    let mut client = server.client().await;
    let start = subscribe(&mut client).await;

    // Two psql processes (700 writes each, 200 of them rolled back), and this process
    // (600 writes: 120 transactions of five, 20 of them rolled back): 2,000 writes, 500
    // rolled back.
    let scripts: Vec<_> = ["psql1", "psql2"]
        .iter()
        .map(|prefix| {
            let script: String = (0..TRANSACTIONS)
                .map(|n| transaction(prefix, n, !rolls_back(n)))
                .collect();
            schema.psql(script)
        })
        .collect();
    let mut host = schema.client().await;
    let own = 120;
    let own_rolled_back = 20;
    let host_rolls_back = |n: usize| n * own_rolled_back / own != (n + 1) * own_rolled_back / own;
    for n in 0..own {
        let tx = host.transaction().await.expect("a transaction");
        let script = transaction("host", n, !host_rolls_back(n));
        let lines: Vec<&str> = script.lines().collect();
        // Without its BEGIN and COMMIT/ROLLBACK: the transaction object does those.
        tx.batch_execute(&lines[1..lines.len() - 1].join("\n"))
            .await
            .expect("the host's writes");
        if host_rolls_back(n) {
            tx.rollback().await.expect("rollback");
        } else {
            tx.commit().await.expect("commit");
        }
    }
    for script in scripts {
        script
            .join()
            .expect("the psql thread")
            .unwrap_or_else(|e| panic!("psql failed: {e}"));
    }
    // A last write after every writer is done: its event is the last one.
    host.execute("INSERT INTO \"Task\" (title) VALUES ('the end')", &[])
        .await
        .expect("the marker");

    let committed = 2 * (TRANSACTIONS - ROLLED_BACK) * 5 + (own - own_rolled_back) * 5 + 1;
    let mut events = Vec::new();
    while events.len() < committed {
        let (name, args) = client.next_event().await;
        events.push((name, args));
    }
    println!(
        "# capture, PostgreSQL: {} events for {committed} committed writes \
             ({} writes by three writers, {} rolled back, plus the marker)",
        events.len(),
        2 * TRANSACTIONS * 5 + own * 5,
        2 * ROLLED_BACK * 5 + own_rolled_back * 5
    );
    let last = &events.last().expect("events").1;
    assert_eq!(
        last[1]["title"],
        json!("the end"),
        "the marker is the last event"
    );
    let seqs: Vec<u64> = events.iter().map(|(_, a)| a[2].as_u64().unwrap()).collect();
    assert_eq!(
        seqs,
        (start + 1..=start + committed as u64).collect::<Vec<_>>(),
        "positions follow each other: none missing, none twice"
    );
    assert!(
        !events.iter().any(|(_, a)| a[1]["title"]
            .as_str()
            .is_some_and(|t| t.contains("rollback"))),
        "no rolled-back write"
    );

    // Each writer's changes, in the order it made them.
    let mut owner: BTreeMap<String, String> = BTreeMap::new();
    let mut seen: BTreeMap<String, Vec<(String, Option<String>)>> = BTreeMap::new();
    for (name, args) in &events[..events.len() - 1] {
        let (who, title) = if name == "model_deleted" {
            (owner[args[1].as_str().unwrap()].clone(), None)
        } else {
            let title = args[1]["title"].as_str().unwrap().to_owned();
            let who = title.split('-').next().unwrap().to_owned();
            owner.insert(args[1]["id"].as_str().unwrap().to_owned(), who.clone());
            (who, Some(title))
        };
        seen.entry(who).or_default().push((name.clone(), title));
    }
    for (prefix, count, rolled) in [
        ("psql1", TRANSACTIONS, &rolls_back as &dyn Fn(usize) -> bool),
        ("psql2", TRANSACTIONS, &rolls_back),
        ("host", own, &host_rolls_back),
    ] {
        let want: Vec<_> = (0..count)
            .filter(|n| !rolled(*n))
            .flat_map(|n| expected(prefix, n))
            .collect();
        assert_eq!(
            seen[prefix], want,
            "the {prefix} writer's changes, in order"
        );
    }

    // The events applied in order give a fresh read's rows.
    let mut rows: BTreeMap<String, Value> = BTreeMap::new();
    for (name, args) in &events {
        if name == "model_deleted" {
            rows.remove(args[1].as_str().unwrap());
        } else {
            rows.insert(args[1]["id"].as_str().unwrap().to_owned(), args[1].clone());
        }
    }
    let fresh: BTreeMap<String, Value> = schema
        .fresh_read()
        .await
        .into_iter()
        .map(|row| (row["id"].as_str().unwrap().to_owned(), row))
        .collect();
    assert_eq!(
        rows.len(),
        (TRANSACTIONS * 2 - ROLLED_BACK * 2) + own - own_rolled_back + 1
    );
    assert_eq!(rows, fresh);

    // Captured by decoding, the trigger is off: the changes came from the slot.
    let trigger: i8 = schema
        .admin
        .query_one(
            "SELECT tgenabled FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid \
                 JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE t.tgname = 'Task_capture' AND n.nspname = $1",
            &[&schema.name],
        )
        .await
        .expect("the capture trigger")
        .get(0);
    let expected = if schema.options.decoding { b'D' } else { b'O' };
    assert_eq!(
        trigger,
        i8::try_from(expected).unwrap(),
        "the trigger's state"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_row_of_20_kb_arrives_whole() {
    bounded(large_row(Schema::new("large"))).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn by_logical_decoding_a_row_of_20_kb_arrives_whole_and_its_update_too() {
    bounded(large_row(Schema::decoded("decoded_large"))).await;
}

async fn large_row(schema: impl Future<Output = Schema>) {
    let schema = schema.await;
    let server = server(&schema).await;
    let mut client = server.client().await;
    let start = subscribe(&mut client).await;
    // Letters that do not compress: PostgreSQL keeps the value out of the row (TOAST), and
    // an update that leaves it alone does not log it again.
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let title: String = (0..20_000)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            char::from(b'a' + u8::try_from(state % 26).unwrap())
        })
        .collect();
    let host = schema.client().await;
    host.execute(
        "INSERT INTO \"Task\" (title, \"createdAt\") VALUES ($1, '2026-11-30T10:00:00Z')",
        &[&title],
    )
    .await
    .expect("the insert");
    let (name, args) = client.next_event().await;
    assert_eq!(name, "model_created");
    assert_eq!(args[2], json!(start + 1));
    assert_eq!(args[1]["title"].as_str().map(str::len), Some(20_000));
    assert_eq!(args[1]["title"], json!(title), "the row is whole");
    assert_eq!(vec![args[1].clone()], schema.fresh_read().await);

    // An update of another column: the large value, unchanged, is in the event all the same.
    host.execute("UPDATE \"Task\" SET done = true", &[])
        .await
        .expect("the update");
    let (name, args) = client.next_event().await;
    assert_eq!(name, "model_updated");
    assert_eq!(args[2], json!(start + 2));
    assert_eq!(args[1]["done"], json!(true));
    assert_eq!(
        args[1]["title"],
        json!(title),
        "the unchanged large value is whole"
    );
    assert_eq!(vec![args[1].clone()], schema.fresh_read().await);
}

/// While changes keep coming, the relay reads every 2 ms and stops listening (`UNLISTEN`); the
/// first read that finds nothing listens again. The log's poll is an hour here: a write made
/// once the burst is over reaches the client only through a notification, so it shows that
/// they are back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notifications_pause_during_a_burst_and_come_back_after_it() {
    bounded(async {
        let schema = Schema::new("pause").await;
        // The log's connections carry this name, so the listening one can be looked up.
        let name = format!("capture_pause_{}", std::process::id());
        let url = format!("{}&application_name={name}", schema.url());
        let options = CaptureOptions::default().poll(std::time::Duration::from_secs(3600));
        let log = PostgresLog::connect(&url, options)
            .await
            .expect("the change log opens");
        let server = TestServer::start(RealtimeServer::<tasks::Spec>::builder().log(log)).await;
        let mut client = server.client().await;
        let start = subscribe(&mut client).await;
        let host = schema.client().await;
        // The last statement of the log's listening connection.
        let listener = || async {
            schema
                .admin
                .query_one(
                    "SELECT query FROM pg_stat_activity \
                     WHERE application_name = $1 AND query LIKE '%LISTEN sheplang_change;'",
                    &[&name],
                )
                .await
                .expect("the log's listening connection")
                .get::<_, String>(0)
        };
        assert_eq!(listener().await, "LISTEN sheplang_change;");
        let mut written = 0u64;
        let mut paused = false;
        for _ in 0..50 {
            for _ in 0..100 {
                host.execute(
                    "INSERT INTO \"Task\" (title, \"createdAt\") \
                     VALUES ('burst', '2026-11-30T10:00:00Z')",
                    &[],
                )
                .await
                .expect("the insert");
                written += 1;
            }
            if listener().await == "UNLISTEN sheplang_change;" {
                paused = true;
                break;
            }
        }
        assert!(
            paused,
            "the relay did not stop listening during {written} writes"
        );
        for n in 1..=written {
            let (name, args) = client.next_event().await;
            assert_eq!(name, "model_created");
            assert_eq!(
                args[2],
                json!(start + n),
                "every change of the burst, in order"
            );
        }
        // The changes stopped: the relay listens again (each look is a query, no sleep).
        while listener().await != "LISTEN sheplang_change;" {
            tokio::task::yield_now().await;
        }
        host.execute(
            "INSERT INTO \"Task\" (title, \"createdAt\") VALUES ('after', '2026-11-30T10:00:00Z')",
            &[],
        )
        .await
        .expect("the insert");
        let (_, args) = client.next_event().await;
        assert_eq!(args[1]["title"], json!("after"));
        assert_eq!(args[2], json!(start + written + 1));
    })
    .await;
}

/// Two server processes' worth of nodes on one PostgreSQL database and one Redis: each node
/// follows the Redis log and calls `PostgresLog::relay_into`; one of them holds the lease and
/// relays. Writes made with plain SQL reach the clients of both nodes, once each, in commit
/// order, with the same positions.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_postgres_capture_relayed_into_redis_reaches_the_clients_of_two_nodes() {
    bounded(async {
        const WRITES: usize = 300;
        let schema = Schema::new("redis").await;
        let redis = test_services::redis().unwrap_or_else(|e| panic!("{e}"));
        let prefix = format!("capture-pg-{}", std::process::id());
        let mut nodes = Vec::new();
        for _ in 0..2 {
            let log = RedisLog::connect(redis.url(), RedisOptions::default().prefix(&prefix))
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            let changes = PostgresLog::connect(&schema.url(), CaptureOptions::default())
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            changes
                .relay_into("redis", &["task"], Arc::new(log.clone()))
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            nodes.push(TestServer::start(RealtimeServer::<tasks::Spec>::builder().log(log)).await);
        }
        let mut clients = Vec::new();
        for node in &nodes {
            let mut client = node.client().await;
            subscribe(&mut client).await;
            clients.push(client);
        }
        let host = schema.client().await;
        // `relay_into` has fixed the relay's start: this first write is relayed.
        host.execute("INSERT INTO \"Task\" (title) VALUES ('first')", &[])
            .await
            .expect("the first write");
        let mut firsts = Vec::new();
        for client in &mut clients {
            let (name, args) = client.next_event().await;
            assert_eq!(
                (name.as_str(), &args[1]["title"]),
                ("model_created", &json!("first"))
            );
            firsts.push(args[2].as_u64().expect("a position"));
        }
        assert_eq!(firsts[0], firsts[1], "one position on both nodes");
        for n in 0..WRITES {
            let sql = match n % 3 {
                0 => format!("INSERT INTO \"Task\" (title) VALUES ('w-{n}')"),
                1 => format!(
                    "UPDATE \"Task\" SET done = true WHERE title = 'w-{}'",
                    n - 1
                ),
                _ => format!("DELETE FROM \"Task\" WHERE title = 'w-{}'", n - 2),
            };
            host.batch_execute(&sql).await.expect("a write");
        }
        for client in &mut clients {
            let mut seqs = Vec::new();
            let mut names = Vec::new();
            while seqs.len() < WRITES {
                let (name, args) = client.next_event().await;
                seqs.push(args[2].as_u64().expect("a position"));
                names.push(name);
            }
            assert_eq!(
                seqs,
                (firsts[0] + 1..=firsts[0] + WRITES as u64).collect::<Vec<_>>(),
                "every change once, in order"
            );
            let want: Vec<&str> = (0..WRITES)
                .map(|n| ["model_created", "model_updated", "model_deleted"][n % 3])
                .collect();
            assert_eq!(names, want);
        }
    })
    .await;
}

/// A log that captures with the triggers refuses tables moved to logical decoding (it would
/// relay nothing: their triggers are off) and says what to do; once they are moved back with
/// `_sheplang_capture_by_triggers`, their triggers capture again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tables_moved_to_decoding_and_back() {
    bounded(async {
        let schema = Schema::decoded("decoded_back").await;
        let host = schema.client().await;
        {
            let server = server(&schema).await;
            let mut client = server.client().await;
            let start = subscribe(&mut client).await;
            host.execute("INSERT INTO \"Task\" (title) VALUES ('decoded')", &[])
                .await
                .expect("the insert");
            let (name, args) = client.next_event().await;
            assert_eq!(
                (name.as_str(), args[2].clone()),
                ("model_created", json!(start + 1))
            );
        }
        let refused = PostgresLog::connect(&schema.url(), CaptureOptions::default())
            .await
            .expect_err("a log with the triggers refuses tables captured by decoding");
        let message = refused.to_string();
        assert!(
            message.contains("captured by logical decoding")
                && message.contains("_sheplang_capture_by_triggers"),
            "{message}"
        );
        // The decoding log is gone (the server above stopped): its streaming session may
        // still be ending; the function ends it like any other.
        let slot: String = host
            .query_one("SELECT \"slot\" FROM \"_sheplang_decoding\"", &[])
            .await
            .expect("the slot's row")
            .get(0);
        host.execute(
            "SELECT pg_terminate_backend(active_pid, 5000) FROM pg_replication_slots \
             WHERE slot_name = $1 AND active_pid IS NOT NULL",
            &[&slot],
        )
        .await
        .expect("the session ended");
        host.execute("SELECT \"_sheplang_capture_by_triggers\"($1)", &[&slot])
            .await
            .expect("back to the triggers");
        let mut schema = schema;
        schema.options = CaptureOptions::default();
        let server = server(&schema).await;
        let mut client = server.client().await;
        let start = subscribe(&mut client).await;
        host.execute("INSERT INTO \"Task\" (title) VALUES ('triggered')", &[])
            .await
            .expect("the insert");
        let (name, args) = client.next_event().await;
        assert_eq!(
            (name.as_str(), args[2].clone()),
            ("model_created", json!(start + 1))
        );
        assert_eq!(args[1]["title"], json!("triggered"));
    })
    .await;
}
