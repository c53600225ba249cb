// An `optional` field of the spec held in a host field that is not an `Option`.

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
    due_date: String,
    tags: Vec<String>,
    priority: f64,
    status: tasks::TaskState,
}

fn main() {}
