// `spec` names the registered spec with a string.

mod tasks {
    sheplang::include_spec!("tasks");
}

#[derive(sheplang::Model)]
#[sheplang(spec = tasks, model = "User")]
struct UserRow {
    id: String,
    name: String,
    email: String,
}

fn main() {}
