//! The two cookies Ostiary sets — the session cookie and the CSRF cookie — and a strict, bounded reader
//! of the `Cookie` request header (RFC 6265 §4.2, §5.4).

use http::header::{COOKIE, HeaderMap, HeaderValue};

/// The most bytes of `Cookie` header read (over all `Cookie` fields, which HTTP/2 may split into many).
/// Cookies past this point are ignored.
pub(crate) const MAX_COOKIE_BYTES: usize = 8 * 1024;
/// The most cookie pairs looked at.
pub(crate) const MAX_COOKIE_PAIRS: usize = 64;
/// The longest cookie value accepted for our cookies; longer ones are ignored.
pub(crate) const MAX_VALUE_LEN: usize = 256;

/// Cookie names and attributes, derived from the issuer.
#[derive(Debug, Clone)]
pub(crate) struct CookiePolicy {
    secure: bool,
    session_name: &'static str,
    csrf_name: &'static str,
}

/// Our cookies as sent by the browser.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct RequestCookies {
    /// The session cookie value.
    pub(crate) session: Option<String>,
    /// The CSRF cookie value.
    pub(crate) csrf: Option<String>,
}

impl CookiePolicy {
    /// On an `https` issuer, cookies are `Secure` and carry the `__Host-` prefix (RFC 6265bis §4.1.3.2:
    /// the browser then insists on `Secure`, `Path=/` and no `Domain`, so no sibling host or plain-HTTP
    /// page can plant or shadow them). On an `http` loopback issuer (development), plain names without
    /// `Secure`, which browsers would otherwise drop.
    pub(crate) fn new(https: bool) -> Self {
        if https {
            Self {
                secure: true,
                session_name: "__Host-ostiary_session",
                csrf_name: "__Host-ostiary_csrf",
            }
        } else {
            Self {
                secure: false,
                session_name: "ostiary_session",
                csrf_name: "ostiary_csrf",
            }
        }
    }

    /// The session cookie: `HttpOnly` (no script access), `SameSite=Lax` (sent on the top-level
    /// navigation back from a client to `/oauth/authorize`, not on cross-site posts), `Path=/`,
    /// `Max-Age` from the session lifetime.
    pub(crate) fn session_cookie(&self, value: &str, max_age: i64) -> Option<HeaderValue> {
        self.set_cookie(
            self.session_name,
            value,
            "SameSite=Lax",
            Some(max_age.max(0)),
        )
    }

    /// The CSRF cookie: `HttpOnly`, `SameSite=Strict` (only ever needed on our own form posts), no
    /// `Max-Age` (it lives as long as the browser session).
    pub(crate) fn csrf_cookie(&self, value: &str) -> Option<HeaderValue> {
        self.set_cookie(self.csrf_name, value, "SameSite=Strict", None)
    }

    fn set_cookie(
        &self,
        name: &str,
        value: &str,
        same_site: &str,
        max_age: Option<i64>,
    ) -> Option<HeaderValue> {
        if !value.bytes().all(is_cookie_octet) {
            return None;
        }
        let mut header = format!("{name}={value}; Path=/; HttpOnly; {same_site}");
        if let Some(max_age) = max_age {
            header.push_str(&format!("; Max-Age={max_age}"));
        }
        if self.secure {
            header.push_str("; Secure");
        }
        HeaderValue::from_str(&header).ok()
    }

    /// Reads our cookies from the request's `Cookie` fields. Bounded (see the constants) and strict:
    /// values that are not plain cookie-octets, or too long, are ignored. When a name appears more than
    /// once, the first occurrence is used: browsers send cookies with longer paths first (RFC 6265
    /// §5.4), and with the `__Host-` prefix only one `Path=/` cookie per name can exist.
    pub(crate) fn read(&self, headers: &HeaderMap) -> RequestCookies {
        let mut cookies = RequestCookies::default();
        let mut budget = MAX_COOKIE_BYTES;
        let mut pairs = 0;
        for field in headers.get_all(COOKIE) {
            let bytes = field.as_bytes();
            let Some(rest) = budget.checked_sub(bytes.len()) else {
                break;
            };
            budget = rest;
            for pair in bytes.split(|&b| b == b';') {
                pairs += 1;
                if pairs > MAX_COOKIE_PAIRS {
                    return cookies;
                }
                let Some((name, value)) = split_pair(pair) else {
                    continue;
                };
                let slot = if name == self.session_name.as_bytes() {
                    &mut cookies.session
                } else if name == self.csrf_name.as_bytes() {
                    &mut cookies.csrf
                } else {
                    continue;
                };
                if slot.is_none()
                    && value.len() <= MAX_VALUE_LEN
                    && let Ok(text) = std::str::from_utf8(value)
                {
                    *slot = Some(text.to_owned());
                }
            }
        }
        cookies
    }
}

/// Splits `name=value`, trimming optional whitespace around the pair; `None` unless the value is made of
/// cookie-octets (RFC 6265 §4.1.1; a double-quoted value is not used by Ostiary and is refused).
fn split_pair(pair: &[u8]) -> Option<(&[u8], &[u8])> {
    let pair = trim(pair);
    let eq = pair.iter().position(|&b| b == b'=')?;
    let name = pair.get(..eq)?;
    let value = pair.get(eq + 1..)?;
    (!name.is_empty() && !value.is_empty() && value.iter().copied().all(is_cookie_octet))
        .then_some((name, value))
}

fn trim(mut bytes: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = bytes {
        bytes = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = bytes {
        bytes = rest;
    }
    bytes
}

/// RFC 6265 §4.1.1: `cookie-octet = %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E`.
fn is_cookie_octet(b: u8) -> bool {
    matches!(b, 0x21 | 0x23..=0x2B | 0x2D..=0x3A | 0x3C..=0x5B | 0x5D..=0x7E)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for v in values {
            map.append(COOKIE, HeaderValue::from_str(v).unwrap());
        }
        map
    }

    #[test]
    fn reads_our_cookies_and_ignores_others() {
        let policy = CookiePolicy::new(false);
        let got = policy.read(&headers(&[
            "a=1; ostiary_session=oss_1_x ;ostiary_csrf=tok; b=2",
        ]));
        assert_eq!(got.session.as_deref(), Some("oss_1_x"));
        assert_eq!(got.csrf.as_deref(), Some("tok"));
        let https = CookiePolicy::new(true);
        assert_eq!(
            https.read(&headers(&["ostiary_session=x"])),
            RequestCookies::default(),
            "an https issuer only reads the __Host- names"
        );
    }

    #[test]
    fn http2_split_cookie_fields_are_joined() {
        let policy = CookiePolicy::new(true);
        let got = policy.read(&headers(&[
            "__Host-ostiary_csrf=c",
            "__Host-ostiary_session=s",
        ]));
        assert_eq!(got.session.as_deref(), Some("s"));
        assert_eq!(got.csrf.as_deref(), Some("c"));
    }

    #[test]
    fn first_duplicate_wins_and_bad_values_are_ignored() {
        let policy = CookiePolicy::new(false);
        let got = policy.read(&headers(&["ostiary_session=first; ostiary_session=second"]));
        assert_eq!(got.session.as_deref(), Some("first"));
        let got = policy.read(&headers(&["ostiary_session=\"quoted\"; ostiary_csrf=a,b"]));
        assert_eq!(got, RequestCookies::default());
        let long = format!("ostiary_session={}", "a".repeat(MAX_VALUE_LEN + 1));
        assert_eq!(policy.read(&headers(&[&long])).session, None);
    }

    #[test]
    fn reading_is_bounded() {
        let policy = CookiePolicy::new(false);
        let many: Vec<String> = (0..MAX_COOKIE_PAIRS).map(|i| format!("c{i}=1")).collect();
        let late = format!("{}; ostiary_session=late", many.join("; "));
        assert_eq!(policy.read(&headers(&[&late])).session, None);
        let huge = format!("x={}", "a".repeat(MAX_COOKIE_BYTES));
        assert_eq!(
            policy.read(&headers(&[&huge, "ostiary_session=s"])).session,
            None
        );
    }

    #[test]
    fn set_cookie_attributes() {
        let https = CookiePolicy::new(true);
        assert_eq!(
            https.session_cookie("oss_1_abc", 3600).unwrap(),
            "__Host-ostiary_session=oss_1_abc; Path=/; HttpOnly; SameSite=Lax; Max-Age=3600; Secure"
        );
        assert_eq!(
            https.csrf_cookie("t").unwrap(),
            "__Host-ostiary_csrf=t; Path=/; HttpOnly; SameSite=Strict; Secure"
        );
        let http = CookiePolicy::new(false);
        assert_eq!(
            http.session_cookie("v", 60).unwrap(),
            "ostiary_session=v; Path=/; HttpOnly; SameSite=Lax; Max-Age=60"
        );
        assert!(http.session_cookie("a;b", 60).is_none());
    }

    proptest! {
        #[test]
        fn reading_never_panics(value in proptest::collection::vec(any::<u8>(), 0..2048)) {
            let mut map = HeaderMap::new();
            if let Ok(v) = HeaderValue::from_bytes(&value) {
                map.append(COOKIE, v);
            }
            let _ = CookiePolicy::new(true).read(&map);
        }

        #[test]
        fn written_cookies_read_back(value in "[A-Za-z0-9_-]{1,64}") {
            let policy = CookiePolicy::new(true);
            let set = policy.session_cookie(&value, 60).unwrap();
            let pair = set.to_str().unwrap().split(';').next().unwrap().to_owned();
            prop_assert_eq!(policy.read(&headers(&[&pair])).session, Some(value));
        }
    }
}
