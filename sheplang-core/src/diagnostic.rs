//! Diagnostics: a collected value with a file, a byte span, a stable code, labels and a help line,
//! rendered rustc-style (`error[E0101]: ...`, `--> file:line:col`, source line, caret).

use std::fmt::Write as _;

use crate::span::{FileId, SourceMap, Span};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Error,
    Warning,
}

/// A stable diagnostic code. The full list, with one line each, is [`Code::ALL`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Code(pub &'static str);

macro_rules! codes {
    ($($name:ident = $code:literal, $what:literal;)*) => {
        impl Code {
            $(#[doc = $what] pub const $name: Code = Code($code);)*
            /// Every code with a one-line description, in code order.
            pub const ALL: &'static [(Code, &'static str)] = &[$((Code($code), $what)),*];
        }
    };
}

codes! {
    // lexical (E00xx)
    UNEXPECTED_CHAR = "E0001", "a character that cannot start any token (`#` is not a comment)";
    UNTERMINATED_STRING = "E0002", "a string literal without its closing quote on the same line";
    UNTERMINATED_COMMENT = "E0003", "a `/*` block comment that is never closed";
    TAB_INDENT = "E0004", "a tab in indentation (indent is two spaces)";
    BAD_INDENT = "E0005", "an indented line that no block header opened, or a dedent to an unknown level";
    TOO_LARGE = "E0006", "an input larger than the compiler accepts";
    // syntax (E01xx)
    EXPECTED = "E0101", "a token other than the one the grammar expects here (`expected X, found Y`)";
    EMPTY_FILE = "E0102", "a file with no `app` declaration";
    SECOND_APP = "E0103", "more than one `app` in one file";
    UNKNOWN_DECL = "E0104", "a top-level word that does not start a declaration";
    UNCLOSED_DELIM = "E0105", "a `{`, `(` or `[` that is never closed";
    TRAILING = "E0106", "text after the end of the `app`";
    NOT_AN_APP = "E0107", "a file whose first word is not `app`";
    MISSING_COLON = "E0108", "a block header followed by an indented block but no `:`";
    MISSING_BLOCK = "E0109", "a header ending in `:` with no indented block below it";
    NO_FIELDS = "E0110", "a `data` model without a `fields:` block";
    ITEM_ORDER = "E0111", "a `data` or `job` body item repeated or out of order";
    INCOMPLETE_JOB = "E0112", "a `job` without a `schedule:`/`trigger:` or without an `action`";
    UNQUOTED_TIME = "E0113", "a job time written without quotes (`at 9am` for `at \"9am\"`)";
    UNKNOWN_EVENT = "E0114", "a trigger event other than `created`, `updated`, `deleted` or `-> value`";
    TOO_DEEP = "E0115", "blocks nested deeper than the compiler accepts";
    TOO_COMPLEX = "E0116", "an expression with more operators than the compiler accepts";
    CHAINED_COMPARISON = "E0117", "comparisons chained without `and` (`a < b < c`)";
    // name resolution and checks (E02xx)
    UNRESOLVED_DATA = "E0201", "a reference to a `data` model that does not exist";
    UNRESOLVED_VIEW = "E0202", "a reference to a `view` that does not exist";
    UNRESOLVED_ACTION = "E0203", "a reference to an `action` that does not exist";
    DUPLICATE_DECL = "E0204", "two declarations of the same kind with one name";
    DUPLICATE_FIELD = "E0205", "two fields with one name in a model";
    DUPLICATE_STATE = "E0206", "a state named twice in one `states:` chain";
    UNKNOWN_TYPE = "E0207", "a type name that is neither built in nor a `data` model";
    REF_NOT_MODEL = "E0208", "`ref[X]` where `X` is not a `data` model";
    UNKNOWN_TRIGGER_FIELD = "E0209", "a job trigger on a field or state its model does not have";
    CHANNEL_COLLISION = "E0210", "two models whose lower-case channel names are equal";
    BAD_ID_FIELD = "E0211", "a field named `id` that is not a required `id` or `text`";
    BAD_PATTERN = "E0212", "a `pattern` that Rust and JavaScript would not read alike, or that does not compile";
    BAD_STATE_FIELD = "E0213", "a field `status` on a model with `states:` that is not a plain `text` starting in the first state";
    WORKFLOW_STATE = "E0214", "a state named by the workflow of a model that is not one of the model's `states:`";
    GUARD_FIELD = "E0215", "a workflow guard naming a field its model does not have";
    BAD_GUARD = "E0216", "a workflow guard that is not a yes/no condition on the row's fields (a type mismatch, arithmetic, a call)";
    DUPLICATE_WORKFLOW_ITEM = "E0217", "a state with two `on` blocks in one workflow, or an event declared twice for one state";
    // warnings (W0xxx)
    CONSTRAINT_TYPE = "W0001", "a constraint that cannot apply to the field's type";
    MIN_GREATER_THAN_MAX = "W0002", "a `min` above the `max` (or `minLength` above `maxLength`)";
    DEFAULT_TYPE = "W0003", "a `default` whose literal does not fit the field's type";
    UNKNOWN_FIELD_VALUE = "W0004", "`add` or `update` naming a field the model does not have";
    CONFLICTING_CONSTRAINTS = "W0005", "constraints that contradict each other (`required optional`)";
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

/// A secondary span with a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    pub span: Span,
    pub message: String,
}

/// One error or warning.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct Diagnostic {
    pub severity: Severity,
    pub code: Code,
    pub message: String,
    pub file: FileId,
    /// The offending token.
    pub span: Span,
    /// What to say under the primary caret (may be empty).
    pub label: String,
    pub secondary: Vec<Label>,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(code: Code, file: FileId, span: Span, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            code,
            message: message.into(),
            file,
            span,
            label: String::new(),
            secondary: Vec::new(),
            help: None,
        }
    }

    pub fn warning(code: Code, file: FileId, span: Span, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, file, span, message)
        }
    }

    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }

    pub fn with_secondary(mut self, span: Span, message: impl Into<String>) -> Self {
        self.secondary.push(Label {
            span,
            message: message.into(),
        });
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// `file:line:col` of the primary span.
    pub fn location(&self, sources: &SourceMap) -> String {
        let file = sources.get(self.file);
        let (line, col) = file.line_col(self.span.start);
        format!("{}:{line}:{col}", file.name())
    }

    /// One line, for proc-macro messages and logs:
    /// `error[E0201]: unknown model `Tsk` (app.shep:3:9); help: ...`.
    pub fn one_line(&self, sources: &SourceMap) -> String {
        let mut out = format!(
            "{}[{}]: {} ({})",
            self.severity_word(),
            self.code,
            self.message,
            self.location(sources)
        );
        if let Some(help) = &self.help {
            let _ = write!(out, "; help: {help}");
        }
        out
    }

    /// The message and help only, for spans that already point at the token (inline specs).
    pub fn short(&self) -> String {
        match &self.help {
            Some(help) => format!("{} [{}]\nhelp: {help}", self.message, self.code),
            None => format!("{} [{}]", self.message, self.code),
        }
    }

    fn severity_word(&self) -> &'static str {
        match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }

    /// rustc-style multi-line rendering, without colour.
    pub fn render(&self, sources: &SourceMap) -> String {
        self.render_styled(sources, ColorChoice::Never)
    }

    /// rustc-style multi-line rendering, in rustc's colours when `color` says so (for a
    /// terminal; files, build scripts and tests want [`ColorChoice::Never`]).
    pub fn render_styled(&self, sources: &SourceMap, color: ColorChoice) -> String {
        let paint = Paint(color == ColorChoice::Always);
        let file = sources.get(self.file);
        let (line, col) = file.line_col(self.span.start);
        let mut lines: Vec<(usize, usize, usize, &str, bool)> = Vec::new();
        lines.push((
            line,
            col,
            caret_width(file, self.span),
            self.label.as_str(),
            true,
        ));
        for l in &self.secondary {
            let (sl, sc) = file.line_col(l.span.start);
            lines.push((sl, sc, caret_width(file, l.span), l.message.as_str(), false));
        }
        let max_line = lines.iter().map(|l| l.0).max().unwrap_or(line);
        let gutter = max_line.to_string().len();
        let pad = " ".repeat(gutter);
        let accent = match self.severity {
            Severity::Error => RED,
            Severity::Warning => YELLOW,
        };
        let bar = paint.wrap(BLUE, "|");
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{}{}",
            paint.wrap(accent, &format!("{}[{}]", self.severity_word(), self.code)),
            paint.wrap(BOLD, &format!(": {}", self.message))
        );
        let _ = writeln!(
            out,
            "{pad}{} {}:{line}:{col}",
            paint.wrap(BLUE, "-->"),
            file.name()
        );
        let _ = writeln!(out, "{pad} {bar}");
        lines.sort_by_key(|l| (l.0, l.1));
        let mut last_line = 0;
        for (ln, c, width, msg, primary) in lines {
            if ln != last_line {
                if last_line != 0 && ln > last_line + 1 {
                    let _ = writeln!(out, "{pad}{}", paint.wrap(BLUE, "..."));
                }
                let number = paint.wrap(BLUE, &format!("{ln:>gutter$} |"));
                let _ = writeln!(out, "{number} {}", file.line_text(ln));
                last_line = ln;
            }
            let (mark, mark_color) = if primary { ("^", accent) } else { ("-", BLUE) };
            let prefix = indent_like(file.line_text(ln), c - 1);
            let carets = mark.repeat(width.max(1));
            if msg.is_empty() {
                let _ = writeln!(
                    out,
                    "{pad} {bar} {prefix}{}",
                    paint.wrap(mark_color, &carets)
                );
            } else {
                let marked = paint.wrap(mark_color, &format!("{carets} {msg}"));
                let _ = writeln!(out, "{pad} {bar} {prefix}{marked}");
            }
        }
        if let Some(help) = &self.help {
            let _ = writeln!(out, "{pad} {bar}");
            let _ = writeln!(out, "{pad} {} {help}", paint.wrap(BOLD, "= help:"));
        }
        out
    }
}

/// Whether rendered diagnostics carry ANSI colours.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ColorChoice {
    /// Plain text: files, build scripts, proc macros, tests.
    #[default]
    Never,
    /// rustc's colours, for a terminal.
    Always,
}

const RED: &str = "1;31";
const YELLOW: &str = "1;33";
const BLUE: &str = "1;34";
const BOLD: &str = "1";

/// Wraps text in an ANSI colour when switched on.
struct Paint(bool);

impl Paint {
    fn wrap(&self, sgr: &str, text: &str) -> String {
        if self.0 {
            format!("\x1b[{sgr}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }
}

/// How many characters to underline: the part of the span on its first line.
fn caret_width(file: &crate::span::SourceFile, span: Span) -> usize {
    let text = file.text();
    let start = (span.start as usize).min(text.len());
    let end = (span.end as usize).min(text.len()).max(start);
    let slice = text.get(start..end).unwrap_or("");
    slice.split('\n').next().unwrap_or("").chars().count()
}

/// Whitespace that lines a caret up under column `cols` of `line`, keeping tabs as tabs.
fn indent_like(line: &str, cols: usize) -> String {
    line.chars()
        .take(cols)
        .map(|c| if c == '\t' { '\t' } else { ' ' })
        .collect()
}

/// Renders a whole list, errors and warnings in source order, with a closing summary line.
pub fn render_all(diagnostics: &[Diagnostic], sources: &SourceMap) -> String {
    render_all_styled(diagnostics, sources, ColorChoice::Never)
}

/// [`render_all`], in colour when `color` says so.
pub fn render_all_styled(
    diagnostics: &[Diagnostic],
    sources: &SourceMap,
    color: ColorChoice,
) -> String {
    let paint = Paint(color == ColorChoice::Always);
    let mut out = String::new();
    for d in diagnostics {
        out.push_str(&d.render_styled(sources, color));
        out.push('\n');
    }
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = diagnostics.len() - errors;
    match (errors, warnings) {
        (0, 0) => {}
        (0, w) => {
            let word = paint.wrap(YELLOW, "warning");
            let _ = writeln!(out, "{word}: {w} warning{} emitted", plural(w));
        }
        (e, _) => {
            let word = paint.wrap(RED, "error");
            let _ = writeln!(
                out,
                "{word}: could not compile due to {e} previous error{}",
                plural(e)
            );
        }
    }
    out
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Collects diagnostics for one file. Sorting happens once, at the end.
#[derive(Debug, Default)]
pub struct Diagnostics {
    list: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn new() -> Self {
        Diagnostics::default()
    }

    pub fn push(&mut self, d: Diagnostic) {
        self.list.push(d);
    }

    pub fn has_errors(&self) -> bool {
        self.list.iter().any(Diagnostic::is_error)
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// All diagnostics, sorted by position, then severity (errors first), then code.
    pub fn into_sorted(mut self) -> Vec<Diagnostic> {
        self.list.sort_by(|a, b| {
            (a.file, a.span.start, a.severity, a.code).cmp(&(
                b.file,
                b.span.start,
                b.severity,
                b.code,
            ))
        });
        self.list.dedup();
        self.list
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The text with every `ESC [ ... m` sequence removed.
    fn strip_ansi(s: &str) -> String {
        let mut out = String::new();
        let mut chars = s.chars();
        while let Some(c) = chars.next() {
            if c == '\x1b' {
                for c in chars.by_ref() {
                    if c == 'm' {
                        break;
                    }
                }
            } else {
                out.push(c);
            }
        }
        out
    }

    #[test]
    fn colour_changes_nothing_but_the_colour() {
        let mut sources = SourceMap::new();
        let file = sources.add(
            "a.shep",
            "app A {\n  data T { fields: { a: boolean } }\n}\n",
        );
        let d = Diagnostic::error(
            Code::UNKNOWN_TYPE,
            file,
            Span::new(31, 38),
            "unknown type `boolean`",
        )
        .with_label("not a built-in type")
        .with_secondary(Span::new(16, 17), "in this model")
        .with_help("did you mean `yes/no`?");
        let w = Diagnostic::warning(Code::DEFAULT_TYPE, file, Span::new(2, 6), "a warning");
        let list = [d, w];
        let plain = render_all(&list, &sources);
        let coloured = render_all_styled(&list, &sources, ColorChoice::Always);
        assert!(!plain.contains('\x1b'));
        assert!(
            coloured.contains("\x1b[1;31merror[E0207]\x1b[0m"),
            "{coloured}"
        );
        assert!(
            coloured.contains("\x1b[1;33mwarning[W0003]\x1b[0m"),
            "{coloured}"
        );
        assert_eq!(strip_ansi(&coloured), plain);
    }
}
