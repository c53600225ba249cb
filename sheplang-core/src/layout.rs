//! Indentation style: turns an indented token stream into the brace form.
//!
//! A file whose `app Name` is not followed by `{` is written Python-style. This pass inserts
//! [virtual](crate::lexer::Token::VIRTUAL) `{` and `}` tokens so that the parser sees the brace
//! form (language.md, "Indentation style"):
//!
//! - `app Name`: its body is the rest of the file; `{` after the header, `}` at the end.
//! - `data Name:`, `view Name:`, `action Name(params):`: the colon is dropped and `{` inserted.
//! - `fields:`, `rules:`, `if expr:`, `else if expr:`, `else:`, `for ...:`: the colon is kept
//!   and `{` inserted.
//! - Each of these opens a block only when the next line is indented more; the block closes
//!   (a `}` is inserted) when the indentation falls back.
//! - `flow Name:` keeps its colon form: the lines indented under it are plain tokens.
//! - Inside explicit braces (`job X { ... }`, `step s { ... }`) line structure means nothing and
//!   no layout applies.
//!
//! Virtual `{` tokens are empty spans at the end of the header line; virtual `}` tokens are
//! empty spans at the end of the block's last token. Every real token keeps its own span, so
//! diagnostics carry the true line and column.
//!
//! Errors: a tab in the indentation (E0004, at the first such tab, once a file), a line indented
//! with no header opening a block there or dedented to a level no block has (E0005, once per
//! such region), a header with no indented body (E0109), an indented block under a header without
//! its `:` (E0108).

use crate::ast::Style;
use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::lexer::{Token, TokenKind};
use crate::span::{FileId, Span};

/// Decides the style from the first tokens: `app Name` not followed by `{` is indentation.
///
/// One exception: a file with a `}` that closes nothing is a brace-style file that lost the
/// `{` after `app Name` (an indented file has balanced braces); the parser reports it there.
pub fn detect_style(tokens: &[Token], text: &str) -> Style {
    match tokens {
        [app, name, third, ..]
            if app.kind == TokenKind::Ident
                && app.text(text) == "app"
                && name.kind == TokenKind::Ident
                && third.kind != TokenKind::LBrace
                && !has_unmatched_close(tokens) =>
        {
            Style::Indentation
        }
        _ => Style::Braces,
    }
}

/// Whether some `}` closes no `{`.
fn has_unmatched_close(tokens: &[Token]) -> bool {
    let mut depth = 0u32;
    for t in tokens {
        match t.kind {
            TokenKind::LBrace => depth += 1,
            TokenKind::RBrace if depth == 0 => return true,
            TokenKind::RBrace => depth -= 1,
            _ => {}
        }
    }
    false
}

/// Applies the layout when the file is in the indentation style; otherwise returns the tokens
/// unchanged.
pub fn apply(
    tokens: Vec<Token>,
    text: &str,
    file: FileId,
    diags: &mut Diagnostics,
) -> (Vec<Token>, Style) {
    match detect_style(&tokens, text) {
        Style::Braces => (tokens, Style::Braces),
        Style::Indentation => (layout(&tokens, text, file, diags), Style::Indentation),
    }
}

/// How a header line opens its block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Header {
    /// `data Name:`, `view Name:`, `action Name(...):` — the colon is dropped.
    DropColon,
    /// `fields:`, `rules:`, `if ...:`, `else:`, `for ...:` — the colon stays.
    KeepColon,
    /// `flow Name:` — the indented lines are plain tokens, no braces.
    Plain,
    /// Any other line ending in `:`: read like `KeepColon` when a body follows, so a broken
    /// header costs one error; no header at all (and nothing to report) when none follows.
    Generic,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FrameKind {
    /// A block with a virtual `{` to close.
    Block,
    /// The body of a `flow Name:`: plain continuation lines, any indentation, no headers.
    Flow,
    /// Lines already reported as badly indented: a level without braces.
    Stray,
}

#[derive(Debug, Clone, Copy)]
struct Frame {
    indent: u32,
    kind: FrameKind,
}

/// A header whose body is not known yet: decided by the next line's indentation.
#[derive(Debug, Clone, Copy)]
struct Pending {
    header: Header,
    /// The header's first token and its `:` (for messages).
    first: Span,
    colon: Span,
    /// The line looks like a header but lacks its `:` (`if a > 1`); reported only if an
    /// indented body follows.
    missing_colon: bool,
}

struct Layout<'t> {
    text: &'t str,
    file: FileId,
    out: Vec<Token>,
    stack: Vec<Frame>,
    /// Explicit `{` minus `}` seen so far (layout pauses while it is above zero).
    depth: u32,
    first_tab: Option<u32>,
    tab_lines: u32,
    /// The current line is indented with a tab (already reported): no E0005 for it.
    line_has_tab: bool,
    /// The `app Name` line was read; the next line may set the body's indentation.
    app_body_unset: bool,
    /// A line dedented past the app was reported (once a file).
    dedent_reported: bool,
}

fn virtual_token(kind: TokenKind, at: u32) -> Token {
    Token {
        kind,
        flags: Token::VIRTUAL,
        span: Span::empty(at),
    }
}

fn layout(tokens: &[Token], text: &str, file: FileId, diags: &mut Diagnostics) -> Vec<Token> {
    let mut lay = Layout {
        text,
        file,
        out: Vec::with_capacity(tokens.len() + tokens.len() / 4 + 4),
        stack: Vec::new(),
        depth: 0,
        first_tab: None,
        tab_lines: 0,
        line_has_tab: false,
        app_body_unset: false,
        dedent_reported: false,
    };
    let eof = tokens
        .last()
        .copied()
        .unwrap_or(Token::new(TokenKind::Eof, Span::empty(text.len() as u32)));
    let body = tokens
        .split_last()
        .map_or(&[][..], |(_, rest)| rest)
        .iter()
        .copied();

    // Split into logical lines: a line starts at a token after a line break while no explicit
    // brace is open.
    let mut line: Vec<Token> = Vec::with_capacity(32);
    let mut pending: Option<Pending> = None;
    let mut first_line = true;
    for tok in body {
        if tok.starts_line() && lay.depth == 0 && !line.is_empty() {
            pending = lay.line(&line, pending, &mut first_line, diags);
            line.clear();
        }
        match tok.kind {
            TokenKind::LBrace => lay.depth += 1,
            TokenKind::RBrace => lay.depth = lay.depth.saturating_sub(1),
            _ => {}
        }
        line.push(tok);
    }
    if !line.is_empty() {
        pending = lay.line(&line, pending, &mut first_line, diags);
    }
    if let Some(p) = pending {
        lay.no_body(p, diags);
    }
    let end = lay.out.last().map_or(eof.span.start, |t| t.span.end);
    while let Some(frame) = lay.stack.pop() {
        if frame.kind == FrameKind::Block {
            lay.out.push(virtual_token(TokenKind::RBrace, end));
        }
    }
    lay.out.push(eof);
    if let Some(at) = lay.first_tab {
        let more = lay.tab_lines.saturating_sub(1);
        let mut d = Diagnostic::error(
            Code::TAB_INDENT,
            file,
            Span::new(at, at + 1),
            "tab in indentation",
        )
        .with_label("indent with spaces, not tabs");
        d = if more > 0 {
            d.with_help(format!(
                "indent each level with two spaces ({more} more line{} of this file also start with a tab)",
                if more == 1 { "" } else { "s" }
            ))
        } else {
            d.with_help("indent each level with two spaces")
        };
        diags.push(d);
    }
    lay.out
}

impl Layout<'_> {
    /// The indentation of the line that `tok` starts, in columns. Notes the first tab in it.
    fn indent_of(&mut self, tok: Token) -> u32 {
        let start = tok.span.start as usize;
        let bytes = self.text.as_bytes();
        let line_start = bytes
            .get(..start)
            .and_then(|b| b.iter().rposition(|&c| c == b'\n'))
            .map_or(0, |i| i + 1);
        // A byte order mark before the first line is no indentation.
        let line_start = if line_start == 0 && self.text.starts_with('\u{feff}') {
            3.min(start)
        } else {
            line_start
        };
        let indent = bytes.get(line_start..start).unwrap_or(&[]);
        self.line_has_tab = indent.contains(&b'\t');
        if let Some(tab) = indent.iter().position(|&c| c == b'\t') {
            self.tab_lines += 1;
            if self.first_tab.is_none() {
                self.first_tab = Some((line_start + tab) as u32);
            }
        }
        // Columns: a tab advances to the next multiple of 8 (as in Python), so a tab-indented
        // line still nests the way it looks; the tab itself is reported once.
        indent.iter().fold(0u32, |col, &c| {
            if c == b'\t' {
                (col / 8 + 1).saturating_mul(8)
            } else {
                col.saturating_add(1)
            }
        })
    }

    /// Reports an E0005, unless the line's indentation has a tab (reported once already).
    fn bad_indent(&self, diags: &mut Diagnostics, d: Diagnostic) {
        if !self.line_has_tab {
            diags.push(d);
        }
    }

    fn top(&self) -> Option<Frame> {
        self.stack.last().copied()
    }

    fn end_of_output(&self) -> u32 {
        self.out.last().map_or(0, |t| t.span.end)
    }

    /// Opens the pending header's block: drops the colon if needed and pushes `{`.
    fn open(&mut self, p: Pending, indent: u32, diags: &mut Diagnostics) {
        if p.missing_colon {
            let header_text = self.header_text(p);
            diags.push(
                Diagnostic::error(
                    Code::MISSING_COLON,
                    self.file,
                    Span::empty(p.colon.end),
                    format!("expected `:` at the end of `{header_text}`"),
                )
                .with_label("the indented block below needs a `:` here")
                .with_help(format!("write `{header_text}:`")),
            );
            if p.header == Header::KeepColon {
                self.out.push(virtual_token(TokenKind::Colon, p.colon.end));
            }
        }
        match p.header {
            Header::Plain => {
                self.stack.push(Frame {
                    indent,
                    kind: FrameKind::Flow,
                });
            }
            Header::DropColon | Header::KeepColon | Header::Generic => {
                if p.header == Header::DropColon
                    && self.out.last().map(|t| t.kind) == Some(TokenKind::Colon)
                {
                    self.out.pop();
                }
                let at = self.end_of_output();
                self.out.push(virtual_token(TokenKind::LBrace, at));
                self.stack.push(Frame {
                    indent,
                    kind: FrameKind::Block,
                });
            }
        }
    }

    /// A header with no indented body: reported, and given an empty block so the parser goes on.
    fn no_body(&mut self, p: Pending, diags: &mut Diagnostics) {
        if matches!(p.header, Header::Plain | Header::Generic) || p.missing_colon {
            // `flow X:` with its fields on the header line is the parser's business; a line
            // without `:` and without an indented body is no header at all.
            return;
        }
        let header_text = self.header_text(p);
        diags.push(
            Diagnostic::error(
                Code::MISSING_BLOCK,
                self.file,
                p.colon,
                format!("expected an indented block after `{header_text}`"),
            )
            .with_label("this `:` opens a block")
            .with_help("indent the lines of the block by two more spaces than the header"),
        );
        if p.header == Header::DropColon
            && self.out.last().map(|t| t.kind) == Some(TokenKind::Colon)
        {
            self.out.pop();
        }
        let at = self.end_of_output();
        self.out.push(virtual_token(TokenKind::LBrace, at));
        self.out.push(virtual_token(TokenKind::RBrace, at));
    }

    /// Handles one logical line; returns the header it opens, if any.
    fn line(
        &mut self,
        line: &[Token],
        pending: Option<Pending>,
        first_line: &mut bool,
        diags: &mut Diagnostics,
    ) -> Option<Pending> {
        let Some(&first) = line.first() else {
            return pending;
        };
        let indent = self.indent_of(first);

        if *first_line {
            // The `app Name` line: its body is the rest of the file.
            *first_line = false;
            self.out.extend_from_slice(line);
            let at = self.end_of_output();
            self.out.push(virtual_token(TokenKind::LBrace, at));
            self.stack.push(Frame {
                indent,
                kind: FrameKind::Block,
            });
            self.app_body_unset = true;
            return None;
        }
        if self.app_body_unset {
            // The app's body may itself be indented under `app Name`: its first line says.
            self.app_body_unset = false;
            if let [app] = self.stack.as_mut_slice()
                && indent > app.indent
            {
                app.indent = indent;
            }
        }

        let top = self.top().unwrap_or(Frame {
            indent: 0,
            kind: FrameKind::Block,
        });
        if let Some(p) = pending {
            if indent > top.indent {
                self.open(p, indent, diags);
            } else {
                self.no_body(p, diags);
            }
        } else if indent > top.indent && top.kind != FrameKind::Flow {
            self.bad_indent(
                diags,
                Diagnostic::error(
                    Code::BAD_INDENT,
                    self.file,
                    first.span,
                    "unexpected indentation",
                )
                .with_label("this line is indented, but no block was opened above it")
                .with_help(
                    "only a line ending in `:` (`data Name:`, `fields:`, `if ...:`) opens an \
                     indented block; align this line with the one above (`job`, `workflow` and \
                     `step` take braces: `job Name { ... }`)",
                ),
            );
            self.stack.push(Frame {
                indent,
                kind: FrameKind::Stray,
            });
        }

        // Close every block the line dedents out of (the app's own block stays open).
        let end = self.end_of_output();
        while let Some(top) = self.top() {
            if indent >= top.indent || self.stack.len() == 1 {
                break;
            }
            self.stack.pop();
            if top.kind == FrameKind::Block {
                self.out.push(virtual_token(TokenKind::RBrace, end));
            }
        }
        if let Some(top) = self.top() {
            if indent < top.indent {
                // Dedented past the app's own level: reported once; this becomes the app level.
                if let [app] = self.stack.as_mut_slice() {
                    app.indent = indent;
                }
                if self.dedent_reported {
                    return self.emit(line, first);
                }
                self.dedent_reported = true;
                self.bad_indent(
                    diags,
                    Diagnostic::error(Code::BAD_INDENT, self.file, first.span, "unexpected dedent")
                        .with_label("this line is indented less than the app's declarations")
                        .with_help("indent the declarations of the app alike"),
                );
            } else if indent > top.indent && top.kind != FrameKind::Flow {
                // Dedented to a level between two blocks.
                self.bad_indent(
                    diags,
                    Diagnostic::error(
                        Code::BAD_INDENT,
                        self.file,
                        first.span,
                        "this line's indentation matches no enclosing block",
                    )
                    .with_label("dedented to an unknown level")
                    .with_help("indent it exactly like the lines of the block it belongs to"),
                );
                self.stack.push(Frame {
                    indent,
                    kind: FrameKind::Stray,
                });
            }
        }

        self.emit(line, first)
    }

    /// Emits the line's tokens; returns the header it opens, if any.
    fn emit(&mut self, line: &[Token], first: Token) -> Option<Pending> {
        self.out.extend_from_slice(line);
        if self.top().map(|f| f.kind) == Some(FrameKind::Flow) {
            return None;
        }
        self.header(line)
            .map(|(header, colon, missing_colon)| Pending {
                header,
                first: first.span,
                colon,
                missing_colon,
            })
    }

    /// The header line's text, from its first token to its `:` (or its last token).
    fn header_text(&self, p: Pending) -> &str {
        self.text
            .get(p.first.start as usize..p.colon.end as usize)
            .unwrap_or("")
            .lines()
            .next()
            .unwrap_or("")
    }

    /// Whether the line is a block header: its kind, the span of its `:` (of its last token when
    /// the colon is missing) and whether the colon is missing.
    fn header(&self, line: &[Token]) -> Option<(Header, Span, bool)> {
        let last = line.last()?;
        let first = line.first()?;
        let colon = last.kind == TokenKind::Colon;
        if first.kind != TokenKind::Ident {
            // Any other line ending in `:` with an indented body is read as a block too, so a
            // broken header (`Product:` without `data`) costs one error, not one a line.
            return colon.then_some((Header::Generic, last.span, false));
        }
        // Without the colon, the words of the header still have to be there.
        let len = if colon { line.len() } else { line.len() + 1 };
        let second = line.get(1).map(|t| t.kind);
        if second == Some(TokenKind::Eq) {
            return None; // `if = 1` is an assignment
        }
        let named = len >= 3 && second == Some(TokenKind::Ident);
        let header = match first.text(self.text) {
            "data" | "view" | "action" if named => Header::DropColon,
            "flow" if named && colon => Header::Plain,
            "fields" | "rules" if len == 2 => Header::KeepColon,
            "if" | "for" if len >= 3 => Header::KeepColon,
            "else"
                if colon || len == 2 || line.get(1).is_some_and(|t| t.text(self.text) == "if") =>
            {
                Header::KeepColon
            }
            _ if colon => Header::Generic,
            _ => return None,
        };
        Some((header, last.span, !colon))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lexer::tokenize;

    /// The laid-out token stream as text: virtual braces as `{`/`}`, real tokens as written.
    fn braces(text: &str) -> (String, Vec<crate::Diagnostic>) {
        let mut diags = Diagnostics::new();
        let toks = tokenize(text, FileId(0), &mut diags);
        let (toks, style) = apply(toks, text, FileId(0), &mut diags);
        assert_eq!(style, Style::Indentation);
        let words: Vec<&str> = toks
            .iter()
            .filter(|t| t.kind != TokenKind::Eof)
            .map(|t| {
                if t.is_virtual() {
                    t.kind.punct().unwrap_or("?")
                } else {
                    t.text(text)
                }
            })
            .collect();
        (words.join(" "), diags.into_sorted())
    }

    #[test]
    fn brace_style_is_left_alone() {
        let text = "app A { data B { fields: { x: text } } }";
        let mut diags = Diagnostics::new();
        let toks = tokenize(text, FileId(0), &mut diags);
        let (out, style) = apply(toks.clone(), text, FileId(0), &mut diags);
        assert_eq!(style, Style::Braces);
        assert_eq!(out, toks);
    }

    #[test]
    fn data_view_action() {
        let text = "app Shop\n\ndata P:\n  fields:\n    t: text\n  rules:\n    - \"r\"\n\nview V:\n  list P\n\naction A(t):\n  if t > 1:\n    show V\n  else:\n    show V\n  show V\n";
        let (out, diags) = braces(text);
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(
            out,
            "app Shop { data P { fields : { t : text } rules : { - \"r\" } } \
             view V { list P } \
             action A ( t ) { if t > 1 : { show V } else : { show V } show V } }"
        );
    }

    #[test]
    fn flow_keeps_its_colon_form() {
        let text = "app A\nflow F:\n  from: V\n  trigger: \"t\"\n  steps:\n    - \"a\"\nview V:\n  list X\n";
        let (out, diags) = braces(text);
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(
            out,
            "app A { flow F : from : V trigger : \"t\" steps : - \"a\" view V { list X } }"
        );
    }

    #[test]
    fn explicit_braces_pause_the_layout() {
        let text = "app A\njob J {\n  schedule: every 5 minutes\n    action {\n  ~ \"x\" }\n}\naction B():\n  step s {\n    show V\n  } -> step t {\n  }\n  on error -> B\n";
        let (out, diags) = braces(text);
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(
            out,
            "app A { job J { schedule : every 5 minutes action { ~ \"x\" } } \
             action B ( ) { step s { show V } -> step t { } on error -> B } }"
        );
    }

    #[test]
    fn comments_and_blank_lines_do_not_count() {
        let text = "app A\n\ndata P:\n   \n  // note\n  fields:\n      \n    t: text\n";
        let (out, diags) = braces(text);
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(out, "app A { data P { fields : { t : text } } }");
    }

    #[test]
    fn tab_is_reported_at_the_tab() {
        let text = "app A\ndata P:\n\tfields:\n\t\tt: text\n";
        let (out, diags) = braces(text);
        assert_eq!(out, "app A { data P { fields : { t : text } } }");
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].code, Code::TAB_INDENT);
        assert_eq!(diags[0].span, Span::new(14, 15));
    }

    #[test]
    fn a_tab_after_spaces_nests_as_it_looks() {
        let text = "app A\n\ndata T:\n  fields:\n\ttitle: text\n";
        let (out, diags) = braces(text);
        assert_eq!(out, "app A { data T { fields : { title : text } } }");
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].code, Code::TAB_INDENT);
    }

    #[test]
    fn unexpected_indent_is_one_error() {
        let text = "app A\nview V:\n  list P\n    list Q\n    list R\n  list S\n";
        let (out, diags) = braces(text);
        assert_eq!(diags.len(), 1, "{diags:?}");
        assert_eq!(diags[0].code, Code::BAD_INDENT);
        assert_eq!(diags[0].span, Span::new(27, 31));
        assert_eq!(out, "app A { view V { list P list Q list R list S } }");
    }

    #[test]
    fn header_without_body() {
        let text = "app A\ndata P:\nview V:\n  list P\n";
        let (out, diags) = braces(text);
        assert_eq!(diags.len(), 1, "{diags:?}");
        assert_eq!(diags[0].code, Code::MISSING_BLOCK);
        assert_eq!(out, "app A { data P { } view V { list P } }");
    }

    #[test]
    fn header_without_colon() {
        let text = "app A\ndata P\n  fields\n    a: text\naction X()\n  if a > 1\n    show V\n  else\n    show W\n  show V\n";
        let (out, diags) = braces(text);
        let codes: Vec<_> = diags.iter().map(|d| (d.code, d.span.start)).collect();
        assert_eq!(
            codes,
            [
                (Code::MISSING_COLON, 12),
                (Code::MISSING_COLON, 21),
                (Code::MISSING_COLON, 44),
                (Code::MISSING_COLON, 55),
                (Code::MISSING_COLON, 73),
            ]
        );
        assert_eq!(
            out,
            "app A { data P { fields : { a : text } } action X ( ) { if a > 1 : { show V } \
             else : { show W } show V } }"
        );
        // Not followed by an indented block: no header, nothing to report here.
        let (out, diags) = braces("app A\naction X()\nview V:\n  list P\n");
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(out, "app A { action X ( ) view V { list P } }");
    }

    #[test]
    fn any_colon_line_with_a_body_is_a_block() {
        let text = "app A\nProduct:\n  fields:\n    a: text\nview V:\n  list P\n";
        let (out, diags) = braces(text);
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(
            out,
            "app A { Product : { fields : { a : text } } view V { list P } }"
        );
    }

    #[test]
    fn a_brace_file_missing_the_app_brace_stays_braces() {
        let text = "app A\n  data P { fields: { a: text } }\n}\n";
        let mut diags = Diagnostics::new();
        let toks = tokenize(text, FileId(0), &mut diags);
        assert_eq!(detect_style(&toks, text), Style::Braces);
    }

    #[test]
    fn dedent_to_unknown_level() {
        let text = "app A\naction X():\n    show V\n  show W\n";
        let (_, diags) = braces(text);
        assert_eq!(diags.len(), 1, "{diags:?}");
        assert_eq!(diags[0].code, Code::BAD_INDENT);
    }

    #[test]
    fn byte_order_mark() {
        let text = "\u{feff}app A\nview V:\n  list P\n";
        let (out, diags) = braces(text);
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(out, "app A { view V { list P } }");
    }

    #[test]
    fn stray_lines_still_open_blocks() {
        let text = "app A\naction X():\n  show V\n    if a:\n      show W\n  show V\n";
        let (out, diags) = braces(text);
        assert_eq!(diags.len(), 1, "{diags:?}");
        assert_eq!(diags[0].code, Code::BAD_INDENT);
        assert_eq!(
            out,
            "app A { action X ( ) { show V if a : { show W } show V } }"
        );
    }

    #[test]
    fn app_body_may_be_indented() {
        let text = "app A\n  view V:\n    list P\n  view W:\n    list P\n";
        let (out, diags) = braces(text);
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(out, "app A { view V { list P } view W { list P } }");
        let text = "app A\n  view V:\n    list P\nview W:\n  list P\nview X:\n  list P\n";
        let (_, diags) = braces(text);
        assert_eq!(diags.len(), 1, "{diags:?}");
    }

    #[test]
    fn indented_file() {
        let text = "  app A\n  view V:\n    list P\n";
        let (out, diags) = braces(text);
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(out, "app A { view V { list P } }");
    }
}
