//! A per-virtual-user cookie jar, like one browser profile.
//!
//! Deliberately small: host-only cookies (the `Domain` attribute is ignored, so a cookie is sent
//! back only to the host that set it), `Path` matching (RFC 6265 §5.1.4), deletion by `Max-Age<=0`
//! or an `Expires` date in the past, and `Secure` cookies sent over `https` or to a loopback host
//! (as browsers treat `http://localhost` as a secure context). It can be [cleared](Jar::clear) to
//! start a fresh browser session without dropping the connection pool.

use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use reqwest::header::HeaderValue;
use url::Url;

#[derive(Clone, Debug)]
struct Cookie {
    host: String,
    name: String,
    value: String,
    path: String,
    secure: bool,
    expires: Option<Instant>,
}

/// A cookie jar for one virtual user.
#[derive(Debug, Default)]
pub struct Jar {
    cookies: Mutex<Vec<Cookie>>,
}

impl Jar {
    /// An empty jar.
    pub fn new() -> Self {
        Self::default()
    }

    /// Forgets every cookie (a fresh browser session).
    pub fn clear(&self) {
        self.lock().clear();
    }

    /// How many live cookies the jar holds.
    pub fn len(&self) -> usize {
        let now = Instant::now();
        self.lock()
            .iter()
            .filter(|c| c.expires.is_none_or(|e| e > now))
            .count()
    }

    /// Whether the jar holds no live cookie.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> MutexGuard<'_, Vec<Cookie>> {
        // A panic while holding the lock cannot leave the Vec inconsistent: take it anyway.
        self.cookies
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Stores one `Set-Cookie` header value received from `url`; malformed ones are ignored.
    pub fn store(&self, header: &str, url: &Url) {
        let Some(host) = url.host_str() else { return };
        let mut parts = header.split(';');
        let Some((name, value)) = parts.next().and_then(|nv| nv.split_once('=')) else {
            return;
        };
        let (name, value) = (name.trim(), value.trim());
        if name.is_empty() {
            return;
        }
        let mut cookie = Cookie {
            host: host.to_owned(),
            name: name.to_owned(),
            value: value.to_owned(),
            path: default_path(url),
            secure: false,
            expires: None,
        };
        let mut max_age_seen = false;
        for attr in parts {
            let (key, val) = attr.split_once('=').unwrap_or((attr, ""));
            let (key, val) = (key.trim().to_ascii_lowercase(), val.trim());
            match key.as_str() {
                "path" if val.starts_with('/') => cookie.path = val.to_owned(),
                "secure" => cookie.secure = true,
                "max-age" => {
                    if let Ok(seconds) = val.parse::<i64>() {
                        max_age_seen = true;
                        cookie.expires = Some(expiry_after(seconds));
                    }
                }
                "expires" if !max_age_seen => {
                    // RFC 6265 §5.3 step 3: Max-Age wins over Expires.
                    if let Some(at) = parse_http_date(val) {
                        let now = SystemTime::now();
                        cookie.expires = Some(match at.duration_since(now) {
                            Ok(ahead) => Instant::now() + ahead,
                            Err(_) => Instant::now(),
                        });
                    }
                }
                _ => {}
            }
        }
        let mut cookies = self.lock();
        cookies
            .retain(|c| !(c.host == cookie.host && c.name == cookie.name && c.path == cookie.path));
        if cookie.expires.is_none_or(|e| e > Instant::now()) {
            cookies.push(cookie);
        }
    }

    /// The `Cookie` header value for a request to `url`, if any cookie applies.
    pub fn header_for(&self, url: &Url) -> Option<String> {
        let host = url.host_str()?;
        let secure_context = url.scheme() == "https" || is_loopback(url);
        let now = Instant::now();
        let mut cookies = self.lock();
        cookies.retain(|c| c.expires.is_none_or(|e| e > now));
        let pairs: Vec<String> = cookies
            .iter()
            .filter(|c| c.host == host && path_matches(url.path(), &c.path))
            .filter(|c| !c.secure || secure_context)
            .map(|c| format!("{}={}", c.name, c.value))
            .collect();
        (!pairs.is_empty()).then(|| pairs.join("; "))
    }
}

impl reqwest::cookie::CookieStore for Jar {
    fn set_cookies(&self, cookie_headers: &mut dyn Iterator<Item = &HeaderValue>, url: &Url) {
        for header in cookie_headers {
            if let Ok(text) = header.to_str() {
                self.store(text, url);
            }
        }
    }

    fn cookies(&self, url: &Url) -> Option<HeaderValue> {
        self.header_for(url)
            .and_then(|v| HeaderValue::from_str(&v).ok())
    }
}

fn expiry_after(seconds: i64) -> Instant {
    let now = Instant::now();
    match u64::try_from(seconds) {
        Ok(s) if s > 0 => now
            .checked_add(Duration::from_secs(s))
            .unwrap_or(now + Duration::from_secs(1 << 32)),
        _ => now,
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// RFC 6265 §5.1.4: the default path is the request path up to (not including) its last `/`.
fn default_path(url: &Url) -> String {
    let path = url.path();
    match path.rfind('/') {
        Some(0) | None => "/".to_owned(),
        Some(i) => path.get(..i).unwrap_or("/").to_owned(),
    }
}

/// RFC 6265 §5.1.4 path-match.
fn path_matches(request: &str, cookie: &str) -> bool {
    request == cookie
        || (request.starts_with(cookie)
            && (cookie.ends_with('/') || request.as_bytes().get(cookie.len()) == Some(&b'/')))
}

/// Parses an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), the only form servers send today.
fn parse_http_date(text: &str) -> Option<SystemTime> {
    let mut fields = text.split_whitespace().skip(1);
    let day: u64 = fields.next()?.parse().ok()?;
    let month = match fields.next()?.to_ascii_lowercase().as_str() {
        "jan" => 1,
        "feb" => 2,
        "mar" => 3,
        "apr" => 4,
        "may" => 5,
        "jun" => 6,
        "jul" => 7,
        "aug" => 8,
        "sep" => 9,
        "oct" => 10,
        "nov" => 11,
        "dec" => 12,
        _ => return None,
    };
    let year: u64 = fields.next()?.parse().ok()?;
    let mut hms = fields.next()?.split(':').map(|f| f.parse::<u64>().ok());
    let (h, m, s) = (hms.next()??, hms.next()??, hms.next()??);
    if !(1970..=9999).contains(&year) || !(1..=31).contains(&day) || h > 23 || m > 59 || s > 60 {
        return None;
    }
    // Days from the civil date (Howard Hinnant's algorithm, for years >= 1970).
    let (y, mo) = if month <= 2 {
        (year - 1, month + 9)
    } else {
        (year, month - 3)
    };
    let era = y / 400;
    let yoe = y % 400;
    let doy = (153 * mo + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = (era * 146_097 + doe).checked_sub(719_468)?;
    let seconds = days * 86_400 + h * 3_600 + m * 60 + s;
    UNIX_EPOCH.checked_add(Duration::from_secs(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn cookies_round_trip_by_host_and_path() {
        let jar = Jar::new();
        let base = url("http://127.0.0.1:8080/oauth/authorize");
        jar.store(
            "sid=abc; Path=/; HttpOnly; SameSite=Lax; Max-Age=3600",
            &base,
        );
        jar.store("csrf=t; Path=/oauth; HttpOnly", &base);
        jar.store("scoped=1", &base); // default path "/oauth"
        assert_eq!(
            jar.header_for(&base).as_deref(),
            Some("sid=abc; csrf=t; scoped=1")
        );
        assert_eq!(
            jar.header_for(&url("http://127.0.0.1:8080/userinfo"))
                .as_deref(),
            Some("sid=abc")
        );
        assert_eq!(
            jar.header_for(&url("http://127.0.0.1:8080/oauthx"))
                .as_deref(),
            Some("sid=abc")
        );
        assert_eq!(jar.header_for(&url("http://localhost:8080/oauth")), None);
    }

    #[test]
    fn replacing_and_deleting() {
        let jar = Jar::new();
        let base = url("http://localhost/");
        jar.store("a=1; Path=/", &base);
        jar.store("a=2; Path=/", &base);
        assert_eq!(jar.header_for(&base).as_deref(), Some("a=2"));
        jar.store("a=; Path=/; Max-Age=0", &base);
        assert_eq!(jar.header_for(&base), None);
        jar.store("b=1; Path=/", &base);
        jar.store("b=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT", &base);
        assert!(jar.is_empty());
        jar.store("c=1; Path=/; Expires=Fri, 01 Jan 2100 00:00:00 GMT", &base);
        assert_eq!(jar.len(), 1);
        jar.clear();
        assert!(jar.is_empty());
    }

    #[test]
    fn secure_cookies_go_to_https_and_loopback_only() {
        let jar = Jar::new();
        jar.store("s=1; Path=/; Secure", &url("http://example.test/"));
        assert_eq!(jar.header_for(&url("http://example.test/")), None);
        assert_eq!(
            jar.header_for(&url("https://example.test/")).as_deref(),
            Some("s=1")
        );
        jar.store("s=1; Path=/; Secure", &url("http://[::1]:9/"));
        assert_eq!(
            jar.header_for(&url("http://[::1]:9/")).as_deref(),
            Some("s=1")
        );
    }

    #[test]
    fn malformed_headers_are_ignored() {
        let jar = Jar::new();
        let base = url("http://localhost/");
        for bad in ["", "novalue", "=x", ";;;", "a=1; Max-Age=-5"] {
            jar.store(bad, &base);
        }
        assert!(jar.is_empty());
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_set_cookie_headers_never_panic(header in "\\PC{0,120}", path in "/[a-z/]{0,20}") {
            let jar = Jar::new();
            let base = url(&format!("http://127.0.0.1:1{path}"));
            jar.store(&header, &base);
            let _ = jar.header_for(&base);
            proptest::prop_assert!(jar.len() <= 1);
        }

        #[test]
        fn stored_cookies_come_back(name in "[a-z]{1,10}", value in "[A-Za-z0-9_-]{0,30}") {
            let jar = Jar::new();
            let base = url("http://127.0.0.1:1/a/b");
            jar.store(&format!("{name}={value}; Path=/; HttpOnly"), &base);
            proptest::prop_assert_eq!(jar.header_for(&base), Some(format!("{name}={value}")));
        }

        #[test]
        fn arbitrary_dates_never_panic(text in "\\PC{0,40}") {
            let _ = parse_http_date(&text);
        }
    }

    #[test]
    fn http_dates_parse() {
        let t = parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").unwrap();
        assert_eq!(t.duration_since(UNIX_EPOCH).unwrap().as_secs(), 784_111_777);
        assert!(parse_http_date("Sun, 32 Nov 1994 08:49:37 GMT").is_none());
        assert!(parse_http_date("garbage").is_none());
    }
}
