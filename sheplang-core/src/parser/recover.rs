//! Error recovery: where to resume after an error, and whether a brace is missing.

use super::{DECL_KEYWORDS, PResult, Parser};
use crate::lexer::{Token, TokenKind};
use crate::span::Span;

impl Parser<'_, '_> {
    /// Whether a `{` is missing right here: more unmatched `}` follow than blocks are open, so
    /// the `}` of the block that should start here is still to come.
    pub(super) fn missing_open_here(&mut self) -> bool {
        let (depth, unmatched) = self.braces.get_or_insert_with(|| {
            let delta = |t: &Token| match t.kind {
                TokenKind::LBrace => 1i32,
                TokenKind::RBrace => -1,
                _ => 0,
            };
            let mut depth = Vec::with_capacity(self.toks.len() + 1);
            let mut d = 0i32;
            for t in &self.toks {
                depth.push(d);
                d = d.saturating_add(delta(t));
            }
            depth.push(d);
            let mut unmatched = vec![0u32; self.toks.len() + 1];
            for (i, t) in self.toks.iter().enumerate().rev() {
                let after = i64::from(unmatched[i + 1]);
                unmatched[i] = u32::try_from((after - i64::from(delta(t))).max(0)).unwrap_or(0);
            }
            (depth, unmatched)
        });
        let here = self.pos;
        match (depth.get(here), unmatched.get(here)) {
            (Some(&d), Some(&u)) => i64::from(u) > i64::from(d),
            _ => false,
        }
    }

    /// Reports a missing `{` (`expected`) and, when the block's `}` is still to come, goes on
    /// as if it were there.
    pub(super) fn missing_open(&mut self, expected: &str, help: Option<String>) -> PResult<Token> {
        let bail = self.expected(expected, help);
        if self.missing_open_here() {
            return Ok(Token {
                kind: TokenKind::LBrace,
                flags: Token::VIRTUAL,
                span: Span::empty(self.prev_end()),
            });
        }
        Err(bail)
    }

    /// `data Name`, `view Name`, ... : a declaration starts here.
    pub(super) fn at_decl_start(&self) -> bool {
        self.word().is_some_and(|w| DECL_KEYWORDS.contains(&w))
            && self.nth_is(1, TokenKind::Ident)
            && !self.nth(1).starts_line()
    }

    /// A declaration starts on a new line: inside a declaration this means its `}` is missing.
    pub(super) fn at_new_decl_line(&self) -> bool {
        self.peek().starts_line() && self.at_decl_start()
    }

    /// After an error in a declaration's header: skips the rest of the header line. Returns
    /// whether the body's `{` is next.
    pub(super) fn skip_header_rest(&mut self) -> bool {
        let start = self.pos;
        loop {
            let stop = matches!(
                self.kind(),
                TokenKind::Eof | TokenKind::LBrace | TokenKind::RBrace
            ) || (self.pos > start && self.peek().starts_line());
            if stop {
                break;
            }
            self.bump();
        }
        self.at(TokenKind::LBrace)
    }

    /// Skips the current token, or the whole `{ ... }` group it opens.
    pub(super) fn skip_tree(&mut self) {
        match self.kind() {
            TokenKind::Eof | TokenKind::RBrace => {}
            TokenKind::LBrace => {
                self.bump();
                let mut depth = 1u32;
                while depth > 0 {
                    match self.bump().kind {
                        TokenKind::Eof => return,
                        TokenKind::LBrace => depth += 1,
                        TokenKind::RBrace => depth -= 1,
                        _ => {}
                    }
                }
            }
            _ => {
                self.bump();
            }
        }
    }

    /// After a [`Bail`](super::Bail) in an item that began at token `start`: skips to the next place where
    /// `stop` holds (outside nested braces), to the `}` that closes the current block, to a
    /// new declaration line, or to the end. Always makes progress.
    pub(super) fn recover(&mut self, start: usize, stop: fn(&Self) -> bool) {
        if self.pos == start {
            self.skip_tree();
        }
        let mut depth = 0u32;
        loop {
            let kind = self.kind();
            if kind == TokenKind::Eof {
                return;
            }
            if depth == 0 && (kind == TokenKind::RBrace || stop(self) || self.at_new_decl_line()) {
                return;
            }
            match kind {
                TokenKind::LBrace => depth += 1,
                TokenKind::RBrace => depth = depth.saturating_sub(1),
                _ => {}
            }
            self.bump();
        }
    }
}

/// At most 40 characters of `s`, with `...` when cut.
pub(super) fn truncate(s: &str) -> String {
    match s.char_indices().nth(40) {
        Some((i, _)) => format!("{}...", s.get(..i).unwrap_or("")),
        None => s.to_owned(),
    }
}

/// The candidate closest to `word`, for "did you mean" hints: [`crate::suggest::closest`].
pub(super) fn closest<'k>(word: &str, candidates: &[&'k str]) -> Option<&'k str> {
    crate::suggest::closest(word, candidates.iter().copied())
}
