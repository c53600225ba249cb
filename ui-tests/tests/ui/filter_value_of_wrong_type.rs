// `priority` is a `number`: a filter on it takes an `f64`, not a string.

mod tasks {
    sheplang::include_spec!("tasks");
}

fn main() {
    let filter: sheplang::Filter = tasks::TaskFilter {
        priority: Some("high".to_owned()),
        ..Default::default()
    }
    .into();
    println!("{filter}");
}
