//! `sheplang! { app ... }`: the spec text rebuilt from the macro's tokens, with a map from its
//! byte offsets back to the tokens, so that a diagnostic lands on the token it is about.
//!
//! Each token is put back at its line and column (proc macros see token positions since Rust
//! 1.88), so what the ShepLang lexer reads is what the user wrote, spacing included: `yes/no`
//! stays one token and `yes / no` stays three, `->` stays an arrow, `text[]` a list.
//!
//! What cannot survive Rust's tokenizer, and what happens instead:
//! - comments: `//` and `/* */` are gone before the macro runs (which is what they mean);
//!   doc comments (`///`, `//!`) arrive as `#[doc]` attributes and are skipped the same way;
//! - single-quoted strings: Rust rejects `'two words'` before the macro runs; write `"..."`.
//!   A string literal is passed on by value: `r"..."` works, and one holding a `"` is passed
//!   on in single quotes. ShepLang strings have no escapes, so one holding both quotes or a
//!   line break is an error;
//! - a `#` (not a comment in ShepLang either) is an error of Rust's tokenizer only when it is
//!   not followed by brackets; `# [x]` reaches the spec and is reported there;
//! - tokens whose positions are unknown or out of order (made by another macro) are separated
//!   by one space, joining only what the ShepLang lexer reads as one token: `-` `>` with joint
//!   spacing, `==`, `!=`, `<=`, `>=`, `yes` `/` `no`, and brackets with what they follow and
//!   hold (`text[]`, `ref[User]`).

use proc_macro2::{Delimiter, Literal, Spacing, Span, TokenStream, TokenTree};
use sheplang_core::{codegen, compile_str};

use crate::errors::Errors;

/// One token of the rebuilt text: its byte range there and where it came from.
#[derive(Debug, Clone, Copy)]
struct Piece {
    start: usize,
    end: usize,
    span: Span,
}

/// The spec text rebuilt from tokens.
#[derive(Debug)]
pub(crate) struct SpecText {
    pub(crate) text: String,
    pieces: Vec<Piece>,
}

/// A position in the macro's source: line (1-based) and column (0-based, in characters).
type Pos = (usize, usize);

fn start_of(span: Span) -> Pos {
    let lc = span.start();
    (lc.line, lc.column)
}

fn end_of(span: Span) -> Pos {
    let lc = span.end();
    (lc.line, lc.column)
}

/// What the previous token asks of the next one when positions are unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Prev {
    Nothing,
    /// A word, a literal or a closing delimiter: a `[...]` right after it is glued.
    Word,
    /// The word `yes`.
    Yes,
    /// `yes` then `/`.
    YesSlash,
    /// A punctuation char with joint spacing.
    Joint(char),
    /// An opening `[`: the next token is glued to it.
    Open,
    Other,
}

struct Writer {
    text: String,
    pieces: Vec<Piece>,
    /// Where the last token ended in the macro's source, when positions are usable.
    cursor: Option<Pos>,
    prev: Prev,
    errors: Errors,
}

impl SpecText {
    /// Rebuilds the spec text from the macro's input.
    ///
    /// # Errors
    /// A string literal that cannot be written in ShepLang (see the module documentation).
    pub(crate) fn from_tokens(tokens: TokenStream) -> Result<SpecText, syn::Error> {
        let mut w = Writer {
            text: String::new(),
            pieces: Vec::new(),
            cursor: None,
            prev: Prev::Nothing,
            errors: Errors::new(),
        };
        w.stream(tokens);
        w.errors.finish()?;
        Ok(SpecText {
            text: w.text,
            pieces: w.pieces,
        })
    }

    /// The first and last token behind the byte range `start..end` of the text. An empty range
    /// (something missing) maps to the token at or after it, or to the last token.
    pub(crate) fn spans(&self, start: usize, end: usize) -> (Span, Span) {
        let Some(last_piece) = self.pieces.last() else {
            return (Span::call_site(), Span::call_site());
        };
        let first = self
            .pieces
            .iter()
            .position(|p| p.end > start)
            .unwrap_or(self.pieces.len() - 1);
        let last = if end > start {
            self.pieces
                .iter()
                .rposition(|p| p.start < end)
                .map_or(first, |i| i.max(first))
        } else {
            first
        };
        let first_span = self.pieces[first].span;
        let last_span = self.pieces.get(last).map_or(last_piece.span, |p| p.span);
        (first_span, last_span)
    }
}

impl Writer {
    fn stream(&mut self, tokens: TokenStream) {
        let mut iter = tokens.into_iter().peekable();
        while let Some(tt) = iter.next() {
            // Doc comments (`///`, `//!`) arrive as `#[doc = "..."]` / `#![doc = "..."]`.
            if let TokenTree::Punct(p) = &tt
                && p.as_char() == '#'
            {
                let mut ahead = iter.clone();
                let bang = matches!(ahead.peek(), Some(TokenTree::Punct(b)) if b.as_char() == '!');
                if bang {
                    ahead.next();
                }
                if let Some(TokenTree::Group(g)) = ahead.peek()
                    && is_doc_attribute(g.delimiter(), g.stream())
                {
                    if bang {
                        iter.next();
                    }
                    iter.next();
                    continue;
                }
            }
            self.tree(tt);
        }
    }

    fn tree(&mut self, tt: TokenTree) {
        match tt {
            TokenTree::Group(g) => {
                let (open, close) = match g.delimiter() {
                    Delimiter::Brace => ("{", "}"),
                    Delimiter::Bracket => ("[", "]"),
                    Delimiter::Parenthesis => ("(", ")"),
                    Delimiter::None => {
                        self.stream(g.stream());
                        return;
                    }
                };
                // `text[]`, `ref[User]`: brackets hug what they follow and what they hold.
                let bracket = g.delimiter() == Delimiter::Bracket;
                let glue = bracket && self.prev == Prev::Word;
                let after_open = if bracket { Prev::Open } else { Prev::Other };
                self.piece(open, g.span_open(), glue, after_open);
                self.stream(g.stream());
                self.piece(close, g.span_close(), bracket, Prev::Word);
            }
            TokenTree::Ident(ident) => {
                let name = ident.to_string();
                let name = name.strip_prefix("r#").unwrap_or(&name).to_owned();
                let glue = (self.prev == Prev::YesSlash && name == "no") || self.prev == Prev::Open;
                let next = if name == "yes" { Prev::Yes } else { Prev::Word };
                self.piece(&name, ident.span(), glue, next);
            }
            TokenTree::Punct(p) => {
                let c = p.as_char();
                let glue = match self.prev {
                    Prev::Open => true,
                    Prev::Joint('-') => c == '>',
                    Prev::Joint('=' | '!' | '<' | '>') => c == '=',
                    Prev::Yes => c == '/',
                    _ => false,
                };
                let next = if self.prev == Prev::Yes && c == '/' {
                    Prev::YesSlash
                } else if p.spacing() == Spacing::Joint {
                    Prev::Joint(c)
                } else {
                    Prev::Other
                };
                let mut buf = [0u8; 4];
                self.piece(c.encode_utf8(&mut buf), p.span(), glue, next);
            }
            TokenTree::Literal(lit) => {
                let span = lit.span();
                match spec_literal(&lit) {
                    Ok(text) => self.piece(&text, span, self.prev == Prev::Open, Prev::Word),
                    Err(message) => self.errors.at(span, message),
                }
            }
        }
    }

    /// Appends one token, placed after the previous one as in the macro's source when both
    /// positions are known and in order, else after one space (none when `glue`).
    fn piece(&mut self, text: &str, span: Span, glue: bool, next: Prev) {
        let start = start_of(span);
        let end = end_of(span);
        // A real token has a width; a zero-width span was made by a macro, not read from source.
        let known = start.0 > 0 && end > start;
        let placed = match self.cursor {
            Some(cursor) if known && start >= cursor => {
                if start.0 > cursor.0 {
                    for _ in cursor.0..start.0 {
                        self.text.push('\n');
                    }
                    self.text.extend(std::iter::repeat_n(' ', start.1));
                } else {
                    self.text
                        .extend(std::iter::repeat_n(' ', start.1 - cursor.1));
                }
                true
            }
            None if known => {
                // The first token starts the text.
                true
            }
            _ => false,
        };
        if !placed && !glue && !self.text.is_empty() {
            self.text.push(' ');
        }
        self.cursor = placed.then_some(end);
        let from = self.text.len();
        self.text.push_str(text);
        self.pieces.push(Piece {
            start: from,
            end: self.text.len(),
            span,
        });
        self.prev = next;
    }
}

/// `[doc = "..."]` (the body of a doc comment's attribute).
fn is_doc_attribute(delimiter: Delimiter, stream: TokenStream) -> bool {
    delimiter == Delimiter::Bracket
        && matches!(stream.into_iter().next(), Some(TokenTree::Ident(i)) if i == "doc")
}

/// The ShepLang spelling of a Rust literal.
fn spec_literal(lit: &Literal) -> Result<String, String> {
    let token = TokenStream::from(TokenTree::Literal(lit.clone()));
    match syn::parse2::<syn::Lit>(token) {
        Ok(syn::Lit::Str(s)) => {
            let value = s.value();
            if value.contains(['\n', '\r']) {
                Err(
                    "a ShepLang string cannot hold a line break\nhelp: write the text on one line"
                        .to_owned(),
                )
            } else if !value.contains('"') {
                Ok(format!("\"{value}\""))
            } else if !value.contains('\'') {
                Ok(format!("'{value}'"))
            } else {
                Err(
                    "a ShepLang string cannot hold both `\"` and `'` (it has no escapes)\n\
                     help: keep one kind of quote inside the text"
                        .to_owned(),
                )
            }
        }
        Ok(syn::Lit::Char(c)) => Ok(format!("'{}'", c.value())),
        Ok(syn::Lit::Int(_) | syn::Lit::Float(_)) => Ok(lit.to_string()),
        _ => Err(format!(
            "`{lit}` is not a ShepLang literal\nhelp: ShepLang has numbers (`12`, `12.5`) and \
             strings (`\"text\"`)"
        )),
    }
}

/// The expansion of `sheplang! { app ... }`: the generated items, or every spec error as a
/// `compile_error!` on its token.
pub(crate) fn expand(tokens: TokenStream) -> TokenStream {
    let spec = match SpecText::from_tokens(tokens) {
        Ok(spec) => spec,
        Err(e) => return e.into_compile_error(),
    };
    if spec.text.trim().is_empty() {
        return syn::Error::new(
            Span::call_site(),
            "`sheplang!` needs a spec\nhelp: write one inline, `sheplang! { app Name { ... } }`, \
             or name a file, `sheplang! { file = \"specs/app.shep\" }`",
        )
        .into_compile_error();
    }
    let (_, result) = compile_str("inline spec", &spec.text);
    match result {
        Ok(compiled) => codegen::rust::tokens(&compiled.spec),
        Err(diagnostics) => {
            let mut errors = Errors::new();
            for d in diagnostics.iter().filter(|d| d.is_error()) {
                let (first, last) = spec.spans(d.span.start as usize, d.span.end as usize);
                errors.between(first, last, d.short());
            }
            if errors.is_empty() {
                // Not reachable: a failed compile has an error. Never expand to nothing silently.
                errors.at(Span::call_site(), "the spec does not compile");
            }
            errors.into_tokens()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;
    use std::str::FromStr;

    fn text(src: &str) -> String {
        SpecText::from_tokens(TokenStream::from_str(src).expect("tokens"))
            .expect("a spec text")
            .text
    }

    #[test]
    fn keeps_the_layout() {
        let src = "app A {\n  data T { fields: { ok: yes/no  tags: text[] } states: a -> b }\n}";
        assert_eq!(text(src), src);
    }

    #[test]
    fn keeps_spaced_tokens_apart() {
        assert_eq!(text("x = yes / no"), "x = yes / no");
        assert_eq!(text("a - > b"), "a - > b");
    }

    #[test]
    fn spaces_tokens_without_positions() {
        // Tokens made by a macro have no source positions: one space apart, joined where the
        // ShepLang lexer reads one token.
        let tokens = quote! {
            app A { data T { fields: { ok: yes/no tags: text[] owner: ref[T] } states: a -> b } }
        };
        let text = SpecText::from_tokens(tokens).expect("a spec text").text;
        assert_eq!(
            text,
            "app A { data T { fields : { ok : yes/no tags : text[] owner : ref[T] } \
             states : a -> b } }"
        );
        let (_, result) = compile_str("inline spec", &text);
        assert!(result.is_ok(), "{text}");
    }

    #[test]
    fn skips_doc_comments() {
        assert_eq!(text("/// about\napp A {}").trim(), "app A {}");
    }

    #[test]
    fn passes_strings_by_value() {
        assert_eq!(text(r#"r"a b""#), "\"a b\"");
        assert_eq!(text(r#""say \"hi\"""#), "'say \"hi\"'");
        assert!(SpecText::from_tokens(TokenStream::from_str(r#""a\"'b""#).unwrap()).is_err());
    }

    #[test]
    fn maps_offsets_to_tokens() {
        let spec = SpecText::from_tokens(TokenStream::from_str("app A { x }").unwrap()).unwrap();
        let at = spec.text.find('x').unwrap();
        let (first, _) = spec.spans(at, at + 1);
        assert_eq!(first.start().column, 8);
        // Past the end: the last token.
        let (first, _) = spec.spans(spec.text.len(), spec.text.len());
        assert_eq!(first.start().column, 10);
    }
}
