// A misspelt key in `#[sheplang(...)]`.

mod tasks {
    sheplang::include_spec!("tasks");
}

#[derive(sheplang::Model)]
#[sheplang(spec = "tasks", modle = "User")]
struct UserRow {
    id: String,
    name: String,
    email: String,
}

fn main() {}
