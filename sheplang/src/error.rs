//! Error values of the facade: every way a string or an event from outside can be wrong.

use core::fmt;

/// A string that is not one of a spec's channels.
///
/// Its [`Display`](fmt::Display) is exactly the wire message of the protocol,
/// `unknown channel "tasks"`, so a server can send it in a `subscribe` acknowledgement as is.
/// The alternate form (`{:#}`) adds a did-you-mean hint when a channel is close, for logs and
/// people: `unknown channel "tasks"; did you mean "task"?`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownChannel {
    value: String,
    suggestion: Option<&'static str>,
}

impl UnknownChannel {
    /// `value` was not among `channels`; the closest one, if close enough, becomes the hint.
    pub fn new(value: &str, channels: &'static [&'static str]) -> Self {
        UnknownChannel {
            value: truncate(value),
            suggestion: closest(value, channels),
        }
    }

    /// The rejected string (cut to 256 bytes).
    pub fn value(&self) -> &str {
        &self.value
    }

    /// The channel the string was probably meant to be.
    pub fn suggestion(&self) -> Option<&'static str> {
        self.suggestion
    }
}

impl fmt::Display for UnknownChannel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown channel \"{}\"", self.value)?;
        if f.alternate() {
            match self.suggestion {
                Some(s) => write!(f, "; did you mean \"{s}\"?")?,
                None => f.write_str("; channels are lower-case model names")?,
            }
        }
        Ok(())
    }
}

impl std::error::Error for UnknownChannel {}

/// A string that names none of a closed set of spec names (a state, a model name).
///
/// `unknown state of `Task` "dnoe"; did you mean "done"?`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownName {
    what: &'static str,
    value: String,
    suggestion: Option<&'static str>,
    expected: &'static [&'static str],
}

impl UnknownName {
    /// `value` is not one of `expected`; `what` says what was expected (`"model"`,
    /// ``"state of `Task`"``).
    pub fn new(what: &'static str, value: &str, expected: &'static [&'static str]) -> Self {
        UnknownName {
            what,
            value: truncate(value),
            suggestion: closest(value, expected),
            expected,
        }
    }

    /// What kind of name was expected.
    pub fn what(&self) -> &'static str {
        self.what
    }

    /// The rejected string (cut to 256 bytes).
    pub fn value(&self) -> &str {
        &self.value
    }

    /// The name the string was probably meant to be.
    pub fn suggestion(&self) -> Option<&'static str> {
        self.suggestion
    }

    /// Every accepted name.
    pub fn expected(&self) -> &'static [&'static str] {
        self.expected
    }
}

impl fmt::Display for UnknownName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown {} \"{}\"", self.what, self.value)?;
        if let Some(s) = self.suggestion {
            return write!(f, "; did you mean \"{s}\"?");
        }
        match self.expected {
            [] => f.write_str("; there are none"),
            [one] => write!(f, "; expected \"{one}\""),
            many if many.len() <= 8 => {
                f.write_str("; expected one of ")?;
                for (i, name) in many.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "\"{name}\"")?;
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

impl std::error::Error for UnknownName {}

/// A change of a row's lifecycle state that its spec does not allow: what a generated
/// `transition` or `apply` returns.
///
/// Its [`Display`](fmt::Display) is the message every checker of the spec gives (the
/// TypeScript validator, and, for a change of state, the generated SQLite and PostgreSQL
/// triggers, which raise it as the error `<table>_status_transition`):
/// - a change the spec does not allow, by no arrow of `states:` and no edge of its workflow
///   (`transition`):
///   ``"`Task` may not go from `todo` to `done`: from `todo` it may only become `doing`"``, or,
///   from a final state, ``"`Task` may not go from `done` to `todo`: `done` is a final state"``;
/// - an event the current state does not accept (`apply`):
///   ``"`Task` may not `finish` from `todo`: from `todo` it accepts only `start`"``, or
///   ``"`Task` may not `finish` from `done`: `done` accepts no event"``;
/// - an event whose guard is false and which has no `else` state (`apply`):
///   ``"`Task` may not `finish` from `doing`: the guard `reviewed` is false"``.
///
/// It is one pointer wide (the details are boxed), so a host's own error type that holds it
/// stays small.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransitionRefused {
    inner: Box<Refusal>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Refusal {
    model: &'static str,
    from: &'static str,
    to: &'static str,
    allowed: &'static [&'static str],
    event: Option<&'static str>,
    guard: Option<&'static str>,
    accepted: &'static [&'static str],
}

impl TransitionRefused {
    /// The rule's name, as the spec's checkers name it (a violation's `rule`).
    pub const RULE: &'static str = "transition";

    /// A row of `model` may not go from `from` to `to`; from `from` it may become `allowed`.
    pub fn new(
        model: &'static str,
        from: &'static str,
        to: &'static str,
        allowed: &'static [&'static str],
    ) -> Self {
        Self::with(Refusal {
            model,
            from,
            to,
            allowed,
            event: None,
            guard: None,
            accepted: &[],
        })
    }

    /// A row of `model` in state `from` got the event `event`, which that state does not
    /// accept; it accepts the events `accepted` and may become the states `allowed`. The row
    /// stays where it is: [`to`](Self::to) is `from`.
    pub fn unknown_event(
        model: &'static str,
        from: &'static str,
        event: &'static str,
        accepted: &'static [&'static str],
        allowed: &'static [&'static str],
    ) -> Self {
        Self::with(Refusal {
            model,
            from,
            to: from,
            allowed,
            event: Some(event),
            guard: None,
            accepted,
        })
    }

    /// A row of `model` in state `from` got the event `event`, which leads to `to` when
    /// `guard` holds; it did not, and the event has no `else` state.
    pub fn guard_failed(
        model: &'static str,
        from: &'static str,
        to: &'static str,
        event: &'static str,
        guard: &'static str,
        accepted: &'static [&'static str],
        allowed: &'static [&'static str],
    ) -> Self {
        Self::with(Refusal {
            model,
            from,
            to,
            allowed,
            event: Some(event),
            guard: Some(guard),
            accepted,
        })
    }

    fn with(refusal: Refusal) -> Self {
        TransitionRefused {
            inner: Box::new(refusal),
        }
    }

    /// The model's name in the spec.
    pub fn model(&self) -> &'static str {
        self.inner.model
    }

    /// The state the row is in.
    pub fn from(&self) -> &'static str {
        self.inner.from
    }

    /// The state it was asked to become (for an event the state does not accept, the state
    /// it is in).
    pub fn to(&self) -> &'static str {
        self.inner.to
    }

    /// The states it may become, in the order of the spec (empty from a final state).
    pub fn allowed(&self) -> &'static [&'static str] {
        self.inner.allowed
    }

    /// The workflow event that was refused, when the change came from `apply`.
    pub fn event(&self) -> Option<&'static str> {
        self.inner.event
    }

    /// The guard that was false, when that is why the event was refused (as the spec writes
    /// it, `=` as `==`).
    pub fn guard(&self) -> Option<&'static str> {
        self.inner.guard
    }

    /// The events the state `from` accepts, in the order of the spec (empty for a change
    /// made without an event).
    pub fn accepted(&self) -> &'static [&'static str] {
        self.inner.accepted
    }
}

/// `` `a` ``, `` `a` or `b` ``, `` `a`, `b` or `c` ``.
fn write_names(f: &mut fmt::Formatter<'_>, names: &[&str]) -> fmt::Result {
    for (i, name) in names.iter().enumerate() {
        if i > 0 {
            f.write_str(if i + 1 == names.len() { " or " } else { ", " })?;
        }
        write!(f, "`{name}`")?;
    }
    Ok(())
}

impl fmt::Display for TransitionRefused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let this = &*self.inner;
        if let Some(event) = this.event {
            write!(
                f,
                "`{}` may not `{event}` from `{}`: ",
                this.model, this.from
            )?;
            if let Some(guard) = this.guard {
                return write!(f, "the guard `{guard}` is false");
            }
            return match this.accepted {
                [] => write!(f, "`{}` accepts no event", this.from),
                accepted => {
                    write!(f, "from `{}` it accepts only ", this.from)?;
                    write_names(f, accepted)
                }
            };
        }
        write!(
            f,
            "`{}` may not go from `{}` to `{}`: ",
            this.model, this.from, this.to
        )?;
        match this.allowed {
            [] => write!(f, "`{}` is a final state", this.from),
            allowed => {
                write!(f, "from `{}` it may only become ", this.from)?;
                write_names(f, allowed)
            }
        }
    }
}

impl std::error::Error for TransitionRefused {}

/// A Socket.IO event that does not fit the protocol: what [`ClientEvent::parse`] and a
/// generated `ServerToClient::parse` return.
///
/// The [`Display`](fmt::Display) of [`EventError::InvalidChannel`] and
/// [`EventError::UnknownChannel`] is exactly the protocol's acknowledgement error
/// (`invalid channel`, `unknown channel "x"`).
///
/// [`ClientEvent::parse`]: crate::ClientEvent::parse
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EventError {
    /// An event name the protocol does not have.
    UnknownEvent(String),
    /// A channel argument that is missing, not a string, or longer than
    /// [`MAX_CHANNEL_LEN`](crate::MAX_CHANNEL_LEN) bytes.
    InvalidChannel,
    /// A channel string that is not a channel of the spec.
    UnknownChannel(UnknownChannel),
    /// A model name argument that is not a model of the spec.
    UnknownModel(UnknownName),
    /// Arguments of the wrong number or shape.
    InvalidArguments {
        /// The event (`model_created`, ...).
        event: &'static str,
        /// What is wrong.
        message: String,
    },
}

impl fmt::Display for EventError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EventError::UnknownEvent(name) => write!(f, "unknown event \"{name}\""),
            EventError::InvalidChannel => f.write_str("invalid channel"),
            EventError::UnknownChannel(e) => fmt::Display::fmt(e, f),
            EventError::UnknownModel(e) => fmt::Display::fmt(e, f),
            EventError::InvalidArguments { event, message } => {
                write!(f, "invalid arguments for `{event}`: {message}")
            }
        }
    }
}

impl std::error::Error for EventError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            EventError::UnknownChannel(e) => Some(e),
            EventError::UnknownModel(e) => Some(e),
            _ => None,
        }
    }
}

impl From<UnknownChannel> for EventError {
    fn from(e: UnknownChannel) -> Self {
        EventError::UnknownChannel(e)
    }
}

/// Cuts a hostile string down before it is kept in an error: [`truncate_to`] 256 bytes.
pub(crate) fn truncate(text: &str) -> String {
    truncate_to(text, 256)
}

/// `text` when it is at most `max` bytes long, else its first `max` bytes (cut back to a char
/// boundary) followed by `...`.
pub(crate) fn truncate_to(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &text[..end])
}

/// The closest candidate by case-insensitive edit distance, if it is a likely typo
/// (at most one edit per three characters, and at least one).
pub(crate) fn closest(value: &str, candidates: &'static [&'static str]) -> Option<&'static str> {
    // Long inputs are never typos of short names; skip the quadratic work.
    if value.len() > 64 {
        return None;
    }
    let limit = (value.chars().count() / 3).max(1);
    candidates
        .iter()
        .filter(|c| **c != value)
        .filter_map(|c| distance(value, c, limit).map(|d| (d, *c)))
        .min_by_key(|&(d, c)| (d, c))
        .map(|(_, c)| c)
}

/// Edit distance over lower-cased chars, counting an adjacent swap as one edit (optimal
/// string alignment), `None` past `limit`.
fn distance(a: &str, b: &str, limit: usize) -> Option<usize> {
    let a: Vec<char> = a.chars().flat_map(char::to_lowercase).collect();
    let b: Vec<char> = b.chars().flat_map(char::to_lowercase).collect();
    if a.len().abs_diff(b.len()) > limit {
        return None;
    }
    let width = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * width];
    for (j, cell) in d.iter_mut().enumerate().take(width) {
        *cell = j;
    }
    for i in 1..=a.len() {
        d[i * width] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[(i - 1) * width + j] + 1)
                .min(d[i * width + j - 1] + 1)
                .min(d[(i - 1) * width + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[(i - 2) * width + j - 2] + 1);
            }
            d[i * width + j] = best;
        }
    }
    let dist = d[a.len() * width + b.len()];
    (dist <= limit).then_some(dist)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// This copy of the compiler's `suggest::closest` (the facade does not depend on the
    /// compiler) gives the answers of the table the compiler, the parser, the checks and the
    /// derive are tested on (sheplang-core/tests/suggest_cases.txt).
    #[test]
    fn closest_answers_as_the_shared_table_says() {
        let table = include_str!("../../sheplang-core/tests/suggest_cases.txt");
        let mut seen = 0;
        for line in table
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        {
            let (typo, rest) = line.split_once(':').expect("`typo: candidates => answer`");
            let (candidates, answer) = rest.split_once("=>").expect("`=> answer`");
            let (typo, answer) = (typo.trim(), answer.trim());
            let candidates: Vec<&'static str> = candidates
                .split_whitespace()
                .map(|c| &*Box::leak(c.to_owned().into_boxed_str()))
                .collect();
            let candidates: &'static [&'static str] = Box::leak(candidates.into_boxed_slice());
            let want = (answer != "-").then_some(answer);
            assert_eq!(
                closest(typo, candidates),
                want,
                "`{typo}` among {candidates:?}"
            );
            seen += 1;
        }
        assert!(seen > 10, "the table lost its cases");
    }

    #[test]
    fn unknown_channel_is_the_wire_message() {
        let e = UnknownChannel::new("tasks", &["task", "user"]);
        assert_eq!(e.to_string(), r#"unknown channel "tasks""#);
        assert_eq!(
            format!("{e:#}"),
            r#"unknown channel "tasks"; did you mean "task"?"#
        );
        assert_eq!(e.suggestion(), Some("task"));
        let e = UnknownChannel::new("orders", &["task", "user"]);
        assert_eq!(e.suggestion(), None);
        assert_eq!(
            format!("{e:#}"),
            r#"unknown channel "orders"; channels are lower-case model names"#
        );
        assert_eq!(
            UnknownChannel::new("Task", &["task"]).suggestion(),
            Some("task")
        );
    }

    #[test]
    fn unknown_name_lists_or_suggests() {
        let e = UnknownName::new("state of `Task`", "dnoe", &["todo", "done"]);
        assert_eq!(
            e.to_string(),
            r#"unknown state of `Task` "dnoe"; did you mean "done"?"#
        );
        let e = UnknownName::new("model", "Order", &["Task", "User"]);
        assert_eq!(
            e.to_string(),
            r#"unknown model "Order"; expected one of "Task", "User""#
        );
    }

    #[test]
    fn hostile_strings_are_cut() {
        let long = "é".repeat(1000);
        let e = UnknownChannel::new(&long, &["task"]);
        assert!(e.value().len() <= 260);
        assert!(e.value().ends_with("..."));
    }
}
