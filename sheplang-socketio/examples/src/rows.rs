//! Sample rows of the example specs, for tests and the cross-language row check.

use sheplang::{Money, Ref};

use crate::alltypes::{Everything, OrderItem, Owner};
use crate::tasks::{Task, TaskState, User};

/// An `Owner` with every field set.
pub fn owner(id: &str) -> Owner {
    Owner {
        id: id.to_owned(),
        name: format!("Owner {id}"),
        since: Some("2024-02-29".to_owned()),
    }
}

/// An `OrderItem` (a model whose channel, `orderitem`, is not its name).
pub fn order_item(id: &str) -> OrderItem {
    OrderItem {
        id: id.to_owned(),
        quantity: 3.0,
        price: Money::from_minor_units(1999, 2),
    }
}

/// An `Everything` with every field set, optional ones included, and non-trivial values:
/// unicode text, a negative fraction, a money amount that a float would round, empty and
/// non-empty lists, nested rows with and without their own optional field.
pub fn everything_full(id: &str) -> Everything {
    Everything {
        id: id.to_owned(),
        title: "Größe \"quoted\" \u{1F980} <b>".to_owned(),
        count: -12.5,
        price: Money::from_minor_units(1_000_000_000_000_001, 2),
        active: true,
        external_id: "ext-42".to_owned(),
        day: "2026-11-25".to_owned(),
        at: "2026-11-25T09:00:00Z".to_owned(),
        contact: "ada@example.com".to_owned(),
        picture: "https://example.com/a.png".to_owned(),
        body: "<p>rich <em>text</em></p>".to_owned(),
        attachment: "/files/report.pdf".to_owned(),
        owner: Ref::new("o-1"),
        nested: Box::new(owner("o-1")),
        tags: vec!["a".to_owned(), "b c".to_owned()],
        scores: vec![0.0, 1.5, -2.0, 1e21],
        prices: vec![Money::zero(), Money::from_minor_units(-5, 3)],
        flags: vec![true, false],
        owners: vec![Ref::new("o-1"), Ref::new("o-2")],
        children: vec![
            owner("o-2"),
            Owner {
                id: "o-3".to_owned(),
                name: String::new(),
                since: None,
            },
        ],
        note: Some("a note".to_owned()),
        maybe_count: Some(0.0),
        maybe_owner: Some(Ref::new("o-2")),
        maybe_nested: Some(Box::new(owner("o-4"))),
        maybe_tags: Some(Vec::new()),
    }
}

/// An `Everything` whose optional fields are all `None` (absent on the wire) and whose lists
/// are empty.
pub fn everything_minimal(id: &str) -> Everything {
    Everything {
        id: id.to_owned(),
        title: String::new(),
        count: 0.0,
        price: Money::zero(),
        active: false,
        external_id: String::new(),
        day: "1970-01-01".to_owned(),
        at: "1970-01-01T00:00:00Z".to_owned(),
        contact: "a@b.c".to_owned(),
        picture: String::new(),
        body: String::new(),
        attachment: String::new(),
        owner: Ref::new("o-1"),
        nested: Box::new(Owner {
            id: "o-1".to_owned(),
            name: String::new(),
            since: None,
        }),
        tags: Vec::new(),
        scores: Vec::new(),
        prices: Vec::new(),
        flags: Vec::new(),
        owners: Vec::new(),
        children: Vec::new(),
        note: None,
        maybe_count: None,
        maybe_owner: None,
        maybe_nested: None,
        maybe_tags: None,
    }
}

/// A `Task` of `ts/specs/tasks.shep` with every field set.
pub fn task(id: &str, title: &str) -> Task {
    Task {
        id: id.to_owned(),
        title: title.to_owned(),
        done: false,
        owner: Some(Ref::new("u-1")),
        priority: Some(2.0),
        due: Some("2026-11-25".to_owned()),
        created_at: "2026-11-25T09:00:00Z".to_owned(),
        price: Some(Money::from_minor_units(1250, 2)),
        tags: vec!["docs".to_owned()],
        r#type: Some("chore".to_owned()),
        status: TaskState::Open,
    }
}

/// A `User` of `ts/specs/tasks.shep`.
pub fn user(id: &str) -> User {
    User {
        id: id.to_owned(),
        name: format!("User {id}"),
        email: format!("{id}@example.com"),
    }
}
