//! A borrowing reader for the few members the generator checks of a JSON object.
//!
//! The hot loops read a handful of members of each token, introspection and userinfo response and
//! of each ID token payload. Building a `serde_json::Map<String, Value>` for that allocates every
//! key and value of the document and frees them again, on the cores the server under test shares.
//! [`pick`] instead keeps only the named members, borrowing their strings from the body unless
//! they contain escapes, and skips the rest without allocating: a document [`pick`] accepts is
//! exactly one `serde_json::from_slice::<Value>` parses to an object, and each picked member reads
//! as that object's member would.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use super::error::{Failure, Kind, Step};

/// A picked member's value, in as much detail as the generator's checks need.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Member<'a> {
    /// The object has no member of this name (a `null` member is [`Member::Other`]).
    Absent,
    /// A string, borrowed from the body unless it contained escapes.
    Str(Cow<'a, str>),
    /// A non-negative integer: what `serde_json::Value::is_u64` accepts.
    UInt(u64),
    /// `true` or `false`.
    Bool(bool),
    /// An array, its elements read the same way.
    Array(Vec<Member<'a>>),
    /// `null`, a negative or fractional number, or an object (skipped, its syntax still checked).
    Other,
}

/// Returned by [`Picked::get`] for a name that was not picked.
static ABSENT: Member<'static> = Member::Absent;

impl Member<'_> {
    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Member::Str(s) => Some(s),
            _ => None,
        }
    }
}

impl<'de: 'a, 'a> de::Deserialize<'de> for Member<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(MemberVisitor)
    }
}

struct MemberVisitor;

impl<'de> Visitor<'de> for MemberVisitor {
    type Value = Member<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Member::Bool(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Member::UInt(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        // serde_json's `Number` stores a non-negative i64 as an unsigned one; do the same.
        Ok(u64::try_from(v).map_or(Member::Other, Member::UInt))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Member::Other)
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Member::Str(Cow::Borrowed(v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Member::Str(Cow::Owned(v.to_owned())))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Member::Str(Cow::Owned(v)))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Member::Other)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Member::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<Skip, Skip>()?.is_some() {}
        Ok(Member::Other)
    }
}

/// A value read and dropped, checked exactly as for a `serde_json::Value`.
///
/// Not [`serde::de::IgnoredAny`]: serde_json skips that without validating strings (invalid UTF-8,
/// lone surrogate escapes) or number ranges (`1e400`), so bodies the generator used to reject as
/// bad JSON would pass. Through `deserialize_any` serde_json parses every string and number as for
/// a `Value` (a borrowed string, or its reused scratch buffer for escapes) but allocates nothing.
struct Skip;

impl<'de> de::Deserialize<'de> for Skip {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(SkipVisitor)
    }
}

struct SkipVisitor;

impl<'de> Visitor<'de> for SkipVisitor {
    type Value = Skip;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Skip, E> {
        Ok(Skip)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Skip, E> {
        Ok(Skip)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Skip, E> {
        Ok(Skip)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Skip, E> {
        Ok(Skip)
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Skip, E> {
        Ok(Skip)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Skip, E> {
        Ok(Skip)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Skip, A::Error> {
        while seq.next_element::<Skip>()?.is_some() {}
        Ok(Skip)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Skip, A::Error> {
        while map.next_entry::<Skip, Skip>()?.is_some() {}
        Ok(Skip)
    }
}

/// The named members of one JSON object.
#[derive(Debug)]
pub struct Picked<'a, const N: usize> {
    names: [&'static str; N],
    members: [Member<'a>; N],
}

impl<'a, const N: usize> Picked<'a, N> {
    /// The member `name`; [`Member::Absent`] when the object has none, or when `name` was not
    /// among the names picked.
    pub fn get(&self, name: &str) -> &Member<'a> {
        self.names
            .iter()
            .zip(&self.members)
            .find_map(|(n, member)| (*n == name).then_some(member))
            .unwrap_or(&ABSENT)
    }

    /// A required non-empty string member: absent is `Missing(name)`; any other type, or an empty
    /// string, is `Wrong(name)`.
    pub fn string(&self, step: Step, name: &'static str) -> Result<&str, Failure> {
        match self.get(name) {
            Member::Str(s) if !s.is_empty() => Ok(s),
            Member::Absent => Err(Failure::new(step, Kind::Missing(name), "")),
            _ => Err(Failure::new(step, Kind::Wrong(name), "")),
        }
    }
}

/// Reads the members `names` of the JSON object `body`; `None` if `body` is not exactly one JSON
/// object (surrounding whitespace aside). Of duplicated members the last wins, as in a
/// `serde_json::Map`.
pub fn pick<'a, const N: usize>(body: &'a [u8], names: [&'static str; N]) -> Option<Picked<'a, N>> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let picked = Pick { names }.deserialize(&mut deserializer).ok()?;
    // As `serde_json::from_slice` does: only whitespace may follow the object.
    deserializer.end().ok()?;
    Some(picked)
}

/// The seed that reads one object, keeping the named members.
struct Pick<const N: usize> {
    names: [&'static str; N],
}

impl<'de, const N: usize> DeserializeSeed<'de> for Pick<N> {
    type Value = Picked<'de, N>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        // `deserialize_map` makes any other JSON type an error.
        deserializer.deserialize_map(self)
    }
}

impl<'de, const N: usize> Visitor<'de> for Pick<N> {
    type Value = Picked<'de, N>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut members = std::array::from_fn(|_| Member::Absent);
        while let Some(index) = map.next_key_seed(KeyIndex(&self.names))? {
            match index.and_then(|i| members.get_mut(i)) {
                Some(member) => *member = map.next_value()?,
                None => {
                    map.next_value::<Skip>()?;
                }
            }
        }
        Ok(Picked {
            names: self.names,
            members,
        })
    }
}

/// Reads a key as its index among the names, without allocating (serde_json decodes escapes into
/// its reused scratch buffer).
struct KeyIndex<'n>(&'n [&'static str]);

impl<'de> DeserializeSeed<'de> for KeyIndex<'_> {
    type Value = Option<usize>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeyIndex<'_> {
    type Value = Option<usize>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a member name")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Self::Value, E> {
        Ok(self.0.iter().position(|name| *name == key))
    }
}

#[cfg(test)]
mod tests;
