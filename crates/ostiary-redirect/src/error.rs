//! The errors of registration and matching.
//!
//! Every message is fixed text: none of them echoes the URI that was given, so they can be shown to anyone
//! and logged without sanitizing.

use crate::MAX_REDIRECT_URI_LEN;

/// Why a redirect URI was refused at registration.
///
/// One variant per rule; the rules are listed in the [crate documentation](crate#registration-rules),
/// in the order [`RegisteredRedirectUri::parse`](crate::RegisteredRedirectUri::parse) checks them, which is
/// the order of these variants; it reports the first rule that fails.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RegistrationError {
    /// The URI is longer than [`MAX_REDIRECT_URI_LEN`] bytes (or its canonical form would be).
    #[error("the redirect URI is longer than {MAX_REDIRECT_URI_LEN} bytes")]
    TooLong,
    /// The URI contains an ASCII control character (U+0000–U+001F, U+007F) or ASCII whitespace.
    #[error("the redirect URI must not contain control characters or whitespace")]
    ControlOrWhitespace,
    /// The URI contains a `*`, literally or percent-encoded (`%2A`, `%252A`, …), or one that appears when
    /// the host is mapped to its ASCII form (e.g. a full-width asterisk). Wildcards are never expanded:
    /// redirect URIs are compared exactly (RFC 9700 §4.1.3).
    #[error("the redirect URI must not contain a wildcard (`*`), in any encoding")]
    Wildcard,
    /// The URI contains `#`, even with an empty fragment (RFC 6749 §3.1.2: "MUST NOT include a fragment
    /// component").
    #[error("the redirect URI must not contain a fragment (`#`)")]
    Fragment,
    /// A `%` that does not start a `%XX` escape with two hex digits (RFC 3986 §2.1).
    #[error("the redirect URI contains a `%` that is not a valid percent-encoding")]
    InvalidPercentEncoding,
    /// Not an absolute URI (RFC 6749 §3.1.2: "MUST be an absolute URI"): no scheme, or a relative
    /// reference.
    #[error("the redirect URI must be an absolute URI")]
    NotAbsolute,
    /// The URI could not be parsed (invalid port, invalid IP literal, invalid international domain name…).
    #[error("the redirect URI is malformed")]
    Malformed,
    /// The scheme is neither `https` nor `http` (custom schemes, `javascript:`, `data:`, `file:` … are
    /// refused).
    #[error("the redirect URI must use the https scheme (or http on a loopback host)")]
    UnsupportedScheme,
    /// The authority has user information (`user@`, `user:password@`, or even an empty `@`).
    #[error("the redirect URI must not contain user information (`@` in the authority)")]
    UserInfo,
    /// The authority is empty, or absent.
    #[error("the redirect URI must have a host")]
    EmptyHost,
    /// The host is a domain name with an empty label: a leading or trailing dot, or `..`.
    #[error("the redirect URI host must not have empty labels or a trailing dot")]
    InvalidHost,
    /// `http` on a host other than exactly `localhost`, `127.0.0.1` or `[::1]` (RFC 6749 §3.1.2.1,
    /// RFC 8252 §7.3, §8.3).
    #[error("http redirect URIs are allowed only on localhost, 127.0.0.1 and [::1]; use https")]
    HttpNotLoopback,
    /// The URI is not written in its canonical form. [`canonical`](Self::canonical_form) is the form that
    /// would be accepted, for an "use this instead" hint.
    ///
    /// The canonical form is derived from the input: escape it (HTML, JSON…) like any other user data
    /// when showing it. The [`Display`](std::fmt::Display) message never contains it.
    #[error("the redirect URI must be written in its canonical form")]
    #[non_exhaustive]
    NotCanonical {
        /// The canonical spelling of the same URI, which passes every registration rule.
        canonical: String,
    },
}

impl RegistrationError {
    /// The canonical spelling to suggest, when the error is [`NotCanonical`](Self::NotCanonical).
    ///
    /// It passes every registration rule. It is derived from the input: escape it when rendering it.
    #[must_use]
    pub fn canonical_form(&self) -> Option<&str> {
        match self {
            Self::NotCanonical { canonical } => Some(canonical),
            _ => None,
        }
    }
}

/// Why a requested redirect URI was not accepted.
///
/// On any of these the authorization server must not redirect: it shows an error page instead
/// (RFC 6749 §3.1.2.4, §4.1.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum MatchError {
    /// The requested redirect URI is not one of the client's registered redirect URIs (RFC 6749
    /// §3.1.2.3, RFC 9700 §4.1.3).
    #[error("the redirect URI is not registered for this client")]
    NotRegistered,
    /// The requested redirect URI is longer than [`MAX_REDIRECT_URI_LEN`] bytes.
    #[error("the redirect URI is longer than {MAX_REDIRECT_URI_LEN} bytes")]
    TooLong,
    /// No redirect URI was requested and the client does not have exactly one registered redirect URI
    /// (RFC 6749 §3.1.2.3).
    #[error("the redirect_uri parameter is required for this client")]
    Required,
}
