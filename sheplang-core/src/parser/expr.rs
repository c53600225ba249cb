//! Expressions, loosest first: `or`; `and`; one optional comparison (`== = != < <= > >=`, where
//! `=` is equality); `+ -`; `* / %`; prefix `not` and `-`; then literals, names, `a.b`, `f(args)`
//! and parentheses.

use super::{Bail, MAX_EXPR_NODES, PResult, Parser};
use crate::ast::{BinaryOp, Expr, ExprKind, UnaryOp};
use crate::diagnostic::{Code, Diagnostic};
use crate::lexer::TokenKind;

fn binary<'a>(op: BinaryOp, lhs: Expr<'a>, rhs: Expr<'a>) -> Expr<'a> {
    let span = lhs.span.to(rhs.span);
    Expr {
        kind: ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)),
        span,
    }
}

fn comparison(kind: TokenKind) -> Option<BinaryOp> {
    Some(match kind {
        TokenKind::EqEq | TokenKind::Eq => BinaryOp::Eq,
        TokenKind::NotEq => BinaryOp::Ne,
        TokenKind::Lt => BinaryOp::Lt,
        TokenKind::Le => BinaryOp::Le,
        TokenKind::Gt => BinaryOp::Gt,
        TokenKind::Ge => BinaryOp::Ge,
        _ => return None,
    })
}

impl<'a> Parser<'a, '_> {
    /// A whole expression (with a fresh complexity budget).
    pub(super) fn expr(&mut self) -> PResult<Expr<'a>> {
        self.expr_nodes = 0;
        self.or_expr()
    }

    /// Counts one operator, call or parenthesis node; fails once an expression has too many
    /// (which also bounds the parser's recursion and the tree's depth).
    fn node(&mut self) -> PResult<()> {
        self.expr_nodes += 1;
        if self.expr_nodes > MAX_EXPR_NODES {
            let tok = self.peek();
            let d = Diagnostic::error(
                Code::TOO_COMPLEX,
                self.file,
                tok.span,
                format!("expression too complex (more than {MAX_EXPR_NODES} operators)"),
            )
            .with_label("the limit is reached here")
            .with_help("split it into several assignments");
            self.push_always(d);
            return Err(Bail);
        }
        Ok(())
    }

    /// The word operator `word` (`or`, `and`), unless it is being assigned to (`or = 1`).
    fn at_word_op(&self, word: &str) -> bool {
        self.at_word(word) && !self.nth_is(1, TokenKind::Eq)
    }

    fn or_expr(&mut self) -> PResult<Expr<'a>> {
        let mut lhs = self.and_expr()?;
        while self.at_word_op("or") {
            self.node()?;
            self.bump();
            let rhs = self.and_expr()?;
            lhs = binary(BinaryOp::Or, lhs, rhs);
        }
        Ok(lhs)
    }

    fn and_expr(&mut self) -> PResult<Expr<'a>> {
        let mut lhs = self.cmp_expr()?;
        while self.at_word_op("and") {
            self.node()?;
            self.bump();
            let rhs = self.cmp_expr()?;
            lhs = binary(BinaryOp::And, lhs, rhs);
        }
        Ok(lhs)
    }

    fn cmp_expr(&mut self) -> PResult<Expr<'a>> {
        let lhs = self.add_expr()?;
        let Some(op) = comparison(self.kind()) else {
            return Ok(lhs);
        };
        self.node()?;
        self.bump();
        let rhs = self.add_expr()?;
        if comparison(self.kind()).is_some() {
            let tok = self.peek();
            let d = Diagnostic::error(
                Code::CHAINED_COMPARISON,
                self.file,
                tok.span,
                "comparison operators cannot be chained",
            )
            .with_label("a second comparison")
            .with_secondary(lhs.span.to(rhs.span), "after this comparison")
            .with_help("combine comparisons with `and`: `a < b and b < c`");
            return Err(self.push(d));
        }
        Ok(binary(op, lhs, rhs))
    }

    fn add_expr(&mut self) -> PResult<Expr<'a>> {
        let mut lhs = self.mul_expr()?;
        loop {
            let op = match self.kind() {
                TokenKind::Plus => BinaryOp::Add,
                TokenKind::Minus => BinaryOp::Sub,
                _ => return Ok(lhs),
            };
            self.node()?;
            self.bump();
            let rhs = self.mul_expr()?;
            lhs = binary(op, lhs, rhs);
        }
    }

    fn mul_expr(&mut self) -> PResult<Expr<'a>> {
        let mut lhs = self.unary_expr()?;
        loop {
            let op = match self.kind() {
                TokenKind::Star => BinaryOp::Mul,
                TokenKind::Slash => BinaryOp::Div,
                TokenKind::Percent => BinaryOp::Rem,
                _ => return Ok(lhs),
            };
            self.node()?;
            self.bump();
            let rhs = self.unary_expr()?;
            lhs = binary(op, lhs, rhs);
        }
    }

    /// Whether the token after a prefix `not` can start an operand (else `not` is a name).
    fn operand_follows(&self, n: usize) -> bool {
        matches!(
            self.nth(n).kind,
            TokenKind::Ident
                | TokenKind::Number
                | TokenKind::Str
                | TokenKind::LParen
                | TokenKind::Minus
        )
    }

    fn unary_expr(&mut self) -> PResult<Expr<'a>> {
        let op = if self.at(TokenKind::Minus) {
            UnaryOp::Neg
        } else if self.at_word("not") && self.operand_follows(1) {
            UnaryOp::Not
        } else {
            return self.postfix_expr();
        };
        self.node()?;
        let tok = self.bump();
        let operand = self.unary_expr()?;
        let span = tok.span.to(operand.span);
        Ok(Expr {
            kind: ExprKind::Unary(op, Box::new(operand)),
            span,
        })
    }

    fn postfix_expr(&mut self) -> PResult<Expr<'a>> {
        let mut expr = self.primary_expr()?;
        loop {
            if self.at(TokenKind::Dot) {
                self.node()?;
                self.bump();
                let field = self.name("a field name after `.`")?;
                let span = expr.span.to(field.span);
                expr = Expr {
                    kind: ExprKind::Field(Box::new(expr), field),
                    span,
                };
            } else if self.at(TokenKind::LParen) {
                let ExprKind::Name(function) = expr.kind else {
                    let help = "only a function name can be called: `name(args)`".to_owned();
                    return Err(self.expected("an operator", Some(help)));
                };
                self.node()?;
                self.bump();
                let mut args = Vec::new();
                if self.eat(TokenKind::RParen).is_none() {
                    loop {
                        args.push(self.or_expr()?);
                        if self.eat(TokenKind::Comma).is_some() {
                            continue;
                        }
                        self.expect(TokenKind::RParen, "`,` or `)` in the argument list")?;
                        break;
                    }
                }
                expr = Expr {
                    kind: ExprKind::Call(function, args),
                    span: self.span_from(expr.span),
                };
            } else {
                return Ok(expr);
            }
        }
    }

    fn primary_expr(&mut self) -> PResult<Expr<'a>> {
        let tok = self.peek();
        let kind = match tok.kind {
            TokenKind::Number => ExprKind::Num(self.num_of(tok)),
            TokenKind::Str => ExprKind::Str(self.str_of(tok)),
            TokenKind::Ident => {
                // A statement on the next line: the expression is missing.
                if self.at_stmt_on_new_line() {
                    return Err(self.expected("an expression", None));
                }
                match self.text_of(tok) {
                    "true" => ExprKind::Bool(true),
                    "false" => ExprKind::Bool(false),
                    _ => ExprKind::Name(self.ident_of(tok)),
                }
            }
            TokenKind::LParen => {
                self.node()?;
                self.bump();
                let inner = self.or_expr()?;
                self.expect(TokenKind::RParen, "`)` to close the parenthesis")?;
                return Ok(Expr {
                    kind: ExprKind::Paren(Box::new(inner)),
                    span: self.span_from(tok.span),
                });
            }
            _ => {
                let help = match tok.kind {
                    TokenKind::Eq => Some("compare with `==` or `=` between two values".to_owned()),
                    _ => None,
                };
                return Err(self.expected("an expression", help));
            }
        };
        self.bump();
        Ok(Expr {
            kind,
            span: tok.span,
        })
    }
}

/// A compact s-expression of an expression, for tests: `(or a (and b (== c (+ d (* e (- f))))))`.
#[cfg(test)]
pub(super) fn sexpr(e: &Expr<'_>) -> String {
    match &e.kind {
        ExprKind::Num(n) => n.text.to_owned(),
        ExprKind::Str(s) => format!("{:?}", s.value),
        ExprKind::Bool(b) => b.to_string(),
        ExprKind::Name(n) => n.name.to_owned(),
        ExprKind::Field(o, f) => format!("(. {} {})", sexpr(o), f.name),
        ExprKind::Call(f, args) => {
            let mut s = format!("(call {}", f.name);
            for a in args {
                s.push(' ');
                s.push_str(&sexpr(a));
            }
            s.push(')');
            s
        }
        ExprKind::Unary(op, x) => {
            let op = match op {
                UnaryOp::Not => "not",
                UnaryOp::Neg => "-",
            };
            format!("({op} {})", sexpr(x))
        }
        ExprKind::Binary(op, l, r) => format!("({} {} {})", op.as_str(), sexpr(l), sexpr(r)),
        ExprKind::Paren(x) => sexpr(x),
        ExprKind::Error => "<error>".to_owned(),
    }
}
