//! Matching a requested redirect URI against the registered ones.

use crate::syntax;
use crate::{MAX_REDIRECT_URI_LEN, MatchError, RegisteredRedirectUri, VerifiedRedirect};

/// How a client's requested redirect URIs are compared with its registered ones. A per-client setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum MatchMode {
    /// Byte-for-byte string equality with one registered URI (RFC 6749 §3.1.2.3, RFC 9700 §4.1.3).
    /// The default.
    #[default]
    Exact,
    /// As [`Exact`](Self::Exact), and also RFC 8252 §7.3 for native apps: a registered `http` redirect URI
    /// on the loopback IP literal `127.0.0.1` or `[::1]` matches a requested URI with any port (or none)
    /// whose scheme, host, path and query are byte-for-byte equal to the registered ones.
    ///
    /// `localhost` URIs still match exactly only (RFC 8252 §8.3: `localhost` is NOT RECOMMENDED for
    /// loopback redirects, as it may resolve elsewhere). Opt in per client.
    LoopbackAnyPort,
}

/// Finds the registered redirect URI that `requested` matches, under `mode`.
///
/// In [`MatchMode::Exact`] this is a plain string comparison with each registered URI: the requested URI
/// is not parsed or normalized, only its length is bounded. A match gives the only value from which a
/// redirect can be built, [`VerifiedRedirect`].
///
/// # Errors
///
/// [`MatchError::TooLong`] when `requested` is longer than [`MAX_REDIRECT_URI_LEN`] bytes,
/// [`MatchError::NotRegistered`] when nothing matches. Either way, do not redirect (RFC 6749 §4.1.2.1).
pub fn match_redirect_uri(
    registered: &[RegisteredRedirectUri],
    requested: &str,
    mode: MatchMode,
) -> Result<VerifiedRedirect, MatchError> {
    if requested.len() > MAX_REDIRECT_URI_LEN {
        return Err(MatchError::TooLong);
    }
    // RFC 6749 §3.1.2.3 and RFC 9700 §4.1.3: simple string comparison, no normalization.
    let matches = |r: &RegisteredRedirectUri| match mode {
        MatchMode::Exact => r.as_str() == requested,
        // RFC 8252 §7.3: any port on a loopback IP literal.
        MatchMode::LoopbackAnyPort => {
            r.as_str() == requested || loopback_port_match(r.as_str(), requested)
        }
    };
    if registered.iter().any(matches) {
        Ok(VerifiedRedirect::new(requested.to_owned()))
    } else {
        Err(MatchError::NotRegistered)
    }
}

/// The redirect URI to use when the request names none: the client's only registered one.
///
/// RFC 6749 §3.1.2.3: "If multiple redirection URIs have been registered, [...] the client MUST include a
/// redirection URI with the authorization request". OpenID Connect requests always carry `redirect_uri`
/// (OpenID Connect Core 1.0 §3.1.2.1), so use this only for plain OAuth 2.0 requests.
///
/// # Errors
///
/// [`MatchError::Required`] unless exactly one redirect URI is registered.
pub fn default_redirect_uri(
    registered: &[RegisteredRedirectUri],
) -> Result<VerifiedRedirect, MatchError> {
    match registered {
        [only] => Ok(VerifiedRedirect::new(only.as_str().to_owned())),
        _ => Err(MatchError::Required),
    }
}

/// The two loopback IP literals of RFC 8252 §7.3 (`localhost` is deliberately absent: §8.3).
const LOOPBACK_IP_HOSTS: [&str; 2] = ["127.0.0.1", "[::1]"];

/// Whether `requested` is `registered` with only the port changed (added, removed or different), when
/// `registered` is an `http` URI on a loopback IP literal.
///
/// Purely textual: `requested` must be exactly `http://` + the registered host + an optional `:port` + the
/// registered path and query, so user-info (`@` before the port), a fragment or any other difference
/// makes the middle part something other than a port and fails the match.
fn loopback_port_match(registered: &str, requested: &str) -> bool {
    let Some((host, rest)) = loopback_parts(registered) else {
        return false;
    };
    requested
        .strip_prefix("http://")
        .and_then(|s| s.strip_prefix(host))
        .and_then(|s| s.strip_suffix(rest))
        .is_some_and(syntax::is_port_part)
}

/// For `http://HOST[:PORT]REST` with `HOST` a loopback IP literal, returns `(HOST, REST)`; `REST` starts
/// with the `/` of the path (a registered URI always has one).
fn loopback_parts(registered: &str) -> Option<(&'static str, &str)> {
    let after_scheme = registered.strip_prefix("http://")?;
    LOOPBACK_IP_HOSTS.into_iter().find_map(|host| {
        let after_host = after_scheme.strip_prefix(host)?;
        let path_start = after_host.find('/')?;
        let (port, rest) = after_host.split_at_checked(path_start)?;
        syntax::is_port_part(port).then_some((host, rest))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_parts_splits_host_port_and_rest() {
        assert_eq!(
            loopback_parts("http://127.0.0.1:3000/cb?x=1"),
            Some(("127.0.0.1", "/cb?x=1"))
        );
        assert_eq!(loopback_parts("http://[::1]/"), Some(("[::1]", "/")));
    }

    #[test]
    fn loopback_parts_refuses_other_hosts_and_schemes() {
        for uri in [
            "http://localhost:3000/cb",
            "https://127.0.0.1:3000/cb",
            "http://127.0.0.10/cb",
            "http://127.0.0.1.example/cb",
            "http://[::1]x/cb",
            "http://127.0.0.1",
        ] {
            assert_eq!(loopback_parts(uri), None, "{uri}");
        }
    }

    #[test]
    fn port_match_refuses_middle_parts_other_than_a_port() {
        let registered = "http://127.0.0.1:3000/cb";
        assert!(loopback_port_match(registered, "http://127.0.0.1:51004/cb"));
        assert!(loopback_port_match(registered, "http://127.0.0.1/cb"));
        for requested in [
            "http://127.0.0.1:/cb",
            "http://127.0.0.1:0/cb",
            "http://127.0.0.1:03000/cb",
            "http://127.0.0.1:65536/cb",
            "http://127.0.0.1:3000@evil.example/cb",
            "http://127.0.0.1:3000/cb#x",
            "http://127.0.0.1:3000/cb/",
            "http://127.0.0.10/cb",
            "https://127.0.0.1:3000/cb",
        ] {
            assert!(!loopback_port_match(registered, requested), "{requested}");
        }
    }
}
