//! Declarations: `data` (fields, types, constraints, states, rules) and `view`. `flow`, `job`
//! and `workflow` are in [`super::job`]; actions and their statements in [`super::stmt`].

use super::{Bail, PResult, Parser, closest};
use crate::ast::{self, BaseType, ConstraintKind, Literal};
use crate::diagnostic::{Code, Diagnostic};
use crate::lexer::{Token, TokenKind};
use crate::types::{self, Builtin};

/// The constraint words of a field (`default` included), as the parser accepts them; tools
/// (the language server's completion) read the same list.
pub const CONSTRAINTS: &[&str] = &[
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
    pub(super) fn open_body(&mut self, what: &str) -> PResult<Token> {
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
        self.missing_open(&format!("`{{` to open the body of {what}"), help)
    }

    // ----- data -------------------------------------------------------------------------------

    /// `data Name { fields: { ... } states: a -> b rules: { - "..." } }`
    pub(super) fn data(&mut self) -> PResult<ast::Data<'a>> {
        let kw = self.bump();
        let name = self.name("a name for the data model")?;
        let what = format!("`data {}`", name.name);
        let mut data = ast::Data {
            name,
            fields: Vec::new(),
            states: None,
            rules: Vec::new(),
            span: kw.span,
        };
        let Ok(open) = self.open_body(&what) else {
            // Still declared, so references to it resolve.
            self.recover(self.pos, |p| p.at_decl_start());
            data.span = self.span_from(kw.span);
            return Ok(data);
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
        let close = self.peek();
        self.close(open, &what);
        // `data P:` with no indented body was reported by the layout already.
        let no_body = open.is_virtual() && close.is_virtual() && close.span == open.span;
        if phase == DataPhase::Start && !broken && !no_body {
            let d = Diagnostic::error(
                Code::NO_FIELDS,
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
            let d = Diagnostic::error(Code::ITEM_ORDER, self.file, kw.span, message)
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
            // `title:` with nothing after it, and the next field on the next line.
            TokenKind::Ident if tok.starts_line() && self.nth_is(1, TokenKind::Colon) => {
                let help = format!("every field needs a type, e.g. `{}: text`", field.name);
                return Err(self.expected(&format!("a type for `{}`", field.name), Some(help)));
            }
            TokenKind::Ident | TokenKind::YesNo => {
                self.bump();
                match self.text_of(tok) {
                    "ref" if self.at(TokenKind::LBracket) => {
                        self.bump();
                        let model = self.name("a model name in `ref[...]`")?;
                        self.expect(TokenKind::RBracket, "`]` to close `ref[...]`")?;
                        BaseType::Ref(model)
                    }
                    word => match Builtin::from_name(word) {
                        Some(builtin) => BaseType::Builtin(builtin),
                        None => BaseType::Named(self.ident_of(tok)),
                    },
                }
            }
            _ => {
                let help = match self.text_of(tok) {
                    "[]" | "[" => "the list marker comes after the type: `text[]`".to_owned(),
                    _ => format!(
                        "the types are {}, `ref[Model]` or a model name",
                        types::names()
                            .map(|t| format!("`{t}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                };
                return Err(self.expected(&format!("a type for `{}`", field.name), Some(help)));
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
            let help = match closest(word, CONSTRAINTS) {
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
        let mut items = Vec::new();
        let Ok(open) = self.open_body(&what) else {
            // Still declared, so references to it resolve.
            self.recover(self.pos, |p| p.at_decl_start());
            return Ok(ast::View {
                name,
                items,
                span: self.span_from(kw.span),
            });
        };
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
}
