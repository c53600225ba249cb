//! Declarations: `data` (fields, types, constraints, states, rules), `view`, `flow`, `job` and
//! `workflow`. Actions and their statements are in [`super::stmt`].

use super::{Bail, PResult, Parser, closest};
use crate::ast::{self, BaseType, ConstraintKind, Literal};
use crate::diagnostic::{Code, Diagnostic};
use crate::lexer::{Token, TokenKind};
use crate::span::Span;

const CONSTRAINTS: [&str; 10] = [
    "required",
    "unique",
    "optional",
    "min",
    "max",
    "minLength",
    "maxLength",
    "email",
    "pattern",
    "default",
];

const UNITS: [(&str, ast::TimeUnit); 5] = [
    ("minutes", ast::TimeUnit::Minutes),
    ("hours", ast::TimeUnit::Hours),
    ("days", ast::TimeUnit::Days),
    ("weeks", ast::TimeUnit::Weeks),
    ("months", ast::TimeUnit::Months),
];

/// Which `data` item came last: the order is fixed (fields, states, rules).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum DataPhase {
    Start,
    Fields,
    States,
    Rules,
}

impl DataPhase {
    fn item(self) -> &'static str {
        match self {
            DataPhase::Start => "",
            DataPhase::Fields => "`fields:`",
            DataPhase::States => "`states:`",
            DataPhase::Rules => "`rules:`",
        }
    }
}

impl<'a> Parser<'a, '_> {
    /// Opens a declaration body: `{`, with a hint for the indentation-style colon.
    fn open_body(&mut self, what: &str) -> PResult<Token> {
        if let Some(t) = self.eat(TokenKind::LBrace) {
            return Ok(t);
        }
        let help = if self.at(TokenKind::Colon) {
            Some(format!(
                "in the brace style write `{what} {{ ... }}`; in the indentation style, indent \
                 the body under the `:` line"
            ))
        } else {
            None
        };
        Err(self.expected(&format!("`{{` to open the body of {what}"), help))
    }

    // ----- data -------------------------------------------------------------------------------

    /// `data Name { fields: { ... } states: a -> b rules: { - "..." } }`
    pub(super) fn data(&mut self) -> PResult<ast::Data<'a>> {
        let kw = self.bump();
        let name = self.name("a name for the data model")?;
        let what = format!("`data {}`", name.name);
        let open = self.open_body(&what)?;
        let mut data = ast::Data {
            name,
            fields: Vec::new(),
            states: None,
            rules: Vec::new(),
            span: kw.span,
        };
        let mut phase = DataPhase::Start;
        let mut broken = false;
        loop {
            if self.at(TokenKind::RBrace) || self.at(TokenKind::Eof) || self.at_new_decl_line() {
                break;
            }
            let start = self.pos;
            if let Err(Bail) = self.data_item(&mut data, &mut phase) {
                broken = true;
                self.recover(start, |p| {
                    p.nth_is(1, TokenKind::Colon)
                        && (p.at_word("fields") || p.at_word("states") || p.at_word("rules"))
                });
            }
        }
        self.close(open, &what);
        if phase == DataPhase::Start && !broken {
            let d = Diagnostic::error(
                Code::EXPECTED,
                self.file,
                name.span,
                format!("the data model `{}` has no `fields:` block", name.name),
            )
            .with_label("declared without fields")
            .with_help("declare its fields: `fields: { title: text }`");
            self.push_always(d);
        }
        data.span = self.span_from(kw.span);
        Ok(data)
    }

    fn data_item(&mut self, data: &mut ast::Data<'a>, phase: &mut DataPhase) -> PResult<()> {
        let item = match self.word() {
            Some("fields") if self.nth_is(1, TokenKind::Colon) => DataPhase::Fields,
            Some("states") if self.nth_is(1, TokenKind::Colon) => DataPhase::States,
            Some("rules") if self.nth_is(1, TokenKind::Colon) => DataPhase::Rules,
            word => return Err(self.bad_data_item(word, *phase)),
        };
        let kw = self.peek();
        if item <= *phase {
            let message = if item == *phase {
                format!("a second {} block", item.item())
            } else {
                format!("{} must come before {}", item.item(), phase.item())
            };
            let d = Diagnostic::error(Code::EXPECTED, self.file, kw.span, message)
                .with_label("out of order")
                .with_help("a `data` body is `fields:`, then `states:`, then `rules:`, each once");
            self.push_always(d);
        }
        *phase = (*phase).max(item);
        self.bump();
        self.bump(); // the `:`
        match item {
            DataPhase::Fields => self.fields(&mut data.fields),
            DataPhase::States => {
                data.states = Some(self.states(kw)?);
                Ok(())
            }
            _ => self.rules(&mut data.rules),
        }
    }

    fn bad_data_item(&mut self, word: Option<&str>, phase: DataPhase) -> Bail {
        let expected = match phase {
            DataPhase::Start => "`fields:`",
            DataPhase::Fields => "`states:`, `rules:` or `}`",
            DataPhase::States => "`rules:` or `}`",
            DataPhase::Rules => "`}`",
        };
        let help = match word {
            Some(w) => match closest(w, &["fields", "states", "rules"]) {
                Some(kw) => Some(format!("did you mean `{kw}:`?")),
                None if phase == DataPhase::Start && self.nth_is(1, TokenKind::Colon) => {
                    Some(format!("fields go in a block: `fields: {{ {w}: ... }}`"))
                }
                None => None,
            },
            None => None,
        };
        self.expected(expected, help)
    }

    /// `{ field* }` after `fields:`.
    fn fields(&mut self, out: &mut Vec<ast::Field<'a>>) -> PResult<()> {
        let open = self.open_body("`fields:`")?;
        loop {
            if self.at(TokenKind::RBrace) || self.at(TokenKind::Eof) || self.at_new_decl_line() {
                break;
            }
            // `fields: { a: text` with its `}` missing, running into `states:` or `rules:`.
            if (self.at_word("states") && self.nth_is(3, TokenKind::Arrow))
                || (self.at_word("rules") && self.nth_is(2, TokenKind::LBrace))
            {
                self.unclosed(open, "`fields:`");
                return Ok(());
            }
            let start = self.pos;
            match self.field() {
                Ok(f) => out.push(f),
                Err(Bail) => self.recover(start, |p| {
                    p.peek().starts_line()
                        || (p.at(TokenKind::Ident) && p.nth_is(1, TokenKind::Colon))
                }),
            }
        }
        self.close(open, "`fields:`");
        Ok(())
    }

    /// `name: type constraint*`
    fn field(&mut self) -> PResult<ast::Field<'a>> {
        if !self.at(TokenKind::Ident) {
            let help = self
                .at(TokenKind::Comma)
                .then(|| "fields are not separated by commas".to_owned());
            return Err(self.expected("a field (`name: type`)", help));
        }
        let name = self.name("a field name")?;
        if self.eat(TokenKind::Colon).is_none() {
            let help = format!(
                "a field is `{}: type`, e.g. `{}: text`",
                name.name, name.name
            );
            return Err(self.expected("`:` after the field name", Some(help)));
        }
        let ty = self.type_ref(name)?;
        let mut constraints = Vec::new();
        while self.at(TokenKind::Ident) && !self.nth_is(1, TokenKind::Colon) {
            // A word on a new line that is no constraint: the next field lacks its `:`; let the
            // fields loop report it.
            if self.peek().starts_line() && !self.constraint_ahead() {
                break;
            }
            constraints.push(self.constraint()?);
        }
        Ok(ast::Field {
            name,
            span: self.span_from(name.span),
            ty,
            constraints,
        })
    }

    fn constraint_ahead(&self) -> bool {
        self.word().is_some_and(|w| CONSTRAINTS.contains(&w))
    }

    /// A field type: a built-in, `ref[Model]` or a model name, then an optional `[]`.
    pub(super) fn type_ref(&mut self, field: ast::Ident<'a>) -> PResult<ast::TypeRef<'a>> {
        let tok = self.peek();
        let base = match tok.kind {
            TokenKind::YesNo => {
                self.bump();
                BaseType::YesNo
            }
            // `title:` with nothing after it, and the next field on the next line.
            TokenKind::Ident if tok.starts_line() && self.nth_is(1, TokenKind::Colon) => {
                let help = format!("every field needs a type, e.g. `{}: text`", field.name);
                return Err(self.expected(&format!("a type for `{}`", field.name), Some(help)));
            }
            TokenKind::Ident => {
                self.bump();
                match self.text_of(tok) {
                    "text" => BaseType::Text,
                    "number" => BaseType::Number,
                    "id" => BaseType::Id,
                    "date" => BaseType::Date,
                    "datetime" => BaseType::DateTime,
                    "email" => BaseType::Email,
                    "money" => BaseType::Money,
                    "image" => BaseType::Image,
                    "richtext" => BaseType::RichText,
                    "file" => BaseType::File,
                    "ref" if self.at(TokenKind::LBracket) => {
                        self.bump();
                        let model = self.name("a model name in `ref[...]`")?;
                        self.expect(TokenKind::RBracket, "`]` to close `ref[...]`")?;
                        BaseType::Ref(model)
                    }
                    _ => BaseType::Named(self.ident_of(tok)),
                }
            }
            _ => {
                let help = match self.text_of(tok) {
                    "[]" | "[" => Some("the list marker comes after the type: `text[]`".to_owned()),
                    _ => Some(
                        "the types are `text`, `number`, `yes/no`, `id`, `date`, `datetime`, \
                         `email`, `money`, `image`, `richtext`, `file`, `ref[Model]` or a model \
                         name"
                            .to_owned(),
                    ),
                };
                return Err(self.expected(&format!("a type for `{}`", field.name), help));
            }
        };
        let list = if self.eat(TokenKind::ListSuffix).is_some() {
            true
        } else if self.at(TokenKind::LBracket) && self.nth_is(1, TokenKind::RBracket) {
            self.bump();
            self.bump();
            true
        } else {
            false
        };
        Ok(ast::TypeRef {
            base,
            list,
            span: self.span_from(tok.span),
        })
    }

    fn constraint(&mut self) -> PResult<ast::Constraint<'a>> {
        let tok = self.peek();
        let word = self.text_of(tok);
        let simple = match word {
            "required" => Some(ConstraintKind::Required),
            "unique" => Some(ConstraintKind::Unique),
            "optional" => Some(ConstraintKind::Optional),
            _ => None,
        };
        if let Some(kind) = simple {
            self.bump();
            return Ok(ast::Constraint {
                kind,
                span: tok.span,
            });
        }
        if !CONSTRAINTS.contains(&word) {
            const LIST: &str = "the constraints are `required`, `unique`, `optional`, `min=`, \
                                `max=`, `minLength=`, `maxLength=`, `email=`, `pattern=` and \
                                `default=`";
            let help = match closest(word, &CONSTRAINTS) {
                Some(c) => format!("did you mean `{c}`? {LIST}"),
                None => LIST.to_owned(),
            };
            return Err(self.expected("a constraint or the next field", Some(help)));
        }
        self.bump();
        if self.eat(TokenKind::Eq).is_none() {
            let help = format!("write `{word}=value`");
            return Err(self.expected(&format!("`=` after `{word}`"), Some(help)));
        }
        let kind = match word {
            "min" => ConstraintKind::Min(self.signed_number("a number after `min=`")?),
            "max" => ConstraintKind::Max(self.signed_number("a number after `max=`")?),
            "minLength" => {
                ConstraintKind::MinLength(self.signed_number("a number after `minLength=`")?)
            }
            "maxLength" => {
                ConstraintKind::MaxLength(self.signed_number("a number after `maxLength=`")?)
            }
            "email" => match self.word() {
                Some("true") => {
                    self.bump();
                    ConstraintKind::Email(true)
                }
                Some("false") => {
                    self.bump();
                    ConstraintKind::Email(false)
                }
                _ => return Err(self.expected("`true` or `false` after `email=`", None)),
            },
            "pattern" => ConstraintKind::Pattern(self.string(
                "a string after `pattern=`",
                Some("quote the pattern: `pattern=\"^[a-z]+$\"`".to_owned()),
            )?),
            _ => ConstraintKind::Default(self.default_literal()?),
        };
        Ok(ast::Constraint {
            kind,
            span: self.span_from(tok.span),
        })
    }

    fn default_literal(&mut self) -> PResult<Literal<'a>> {
        let tok = self.peek();
        Ok(match tok.kind {
            TokenKind::Str => {
                self.bump();
                Literal::Str(self.str_of(tok))
            }
            TokenKind::Number | TokenKind::Minus => {
                Literal::Num(self.signed_number("a value after `default=`")?)
            }
            TokenKind::Ident => {
                self.bump();
                match self.text_of(tok) {
                    "true" => Literal::Bool(true, tok.span),
                    "false" => Literal::Bool(false, tok.span),
                    _ => Literal::Name(self.ident_of(tok)),
                }
            }
            _ => {
                return Err(self.expected(
                    "a value after `default=`",
                    Some("a default is a string, a number, `true`, `false` or a name".to_owned()),
                ));
            }
        })
    }

    /// `a -> b -> c` after `states:` (the `states` keyword is `kw`).
    fn states(&mut self, kw: Token) -> PResult<ast::States<'a>> {
        let first = self.name("a state name after `states:`")?;
        let mut names = vec![first];
        loop {
            if self.eat(TokenKind::Arrow).is_none() {
                if names.len() == 1 {
                    let help =
                        format!("list the states in order: `states: {} -> next`", first.name);
                    return Err(self.expected("`->` and the next state", Some(help)));
                }
                break;
            }
            names.push(self.name("a state name after `->`")?);
        }
        Ok(ast::States {
            names,
            span: self.span_from(kw.span),
        })
    }

    /// `{ - "rule" ... }` after `rules:`.
    fn rules(&mut self, out: &mut Vec<ast::StrLit<'a>>) -> PResult<()> {
        let open = self.open_body("`rules:`")?;
        loop {
            if self.at(TokenKind::RBrace) || self.at(TokenKind::Eof) || self.at_new_decl_line() {
                break;
            }
            let start = self.pos;
            let item: PResult<ast::StrLit<'a>> = if self.eat(TokenKind::Minus).is_some() {
                self.string(
                    "a quoted rule after `-`",
                    Some("quote the rule: `- \"users edit only their own items\"`".to_owned()),
                )
            } else {
                let help = self
                    .at(TokenKind::Str)
                    .then(|| "start each rule with `-`: `- \"...\"`".to_owned());
                Err(self.expected("`- \"rule\"` or `}`", help))
            };
            match item {
                Ok(s) => out.push(s),
                Err(Bail) => self.recover(start, |p| p.at(TokenKind::Minus)),
            }
        }
        self.close(open, "`rules:`");
        Ok(())
    }

    // ----- view -------------------------------------------------------------------------------

    /// `view Name { (list Model | button "Label" -> Action)* }`
    pub(super) fn view(&mut self) -> PResult<ast::View<'a>> {
        let kw = self.bump();
        let name = self.name("a name for the view")?;
        let what = format!("`view {}`", name.name);
        let open = self.open_body(&what)?;
        let mut items = Vec::new();
        loop {
            if self.at(TokenKind::RBrace) || self.at(TokenKind::Eof) || self.at_new_decl_line() {
                break;
            }
            let start = self.pos;
            match self.view_item() {
                Ok(item) => items.push(item),
                Err(Bail) => self.recover(start, |p| p.at_word("list") || p.at_word("button")),
            }
        }
        self.close(open, &what);
        Ok(ast::View {
            name,
            items,
            span: self.span_from(kw.span),
        })
    }

    fn view_item(&mut self) -> PResult<ast::ViewItem<'a>> {
        if self.eat_word("list").is_some() {
            return Ok(ast::ViewItem::List(
                self.name("the name of the data model to list")?,
            ));
        }
        if self.eat_word("button").is_some() {
            let label = self.string(
                "the button's label (a string)",
                Some("write `button \"Label\" -> Action`".to_owned()),
            )?;
            self.expect(TokenKind::Arrow, "`->` and the action the button runs")?;
            let action = self.name("the name of the action the button runs")?;
            return Ok(ast::ViewItem::Button { label, action });
        }
        let help = self
            .word()
            .and_then(|w| closest(w, &["list", "button"]))
            .map(|c| format!("did you mean `{c}`?"))
            .unwrap_or_else(|| {
                "a view holds `list Model` and `button \"Label\" -> Action` lines".to_owned()
            });
        Err(self.expected("`list`, `button` or `}`", Some(help)))
    }

    // ----- flow -------------------------------------------------------------------------------

    /// `flow Name: from: X trigger: "..." steps: - "..." ...`
    pub(super) fn flow(&mut self) -> PResult<ast::Flow<'a>> {
        let kw = self.bump();
        let name = self.name("a name for the flow")?;
        self.expect(TokenKind::Colon, "`:` after the flow's name")?;
        self.keyword_colon("from")?;
        let from = self.name("the view the flow starts from")?;
        self.keyword_colon("trigger")?;
        let trigger = self.string(
            "the trigger (a string)",
            Some("quote it: `trigger: \"User clicks sign up\"`".to_owned()),
        )?;
        self.keyword_colon("steps")?;
        let mut steps = Vec::new();
        while self.eat(TokenKind::Minus).is_some() {
            steps.push(self.string(
                "a quoted step after `-`",
                Some("quote the step: `- \"Validate\"`".to_owned()),
            )?);
        }
        Ok(ast::Flow {
            name,
            from,
            trigger,
            steps,
            span: self.span_from(kw.span),
        })
    }

    /// `word:`
    fn keyword_colon(&mut self, word: &str) -> PResult<Token> {
        if self.at_word(word) && self.nth_is(1, TokenKind::Colon) {
            let t = self.bump();
            self.bump();
            return Ok(t);
        }
        Err(self.expected(&format!("`{word}:`"), None))
    }

    // ----- job --------------------------------------------------------------------------------

    /// `job Name { (schedule: timing | trigger: trigger) (delay: N unit)? action { stmt* } }`.
    /// `Ok(None)` when the body was read but the job lacks its schedule or trigger (reported).
    pub(super) fn job(&mut self) -> PResult<Option<ast::Job<'a>>> {
        let kw = self.bump();
        let name = self.name("a name for the job")?;
        let what = format!("`job {}`", name.name);
        let open = self.open_body(&what)?;
        let mut when = None;
        let mut delay = None;
        let mut body = None;
        let mut broken = false;
        loop {
            if self.at(TokenKind::RBrace) || self.at(TokenKind::Eof) || self.at_new_decl_line() {
                break;
            }
            let start = self.pos;
            if let Err(Bail) = self.job_item(&mut when, &mut delay, &mut body) {
                broken = true;
                self.recover(start, |p| {
                    (p.nth_is(1, TokenKind::Colon)
                        && (p.at_word("schedule") || p.at_word("trigger") || p.at_word("delay")))
                        || (p.at_word("action") && p.nth_is(1, TokenKind::LBrace))
                });
            }
        }
        let close = self.peek();
        self.close(open, &what);
        let missing = match (&when, &body) {
            (None, _) => Some("a `schedule:` or a `trigger:`"),
            (_, None) => Some("an `action { ... }` block"),
            _ => None,
        };
        if let Some(missing) = missing
            && !broken
            && close.kind == TokenKind::RBrace
        {
            let d = Diagnostic::error(
                Code::EXPECTED,
                self.file,
                close.span,
                format!("the job `{}` has no {missing}", name.name),
            )
            .with_label(format!("expected {missing} before this `}}`"))
            .with_help(
                "a job is `job Name { schedule: daily at \"9am\" action { ... } }` (or \
                 `trigger: on Model.created`)",
            );
            self.push_always(d);
        }
        let Some(when) = when else { return Ok(None) };
        Ok(Some(ast::Job {
            name,
            when,
            delay,
            body: body.unwrap_or_default(),
            span: self.span_from(kw.span),
        }))
    }

    fn job_item(
        &mut self,
        when: &mut Option<ast::JobWhen<'a>>,
        delay: &mut Option<ast::Duration>,
        body: &mut Option<Vec<ast::Stmt<'a>>>,
    ) -> PResult<()> {
        let tok = self.peek();
        let word = self.word().unwrap_or("");
        let colon = self.nth_is(1, TokenKind::Colon);
        let duplicate = match word {
            "schedule" | "trigger" if colon => when.is_some(),
            "delay" if colon => delay.is_some(),
            "action" if self.nth_is(1, TokenKind::LBrace) => body.is_some(),
            _ => {
                let help = match closest(word, &["schedule", "trigger", "delay", "action"]) {
                    Some(c) => format!("did you mean `{c}`?"),
                    None => "a job holds `schedule:` or `trigger:`, then an optional `delay:`, \
                             then `action { ... }`"
                        .to_owned(),
                };
                return Err(self.expected(
                    "`schedule:`, `trigger:`, `delay:`, `action {` or `}`",
                    Some(help),
                ));
            }
        };
        let out_of_order = match word {
            "schedule" | "trigger" => delay.is_some() || body.is_some(),
            "delay" => body.is_some(),
            _ => false,
        };
        if duplicate || out_of_order {
            let message = if duplicate {
                format!("a second `{word}` in one job")
            } else {
                format!("`{word}` must come before the job's later items")
            };
            let d = Diagnostic::error(Code::EXPECTED, self.file, tok.span, message)
                .with_label("out of place")
                .with_help(
                    "a job body is `schedule:` or `trigger:`, then an optional `delay:`, then \
                     `action { ... }`, each once",
                );
            self.push_always(d);
        }
        self.bump();
        if word == "action" {
            *body = Some(self.block("the job's `action`")?);
            return Ok(());
        }
        self.bump(); // `:`
        match word {
            "schedule" => *when = Some(ast::JobWhen::Schedule(self.timing()?)),
            "trigger" => *when = Some(ast::JobWhen::Trigger(self.trigger()?)),
            _ => *delay = Some(self.duration("the delay")?),
        }
        Ok(())
    }

    fn timing(&mut self) -> PResult<ast::Timing<'a>> {
        match self.word() {
            Some("cron") => {
                self.bump();
                Ok(ast::Timing::Cron(self.string(
                    "a cron expression (a string)",
                    Some("quote it: `cron \"0 3 * * *\"`".to_owned()),
                )?))
            }
            Some("daily") => {
                self.bump();
                self.expect_word("at", "`at` after `daily`")?;
                Ok(ast::Timing::Daily { at: self.time()? })
            }
            Some("weekly") => {
                self.bump();
                self.expect_word("on", "`on` and a day after `weekly`")?;
                let day = self.weekday()?;
                self.expect_word("at", "`at` and a time after the day")?;
                Ok(ast::Timing::Weekly {
                    day,
                    at: self.time()?,
                })
            }
            Some("every") => {
                self.bump();
                let every = self.duration("`every`")?;
                let at = match self.eat_word("at") {
                    Some(_) => Some(self.time()?),
                    None => None,
                };
                Ok(ast::Timing::Every { every, at })
            }
            _ => Err(self.expected(
                "`cron`, `daily`, `weekly` or `every`",
                Some(
                    "a schedule is `cron \"0 3 * * *\"`, `daily at \"9am\"`, `weekly on Monday \
                     at \"9am\"` or `every 30 minutes`"
                        .to_owned(),
                ),
            )),
        }
    }

    pub(super) fn expect_word(&mut self, word: &str, what: &str) -> PResult<Token> {
        match self.eat_word(word) {
            Some(t) => Ok(t),
            None => Err(self.expected(what, None)),
        }
    }

    /// A quoted time. An unquoted one (`9am`, `9:30`) is reported with a fix and read anyway.
    fn time(&mut self) -> PResult<ast::StrLit<'a>> {
        if let Some(t) = self.eat(TokenKind::Str) {
            return Ok(self.str_of(t));
        }
        let first = self.peek();
        if !matches!(first.kind, TokenKind::Number | TokenKind::Ident) {
            return Err(self.expected(
                "a quoted time",
                Some("write the time as a string, e.g. `\"9am\"`".to_owned()),
            ));
        }
        // Glue the adjacent tokens of `9am` / `9:30pm` into one span.
        let mut end = first.span.end;
        let mut n = 1;
        loop {
            let t = self.nth(n);
            let glued = t.span.start == end
                && !t.is_virtual()
                && matches!(
                    t.kind,
                    TokenKind::Number | TokenKind::Ident | TokenKind::Colon
                );
            if !glued {
                break;
            }
            end = t.span.end;
            n += 1;
        }
        let span = Span::new(first.span.start, end);
        let written = self.text.get(span.range()).unwrap_or("");
        let d = Diagnostic::error(
            Code::EXPECTED,
            self.file,
            span,
            format!("expected a quoted time, found `{written}`"),
        )
        .with_label("times are strings")
        .with_help(format!("quote the time: `\"{written}\"`"));
        self.push(d);
        for _ in 0..n {
            self.bump();
        }
        Ok(ast::StrLit {
            value: written,
            span,
        })
    }

    fn weekday(&mut self) -> PResult<ast::Weekday> {
        let word = self.word().unwrap_or("");
        if let Some((_, day)) = ast::Weekday::ALL.iter().find(|(n, _)| *n == word) {
            self.bump();
            return Ok(*day);
        }
        let names: Vec<&str> = ast::Weekday::ALL.iter().map(|(n, _)| *n).collect();
        let help = match closest(word, &names) {
            Some(d) => format!("did you mean `{d}`? days are capitalised"),
            None => "the days are `Monday` to `Sunday`".to_owned(),
        };
        Err(self.expected("a day of the week", Some(help)))
    }

    /// `N unit`
    fn duration(&mut self, what: &str) -> PResult<ast::Duration> {
        let Some(num) = self.eat(TokenKind::Number) else {
            return Err(self.expected(
                &format!("a number after {what}"),
                Some("write an amount and a unit, e.g. `30 minutes`".to_owned()),
            ));
        };
        let word = self.word().unwrap_or("");
        let Some((_, unit)) = UNITS.iter().find(|(n, _)| *n == word) else {
            let names: Vec<&str> = UNITS.iter().map(|(n, _)| *n).collect();
            let help = match closest(word, &names) {
                Some(u) => format!("did you mean `{u}`?"),
                None => "the units are `minutes`, `hours`, `days`, `weeks` and `months`".to_owned(),
            };
            return Err(self.expected("a time unit", Some(help)));
        };
        self.bump();
        Ok(ast::Duration {
            amount: self.num_of(num).value,
            unit: *unit,
            span: self.span_from(num.span),
        })
    }

    /// `on Model.created|updated|deleted` or `on Model.field -> value`
    fn trigger(&mut self) -> PResult<ast::Trigger<'a>> {
        self.expect_word(
            "on",
            "`on Model.event` (a trigger is `on Model.created` or `on Model.field -> value`)",
        )?;
        let model = self.name("a model name after `on`")?;
        self.expect(TokenKind::Dot, "`.` and an event after the model")?;
        let event = self.name("`created`, `updated`, `deleted` or a field name")?;
        if self.eat(TokenKind::Arrow).is_some() {
            let to = self.name("the value after `->`")?;
            return Ok(ast::Trigger::Change {
                model,
                field: event,
                to,
            });
        }
        let kind = match event.name {
            "created" => ast::LifecycleEvent::Created,
            "updated" => ast::LifecycleEvent::Updated,
            "deleted" => ast::LifecycleEvent::Deleted,
            _ => {
                let d = Diagnostic::error(
                    Code::EXPECTED,
                    self.file,
                    event.span,
                    format!(
                        "expected `created`, `updated` or `deleted`, found `{}`",
                        event.name
                    ),
                )
                .with_label("not a lifecycle event")
                .with_help(format!(
                    "to react to a field change write `on {}.{} -> value`",
                    model.name, event.name
                ));
                self.push_always(d);
                return Err(Bail);
            }
        };
        Ok(ast::Trigger::Lifecycle {
            model,
            event: kind,
            event_span: event.span,
        })
    }

    // ----- workflow ---------------------------------------------------------------------------

    /// `workflow Name { (on state { event* })* }`
    pub(super) fn workflow(&mut self) -> PResult<ast::Workflow<'a>> {
        let kw = self.bump();
        let name = self.name("a name for the workflow")?;
        let what = format!("`workflow {}`", name.name);
        let open = self.open_body(&what)?;
        let mut states = Vec::new();
        loop {
            if self.at(TokenKind::RBrace) || self.at(TokenKind::Eof) || self.at_new_decl_line() {
                break;
            }
            let start = self.pos;
            match self.workflow_state() {
                Ok(s) => states.push(s),
                Err(Bail) => self.recover(start, |p| p.at_word("on")),
            }
        }
        self.close(open, &what);
        Ok(ast::Workflow {
            name,
            states,
            span: self.span_from(kw.span),
        })
    }

    fn workflow_state(&mut self) -> PResult<ast::WorkflowState<'a>> {
        self.expect_word("on", "`on state { ... }` or `}`")?;
        let name = self.name("a state name after `on`")?;
        let what = format!("`on {}`", name.name);
        let open = self.open_body(&what)?;
        let mut events = Vec::new();
        loop {
            if self.at(TokenKind::RBrace) || self.at(TokenKind::Eof) || self.at_new_decl_line() {
                break;
            }
            let start = self.pos;
            match self.workflow_event() {
                Ok(e) => events.push(e),
                Err(Bail) => self.recover(start, |p| p.at_word("event")),
            }
        }
        self.close(open, &what);
        Ok(ast::WorkflowState { name, events })
    }

    /// `event name (: if guard (else fallback)?)? -> target`
    fn workflow_event(&mut self) -> PResult<ast::WorkflowEvent<'a>> {
        self.expect_word("event", "`event name -> state` or `}`")?;
        let name = self.name("an event name")?;
        let mut guard = None;
        let mut otherwise = None;
        if self.eat(TokenKind::Colon).is_some() {
            self.expect_word("if", "`if` and a guard after `:`")?;
            guard = Some(self.expr()?);
            if self.eat_word("else").is_some() {
                otherwise = Some(self.name("the fallback state after `else`")?);
            }
        }
        self.expect(TokenKind::Arrow, "`->` and the target state")?;
        let target = self.name("the target state after `->`")?;
        Ok(ast::WorkflowEvent {
            name,
            guard,
            otherwise,
            target,
        })
    }
}
