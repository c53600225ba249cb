// `sheplang!` with the spec written inline: the same items as `build.rs` makes, and the
// spellings that Rust's tokenizer splits (`yes/no`, `->`, `[]`, `ref[X]`, `==`) read as written.

mod app {
    sheplang::sheplang! {
        /// Doc comments are comments.
        app Todo {
            data User {
                fields: {
                    name: text required
                    admin: yes/no default=false
                }
            }
            data Task {
                fields: {
                    title: text required minLength=1 maxLength=200
                    type: text default="chore"
                    owner: ref[User] optional
                    watchers: ref[User][]
                    tags: text[]
                    price: money
                    done: yes/no
                }
                states: open -> doing -> done
                rules: {
                    - "a task's title is never empty"
                    - r"raw strings are fine"
                }
            }
            view Board {
                list Task
                button "Add" -> AddTask
            }
            action AddTask(title: text) {
                add Task with title, done = false
                if title == "" : {
                    show Board
                }
            }
        }
    }
}

use app::{Channel, ModelName, Task, TaskState, User};

fn main() {
    let user = User {
        id: "u-1".into(),
        name: "Ada".into(),
        admin: true,
    };
    let task = Task {
        id: "t-1".into(),
        title: "Write".into(),
        r#type: "chore".into(),
        owner: Some(sheplang::Ref::of(&user)),
        watchers: vec![sheplang::Ref::new("u-2")],
        tags: vec![],
        price: sheplang::Money::zero(),
        done: false,
        status: TaskState::Open,
    };
    let json = serde_json::to_value(&task).unwrap();
    assert_eq!(json["type"], "chore");
    assert_eq!(json["watchers"][0], "u-2");
    assert_eq!(json["done"], false);

    assert_eq!(Channel::NAMES, &["user", "task"]);
    assert_eq!("task".parse::<Channel>().unwrap(), Channel::Task);
    assert_eq!(ModelName::User.as_str(), "User");
    assert_eq!(TaskState::NAMES, &["open", "doing", "done"]);
    assert!(TaskState::Open.can_transition_to(TaskState::Doing));
    assert_eq!(sheplang::created(&task).room(), "task");
    assert_eq!(<app::Spec as sheplang::Spec>::APP, "Todo");
}
