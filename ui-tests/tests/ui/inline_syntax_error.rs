// An inline spec with a syntax error: the field `title` lacks its `:`.

mod app {
    sheplang::sheplang! {
        app Todo {
            data Task {
                fields: {
                    title text
                }
            }
        }
    }
}

fn main() {}
