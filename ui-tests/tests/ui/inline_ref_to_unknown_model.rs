// An inline spec whose `ref[...]` names a model that does not exist.

mod app {
    sheplang::sheplang! {
        app Todo {
            data User {
                fields: {
                    name: text
                }
            }
            data Task {
                fields: {
                    owner: ref[Usr]
                }
            }
        }
    }
}

fn main() {}
