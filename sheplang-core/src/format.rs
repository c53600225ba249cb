//! The formatter: one canonical layout for each style (braces and indentation).
//!
//! It prints the lexer's tokens again, each with its own source text, so no literal, name or
//! operator can change; only the whitespace between them and the place of line breaks do. The
//! syntax tree says where an item starts (a declaration, a field, a statement, a view item, a
//! workflow state or event); every item starts a line, indented two spaces a block. Comments
//! are kept where they were: a comment on its own line stays on its own line (indented like the
//! code after it), a comment after code stays after that code.
//!
//! The canonical layout, in short:
//! - brace style: `{` ends its line, `}` starts one (`{}` for an empty block), `} else` and
//!   `} -> step` stay on the `}` line; one blank line between declarations, at most one blank
//!   line kept between the items of a block;
//! - indentation style: the app's declarations at column 0, every block two spaces deeper than
//!   its header; a line break of the source is kept (it is syntax there), a new one is added
//!   before every item, as in the brace style;
//! - single spaces between tokens, none before `,` `:` `.` `)` `]` `[]`, none after `(` `[` `.`,
//!   none inside a constraint (`min=0`), a call (`now()`) or `ref[User]`;
//! - flows: `from:`, `trigger:` and `steps:` one level under `flow`, each `- "step"` two.
//!
//! A file with syntax errors is not formatted (the errors are returned). Before returning, the
//! result is lexed and laid out again and compared with the input: the same tokens (the layout's
//! virtual braces included) and the same comments, or an [`FormatError::Unstable`] instead of a
//! changed spec.

use std::collections::HashMap;

use crate::ast::{self, Decl, Expr, ExprKind, Stmt, StmtKind, Style};
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::lexer::{self, Token, TokenKind};
use crate::span::{FileId, SourceMap, Span};

/// Why a file was not formatted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormatError {
    /// The file has syntax errors (every diagnostic of the parse, errors and warnings).
    Syntax(Vec<Diagnostic>),
    /// The formatter's result would not have meant the same spec (a bug in the formatter): the
    /// message says what differed. The file is left as it is.
    Unstable(String),
}

impl std::fmt::Display for FormatError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FormatError::Syntax(d) => {
                let n = d.iter().filter(|d| d.is_error()).count();
                write!(
                    f,
                    "the file has {n} syntax error{}; fix {} first",
                    if n == 1 { "" } else { "s" },
                    if n == 1 { "it" } else { "them" }
                )
            }
            FormatError::Unstable(what) => write!(
                f,
                "the formatter could not keep the spec's meaning ({what}); the file is left as it is"
            ),
        }
    }
}

impl std::error::Error for FormatError {}

/// Formats one file of a [`SourceMap`] in its own style.
pub fn format_file(sources: &SourceMap, file: FileId) -> Result<String, FormatError> {
    let text = sources.get(file).text();
    let (tree, diags) = crate::parse(sources, file);
    if diags.iter().any(Diagnostic::is_error) {
        return Err(FormatError::Syntax(diags));
    }
    let out = Printer::new(text, file, &tree).print();
    verify(text, &out, file)?;
    Ok(out)
}

/// Formats a spec given as text (named `name` in diagnostics).
pub fn format_str(name: &str, text: &str) -> Result<String, FormatError> {
    let mut sources = SourceMap::new();
    let file = sources.add(name, text);
    format_file(&sources, file)
}

/// One comment and what surrounds it in the source.
#[derive(Debug, Clone, Copy)]
struct Comment {
    span: Span,
    /// A `//` comment (it ends its line).
    line: bool,
    /// A line break (or the start of the file) comes before it: it stands on its own line.
    own_line: bool,
    /// An empty line comes before it.
    blank_before: bool,
}

/// The comments and line breaks in front of every token.
fn trivia(text: &str, tokens: &[Token]) -> (Vec<Vec<Comment>>, Vec<u32>) {
    let bytes = text.as_bytes();
    let mut comments = vec![Vec::new(); tokens.len()];
    let mut newlines = vec![0u32; tokens.len()];
    let mut pos = if text.starts_with('\u{feff}') { 3 } else { 0 };
    for (i, tok) in tokens.iter().enumerate() {
        let end = tok.span.start as usize;
        let mut nl = 0u32;
        let mut at_start = i == 0;
        while pos < end {
            match bytes[pos] {
                b'\n' => {
                    nl += 1;
                    pos += 1;
                }
                b'/' if bytes.get(pos + 1) == Some(&b'/') => {
                    let stop = bytes[pos..end]
                        .iter()
                        .position(|&c| c == b'\n')
                        .map_or(end, |n| pos + n);
                    comments[i].push(Comment {
                        span: Span::new(pos as u32, stop as u32),
                        line: true,
                        own_line: nl > 0 || at_start,
                        blank_before: nl > 1,
                    });
                    pos = stop;
                    nl = 0;
                    at_start = false;
                }
                b'/' if bytes.get(pos + 1) == Some(&b'*') => {
                    let stop = text[pos + 2..end]
                        .find("*/")
                        .map_or(end, |n| pos + 2 + n + 2);
                    comments[i].push(Comment {
                        span: Span::new(pos as u32, stop as u32),
                        line: false,
                        own_line: nl > 0 || at_start,
                        blank_before: nl > 1,
                    });
                    pos = stop;
                    nl = 0;
                    at_start = false;
                }
                _ => pos += 1,
            }
        }
        newlines[i] = nl;
        pos = pos.max(tok.span.end as usize);
    }
    (comments, newlines)
}

/// What the syntax tree says about the tokens.
#[derive(Default)]
struct Marks {
    /// Starts an item: breaks the line before it.
    line_start: Vec<bool>,
    /// Extra indentation of a line it starts (the lines of a `flow`).
    extra: Vec<u8>,
    /// Starts a declaration (one blank line before it).
    decl_start: Vec<bool>,
    /// No space before it.
    glue_before: Vec<bool>,
    /// No space after it.
    glue_after: Vec<bool>,
}

struct Printer<'a> {
    text: &'a str,
    tokens: Vec<Token>,
    /// Virtual braces of the indentation layout in front of each token: `true` opens.
    virtuals: Vec<Vec<bool>>,
    style: Style,
    by_start: HashMap<u32, usize>,
    marks: Marks,
}

impl<'a> Printer<'a> {
    fn new(text: &'a str, file: FileId, tree: &ast::File<'a>) -> Self {
        let mut sink = Diagnostics::new();
        let tokens = lexer::tokenize(text, file, &mut sink);
        let n = tokens.len();
        let mut virtuals = vec![Vec::new(); n];
        if tree.style == Style::Indentation {
            let (laid, _) = crate::layout::apply(tokens.clone(), text, file, &mut sink);
            // A virtual brace goes in front of the next real token the parser reads (a colon
            // the layout dropped stays on the header line).
            let mut j = 0;
            let mut pending = Vec::new();
            for t in laid {
                if t.is_virtual() {
                    if matches!(t.kind, TokenKind::LBrace | TokenKind::RBrace) {
                        pending.push(t.kind == TokenKind::LBrace);
                    }
                    continue;
                }
                while j + 1 < n && tokens[j].span != t.span {
                    j += 1;
                }
                virtuals[j].append(&mut pending);
                j += 1;
            }
            if let Some(last) = virtuals.last_mut() {
                last.append(&mut pending);
            }
        }
        let by_start = tokens
            .iter()
            .enumerate()
            .filter(|(_, t)| t.kind != TokenKind::Eof)
            .map(|(i, t)| (t.span.start, i))
            .collect();
        let mut p = Printer {
            text,
            tokens,
            virtuals,
            style: tree.style,
            by_start,
            marks: Marks {
                line_start: vec![false; n],
                extra: vec![0; n],
                decl_start: vec![false; n],
                glue_before: vec![false; n],
                glue_after: vec![false; n],
            },
        };
        if let Some(app) = &tree.app {
            p.mark_app(app);
        }
        if p.style == Style::Indentation {
            // A line break outside explicit braces is syntax: keep every one.
            let mut depth = 0u32;
            for i in 0..n {
                let t = p.tokens[i];
                if depth == 0 && t.starts_line() {
                    p.marks.line_start[i] = true;
                }
                match t.kind {
                    TokenKind::LBrace => depth += 1,
                    TokenKind::RBrace => depth = depth.saturating_sub(1),
                    _ => {}
                }
            }
        }
        p
    }

    fn idx(&self, span: Span) -> Option<usize> {
        self.by_start.get(&span.start).copied()
    }

    fn start_line(&mut self, span: Span) {
        if let Some(i) = self.idx(span) {
            self.marks.line_start[i] = true;
        }
    }

    /// Marks the token `back` tokens before the one at `span` as a line start.
    fn start_line_before(&mut self, span: Span, back: usize) {
        if let Some(i) = self.idx(span).and_then(|i| i.checked_sub(back)) {
            self.marks.line_start[i] = true;
        }
    }

    fn word_at(&self, i: usize) -> Option<&'a str> {
        let t = self.tokens.get(i)?;
        (t.kind == TokenKind::Ident).then(|| t.text(self.text))
    }

    fn kind_at(&self, i: usize) -> Option<TokenKind> {
        self.tokens.get(i).map(|t| t.kind)
    }

    /// The token range `[first, last]` of a span.
    fn range(&self, span: Span) -> Option<(usize, usize)> {
        let first = self.idx(span)?;
        let mut last = first;
        while last + 1 < self.tokens.len()
            && self.tokens[last + 1].kind != TokenKind::Eof
            && self.tokens[last + 1].span.end <= span.end
        {
            last += 1;
        }
        Some((first, last))
    }

    fn mark_app(&mut self, app: &ast::App<'a>) {
        for decl in &app.decls {
            let span = decl_span(decl);
            self.start_line(span);
            if let Some(i) = self.idx(span) {
                self.marks.decl_start[i] = true;
            }
            match decl {
                Decl::Data(d) => self.mark_data(d),
                Decl::View(v) => {
                    for item in &v.items {
                        match item {
                            ast::ViewItem::List(m) => self.start_line_before(m.span, 1),
                            ast::ViewItem::Button { label, .. } => {
                                self.start_line_before(label.span, 1)
                            }
                        }
                    }
                }
                Decl::Action(a) => {
                    if let Some(i) = self.idx(a.name.span)
                        && self.kind_at(i + 1) == Some(TokenKind::LParen)
                    {
                        self.marks.glue_before[i + 1] = true;
                    }
                    self.mark_stmts(&a.body);
                }
                Decl::Flow(f) => self.mark_flow(f),
                Decl::Job(j) => self.mark_job(j),
                Decl::Workflow(w) => {
                    for state in &w.states {
                        self.start_line_before(state.name.span, 1);
                        for event in &state.events {
                            self.start_line_before(event.name.span, 1);
                            if let Some(g) = &event.guard {
                                self.mark_expr(g);
                            }
                        }
                    }
                }
            }
        }
    }

    fn mark_data(&mut self, d: &ast::Data<'a>) {
        let Some((first, last)) = self.range(d.span) else {
            return;
        };
        // `fields:`, `states:`, `rules:` and each field are `name :`; each rule is `- "..."`.
        // The declaration's own `Name :` (indentation style) is its header.
        let mut in_constraint = vec![false; self.tokens.len()];
        for field in &d.fields {
            for c in &field.constraints {
                if let Some((a, b)) = self.range(c.span) {
                    for (k, slot) in in_constraint.iter_mut().enumerate().take(b + 1).skip(a) {
                        *slot = true;
                        if k > a {
                            self.marks.glue_before[k] = true;
                        }
                    }
                }
            }
        }
        let name = self.idx(d.name.span).unwrap_or(first);
        for (i, &constraint) in in_constraint
            .iter()
            .enumerate()
            .take(last + 1)
            .skip(name + 1)
        {
            let t = self.tokens[i];
            if constraint {
                continue;
            }
            let named = t.kind == TokenKind::Ident && self.kind_at(i + 1) == Some(TokenKind::Colon);
            let rule = t.kind == TokenKind::Minus;
            if named || rule {
                self.marks.line_start[i] = true;
            }
        }
    }

    fn mark_flow(&mut self, f: &ast::Flow<'a>) {
        let Some((_, last)) = self.range(f.span) else {
            return;
        };
        let Some(name) = self.idx(f.name.span) else {
            return;
        };
        // `flow Name :` then its lines.
        for i in name + 2..=last {
            self.marks.extra[i] = 1;
            let t = self.tokens[i];
            let key = matches!(self.word_at(i), Some("from" | "trigger" | "steps"))
                && self.kind_at(i + 1) == Some(TokenKind::Colon)
                && (i == name + 2 || self.kind_at(i - 1) != Some(TokenKind::Colon));
            if key {
                self.marks.line_start[i] = true;
            } else if t.kind == TokenKind::Minus {
                self.marks.line_start[i] = true;
                self.marks.extra[i] = 2;
            }
        }
    }

    fn mark_job(&mut self, j: &ast::Job<'a>) {
        let Some((first, last)) = self.range(j.span) else {
            return;
        };
        let name = self.idx(j.name.span).unwrap_or(first);
        // `schedule:`, `trigger:`, `delay:` and `action {` at the job's own level.
        let mut depth = 0i32;
        for i in name + 1..=last {
            match self.tokens[i].kind {
                TokenKind::LBrace => depth += 1,
                TokenKind::RBrace => depth -= 1,
                TokenKind::Ident if depth == 1 => {
                    let next = self.kind_at(i + 1);
                    let item = next == Some(TokenKind::Colon)
                        || (self.word_at(i) == Some("action") && next == Some(TokenKind::LBrace));
                    if item {
                        self.marks.line_start[i] = true;
                    }
                }
                _ => {}
            }
        }
        self.mark_stmts(&j.body);
    }

    fn mark_stmts(&mut self, stmts: &[Stmt<'a>]) {
        for s in stmts {
            self.start_line(s.span);
            self.mark_stmt(s);
        }
    }

    fn mark_stmt(&mut self, s: &Stmt<'a>) {
        match &s.kind {
            StmtKind::Add { values, .. } => {
                for v in values {
                    if let Some(e) = &v.value {
                        self.mark_expr(e);
                    }
                }
            }
            StmtKind::Call { args, .. } => {
                for e in args {
                    self.mark_expr(e);
                }
            }
            StmtKind::Update { filter, set, .. } => {
                self.mark_expr(filter);
                for a in set {
                    self.mark_expr(&a.value);
                }
            }
            StmtKind::Delete { filter, .. } => self.mark_expr(filter),
            StmtKind::If {
                branches,
                otherwise,
            } => {
                for (cond, body) in branches {
                    self.mark_expr(cond);
                    self.mark_stmts(body);
                }
                if let Some(body) = otherwise {
                    self.mark_stmts(body);
                }
            }
            StmtKind::ForIn { iter, body, .. } => {
                self.mark_expr(iter);
                self.mark_stmts(body);
            }
            StmtKind::ForRange { from, to, body, .. } => {
                self.mark_expr(from);
                self.mark_expr(to);
                self.mark_stmts(body);
            }
            StmtKind::Assign(a) => self.mark_expr(&a.value),
            StmtKind::Steps { steps, on_error } => {
                for step in steps {
                    self.mark_stmts(&step.body);
                }
                if let Some(action) = on_error {
                    // `on error -> Action`
                    self.start_line_before(action.span, 3);
                }
            }
            StmtKind::Show { .. } | StmtKind::Load { .. } | StmtKind::Note(_) => {}
        }
    }

    fn mark_expr(&mut self, e: &Expr<'a>) {
        match &e.kind {
            ExprKind::Field(inner, _) => self.mark_expr(inner),
            ExprKind::Call(name, args) => {
                if let Some(i) = self.idx(name.span)
                    && self.kind_at(i + 1) == Some(TokenKind::LParen)
                {
                    self.marks.glue_before[i + 1] = true;
                }
                for a in args {
                    self.mark_expr(a);
                }
            }
            ExprKind::Unary(op, inner) => {
                if *op == ast::UnaryOp::Neg
                    && let Some(i) = self.idx(e.span)
                {
                    self.marks.glue_after[i] = true;
                }
                self.mark_expr(inner);
            }
            ExprKind::Binary(_, a, b) => {
                self.mark_expr(a);
                self.mark_expr(b);
            }
            ExprKind::Paren(inner) => self.mark_expr(inner),
            ExprKind::Num(_)
            | ExprKind::Str(_)
            | ExprKind::Bool(_)
            | ExprKind::Name(_)
            | ExprKind::Error => {}
        }
    }

    fn glued(&self, prev: usize, cur: usize) -> bool {
        use TokenKind::*;
        let (p, c) = (self.tokens[prev].kind, self.tokens[cur].kind);
        matches!(
            c,
            Comma | Colon | Dot | RParen | RBracket | ListSuffix | LBracket
        ) || matches!(p, LParen | LBracket | Dot)
            || self.marks.glue_before[cur]
            || self.marks.glue_after[prev]
    }

    fn print(self) -> String {
        let (comments, newlines) = trivia(self.text, &self.tokens);
        let mut w = Writer::default();
        if self.text.starts_with('\u{feff}') {
            w.out.push('\u{feff}');
        }
        let mut depth: i32 = 0;
        let mut need_newline = false;
        // The last printed token opened a block (no blank line right after it).
        let mut after_open = true;
        let mut prev: Option<usize> = None;
        let mut app_opened = false;
        let mut first_decl = true;
        for (i, tok) in self.tokens.iter().enumerate() {
            for &open in &self.virtuals[i] {
                if open {
                    // The app's body stays at column 0.
                    if app_opened {
                        depth += 1;
                    }
                    app_opened = true;
                    after_open = true;
                } else if depth > 0 {
                    depth -= 1;
                }
                need_newline = true;
            }
            let explicit_close = tok.kind == TokenKind::RBrace;
            let empty_block = explicit_close
                && prev.is_some_and(|p| self.tokens[p].kind == TokenKind::LBrace)
                && comments[i].is_empty();
            if explicit_close && !empty_block {
                need_newline = true;
            }
            let decl_blank = self.marks.decl_start[i]
                && !(first_decl && self.style == Style::Braces)
                && !w.out.trim_start_matches('\u{feff}').is_empty();
            let mut blank_pending = decl_blank;
            for c in &comments[i] {
                let body = &self.text[c.span.range()];
                if c.own_line || w.line_empty() {
                    let blank = (blank_pending || (c.blank_before && !after_open)) && !w.is_empty();
                    w.newline(blank);
                    w.indent(depth + i32::from(self.marks.extra[i]));
                    w.push(body);
                    need_newline = true;
                    blank_pending = false;
                    after_open = false;
                } else {
                    w.push(" ");
                    w.push(body);
                    if c.line {
                        need_newline = true;
                    }
                }
            }
            if tok.kind == TokenKind::Eof {
                break;
            }
            if explicit_close {
                depth -= 1;
            }
            if self.marks.decl_start[i] {
                first_decl = false;
            }
            let source_blank = newlines[i] > 1 && !after_open && !explicit_close;
            let line_start = self.marks.line_start[i] || need_newline || w.is_empty();
            if line_start {
                let blank = (blank_pending || source_blank) && !w.is_empty();
                if !w.is_empty() {
                    w.newline(blank);
                }
                w.indent(depth + i32::from(self.marks.extra[i]));
            } else if let Some(p) = prev
                && !self.glued(p, i)
            {
                w.push(" ");
            }
            w.push(tok.text(self.text));
            need_newline = false;
            after_open = false;
            if tok.kind == TokenKind::LBrace {
                depth += 1;
                need_newline = true;
                after_open = true;
            }
            prev = Some(i);
        }
        w.finish()
    }
}

fn decl_span(d: &Decl<'_>) -> Span {
    match d {
        Decl::Data(x) => x.span,
        Decl::View(x) => x.span,
        Decl::Action(x) => x.span,
        Decl::Flow(x) => x.span,
        Decl::Job(x) => x.span,
        Decl::Workflow(x) => x.span,
    }
}

#[derive(Default)]
struct Writer {
    out: String,
}

impl Writer {
    fn is_empty(&self) -> bool {
        self.out.trim_start_matches('\u{feff}').is_empty()
    }

    /// Nothing but indentation on the current line.
    fn line_empty(&self) -> bool {
        let line = self.out.rsplit('\n').next().unwrap_or("");
        line.trim_start_matches('\u{feff}').trim().is_empty()
    }

    fn push(&mut self, s: &str) {
        self.out.push_str(s);
    }

    fn newline(&mut self, blank: bool) {
        if self.is_empty() {
            return;
        }
        // Drop the indentation of a line that stayed empty.
        let trimmed = self.out.trim_end_matches(' ').len();
        self.out.truncate(trimmed);
        if !self.out.ends_with('\n') {
            self.out.push('\n');
        }
        if blank && !self.out.ends_with("\n\n") {
            self.out.push('\n');
        }
    }

    fn indent(&mut self, depth: i32) {
        for _ in 0..depth.max(0) {
            self.out.push_str("  ");
        }
    }

    fn finish(mut self) -> String {
        let trimmed = self.out.trim_end().len();
        self.out.truncate(trimmed);
        self.out.push('\n');
        self.out
    }
}

/// What the parser reads of a text: the laid-out tokens (kind, text, virtual), and the comments.
fn meaning(text: &str, file: FileId) -> (Vec<(TokenKind, &str, bool)>, Vec<&str>) {
    let mut sink = Diagnostics::new();
    let tokens = lexer::tokenize(text, file, &mut sink);
    let (comments, _) = trivia(text, &tokens);
    let comments = comments
        .iter()
        .flatten()
        .map(|c| text[c.span.range()].trim_end())
        .collect();
    let (laid, _) = crate::layout::apply(tokens, text, file, &mut sink);
    let mut tokens: Vec<(TokenKind, &str, bool)> = Vec::with_capacity(laid.len());
    for t in &laid {
        // `text[ ]` is the list type `text[]` spelled with a space: the formatter glues the two
        // brackets into the one `[]` token, which means the same.
        if t.kind == TokenKind::RBracket
            && let Some(last) = tokens.last_mut()
            && last.0 == TokenKind::LBracket
        {
            *last = (TokenKind::ListSuffix, "[]", false);
            continue;
        }
        tokens.push((t.kind, t.text(text), t.is_virtual()));
    }
    (tokens, comments)
}

/// Checks that `after` reads as `before` does: no syntax error, the same tokens, the same
/// comments.
fn verify(before: &str, after: &str, file: FileId) -> Result<(), FormatError> {
    let mut sources = SourceMap::new();
    let id = sources.add("formatted", after);
    let (_, diags) = crate::parse(&sources, id);
    if let Some(d) = diags.iter().find(|d| d.is_error()) {
        return Err(FormatError::Unstable(format!(
            "the result has a syntax error: {}",
            d.message
        )));
    }
    let (tokens_before, comments_before) = meaning(before, file);
    let (tokens_after, comments_after) = meaning(after, file);
    if tokens_before != tokens_after {
        let at = tokens_before
            .iter()
            .zip(&tokens_after)
            .position(|(a, b)| a != b)
            .unwrap_or(tokens_before.len().min(tokens_after.len()));
        return Err(FormatError::Unstable(format!(
            "the tokens differ from token {at}: {:?} became {:?}",
            tokens_before.get(at),
            tokens_after.get(at)
        )));
    }
    if comments_before != comments_after {
        return Err(FormatError::Unstable("a comment changed".into()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(text: &str) -> String {
        match format_str("t.shep", text) {
            Ok(out) => out,
            Err(e) => panic!("{e}: {e:?}\n--- input ---\n{text}"),
        }
    }

    #[test]
    fn a_list_type_spelled_with_a_space_is_glued() {
        let out = fmt("app A { data T { fields: { tags: text[  ] } } }");
        assert!(out.contains("tags: text[]"), "{out}");
    }

    #[test]
    fn braces_canonical() {
        let input = "app A { data User { fields: { name: text required  age: number min = 0 } } \
                     view V { list User button \"Go\" -> Act } action Act(a, b: text) { add User with name = a show V } }";
        let want = "\
app A {
  data User {
    fields: {
      name: text required
      age: number min=0
    }
  }

  view V {
    list User
    button \"Go\" -> Act
  }

  action Act(a, b: text) {
    add User with name = a
    show V
  }
}
";
        assert_eq!(fmt(input), want);
        assert_eq!(fmt(want), want);
    }

    #[test]
    fn comments_stay() {
        let input = "// head\napp A { // the app\n  data User {\n\n\n    fields: { /* x */ name: text // trailing\n }\n  }\n  // the end\n}\n";
        let out = fmt(input);
        assert_eq!(
            out,
            "// head\napp A { // the app\n  data User {\n    fields: { /* x */\n      name: text // trailing\n    }\n  }\n  // the end\n}\n"
        );
        assert_eq!(fmt(&out), out);
    }

    #[test]
    fn indentation_canonical() {
        let input = "app Shop\n\n\ndata Product:\n    fields:\n        title: text   required\n        price: number min=0\nview Catalog:\n    list Product\n";
        let want = "app Shop\n\ndata Product:\n  fields:\n    title: text required\n    price: number min=0\n\nview Catalog:\n  list Product\n";
        assert_eq!(fmt(input), want);
        assert_eq!(fmt(want), want);
    }

    #[test]
    fn syntax_errors_are_not_formatted() {
        assert!(matches!(
            format_str("t.shep", "app A { data }"),
            Err(FormatError::Syntax(_))
        ));
    }
}
