//! Typed values (features `time` and `decimal`): a host struct of `time` and `rust_decimal`
//! fields reads and writes exactly the JSON of the generated row, whose fields have the
//! default types (`String` dates, `sheplang::Money`).
#![cfg(all(feature = "time", feature = "decimal"))]

use serde::{Deserialize, Serialize};
use sheplang::rust_decimal::Decimal;
use sheplang::time::{Date, OffsetDateTime};

mod spec {
    sheplang::sheplang! {
        app Billing {
            data Invoice {
                fields: {
                    due: date
                    issuedAt: datetime
                    total: money min=0
                    paidAt: datetime optional
                    refund: money optional
                    settled: date optional
                }
            }
        }
    }
}

/// The host's own struct of the same model, with typed values.
#[derive(Debug, Serialize, Deserialize)]
struct TypedInvoice {
    id: String,
    #[serde(with = "sheplang::typed::date")]
    due: Date,
    #[serde(rename = "issuedAt", with = "sheplang::typed::datetime")]
    issued_at: OffsetDateTime,
    #[serde(with = "sheplang::typed::money")]
    total: Decimal,
    #[serde(
        rename = "paidAt",
        default,
        skip_serializing_if = "Option::is_none",
        with = "sheplang::typed::datetime::option"
    )]
    paid_at: Option<OffsetDateTime>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "sheplang::typed::money::option"
    )]
    refund: Option<Decimal>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "sheplang::typed::date::option"
    )]
    settled: Option<Date>,
}

const ROWS: &[&str] = &[
    r#"{"id":"i-1","due":"2026-11-25","issuedAt":"2026-11-25T09:00:00Z","total":"12.50"}"#,
    r#"{"id":"i-2","due":"2024-02-29","issuedAt":"2026-11-01T09:30:00+01:00","total":"0","paidAt":"2026-11-02T23:59:59.5Z","refund":"-0.001","settled":"2026-12-31"}"#,
    r#"{"id":"i-3","due":"0001-01-01","issuedAt":"1999-12-31T23:59:59.123456789-08:00","total":"79228162514264337593543950335"}"#,
];

#[test]
fn typed_and_default_rows_write_the_same_bytes() {
    for row in ROWS {
        let plain: spec::Invoice = serde_json::from_str(row).expect("the generated row reads it");
        let typed: TypedInvoice = serde_json::from_str(row).expect("the typed row reads it");
        let plain = serde_json::to_string(&plain).expect("writable");
        let typed = serde_json::to_string(&typed).expect("writable");
        assert_eq!(plain, *row);
        assert_eq!(typed, plain, "the typed row writes other bytes");
    }
}

#[test]
fn the_typed_values_are_the_wire_values() {
    let typed: TypedInvoice = serde_json::from_str(ROWS[1]).expect("readable");
    assert_eq!(typed.total, Decimal::ZERO);
    assert_eq!(typed.refund, Some(Decimal::new(-1, 3)));
    assert_eq!(typed.issued_at.offset().whole_hours(), 1);
    assert_eq!(typed.due.to_string(), "2024-02-29");
    assert_eq!(typed.paid_at.map(|t| t.millisecond()), Some(500));
}

#[test]
fn what_the_default_types_refuse_the_typed_ones_refuse() {
    let with = |field: &str, value: &str| {
        let mut row: serde_json::Value = serde_json::from_str(ROWS[0]).expect("JSON");
        row[field] = serde_json::from_str(value).expect("JSON");
        row
    };
    for (field, value) in [
        ("total", "12.5"),
        ("total", r#""12,50""#),
        ("total", r#""1e3""#),
        ("due", r#""2026-02-30""#),
        ("due", r#""2026-1-5""#),
        ("issuedAt", r#""2026-11-25 09:00""#),
    ] {
        let row = with(field, value);
        let error = serde_json::from_value::<TypedInvoice>(row)
            .expect_err(&format!("{field} = {value} is refused"));
        assert!(error.to_string().starts_with(['`', 'i']), "{error}");
    }
    assert!(serde_json::from_value::<spec::Invoice>(with("total", "12.5")).is_err());
}

#[test]
fn typed_amounts_are_validated_like_money() {
    let rules = spec::Invoice::RULES;
    let negative = Decimal::new(-1, 2);
    let violations = sheplang::validate::check(rules, &[&negative]).expect_err("below min");
    assert_eq!(violations.to_string(), "`total` must be at least 0");
    assert!(sheplang::validate::check(rules, &[&Decimal::ZERO]).is_ok());
}
