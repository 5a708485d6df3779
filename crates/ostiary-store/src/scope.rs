//! OAuth scopes (RFC 6749 §3.3).

use std::fmt;

use serde::{Deserialize, Serialize};

/// The longest scope token accepted.
pub const MAX_SCOPE_TOKEN_LEN: usize = 128;
/// The most scope tokens one scope value may hold.
pub const MAX_SCOPE_TOKENS: usize = 64;

/// Why a scope value was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ScopeError {
    /// RFC 6749 §3.3: `scope-token = 1*( %x21 / %x23-5B / %x5D-7E )`, separated by single spaces.
    #[error("scope is not a space-delimited list of valid scope tokens")]
    Syntax,
    /// A scope token is longer than [`MAX_SCOPE_TOKEN_LEN`].
    #[error("a scope token is too long")]
    TokenTooLong,
    /// More than [`MAX_SCOPE_TOKENS`] scope tokens.
    #[error("too many scope tokens")]
    TooMany,
}

/// A set of scope tokens, kept sorted and without duplicates.
///
/// Its string form (RFC 6749 §3.3) is the tokens joined by single spaces, in sorted order. That form is
/// also how the set is held: one string, so a set is cloned, stored and written out with one allocation
/// or none, however many tokens it has (a refresh handled ~20 allocations of scope sets before).
#[derive(Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ScopeSet(String);

impl ScopeSet {
    /// The empty set.
    pub fn new() -> Self {
        Self(String::new())
    }

    /// Parses a space-delimited scope value (RFC 6749 §3.3). Tokens are case-sensitive; duplicates are
    /// merged. The empty string is the empty set. Runs of spaces, leading or trailing spaces and any other
    /// whitespace are refused: the grammar allows exactly one `%x20` between tokens.
    pub fn parse(value: &str) -> Result<Self, ScopeError> {
        if value.is_empty() {
            return Ok(Self::new());
        }
        // A value already in the set's form (every stored scope, and most requested ones) is
        // validated in one pass and kept as it is.
        let mut previous: Option<&str> = None;
        let mut count = 0;
        let mut sorted = true;
        for token in value.split(' ') {
            validate_token(token)?;
            sorted &= previous.is_none_or(|previous| previous < token);
            previous = Some(token);
            count += 1;
        }
        if sorted {
            if count > MAX_SCOPE_TOKENS {
                return Err(ScopeError::TooMany);
            }
            return Ok(Self(value.to_owned()));
        }
        Self::from_valid(value.split(' ').collect())
    }

    /// Builds a set from tokens, validating each one.
    pub fn from_tokens<I, S>(tokens: I) -> Result<Self, ScopeError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let tokens: Vec<S> = tokens.into_iter().collect();
        let mut valid = Vec::with_capacity(tokens.len());
        for token in &tokens {
            let token = token.as_ref();
            validate_token(token)?;
            valid.push(token);
        }
        Self::from_valid(valid)
    }

    /// The set of `tokens`, each already validated: sorted, merged, counted and joined.
    fn from_valid(mut tokens: Vec<&str>) -> Result<Self, ScopeError> {
        tokens.sort_unstable();
        tokens.dedup();
        if tokens.len() > MAX_SCOPE_TOKENS {
            return Err(ScopeError::TooMany);
        }
        Ok(Self(tokens.join(" ")))
    }

    /// Whether `token` is in the set.
    pub fn contains(&self, token: &str) -> bool {
        self.iter().any(|t| t == token)
    }

    /// Whether every token of `self` is in `other`.
    pub fn is_subset(&self, other: &ScopeSet) -> bool {
        // Both sides are sorted: one walk through `other`.
        let mut others = other.iter();
        self.iter()
            .all(|token| others.by_ref().any(|candidate| candidate == token))
    }

    /// Tokens of `self` that are not in `other`.
    pub fn difference<'a>(&'a self, other: &'a ScopeSet) -> impl Iterator<Item = &'a str> + 'a {
        self.iter().filter(move |token| !other.contains(token))
    }

    /// The tokens of both sets.
    pub fn union(&self, other: &ScopeSet) -> ScopeSet {
        let mut tokens: Vec<&str> = self.iter().chain(other.iter()).collect();
        tokens.sort_unstable();
        tokens.dedup();
        Self(tokens.join(" "))
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Number of tokens.
    pub fn len(&self) -> usize {
        if self.0.is_empty() {
            0
        } else {
            self.0.bytes().filter(|&b| b == b' ').count() + 1
        }
    }

    /// The tokens in sorted order.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        // The empty set's string splits into one empty piece; no other piece is empty.
        self.0.split(' ').filter(|token| !token.is_empty())
    }

    /// The scope value (RFC 6749 §3.3): the tokens in sorted order, joined by single spaces. The same
    /// text as `to_string()`, without the copy.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn validate_token(token: &str) -> Result<(), ScopeError> {
    if token.is_empty() {
        return Err(ScopeError::Syntax);
    }
    if token.len() > MAX_SCOPE_TOKEN_LEN {
        return Err(ScopeError::TokenTooLong);
    }
    // RFC 6749 §3.3: %x21 / %x23-5B / %x5D-7E, i.e. visible ASCII except `"` and `\`.
    if token
        .bytes()
        .all(|b| matches!(b, 0x21 | 0x23..=0x5B | 0x5D..=0x7E))
    {
        Ok(())
    } else {
        Err(ScopeError::Syntax)
    }
}

impl fmt::Display for ScopeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for ScopeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ScopeSet({self})")
    }
}

impl TryFrom<String> for ScopeSet {
    type Error = ScopeError;

    fn try_from(value: String) -> Result<Self, ScopeError> {
        Self::parse(&value)
    }
}

impl From<ScopeSet> for String {
    fn from(value: ScopeSet) -> String {
        value.0
    }
}

impl std::str::FromStr for ScopeSet {
    type Err = ScopeError;

    fn from_str(s: &str) -> Result<Self, ScopeError> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_and_sorts_tokens() {
        let set = ScopeSet::parse("openid profile email openid").unwrap();
        assert_eq!(set.to_string(), "email openid profile");
        assert_eq!(set.len(), 3);
        assert!(set.contains("openid"));
    }

    #[test]
    fn refuses_bad_separators_and_characters() {
        for bad in [
            " openid",
            "openid ",
            "openid  email",
            "openid\temail",
            "a\"b",
            "a\\b",
            "é",
        ] {
            assert_eq!(ScopeSet::parse(bad), Err(ScopeError::Syntax), "{bad:?}");
        }
        assert_eq!(
            ScopeSet::parse(&"a".repeat(129)),
            Err(ScopeError::TokenTooLong)
        );
        let many: Vec<String> = (0..65).map(|i| format!("s{i}")).collect();
        assert_eq!(ScopeSet::parse(&many.join(" ")), Err(ScopeError::TooMany));
    }

    #[test]
    fn empty_string_is_the_empty_set() {
        assert!(ScopeSet::parse("").unwrap().is_empty());
    }

    #[test]
    fn subset_and_difference() {
        let granted = ScopeSet::parse("openid profile").unwrap();
        let asked = ScopeSet::parse("openid email").unwrap();
        assert!(!asked.is_subset(&granted));
        assert_eq!(asked.difference(&granted).collect::<Vec<_>>(), ["email"]);
        assert!(ScopeSet::parse("openid").unwrap().is_subset(&granted));
    }

    #[test]
    fn a_value_in_set_form_and_one_out_of_it_parse_to_the_same_set() {
        let sorted = ScopeSet::parse("email openid profile").unwrap();
        assert_eq!(sorted.as_str(), "email openid profile");
        for other in [
            "profile openid email",
            "email email openid profile",
            "openid profile email",
        ] {
            let set = ScopeSet::parse(other).unwrap();
            assert_eq!(set, sorted, "{other:?}");
            assert_eq!(set.as_str(), "email openid profile");
        }
        // 64 distinct tokens are allowed however they are repeated; the 65th is refused either way.
        let many: Vec<String> = (0..64).map(|i| format!("s{i:02}")).collect();
        let mut twice = many.clone();
        twice.extend(many.iter().cloned());
        assert_eq!(ScopeSet::parse(&many.join(" ")).unwrap().len(), 64);
        assert_eq!(ScopeSet::parse(&twice.join(" ")).unwrap().len(), 64);
        assert_eq!(ScopeSet::from_tokens(&twice).unwrap().len(), 64);
        twice.push("s99".into());
        assert_eq!(ScopeSet::from_tokens(&twice), Err(ScopeError::TooMany));
        let mut sorted_many = many.clone();
        sorted_many.push("s99".into());
        assert_eq!(
            ScopeSet::parse(&sorted_many.join(" ")),
            Err(ScopeError::TooMany)
        );
    }

    #[test]
    fn the_empty_set_has_no_tokens() {
        let empty = ScopeSet::new();
        assert_eq!((empty.len(), empty.iter().count()), (0, 0));
        assert!(!empty.contains(""));
        assert!(empty.is_subset(&ScopeSet::parse("openid").unwrap()));
        assert_eq!(empty.union(&empty), empty);
        assert_eq!(String::from(empty), "");
    }

    fn model(set: &ScopeSet) -> std::collections::BTreeSet<&str> {
        set.iter().collect()
    }

    proptest! {
        /// The one-string set behaves as the `BTreeSet` of its tokens it replaced.
        #[test]
        fn set_operations_agree_with_a_btreeset(
            a in proptest::collection::vec("[a-d]{1,2}", 0..8),
            b in proptest::collection::vec("[a-d]{1,2}", 0..8),
        ) {
            let (sa, sb) = (ScopeSet::from_tokens(&a).unwrap(), ScopeSet::from_tokens(&b).unwrap());
            let ma: std::collections::BTreeSet<&str> = a.iter().map(String::as_str).collect();
            let mb: std::collections::BTreeSet<&str> = b.iter().map(String::as_str).collect();
            prop_assert_eq!(model(&sa), ma.clone());
            prop_assert_eq!(sa.len(), ma.len());
            prop_assert_eq!(sa.iter().collect::<Vec<_>>(), ma.iter().copied().collect::<Vec<_>>());
            prop_assert_eq!(ScopeSet::parse(&a.join(" ")).unwrap(), sa.clone());
            prop_assert_eq!(sa.is_subset(&sb), ma.is_subset(&mb));
            prop_assert_eq!(
                sa.difference(&sb).collect::<Vec<_>>(),
                ma.difference(&mb).copied().collect::<Vec<_>>()
            );
            let union = sa.union(&sb);
            prop_assert_eq!(
                model(&union),
                ma.union(&mb).copied().collect::<std::collections::BTreeSet<_>>()
            );
            for token in ["a", "b", "ab", "dd", "e"] {
                prop_assert_eq!(sa.contains(token), ma.contains(token));
            }
            prop_assert_eq!(sa.as_str(), sa.to_string());
        }
    }

    proptest! {
        #[test]
        fn parse_never_panics_and_round_trips(s in "\\PC{0,200}") {
            if let Ok(set) = ScopeSet::parse(&s) {
                prop_assert_eq!(ScopeSet::parse(&set.to_string()).unwrap(), set);
            }
        }
    }
}
