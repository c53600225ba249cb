//! The parser: tokens to [`crate::ast`], with error recovery.
//!
//! Recursive descent over the token vector that [`crate::lexer`] and [`crate::layout`] produce
//! (so the indentation style arrives here already in brace form). Keywords are contextual: a word
//! is a keyword only where the grammar expects that keyword, and a plain name everywhere else.
//!
//! Errors are reported into [`Diagnostics`] as they are found and the parser goes on. A parse
//! function that cannot continue returns `Bail` (meaning "reported, recover"); the loop of the
//! enclosing block catches it and synchronises:
//! - the app body at the next declaration keyword (`data Name`, `view Name`, ...);
//! - a declaration body at its next item (`fields:`, `states:`, `list`, `schedule:`, ...);
//! - a `fields:` block at the next `name:` or the next line;
//! - an action body at the next statement on a new line;
//! - every block at its own closing `}` (nested braces are skipped whole).
//!
//! So each broken construct gets one error, and errors further down are still found.
//!
//! Module map: this file holds the cursor, the error and recovery helpers and the `app` level;
//! `decl` `data` and `view`, `job` `flow`, `job` and `workflow`, `stmt` actions and
//! statements, `expr` expressions, `recover` the recovery helpers.

mod decl;
pub use decl::CONSTRAINTS;
mod expr;
mod job;
mod recover;
mod stmt;
#[cfg(test)]
mod tests;

use crate::ast::{self, Ident, NumLit, StrLit, Style};
use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::layout;
use crate::lexer::{self, Token, TokenKind};
use crate::span::{FileId, Span};
use recover::{closest, truncate};

/// Parses one file. Every syntax error goes to `diags`; the tree holds what could be read.
pub fn parse<'a>(text: &'a str, file: FileId, diags: &mut Diagnostics) -> ast::File<'a> {
    if lexer::check_len(text.len(), file, diags) {
        return ast::File {
            app: None,
            style: Style::Braces,
        };
    }
    let tokens = lexer::tokenize(text, file, diags);
    let (tokens, style) = layout::apply(tokens, text, file, diags);
    let mut parser = Parser::new(text, tokens, file, diags);
    let app = parser.file();
    ast::File { app, style }
}

/// The words that start a declaration inside `app`.
const DECL_KEYWORDS: [&str; 6] = ["data", "view", "action", "flow", "job", "workflow"];

/// "Reported; recover." Carries nothing: the diagnostic is already in the collector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Bail;

type PResult<T> = Result<T, Bail>;

/// How deeply blocks (`if`, `for`, `step`) may nest before the parser stops descending.
const MAX_BLOCK_DEPTH: u32 = 64;
/// How many operator, call and parenthesis nodes one expression may have.
const MAX_EXPR_NODES: u32 = 256;

struct Parser<'a, 'd> {
    text: &'a str,
    toks: Vec<Token>,
    pos: usize,
    eof: Token,
    file: FileId,
    diags: &'d mut Diagnostics,
    /// An error at the end of the file was reported: report no more there.
    eof_reported: bool,
    /// The token position of the last "missing `}`" report, so nested blocks report it once.
    unclosed_at: Option<usize>,
    block_depth: u32,
    expr_nodes: u32,
    /// An unterminated string or comment swallowed text, so braces may not match.
    broken_text: bool,
    /// For each token position: the brace depth before it, and the number of unmatched `}`
    /// from it to the end. Computed on the first missing `{`.
    braces: Option<(Vec<i32>, Vec<u32>)>,
}

impl<'a, 'd> Parser<'a, 'd> {
    fn new(text: &'a str, toks: Vec<Token>, file: FileId, diags: &'d mut Diagnostics) -> Self {
        let end = text.len() as u32;
        let eof = toks
            .last()
            .copied()
            .filter(|t| t.kind == TokenKind::Eof)
            .unwrap_or(Token::new(TokenKind::Eof, Span::empty(end)));
        let broken_text = toks.iter().any(Token::is_broken);
        Parser {
            text,
            toks,
            pos: 0,
            eof,
            file,
            diags,
            eof_reported: false,
            unclosed_at: None,
            block_depth: 0,
            expr_nodes: 0,
            broken_text,
            braces: None,
        }
    }

    // ----- the cursor -------------------------------------------------------------------------

    fn peek(&self) -> Token {
        self.nth(0)
    }

    fn nth(&self, n: usize) -> Token {
        self.toks.get(self.pos + n).copied().unwrap_or(self.eof)
    }

    fn kind(&self) -> TokenKind {
        self.peek().kind
    }

    fn at(&self, kind: TokenKind) -> bool {
        self.kind() == kind
    }

    fn nth_is(&self, n: usize, kind: TokenKind) -> bool {
        self.nth(n).kind == kind
    }

    /// The source text of a token (empty for virtual tokens).
    fn text_of(&self, tok: Token) -> &'a str {
        tok.text(self.text)
    }

    /// Whether the `n`th token ahead is the word `word`.
    fn nth_word(&self, n: usize, word: &str) -> bool {
        let t = self.nth(n);
        t.kind == TokenKind::Ident && self.text_of(t) == word
    }

    fn at_word(&self, word: &str) -> bool {
        self.nth_word(0, word)
    }

    /// The current word, if the current token is one.
    fn word(&self) -> Option<&'a str> {
        let t = self.peek();
        (t.kind == TokenKind::Ident).then(|| self.text_of(t))
    }

    /// Consumes the current token (never moves past `Eof`).
    fn bump(&mut self) -> Token {
        let t = self.peek();
        if t.kind != TokenKind::Eof {
            self.pos += 1;
        }
        t
    }

    fn eat(&mut self, kind: TokenKind) -> Option<Token> {
        self.at(kind).then(|| self.bump())
    }

    fn eat_word(&mut self, word: &str) -> Option<Token> {
        self.at_word(word).then(|| self.bump())
    }

    /// The end of the last consumed token.
    fn prev_end(&self) -> u32 {
        self.pos
            .checked_sub(1)
            .and_then(|i| self.toks.get(i))
            .map_or(0, |t| t.span.end)
    }

    /// From `start` to the end of the last consumed token.
    fn span_from(&self, start: Span) -> Span {
        Span::new(start.start, self.prev_end().max(start.end))
    }

    fn ident_of(&self, tok: Token) -> Ident<'a> {
        Ident {
            name: self.text_of(tok),
            span: tok.span,
        }
    }

    fn str_of(&self, tok: Token) -> StrLit<'a> {
        let raw = self.text_of(tok);
        // Strip the opening quote and, if present, the closing one (unterminated strings lack it).
        let inner = raw.get(1..).unwrap_or("");
        let inner = match (raw.as_bytes().first(), inner.as_bytes().last()) {
            (Some(&q), Some(&c)) if q == c && !inner.is_empty() => {
                inner.get(..inner.len() - 1).unwrap_or("")
            }
            _ => inner,
        };
        StrLit {
            value: inner,
            span: tok.span,
        }
    }

    fn num_of(&self, tok: Token) -> NumLit<'a> {
        let text = self.text_of(tok);
        NumLit {
            text,
            value: text.parse().unwrap_or(0.0),
            span: tok.span,
        }
    }

    // ----- descriptions and errors ------------------------------------------------------------

    /// How a token is named in "found ..." messages.
    fn describe(&self, tok: Token) -> String {
        match tok.kind {
            TokenKind::Eof => "end of file".to_owned(),
            TokenKind::LBrace if tok.is_virtual() => "an indented block".to_owned(),
            TokenKind::RBrace if tok.is_virtual() => "the end of the indented block".to_owned(),
            TokenKind::Str => format!("string `{}`", truncate(self.text_of(tok))),
            TokenKind::Number => format!("number `{}`", self.text_of(tok)),
            _ => format!("`{}`", truncate(self.text_of(tok))),
        }
    }

    /// Pushes `d` unless it would repeat an error already reported: at a token the lexer
    /// rejected, or at the end of the file a second time.
    fn push(&mut self, d: Diagnostic) -> Bail {
        let after_broken = self
            .pos
            .checked_sub(1)
            .and_then(|i| self.toks.get(i))
            .is_some_and(Token::is_broken);
        if after_broken || self.peek().is_broken() {
            return Bail; // a consequence of the lexical error already reported
        }
        match self.kind() {
            TokenKind::Unknown => {}
            TokenKind::Eof if self.eof_reported => {}
            TokenKind::Eof => {
                self.eof_reported = true;
                self.diags.push(d);
            }
            _ => self.diags.push(d),
        }
        Bail
    }

    /// Pushes a diagnostic that does not concern the current token.
    fn push_always(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    /// `expected {what}, found {current token}`, with an optional help, at the current token.
    fn expected(&mut self, what: &str, help: Option<String>) -> Bail {
        let tok = self.peek();
        let found = self.describe(tok);
        let mut d = Diagnostic::error(
            Code::EXPECTED,
            self.file,
            tok.span,
            format!("expected {what}, found {found}"),
        )
        .with_label(format!("expected {what}"));
        if let Some(help) = help {
            d = d.with_help(help);
        }
        self.push(d)
    }

    fn expect(&mut self, kind: TokenKind, what: &str) -> PResult<Token> {
        match self.eat(kind) {
            Some(t) => Ok(t),
            None => Err(self.expected(what, None)),
        }
    }

    /// A name: any word, keywords included.
    fn name(&mut self, what: &str) -> PResult<Ident<'a>> {
        match self.eat(TokenKind::Ident) {
            Some(t) => Ok(self.ident_of(t)),
            None => Err(self.expected(what, None)),
        }
    }

    fn string(&mut self, what: &str, help: Option<String>) -> PResult<StrLit<'a>> {
        match self.eat(TokenKind::Str) {
            Some(t) => Ok(self.str_of(t)),
            None => Err(self.expected(what, help)),
        }
    }

    /// A number, optionally with a leading `-` (so `min = -5` works).
    fn signed_number(&mut self, what: &str) -> PResult<NumLit<'a>> {
        if self.at(TokenKind::Minus) && self.nth_is(1, TokenKind::Number) {
            let minus = self.bump();
            let num = self.bump();
            let span = minus.span.to(num.span);
            let text = self.text.get(span.range()).unwrap_or("");
            let value: f64 = self.text_of(num).parse().unwrap_or(0.0);
            return Ok(NumLit {
                text,
                value: -value,
                span,
            });
        }
        match self.eat(TokenKind::Number) {
            Some(t) => Ok(self.num_of(t)),
            None => Err(self.expected(what, None)),
        }
    }

    /// The `}` closing a block opened by `open`. On a missing one reports once (at the end of
    /// the file, or where the next declaration starts) and returns without consuming.
    fn close(&mut self, open: Token, what: &str) {
        if self.eat(TokenKind::RBrace).is_some() {
            return;
        }
        self.unclosed(open, what);
    }

    fn unclosed(&mut self, open: Token, what: &str) {
        if self.unclosed_at == Some(self.pos) || self.broken_text {
            return; // said once, or explained by an unterminated string or comment
        }
        self.unclosed_at = Some(self.pos);
        let tok = self.peek();
        let d = if tok.kind == TokenKind::Eof {
            if self.eof_reported {
                return;
            }
            let mut d = Diagnostic::error(
                Code::UNCLOSED_DELIM,
                self.file,
                if open.is_virtual() {
                    tok.span
                } else {
                    open.span
                },
                format!("unclosed `{{` of {what}"),
            )
            .with_label("this `{` is never closed")
            .with_help("add the missing `}`");
            if !open.is_virtual() {
                d = d.with_secondary(tok.span, "the file ends here");
            }
            d
        } else {
            let found = self.describe(tok);
            let mut d = Diagnostic::error(
                Code::UNCLOSED_DELIM,
                self.file,
                tok.span,
                format!("expected `}}` to close {what}, found {found}"),
            )
            .with_label("the block must be closed before this")
            .with_help("add the missing `}`");
            if !open.is_virtual() {
                d = d.with_secondary(open.span, "this `{` is not closed");
            }
            d
        };
        self.push(d);
    }

    // ----- the app ----------------------------------------------------------------------------

    fn file(&mut self) -> Option<ast::App<'a>> {
        if self.at(TokenKind::Eof) {
            let span = self.peek().span;
            self.eof_reported = true;
            self.push_always(
                Diagnostic::error(
                    Code::EMPTY_FILE,
                    self.file,
                    span,
                    "empty spec: no `app` found",
                )
                .with_label("expected `app Name`")
                .with_help("a spec starts with `app Name`, e.g. `app Todo { ... }`"),
            );
            return None;
        }
        if !self.at_word("app") {
            let help = "a spec starts with `app Name`, e.g. `app Todo { data Task { ... } }`";
            let found = self.describe(self.peek());
            let tok = self.peek();
            let mut d = Diagnostic::error(
                Code::NOT_AN_APP,
                self.file,
                tok.span,
                format!("expected `app`, found {found}"),
            )
            .with_label("expected `app Name` here")
            .with_help(help);
            if self.word().is_some_and(|w| closest(w, &["app"]).is_some()) {
                d = d.with_help(format!("did you mean `app`? {help}"));
            }
            self.push(d);
            // Resume at a later `app Name` line, if there is one.
            while !self.at(TokenKind::Eof) && !self.at_app_line() {
                self.bump();
            }
            if self.at(TokenKind::Eof) {
                return None;
            }
        }
        let app = self.app();
        self.trailing(app.as_ref().map(|a| a.span));
        app
    }

    /// `app Name` at the start of a line.
    fn at_app_line(&self) -> bool {
        self.at_word("app") && self.peek().starts_line() && self.nth_is(1, TokenKind::Ident)
    }

    /// `app Name { decl* }`
    fn app(&mut self) -> Option<ast::App<'a>> {
        let kw = self.bump();
        let name = match self.eat(TokenKind::Ident) {
            Some(t) => Some(self.ident_of(t)),
            None => {
                self.expected(
                    "the app's name",
                    Some("a spec starts with `app Name`, e.g. `app Todo { ... }`".to_owned()),
                );
                None
            }
        };
        let open = match self.eat(TokenKind::LBrace) {
            Some(t) => Some(t),
            None if name.is_none() => None,
            None => {
                let help = if self.at(TokenKind::Colon) {
                    "write `app Name { ... }`, or `app Name` alone on its first line for the \
                     indentation style"
                } else {
                    "the app's declarations go between braces: `app Name { ... }`"
                };
                match self.missing_open("`{` after the app's name", Some(help.to_owned())) {
                    Ok(open) => Some(open),
                    Err(Bail) => {
                        // Go on inside the app anyway, after the rest of this line.
                        while !self.at(TokenKind::Eof) && !self.peek().starts_line() {
                            if self.eat(TokenKind::LBrace).is_some() {
                                break;
                            }
                            self.bump();
                        }
                        None
                    }
                }
            }
        };
        let mut decls = Vec::new();
        loop {
            match self.kind() {
                TokenKind::Eof => {
                    if let Some(open) = open {
                        self.unclosed(open, "the app");
                    }
                    break;
                }
                TokenKind::RBrace => {
                    if open.is_some() {
                        self.bump();
                        break;
                    }
                    // A stray `}` in an app without braces.
                    self.expected("a declaration", None);
                    self.bump();
                }
                _ => {
                    let start = self.pos;
                    match self.decl() {
                        Ok(Some(d)) => decls.push(d),
                        Ok(None) => {}
                        Err(Bail) => self.recover(start, |p| p.at_decl_start()),
                    }
                }
            }
        }
        Some(ast::App {
            name: name?,
            decls,
            span: self.span_from(kw.span),
        })
    }

    /// Reports anything after the app's closing brace (once).
    fn trailing(&mut self, app: Option<Span>) {
        if self.at(TokenKind::Eof) {
            return;
        }
        let tok = self.peek();
        let mut d = if self.at_word("app") {
            Diagnostic::error(
                Code::SECOND_APP,
                self.file,
                tok.span,
                "a second `app` in one spec",
            )
            .with_label("a spec holds exactly one `app`")
            .with_help("move these declarations into the first app, or into a file of their own")
        } else {
            let found = self.describe(tok);
            Diagnostic::error(
                Code::TRAILING,
                self.file,
                tok.span,
                format!("unexpected {found} after the end of the app"),
            )
            .with_label("this is outside the app")
            .with_help("move it inside the app's braces, or remove it")
        };
        // The token that ended the app: its `}` (an empty span for a virtual one).
        let last = self
            .pos
            .checked_sub(1)
            .and_then(|i| self.toks.get(i))
            .map(|t| t.span);
        if let (Some(_), Some(end)) = (app, last) {
            d = d.with_secondary(end, "the app ends here");
        }
        self.push(d);
    }

    /// One declaration, or an error for a word that starts none.
    fn decl(&mut self) -> PResult<Option<ast::Decl<'a>>> {
        let Some(word) = self.word() else {
            return Err(self.expected(
                "a declaration",
                Some(
                    "a declaration starts with `data`, `view`, `action`, `flow`, `job` or \
                     `workflow`"
                        .to_owned(),
                ),
            ));
        };
        Ok(Some(match word {
            "data" => ast::Decl::Data(self.data()?),
            "view" => ast::Decl::View(self.view()?),
            "action" => ast::Decl::Action(self.action()?),
            "flow" => ast::Decl::Flow(self.flow()?),
            "job" => match self.job()? {
                Some(job) => ast::Decl::Job(job),
                None => return Ok(None),
            },
            "workflow" => ast::Decl::Workflow(self.workflow()?),
            "app" => {
                let tok = self.peek();
                let d = Diagnostic::error(
                    Code::SECOND_APP,
                    self.file,
                    tok.span,
                    "an `app` inside an app",
                )
                .with_label("a spec holds exactly one `app`")
                .with_help("declare the models, views and actions directly in the first app");
                return Err(self.push(d));
            }
            _ => return Err(self.unknown_decl(word)),
        }))
    }

    fn unknown_decl(&mut self, word: &str) -> Bail {
        const LIST: &str =
            "the declarations are `data`, `view`, `action`, `flow`, `job` and `workflow`";
        let specific = match word {
            "statemachine" | "stateMachine" | "state_machine" | "machine" | "state" | "states"
            | "lifecycle" => Some(
                "a model's states are written inside its `data` block (`states: pending -> done`); \
                 event-driven transitions are a `workflow Name { on state { event e -> next } }`",
            ),
            "component" | "page" | "screen" | "ui" => {
                Some("a screen is a `view Name { list Model button \"Label\" -> Action }`")
            }
            "model" | "entity" | "table" | "type" | "struct" | "record" | "schema" | "enum" => {
                Some("a model is `data Name { fields: { name: text } }`")
            }
            "function" | "fn" | "func" | "def" | "handler" | "method" => {
                Some("a function is an `action Name(params) { ... }`")
            }
            "schedule" | "cron" | "task" => {
                Some("background work is a `job Name { schedule: ... action { ... } }`")
            }
            "fields" | "rules" => Some(
                "this belongs inside a `data` block: `data Name { fields: { ... } }` (in the \
                 indentation style, indent it under `data Name:`)",
            ),
            "list" | "button" => Some(
                "this belongs inside a `view` block (in the indentation style, indent it under \
                 `view Name:`)",
            ),
            "add" | "show" | "call" | "load" | "update" | "delete" | "if" | "else" | "for"
            | "step" => Some(
                "statements belong inside an `action Name() { ... }` (in the indentation style, \
                 indent them under `action Name():`)",
            ),
            _ => None,
        };
        let help = match (specific, closest(word, &DECL_KEYWORDS)) {
            (_, Some(kw)) => format!("did you mean `{kw}`? {LIST}"),
            (Some(s), None) => format!("{LIST}; {s}"),
            (None, None) => LIST.to_owned(),
        };
        let tok = self.peek();
        let d = Diagnostic::error(
            Code::UNKNOWN_DECL,
            self.file,
            tok.span,
            format!("expected a declaration, found `{}`", truncate(word)),
        )
        .with_label("not a declaration")
        .with_help(help);
        self.push(d)
    }
}
