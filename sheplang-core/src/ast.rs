//! The syntax tree. Names borrow the source text; every node carries its byte span.
//! The parser builds it, the checker reads it, and lowering turns it into the [`crate::ir`].

// Enums the IR carries unchanged are not repeated here: lowering copies them across.
pub use crate::ir::{BinaryOp, LifecycleEvent, Method, TimeUnit, UnaryOp};
use crate::span::Span;
use crate::types::Builtin;

/// A name with its span.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ident<'a> {
    pub name: &'a str,
    pub span: Span,
}

/// A string literal: `value` is the text between the quotes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StrLit<'a> {
    pub value: &'a str,
    pub span: Span,
}

/// A number literal: the source text and its value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NumLit<'a> {
    pub text: &'a str,
    pub value: f64,
    pub span: Span,
}

/// Which layout the file was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Braces,
    Indentation,
}

/// A whole file: exactly one `app`. `None` when the file had no usable app header.
#[derive(Debug, Clone, PartialEq)]
pub struct File<'a> {
    pub app: Option<App<'a>>,
    pub style: Style,
}

#[derive(Debug, Clone, PartialEq)]
pub struct App<'a> {
    pub name: Ident<'a>,
    pub decls: Vec<Decl<'a>>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Decl<'a> {
    Data(Data<'a>),
    View(View<'a>),
    Action(Action<'a>),
    Flow(Flow<'a>),
    Job(Job<'a>),
    Workflow(Workflow<'a>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Data<'a> {
    pub name: Ident<'a>,
    pub fields: Vec<Field<'a>>,
    pub states: Option<States<'a>>,
    pub rules: Vec<StrLit<'a>>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Field<'a> {
    pub name: Ident<'a>,
    pub ty: TypeRef<'a>,
    pub constraints: Vec<Constraint<'a>>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TypeRef<'a> {
    pub base: BaseType<'a>,
    /// `[]` after the type.
    pub list: bool,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BaseType<'a> {
    /// A built-in type (`text`, `yes/no`, ...).
    Builtin(Builtin),
    /// `ref[X]`
    Ref(Ident<'a>),
    /// A bare name: another `data` model (checked).
    Named(Ident<'a>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Constraint<'a> {
    pub kind: ConstraintKind<'a>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ConstraintKind<'a> {
    Required,
    Unique,
    Optional,
    Min(NumLit<'a>),
    Max(NumLit<'a>),
    MinLength(NumLit<'a>),
    MaxLength(NumLit<'a>),
    Email(bool),
    Pattern(StrLit<'a>),
    Default(Literal<'a>),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Literal<'a> {
    Str(StrLit<'a>),
    Num(NumLit<'a>),
    Bool(bool, Span),
    Name(Ident<'a>),
}

impl Literal<'_> {
    pub fn span(&self) -> Span {
        match self {
            Literal::Str(s) => s.span,
            Literal::Num(n) => n.span,
            Literal::Bool(_, s) => *s,
            Literal::Name(i) => i.span,
        }
    }
}

/// `states: a -> b -> c`
#[derive(Debug, Clone, PartialEq)]
pub struct States<'a> {
    pub names: Vec<Ident<'a>>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct View<'a> {
    pub name: Ident<'a>,
    pub items: Vec<ViewItem<'a>>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ViewItem<'a> {
    List(Ident<'a>),
    Button {
        label: StrLit<'a>,
        action: Ident<'a>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Action<'a> {
    pub name: Ident<'a>,
    pub params: Vec<Param<'a>>,
    pub body: Vec<Stmt<'a>>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Param<'a> {
    pub name: Ident<'a>,
    pub ty: Option<TypeRef<'a>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Stmt<'a> {
    pub kind: StmtKind<'a>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum StmtKind<'a> {
    /// `add Model with a, b = expr`
    Add {
        model: Ident<'a>,
        values: Vec<FieldValue<'a>>,
    },
    /// `show View`
    Show { view: Ident<'a> },
    /// `call POST "/path" with a, b`
    Call {
        method: Method,
        path: StrLit<'a>,
        args: Vec<Expr<'a>>,
    },
    /// `load GET "/path" into name`
    Load {
        method: Method,
        path: StrLit<'a>,
        into: Ident<'a>,
    },
    /// `update Model where expr set a = expr, b = expr`
    Update {
        model: Ident<'a>,
        filter: Expr<'a>,
        set: Vec<Assignment<'a>>,
    },
    /// `delete Model where expr`
    Delete { model: Ident<'a>, filter: Expr<'a> },
    /// `if c: { } else if c: { } else: { }`
    If {
        branches: Vec<(Expr<'a>, Vec<Stmt<'a>>)>,
        otherwise: Option<Vec<Stmt<'a>>>,
    },
    /// `for x in expr: { }`
    ForIn {
        var: Ident<'a>,
        iter: Expr<'a>,
        body: Vec<Stmt<'a>>,
    },
    /// `for i from a to b: { }`
    ForRange {
        var: Ident<'a>,
        from: Expr<'a>,
        to: Expr<'a>,
        body: Vec<Stmt<'a>>,
    },
    /// `name = expr`
    Assign(Assignment<'a>),
    /// `step a { } -> step b { } on error -> Action`
    Steps {
        steps: Vec<Step<'a>>,
        on_error: Option<Ident<'a>>,
    },
    /// `~ "free text"`
    Note(StrLit<'a>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct FieldValue<'a> {
    pub name: Ident<'a>,
    pub value: Option<Expr<'a>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Assignment<'a> {
    pub target: Ident<'a>,
    pub value: Expr<'a>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Step<'a> {
    pub name: Ident<'a>,
    pub body: Vec<Stmt<'a>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Expr<'a> {
    pub kind: ExprKind<'a>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind<'a> {
    Num(NumLit<'a>),
    Str(StrLit<'a>),
    Bool(bool),
    Name(Ident<'a>),
    /// `object.field`
    Field(Box<Expr<'a>>, Ident<'a>),
    /// `fn(args)`
    Call(Ident<'a>, Vec<Expr<'a>>),
    Unary(UnaryOp, Box<Expr<'a>>),
    Binary(BinaryOp, Box<Expr<'a>>, Box<Expr<'a>>),
    Paren(Box<Expr<'a>>),
    /// Stands in for an expression that failed to parse (already reported).
    Error,
}

/// `flow Name: from: X trigger: "..." steps: - "..."`
#[derive(Debug, Clone, PartialEq)]
pub struct Flow<'a> {
    pub name: Ident<'a>,
    pub from: Ident<'a>,
    pub trigger: StrLit<'a>,
    pub steps: Vec<StrLit<'a>>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Job<'a> {
    pub name: Ident<'a>,
    pub when: JobWhen<'a>,
    pub delay: Option<Duration>,
    pub body: Vec<Stmt<'a>>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum JobWhen<'a> {
    Schedule(Timing<'a>),
    Trigger(Trigger<'a>),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Duration {
    pub amount: f64,
    pub unit: TimeUnit,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weekday {
    Monday,
    Tuesday,
    Wednesday,
    Thursday,
    Friday,
    Saturday,
    Sunday,
}

impl Weekday {
    pub const ALL: [(&'static str, Weekday); 7] = [
        ("Monday", Weekday::Monday),
        ("Tuesday", Weekday::Tuesday),
        ("Wednesday", Weekday::Wednesday),
        ("Thursday", Weekday::Thursday),
        ("Friday", Weekday::Friday),
        ("Saturday", Weekday::Saturday),
        ("Sunday", Weekday::Sunday),
    ];

    pub fn as_str(self) -> &'static str {
        Weekday::ALL
            .iter()
            .find(|(_, d)| *d == self)
            .map(|(s, _)| *s)
            .unwrap_or("Monday")
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Timing<'a> {
    Cron(StrLit<'a>),
    Daily {
        at: StrLit<'a>,
    },
    Weekly {
        day: Weekday,
        at: StrLit<'a>,
    },
    Every {
        every: Duration,
        at: Option<StrLit<'a>>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum Trigger<'a> {
    /// `on Model.created`
    Lifecycle {
        model: Ident<'a>,
        event: LifecycleEvent,
        event_span: Span,
    },
    /// `on Model.field -> value`
    Change {
        model: Ident<'a>,
        field: Ident<'a>,
        to: Ident<'a>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Workflow<'a> {
    pub name: Ident<'a>,
    pub states: Vec<WorkflowState<'a>>,
    pub span: Span,
}

/// `on state { event ... }`
#[derive(Debug, Clone, PartialEq)]
pub struct WorkflowState<'a> {
    pub name: Ident<'a>,
    pub events: Vec<WorkflowEvent<'a>>,
}

/// `event name: if guard else fallback -> target`
#[derive(Debug, Clone, PartialEq)]
pub struct WorkflowEvent<'a> {
    pub name: Ident<'a>,
    pub guard: Option<Expr<'a>>,
    pub otherwise: Option<Ident<'a>>,
    pub target: Ident<'a>,
}
