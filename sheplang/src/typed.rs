//! Typed values for a host's own structs: `date` as `time::Date`, `datetime` as
//! `time::OffsetDateTime` (feature `time`) and `money` as `rust_decimal::Decimal` (feature
//! `decimal`), with serde helpers that keep the wire format of `docs/wire.md` exactly.
//!
//! The generated rows keep the default types (`String` for dates, [`Money`](crate::Money)), so
//! the features are additive: turning one on changes no generated type and no other crate of the
//! build. A host that wants typed values declares them in a struct of its own and names the
//! helper of each field:
//!
//! ```
//! # #[cfg(all(feature = "time", feature = "decimal"))] {
//! use sheplang::rust_decimal::Decimal;
//! use sheplang::time::{Date, OffsetDateTime};
//!
//! #[derive(serde::Serialize, serde::Deserialize)]
//! struct Invoice {
//!     id: String,
//!     #[serde(with = "sheplang::typed::date")]
//!     due: Date,
//!     #[serde(with = "sheplang::typed::datetime")]
//!     issued_at: OffsetDateTime,
//!     #[serde(with = "sheplang::typed::money")]
//!     total: Decimal,
//!     #[serde(default, skip_serializing_if = "Option::is_none", with = "sheplang::typed::datetime::option")]
//!     paid_at: Option<OffsetDateTime>,
//! }
//!
//! let json = r#"{"id":"i-1","due":"2026-11-25","issued_at":"2026-11-01T09:30:00+01:00","total":"12.50"}"#;
//! let invoice: Invoice = serde_json::from_str(json)?;
//! assert_eq!(invoice.total, Decimal::new(1250, 2));
//! assert_eq!(serde_json::to_string(&invoice)?, json);
//! # }
//! # Ok::<(), serde_json::Error>(())
//! ```
//!
//! On the wire: a `date` is `YYYY-MM-DD`; a `datetime` is RFC 3339, written back in its
//! canonical form (`Z` for UTC, an offset otherwise, fractional seconds only when there are
//! some, without trailing zeros); a `money` amount is a decimal string with the scale it has
//! (`"12.50"` stays `"12.50"`), and a JSON number is refused, as [`Money`](crate::Money)
//! refuses it.

/// The `option` submodule of a helper module: the same format for an `Option<T>` (`null` for
/// `None`; with `default` and `skip_serializing_if` on the field).
#[cfg(any(feature = "time", feature = "decimal"))]
macro_rules! option_of {
    ($ty:ty) => {
        pub mod option {
            //! The same, for an `Option` of the type (`null` for `None`).

            use serde::{Deserialize, Deserializer, Serializer};

            /// Writes the value, or `null`.
            pub fn serialize<S: Serializer>(
                value: &Option<$ty>,
                serializer: S,
            ) -> Result<S::Ok, S::Error> {
                match value {
                    Some(value) => super::serialize(value, serializer),
                    None => serializer.serialize_none(),
                }
            }

            /// Reads a value, or `null`.
            pub fn deserialize<'de, D: Deserializer<'de>>(
                deserializer: D,
            ) -> Result<Option<$ty>, D::Error> {
                #[derive(Deserialize)]
                struct Wrap(#[serde(with = "super")] $ty);
                Ok(Option::<Wrap>::deserialize(deserializer)?.map(|Wrap(value)| value))
            }
        }
    };
}

#[cfg(feature = "time")]
pub mod date {
    //! `#[serde(with = "sheplang::typed::date")]` for a [`time::Date`]: `"2026-11-25"`.

    use core::fmt;

    use serde::Serializer;
    use serde::de::{self, Deserializer, Visitor};
    use time::{Date, Month};

    /// Writes `YYYY-MM-DD`.
    pub fn serialize<S: Serializer>(date: &Date, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&format_args!(
            "{:04}-{:02}-{:02}",
            date.year(),
            u8::from(date.month()),
            date.day()
        ))
    }

    /// Reads `YYYY-MM-DD` (a real date of the calendar).
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Date, D::Error> {
        struct DateVisitor;
        impl Visitor<'_> for DateVisitor {
            type Value = Date;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a date as a string, `YYYY-MM-DD`")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Date, E> {
                parse(v).ok_or_else(|| {
                    E::custom(format_args!(
                        "`{}` is not a date; write `YYYY-MM-DD`, such as `2026-11-25`",
                        crate::error::truncate_to(v, 40)
                    ))
                })
            }
        }
        deserializer.deserialize_str(DateVisitor)
    }

    fn parse(text: &str) -> Option<Date> {
        let bytes = text.as_bytes();
        let digits = |range: core::ops::Range<usize>| -> Option<u32> {
            let part = text.get(range)?;
            part.bytes()
                .all(|b| b.is_ascii_digit())
                .then(|| part.parse().ok())?
        };
        if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
            return None;
        }
        let year = i32::try_from(digits(0..4)?).ok()?;
        let month = Month::try_from(u8::try_from(digits(5..7)?).ok()?).ok()?;
        let day = u8::try_from(digits(8..10)?).ok()?;
        Date::from_calendar_date(year, month, day).ok()
    }

    option_of!(time::Date);
}

#[cfg(feature = "time")]
pub mod datetime {
    //! `#[serde(with = "sheplang::typed::datetime")]` for a [`time::OffsetDateTime`]: RFC 3339
    //! (`"2026-11-25T09:00:00Z"`).

    use serde::de::{self, Deserialize, Deserializer};
    use serde::{Serialize, Serializer};
    use time::OffsetDateTime;
    use time::format_description::well_known::Rfc3339;

    /// Writes RFC 3339.
    pub fn serialize<S: Serializer>(
        value: &OffsetDateTime,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        value
            .format(&Rfc3339)
            .map_err(serde::ser::Error::custom)?
            .serialize(serializer)
    }

    /// Reads RFC 3339.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<OffsetDateTime, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        OffsetDateTime::parse(&text, &Rfc3339).map_err(|e| {
            de::Error::custom(format_args!(
                "`{}` is not an RFC 3339 date-time ({e}); write one such as `2026-11-25T09:00:00Z`",
                crate::error::truncate_to(&text, 40)
            ))
        })
    }

    option_of!(time::OffsetDateTime);
}

#[cfg(feature = "decimal")]
pub mod money {
    //! `#[serde(with = "sheplang::typed::money")]` for a [`rust_decimal::Decimal`]: a decimal
    //! string (`"12.50"`), never a float, with the syntax [`Money`] accepts.

    use core::str::FromStr;

    use rust_decimal::Decimal;
    use serde::Serializer;
    use serde::de::{self, Deserialize, Deserializer};

    use crate::Money;

    /// Writes the decimal string, with the amount's scale (`12.50`).
    pub fn serialize<S: Serializer>(value: &Decimal, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(value)
    }

    /// Reads a decimal string; a JSON number is refused.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Decimal, D::Error> {
        let money = Money::deserialize(deserializer)?;
        Decimal::from_str(money.as_str()).map_err(|e| {
            de::Error::custom(format_args!(
                "`{}` does not fit a `Decimal` ({e}); use `sheplang::Money` for amounts of any size",
                crate::error::truncate_to(money.as_str(), 40)
            ))
        })
    }

    option_of!(rust_decimal::Decimal);
}
