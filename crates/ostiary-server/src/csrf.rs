//! Cross-site request forgery protection for the sign-in and consent forms: the double-submit cookie
//! pattern (OWASP CSRF Prevention Cheat Sheet).
//!
//! A form is rendered with a random token in a hidden field and the same token in an `HttpOnly`,
//! `SameSite=Strict` cookie (`__Host-` prefixed and `Secure` on https). A submission is accepted only if
//! the field equals the cookie, compared in constant time: another site can make the browser post the
//! form, but can neither read nor (thanks to the `__Host-` prefix) plant the cookie, so it cannot produce
//! a matching pair. The core re-validates every forwarded authorization parameter on each submission, so
//! the token is the only thing that ties a submission to a page this server rendered.

use base64ct::{Base64UrlUnpadded, Encoding};
use ring::rand::{SecureRandom, SystemRandom};
use subtle::ConstantTimeEq;

/// The hidden form field carrying the token.
pub(crate) const FIELD: &str = "csrf_token";
/// Random bytes in a token (256 bits).
const TOKEN_BYTES: usize = 32;
/// Characters of an encoded token.
const TOKEN_CHARS: usize = 43;

/// A CSRF token: random, base64url without padding.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct CsrfToken(String);

impl std::fmt::Debug for CsrfToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CsrfToken([redacted])")
    }
}

impl CsrfToken {
    /// A new random token; `None` if the OS random number generator fails.
    pub(crate) fn generate(rng: &SystemRandom) -> Option<Self> {
        let mut bytes = [0u8; TOKEN_BYTES];
        rng.fill(&mut bytes).ok()?;
        Some(Self(Base64UrlUnpadded::encode_string(&bytes)))
    }

    /// The cookie's token if it has the form of one we issue (so a malformed cookie is replaced).
    pub(crate) fn from_cookie(value: &str) -> Option<Self> {
        (value.len() == TOKEN_CHARS
            && value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
        .then(|| Self(value.to_owned()))
    }

    /// The token text, for the cookie and the hidden field.
    pub(crate) fn expose_secret(&self) -> &str {
        &self.0
    }
}

/// Whether a submitted form token matches the cookie: both present, equal in constant time.
pub(crate) fn verify(cookie: Option<&str>, submitted: Option<&str>) -> bool {
    let (Some(cookie), Some(submitted)) = (cookie.and_then(CsrfToken::from_cookie), submitted)
    else {
        return false;
    };
    // `ct_eq` on slices of different lengths is false without comparing contents; lengths of tokens are
    // public anyway.
    bool::from(cookie.0.as_bytes().ct_eq(submitted.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn tokens_are_random_and_verify() {
        let rng = SystemRandom::new();
        let a = CsrfToken::generate(&rng).unwrap();
        let b = CsrfToken::generate(&rng).unwrap();
        assert_ne!(a, b);
        assert_eq!(a.expose_secret().len(), TOKEN_CHARS);
        assert!(verify(Some(a.expose_secret()), Some(a.expose_secret())));
        assert!(!verify(Some(a.expose_secret()), Some(b.expose_secret())));
        assert!(!verify(None, Some(a.expose_secret())));
        assert!(!verify(Some(a.expose_secret()), None));
        assert!(!format!("{a:?}").contains(a.expose_secret()));
    }

    #[test]
    fn malformed_cookies_never_verify() {
        assert!(!verify(Some("short"), Some("short")));
        let odd = "!".repeat(TOKEN_CHARS);
        assert!(!verify(Some(&odd), Some(&odd)));
        assert!(CsrfToken::from_cookie(&"a".repeat(TOKEN_CHARS)).is_some());
    }

    proptest! {
        #[test]
        fn only_the_exact_token_verifies(other in "[A-Za-z0-9_-]{0,64}") {
            let token = CsrfToken::generate(&SystemRandom::new()).unwrap();
            prop_assert_eq!(verify(Some(token.expose_secret()), Some(&other)), other == token.expose_secret());
        }
    }
}
