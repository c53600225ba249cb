//! The words the grammar gives a meaning where they stand (none is reserved), by place. The
//! same list is in docs/language.md ("The keywords"), which a test compares with this one; the
//! editor grammar highlights each of them.

/// Words that start a declaration inside `app`.
pub const DECLARATIONS: &[&str] = &["app", "data", "view", "action", "flow", "job", "workflow"];
/// The parts of a `data` body.
pub const DATA_ITEMS: &[&str] = &["fields", "states", "rules"];
/// Built-in field types (`yes/no` is one token) and `ref`.
pub const TYPES: &[&str] = &[
    "text", "number", "yes/no", "id", "date", "datetime", "email", "money", "image", "richtext",
    "file", "ref",
];
/// Field constraints: the parser's own list.
pub const CONSTRAINTS: &[&str] = sheplang_core::parser::CONSTRAINTS;
/// The items of a `view`.
pub const VIEW_ITEMS: &[&str] = &["list", "button"];
/// Words that start a statement.
pub const STATEMENTS: &[&str] = &[
    "add", "show", "call", "load", "update", "delete", "if", "for", "step",
];
/// Words inside statements.
pub const STATEMENT_WORDS: &[&str] = &[
    "with", "into", "where", "set", "else", "in", "from", "to", "on", "error",
];
/// HTTP methods of `call` and `load`.
pub const METHODS: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE"];
/// The parts of a `flow`.
pub const FLOW_ITEMS: &[&str] = &["from", "trigger", "steps"];
/// The parts of a `job` and its timing.
pub const JOB_ITEMS: &[&str] = &["schedule", "trigger", "delay", "action"];
pub const TIMING: &[&str] = &[
    "cron",
    "daily",
    "weekly",
    "every",
    "at",
    "on",
    "minutes",
    "hours",
    "days",
    "weeks",
    "months",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];
/// Lifecycle events of a job trigger (`on Task.created`).
pub const EVENTS: &[&str] = &["created", "updated", "deleted"];
/// The parts of a `workflow`.
pub const WORKFLOW_ITEMS: &[&str] = &["on", "event", "if", "else"];
/// Operators and literals that are words.
pub const EXPRESSION_WORDS: &[&str] = &["and", "or", "not", "true", "false"];

/// Every keyword, each once, in the order of the lists above.
pub fn all() -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for list in [
        DECLARATIONS,
        DATA_ITEMS,
        TYPES,
        CONSTRAINTS,
        VIEW_ITEMS,
        STATEMENTS,
        STATEMENT_WORDS,
        METHODS,
        FLOW_ITEMS,
        JOB_ITEMS,
        TIMING,
        EVENTS,
        WORKFLOW_ITEMS,
        EXPRESSION_WORDS,
    ] {
        for w in list {
            if !out.contains(w) {
                out.push(w);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    /// The types are the compiler's table of built-in types, in its order, and `ref`.
    #[test]
    fn types_are_the_compilers() {
        let mut want: Vec<&str> = sheplang_core::types::names().collect();
        want.push("ref");
        assert_eq!(super::TYPES, want);
    }

    /// The words in backticks of language.md's "The keywords" section.
    fn documented() -> BTreeSet<String> {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/language.md");
        let doc = std::fs::read_to_string(path).expect("docs/language.md");
        let start = doc.find("### The keywords").expect("a keywords section");
        let rest = &doc[start..];
        let end = rest.find("\n## ").unwrap_or(rest.len());
        rest[..end]
            .split('`')
            .skip(1)
            .step_by(2)
            .filter(|w| !w.contains(' ') && !w.contains('/') || *w == "yes/no")
            .filter(|w| *w != "editors/vscode")
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn the_list_is_the_one_in_the_language_reference() {
        let ours: BTreeSet<String> = super::all().into_iter().map(str::to_owned).collect();
        assert_eq!(ours, documented());
    }
}
