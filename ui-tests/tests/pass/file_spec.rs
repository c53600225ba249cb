// `sheplang! { file = "..." }`: the spec read from a file relative to the crate root.

mod tasks {
    sheplang::sheplang! { file = "specs/tasks.shep" }
}

fn main() {
    assert_eq!(<tasks::Spec as sheplang::Spec>::APP, "TaskManager");
    assert_eq!(tasks::Channel::NAMES, &["user", "task", "note"]);
    assert_eq!(tasks::TaskState::initial(), tasks::TaskState::Todo);
}
