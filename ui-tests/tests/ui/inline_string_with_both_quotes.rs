// ShepLang strings have no escapes: a rule holding both kinds of quote cannot be written.

mod app {
    sheplang::sheplang! {
        app Todo {
            data Task {
                fields: {
                    title: text
                }
                rules: {
                    - "say \"don't\""
                }
            }
        }
    }
}

fn main() {}
