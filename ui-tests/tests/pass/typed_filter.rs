// A typed filter converts into the checked `sheplang::Filter` a server keeps, with the spec's
// field names; `filter_fields` lists what a client may filter on.

use sheplang::Channel as _;

mod tasks {
    sheplang::include_spec!("tasks");
}

fn main() {
    let filter: sheplang::Filter = tasks::TaskFilter {
        assignee: Some(sheplang::Ref::new("u-1")),
        priority: Some(3.0),
        ..Default::default()
    }
    .into();
    assert_eq!(filter.to_string(), r#"{"assignee":"u-1","priority":3.0}"#);
    let row = serde_json::json!({ "id": "t-1", "assignee": "u-1", "priority": 3 });
    assert!(filter.matches(&row));
    let fields: Vec<&str> = tasks::Channel::Task
        .filter_fields()
        .iter()
        .map(|f| f.name)
        .collect();
    // Lists (`tags`) cannot be filtered on.
    assert_eq!(
        fields,
        ["id", "title", "assignee", "estimate", "dueDate", "priority", "status"]
    );
    // The lifecycle's `status` takes the state enum, and travels as the state's name.
    let doing: sheplang::Filter = tasks::TaskFilter {
        status: Some(tasks::TaskState::Doing),
        ..Default::default()
    }
    .into();
    assert_eq!(doing.to_string(), r#"{"status":"doing"}"#);
    let parsed = sheplang::Filter::parse(
        "Task",
        tasks::Channel::Task.filter_fields(),
        &serde_json::json!({ "priority": 3, "assignee": "u-1" }),
    );
    assert_eq!(parsed.as_ref(), Ok(&filter));
}
