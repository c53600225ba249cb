// A host struct whose field has another type than the spec's: an ordinary type error on that
// field's type.

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
    due_date: Option<String>,
    tags: Vec<String>,
    priority: u8,
    status: tasks::TaskState,
}

fn main() {}
