//! Building the redirects sent back to the client: [`VerifiedRedirect`].

/// A redirect URI that matched one of the client's registered redirect URIs.
///
/// Only [`match_redirect_uri`](crate::match_redirect_uri) and
/// [`default_redirect_uri`](crate::default_redirect_uri) create one, so holding one proves the URI was
/// checked: code that must not redirect to unverified URIs (RFC 6749 §4.1.2.1: "MUST NOT automatically
/// redirect the user-agent to the invalid redirection URI") takes this type.
///
/// The builders append their parameters to the query, `application/x-www-form-urlencoded` (RFC 6749
/// Appendix B), after any query the URI already has ("MUST retain the query component", RFC 6749 §3.1.2).
/// Registered URIs never have a fragment, so there is none to strip or to keep.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct VerifiedRedirect {
    uri: String,
}

impl VerifiedRedirect {
    pub(crate) fn new(uri: String) -> Self {
        Self { uri }
    }

    /// The redirect URI as requested (and matched), without any parameter added.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.uri
    }

    /// The authorization response (RFC 6749 §4.1.2): `code`, then `state` when the request had one, then
    /// `iss` (RFC 9207 §2).
    #[must_use]
    pub fn authorization_success(&self, code: &str, state: Option<&str>, iss: &str) -> String {
        self.with_params(&[("code", Some(code)), ("state", state), ("iss", Some(iss))])
    }

    /// The authorization error response (RFC 6749 §4.1.2.1): `error`, `error_description` when given,
    /// `state` when the request had one, then `iss` (RFC 9207 §2).
    ///
    /// Values are encoded, never checked: `error` should be an RFC 6749 error code and
    /// `error_description` fixed text.
    #[must_use]
    pub fn authorization_error(
        &self,
        error: &str,
        error_description: Option<&str>,
        state: Option<&str>,
        iss: &str,
    ) -> String {
        self.with_params(&[
            ("error", Some(error)),
            ("error_description", error_description),
            ("state", state),
            ("iss", Some(iss)),
        ])
    }

    /// The redirect after RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0 §3): `state` when the
    /// logout request had one, nothing else.
    #[must_use]
    pub fn post_logout(&self, state: Option<&str>) -> String {
        self.with_params(&[("state", state)])
    }

    /// The URI with the present `params` appended to its query, in order.
    fn with_params(&self, params: &[(&str, Option<&str>)]) -> String {
        let mut pairs = form_urlencoded::Serializer::new(String::new());
        for (name, value) in params {
            if let Some(value) = value {
                pairs.append_pair(name, value);
            }
        }
        let encoded = pairs.finish();
        let mut out = String::with_capacity(self.uri.len() + 1 + encoded.len());
        out.push_str(&self.uri);
        if encoded.is_empty() {
            return out;
        }
        // No fragment (registration forbids it), so the first `?` starts the query.
        match self.uri.find('?') {
            None => out.push('?'),
            // An empty query (`cb?`) or one ending in `&` already has its separator.
            Some(_) if self.uri.ends_with(['?', '&']) => {}
            Some(_) => out.push('&'),
        }
        out.push_str(&encoded);
        out
    }
}

impl AsRef<str> for VerifiedRedirect {
    fn as_ref(&self) -> &str {
        &self.uri
    }
}
