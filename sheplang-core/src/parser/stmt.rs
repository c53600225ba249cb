//! Actions and statements.

use super::{Bail, MAX_BLOCK_DEPTH, PResult, Parser, closest};
use crate::ast::{self, Method, Stmt, StmtKind};
use crate::diagnostic::{Code, Diagnostic};
use crate::lexer::TokenKind;

/// The words that start a statement (when not followed by `=`, which makes an assignment).
const STMT_KEYWORDS: [&str; 10] = [
    "add", "show", "call", "load", "update", "delete", "if", "for", "step", "else",
];

const METHODS: [(&str, Method); 5] = [
    ("GET", Method::Get),
    ("POST", Method::Post),
    ("PUT", Method::Put),
    ("PATCH", Method::Patch),
    ("DELETE", Method::Delete),
];

/// What else than `}` may show that a block of statements ended (its `}` missing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BlockEnd {
    /// Only `}`.
    Brace,
    /// An `if` branch: an `else` too.
    Else,
    /// A step: `-> step` and `on error` too.
    Step,
}

const STMT_LIST: &str = "a statement is `add`, `show`, `call`, `load`, `update`, `delete`, \
                         `if`, `for`, `step`, `~ \"note\"` or `name = value`";

impl<'a> Parser<'a, '_> {
    /// `action Name(params) { stmt* }`
    pub(super) fn action(&mut self) -> PResult<ast::Action<'a>> {
        let kw = self.bump();
        let name = self.name("a name for the action")?;
        let what = format!("`action {}`", name.name);
        let mut params = Vec::new();
        // A broken header still declares the action (so references to it resolve): skip the
        // rest of the header line and read the body if it opens there.
        let body = match self.params(&name, &mut params) {
            Ok(()) => self.block(&what),
            Err(Bail) if self.skip_header_rest() => self.block(&what),
            Err(Bail) => Err(Bail),
        };
        let body = body.unwrap_or_else(|Bail| {
            self.recover(self.pos, |p| p.at_decl_start());
            Vec::new()
        });
        Ok(ast::Action {
            name,
            params,
            body,
            span: self.span_from(kw.span),
        })
    }

    /// `(name (: type)?, ...)`
    fn params(&mut self, name: &ast::Ident<'a>, params: &mut Vec<ast::Param<'a>>) -> PResult<()> {
        if self.eat(TokenKind::LParen).is_none() {
            let help = format!(
                "an action lists its parameters, even none: `action {}() {{ ... }}`",
                name.name
            );
            return Err(self.expected("`(` and the parameters", Some(help)));
        }
        if self.eat(TokenKind::RParen).is_some() {
            return Ok(());
        }
        loop {
            let pname = self.name("a parameter name")?;
            let ty = match self.eat(TokenKind::Colon) {
                Some(_) => Some(self.type_ref(pname)?),
                None => None,
            };
            params.push(ast::Param { name: pname, ty });
            if self.eat(TokenKind::Comma).is_some() {
                continue;
            }
            if self.eat(TokenKind::RParen).is_some() {
                return Ok(());
            }
            let help = self
                .at(TokenKind::Ident)
                .then(|| "separate the parameters with commas".to_owned());
            return Err(self.expected("`,` or `)`", help));
        }
    }

    /// `{ stmt* }`: a body of statements. Returns what it read even when the `}` is missing
    /// (reported); fails only when there is no `{`.
    pub(super) fn block(&mut self, what: &str) -> PResult<Vec<Stmt<'a>>> {
        self.block_of(what, BlockEnd::Brace)
    }

    /// Whether the current token shows that a block of kind `end` lacks its `}`: an `else` in
    /// an `if` branch, `-> step` or `on error` in a step.
    fn closes_early(&self, end: BlockEnd) -> bool {
        match end {
            BlockEnd::Brace => false,
            BlockEnd::Else => self.at_word("else") && !self.nth_is(1, TokenKind::Eq),
            BlockEnd::Step => {
                (self.at(TokenKind::Arrow) && self.nth_word(1, "step"))
                    || (self.at_word("on") && self.nth_word(1, "error"))
            }
        }
    }

    fn block_of(&mut self, what: &str, end: BlockEnd) -> PResult<Vec<Stmt<'a>>> {
        if self.block_depth >= MAX_BLOCK_DEPTH && self.at(TokenKind::LBrace) {
            let d = Diagnostic::error(
                Code::TOO_DEEP,
                self.file,
                self.peek().span,
                format!("blocks nested more than {MAX_BLOCK_DEPTH} deep"),
            )
            .with_label("too deep")
            .with_help("split the logic into several actions");
            self.push_always(d);
            self.skip_tree();
            return Ok(Vec::new());
        }
        let open = match self.eat(TokenKind::LBrace) {
            Some(open) => open,
            None => {
                let help = self.at(TokenKind::Colon).then(|| {
                    format!("in the brace style the body of {what} goes between `{{` and `}}`")
                });
                self.missing_open(&format!("`{{` to open {what}"), help)?
            }
        };
        self.block_depth += 1;
        let mut body = Vec::new();
        let mut failed = false;
        let mut closed_early = false;
        loop {
            if self.at(TokenKind::RBrace) || self.at(TokenKind::Eof) || self.at_new_decl_line() {
                break;
            }
            if !failed && self.closes_early(end) {
                self.unclosed(open, what);
                closed_early = true;
                break;
            }
            let start = self.pos;
            let result = if failed && self.at_word("else") && !self.nth_is(1, TokenKind::Eq) {
                // The `if` this `else` belongs to was broken (and reported): read the branch
                // quietly, reporting only what is wrong inside it.
                self.orphan_else().map(|()| None)
            } else {
                self.stmt().map(Some)
            };
            match result {
                Ok(s) => {
                    body.extend(s);
                    failed = false;
                }
                Err(Bail) => {
                    self.recover(start, Parser::at_stmt_sync);
                    failed = true;
                }
            }
        }
        self.block_depth -= 1;
        if !closed_early {
            self.close(open, what);
        }
        Ok(body)
    }

    /// Where statement-level recovery stops: a statement on a new line, or an unmistakable one
    /// (`show View`, `~ "note"`, ...) on the same line.
    fn at_stmt_sync(&self) -> bool {
        let t = self.peek();
        if t.starts_line() {
            return self.at_stmt_start();
        }
        match self.word() {
            Some("add" | "show" | "call" | "load" | "update" | "delete" | "step") => {
                self.nth_is(1, TokenKind::Ident)
            }
            Some(_) => false,
            None => self.at(TokenKind::Tilde) && self.nth_is(1, TokenKind::Str),
        }
    }

    /// `show View`, `add Model`, ... at the start of a line: the previous statement ended
    /// early (it is missing its last part).
    pub(super) fn at_stmt_on_new_line(&self) -> bool {
        self.peek().starts_line()
            && matches!(
                self.word(),
                Some("add" | "show" | "call" | "load" | "update" | "delete" | "step")
            )
            && self.nth_is(1, TokenKind::Ident)
    }

    fn at_stmt_start(&self) -> bool {
        match self.word() {
            Some(w) => self.nth_is(1, TokenKind::Eq) || STMT_KEYWORDS.contains(&w),
            None => self.at(TokenKind::Tilde),
        }
    }

    fn stmt(&mut self) -> PResult<Stmt<'a>> {
        let first = self.peek();
        let kind = self.stmt_kind()?;
        Ok(Stmt {
            kind,
            span: self.span_from(first.span),
        })
    }

    fn stmt_kind(&mut self) -> PResult<StmtKind<'a>> {
        if self.eat(TokenKind::Tilde).is_some() {
            return self.note();
        }
        let Some(word) = self.word() else {
            return Err(self.expected("a statement", Some(STMT_LIST.to_owned())));
        };
        // A keyword followed by `=` is an assignment to a variable of that name.
        if self.nth_is(1, TokenKind::Eq) {
            return Ok(StmtKind::Assign(self.assignment()?));
        }
        match word {
            "add" => self.add(),
            "show" => {
                self.bump();
                let view = self.name("the name of the view to show")?;
                Ok(StmtKind::Show { view })
            }
            "call" => self.call(),
            "load" => self.load(),
            "update" => self.update(),
            "delete" => self.delete(),
            "if" => self.if_stmt(),
            "for" => self.for_stmt(),
            "step" => self.steps(),
            "else" => Err(self.expected(
                "a statement",
                Some("an `else` must directly follow the block of an `if`".to_owned()),
            )),
            _ => {
                let help = if self.nth_is(1, TokenKind::EqEq) {
                    format!("assign with `=`: `{word} = ...`")
                } else if let Some(kw) = closest(word, &STMT_KEYWORDS) {
                    format!("did you mean `{kw}`? {STMT_LIST}")
                } else {
                    STMT_LIST.to_owned()
                };
                Err(self.expected("a statement", Some(help)))
            }
        }
    }

    /// `~ "note"` (after the `~`).
    fn note(&mut self) -> PResult<StmtKind<'a>> {
        if let Some(t) = self.eat(TokenKind::Str) {
            return Ok(StmtKind::Note(self.str_of(t)));
        }
        // Suggest quoting the rest of the line (up to a closing brace).
        let start = self.peek().span.start;
        let mut end = start;
        let mut n = 0;
        loop {
            let t = self.nth(n);
            if matches!(t.kind, TokenKind::RBrace | TokenKind::Eof) || (n > 0 && t.starts_line()) {
                break;
            }
            end = t.span.end;
            n += 1;
        }
        let line = self.text.get(start as usize..end as usize).unwrap_or("");
        let help = if !line.is_empty() {
            let q = if line.contains('"') { '\'' } else { '"' };
            format!("quote the note: `~ {q}{}{q}`", super::truncate(line))
        } else {
            "a note is a string: `~ \"what happens here\"`".to_owned()
        };
        Err(self.expected("a string after `~`", Some(help)))
    }

    /// `name = expr`
    fn assignment(&mut self) -> PResult<ast::Assignment<'a>> {
        let target = self.name("a name to assign to")?;
        if self.eat(TokenKind::Eq).is_none() {
            let help = format!("write `{} = value`", target.name);
            return Err(self.expected(&format!("`=` after `{}`", target.name), Some(help)));
        }
        let value = self.expr()?;
        Ok(ast::Assignment { target, value })
    }

    /// `add Model with a, b = expr`
    fn add(&mut self) -> PResult<StmtKind<'a>> {
        self.bump();
        let model = self.name("the name of the data model to add to")?;
        self.expect_word(
            "with",
            "`with` and the field values (`add Model with a, b = value`)",
        )?;
        let mut values = Vec::new();
        loop {
            if self.at_stmt_on_new_line() {
                return Err(self.expected("a field name", None));
            }
            let name = self.name("a field name")?;
            let value = match self.eat(TokenKind::Eq) {
                Some(_) => Some(self.expr()?),
                None => None,
            };
            values.push(ast::FieldValue { name, value });
            if self.eat(TokenKind::Comma).is_none() {
                break;
            }
        }
        Ok(StmtKind::Add { model, values })
    }

    fn method(&mut self) -> PResult<Method> {
        let word = self.word().unwrap_or("");
        if let Some((_, m)) = METHODS.iter().find(|(n, _)| *n == word) {
            self.bump();
            return Ok(*m);
        }
        let upper = word.to_ascii_uppercase();
        let help = match METHODS.iter().find(|(n, _)| *n == upper) {
            Some((n, _)) => format!("methods are upper-case: `{n}`"),
            None => "the methods are `GET`, `POST`, `PUT`, `PATCH` and `DELETE`".to_owned(),
        };
        Err(self.expected("an HTTP method", Some(help)))
    }

    fn path(&mut self) -> PResult<ast::StrLit<'a>> {
        self.string(
            "the request path (a string)",
            Some("quote the path: `\"/tasks\"`".to_owned()),
        )
    }

    /// `call METHOD "/path" (with expr, ...)?`
    fn call(&mut self) -> PResult<StmtKind<'a>> {
        self.bump();
        let method = self.method()?;
        let path = self.path()?;
        let mut args = Vec::new();
        if self.eat_word("with").is_some() {
            loop {
                args.push(self.expr()?);
                if self.eat(TokenKind::Comma).is_none() {
                    break;
                }
            }
        }
        Ok(StmtKind::Call { method, path, args })
    }

    /// `load METHOD "/path" into name`
    fn load(&mut self) -> PResult<StmtKind<'a>> {
        self.bump();
        let method = self.method()?;
        let path = self.path()?;
        self.expect_word("into", "`into` and a variable name")?;
        let into = self.name("a variable name after `into`")?;
        Ok(StmtKind::Load { method, path, into })
    }

    /// `update Model where expr set a = expr, b = expr`
    fn update(&mut self) -> PResult<StmtKind<'a>> {
        self.bump();
        let model = self.name("the name of the data model to update")?;
        self.expect_word("where", "`where` and a condition")?;
        let filter = self.expr()?;
        self.expect_word("set", "`set` and the new values")?;
        let mut set = Vec::new();
        loop {
            set.push(self.assignment()?);
            if self.eat(TokenKind::Comma).is_none() {
                break;
            }
        }
        Ok(StmtKind::Update { model, filter, set })
    }

    /// `delete Model where expr`
    fn delete(&mut self) -> PResult<StmtKind<'a>> {
        self.bump();
        let model = self.name("the name of the data model to delete from")?;
        self.expect_word("where", "`where` and a condition")?;
        let filter = self.expr()?;
        Ok(StmtKind::Delete { model, filter })
    }

    /// The `:` before a block. A missing one right before `{` is reported and skipped over.
    fn block_colon(&mut self, what: &str, example: &str) -> PResult<()> {
        if self.eat(TokenKind::Colon).is_some() {
            return Ok(());
        }
        let help = format!("write `{example}`");
        let bail = self.expected(&format!("`:` after {what}"), Some(help));
        if self.at(TokenKind::LBrace) {
            return Ok(()); // reported; the block is still read
        }
        Err(bail)
    }

    /// `if c: { } (else if c: { })* (else: { })?`
    fn if_stmt(&mut self) -> PResult<StmtKind<'a>> {
        self.bump();
        let mut branches = Vec::new();
        let cond = self.expr()?;
        self.block_colon("the condition", "if condition: { ... }")?;
        branches.push((cond, self.block_of("the `if` block", BlockEnd::Else)?));
        let mut otherwise = None;
        while self.at_word("else") && !self.nth_is(1, TokenKind::Eq) {
            self.bump();
            if self.eat_word("if").is_some() {
                let cond = self.expr()?;
                self.block_colon("the condition", "else if condition: { ... }")?;
                branches.push((cond, self.block_of("the `else if` block", BlockEnd::Else)?));
            } else {
                self.block_colon("`else`", "else: { ... }")?;
                otherwise = Some(self.block("the `else` block")?);
                break;
            }
        }
        Ok(StmtKind::If {
            branches,
            otherwise,
        })
    }

    /// `else if c: { }` or `else: { }` after a broken `if`; the tree drops it.
    fn orphan_else(&mut self) -> PResult<()> {
        self.bump();
        if self.eat_word("if").is_some() {
            self.expr()?;
            self.block_colon("the condition", "else if condition: { ... }")?;
        } else {
            self.block_colon("`else`", "else: { ... }")?;
        }
        self.block("the `else` block")?;
        Ok(())
    }

    /// `for x in expr: { }` or `for i from a to b: { }`
    fn for_stmt(&mut self) -> PResult<StmtKind<'a>> {
        self.bump();
        let var = self.name("a loop variable after `for`")?;
        if self.eat_word("in").is_some() {
            let iter = self.expr()?;
            self.block_colon("the loop header", "for x in items: { ... }")?;
            let body = self.block("the `for` block")?;
            return Ok(StmtKind::ForIn { var, iter, body });
        }
        if self.eat_word("from").is_some() {
            let from = self.expr()?;
            self.expect_word("to", "`to` and the end of the range")?;
            let to = self.expr()?;
            self.block_colon("the loop header", "for i from 1 to 10: { ... }")?;
            let body = self.block("the `for` block")?;
            return Ok(StmtKind::ForRange {
                var,
                from,
                to,
                body,
            });
        }
        Err(self.expected(
            "`in` or `from`",
            Some("write `for x in items: { ... }` or `for i from 1 to 10: { ... }`".to_owned()),
        ))
    }

    /// `step a { } (-> step b { })* (on error -> Action)?`
    fn steps(&mut self) -> PResult<StmtKind<'a>> {
        let mut steps = Vec::new();
        loop {
            self.expect_word("step", "`step` after `->`")?;
            let name = self.name("a name for the step")?;
            let body = self.block_of(&format!("`step {}`", name.name), BlockEnd::Step)?;
            steps.push(ast::Step { name, body });
            if self.at(TokenKind::Arrow) && self.nth_word(1, "step") {
                self.bump();
                continue;
            }
            break;
        }
        let mut on_error = None;
        if self.at_word("on") && self.nth_word(1, "error") {
            self.bump();
            self.bump();
            self.expect(TokenKind::Arrow, "`->` and an action after `on error`")?;
            on_error = Some(self.name("the action to run on error")?);
        }
        Ok(StmtKind::Steps { steps, on_error })
    }
}
