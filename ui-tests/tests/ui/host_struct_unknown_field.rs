// A host struct with a field the model does not have: the error is on that field.

mod tasks {
    sheplang::include_spec!("tasks");
}

#[derive(sheplang::Model)]
#[sheplang(spec = "tasks", model = "User")]
struct UserRow {
    id: String,
    name: String,
    emial: String,
}

fn main() {}
