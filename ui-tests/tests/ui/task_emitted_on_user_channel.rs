// A `Task` event cannot be sent as an event of the `user` channel: the model type decides the
// channel, and a function taking `User` events does not take `Task` events.

mod tasks {
    sheplang::include_spec!("tasks");
}

fn send_to_users(event: sheplang::ModelEvent<'_, tasks::User>) {
    println!("{}", event.room());
}

fn main() {
    let task = tasks::Task {
        id: "t-1".into(),
        title: "Write the docs".into(),
        assignee: None,
        estimate: sheplang::Money::zero(),
        due_date: None,
        tags: vec![],
        priority: 1.0,
        status: tasks::TaskState::Todo,
    };
    send_to_users(sheplang::created(&task));
}
