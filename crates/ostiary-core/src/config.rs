//! The protocol configuration: issuer, lifetimes, algorithms.

use std::fmt;

use ostiary_redirect::RegisteredRedirectUri;

/// Why an issuer was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IssuerError {
    /// Not `https://host[:port]`, or `http://` on a loopback host; or it has a path, query or fragment.
    #[error(
        "the issuer must be https://host[:port] (or http:// on localhost, 127.0.0.1 or [::1]) in canonical \
         form, without path, query, fragment or trailing slash"
    )]
    Invalid,
}

/// The issuer identifier (RFC 8414 §2, OIDC Discovery §3): the `iss` of every token and of every
/// authorization response (RFC 9207), byte for byte.
///
/// Ostiary serves its endpoints at the root of the issuer's origin, so the issuer has no path.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Issuer(String);

impl Issuer {
    /// Parses an issuer: `https` (or `http` on a loopback host, for development), canonical, no path,
    /// query, fragment, user-info or trailing slash.
    pub fn parse(value: &str) -> Result<Self, IssuerError> {
        let after_scheme = value
            .strip_prefix("https://")
            .or_else(|| value.strip_prefix("http://"))
            .ok_or(IssuerError::Invalid)?;
        if after_scheme.contains(['/', '?', '#']) {
            return Err(IssuerError::Invalid);
        }
        // The redirect-URI rules are exactly the origin rules we want: https or loopback http,
        // canonical spelling, no user-info, no wildcards.
        let with_slash = format!("{value}/");
        match RegisteredRedirectUri::parse(&with_slash) {
            Ok(uri) if uri.as_str() == with_slash => Ok(Self(value.to_owned())),
            _ => Err(IssuerError::Invalid),
        }
    }

    /// The issuer string.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the issuer is served over TLS (secure cookies with the `__Host-` prefix).
    pub fn is_https(&self) -> bool {
        self.0.starts_with("https://")
    }

    /// The absolute URL of an endpoint path such as `/oauth/token`.
    pub fn endpoint(&self, path: &str) -> String {
        let mut url = String::with_capacity(self.0.len() + path.len());
        url.push_str(&self.0);
        url.push_str(path);
        url
    }
}

impl fmt::Debug for Issuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Issuer({})", self.0)
    }
}

impl fmt::Display for Issuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How long things live, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lifetimes {
    /// Authorization codes (RFC 6749 §4.1.2 recommends at most 10 minutes; Ostiary allows at most 60 s).
    pub authorization_code: i64,
    /// Access tokens.
    pub access_token: i64,
    /// ID tokens.
    pub id_token: i64,
    /// Each refresh token (renewed on every rotation).
    pub refresh_token: i64,
    /// A whole grant (token family): refresh tokens never outlive it; the user signs in again after it.
    pub grant: i64,
    /// Browser sessions at the platform.
    pub session: i64,
    /// The refresh-token retry window: a rotated-out refresh token presented again within it gets the same
    /// response; after it, the presentation is a replay and revokes the family.
    pub refresh_retry_window: i64,
    /// How long a spent authorization code is remembered so a replay can still revoke its tokens.
    pub code_tombstone: i64,
}

impl Default for Lifetimes {
    fn default() -> Self {
        Self {
            authorization_code: 60,
            access_token: 15 * 60,
            id_token: 15 * 60,
            refresh_token: 30 * 24 * 3600,
            grant: 90 * 24 * 3600,
            session: 12 * 3600,
            refresh_retry_window: 10,
            code_tombstone: 24 * 3600,
        }
    }
}

/// Why a configuration was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A lifetime is out of its allowed range; names the field and the range.
    #[error("{0}")]
    Lifetime(&'static str),
}

impl Lifetimes {
    /// Checks the bounds that keep the server safe.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let checks: [(bool, &'static str); 8] = [
            (
                (1..=60).contains(&self.authorization_code),
                "authorization_code lifetime must be 1..=60 seconds",
            ),
            (
                (60..=86_400).contains(&self.access_token),
                "access_token lifetime must be 60..=86400 seconds",
            ),
            (
                (60..=86_400).contains(&self.id_token),
                "id_token lifetime must be 60..=86400 seconds",
            ),
            (
                self.refresh_token >= 60,
                "refresh_token lifetime must be at least 60 seconds",
            ),
            (
                self.grant >= self.refresh_token,
                "grant lifetime must be at least the refresh_token lifetime",
            ),
            (
                self.session >= 60,
                "session lifetime must be at least 60 seconds",
            ),
            (
                (0..=60).contains(&self.refresh_retry_window),
                "refresh_retry_window must be 0..=60 seconds",
            ),
            (
                self.code_tombstone >= self.authorization_code,
                "code_tombstone must be at least the code lifetime",
            ),
        ];
        match checks.into_iter().find(|(ok, _)| !ok) {
            Some((_, message)) => Err(ConfigError::Lifetime(message)),
            None => Ok(()),
        }
    }
}

/// Argon2id cost parameters for user passwords.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordCost {
    /// Memory in KiB (OWASP minimum for Argon2id: 19 MiB with 2 iterations).
    pub memory_kib: u32,
    /// Iterations.
    pub iterations: u32,
    /// Parallelism.
    pub parallelism: u32,
}

impl Default for PasswordCost {
    fn default() -> Self {
        Self {
            memory_kib: 19 * 1024,
            iterations: 2,
            parallelism: 1,
        }
    }
}

/// The protocol engine's configuration.
#[derive(Debug, Clone)]
pub struct CoreConfig {
    /// The issuer.
    pub issuer: Issuer,
    /// Lifetimes.
    pub lifetimes: Lifetimes,
    /// The algorithm of new signing keys.
    pub signing_alg: ostiary_jose::Algorithm,
    /// Password hashing cost.
    pub password_cost: PasswordCost,
    /// How many password hashes may run at once; each holds `password_cost.memory_kib` of memory, which
    /// is kept for reuse. Default: the number of CPUs.
    pub password_concurrency: usize,
    /// The display name of the platform, shown on sign-in and consent pages.
    pub platform_name: String,
}

impl CoreConfig {
    /// A configuration with the defaults for `issuer`.
    pub fn new(issuer: Issuer) -> Self {
        Self {
            issuer,
            lifetimes: Lifetimes::default(),
            signing_alg: ostiary_jose::Algorithm::Es256,
            password_cost: PasswordCost::default(),
            password_concurrency: std::thread::available_parallelism().map_or(1, usize::from),
            platform_name: "Ostiary".to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issuers() {
        for ok in [
            "https://id.example",
            "https://id.example:8443",
            "http://127.0.0.1:8080",
            "http://localhost:8080",
            "http://[::1]:8080",
        ] {
            assert_eq!(Issuer::parse(ok).unwrap().as_str(), ok);
        }
        for bad in [
            "https://id.example/",
            "https://id.example/auth",
            "https://ID.example",
            "http://id.example",
            "https://id.example?x",
            "https://id.example#x",
            "https://user@id.example",
            "https://id.example:443",
            "id.example",
            "",
        ] {
            assert_eq!(Issuer::parse(bad), Err(IssuerError::Invalid), "{bad}");
        }
        let issuer = Issuer::parse("https://id.example").unwrap();
        assert!(issuer.is_https());
        assert_eq!(
            issuer.endpoint("/oauth/token"),
            "https://id.example/oauth/token"
        );
    }

    #[test]
    fn lifetimes_are_bounded() {
        assert_eq!(Lifetimes::default().validate(), Ok(()));
        let too_long_code = Lifetimes {
            authorization_code: 61,
            ..Lifetimes::default()
        };
        assert!(too_long_code.validate().is_err());
        let short_grant = Lifetimes {
            grant: 10,
            ..Lifetimes::default()
        };
        assert!(short_grant.validate().is_err());
    }
}
