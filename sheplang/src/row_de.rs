//! The `Deserialize` of the generated rows: one generic visitor here, and per row only what
//! differs (its keys, and one function that reads its fields by index and makes the row).
//!
//! serde's derived `Deserialize` writes, for every struct, an enum of its fields with its own
//! visitor, a `visit_seq` and a `visit_map` with a branch per field: on a spec of a thousand
//! models that is a large part of the generated module's compile time. The generated rows
//! implement [`Row`] instead and call [`row`], which reads the same input with the same
//! results:
//! - a map (a JSON object): each key found in [`Row::KEYS`] read into its field's slot, any other
//!   key skipped; a key given twice is serde's `duplicate field` error; after the last key, a
//!   missing field is serde's `missing field` error, unless the row gives it a default (an
//!   optional field is `None`, the lifecycle state its initial one);
//! - a sequence (a JSON array, or a format that writes structs as tuples): the fields in order;
//!   a sequence too short for the required fields is serde's `invalid length` error, as a
//!   derived `visit_seq` gives;
//! - a key may also be the field's index (`visit_u64`) or its name as bytes, as serde's field
//!   visitor allows.

use core::fmt;
use core::marker::PhantomData;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// A generated row, as [`row`] reads it. Not a public API: the generator writes the impls.
pub trait Row<'de>: Sized {
    /// The struct's name, for serde's messages (`struct Task`).
    const STRUCT: &'static str;
    /// The fields' keys on the wire, in the order of the struct's fields.
    const KEYS: &'static [&'static str];

    /// Reads the fields: while [`Fields::next_key`] gives a field's index, [`Fields::read`]
    /// into that field's slot; then the row from the slots, each required field through
    /// [`Fields::required`], each other one its type's default when it has no value.
    ///
    /// # Errors
    /// The input's: a value of another type, a key given twice, a required field missing.
    fn read<F: Fields<'de>>(fields: F) -> Result<Self, F::Error>;
}

/// The fields of one row on the wire: a map's entries, or a sequence's elements.
pub trait Fields<'de> {
    /// The deserializer's error.
    type Error: de::Error;

    /// The index in [`Row::KEYS`] of the next field there is a value for; `None` after the
    /// last. A map's keys the row does not have are skipped with their values.
    ///
    /// # Errors
    /// The input's.
    fn next_key(&mut self) -> Result<Option<usize>, Self::Error>;

    /// Reads the value of the field [`Self::next_key`] gave into `slot`.
    ///
    /// # Errors
    /// A value of another type; a key given twice (`slot` already has a value).
    fn read<T: Deserialize<'de>>(&mut self, slot: &mut Option<T>) -> Result<(), Self::Error>;

    /// The value of the required field `index`: serde's `missing field` error without one
    /// (`invalid length` for a sequence). As in a derived `Deserialize`, a type that accepts
    /// nothing (an `Option`) reads a missing map entry as nothing.
    ///
    /// # Errors
    /// When the slot is empty and the type needs a value.
    fn required<T: Deserialize<'de>>(
        &self,
        slot: Option<T>,
        index: usize,
    ) -> Result<T, Self::Error>;
}

/// Deserialises a generated row: what `Deserialize::deserialize` of every row calls.
///
/// # Errors
/// The deserializer's, and serde's `missing field`, `duplicate field` and `invalid length`.
#[inline]
pub fn row<'de, R: Row<'de>, D: Deserializer<'de>>(deserializer: D) -> Result<R, D::Error> {
    deserializer.deserialize_struct(R::STRUCT, R::KEYS, RowVisitor(PhantomData))
}

struct RowVisitor<R>(PhantomData<R>);

impl<'de, R: Row<'de>> Visitor<'de> for RowVisitor<R> {
    type Value = R;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "struct {}", R::STRUCT)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<R, A::Error> {
        R::read(MapFields {
            map,
            keys: R::KEYS,
            key: 0,
        })
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<R, A::Error> {
        R::read(SeqFields::<R, A> {
            seq,
            next: 0,
            ended: false,
            row: PhantomData,
        })
    }
}

/// A map's entries (a JSON object).
struct MapFields<A> {
    map: A,
    keys: &'static [&'static str],
    /// The index of the last key read.
    key: usize,
}

impl<'de, A: MapAccess<'de>> Fields<'de> for MapFields<A> {
    type Error = A::Error;

    #[inline]
    fn next_key(&mut self) -> Result<Option<usize>, A::Error> {
        loop {
            match self.map.next_key_seed(Key(self.keys))? {
                None => return Ok(None),
                Some(Some(index)) => {
                    self.key = index;
                    return Ok(Some(index));
                }
                Some(None) => {
                    self.map.next_value::<IgnoredAny>()?;
                }
            }
        }
    }

    #[inline]
    fn read<T: Deserialize<'de>>(&mut self, slot: &mut Option<T>) -> Result<(), A::Error> {
        if slot.is_some() {
            return Err(de::Error::duplicate_field(self.keys[self.key]));
        }
        *slot = Some(self.map.next_value()?);
        Ok(())
    }

    #[inline]
    fn required<T: Deserialize<'de>>(&self, slot: Option<T>, index: usize) -> Result<T, A::Error> {
        match slot {
            Some(value) => Ok(value),
            None => T::deserialize(MissingField(self.keys[index], PhantomData)),
        }
    }
}

/// A sequence's elements (a JSON array; a format that writes structs as tuples): the fields
/// in order.
struct SeqFields<R, A> {
    seq: A,
    /// The index of the next field.
    next: usize,
    /// The sequence has no more elements.
    ended: bool,
    row: PhantomData<R>,
}

impl<'de, R: Row<'de>, A: SeqAccess<'de>> Fields<'de> for SeqFields<R, A> {
    type Error = A::Error;

    #[inline]
    fn next_key(&mut self) -> Result<Option<usize>, A::Error> {
        if self.ended || self.next == R::KEYS.len() {
            return Ok(None);
        }
        self.next += 1;
        Ok(Some(self.next - 1))
    }

    #[inline]
    fn read<T: Deserialize<'de>>(&mut self, slot: &mut Option<T>) -> Result<(), A::Error> {
        *slot = self.seq.next_element()?;
        self.ended = slot.is_none();
        Ok(())
    }

    #[inline]
    fn required<T: Deserialize<'de>>(&self, slot: Option<T>, index: usize) -> Result<T, A::Error> {
        // A derived `visit_seq` stops at the first required field without an element.
        slot.ok_or_else(|| de::Error::invalid_length(index, &ExpectedLength::<R>(PhantomData)))
    }
}

/// What a short sequence was expected to be: `struct Task with 3 elements`.
struct ExpectedLength<R>(PhantomData<R>);

impl<'de, R: Row<'de>> de::Expected for ExpectedLength<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "struct {} with {} elements", R::STRUCT, R::KEYS.len())
    }
}

/// A key: its index in the row's keys, `None` for a key the row does not have.
struct Key(&'static [&'static str]);

impl<'de> DeserializeSeed<'de> for Key {
    type Value = Option<usize>;

    #[inline]
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Option<usize>, D::Error> {
        deserializer.deserialize_identifier(self)
    }
}

impl Visitor<'_> for Key {
    type Value = Option<usize>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("field identifier")
    }

    fn visit_u64<E: de::Error>(self, index: u64) -> Result<Option<usize>, E> {
        Ok(usize::try_from(index).ok().filter(|&i| i < self.0.len()))
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Option<usize>, E> {
        Ok(self.0.iter().position(|k| *k == key))
    }

    fn visit_bytes<E: de::Error>(self, key: &[u8]) -> Result<Option<usize>, E> {
        Ok(self.0.iter().position(|k| k.as_bytes() == key))
    }
}

/// The input of a field that is not there: `missing field` for any type that needs a value,
/// `None` for an `Option` (serde's own rule for a derived `Deserialize`).
struct MissingField<E>(&'static str, PhantomData<E>);

impl<'de, E: de::Error> Deserializer<'de> for MissingField<E> {
    type Error = E;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, E> {
        Err(E::missing_field(self.0))
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        visitor.visit_none()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}
