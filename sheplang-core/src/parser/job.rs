//! `flow`, `job` (schedules, triggers, delays) and `workflow` declarations.

use super::{Bail, PResult, Parser, closest};
use crate::ast;
use crate::diagnostic::{Code, Diagnostic};
use crate::lexer::{Token, TokenKind};
use crate::span::Span;

const UNITS: [(&str, ast::TimeUnit); 5] = [
    ("minutes", ast::TimeUnit::Minutes),
    ("hours", ast::TimeUnit::Hours),
    ("days", ast::TimeUnit::Days),
    ("weeks", ast::TimeUnit::Weeks),
    ("months", ast::TimeUnit::Months),
];

impl<'a> Parser<'a, '_> {
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
                Code::INCOMPLETE_JOB,
                self.file,
                close.span,
                format!("the job `{}` lacks {missing}", name.name),
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
            "action" if !colon => body.is_some(),
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
            let d = Diagnostic::error(Code::ITEM_ORDER, self.file, tok.span, message)
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
        if !matches!(first.kind, TokenKind::Number | TokenKind::Ident) || first.starts_line() {
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
            Code::UNQUOTED_TIME,
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
                    Code::UNKNOWN_EVENT,
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
            if self.at_word("on") && self.nth_is(2, TokenKind::LBrace) {
                // The next state starts: this one lacks its `}`.
                self.unclosed(open, &what);
                return Ok(ast::WorkflowState { name, events });
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
