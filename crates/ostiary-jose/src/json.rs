//! Strict JSON for untrusted JOSE input: no duplicate member names, bounded nesting.
//!
//! `serde_json` keeps the *last* of duplicated members and serde's derive only notices
//! duplicates of the fields a struct names. RFC 7515 §5.2 step 4 and RFC 7519 §7.2 step 4 let
//! a JWS/JWT parser reject duplicates, and we must: two parsers keeping different copies of
//! `alg` or `exp` is a classic confusion attack. So every header, claims set and JWKS from
//! outside first goes through [`check`], which walks the whole document once without building
//! it, and only then is deserialized into its type.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::fmt;

use serde::de::{self, DeserializeOwned, DeserializeSeed, MapAccess, SeqAccess, Visitor};

/// Deepest nesting accepted (objects and arrays). The deepest structure we define is the
/// logout token's `events` (depth 3); 16 leaves room for other issuers' claims.
pub(crate) const MAX_DEPTH: usize = 16;

/// Why strict JSON parsing failed.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum JsonError {
    /// Not JSON, duplicated member names, or nested too deep.
    Syntax,
    /// Well-formed JSON that does not fit the expected type.
    Schema,
}

/// Checks that `bytes` is one JSON value, without duplicate member names at any level and no
/// deeper than [`MAX_DEPTH`].
pub(crate) fn check(bytes: &[u8]) -> bool {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    Walk { depth: MAX_DEPTH }.deserialize(&mut de).is_ok() && de.end().is_ok()
}

/// [`check`], then deserialize into `T`.
pub(crate) fn from_slice<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, JsonError> {
    if !check(bytes) {
        return Err(JsonError::Syntax);
    }
    serde_json::from_slice(bytes).map_err(|_| JsonError::Schema)
}

/// Records whether a member was present, whatever its value (even `null`, which serde would
/// otherwise turn into `None`). Use with `#[serde(default)]`.
#[derive(Default)]
pub(crate) struct Present(pub(crate) bool);

impl<'de> de::Deserialize<'de> for Present {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        de::IgnoredAny::deserialize(d).map(|_| Present(true))
    }
}

/// Walks one JSON value; `depth` is how many more levels of nesting are allowed.
#[derive(Clone, Copy)]
struct Walk {
    depth: usize,
}

impl Walk {
    fn child<E: de::Error>(self) -> Result<Walk, E> {
        match self.depth.checked_sub(1) {
            Some(depth) => Ok(Walk { depth }),
            None => Err(E::custom("JSON nested too deep")),
        }
    }
}

impl<'de> DeserializeSeed<'de> for Walk {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Walk {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let inner = self.child()?;
        while seq.next_element_seed(inner)?.is_some() {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let inner = self.child()?;
        // Names are compared after unescaping, so "alg" and "\u0061lg" are duplicates too.
        let mut seen = BTreeSet::new();
        while let Some(name) = map.next_key_seed(Name)? {
            if !seen.insert(name) {
                return Err(de::Error::custom("duplicate JSON member name"));
            }
            map.next_value_seed(inner)?;
        }
        Ok(())
    }
}

/// A member name, borrowed from the input when it has no escapes.
struct Name;

impl<'de> DeserializeSeed<'de> for Name {
    type Value = Cow<'de, str>;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Name {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a member name")
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_ordinary_json() {
        assert!(check(
            br#"{"a":1,"b":[true,null,"x",{"c":1.5}],"d":{"a":1}}"#
        ));
        assert!(check(b" {} "));
    }

    #[test]
    fn rejects_duplicates_at_any_level() {
        assert!(!check(br#"{"alg":"ES256","alg":"none"}"#));
        assert!(!check(br#"{"a":{"exp":1,"exp":2}}"#));
        assert!(!check(br#"[{"x":1,"x":1}]"#));
    }

    #[test]
    fn rejects_escaped_duplicates() {
        assert!(!check(br#"{"alg":"ES256","\u0061lg":"none"}"#));
    }

    #[test]
    fn bounds_depth() {
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(check(ok.as_bytes()));
        let deep = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
        assert!(!check(deep.as_bytes()));
    }

    #[test]
    fn rejects_trailing_data_and_non_json() {
        assert!(!check(b"{} {}"));
        assert!(!check(b"{'a':1}"));
        assert!(!check(b""));
        assert!(!check(b"\xff"));
    }

    #[test]
    fn schema_errors_are_distinct() {
        assert_eq!(from_slice::<i64>(b"1.5"), Err(JsonError::Schema));
        assert_eq!(from_slice::<i64>(b"1e400"), Err(JsonError::Syntax));
        assert_eq!(from_slice::<i64>(b"-7"), Ok(-7));
    }

    proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = check(&bytes);
        }

        #[test]
        fn agrees_with_serde_json_on_unique_objects(
            map in proptest::collection::btree_map("[a-z]{1,4}", any::<i64>(), 0..8)
        ) {
            let text = serde_json::to_vec(&map).unwrap();
            prop_assert!(check(&text));
        }
    }
}
