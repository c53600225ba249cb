// An inline spec whose field has a type that does not exist: the error is on that word.

mod app {
    sheplang::sheplang! {
        app Todo {
            data Task {
                fields: {
                    title: text required
                    done: boolean
                }
            }
        }
    }
}

fn main() {}
