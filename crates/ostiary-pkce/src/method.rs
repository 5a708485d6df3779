//! The `code_challenge_method` parameter (RFC 7636 §4.2, §4.3).

use core::fmt;
use core::str::FromStr;

use crate::error::ChallengeError;

/// A supported `code_challenge_method` (RFC 7636 §4.2). Only `S256` exists: `plain` is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ChallengeMethod {
    /// `S256`: `code_challenge = BASE64URL-ENCODE(SHA256(ASCII(code_verifier)))` (RFC 7636 §4.2).
    S256,
}

impl ChallengeMethod {
    /// Parses a `code_challenge_method` value (RFC 7636 §4.3). Names are compared exactly
    /// (case-sensitive), as registered in the IANA "PKCE Code Challenge Methods" registry.
    ///
    /// # Errors
    ///
    /// [`ChallengeError::MissingMethod`] for an empty value (RFC 6749 §3.1: a parameter sent
    /// without a value is treated as omitted, and an omitted method means `plain`, §4.3);
    /// [`ChallengeError::PlainNotSupported`] for `plain`;
    /// [`ChallengeError::UnknownMethod`] for anything else but `S256`.
    pub fn parse(value: &str) -> Result<Self, ChallengeError> {
        match value {
            "S256" => Ok(Self::S256),
            // RFC 6749 §3.1: empty means omitted; RFC 7636 §4.3: omitted means plain.
            "" => Err(ChallengeError::MissingMethod),
            // RFC 7636 §4.2 defines plain; this crate refuses it (§7.2 recommends S256).
            "plain" => Err(ChallengeError::PlainNotSupported),
            // RFC 7636 §4.4.1: "transform algorithm not supported".
            _ => Err(ChallengeError::UnknownMethod),
        }
    }

    /// The method's wire name, as sent in `code_challenge_method` (RFC 7636 §4.3) and listed
    /// in discovery's `code_challenge_methods_supported` (RFC 8414 §2).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::S256 => "S256",
        }
    }
}

impl FromStr for ChallengeMethod {
    type Err = ChallengeError;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Self::parse(value)
    }
}

impl fmt::Display for ChallengeMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s256_round_trips() {
        let m = ChallengeMethod::parse("S256").unwrap();
        assert_eq!(m, ChallengeMethod::S256);
        assert_eq!(m.as_str(), "S256");
        assert_eq!(m.to_string(), "S256");
        assert_eq!("S256".parse::<ChallengeMethod>(), Ok(ChallengeMethod::S256));
    }

    #[test]
    fn plain_has_its_own_error() {
        assert_eq!(
            ChallengeMethod::parse("plain"),
            Err(ChallengeError::PlainNotSupported)
        );
    }

    #[test]
    fn empty_means_absent() {
        assert_eq!(
            ChallengeMethod::parse(""),
            Err(ChallengeError::MissingMethod)
        );
    }

    #[test]
    fn names_are_case_sensitive_and_exact() {
        for other in [
            "s256", "S256 ", " S256", "PLAIN", "Plain", "S512", "RS256", "S256\0",
        ] {
            assert_eq!(
                ChallengeMethod::parse(other),
                Err(ChallengeError::UnknownMethod),
                "{other:?}"
            );
        }
    }
}
