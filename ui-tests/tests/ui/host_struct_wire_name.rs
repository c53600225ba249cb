// A host struct naming a field as the spec (and the JSON) does, `dueDate`, instead of its Rust
// name `due_date`.

mod tasks {
    sheplang::include_spec!("tasks");
}

#[derive(sheplang::Model)]
#[sheplang(spec = "tasks", model = "Task")]
struct TaskRow {
    id: String,
    title: String,
    assignee: Option<sheplang::Ref<tasks::User>>,
    estimate: sheplang::Money,
    dueDate: Option<String>,
    tags: Vec<String>,
    priority: f64,
    status: tasks::TaskState,
}

fn main() {}
