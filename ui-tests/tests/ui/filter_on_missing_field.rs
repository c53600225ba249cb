// `Task` has no `team` field: its typed filter has none either, so the filter does not compile.

mod tasks {
    sheplang::include_spec!("tasks");
}

fn main() {
    let filter: sheplang::Filter = tasks::TaskFilter {
        team: Some("t-1".to_owned()),
        ..Default::default()
    }
    .into();
    println!("{filter}");
}
