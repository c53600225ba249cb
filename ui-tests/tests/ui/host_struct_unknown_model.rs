// A host struct checked against a model the spec does not have.

mod tasks {
    sheplang::include_spec!("tasks");
}

#[derive(sheplang::Model)]
#[sheplang(spec = "tasks", model = "Tsk")]
struct TaskRow {
    id: String,
}

fn main() {}
