//! The generated types of `specs/tasks.shep` and `specs/billing.shep` against the wire
//! contract (`docs/wire.md`).

use serde_json::{Value, json};
use sheplang::testing::{Recorder, Sent};
use sheplang::{DynSpec, Emitter, EventError, Money, Ref, Spec as _};
use tasks_host::billing::{Invoice, InvoiceState};
use tasks_host::tasks::{
    Channel, ClientToServer, ModelName, ServerToClient, Spec, Task, TaskState, User,
};
use tasks_host::{BoardError, TaskBoard};

fn task(id: &str) -> Task {
    Task {
        id: id.into(),
        title: "Write the docs".into(),
        r#type: "chore".into(),
        assignee: Some(Ref::new("u-1")),
        watchers: vec![Ref::new("u-2"), Ref::new("u-3")],
        estimate: "2.50".parse().unwrap(),
        due_date: None,
        created_at: "2026-11-25T09:00:00Z".into(),
        tags: vec!["docs".into()],
        priority: 2.0,
        status: TaskState::Todo,
    }
}

#[test]
fn a_task_round_trips_with_the_spec_field_names() {
    let t = task("t-1");
    let text = serde_json::to_string(&t).unwrap();
    assert!(
        text.starts_with(r#"{"id":"t-1","#),
        "`id` comes first: {text}"
    );
    let json: Value = serde_json::from_str(&text).unwrap();
    let mut keys: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    let mut expected = vec![
        "id",
        "title",
        "type",
        "assignee",
        "watchers",
        "estimate",
        "createdAt",
        "tags",
        "priority",
        "status",
    ];
    expected.sort_unstable();
    assert_eq!(keys, expected, "`dueDate` is absent while `None`");
    assert_eq!(json["estimate"], "2.50", "money is a decimal string");
    assert_eq!(json["assignee"], "u-1", "a ref is the id string");
    assert_eq!(json["watchers"], json!(["u-2", "u-3"]));
    let back: Task = serde_json::from_str(&text).unwrap();
    assert_eq!(back, t);

    let mut with_due = task("t-2");
    with_due.due_date = Some("2026-12-01".into());
    let json = serde_json::to_value(&with_due).unwrap();
    assert_eq!(json["dueDate"], "2026-12-01");
    assert_eq!(serde_json::from_value::<Task>(json).unwrap(), with_due);
}

#[test]
fn optional_fields_accept_null_and_absence_only() {
    let mut json = serde_json::to_value(task("t-1")).unwrap();
    json["dueDate"] = Value::Null;
    assert_eq!(
        serde_json::from_value::<Task>(json.clone())
            .unwrap()
            .due_date,
        None
    );
    json.as_object_mut().unwrap().remove("assignee");
    assert_eq!(
        serde_json::from_value::<Task>(json.clone())
            .unwrap()
            .assignee,
        None
    );

    // Every other field must be present, and money is never a JSON number.
    let mut missing = json.clone();
    missing.as_object_mut().unwrap().remove("title");
    assert!(serde_json::from_value::<Task>(missing).is_err());
    let mut float = json;
    float["estimate"] = json!(2.5);
    let err = serde_json::from_value::<Task>(float)
        .unwrap_err()
        .to_string();
    assert!(err.contains("never a JSON number"), "{err}");
}

#[test]
fn channels_are_the_lower_case_model_names() {
    assert_eq!("task".parse::<Channel>().unwrap(), Channel::Task);
    assert_eq!("user".parse::<Channel>().unwrap(), Channel::User);
    let err = "tasks".parse::<Channel>().unwrap_err();
    assert_eq!(err.to_string(), r#"unknown channel "tasks""#);
    assert_eq!(
        format!("{err:#}"),
        r#"unknown channel "tasks"; did you mean "task"?"#
    );
    assert!("Task".parse::<Channel>().is_err(), "the case matters");
    assert!("".parse::<Channel>().is_err());
    assert_eq!(Channel::ALL, &[Channel::User, Channel::Task]);
    assert_eq!(Channel::Task.to_string(), "task");
    assert_eq!(format!("{:>6}|", Channel::Task), "  task|");
    assert_eq!(serde_json::to_value(Channel::Task).unwrap(), "task");
    assert_eq!(
        serde_json::from_value::<Channel>(json!("user")).unwrap(),
        Channel::User
    );
    assert!(serde_json::from_value::<Channel>(json!("users")).is_err());
    assert_eq!(Channel::Task.model(), ModelName::Task);
    assert_eq!(ModelName::Task.channel(), Channel::Task);
}

#[test]
fn model_names_keep_the_spec_case() {
    assert_eq!(serde_json::to_value(ModelName::Task).unwrap(), "Task");
    assert_eq!("User".parse::<ModelName>().unwrap(), ModelName::User);
    let err = "Tsk".parse::<ModelName>().unwrap_err().to_string();
    assert_eq!(err, r#"unknown model "Tsk"; did you mean "Task"?"#);
    assert_eq!(<Task as sheplang::Model>::NAME, "Task");
    assert_eq!(Task::CHANNEL, Channel::Task);
}

#[test]
fn the_lifecycle_follows_the_arrows() {
    assert_eq!(
        TaskState::ALL,
        &[TaskState::Todo, TaskState::Doing, TaskState::Done]
    );
    assert_eq!(TaskState::initial(), TaskState::Todo);
    assert_eq!(TaskState::Todo.next_states(), &[TaskState::Doing]);
    assert!(TaskState::Doing.can_transition_to(TaskState::Done));
    assert!(!TaskState::Done.can_transition_to(TaskState::Todo));
    assert!(!TaskState::Todo.can_transition_to(TaskState::Todo));
    assert!(TaskState::Done.is_final());
    assert_eq!("doing".parse::<TaskState>().unwrap(), TaskState::Doing);
    assert_eq!(
        "dnoe".parse::<TaskState>().unwrap_err().to_string(),
        r#"unknown state of `Task` "dnoe"; did you mean "done"?"#
    );
    assert_eq!(serde_json::to_value(TaskState::Doing).unwrap(), "doing");
    assert_eq!(InvoiceState::initial().to_string(), "draft");
}

#[test]
fn the_spec_trait_describes_the_protocol() {
    fn channels<S: sheplang::Spec>() -> Vec<&'static str> {
        S::channels()
            .iter()
            .map(|c| sheplang::Channel::as_str(*c))
            .collect()
    }
    assert_eq!(Spec::APP, "TaskManager");
    assert_eq!(Spec::FINGERPRINT.len(), 16);
    assert_eq!(channels::<Spec>(), ["user", "task"]);
    assert_eq!(channels::<tasks_host::billing::Spec>(), ["invoice"]);
    assert_ne!(Spec::FINGERPRINT, tasks_host::billing::Spec::FINGERPRINT);
    assert_eq!(Spec::parse_channel("task"), Ok(Channel::Task));

    let specs: [&dyn DynSpec; 2] = [&Spec, &tasks_host::billing::Spec];
    assert_eq!(specs[1].app(), "Billing");
    assert_eq!(specs[0].channel_names(), &["user", "task"]);
    assert_eq!(specs[0].check_channel("task"), Ok("task"));
    assert!(specs[1].check_channel("task").is_err());
}

#[test]
fn model_events_go_to_the_model_room() {
    let t = task("t-1");
    let event = sheplang::created(&t);
    assert_eq!(event.room(), "task");
    assert_eq!(event.channel(), Channel::Task);
    assert_eq!(event.event_name(), "model_created");
    let args = event.to_values().unwrap();
    assert_eq!(args, vec![json!("Task"), serde_json::to_value(&t).unwrap()]);
    // The args serialise as a tuple: separate Socket.IO arguments.
    assert_eq!(serde_json::to_value(event.args()).unwrap(), json!(args));

    let deleted = sheplang::deleted(&t);
    assert_eq!(
        deleted.to_values().unwrap(),
        vec![json!("Task"), json!("t-1")]
    );
    let id: Ref<Task> = Ref::new("t-9");
    let by_id = sheplang::ModelEvent::deleted_id(&id);
    assert_eq!(Ref::of(&t), Ref::<Task>::new("t-1"));
    assert_eq!(
        by_id.to_values().unwrap(),
        vec![json!("Task"), json!("t-9")]
    );
}

#[test]
fn server_events_mirror_the_protocol() {
    let t = task("t-1");
    let events = vec![
        ServerToClient::TaskCreated(Box::new(t.clone())),
        ServerToClient::TaskUpdated(Box::new(t.clone())),
        ServerToClient::TaskDeleted(Ref::new("t-1")),
        ServerToClient::UserCreated(Box::new(User {
            id: "u-1".into(),
            name: "Ada".into(),
            email: "ada@example.com".into(),
            is_admin: true,
        })),
        ServerToClient::Notification {
            message: "hello".into(),
            data: Some(json!({"n": 1})),
        },
        ServerToClient::Notification {
            message: "bare".into(),
            data: None,
        },
        ServerToClient::connected(),
    ];
    for event in events {
        let args = event.args().unwrap();
        let back = ServerToClient::parse(event.event_name(), &args).unwrap();
        assert_eq!(back, event, "{}", event.event_name());
    }
    let created = ServerToClient::TaskCreated(Box::new(t.clone()));
    assert_eq!(
        created.args().unwrap(),
        sheplang::created(&t).to_values().unwrap()
    );
    assert_eq!(created.channel(), Some(Channel::Task));
    assert_eq!(ServerToClient::connected().channel(), None);
    assert_eq!(
        ServerToClient::connected().args().unwrap(),
        vec![json!({"app": "TaskManager", "fingerprint": Spec::FINGERPRINT})]
    );
    assert_eq!(
        ServerToClient::Notification {
            message: "m".into(),
            data: None
        }
        .args()
        .unwrap(),
        vec![json!("m")]
    );
}

#[test]
fn malformed_server_events_are_errors() {
    let parse = |event: &str, args: Value| {
        ServerToClient::parse(event, args.as_array().unwrap())
            .unwrap_err()
            .to_string()
    };
    assert_eq!(
        parse("model_created", json!(["Order", {}])),
        r#"unknown model "Order"; expected one of "User", "Task""#
    );
    assert!(
        parse("model_created", json!(["Task", {"id": 1}]))
            .starts_with("invalid arguments for `model_created`")
    );
    assert!(parse("model_created", json!(["Task"])).contains("missing"));
    assert!(parse("model_deleted", json!([1, "x"])).contains("model name"));
    assert_eq!(parse("nope", json!([])), r#"unknown event "nope""#);
    assert!(parse("connected", json!([])).starts_with("invalid arguments for `connected`"));
}

#[test]
fn client_events_are_validated_as_the_protocol_says() {
    let ok = |event: &str, args: Value| ClientToServer::parse(event, args.as_array().unwrap());
    assert_eq!(
        ok("subscribe", json!(["task"])),
        Ok(ClientToServer::Subscribe(Channel::Task))
    );
    assert_eq!(
        ok("unsubscribe", json!(["user"])),
        Ok(ClientToServer::Unsubscribe(Channel::User))
    );
    assert_eq!(ok("ping", json!([])), Ok(ClientToServer::Ping));
    let err = |event: &str, args: Value| ok(event, args).unwrap_err().to_string();
    assert_eq!(
        err("subscribe", json!(["tasks"])),
        r#"unknown channel "tasks""#
    );
    assert_eq!(err("subscribe", json!([42])), "invalid channel");
    assert_eq!(err("subscribe", json!([null])), "invalid channel");
    assert_eq!(err("subscribe", json!([])), "invalid channel");
    assert_eq!(
        err("subscribe", json!(["x".repeat(300)])),
        "invalid channel"
    );
    assert!(matches!(
        ok("subscribe", json!(["tasks"])),
        Err(EventError::UnknownChannel(e)) if e.suggestion() == Some("task")
    ));
    assert_eq!(err("__proto__", json!([])), r#"unknown event "__proto__""#);
    assert_eq!(
        ClientToServer::Subscribe(Channel::Task).args(),
        vec![json!("task")]
    );
    let result: sheplang::SubscribeResult = ok("subscribe", json!(["tasks"])).into();
    assert_eq!(
        serde_json::to_value(result).unwrap(),
        json!({"ok": false, "error": "unknown channel \"tasks\""})
    );
}

#[test]
fn the_board_emits_one_event_per_change() {
    let mut board = TaskBoard::new(Recorder::<Spec>::new());
    board.add(task("t-1")).unwrap();
    assert!(matches!(board.add(task("t-1")), Err(BoardError::Duplicate(id)) if id == "t-1"));
    board.advance("t-1", TaskState::Doing).unwrap();
    let err = board.advance("t-1", TaskState::Todo).unwrap_err();
    assert_eq!(
        err.to_string(),
        "a task cannot go from `doing` to `todo`; from `doing` it may become [Done]"
    );
    assert_eq!(board.get("t-1").unwrap().1, TaskState::Doing);
    board.remove("t-1").unwrap();
    assert!(board.remove("t-1").is_err());

    let row = serde_json::to_value(task("t-1")).unwrap();
    let sent = board.emitter().take();
    assert_eq!(
        sent,
        vec![
            Sent {
                room: "task",
                event: "model_created",
                args: vec![json!("Task"), row.clone()],
            },
            Sent {
                room: "task",
                event: "model_updated",
                args: vec![json!("Task"), row],
            },
            Sent {
                room: "task",
                event: "model_deleted",
                args: vec![json!("Task"), json!("t-1")],
            },
        ]
    );
}

#[test]
fn each_spec_has_its_own_emitter() {
    let invoices = Recorder::<tasks_host::billing::Spec>::new();
    let invoice = Invoice {
        id: "i-1".into(),
        number: "2026-001".into(),
        total: Money::from_minor_units(12_050, 2),
        paid: false,
        status: InvoiceState::initial(),
    };
    invoices.created(&invoice).unwrap();
    let sent = invoices.take();
    assert_eq!(sent[0].room, "invoice");
    assert_eq!(sent[0].args[1]["total"], "120.50");
}

/// The keys of `export interface <name> { ... }` in a generated `types.ts`, each with whether it
/// is optional (`key?:`).
fn ts_interface_keys(types_ts: &str, name: &str) -> Vec<(String, bool)> {
    let start = types_ts
        .find(&format!("export interface {name} {{"))
        .unwrap_or_else(|| panic!("no interface `{name}` in types.ts"));
    let body = &types_ts[start..];
    let body = &body[body.find('{').unwrap() + 1..body.find("\n}").unwrap()];
    body.lines()
        .map(str::trim)
        .filter(|l| !l.starts_with("/*") && !l.starts_with('*') && !l.starts_with("//"))
        .filter_map(|l| {
            let (key, _) = l.split_once(':')?;
            let optional = key.ends_with('?');
            Some((key.trim_end_matches('?').to_owned(), optional))
        })
        .collect()
}

/// The keys of a row as Rust serialises it, in order, each with whether it can be absent.
fn rust_keys(full: &impl serde::Serialize, sparse: &impl serde::Serialize) -> Vec<(String, bool)> {
    let text = serde_json::to_string(full).unwrap();
    let sparse = serde_json::to_value(sparse).unwrap();
    // `serde_json::Map` sorts its keys: read the order from the text instead.
    let mut keys: Vec<(usize, String)> =
        serde_json::from_str::<serde_json::Map<String, Value>>(&text)
            .unwrap()
            .keys()
            .map(|k| (text.find(&format!("\"{k}\":")).unwrap(), k.clone()))
            .collect();
    keys.sort();
    keys.into_iter()
        .map(|(_, k)| {
            let optional = sparse.get(&k).is_none();
            (k, optional)
        })
        .collect()
}

#[test]
fn rust_rows_and_typescript_interfaces_agree() {
    let types_ts = std::fs::read_to_string(concat!(env!("OUT_DIR"), "/sheplang/tasks/ts/types.ts"))
        .expect("the TypeScript artifacts are written next to the Rust module");
    let mut full = task("t-1");
    full.due_date = Some("2026-12-01".into());
    let mut sparse = task("t-1");
    sparse.assignee = None;
    assert_eq!(
        rust_keys(&full, &sparse),
        ts_interface_keys(&types_ts, "Task")
    );
    let user = User {
        id: "u-1".into(),
        name: "Ada".into(),
        email: "ada@example.com".into(),
        is_admin: false,
    };
    assert_eq!(
        rust_keys(&user, &user),
        ts_interface_keys(&types_ts, "User")
    );
}
