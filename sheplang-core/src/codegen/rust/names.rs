//! Rust names for spec names: casing, keyword escapes, and a collision-free plan of every
//! identifier the generated module declares.
//!
//! The rules, all deterministic:
//! - A model keeps its spec name when that already is an `UpperCamelCase` type name (`Task`,
//!   `OrderItem`, `URL`); otherwise it is converted (`order_item` and `orderItem` become
//!   `OrderItem`). States convert the same way (`in_progress` becomes `InProgress`).
//! - Field names become `snake_case` (`userId` becomes `user_id`); Rust keywords are escaped as
//!   raw identifiers (`r#type`); `self`, `Self`, `super`, `crate` and `_`, which cannot be raw,
//!   get a trailing underscore.
//! - Models claim their names first, in spec order. A later name that is already taken gets the
//!   next free of a short list of alternatives, then a number (`user_id_2`, `Channel2`).

use std::collections::{BTreeSet, HashMap};

use crate::ir;

/// Every Rust keyword, strict, reserved and edition-dependent (`async`, `gen`, `try`), sorted
/// (for a binary search).
const KEYWORDS: &[&str] = &[
    "Self", "abstract", "as", "async", "await", "become", "box", "break", "const", "continue",
    "crate", "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if",
    "impl", "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub",
    "ref", "return", "self", "static", "struct", "super", "trait", "true", "try", "type", "typeof",
    "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

/// Keywords that cannot be raw identifiers.
const NOT_RAW: &[&str] = &["self", "Self", "super", "crate", "_"];

/// Splits a name into words at `_`, at other non-alphanumeric characters, at a lower-case
/// letter or digit followed by an upper-case letter (`userId`), and before the last capital of
/// an acronym followed by a lower-case letter (`HTTPServer` is `HTTP`, `Server`). Digits stay
/// with the word before them (`line2Text` is `line2`, `Text`).
fn words(name: &str) -> Vec<&str> {
    let chars: Vec<(usize, char)> = name.char_indices().collect();
    let mut words = Vec::new();
    // The current word: from `start` to the end of the last character taken.
    let mut start = None;
    let mut end = 0;
    for (i, &(at, c)) in chars.iter().enumerate() {
        if !c.is_ascii_alphanumeric() {
            if let Some(from) = start.take() {
                words.push(&name[from..end]);
            }
            continue;
        }
        if c.is_ascii_uppercase()
            && let Some(from) = start
        {
            let prev = chars[i - 1].1;
            let next_is_lower = chars
                .get(i + 1)
                .is_some_and(|(_, c)| c.is_ascii_lowercase());
            if prev.is_ascii_lowercase()
                || prev.is_ascii_digit()
                || (prev.is_ascii_uppercase() && next_is_lower)
            {
                words.push(&name[from..end]);
                start = None;
            }
        }
        start.get_or_insert(at);
        end = at + c.len_utf8();
    }
    if let Some(from) = start {
        words.push(&name[from..end]);
    }
    words
}

/// True for a name rustc accepts as `UpperCamelCase` without a warning and that needs no change:
/// ASCII alphanumerics only, starting with an upper-case letter.
fn is_upper_camel(name: &str) -> bool {
    name.chars().next().is_some_and(|c| c.is_ascii_uppercase())
        && name.chars().all(|c| c.is_ascii_alphanumeric())
}

/// `UpperCamelCase` of a spec name (kept as is when it already is one). Never empty.
pub(super) fn upper_camel(name: &str, fallback: &str) -> String {
    let mut out = if is_upper_camel(name) {
        name.to_owned()
    } else {
        words(name)
            .iter()
            .map(|w| {
                let mut cs = w.chars();
                let first = cs.next().map(|c| c.to_ascii_uppercase());
                first
                    .into_iter()
                    .chain(cs.map(|c| c.to_ascii_lowercase()))
                    .collect::<String>()
            })
            .collect()
    };
    if out.is_empty() {
        out = fallback.to_owned();
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    if NOT_RAW.contains(&out.as_str()) {
        out.push('_');
    }
    out
}

/// `snake_case` of a spec name. Never empty; may be a keyword (see [`ident`]).
pub(super) fn snake(name: &str, fallback: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for word in words(name) {
        if !out.is_empty() {
            out.push('_');
        }
        out.extend(word.chars().map(|c| c.to_ascii_lowercase()));
    }
    if out.is_empty() {
        out = fallback.to_owned();
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out
}

/// An identifier for a name made by [`upper_camel`] or [`snake`]: raw when it is a keyword,
/// with a trailing underscore when it is one that cannot be raw.
pub(super) fn ident(name: &str) -> std::borrow::Cow<'_, str> {
    if NOT_RAW.contains(&name) {
        format!("{name}_").into()
    } else if KEYWORDS.binary_search(&name).is_ok() {
        format!("r#{name}").into()
    } else {
        name.into()
    }
}

/// True when clippy's `upper_case_acronyms` may fire on this identifier: two or more
/// characters, all upper-case letters or digits.
pub(super) fn is_all_caps(name: &str) -> bool {
    name.chars().filter(char::is_ascii_alphabetic).count() >= 2
        && name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

/// The first and the last `UpperCamelCase` word of a name.
fn camel_edges(name: &str) -> (String, String) {
    let ws = words(name);
    (
        ws.first().map(|w| (*w).to_owned()).unwrap_or_default(),
        ws.last().map(|w| (*w).to_owned()).unwrap_or_default(),
    )
}

/// True when clippy's `enum_variant_names` may fire on an enum: a variant that starts or ends
/// with the enum's name, or three or more variants sharing their first or last word. A
/// superset of clippy's rule, so an allow may be unneeded but is never missing.
pub(super) fn variant_names_may_lint(enum_name: &str, variants: &[String]) -> bool {
    if variants
        .iter()
        .any(|v| v.starts_with(enum_name) || v.ends_with(enum_name))
    {
        return true;
    }
    if variants.len() < 3 {
        return false;
    }
    let edges: Vec<(String, String)> = variants.iter().map(|v| camel_edges(v)).collect();
    let same = |f: fn(&(String, String)) -> &String| {
        let first = f(&edges[0]);
        edges.iter().all(|e| f(e) == first)
    };
    same(|e| &e.0) || same(|e| &e.1)
}

/// Names already declared in one namespace; hands out free ones.
#[derive(Debug, Default)]
pub(super) struct Taken(BTreeSet<String>);

impl Taken {
    /// Takes the first free candidate, or the last candidate with the smallest free number
    /// appended (`sep` between them: `_` for snake case, nothing for camel case).
    pub(super) fn claim(&mut self, candidates: &[String], sep: &str) -> String {
        for c in candidates {
            if self.0.insert(c.clone()) {
                return c.clone();
            }
        }
        let base = candidates.last().cloned().unwrap_or_default();
        let mut n = 2u32;
        loop {
            let c = format!("{base}{sep}{n}");
            if self.0.insert(c.clone()) {
                return c;
            }
            n += 1;
        }
    }

    /// Marks a name as taken.
    pub(super) fn reserve(&mut self, name: &str) {
        self.0.insert(name.to_owned());
    }
}

/// The Rust names of one model.
#[derive(Debug)]
pub(super) struct ModelNames {
    /// The struct (`Task`).
    pub(super) ty: String,
    /// The state enum, when the model has a lifecycle with at least one state.
    pub(super) state: Option<StateNames>,
    /// One per `ir::Model::fields`, same order; `None` for the declared `id` field, which is
    /// the struct's `id`.
    pub(super) fields: Vec<Option<String>>,
    /// The typed filter (`TaskFilter`).
    pub(super) filter: String,
    /// The workflow's event enum (`TaskEvent`), when the lifecycle has events.
    pub(super) events: Option<StateNames>,
    /// The history row alias (`TaskTransition`), when the model has a lifecycle.
    pub(super) transition: Option<String>,
}

/// The Rust names of a lifecycle enum.
#[derive(Debug)]
pub(super) struct StateNames {
    /// The enum (`TaskState`).
    pub(super) ty: String,
    /// One variant per state, same order.
    pub(super) variants: Vec<String>,
}

/// Every identifier the generated module declares at its top level.
#[derive(Debug)]
pub(super) struct Names {
    pub(super) models: Vec<ModelNames>,
    /// A model's index in the spec, by its spec name.
    pub(super) index: HashMap<String, usize>,
    /// The marker type implementing `sheplang::Spec` (`Spec`).
    pub(super) spec: String,
    /// The channel enum (`Channel`).
    pub(super) channel: String,
    /// The model-name enum (`ModelName`).
    pub(super) model_name: String,
    /// The server-to-client event enum (`ServerToClient`).
    pub(super) server_to_client: String,
    /// The client-to-server event alias (`ClientToServer`).
    pub(super) client_to_server: String,
    /// Per model, the `ServerToClient` variants for created, updated, deleted.
    pub(super) event_variants: Vec<[String; 3]>,
    /// The `ServerToClient` variants for `notification` and `connected`.
    pub(super) notification: String,
    pub(super) connected: String,
}

impl Names {
    pub(super) fn plan(spec: &ir::Spec) -> Names {
        let mut types = Taken::default();
        let model_types: Vec<String> = spec
            .models
            .iter()
            .map(|m| types.claim(&[upper_camel(&m.name, "Model")], ""))
            .collect();
        let mut models = Vec::with_capacity(spec.models.len());
        for (m, ty) in spec.models.iter().zip(&model_types) {
            let state = m.states.as_ref().filter(|l| !l.states.is_empty()).map(|l| {
                let ty = types.claim(&[format!("{ty}State"), format!("{ty}Lifecycle")], "");
                let mut variants = Taken::default();
                let variants = l
                    .states
                    .iter()
                    .map(|s| variants.claim(&[upper_camel(s, "State")], ""))
                    .collect();
                StateNames { ty, variants }
            });
            models.push(ModelNames {
                ty: ty.clone(),
                state,
                fields: field_names(m),
                filter: String::new(),
                events: None,
                transition: None,
            });
        }
        let app = upper_camel(&spec.app, "App");
        let mut support = |base: &str| types.claim(&[base.to_owned(), format!("{app}{base}")], "");
        let spec_ty = support("Spec");
        let channel = support("Channel");
        let model_name = support("ModelName");
        let server_to_client = support("ServerToClient");
        let client_to_server = support("ClientToServer");
        // Claimed last, so that a spec's other names do not change with them.
        for model in &mut models {
            let stem = model.ty.trim_end_matches('_');
            model.filter = types.claim(&[format!("{stem}Filter"), format!("{stem}RowFilter")], "");
        }
        for (model, m) in models.iter_mut().zip(&spec.models) {
            let Some(lifecycle) = m.states.as_ref().filter(|l| !l.events.is_empty()) else {
                continue;
            };
            let stem = model.ty.trim_end_matches('_');
            let ty = types.claim(
                &[format!("{stem}Event"), format!("{stem}WorkflowEvent")],
                "",
            );
            let mut variants = Taken::default();
            let variants = lifecycle
                .event_names()
                .iter()
                .map(|e| variants.claim(&[upper_camel(e, "Event")], ""))
                .collect();
            model.events = Some(StateNames { ty, variants });
        }
        for model in models.iter_mut().filter(|m| m.state.is_some()) {
            let stem = model.ty.trim_end_matches('_');
            model.transition = Some(types.claim(
                &[
                    format!("{stem}Transition"),
                    format!("{stem}TransitionRecord"),
                ],
                "",
            ));
        }

        let mut variants = Taken::default();
        variants.reserve("Notification");
        variants.reserve("Connected");
        let event_variants = model_types
            .iter()
            .map(|ty| {
                let stem = ty.trim_end_matches('_');
                ["Created", "Updated", "Deleted"]
                    .map(|kind| variants.claim(&[format!("{stem}{kind}")], ""))
            })
            .collect();
        // The first model of a name wins, should a name repeat.
        let index = spec
            .models
            .iter()
            .enumerate()
            .rev()
            .map(|(i, m)| (m.name.clone(), i))
            .collect();
        Names {
            models,
            index,
            spec: spec_ty,
            channel,
            model_name,
            server_to_client,
            client_to_server,
            event_variants,
            notification: "Notification".to_owned(),
            connected: "Connected".to_owned(),
        }
    }
}

/// Field names of one model: `id` is the row id; spec names that already are snake case claim
/// their name before converted ones, then the rest in spec order.
fn field_names(model: &ir::Model) -> Vec<Option<String>> {
    let mut taken = Taken::default();
    taken.reserve("id");
    let mut names: Vec<Option<String>> = vec![None; model.fields.len()];
    let snakes: Vec<String> = model
        .fields
        .iter()
        .map(|f| snake(&f.name, "field"))
        .collect();
    let mut id_seen = false;
    // The first declared `id` is the row id; it takes no name of its own.
    let is_row_id: Vec<bool> = model
        .fields
        .iter()
        .map(|f| {
            let row_id = f.name == "id" && !id_seen;
            id_seen |= row_id;
            row_id
        })
        .collect();
    for pass in [true, false] {
        for (i, f) in model.fields.iter().enumerate() {
            if is_row_id[i] || names[i].is_some() {
                continue;
            }
            let exact = f.name == snakes[i];
            if exact == pass {
                let sep = "_";
                names[i] = Some(taken.claim(std::slice::from_ref(&snakes[i]), sep));
            }
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn casing() {
        assert_eq!(snake("userId", "f"), "user_id");
        assert_eq!(snake("emailAddress", "f"), "email_address");
        assert_eq!(snake("URL", "f"), "url");
        assert_eq!(snake("HTTPStatus", "f"), "http_status");
        assert_eq!(snake("line2Text", "f"), "line2_text");
        assert_eq!(snake("user__id", "f"), "user_id");
        assert_eq!(snake("_private", "f"), "private");
        assert_eq!(snake("_", "field"), "field");
        assert_eq!(snake("type", "f"), "type");
        assert_eq!(upper_camel("order_item", "M"), "OrderItem");
        assert_eq!(upper_camel("orderItem", "M"), "OrderItem");
        assert_eq!(upper_camel("OrderItem", "M"), "OrderItem");
        assert_eq!(upper_camel("URL", "M"), "URL");
        assert_eq!(upper_camel("in_progress", "M"), "InProgress");
        assert_eq!(upper_camel("DONE_NOW", "M"), "DoneNow");
        assert_eq!(upper_camel("Self", "M"), "Self_");
        assert_eq!(upper_camel("", "State"), "State");
        assert_eq!(upper_camel("1st", "State"), "_1st");
    }

    #[test]
    fn keywords_are_sorted_for_the_binary_search() {
        assert!(KEYWORDS.is_sorted());
    }

    #[test]
    fn idents() {
        let display = |s: &str| ident(s).to_string();
        assert_eq!(display("type"), "r#type");
        assert_eq!(display("gen"), "r#gen");
        assert_eq!(display("self"), "self_");
        assert_eq!(display("title"), "title");
        assert_eq!(display("union"), "union");
    }

    #[test]
    fn claims_are_deterministic() {
        let mut t = Taken::default();
        assert_eq!(
            t.claim(&["Channel".into(), "AppChannel".into()], ""),
            "Channel"
        );
        assert_eq!(
            t.claim(&["Channel".into(), "AppChannel".into()], ""),
            "AppChannel"
        );
        assert_eq!(
            t.claim(&["Channel".into(), "AppChannel".into()], ""),
            "AppChannel2"
        );
    }

    #[test]
    fn variant_name_lint_guess() {
        let v = |xs: &[&str]| xs.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(variant_names_may_lint("Channel", &v(&["ChannelMember"])));
        assert!(variant_names_may_lint(
            "Channel",
            &v(&["UserA", "UserB", "UserC"])
        ));
        assert!(!variant_names_may_lint("Channel", &v(&["Task", "User"])));
        assert!(!variant_names_may_lint(
            "Channel",
            &v(&["Task", "User", "Post"])
        ));
    }
}
