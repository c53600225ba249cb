//! Checking a row against its spec's constraints.
//!
//! Every generated model has a `validate()` that returns every constraint the row breaks, each
//! as a [`Violation`] (the field, the [`Rule`], a message). The generator writes the model's
//! constraints as a small constant table, `Model::RULES` (one [`FieldRules`] per constrained
//! field), and `validate()` is one call of [`check`] with that table and the row's fields: the
//! checking code lives here, once, instead of being repeated in every model.
//!
//! ```
//! mod shop {
//!     sheplang::sheplang! {
//!         app Shop {
//!             data Item {
//!                 fields: {
//!                     name: text required maxLength=5
//!                     stock: number min=0
//!                 }
//!             }
//!         }
//!     }
//! }
//!
//! let item = shop::Item { id: "i-1".into(), name: "\u{200b}".into(), stock: -1.0 };
//! let violations = item.validate().unwrap_err();
//! let found: Vec<(&str, &str)> = violations.iter().map(|v| (v.field, v.rule.as_str())).collect();
//! assert_eq!(found, [("name", "required"), ("stock", "min")]);
//! assert_eq!(violations[0].message, "must contain a visible character");
//! assert_eq!(violations.to_string(), "`name` must contain a visible character; `stock` must be at least 0");
//! ```
//!
//! The rules, the same in the generated TypeScript (`docs/language.md` has them in full):
//! - text is counted in characters (Unicode scalar values), never in bytes;
//! - `required` text must contain a visible character: one that is not white space, a control
//!   character or a default-ignorable one (see [`is_visible`]);
//! - `min`/`max` bound a number, or a `money` amount compared as an exact decimal;
//! - `minLength`/`maxLength` bound the characters of a text, or the items of a list;
//! - `email` (an `email` field, or `email=true`): see [`is_email`];
//! - `pattern`: a regular expression searched in the value (anchor it with `^...$`), with `.`
//!   matching any character; the dialect is the part both Rust's `regex-lite` and JavaScript's
//!   `u` mode read alike.
//!
//! `unique` is not checked here: only the database sees every row.

use core::cmp::Ordering;
use core::fmt;
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock, PoisonError};

use serde::Serialize;

use crate::{Money, Ref};

/// A bound of a constraint: its value, and its text as the messages print it (the same text in
/// Rust and TypeScript, written by the generator).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bound {
    pub value: f64,
    pub text: &'static str,
}

/// The constraints of one field, as the generator writes them.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct FieldRules {
    /// The spec's field name (the key on the wire).
    pub field: &'static str,
    pub required: bool,
    pub min_length: Option<Bound>,
    pub max_length: Option<Bound>,
    pub min: Option<Bound>,
    pub max: Option<Bound>,
    pub email: bool,
    pub pattern: Option<&'static str>,
}

impl FieldRules {
    /// No constraint yet on the field `field`.
    pub const fn new(field: &'static str) -> Self {
        FieldRules {
            field,
            required: false,
            min_length: None,
            max_length: None,
            min: None,
            max: None,
            email: false,
            pattern: None,
        }
    }

    /// `required`.
    pub const fn required(mut self) -> Self {
        self.required = true;
        self
    }

    /// `minLength=value`.
    pub const fn min_length(mut self, value: f64, text: &'static str) -> Self {
        self.min_length = Some(Bound { value, text });
        self
    }

    /// `maxLength=value`.
    pub const fn max_length(mut self, value: f64, text: &'static str) -> Self {
        self.max_length = Some(Bound { value, text });
        self
    }

    /// `min=value`.
    pub const fn min(mut self, value: f64, text: &'static str) -> Self {
        self.min = Some(Bound { value, text });
        self
    }

    /// `max=value`.
    pub const fn max(mut self, value: f64, text: &'static str) -> Self {
        self.max = Some(Bound { value, text });
        self
    }

    /// `email=true`, or a field of type `email`.
    pub const fn email(mut self) -> Self {
        self.email = true;
        self
    }

    /// `pattern="regex"`.
    pub const fn pattern(mut self, regex: &'static str) -> Self {
        self.pattern = Some(regex);
        self
    }
}

/// A constraint of the spec, named by its word in the spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Rule {
    #[serde(rename = "required")]
    Required,
    #[serde(rename = "minLength")]
    MinLength,
    #[serde(rename = "maxLength")]
    MaxLength,
    #[serde(rename = "min")]
    Min,
    #[serde(rename = "max")]
    Max,
    #[serde(rename = "email")]
    Email,
    #[serde(rename = "pattern")]
    Pattern,
}

impl Rule {
    /// The constraint's word in the spec (`maxLength`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Rule::Required => "required",
            Rule::MinLength => "minLength",
            Rule::MaxLength => "maxLength",
            Rule::Min => "min",
            Rule::Max => "max",
            Rule::Email => "email",
            Rule::Pattern => "pattern",
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One broken constraint. Serialises as `{"field": ..., "rule": ..., "message": ...}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation {
    /// The spec's field name (the key on the wire).
    pub field: &'static str,
    pub rule: Rule,
    /// What the value must be, without the field's name (`must be at most 200 characters long`).
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` {}", self.field, self.message)
    }
}

/// Every constraint a row breaks, in the order of the spec's fields, then of [`Rule`]. Never
/// empty. Serialises as the list of its [`Violation`]s.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Violations(Vec<Violation>);

impl Violations {
    /// The violations, as a vector.
    pub fn into_vec(self) -> Vec<Violation> {
        self.0
    }
}

impl core::ops::Deref for Violations {
    type Target = [Violation];

    fn deref(&self) -> &[Violation] {
        &self.0
    }
}

impl IntoIterator for Violations {
    type Item = Violation;
    type IntoIter = std::vec::IntoIter<Violation>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a Violations {
    type Item = &'a Violation;
    type IntoIter = core::slice::Iter<'a, Violation>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl fmt::Display for Violations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, violation) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{violation}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Violations {}

/// What a field's value is, for the checks.
#[derive(Debug, Clone, PartialEq)]
pub enum View<'a> {
    /// An optional field without a value.
    Absent,
    /// A string: counted in characters, checked for `required`, `email` and `pattern`.
    Text(&'a str),
    /// A number, for `min`/`max`.
    Number(f64),
    /// An exact decimal (`money`), for `min`/`max`.
    Decimal(Cow<'a, str>),
    /// A list of this many items, for `minLength`/`maxLength`.
    Items(usize),
    /// A value no constraint applies to (`yes/no`, a date, a nested row).
    Other,
}

/// A field's value as the checks see it: implemented for every type a generated field has.
pub trait Value {
    fn view(&self) -> View<'_>;
}

impl Value for String {
    fn view(&self) -> View<'_> {
        View::Text(self)
    }
}

impl Value for str {
    fn view(&self) -> View<'_> {
        View::Text(self)
    }
}

impl Value for f64 {
    fn view(&self) -> View<'_> {
        View::Number(*self)
    }
}

impl Value for bool {
    fn view(&self) -> View<'_> {
        View::Other
    }
}

impl Value for Money {
    fn view(&self) -> View<'_> {
        View::Decimal(Cow::Borrowed(self.as_str()))
    }
}

#[cfg(feature = "decimal")]
impl Value for rust_decimal::Decimal {
    fn view(&self) -> View<'_> {
        View::Decimal(Cow::Owned(self.to_string()))
    }
}

#[cfg(feature = "time")]
impl Value for time::Date {
    fn view(&self) -> View<'_> {
        View::Other
    }
}

#[cfg(feature = "time")]
impl Value for time::OffsetDateTime {
    fn view(&self) -> View<'_> {
        View::Other
    }
}

impl<M: ?Sized> Value for Ref<M> {
    fn view(&self) -> View<'_> {
        View::Text(self.as_str())
    }
}

impl<T: Value> Value for Option<T> {
    fn view(&self) -> View<'_> {
        match self {
            Some(value) => value.view(),
            None => View::Absent,
        }
    }
}

impl<T> Value for Vec<T> {
    fn view(&self) -> View<'_> {
        View::Items(self.len())
    }
}

impl<T: Value + ?Sized> Value for Box<T> {
    fn view(&self) -> View<'_> {
        (**self).view()
    }
}

/// Checks `values` (one per entry of `rules`, in the same order) against `rules`: `Ok` when no
/// constraint is broken, or every violation. A missing value (a shorter `values`) is not checked.
///
/// # Errors
/// [`Violations`], when any constraint is broken.
pub fn check(rules: &[FieldRules], values: &[&dyn Value]) -> Result<(), Violations> {
    let mut out = Vec::new();
    for (rules, value) in rules.iter().zip(values) {
        check_field(rules, &value.view(), &mut out);
    }
    if out.is_empty() {
        Ok(())
    } else {
        Err(Violations(out))
    }
}

/// The violations of one field's value, appended to `out`.
pub fn check_field(rules: &FieldRules, value: &View<'_>, out: &mut Vec<Violation>) {
    let mut broken = |rule: Rule, message: String| {
        out.push(Violation {
            field: rules.field,
            rule,
            message,
        });
    };
    match value {
        View::Absent => {
            if rules.required {
                broken(Rule::Required, "is required".to_owned());
            }
        }
        View::Text(text) => {
            if rules.required && !text.chars().any(is_visible) {
                broken(
                    Rule::Required,
                    "must contain a visible character".to_owned(),
                );
            }
            lengths(
                rules,
                text.chars().count(),
                "character",
                " long",
                &mut broken,
            );
            if rules.email && !is_email(text) {
                broken(Rule::Email, "must be an e-mail address".to_owned());
            }
            if let Some(pattern) = rules.pattern
                && !matches(pattern, text)
            {
                broken(Rule::Pattern, format!("must match the pattern `{pattern}`"));
            }
        }
        View::Items(count) => lengths(rules, *count, "item", "", &mut broken),
        View::Number(number) => {
            if let Some(min) = rules.min
                && below(*number, min.value)
            {
                broken(Rule::Min, format!("must be at least {}", min.text));
            }
            if let Some(max) = rules.max
                && above(*number, max.value)
            {
                broken(Rule::Max, format!("must be at most {}", max.text));
            }
        }
        View::Decimal(amount) => {
            if let Some(min) = rules.min
                && compare_decimals(amount, min.text).is_none_or(Ordering::is_lt)
            {
                broken(Rule::Min, format!("must be at least {}", min.text));
            }
            if let Some(max) = rules.max
                && compare_decimals(amount, max.text).is_none_or(Ordering::is_gt)
            {
                broken(Rule::Max, format!("must be at most {}", max.text));
            }
        }
        View::Other => {}
    }
}

/// `minLength`/`maxLength` of a text (`character`, ` long`) or a list (`item`).
fn lengths(
    rules: &FieldRules,
    count: usize,
    unit: &str,
    long: &str,
    broken: &mut impl FnMut(Rule, String),
) {
    // Counts are far below 2^53: exact as f64.
    let count = count as f64;
    let verb = if long.is_empty() { "have" } else { "be" };
    let plural = |b: &Bound| if b.text == "1" { "" } else { "s" };
    if let Some(min) = rules.min_length
        && below(count, min.value)
    {
        broken(
            Rule::MinLength,
            format!(
                "must {verb} at least {} {unit}{}{long}",
                min.text,
                plural(&min)
            ),
        );
    }
    if let Some(max) = rules.max_length
        && above(count, max.value)
    {
        broken(
            Rule::MaxLength,
            format!(
                "must {verb} at most {} {unit}{}{long}",
                max.text,
                plural(&max)
            ),
        );
    }
}

/// The characters that are not visible: white space (Unicode's `White_Space`), control
/// characters (`Cc`), default-ignorable characters (`Default_Ignorable_Code_Point`: zero-width
/// and bidirectional marks, variation selectors, fillers, tags...) and, in JavaScript only,
/// lone surrogates. Inclusive ranges, sorted; the TypeScript runtime has the same table.
pub const INVISIBLE: &[(u32, u32)] = &[
    (0x0000, 0x0020),
    (0x007F, 0x00A0),
    (0x00AD, 0x00AD),
    (0x034F, 0x034F),
    (0x061C, 0x061C),
    (0x115F, 0x1160),
    (0x1680, 0x1680),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x2000, 0x200F),
    (0x2028, 0x202F),
    (0x205F, 0x206F),
    (0x3000, 0x3000),
    (0x3164, 0x3164),
    (0xD800, 0xDFFF),
    (0xFE00, 0xFE0F),
    (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0),
    (0xFFF0, 0xFFF8),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0000, 0xE0FFF),
];

/// Whether `c` is visible: outside every range of [`INVISIBLE`]. A `required` text must contain
/// one such character.
pub fn is_visible(c: char) -> bool {
    let c = u32::from(c);
    !INVISIBLE.iter().any(|&(lo, hi)| lo <= c && c <= hi)
}

/// Whether `text` is an e-mail address, by a deliberately simple rule that both languages apply
/// alike: every character visible (no space, no control character); exactly one `@`, with at
/// least one character before it; after it, a domain of two or more labels separated by `.`,
/// each label made of letters, digits and `-` (any non-ASCII character counts as a letter, for
/// international domains), not starting or ending with `-`.
pub fn is_email(text: &str) -> bool {
    let Some((local, domain)) = text.split_once('@') else {
        return false;
    };
    if local.is_empty() || domain.contains('@') || !text.chars().all(is_visible) {
        return false;
    }
    let labels: Vec<&str> = domain.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|label| {
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || !c.is_ascii())
        })
}

/// Whether `pattern` matches somewhere in `text` (`.` matches any character, line breaks too).
/// A pattern that does not compile (the compiler refuses those) matches nothing.
pub fn matches(pattern: &'static str, text: &str) -> bool {
    static CACHE: OnceLock<Mutex<HashMap<&'static str, Option<regex_lite::Regex>>>> =
        OnceLock::new();
    let regex = {
        let mut cache = CACHE
            .get_or_init(Mutex::default)
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        cache
            .entry(pattern)
            .or_insert_with(|| compile_pattern(pattern).ok())
            .clone()
    };
    regex.is_some_and(|regex| regex.is_match(text))
}

/// Compiles a spec's `pattern` as the validators run it.
///
/// # Errors
/// The regex engine's message, when the pattern does not compile.
pub fn compile_pattern(pattern: &str) -> Result<regex_lite::Regex, String> {
    regex_lite::RegexBuilder::new(pattern)
        .dot_matches_new_line(true)
        .build()
        .map_err(|e| e.to_string())
}

/// `value` is below `bound`, or not comparable with it (NaN breaks every bound).
fn below(value: f64, bound: f64) -> bool {
    value.partial_cmp(&bound).is_none_or(Ordering::is_lt)
}

/// `value` is above `bound`, or not comparable with it.
fn above(value: f64, bound: f64) -> bool {
    value.partial_cmp(&bound).is_none_or(Ordering::is_gt)
}

/// Compares two decimal strings exactly; `None` when either is not a decimal.
fn compare_decimals(a: &str, b: &str) -> Option<Ordering> {
    Some(Money::parse(a).ok()?.cmp(&Money::parse(b).ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visible_characters() {
        for c in ['a', 'é', '😀', '\u{E000}', '0', '-'] {
            assert!(is_visible(c), "{c:?}");
        }
        for c in [
            '\0',
            ' ',
            '\t',
            '\u{a0}',
            '\u{200b}',
            '\u{feff}',
            '\u{3164}',
            '\u{e0041}',
            '\u{85}',
        ] {
            assert!(!is_visible(c), "{c:?}");
        }
        assert!(INVISIBLE.windows(2).all(|w| w[0].1 < w[1].0));
    }

    #[test]
    fn emails() {
        for ok in [
            "a@b.co",
            "ann.lee+x@mail.example.org",
            "é@bücher.de",
            "a@1.2",
        ] {
            assert!(is_email(ok), "{ok}");
        }
        for bad in [
            "",
            "@b.co",
            "a@",
            "a@b",
            "a@.b",
            "a@b.",
            "a@-b.co",
            "a@b-.co",
            "a b@c.de",
            "a@b@c.de",
            "a@b_c.de",
            "a\u{200b}@b.co",
        ] {
            assert!(!is_email(bad), "{bad}");
        }
    }

    #[test]
    fn patterns_see_any_character_with_a_dot() {
        assert!(matches("^a.b$", "a\nb"));
        assert!(!matches("^[0-9]+$", "١٢"), "\\d and classes are as written");
        assert!(
            !matches("(", "("),
            "a pattern that does not compile matches nothing"
        );
    }

    #[test]
    fn decimals_compare_exactly() {
        let rules = [FieldRules::new("price").min(0.1, "0.1").max(0.3, "0.3")];
        let price = |s: &str| Money::parse(s).unwrap();
        assert!(check(&rules, &[&price("0.3")]).is_ok());
        assert!(check(&rules, &[&price("0.30000000000000001")]).is_err());
        assert!(check(&rules, &[&price("0.1")]).is_ok());
    }
}
