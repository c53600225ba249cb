// Every error of an inline spec is reported at once, each on its own token.

mod app {
    sheplang::sheplang! {
        app Todo {
            data Task {
                fields: {
                    title: text
                    title: text
                    done: bool
                }
                states: open -> done -> open
            }
            view Board {
                list Tsk
            }
        }
    }
}

fn main() {}
