//! OAuth scopes (RFC 6749 §3.3).

use std::collections::BTreeSet;
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
/// Its string form (RFC 6749 §3.3) is the tokens joined by single spaces, in sorted order.
#[derive(Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ScopeSet(BTreeSet<String>);

impl ScopeSet {
    /// The empty set.
    pub fn new() -> Self {
        Self(BTreeSet::new())
    }

    /// Parses a space-delimited scope value (RFC 6749 §3.3). Tokens are case-sensitive; duplicates are
    /// merged. The empty string is the empty set. Runs of spaces, leading or trailing spaces and any other
    /// whitespace are refused: the grammar allows exactly one `%x20` between tokens.
    pub fn parse(value: &str) -> Result<Self, ScopeError> {
        let mut set = BTreeSet::new();
        if value.is_empty() {
            return Ok(Self(set));
        }
        for token in value.split(' ') {
            validate_token(token)?;
            set.insert(token.to_owned());
            if set.len() > MAX_SCOPE_TOKENS {
                return Err(ScopeError::TooMany);
            }
        }
        Ok(Self(set))
    }

    /// Builds a set from tokens, validating each one.
    pub fn from_tokens<I, S>(tokens: I) -> Result<Self, ScopeError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut set = BTreeSet::new();
        for token in tokens {
            let token = token.as_ref();
            validate_token(token)?;
            set.insert(token.to_owned());
            if set.len() > MAX_SCOPE_TOKENS {
                return Err(ScopeError::TooMany);
            }
        }
        Ok(Self(set))
    }

    /// Whether the set holds `token`.
    pub fn contains(&self, token: &str) -> bool {
        self.0.contains(token)
    }

    /// Whether every token of `self` is in `other`.
    pub fn is_subset(&self, other: &ScopeSet) -> bool {
        self.0.is_subset(&other.0)
    }

    /// The tokens of `self` that are not in `other`.
    pub fn difference<'a>(&'a self, other: &'a ScopeSet) -> impl Iterator<Item = &'a str> + 'a {
        self.0.difference(&other.0).map(String::as_str)
    }

    /// The union of both sets.
    pub fn union(&self, other: &ScopeSet) -> ScopeSet {
        Self(self.0.union(&other.0).cloned().collect())
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The number of tokens.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// The tokens in sorted order.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
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
        let mut first = true;
        for token in &self.0 {
            if !first {
                f.write_str(" ")?;
            }
            f.write_str(token)?;
            first = false;
        }
        Ok(())
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
        value.to_string()
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

    proptest! {
        #[test]
        fn parse_never_panics_and_round_trips(s in "\\PC{0,200}") {
            if let Ok(set) = ScopeSet::parse(&s) {
                prop_assert_eq!(ScopeSet::parse(&set.to_string()).unwrap(), set);
            }
        }
    }
}
