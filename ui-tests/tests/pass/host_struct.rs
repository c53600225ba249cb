// `#[derive(sheplang::Model)]`: host structs checked against the registered spec, emitted on
// their model's channel, converted into the generated rows.

mod tasks {
    sheplang::include_spec!("tasks");
}

use sheplang::{Emitter as _, Model as _, Money, Ref};

/// The host's own row type, with the fields of the spec's `Task`.
#[derive(Debug, Clone, sheplang::Model)]
#[sheplang(spec = "tasks", model = "Task")]
struct TaskRow {
    id: String,
    title: String,
    assignee: Option<Ref<tasks::User>>,
    estimate: Money,
    due_date: Option<String>,
    tags: Vec<String>,
    priority: f64,
    status: tasks::TaskState,
}

/// The module can be named; the spec can be read from its file instead of the registry.
#[derive(Debug, Clone, sheplang::Model)]
#[sheplang(file = "specs/tasks.shep", model = "User", module = crate::tasks)]
struct UserRow {
    id: String,
    name: String,
    email: String,
}

/// Fields in any order, a keyword as a field name: serialised in the row's order all the same.
#[derive(Debug, Clone, sheplang::Model)]
#[sheplang(spec = "tasks", model = "Note")]
struct NoteRow {
    body: Option<String>,
    r#type: String,
    id: String,
}

fn main() {
    let user = UserRow {
        id: "u-1".into(),
        name: "Ada".into(),
        email: "ada@example.com".into(),
    };
    let row = TaskRow {
        id: "t-1".into(),
        title: "Write the docs".into(),
        assignee: Some(Ref::new("u-1")),
        estimate: "2.50".parse().unwrap(),
        due_date: None,
        tags: vec!["docs".into()],
        priority: 2.0,
        status: tasks::TaskState::Todo,
    };

    // Emitted on the model's channel, with the generated row's wire form.
    let event = sheplang::created(&row);
    assert_eq!((event.room(), event.model_name()), ("task", "Task"));
    let task: tasks::Task = row.clone().into();
    assert_eq!(event.to_values().unwrap(), sheplang::created(&task).to_values().unwrap());
    assert_eq!(serde_json::to_value(&row).unwrap(), serde_json::to_value(&task).unwrap());
    let with_due = TaskRow {
        due_date: Some("2026-11-25".into()),
        ..row.clone()
    };
    assert_eq!(serde_json::to_value(&with_due).unwrap()["dueDate"], "2026-11-25");
    assert_eq!(TaskRow::channel(), tasks::Channel::Task);
    assert_eq!(row.id(), "t-1");

    // An emitter of the spec takes host rows as it takes generated ones.
    let recorder = sheplang::testing::Recorder::<tasks::Spec>::new();
    recorder.created(&row).unwrap();
    recorder.updated(&user).unwrap();
    recorder.deleted(&row).unwrap();
    let sent = recorder.take();
    assert_eq!((sent[0].room, sent[0].event), ("task", "model_created"));
    assert_eq!((sent[1].room, sent[1].event), ("user", "model_updated"));
    assert_eq!(sent[2].args, vec!["Task".into(), serde_json::Value::from("t-1")]);

    let generated: tasks::User = user.into();
    assert_eq!(generated.name, "Ada");

    let note = NoteRow {
        body: None,
        r#type: "memo".into(),
        id: "n-1".into(),
    };
    let json = serde_json::to_string(&note).unwrap();
    assert_eq!(json, r#"{"id":"n-1","type":"memo"}"#);
    let generated: tasks::Note = note.into();
    assert_eq!(serde_json::to_string(&generated).unwrap(), json);
}
