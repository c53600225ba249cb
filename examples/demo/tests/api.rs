//! The demo's HTTP API on 127.0.0.1: each write answers with the row, and the database's
//! capture records the matching event in its change table; the whole app (realtime server, API,
//! page) on one port.

mod support;

use serde_json::{Value, json};
use sheplang_demo::{Location, Store, api, tasks};
use sheplang_socketio::log::Replay;
use sheplang_socketio::{CaptureOptions, EventLog as _, SqliteLog};
use support::{PollingClient, http};

/// One event the database recorded: its room, its name and its arguments.
struct Sent {
    room: &'static str,
    event: &'static str,
    args: Vec<Value>,
}

/// The change log of a store's database, read from where the test last looked.
struct Changes {
    log: SqliteLog,
    seen: u64,
}

impl Changes {
    fn of(store: &Store) -> Changes {
        Changes {
            log: SqliteLog::open(store.path(), CaptureOptions::default()).expect("the change log"),
            seen: 0,
        }
    }

    /// The events recorded since the last call, in order.
    async fn take(&mut self) -> Vec<Sent> {
        let Replay::Events { entries, .. } = self.log.read("task", Some(self.seen)).await.unwrap()
        else {
            panic!("the change log lost events");
        };
        if let Some(last) = entries.last() {
            self.seen = last.seq;
        }
        entries
            .into_iter()
            .map(|e| Sent {
                room: "task",
                event: e.event.kind.event_name(),
                args: vec![
                    json!(e.event.model),
                    serde_json::from_str(e.event.payload.get()).unwrap(),
                ],
            })
            .collect()
    }
}

fn memory_store() -> Store {
    Store::open(&Location::Memory).expect("in-memory store")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_update_delete_round_trip_records_typed_events() {
    let store = memory_store();
    let mut recorder = Changes::of(&store);
    let addr = support::serve(api::routes(store).unwrap()).await;

    let empty = http(addr, "GET", "/api/tasks", None).await;
    assert_eq!((empty.status, empty.json()), (200, json!([])));

    let created = support::json(addr, "POST", "/api/tasks", &json!({"title": "  Ship it "})).await;
    assert_eq!(created.status, 201, "{created:?}");
    let task = created.json();
    assert_eq!(task["title"], "Ship it");
    assert_eq!(task["done"], false);
    let id = task["id"].as_str().expect("a string id").to_owned();
    // On the wire: the spec's field names, `id` first.
    let at = |key: &str| created.body.find(&format!("\"{key}\":")).expect(key);
    assert!(at("id") < at("title") && at("title") < at("done") && at("done") < at("createdAt"));
    assert!(at("createdAt") < at("status"));
    assert_eq!(
        task["status"], "todo",
        "a new task starts in the first state"
    );
    assert_eq!(task.as_object().unwrap().len(), 5);

    let sent = recorder.take().await;
    assert_eq!(sent.len(), 1);
    assert_eq!((sent[0].room, sent[0].event), ("task", "model_created"));
    assert_eq!(sent[0].args, vec![json!("Task"), task.clone()]);

    let path = format!("/api/tasks/{id}");
    let renamed = support::json(addr, "PATCH", &path, &json!({"title": "Ship it today"})).await;
    assert_eq!(renamed.status, 200, "{renamed:?}");
    let completed = support::json(addr, "PATCH", &path, &json!({"done": true})).await;
    assert_eq!(completed.status, 200, "{completed:?}");
    let row = completed.json();
    assert_eq!(
        (row["title"].clone(), row["done"].clone()),
        (json!("Ship it today"), json!(true))
    );
    assert_eq!(row["createdAt"], task["createdAt"]);

    let sent = recorder.take().await;
    let events: Vec<_> = sent.iter().map(|s| (s.room, s.event)).collect();
    assert_eq!(
        events,
        [("task", "model_updated"), ("task", "model_updated")]
    );
    assert_eq!(sent[0].args[1], renamed.json());
    assert_eq!(sent[1].args, vec![json!("Task"), row.clone()]);

    let listed = http(addr, "GET", "/api/tasks", None).await;
    assert_eq!(listed.json(), json!([row]));

    let deleted = http(addr, "DELETE", &path, None).await;
    assert_eq!((deleted.status, deleted.body.as_str()), (204, ""));
    let sent = recorder.take().await;
    assert_eq!(sent.len(), 1);
    assert_eq!((sent[0].room, sent[0].event), ("task", "model_deleted"));
    assert_eq!(sent[0].args, vec![json!("Task"), json!(id)]);

    let gone = http(addr, "GET", &path, None).await;
    assert_eq!(gone.status, 404);
    assert_eq!(
        http(addr, "GET", "/api/tasks", None).await.json(),
        json!([])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_get_json_errors_and_record_nothing() {
    let store = memory_store();
    let mut recorder = Changes::of(&store);
    let addr = support::serve(api::routes(store).unwrap()).await;
    let task = support::json(addr, "POST", "/api/tasks", &json!({"title": "one"}))
        .await
        .json();
    recorder.take().await;
    let path = format!("/api/tasks/{}", task["id"].as_str().unwrap());

    let cases: Vec<(&str, String, Option<Value>, u16, &str)> = vec![
        (
            "POST",
            "/api/tasks".into(),
            Some(json!({"title": "   "})),
            422,
            "`title` must contain a visible character",
        ),
        (
            "POST",
            "/api/tasks".into(),
            Some(json!({"title": "x".repeat(201)})),
            422,
            "`title` must be at most 200 characters long",
        ),
        (
            "POST",
            "/api/tasks".into(),
            Some(json!({"titel": "typo"})),
            422,
            "unknown field `titel`",
        ),
        (
            "POST",
            "/api/tasks".into(),
            Some(json!([1, 2])),
            422,
            "invalid type",
        ),
        (
            "PATCH",
            path.clone(),
            Some(json!({})),
            422,
            "nothing to change",
        ),
        (
            "PATCH",
            path.clone(),
            Some(json!({"done": "yes"})),
            422,
            "invalid type",
        ),
        (
            "PATCH",
            "/api/tasks/999".into(),
            Some(json!({"done": true})),
            404,
            "no task has the id `999`",
        ),
        (
            "PATCH",
            "/api/tasks/abc".into(),
            Some(json!({"done": true})),
            404,
            "no task",
        ),
        ("DELETE", "/api/tasks/999".into(), None, 404, "no task"),
    ];
    for (method, path, body, status, message) in cases {
        let response = match &body {
            Some(body) => support::json(addr, method, &path, body).await,
            None => http(addr, method, &path, None).await,
        };
        assert_eq!(
            response.status, status,
            "{method} {path} {body:?}: {response:?}"
        );
        let error = response.json()["error"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(
            error.contains(message),
            "{method} {path}: {error:?} lacks {message:?}"
        );
    }

    // A row the spec's constraints refuse names each broken one: field and rule.
    for (title, rule) in [
        ("\u{0}".to_owned(), "required"),
        ("é".repeat(201), "maxLength"),
    ] {
        let response = support::json(addr, "POST", "/api/tasks", &json!({ "title": title })).await;
        assert_eq!(response.status, 422, "{response:?}");
        let violations = response.json()["violations"].clone();
        assert_eq!(violations.as_array().map(Vec::len), Some(1), "{violations}");
        assert_eq!(violations[0]["field"], "title");
        assert_eq!(violations[0]["rule"], rule);
    }
    let patched = support::json(addr, "PATCH", &path, &json!({ "title": "\u{200b}" })).await;
    assert_eq!(patched.status, 422, "{patched:?}");
    assert_eq!(patched.json()["violations"][0]["rule"], "required");

    // Not JSON at all.
    let plain = http(addr, "POST", "/api/tasks", Some(("text/plain", "title=x"))).await;
    assert_eq!(plain.status, 415, "{plain:?}");
    assert!(plain.json()["error"].is_string());
    let broken = http(
        addr,
        "POST",
        "/api/tasks",
        Some(("application/json", "{\"title\":")),
    )
    .await;
    assert_eq!(broken.status, 400, "{broken:?}");

    assert!(
        recorder.take().await.is_empty(),
        "a refused write broadcasts nothing"
    );
    assert_eq!(
        http(addr, "GET", "/api/tasks", None).await.json(),
        json!([task])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_routes_and_methods_get_json_errors() {
    let web = tempfile::tempdir().unwrap();
    let (router, _realtime) =
        sheplang_demo::app(memory_store(), web.path().to_path_buf()).expect("the app");
    let addr = support::serve(router).await;
    let cases = [
        (
            "GET",
            "/api/nope",
            404,
            "no API route `GET /api/nope`",
            None,
        ),
        (
            "POST",
            "/api/nope",
            404,
            "no API route `POST /api/nope`",
            None,
        ),
        ("DELETE", "/api", 404, "no API route", None),
        ("GET", "/api/tasks/1/x", 404, "no API route", None),
        (
            "GET",
            "/api/tasks/999",
            404,
            "no task has the id `999`",
            None,
        ),
        (
            "PUT",
            "/api/tasks",
            405,
            "`PUT` is not allowed on `/api/tasks`",
            Some("GET,HEAD,POST"),
        ),
        (
            "POST",
            "/api/tasks/1",
            405,
            "`POST` is not allowed on `/api/tasks/1`",
            Some("GET,HEAD,PATCH,DELETE"),
        ),
        ("GET", "/api/tasks/%FF", 400, "", None),
    ];
    for (method, path, status, message, allow) in cases {
        let response = http(addr, method, path, None).await;
        assert_eq!(response.status, status, "{method} {path}: {response:?}");
        assert_eq!(
            response.header("content-type"),
            Some("application/json"),
            "{method} {path}: {response:?}"
        );
        let error = response.json()["error"].as_str().unwrap_or("").to_owned();
        assert!(
            !error.is_empty() && error.contains(message),
            "{method} {path}: {error:?} lacks {message:?}"
        );
        if let Some(allow) = allow {
            let listed: Vec<&str> = response
                .header("allow")
                .unwrap_or("")
                .split(',')
                .map(str::trim)
                .collect();
            let expected: Vec<&str> = allow.split(',').collect();
            assert!(
                expected.iter().all(|m| listed.contains(m)),
                "{method} {path}: allow {listed:?}"
            );
        }
    }
    // The page keeps its own answers.
    assert_eq!(http(addr, "GET", "/nope.js", None).await.status, 404);
}

/// `POST /api/tasks` with an `Idempotency-Key`.
async fn create_with_key(addr: std::net::SocketAddr, key: &str, title: &str) -> support::Response {
    let host = addr.to_string();
    let body = json!({ "title": title }).to_string();
    support::request(
        addr,
        "POST",
        "/api/tasks",
        &[("Host", &host), ("Idempotency-Key", key)],
        Some(("application/json", &body)),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_create_with_the_same_key_creates_one_task() {
    let store = memory_store();
    let mut recorder = Changes::of(&store);
    let addr = support::serve(api::routes(store).unwrap()).await;

    let first = create_with_key(addr, "\"retry-1\"", "Pay rent").await;
    assert_eq!(first.status, 201, "{first:?}");
    assert_eq!(first.header("idempotent-replayed"), None);
    let again = create_with_key(addr, "\"retry-1\"", "Pay rent").await;
    assert_eq!(again.status, 201, "{again:?}");
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.body, first.body, "the retry gets the first answer");
    // Quoted (a structured-field string) or bare, it is the same key.
    let bare = create_with_key(addr, "retry-1", "Pay rent").await;
    assert_eq!(bare.body, first.body);
    let other = create_with_key(addr, "retry-1", "Something else").await;
    assert_eq!(other.status, 422, "{other:?}");
    assert!(
        other.json()["error"]
            .as_str()
            .unwrap()
            .contains("already used")
    );
    for bad in ["", "\"\"", "a b"] {
        let r = create_with_key(addr, bad, "x").await;
        assert_eq!(r.status, 400, "{bad:?}: {r:?}");
        assert!(
            r.json()["error"]
                .as_str()
                .unwrap()
                .contains("Idempotency-Key")
        );
    }

    // Twenty clients send the same create at the same time.
    let racers: Vec<_> = (0..20)
        .map(|_| tokio::spawn(async move { create_with_key(addr, "race-1", "Once").await }))
        .collect();
    let mut bodies = Vec::new();
    for racer in racers {
        let response = racer.await.unwrap();
        assert_eq!(response.status, 201, "{response:?}");
        bodies.push(response.body);
    }
    assert!(bodies.iter().all(|b| *b == bodies[0]), "{bodies:?}");

    let listed = http(addr, "GET", "/api/tasks", None).await.json();
    let titles: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Pay rent", "Once"], "one task per key");
    let events: Vec<_> = recorder.take().await.into_iter().map(|s| s.event).collect();
    assert_eq!(
        events,
        ["model_created", "model_created"],
        "one event per task"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscriber_of_the_real_server_sees_every_write() {
    let web = tempfile::tempdir().unwrap();
    std::fs::write(
        web.path().join("index.html"),
        "<!doctype html><title>demo</title>",
    )
    .unwrap();
    std::fs::write(web.path().join("app.js"), "console.log(1)").unwrap();
    let (router, realtime) =
        sheplang_demo::app(memory_store(), web.path().to_path_buf()).expect("the app");
    let addr = support::serve(router).await;

    let (mut client, connected) = PollingClient::connect(addr).await;
    assert_eq!(
        connected,
        vec![
            json!({"app": "TaskList", "fingerprint": <tasks::Spec as sheplang::Spec>::FINGERPRINT})
        ]
    );
    assert_eq!(client.subscribe("task").await, json!({"ok": true}));
    assert_eq!(
        client.subscribe("tasks").await,
        json!({"ok": false, "error": "unknown channel \"tasks\""})
    );
    assert_eq!(realtime.subscriber_count(tasks::Channel::Task), 1);

    let task = support::json(addr, "POST", "/api/tasks", &json!({"title": "Live"}))
        .await
        .json();
    assert_eq!(
        client.next_event().await,
        ("model_created".into(), vec![json!("Task"), task.clone()])
    );

    let path = format!("/api/tasks/{}", task["id"].as_str().unwrap());
    let done = support::json(addr, "PATCH", &path, &json!({"done": true}))
        .await
        .json();
    assert_eq!(
        client.next_event().await,
        ("model_updated".into(), vec![json!("Task"), done])
    );

    assert_eq!(http(addr, "DELETE", &path, None).await.status, 204);
    assert_eq!(
        client.next_event().await,
        (
            "model_deleted".into(),
            vec![json!("Task"), task["id"].clone()]
        )
    );

    // The page, beside the API and the realtime server.
    let index = http(addr, "GET", "/", None).await;
    assert_eq!(index.status, 200);
    assert!(
        index
            .header("content-type")
            .unwrap()
            .starts_with("text/html")
    );
    assert!(index.body.contains("<title>demo</title>"));
    let script = http(addr, "GET", "/app.js", None).await;
    assert!(
        script
            .header("content-type")
            .unwrap()
            .starts_with("text/javascript")
    );
    for path in [
        "/missing.js",
        "/../Cargo.toml",
        "/%2e%2e/Cargo.toml",
        "/.hidden",
        "/a/b.js",
    ] {
        assert_eq!(http(addr, "GET", path, None).await.status, 404, "{path}");
    }
    assert_eq!(
        http(addr, "POST", "/", Some(("text/plain", "x")))
            .await
            .status,
        405
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unbuilt_page_explains_how_to_build_it() {
    let web = tempfile::tempdir().unwrap();
    let (router, _realtime) =
        sheplang_demo::app(memory_store(), web.path().join("dist")).expect("the app");
    let addr = support::serve(router).await;
    let page = http(addr, "GET", "/", None).await;
    assert_eq!(page.status, 503);
    assert!(page.body.contains("scripts/demo.sh"), "{}", page.body);
    assert_eq!(http(addr, "GET", "/api/tasks", None).await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_keeps_the_tasks_and_seeds_only_a_new_database() {
    let dir = tempfile::tempdir().unwrap();
    let config = sheplang_demo::Config {
        port: 0,
        db: Location::File(dir.path().join("tasks.sqlite3")),
        web_dir: dir.path().join("dist"),
        ..sheplang_demo::Config::default()
    };
    let first = sheplang_demo::Server::bind(&config)
        .await
        .expect("first start");
    assert_eq!(first.seeded(), 3);
    let addr = first.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(first.serve(async {
        let _ = stopped.await;
    }));
    let added = support::json(addr, "POST", "/api/tasks", &json!({"title": "kept"})).await;
    assert_eq!(added.status, 201);
    let before = http(addr, "GET", "/api/tasks", None).await.json();
    assert_eq!(before.as_array().unwrap().len(), 4);
    stop.send(()).unwrap();
    serving.await.unwrap().unwrap();

    let again = sheplang_demo::Server::bind(&sheplang_demo::Config {
        port: addr.port(),
        ..config
    })
    .await
    .expect("second start on the same port and file");
    assert_eq!(again.seeded(), 0);
    assert_eq!(again.local_addr().unwrap(), addr);
    tokio::spawn(again.serve(std::future::pending()));
    assert_eq!(http(addr, "GET", "/api/tasks", None).await.json(), before);
}
