// A model row has fixed field types: a generic struct cannot be one.

mod tasks {
    sheplang::include_spec!("tasks");
}

#[derive(sheplang::Model)]
#[sheplang(spec = "tasks", model = "User")]
struct UserRow<T> {
    id: String,
    name: T,
    email: String,
}

fn main() {}
