// Every item `build.rs` generates from `specs/tasks.shep`, in use.

mod tasks {
    sheplang::include_spec!("tasks");
}

use sheplang::{Emitter as _, Model as _, Money, Ref, Spec as _};
use tasks::{Channel, ClientToServer, ModelName, ServerToClient, Task, TaskState, User};

fn main() {
    let user = User {
        id: "u-1".into(),
        name: "Ada".into(),
        email: "ada@example.com".into(),
    };
    let task = Task {
        id: "t-1".into(),
        title: "Write the docs".into(),
        assignee: Some(Ref::of(&user)),
        estimate: "2.50".parse::<Money>().unwrap(),
        due_date: None,
        tags: vec!["docs".into()],
        priority: 2.0,
        status: TaskState::Todo,
    };

    // The row on the wire: the spec's names, `id` first, `dueDate` absent when `None`.
    let json = serde_json::to_value(&task).unwrap();
    assert_eq!(json["assignee"], "u-1");
    assert_eq!(json["estimate"], "2.50");
    assert!(json.get("dueDate").is_none());
    let back: Task = serde_json::from_value(json).unwrap();
    assert_eq!(back, task);

    // Money and Ref.
    assert_eq!(Money::from_minor_units(250, 2), task.estimate);
    assert_eq!(task.assignee.as_ref().map(Ref::as_str), Some("u-1"));

    // The lifecycle `todo -> doing -> done`.
    assert_eq!(TaskState::initial(), TaskState::Todo);
    assert!(TaskState::Todo.can_transition_to(TaskState::Doing));
    assert!(!TaskState::Todo.can_transition_to(TaskState::Done));
    assert_eq!(TaskState::Doing.next_states(), &[TaskState::Done]);
    assert!(TaskState::Done.is_final());
    assert_eq!("doing".parse::<TaskState>().unwrap(), TaskState::Doing);
    assert_eq!(TaskState::Done.to_string(), "done");

    // Channels: the lower-case model name, parsed from nothing else.
    assert_eq!("task".parse::<Channel>().unwrap(), Channel::Task);
    assert_eq!(
        "tasks".parse::<Channel>().unwrap_err().to_string(),
        r#"unknown channel "tasks""#
    );
    assert_eq!(Channel::User.to_string(), "user");
    assert_eq!(Channel::NAMES, &["user", "task", "note"]);
    assert_eq!(Channel::Task.model(), ModelName::Task);
    assert_eq!(sheplang::Channel::model_name(Channel::Task), "Task");
    assert_eq!(tasks::Spec::parse_channel("user").unwrap(), Channel::User);
    assert_eq!(tasks::Spec::APP, "TaskManager");

    // Model names travel in the spec's case.
    assert_eq!(ModelName::Task.as_str(), "Task");
    assert_eq!("User".parse::<ModelName>().unwrap().channel(), Channel::User);
    assert_eq!(Task::channel(), Channel::Task);
    assert_eq!(task.id(), "t-1");

    // created / updated / deleted: the model decides the room.
    let created = sheplang::created(&task);
    assert_eq!((created.room(), created.event_name()), ("task", "model_created"));
    assert_eq!(sheplang::updated(&task).event_name(), "model_updated");
    let deleted = sheplang::deleted(&user);
    assert_eq!(deleted.room(), "user");
    assert_eq!(deleted.to_values().unwrap(), vec!["User".into(), serde_json::Value::from("u-1")]);

    // Server-to-client events, as a Rust client reads them.
    let event = ServerToClient::TaskCreated(Box::new(task.clone()));
    assert_eq!(event.event_name(), "model_created");
    assert_eq!(event.channel(), Some(Channel::Task));
    let args = event.args().unwrap();
    assert_eq!(ServerToClient::parse("model_created", &args).unwrap(), event);
    assert_eq!(ServerToClient::connected().event_name(), "connected");

    // Client-to-server events, as a server reads them.
    let subscribe = ClientToServer::parse("subscribe", &["task".into()]).unwrap();
    assert_eq!(subscribe, ClientToServer::Subscribe(Channel::Task));
    assert!(ClientToServer::parse("subscribe", &["tasks".into()]).is_err());

    // An emitter of the spec takes its models.
    let recorder = sheplang::testing::Recorder::<tasks::Spec>::new();
    recorder.created(&task).unwrap();
    recorder.deleted(&user).unwrap();
    let sent = recorder.take();
    assert_eq!((sent[0].room, sent[0].event), ("task", "model_created"));
    assert_eq!((sent[1].room, sent[1].event), ("user", "model_deleted"));
}
