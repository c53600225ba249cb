//! The lexer: a hand-written scanner over bytes.
//!
//! A token is a [`TokenKind`], a few [flags](Token::flags) and a [`Span`]; names, numbers and
//! strings are read back as slices of the source, so lexing never allocates per token (only the
//! token vector grows). Keywords are contextual: every word is an [`TokenKind::Ident`] and the
//! parser decides what it means where it stands.
//!
//! Lexical errors are reported into [`Diagnostics`] and the scanner goes on:
//! - `#` (E0001): reported once, then the rest of the line is skipped as if it were a comment,
//!   so a file written with `#` comments gets one error a comment and no cascade;
//! - any other stray character (E0001): one error for a run of them, and an
//!   [`TokenKind::Unknown`] token so the parser can recover without reporting it again;
//! - an unterminated string (E0002, at the opening quote) becomes a string up to the line end;
//! - an unterminated block comment (E0003, at the `/*`) runs to the end of the file.

use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::span::{FileId, Span};

/// What a token is. Words (keywords included) are all [`TokenKind::Ident`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum TokenKind {
    /// A word: `[_a-zA-Z][_a-zA-Z0-9]*`, keywords included.
    Ident,
    /// `"..."` or `'...'`; the span includes the quotes.
    Str,
    /// `123` or `12.5`.
    Number,
    /// The type token `yes/no`.
    YesNo,
    /// `->`
    Arrow,
    /// `[]` written without a space.
    ListSuffix,
    /// `==`
    EqEq,
    /// `=`
    Eq,
    /// `!=`
    NotEq,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `+`
    Plus,
    /// `-`
    Minus,
    /// `*`
    Star,
    /// `/`
    Slash,
    /// `%`
    Percent,
    /// `~`
    Tilde,
    /// `:`
    Colon,
    /// `,`
    Comma,
    /// `.`
    Dot,
    /// `(`
    LParen,
    /// `)`
    RParen,
    /// `{` (or a virtual one inserted by [`crate::layout`])
    LBrace,
    /// `}` (or a virtual one inserted by [`crate::layout`])
    RBrace,
    /// `[`
    LBracket,
    /// `]`
    RBracket,
    /// Characters that start no token; already reported by the lexer.
    Unknown,
    /// The end of the input (an empty span at the end).
    Eof,
}

impl TokenKind {
    /// The fixed spelling of a punctuation token, `None` for words, literals and `Eof`.
    pub fn punct(self) -> Option<&'static str> {
        use TokenKind::*;
        Some(match self {
            YesNo => "yes/no",
            Arrow => "->",
            ListSuffix => "[]",
            EqEq => "==",
            Eq => "=",
            NotEq => "!=",
            Lt => "<",
            Le => "<=",
            Gt => ">",
            Ge => ">=",
            Plus => "+",
            Minus => "-",
            Star => "*",
            Slash => "/",
            Percent => "%",
            Tilde => "~",
            Colon => ":",
            Comma => ",",
            Dot => ".",
            LParen => "(",
            RParen => ")",
            LBrace => "{",
            RBrace => "}",
            LBracket => "[",
            RBracket => "]",
            Ident | Str | Number | Unknown | Eof => return None,
        })
    }
}

/// One token: kind, flags and the byte span in the source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    /// What the token is.
    pub kind: TokenKind,
    /// [`Token::NEWLINE_BEFORE`] and [`Token::VIRTUAL`].
    pub flags: u8,
    /// Where it is: its bytes in the source (an empty span for a virtual token).
    pub span: Span,
}

impl Token {
    /// A line break (or the start of the file) separates this token from the one before.
    pub const NEWLINE_BEFORE: u8 = 1;
    /// Inserted by the indentation layout; no source text behind it.
    pub const VIRTUAL: u8 = 2;
    /// The lexer reported an error that swallowed text up to this token: an unterminated
    /// string (on the string) or an unterminated block comment (on the `Eof` after it). The
    /// parser stays quiet about what follows from it (a missing `}`, a missing `->`).
    pub const BROKEN: u8 = 4;

    /// A token with no flags.
    pub const fn new(kind: TokenKind, span: Span) -> Self {
        Token {
            kind,
            flags: 0,
            span,
        }
    }

    /// Whether the token starts a line.
    pub fn starts_line(&self) -> bool {
        self.flags & Token::NEWLINE_BEFORE != 0
    }

    /// Whether a lexical error swallowed text up to here (see [`Token::BROKEN`]).
    pub fn is_broken(&self) -> bool {
        self.flags & Token::BROKEN != 0
    }

    /// Whether the layout inserted this token.
    pub fn is_virtual(&self) -> bool {
        self.flags & Token::VIRTUAL != 0
    }

    /// The token's source text (empty for virtual tokens and `Eof`).
    pub fn text<'a>(&self, src: &'a str) -> &'a str {
        if self.is_virtual() {
            return "";
        }
        src.get(self.span.range()).unwrap_or("")
    }
}

/// The largest input the compiler accepts: spans are `u32` byte offsets.
pub const MAX_INPUT_LEN: usize = u32::MAX as usize;

/// Reports E0006 and returns `true` when `len` bytes do not fit in a [`Span`].
pub fn check_len(len: usize, file: FileId, diags: &mut Diagnostics) -> bool {
    if len > MAX_INPUT_LEN {
        diags.push(
            Diagnostic::error(
                Code::TOO_LARGE,
                file,
                Span::empty(0),
                format!("the input is {len} bytes; the largest spec the compiler accepts is {MAX_INPUT_LEN} bytes"),
            )
            .with_help("split the spec into smaller files"),
        );
        return true;
    }
    false
}

/// Scans the whole text. The last token is always [`TokenKind::Eof`].
///
/// An input longer than [`MAX_INPUT_LEN`] yields only `Eof` and an E0006 error.
pub fn tokenize(text: &str, file: FileId, diags: &mut Diagnostics) -> Vec<Token> {
    if check_len(text.len(), file, diags) {
        return vec![Token::new(TokenKind::Eof, Span::empty(0))];
    }
    let mut lexer = Lexer::new(text, file);
    // Roughly one token per five bytes of a typical spec.
    let mut tokens = Vec::with_capacity(text.len() / 5 + 2);
    loop {
        let tok = lexer.next_token(diags);
        tokens.push(tok);
        if tok.kind == TokenKind::Eof {
            break;
        }
    }
    tokens
}

/// A streaming scanner. Use [`tokenize`] for the whole file at once.
#[derive(Debug)]
pub struct Lexer<'a> {
    src: &'a [u8],
    text: &'a str,
    pos: usize,
    file: FileId,
    /// No token was produced yet: the first token counts as starting a line.
    at_start: bool,
    /// The token being scanned swallowed text after an error (see [`Token::BROKEN`]).
    broken: bool,
}

#[inline]
fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

#[inline]
fn is_ident_continue(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

impl<'a> Lexer<'a> {
    /// A scanner over `text`, which must be at most [`MAX_INPUT_LEN`] bytes long (longer input is
    /// treated as empty).
    pub fn new(text: &'a str, file: FileId) -> Self {
        let text = if text.len() > MAX_INPUT_LEN { "" } else { text };
        Lexer {
            src: text.as_bytes(),
            text,
            // A byte order mark is not part of the spec.
            pos: if text.starts_with('\u{feff}') { 3 } else { 0 },
            file,
            at_start: true,
            broken: false,
        }
    }

    #[inline]
    fn peek_at(&self, i: usize) -> u8 {
        self.src.get(i).copied().unwrap_or(0)
    }

    fn span(&self, start: usize, end: usize) -> Span {
        // Both fit: the input length was checked against `u32::MAX`.
        Span::new(start as u32, end as u32)
    }

    /// The byte length of the UTF-8 character starting at `i` (1 for ASCII and stray bytes).
    fn char_len(&self, i: usize) -> usize {
        self.text
            .get(i..)
            .and_then(|s| s.chars().next())
            .map_or(1, char::len_utf8)
    }

    /// Skips whitespace and comments; returns whether a line break was crossed.
    fn skip_trivia(&mut self, diags: &mut Diagnostics) -> bool {
        let mut newline = false;
        loop {
            match self.peek_at(self.pos) {
                b'\n' => {
                    newline = true;
                    self.pos += 1;
                }
                b' ' | b'\t' | b'\r' | b'\x0c' => self.pos += 1,
                b'/' if self.peek_at(self.pos + 1) == b'/' => {
                    self.pos = memchr_newline(self.src, self.pos);
                }
                b'/' if self.peek_at(self.pos + 1) == b'*' => {
                    let start = self.pos;
                    match find_comment_end(self.src, self.pos + 2) {
                        Some((end, nl)) => {
                            newline |= nl;
                            self.pos = end;
                        }
                        None => {
                            diags.push(
                                Diagnostic::error(
                                    Code::UNTERMINATED_COMMENT,
                                    self.file,
                                    self.span(start, start + 2),
                                    "unterminated block comment",
                                )
                                .with_label("this `/*` is never closed")
                                .with_help("close the comment with `*/`"),
                            );
                            self.pos = self.src.len();
                            self.broken = true;
                        }
                    }
                }
                b'#' => {
                    let start = self.pos;
                    diags.push(
                        Diagnostic::error(
                            Code::UNEXPECTED_CHAR,
                            self.file,
                            self.span(start, start + 1),
                            "`#` is not a comment",
                        )
                        .with_label("unexpected `#`")
                        .with_help("ShepLang comments start with `//`"),
                    );
                    // Recover as if it were a comment: one error per `#` line, no cascade.
                    self.pos = memchr_newline(self.src, self.pos);
                }
                _ => return newline,
            }
        }
    }

    /// The next token; [`TokenKind::Eof`] at the end (and on every call after it).
    pub fn next_token(&mut self, diags: &mut Diagnostics) -> Token {
        let newline = self.skip_trivia(diags) || self.at_start;
        self.at_start = false;
        let start = self.pos;
        let kind = self.scan(start, diags);
        let mut flags = if newline { Token::NEWLINE_BEFORE } else { 0 };
        if std::mem::take(&mut self.broken) {
            flags |= Token::BROKEN;
        }
        Token {
            kind,
            flags,
            span: self.span(start, self.pos),
        }
    }

    fn scan(&mut self, start: usize, diags: &mut Diagnostics) -> TokenKind {
        use TokenKind::*;
        let Some(&b) = self.src.get(start) else {
            return Eof;
        };
        let next = self.peek_at(start + 1);
        let (kind, len) = match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'_' => return self.word(start),
            b'0'..=b'9' => return self.number(start),
            b'"' | b'\'' => return self.string(start, b, diags),
            b'-' if next == b'>' => (Arrow, 2),
            b'-' => (Minus, 1),
            b'=' if next == b'=' => (EqEq, 2),
            b'=' => (Eq, 1),
            b'!' if next == b'=' => (NotEq, 2),
            b'<' if next == b'=' => (Le, 2),
            b'<' => (Lt, 1),
            b'>' if next == b'=' => (Ge, 2),
            b'>' => (Gt, 1),
            b'+' => (Plus, 1),
            b'*' => (Star, 1),
            b'/' => (Slash, 1),
            b'%' => (Percent, 1),
            b'~' => (Tilde, 1),
            b':' => (Colon, 1),
            b',' => (Comma, 1),
            b'.' => (Dot, 1),
            b'(' => (LParen, 1),
            b')' => (RParen, 1),
            b'{' => (LBrace, 1),
            b'}' => (RBrace, 1),
            b'[' if next == b']' => (ListSuffix, 2),
            b'[' => (LBracket, 1),
            b']' => (RBracket, 1),
            _ => return self.unknown(start, diags),
        };
        self.pos = start + len;
        kind
    }

    fn word(&mut self, start: usize) -> TokenKind {
        let mut end = start + 1;
        while is_ident_continue(self.peek_at(end)) {
            end += 1;
        }
        // `yes/no` is one token, unless the `no` continues into a longer word (`yes/none`).
        if &self.src[start..end] == b"yes"
            && self.src.get(end..end + 3) == Some(b"/no")
            && !is_ident_continue(self.peek_at(end + 3))
        {
            self.pos = end + 3;
            return TokenKind::YesNo;
        }
        self.pos = end;
        TokenKind::Ident
    }

    fn number(&mut self, start: usize) -> TokenKind {
        let mut end = start + 1;
        while self.peek_at(end).is_ascii_digit() {
            end += 1;
        }
        if self.peek_at(end) == b'.' && self.peek_at(end + 1).is_ascii_digit() {
            end += 2;
            while self.peek_at(end).is_ascii_digit() {
                end += 1;
            }
        }
        self.pos = end;
        TokenKind::Number
    }

    fn string(&mut self, start: usize, quote: u8, diags: &mut Diagnostics) -> TokenKind {
        let mut end = start + 1;
        loop {
            match self.src.get(end) {
                Some(&c) if c == quote => {
                    self.pos = end + 1;
                    return TokenKind::Str;
                }
                Some(b'\n') | None => break,
                Some(_) => end += 1,
            }
        }
        // Unterminated: the string runs to the end of the line (without a `\r`).
        let mut stop = end;
        if stop > start + 1 && self.src.get(stop - 1) == Some(&b'\r') {
            stop -= 1;
        }
        let q = quote as char;
        diags.push(
            Diagnostic::error(
                Code::UNTERMINATED_STRING,
                self.file,
                self.span(start, start + 1),
                "unterminated string",
            )
            .with_label(format!("this `{q}` is never closed on its line"))
            .with_help(format!(
                "close the string with `{q}` before the end of the line (strings cannot span lines)"
            )),
        );
        self.pos = stop;
        self.broken = true;
        TokenKind::Str
    }

    fn unknown(&mut self, start: usize, diags: &mut Diagnostics) -> TokenKind {
        // One token (and one error) for a run of stray characters.
        let mut end = start;
        loop {
            end += self.char_len(end);
            match self.src.get(end) {
                None => break,
                Some(&c) if c.is_ascii() && (starts_token(c) || c.is_ascii_whitespace()) => break,
                Some(_) => {}
            }
        }
        let text = self.text.get(start..end).unwrap_or("");
        let (message, help) = match text.chars().next() {
            Some('!') => (
                "unexpected `!`".to_owned(),
                Some("negate with `not`; compare with `!=`"),
            ),
            Some('&') | Some('|') => (
                format!("unexpected `{}`", text),
                Some("combine conditions with `and` and `or`"),
            ),
            Some('`') => (
                "unexpected backtick".to_owned(),
                Some("quote strings with `\"` or `'`"),
            ),
            Some(c) if !c.is_ascii() && c.is_alphabetic() => (
                format!("unexpected character `{c}`"),
                Some("names use ASCII letters, digits and `_` only"),
            ),
            _ => (format!("unexpected `{}`", text.escape_debug()), None),
        };
        let mut d = Diagnostic::error(
            Code::UNEXPECTED_CHAR,
            self.file,
            self.span(start, end),
            message,
        )
        .with_label("no token starts with this");
        if let Some(help) = help {
            d = d.with_help(help);
        }
        diags.push(d);
        self.pos = end;
        TokenKind::Unknown
    }
}

/// Whether the ASCII byte `c` starts a token or trivia (ends a run of stray characters).
fn starts_token(c: u8) -> bool {
    is_ident_start(c)
        || c.is_ascii_digit()
        || matches!(
            c,
            b'"' | b'\''
                | b'-'
                | b'='
                | b'<'
                | b'>'
                | b'+'
                | b'*'
                | b'/'
                | b'%'
                | b'~'
                | b':'
                | b','
                | b'.'
                | b'('
                | b')'
                | b'{'
                | b'}'
                | b'['
                | b']'
                | b'#'
        )
}

/// The index of the next `\n` at or after `from` (or the end).
fn memchr_newline(src: &[u8], from: usize) -> usize {
    src.get(from..)
        .and_then(|rest| rest.iter().position(|&c| c == b'\n'))
        .map_or(src.len(), |i| from + i)
}

/// The index just past the `*/` closing a block comment whose body starts at `from`, and
/// whether the comment contains a line break. `None` if it is never closed.
fn find_comment_end(src: &[u8], from: usize) -> Option<(usize, bool)> {
    let mut newline = false;
    let mut i = from;
    while i + 1 < src.len() {
        match src[i] {
            b'*' if src[i + 1] == b'/' => return Some((i + 2, newline)),
            b'\n' => newline = true,
            _ => {}
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lex(text: &str) -> (Vec<(TokenKind, &str)>, Vec<Diagnostic>) {
        let mut diags = Diagnostics::new();
        let toks = tokenize(text, FileId(0), &mut diags);
        let out = toks
            .iter()
            .map(|t| (t.kind, t.text(text)))
            .filter(|(k, _)| *k != TokenKind::Eof)
            .collect();
        (out, diags.into_sorted())
    }

    fn kinds(text: &str) -> Vec<TokenKind> {
        lex(text).0.into_iter().map(|(k, _)| k).collect()
    }

    #[test]
    fn words_numbers_strings() {
        use TokenKind::*;
        let (toks, diags) = lex(r#"data Task 12 12.5 "a b" 'c' text_2 _x"#);
        assert!(diags.is_empty());
        assert_eq!(
            toks,
            vec![
                (Ident, "data"),
                (Ident, "Task"),
                (Number, "12"),
                (Number, "12.5"),
                (Str, "\"a b\""),
                (Str, "'c'"),
                (Ident, "text_2"),
                (Ident, "_x"),
            ]
        );
    }

    #[test]
    fn operators() {
        use TokenKind::*;
        assert_eq!(
            kinds("== = != < <= > >= + - * / % ~ : , . ( ) { } [ ] -> []"),
            vec![
                EqEq, Eq, NotEq, Lt, Le, Gt, Ge, Plus, Minus, Star, Slash, Percent, Tilde, Colon,
                Comma, Dot, LParen, RParen, LBrace, RBrace, LBracket, RBracket, Arrow, ListSuffix
            ]
        );
    }

    #[test]
    fn yes_no_is_one_token() {
        use TokenKind::*;
        assert_eq!(kinds("done: yes/no"), vec![Ident, Colon, YesNo]);
        assert_eq!(kinds("yes/none"), vec![Ident, Slash, Ident]);
        assert_eq!(kinds("yes / no"), vec![Ident, Slash, Ident]);
        assert_eq!(kinds("yes/no[]"), vec![YesNo, ListSuffix]);
    }

    #[test]
    fn numbers_have_no_sign_and_no_trailing_dot() {
        use TokenKind::*;
        assert_eq!(kinds("-5"), vec![Minus, Number]);
        assert_eq!(kinds("1.x"), vec![Number, Dot, Ident]);
        assert_eq!(kinds("9am"), vec![Number, Ident]);
    }

    #[test]
    fn comments_and_newline_flags() {
        let mut diags = Diagnostics::new();
        let text = "a // x\n b /* c\n */ c /* d */ d";
        let toks = tokenize(text, FileId(0), &mut diags);
        assert!(diags.is_empty());
        let flags: Vec<bool> = toks.iter().map(Token::starts_line).collect();
        assert_eq!(flags, vec![true, true, true, false, false]);
    }

    #[test]
    fn hash_is_an_error_and_skips_its_line() {
        let (toks, diags) = lex("a # not a comment\nb");
        assert_eq!(toks.len(), 2);
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].code, Code::UNEXPECTED_CHAR);
        assert_eq!(diags[0].span, Span::new(2, 3));
        assert_eq!(
            diags[0].help.as_deref(),
            Some("ShepLang comments start with `//`")
        );
    }

    #[test]
    fn unterminated_string_points_at_the_quote() {
        let (toks, diags) = lex("x \"abc\ny");
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].code, Code::UNTERMINATED_STRING);
        assert_eq!(diags[0].span, Span::new(2, 3));
        assert_eq!(toks[1], (TokenKind::Str, "\"abc"));
        assert_eq!(toks[2], (TokenKind::Ident, "y"));
    }

    #[test]
    fn unterminated_comment_points_at_the_opener() {
        let (toks, diags) = lex("a /* b\n c");
        assert_eq!(toks.len(), 1);
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].code, Code::UNTERMINATED_COMMENT);
        assert_eq!(diags[0].span, Span::new(2, 4));
    }

    #[test]
    fn stray_characters_are_one_error_per_run() {
        let (toks, diags) = lex("a @@ b é€ c");
        assert_eq!(
            toks.iter().map(|t| t.0).collect::<Vec<_>>(),
            vec![
                TokenKind::Ident,
                TokenKind::Unknown,
                TokenKind::Ident,
                TokenKind::Unknown,
                TokenKind::Ident
            ]
        );
        assert_eq!(diags.len(), 2);
        assert_eq!(toks[3].1, "é€");
    }

    #[test]
    fn too_large_is_reported_not_panicked() {
        let mut diags = Diagnostics::new();
        assert!(check_len(MAX_INPUT_LEN + 1, FileId(0), &mut diags));
        assert!(!check_len(MAX_INPUT_LEN, FileId(0), &mut diags));
        let d = diags.into_sorted();
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].code, Code::TOO_LARGE);
    }
}
