// The spec renamed the field `title` to `headline`; host code still using the old name no
// longer compiles.

mod app {
    sheplang::sheplang! {
        app Todo {
            data Task {
                fields: {
                    headline: text required
                }
            }
        }
    }
}

fn main() {
    let task = app::Task {
        id: "t-1".into(),
        headline: "Write the docs".into(),
    };
    println!("{}", task.title);
}
