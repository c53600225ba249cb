//! [`Money`]: an exact decimal amount that travels as a string.

use core::cmp::Ordering;
use core::fmt;
use core::hash::{Hash, Hasher};
use core::str::FromStr;

use serde::de::{self, Deserialize, Deserializer, Visitor};
use serde::{Serialize, Serializer};

use crate::error::truncate_to;

/// An exact decimal amount of money, as the spec's `money` type.
///
/// On the wire it is a JSON **string** holding a decimal (`"12.50"`, `"-3"`, `"0.001"`), never a
/// float, so no cent is ever lost to binary rounding. The text is kept as written, so `"12.50"`
/// serialises back as `"12.50"`; comparison, ordering and hashing are by numeric value, so
/// `"12.5" == "12.50"` and `"-0" == "0"`.
///
/// Accepted syntax: an optional `-`, one or more ASCII digits, then optionally `.` and one or
/// more ASCII digits. No exponent, no `+`, no thousands separator, no surrounding spaces.
///
/// ```
/// use sheplang::Money;
///
/// let price: Money = "12.50".parse()?;
/// assert_eq!(price.as_str(), "12.50");
/// assert_eq!(price, Money::from_minor_units(1250, 2));
/// assert_eq!(serde_json::to_string(&price)?, r#""12.50""#);
/// assert!("12,50".parse::<Money>().is_err());
/// assert!(serde_json::from_str::<Money>("12.5").is_err(), "a JSON number is refused");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Money(String);

impl Money {
    /// Parses a decimal string; see the type's documentation for the syntax.
    ///
    /// # Errors
    /// [`ParseMoneyError`] when `text` is not a decimal.
    pub fn parse(text: &str) -> Result<Self, ParseMoneyError> {
        if is_decimal(text) {
            Ok(Money(text.to_owned()))
        } else {
            Err(ParseMoneyError {
                input: truncate(text),
            })
        }
    }

    /// Zero (`"0"`).
    pub fn zero() -> Self {
        Money("0".to_owned())
    }

    /// An amount given in minor units with a fixed number of decimals:
    /// `from_minor_units(1250, 2)` is `"12.50"`, `from_minor_units(-5, 3)` is `"-0.005"`.
    pub fn from_minor_units(units: i64, scale: u8) -> Self {
        let digits = units.unsigned_abs().to_string();
        let scale = usize::from(scale);
        let mut out = String::with_capacity(digits.len() + scale + 3);
        if units < 0 {
            out.push('-');
        }
        if scale == 0 {
            out.push_str(&digits);
        } else if digits.len() > scale {
            let (int, frac) = digits.split_at(digits.len() - scale);
            out.push_str(int);
            out.push('.');
            out.push_str(frac);
        } else {
            out.push_str("0.");
            out.extend(core::iter::repeat_n('0', scale - digits.len()));
            out.push_str(&digits);
        }
        Money(out)
    }

    /// The decimal exactly as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The decimal as an owned string.
    pub fn into_string(self) -> String {
        self.0
    }

    /// True below zero (`"-0"` is not negative).
    pub fn is_negative(&self) -> bool {
        let (negative, int, frac) = self.parts();
        negative && !(int.is_empty() && frac.is_empty())
    }

    /// Sign, integer digits without leading zeros, fraction digits without trailing zeros.
    fn parts(&self) -> (bool, &str, &str) {
        let (negative, rest) = match self.0.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, self.0.as_str()),
        };
        let (int, frac) = rest.split_once('.').unwrap_or((rest, ""));
        let int = int.trim_start_matches('0');
        let frac = frac.trim_end_matches('0');
        let zero = int.is_empty() && frac.is_empty();
        (negative && !zero, int, frac)
    }
}

fn is_decimal(text: &str) -> bool {
    let rest = text.strip_prefix('-').unwrap_or(text);
    let (int, frac) = match rest.split_once('.') {
        Some((int, frac)) => (int, Some(frac)),
        None => (rest, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    digits(int) && frac.is_none_or(digits)
}

/// Keeps error messages short when the input is huge.
fn truncate(text: &str) -> String {
    truncate_to(text, 64)
}

impl PartialEq for Money {
    fn eq(&self, other: &Self) -> bool {
        self.parts() == other.parts()
    }
}

impl Eq for Money {}

impl Hash for Money {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.parts().hash(state);
    }
}

impl PartialOrd for Money {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Money {
    fn cmp(&self, other: &Self) -> Ordering {
        let (an, ai, af) = self.parts();
        let (bn, bi, bf) = other.parts();
        let magnitude = ai
            .len()
            .cmp(&bi.len())
            .then_with(|| ai.cmp(bi))
            .then_with(|| af.cmp(bf));
        match (an, bn) {
            (false, false) => magnitude,
            (true, true) => magnitude.reverse(),
            (true, false) => Ordering::Less,
            (false, true) => Ordering::Greater,
        }
    }
}

impl fmt::Debug for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Money({:?})", self.0)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Default for Money {
    fn default() -> Self {
        Money::zero()
    }
}

impl FromStr for Money {
    type Err = ParseMoneyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Money::parse(s)
    }
}

impl TryFrom<&str> for Money {
    type Error = ParseMoneyError;

    fn try_from(value: &str) -> Result<Self, Self::Error> {
        Money::parse(value)
    }
}

impl TryFrom<String> for Money {
    type Error = ParseMoneyError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        if is_decimal(&value) {
            Ok(Money(value))
        } else {
            Err(ParseMoneyError {
                input: truncate(&value),
            })
        }
    }
}

impl From<Money> for String {
    fn from(value: Money) -> Self {
        value.0
    }
}

impl From<i64> for Money {
    fn from(value: i64) -> Self {
        Money(value.to_string())
    }
}

impl From<u32> for Money {
    fn from(value: u32) -> Self {
        Money(value.to_string())
    }
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MoneyVisitor;

        impl Visitor<'_> for MoneyVisitor {
            type Value = Money;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a decimal string such as \"12.50\" (money is never a JSON number)")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Money, E> {
                Money::parse(v).map_err(E::custom)
            }

            fn visit_string<E: de::Error>(self, v: String) -> Result<Money, E> {
                Money::try_from(v).map_err(E::custom)
            }
        }

        deserializer.deserialize_str(MoneyVisitor)
    }
}

/// A string that is not a decimal amount (see [`Money`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseMoneyError {
    input: String,
}

impl ParseMoneyError {
    /// The rejected text (cut to 64 bytes).
    pub fn input(&self) -> &str {
        &self.input
    }
}

impl fmt::Display for ParseMoneyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid money amount {:?}; expected a decimal such as \"12.50\" (digits, an optional `-` and `.`)",
            self.input
        )
    }
}

impl std::error::Error for ParseMoneyError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_decimals_only() {
        for ok in ["0", "12", "12.50", "-3", "0.001", "-0", "007.10"] {
            assert!(Money::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "", "-", ".", "1.", ".5", "+1", "1e3", "12,50", " 1", "1 ", "--1", "1.2.3", "NaN",
        ] {
            assert!(Money::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_huge_input_is_cut_in_the_error() {
        let short = Money::parse("12,50").unwrap_err();
        assert_eq!(short.input(), "12,50");
        // 100 two-byte chars: cut to 64 bytes, on a char boundary.
        let e = Money::parse(&"é".repeat(100)).unwrap_err();
        assert_eq!(e.input(), format!("{}...", "é".repeat(32)));
        let e = Money::try_from("x".repeat(65)).unwrap_err();
        assert_eq!(e.input(), format!("{}...", "x".repeat(64)));
    }

    #[test]
    fn compares_by_value() {
        let m = |s: &str| Money::parse(s).unwrap();
        assert_eq!(m("12.5"), m("12.50"));
        assert_eq!(m("-0"), m("0.000"));
        assert_eq!(m("007"), m("7"));
        assert!(m("-2") < m("-1.5"));
        assert!(m("-0.1") < m("0"));
        assert!(m("9.99") < m("10"));
        assert!(m("10.01") > m("10.001"));
        assert!(!m("-0").is_negative());
        assert!(m("-0.01").is_negative());
        let hash = |m: &Money| {
            use std::collections::hash_map::DefaultHasher;
            let mut h = DefaultHasher::new();
            m.hash(&mut h);
            h.finish()
        };
        assert_eq!(hash(&m("1.10")), hash(&m("1.1")));
    }

    #[test]
    fn minor_units() {
        assert_eq!(Money::from_minor_units(1250, 2).as_str(), "12.50");
        assert_eq!(Money::from_minor_units(-5, 3).as_str(), "-0.005");
        assert_eq!(Money::from_minor_units(5, 0).as_str(), "5");
        assert_eq!(Money::from_minor_units(100, 2).as_str(), "1.00");
        assert_eq!(
            Money::from_minor_units(i64::MIN, 2).as_str(),
            "-92233720368547758.08"
        );
    }

    #[test]
    fn serde_is_a_string() {
        let m: Money = serde_json::from_str("\"12.50\"").unwrap();
        assert_eq!(serde_json::to_string(&m).unwrap(), "\"12.50\"");
        let err = serde_json::from_str::<Money>("12.5")
            .unwrap_err()
            .to_string();
        assert!(err.contains("never a JSON number"), "{err}");
        let err = serde_json::from_str::<Money>("\"abc\"")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("invalid money amount \"abc\""), "{err}");
    }
}
