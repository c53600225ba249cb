// The lifecycle is `todo -> doing -> done`: there is no `Archived` state.

mod tasks {
    sheplang::include_spec!("tasks");
}

fn main() {
    let state = tasks::TaskState::Archived;
    println!("{state}");
}
