// The spec's channels are `user` and `task`; there is no `tasks` channel to subscribe to.

mod tasks {
    sheplang::include_spec!("tasks");
}

fn main() {
    let channel = tasks::Channel::Tasks;
    println!("{channel}");
}
