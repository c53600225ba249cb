// The derive without `#[sheplang(...)]`: it cannot know which model to check against.

#[derive(sheplang::Model)]
struct TaskRow {
    id: String,
}

fn main() {}
