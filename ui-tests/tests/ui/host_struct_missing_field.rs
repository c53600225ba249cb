// A host struct that lacks a field of the model: the error is on the struct's name and says
// what to add.

mod tasks {
    sheplang::include_spec!("tasks");
}

#[derive(sheplang::Model)]
#[sheplang(spec = "tasks", model = "User")]
struct UserRow {
    id: String,
    name: String,
}

fn main() {}
