//! The transition cases shared with the TypeScript validator and the databases
//! (`corpus/transitions/cases.json`): every pair of states of every lifecycle of the corpus,
//! through the generated `check_transition`, with exactly the listed answer.

use serde_json::Value;

use sheplang::TransitionRefused;

macro_rules! specs {
    ($($module:ident = $file:literal;)*) => {
        $(
            #[allow(dead_code, clippy::all, reason = "only the lifecycles are used")]
            mod $module {
                sheplang::sheplang! { file = $file }
            }
        )*
    };
}

specs! {
    braces_actions = "../corpus/accept/braces-actions.shep";
    braces_keywords = "../corpus/accept/braces-keywords.shep";
    braces_library = "../corpus/accept/braces-library.shep";
    braces_operations = "../corpus/accept/braces-operations.shep";
    braces_workflow = "../corpus/accept/braces-workflow.shep";
    indent_actions = "../corpus/accept/indent-actions.shep";
    indent_keywords = "../corpus/accept/indent-keywords.shep";
    indent_library = "../corpus/accept/indent-library.shep";
    indent_operations = "../corpus/accept/indent-operations.shep";
}

/// A change from one state to another, by name, through a generated lifecycle enum.
type Check = fn(&str, &str) -> Result<(), TransitionRefused>;

macro_rules! check {
    ($state:ty) => {
        |from: &str, to: &str| {
            let from: $state = from.parse().expect("a state of the chain");
            let to: $state = to.parse().expect("a state of the chain");
            from.check_transition(to)
        }
    };
}

/// Every lifecycle of the corpus, by spec file and model.
const CHECKS: &[(&str, &str, Check)] = &[
    (
        "braces-actions.shep",
        "Order",
        check!(braces_actions::OrderState),
    ),
    (
        "braces-keywords.shep",
        "data",
        check!(braces_keywords::DataState),
    ),
    (
        "braces-library.shep",
        "Book",
        check!(braces_library::BookState),
    ),
    (
        "braces-operations.shep",
        "Ticket",
        check!(braces_operations::TicketState),
    ),
    (
        "braces-workflow.shep",
        "Claim",
        check!(braces_workflow::ClaimState),
    ),
    (
        "indent-actions.shep",
        "Batch",
        check!(indent_actions::BatchState),
    ),
    (
        "indent-keywords.shep",
        "data",
        check!(indent_keywords::DataState),
    ),
    (
        "indent-library.shep",
        "Volume",
        check!(indent_library::VolumeState),
    ),
    (
        "indent-operations.shep",
        "Issue",
        check!(indent_operations::IssueState),
    ),
];

const CASES: &str = include_str!("../../corpus/transitions/cases.json");

#[test]
fn every_pair_of_every_chain_gives_its_answer() {
    let file: Value = serde_json::from_str(CASES).expect("cases.json is JSON");
    let chains = file["chains"].as_array().expect("a list of chains");
    let listed: Vec<(&str, &str)> = chains
        .iter()
        .map(|c| {
            (
                c["spec"].as_str().expect("a spec"),
                c["model"].as_str().expect("a model"),
            )
        })
        .collect();
    let checked: Vec<(&str, &str)> = CHECKS.iter().map(|(s, m, _)| (*s, *m)).collect();
    assert_eq!(listed, checked, "one check per chain of cases.json");
    let mut failures = Vec::new();
    let mut runs = 0;
    for (chain, (_, model, check)) in chains.iter().zip(CHECKS) {
        for pair in chain["pairs"].as_array().expect("a list of pairs") {
            let from = pair["from"].as_str().expect("a from");
            let to = pair["to"].as_str().expect("a to");
            let expected = pair["refused"].as_str();
            let what = format!("`{model}` {from} -> {to}");
            runs += 1;
            match (check(from, to), expected) {
                (Ok(()), None) => {}
                (Ok(()), Some(message)) => {
                    failures.push(format!("{what}: allowed, expected `{message}`"))
                }
                (Err(e), None) => failures.push(format!("{what}: refused with `{e}`")),
                (Err(e), Some(message)) => {
                    if e.to_string() != message {
                        failures.push(format!("{what}:\n  expected `{message}`\n  found    `{e}`"));
                    }
                    if (e.model(), e.from(), e.to()) != (*model, from, to) {
                        failures.push(format!(
                            "{what}: the error names {:?}",
                            (e.model(), e.from(), e.to())
                        ));
                    }
                    let next: Vec<&str> = chain["pairs"]
                        .as_array()
                        .expect("pairs")
                        .iter()
                        .filter(|p| p["from"] == from && p["refused"].is_null())
                        .map(|p| p["to"].as_str().expect("a to"))
                        .collect();
                    if e.allowed() != next.as_slice() {
                        failures.push(format!(
                            "{what}: allowed {:?}, expected {next:?}",
                            e.allowed()
                        ));
                    }
                }
            }
        }
        // Staying is no change.
        let first = chain["states"][0].as_str().expect("a state");
        if let Err(e) = check(first, first) {
            failures.push(format!("`{model}` staying in `{first}` was refused: {e}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(runs >= 40, "every pair ran ({runs})");
}

#[test]
fn every_workflow_event_gives_its_answer() {
    use braces_workflow::{Claim, ClaimEvent, ClaimState};

    let file: Value = serde_json::from_str(CASES).expect("cases.json is JSON");
    let cases = file["events"].as_array().expect("a list of event cases");
    let mut failures = Vec::new();
    for case in cases {
        assert_eq!(
            case["model"], "Claim",
            "the Rust test knows the model `Claim`"
        );
        let from = case["from"].as_str().expect("a from");
        let event = case["event"].as_str().expect("an event");
        let what = format!("{}: `{event}` from `{from}`", case["case"]);
        let mut fields = case["row"].clone();
        fields["id"] = "c1".into();
        fields["status"] = from.into();
        let mut row: Claim = serde_json::from_value(fields).expect("a row of `Claim`");
        let before = row.clone();
        let event: ClaimEvent = event.parse().expect("an event of `Claim`");
        match (
            row.apply(event),
            case["to"].as_str(),
            case["refused"].as_str(),
        ) {
            (Ok(state), Some(to), None) => {
                if state.as_str() != to || row.status != state {
                    failures.push(format!(
                        "{what}: moved to `{state}`, row in `{}`, expected `{to}`",
                        row.status
                    ));
                }
            }
            (Err(e), None, Some(message)) => {
                if e.to_string() != message {
                    failures.push(format!("{what}:\n  expected `{message}`\n  found    `{e}`"));
                }
                if e.event() != Some(event.as_str()) || e.from() != from || e.model() != "Claim" {
                    failures.push(format!(
                        "{what}: the error names {:?}",
                        (e.model(), e.from(), e.event())
                    ));
                }
                let from_state: ClaimState = from.parse().expect("a state");
                if e.accepted() != from_state.event_names()
                    || e.allowed() != from_state.next_names()
                {
                    failures.push(format!(
                        "{what}: accepted {:?}, allowed {:?}",
                        e.accepted(),
                        e.allowed()
                    ));
                }
                if row != before {
                    failures.push(format!("{what}: a refused event changed the row"));
                }
            }
            (found, to, refused) => failures.push(format!(
                "{what}: found {found:?}, expected to {to:?} / refused {refused:?}"
            )),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(cases.len() >= 10, "every case ran ({})", cases.len());
}
