//! TypeScript spellings: string literals, property keys and the names of declarations.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::{self, Write as _};

use crate::ir;

/// A single-quoted TypeScript string literal for `text`.
pub(super) fn string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    push_string(&mut out, text);
    out
}

/// Appends [`string`]`(text)` to `out`.
pub(super) fn push_string(out: &mut String, text: &str) {
    out.push('\'');
    // Text with nothing to escape goes in whole.
    if is_plain(text) {
        out.push_str(text);
        out.push('\'');
        return;
    }
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('\'');
}

/// True when [`string`] writes `text` as it is between its quotes (printable ASCII but a
/// backslash or a single quote).
pub(super) fn is_plain(text: &str) -> bool {
    text.bytes()
        .all(|b| b >= 0x20 && b != b'\\' && b != b'\'' && b < 0x7f)
}

/// [`string`] as a `Display`, to format in place: `tl!(c, "{}: 1,", Quoted(name))`.
pub(super) struct Quoted<'a>(pub(super) &'a str);

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = self.0;
        if is_plain(text) {
            f.write_char('\'')?;
            f.write_str(text)?;
            return f.write_char('\'');
        }
        f.write_str(&string(text))
    }
}

/// [`key`] as a `Display`.
pub(super) struct Key<'a>(pub(super) &'a str);

impl fmt::Display for Key<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if is_identifier(self.0) {
            f.write_str(self.0)
        } else {
            Quoted(self.0).fmt(f)
        }
    }
}

/// [`literal_key`] as a `Display`.
pub(super) struct LiteralKey<'a>(pub(super) &'a str);

impl fmt::Display for LiteralKey<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 == "__proto__" {
            write!(f, "[{}]", Quoted(self.0))
        } else {
            Key(self.0).fmt(f)
        }
    }
}

/// [`index`] as a `Display`.
pub(super) struct Index<'a>(pub(super) &'a str, pub(super) &'a str);

impl fmt::Display for Index<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}[{}]", self.0, Quoted(self.1))
    }
}

/// True when `name` can be written bare as a property name or after a `.`. Reserved words
/// qualify (`default`, `delete` and `type` are fine as property names).
pub(super) fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    (first == '_' || first == '$' || first.is_alphabetic())
        && chars.all(|c| c == '_' || c == '$' || c.is_alphanumeric())
}

/// A property key in an interface or type literal: bare when possible, else quoted.
pub(super) fn key(name: &str) -> String {
    if is_identifier(name) {
        name.to_owned()
    } else {
        string(name)
    }
}

/// A property key in an object literal. `__proto__` must be computed there: written bare or
/// quoted it would set the prototype instead of a property.
pub(super) fn literal_key(name: &str) -> String {
    if name == "__proto__" {
        format!("[{}]", string(name))
    } else {
        key(name)
    }
}

/// Reads property `name` of the record expression `object` (`r['title']`). Bracket access
/// keeps the code valid under `noPropertyAccessFromIndexSignature`.
pub(super) fn index(object: &str, name: &str) -> String {
    format!("{object}[{}]", string(name))
}

/// `OrderItem` -> `ORDER_ITEM`.
pub(super) fn screaming(name: &str) -> String {
    let mut out = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if c.is_uppercase() && prev_lower {
            out.push('_');
        }
        prev_lower = c.is_lowercase() || c.is_ascii_digit();
        out.extend(c.to_uppercase());
    }
    out
}

/// Words that cannot name a type, plus what `types.ts` itself declares. (`types.ts` refers to
/// no global type, so a model may be called `Record` or `Date`.)
const TAKEN: &[&str] = &[
    // Keywords and predefined types.
    "any",
    "bigint",
    "boolean",
    "break",
    "case",
    "catch",
    "class",
    "const",
    "continue",
    "debugger",
    "default",
    "delete",
    "do",
    "else",
    "enum",
    "export",
    "extends",
    "false",
    "finally",
    "for",
    "function",
    "if",
    "import",
    "in",
    "instanceof",
    "never",
    "new",
    "null",
    "number",
    "object",
    "return",
    "string",
    "super",
    "switch",
    "symbol",
    "this",
    "throw",
    "true",
    "try",
    "typeof",
    "undefined",
    "unknown",
    "var",
    "void",
    "while",
    "with",
    // What `types.ts` exports.
    "APP_NAME",
    "CHANNELS",
    "CHANNEL_OF",
    "Channel",
    "ChannelOf",
    "ClientToServerEvents",
    "EventOutcome",
    "FINGERPRINT",
    "InterServerEvents",
    "MODEL_NAMES",
    "ModelEventArgs",
    "ModelName",
    "Models",
    "ServerInfo",
    "ServerToClientEvents",
    "SocketData",
    "SubscribeResult",
    "TransitionRecord",
    "isChannel",
    "isModelName",
];

/// The names `types.ts` declares for the spec's models, chosen once so that every file agrees
/// and none collides with another or with the fixed exports.
#[derive(Debug)]
pub(super) struct Names {
    /// Model name -> its interface (the model's own name unless that is taken).
    interfaces: BTreeMap<String, String>,
    /// Model name -> (state union type, state array constant), for models with `states:`.
    states: BTreeMap<String, (String, String)>,
    /// Model name -> the constant of the states each state may become.
    next: BTreeMap<String, String>,
    /// Model name -> (event union type, the constant of the events each state accepts), for
    /// models governed by a workflow.
    events: BTreeMap<String, (String, String)>,
    /// Model name -> its transition history row type, for models with `states:`.
    transitions: BTreeMap<String, String>,
}

impl Names {
    pub(super) fn new(spec: &ir::Spec) -> Self {
        let mut taken: BTreeSet<String> = TAKEN.iter().map(|s| (*s).to_owned()).collect();
        let mut interfaces = BTreeMap::new();
        // Models keep their own names first, in spec order; only a clash is renamed.
        for model in &spec.models {
            let name = if taken.contains(&model.name) || !is_identifier(&model.name) {
                unique(&mut taken, &format!("{}Row", model.name))
            } else {
                taken.insert(model.name.clone());
                model.name.clone()
            };
            interfaces.insert(model.name.clone(), name);
        }
        let mut states = BTreeMap::new();
        let mut next = BTreeMap::new();
        for model in spec.models.iter().filter(|m| m.states.is_some()) {
            let ty = unique(&mut taken, &format!("{}State", model.name));
            let constant = unique(&mut taken, &format!("{}_STATES", screaming(&model.name)));
            states.insert(model.name.clone(), (ty, constant));
        }
        for model in spec.models.iter().filter(|m| m.states.is_some()) {
            let constant = unique(
                &mut taken,
                &format!("{}_NEXT_STATES", screaming(&model.name)),
            );
            next.insert(model.name.clone(), constant);
        }
        let mut events = BTreeMap::new();
        for model in &spec.models {
            if model.states.as_ref().is_some_and(|l| !l.events.is_empty()) {
                let ty = unique(&mut taken, &format!("{}Event", model.name));
                let constant = unique(
                    &mut taken,
                    &format!("{}_STATE_EVENTS", screaming(&model.name)),
                );
                events.insert(model.name.clone(), (ty, constant));
            }
        }
        let mut transitions = BTreeMap::new();
        for model in spec.models.iter().filter(|m| m.states.is_some()) {
            let ty = unique(&mut taken, &format!("{}Transition", model.name));
            transitions.insert(model.name.clone(), ty);
        }
        Names {
            interfaces,
            states,
            next,
            events,
            transitions,
        }
    }

    /// The interface of a row of `model`.
    pub(super) fn interface<'a>(&'a self, model: &'a str) -> &'a str {
        self.interfaces.get(model).map_or(model, String::as_str)
    }

    /// The constant of the states each state of `model` may become, if it has states.
    pub(super) fn next_states(&self, model: &str) -> Option<&str> {
        self.next.get(model).map(String::as_str)
    }

    /// The event union type and the constant of the events each state accepts, when a
    /// workflow governs `model`.
    pub(super) fn events(&self, model: &str) -> Option<(&str, &str)> {
        self.events
            .get(model)
            .map(|(ty, constant)| (ty.as_str(), constant.as_str()))
    }

    /// The transition history row type of `model`, if it has states.
    pub(super) fn transition(&self, model: &str) -> Option<&str> {
        self.transitions.get(model).map(String::as_str)
    }

    /// The state union type and the state array constant of `model`, if it has states.
    pub(super) fn states(&self, model: &str) -> Option<(&str, &str)> {
        self.states
            .get(model)
            .map(|(ty, constant)| (ty.as_str(), constant.as_str()))
    }
}

fn unique(taken: &mut BTreeSet<String>, wanted: &str) -> String {
    let mut name = wanted.to_owned();
    let mut n = 2;
    while taken.contains(&name) {
        name = format!("{wanted}{n}");
        n += 1;
    }
    taken.insert(name.clone());
    name
}
