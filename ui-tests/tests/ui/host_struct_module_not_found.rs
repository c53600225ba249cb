// The generated module is not where the derive looks by default (`crate::tasks`, after the
// spec's name): it says so on the spec's name; `module = crate::generated` would fix it.

mod generated {
    sheplang::include_spec!("tasks");
}

#[derive(sheplang::Model)]
#[sheplang(spec = "tasks", model = "User")]
struct UserRow {
    id: String,
    name: String,
    email: String,
}

fn main() {}
