//! The demo's PostgreSQL store on a real server (`test-services`): requests that arrive together
//! are committed in one transaction (group commit), and a request whose statement fails in a
//! group leaves the others' answers as if each had come alone.

use sheplang_demo::PgStore;
use sheplang_demo::store::{Created, StoreError};
use tokio_postgres::NoTls;

/// A store on a fresh schema of the test server, and the server (kept up while the store runs).
async fn store(tag: &str) -> (PgStore, test_services::Service, String) {
    let service = test_services::postgres().unwrap_or_else(|e| panic!("{e}"));
    let schema = format!("demo_store_{tag}_{}", std::process::id());
    let (admin, connection) = tokio_postgres::connect(service.url(), NoTls)
        .await
        .expect("PostgreSQL accepts a connection");
    tokio::spawn(connection);
    admin
        .batch_execute(&format!(
            "SET client_min_messages = warning; DROP SCHEMA IF EXISTS {schema} CASCADE; \
             CREATE SCHEMA {schema};"
        ))
        .await
        .expect("a schema of the test's own");
    let url = service.url_in_schema(&schema);
    let store = PgStore::connect(&url).await.expect("the store connects");
    (store, service, url)
}

/// The changes the capture recorded, in position order: (kind, row id).
async fn changes(url: &str) -> Vec<(String, String)> {
    let (client, connection) = tokio_postgres::connect(url, NoTls).await.unwrap();
    tokio::spawn(connection);
    client
        .query(
            r#"SELECT "kind", "row_id" FROM "_sheplang_change" ORDER BY "seq""#,
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect()
}

#[tokio::test]
async fn requests_that_come_together_all_commit_and_each_gets_its_own_row() {
    let (store, _service, url) = store("group").await;
    let store = std::sync::Arc::new(store);
    // Spawned before any runs: on this one-thread runtime they queue up together, so the
    // store's task finds them waiting and commits them in groups.
    let creates: Vec<_> = (0..200)
        .map(|n| {
            let store = store.clone();
            tokio::spawn(async move { store.create(&format!("task {n}")).await })
        })
        .collect();
    let mut ids = Vec::new();
    for (n, create) in creates.into_iter().enumerate() {
        let task = create.await.unwrap().expect("a create commits");
        assert_eq!(task.title, format!("task {n}"));
        ids.push(task.id);
    }
    let listed: Vec<String> = store
        .list()
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.id)
        .collect();
    let mut sorted = ids.clone();
    sorted.sort_by_key(|id| id.parse::<i64>().unwrap());
    assert_eq!(listed, sorted, "every answered create is committed, once");
    let captured = changes(&url).await;
    assert_eq!(captured.len(), 200, "one change per write");
    assert!(captured.iter().all(|(kind, _)| kind == "created"));
}

#[tokio::test]
async fn a_failed_statement_in_a_group_fails_that_request_alone() {
    let (store, _service, url) = store("failed").await;
    let store = std::sync::Arc::new(store);
    let kept = store.create("kept").await.unwrap();
    // Creates with ten keys, each key five times, all queued together: the first of a key
    // creates its task, the others get that task again. Two of one key in one group both find
    // no key, and the second's insert of the key breaks its primary key: the group is rolled
    // back and its requests run again one by one.
    let creates: Vec<_> = (0..50)
        .map(|n| {
            let store = store.clone();
            tokio::spawn(async move { store.create_once(&format!("key-{}", n % 10), "once").await })
        })
        .collect();
    // Among them, requests that fail without a failed statement leave the group as it is.
    let missing = {
        let store = store.clone();
        tokio::spawn(async move { store.delete("999999").await })
    };
    let reused = {
        let store = store.clone();
        tokio::spawn(async move { store.create_once("key-0", "another title").await })
    };
    let mut first = std::collections::HashMap::new();
    for (n, create) in creates.into_iter().enumerate() {
        let key = n % 10;
        match create.await.unwrap().expect("a create with a key commits") {
            Created::New(task) => assert!(
                first.insert(key, task).is_none(),
                "key-{key} created a second task"
            ),
            Created::Replayed(task) => {
                if let Some(created) = first.get(&key) {
                    assert_eq!(&task, created);
                }
            }
        }
    }
    assert_eq!(first.len(), 10, "each key created one task");
    assert!(matches!(
        missing.await.unwrap(),
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        reused.await.unwrap(),
        Err(StoreError::KeyReused(_))
    ));
    let tasks = store.list().await.unwrap();
    assert_eq!(tasks.len(), 11, "the first task and one per key");
    assert_eq!(tasks[0], kept);
    let captured = changes(&url).await;
    assert_eq!(
        captured.len(),
        11,
        "no change of a rolled-back group is recorded"
    );
    let mut ids: Vec<String> = tasks.iter().map(|t| t.id.clone()).collect();
    let mut recorded: Vec<String> = captured.into_iter().map(|(_, id)| id).collect();
    ids.sort();
    recorded.sort();
    assert_eq!(ids, recorded);
}
