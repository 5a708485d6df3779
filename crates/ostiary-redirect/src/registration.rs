//! The registration rules: [`RegisteredRedirectUri::parse`].

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use url::{Host, Url};

use crate::RegistrationError;
use crate::syntax;

/// The longest redirect URI accepted, in bytes, at registration and in requests.
///
/// Generous for real callbacks (browsers handle far longer URLs, but a redirect URI is a fixed callback
/// address, not a place for data) while bounding the work done per request.
pub const MAX_REDIRECT_URI_LEN: usize = 2_000;

/// A redirect URI that passed the [registration rules](crate#registration-rules).
///
/// It is stored exactly as given: registration never rewrites a URI, it refuses any spelling that is not
/// already canonical ([`RegistrationError::NotCanonical`] carries the canonical form to suggest). So the
/// stored string is exactly what a compliant client sends, and
/// [`match_redirect_uri`](crate::match_redirect_uri) can compare strings byte for byte.
///
/// The same type and rules serve OpenID Connect `post_logout_redirect_uris` (OpenID Connect RP-Initiated
/// Logout 1.0 §2.1, §3).
///
/// ```
/// use ostiary_redirect::{RegisteredRedirectUri, RegistrationError};
///
/// let uri = RegisteredRedirectUri::parse("https://client.example/callback")?;
/// assert_eq!(uri.as_str(), "https://client.example/callback");
///
/// let err = RegisteredRedirectUri::parse("https://Client.example:443/callback").unwrap_err();
/// assert_eq!(err.canonical_form(), Some("https://client.example/callback"));
/// # Ok::<(), RegistrationError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct RegisteredRedirectUri(String);

impl RegisteredRedirectUri {
    /// Applies the [registration rules](crate#registration-rules) to `uri` and keeps it, unchanged, when it
    /// passes them all.
    ///
    /// # Errors
    ///
    /// The [`RegistrationError`] of the first rule that fails, in the order of the
    /// [rule list](crate#registration-rules).
    pub fn parse(uri: &str) -> Result<Self, RegistrationError> {
        check_text(uri)?;
        let url = Url::parse(uri).map_err(map_parse_error)?;
        check_scheme_and_authority(uri, &url)?;
        check_canonical(uri, &url)?;
        Ok(Self(uri.to_owned()))
    }

    /// The URI, exactly as registered.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The URI, exactly as registered.
    #[must_use]
    pub fn into_string(self) -> String {
        self.0
    }
}

/// Rules checked on the raw text, before any parsing: what the parser would silently drop or rewrite
/// (whitespace, `#`) must be seen here.
fn check_text(uri: &str) -> Result<(), RegistrationError> {
    // Bound the work done on any input.
    if uri.len() > MAX_REDIRECT_URI_LEN {
        return Err(RegistrationError::TooLong);
    }
    // The WHATWG parser strips leading/trailing C0 and space and removes tabs and newlines anywhere.
    if syntax::has_control_or_whitespace(uri) {
        return Err(RegistrationError::ControlOrWhitespace);
    }
    // RFC 9700 §4.1.3: exact matching, so no pattern of any kind may be registered.
    if syntax::contains_wildcard(uri) {
        return Err(RegistrationError::Wildcard);
    }
    // RFC 6749 §3.1.2: "The endpoint URI MUST NOT include a fragment component", an empty `#` included.
    if uri.contains('#') {
        return Err(RegistrationError::Fragment);
    }
    // RFC 3986 §2.1: `%` only starts a two-hex-digit escape.
    if !syntax::percent_escapes_are_valid(uri) {
        return Err(RegistrationError::InvalidPercentEncoding);
    }
    Ok(())
}

fn map_parse_error(err: url::ParseError) -> RegistrationError {
    match err {
        // RFC 6749 §3.1.2: "The redirection endpoint URI MUST be an absolute URI".
        url::ParseError::RelativeUrlWithoutBase => RegistrationError::NotAbsolute,
        url::ParseError::EmptyHost => RegistrationError::EmptyHost,
        _ => RegistrationError::Malformed,
    }
}

/// Scheme, user-info and host rules, on the parsed URL and (for what the parser drops) on the raw text.
fn check_scheme_and_authority(uri: &str, url: &Url) -> Result<(), RegistrationError> {
    // RFC 6749 §3.1.2.1 (TLS), RFC 8252 §7.3: https, or http for the loopback interface only.
    let is_http = match url.scheme() {
        "https" => false,
        "http" => true,
        _ => return Err(RegistrationError::UnsupportedScheme),
    };
    let raw_authority = syntax::split_authority(uri).map(|(authority, _)| authority);
    // No user-info: the parser drops an empty `@`, so look at the raw authority too.
    if !url.username().is_empty()
        || url.password().is_some()
        || raw_authority.is_some_and(|a| a.contains('@'))
    {
        return Err(RegistrationError::UserInfo);
    }
    // `https:///cb` parses (the host becomes `cb`) but has an empty authority as written.
    if raw_authority.is_some_and(str::is_empty) {
        return Err(RegistrationError::EmptyHost);
    }
    let host = url.host().ok_or(RegistrationError::EmptyHost)?;
    if let Host::Domain(domain) = host {
        if domain.is_empty() {
            return Err(RegistrationError::EmptyHost);
        }
        // `client.example.` or `a..b`: a different origin from the usual spelling, or no DNS name at all.
        if domain.split('.').any(str::is_empty) {
            return Err(RegistrationError::InvalidHost);
        }
    }
    // RFC 8252 §7.3 and §8.3: http only on these exact loopback hosts; not `x.localhost`, `127.0.0.2`,
    // `0.0.0.0` or `[::ffff:127.0.0.1]`.
    if is_http && !is_loopback_host(&host) {
        return Err(RegistrationError::HttpNotLoopback);
    }
    Ok(())
}

fn is_loopback_host(host: &Host<&str>) -> bool {
    match host {
        Host::Domain(domain) => *domain == "localhost",
        Host::Ipv4(ip) => *ip == Ipv4Addr::LOCALHOST,
        Host::Ipv6(ip) => *ip == Ipv6Addr::LOCALHOST,
    }
}

/// The URI must already be what the WHATWG URL parser serializes it to, so that what is stored is what
/// browsers and URL-library clients send, and byte-for-byte matching is unambiguous (RFC 9700 §4.1.3).
fn check_canonical(uri: &str, url: &Url) -> Result<(), RegistrationError> {
    let canonical = url.as_str();
    if canonical == uri {
        return Ok(());
    }
    if canonical.len() > MAX_REDIRECT_URI_LEN {
        return Err(RegistrationError::TooLong);
    }
    // Mapping the host to ASCII can reveal a wildcard (a full-width asterisk becomes `*`).
    if syntax::contains_wildcard(canonical) {
        return Err(RegistrationError::Wildcard);
    }
    Err(RegistrationError::NotCanonical {
        canonical: canonical.to_owned(),
    })
}

impl FromStr for RegisteredRedirectUri {
    type Err = RegistrationError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<&str> for RegisteredRedirectUri {
    type Error = RegistrationError;

    fn try_from(s: &str) -> Result<Self, Self::Error> {
        Self::parse(s)
    }
}

impl AsRef<str> for RegisteredRedirectUri {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RegisteredRedirectUri {
    /// Writes the URI exactly as registered.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<RegisteredRedirectUri> for String {
    fn from(uri: RegisteredRedirectUri) -> Self {
        uri.0
    }
}
