//! Failures found by the generator, counted by kind and never hidden.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

/// The step of a workload at which something went wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Step {
    /// `GET /.well-known/openid-configuration`.
    Discovery,
    /// `GET jwks_uri`.
    Jwks,
    /// `GET authorization_endpoint` and the redirects it leads to.
    Authorize,
    /// Submitting the sign-in form.
    SignIn,
    /// Submitting the consent form.
    Consent,
    /// The redirect back to the client (`code`, `state`, `iss`).
    Callback,
    /// The authorization-code exchange at the token endpoint.
    Token,
    /// The refresh-token grant at the token endpoint.
    Refresh,
    /// Token introspection (RFC 7662).
    Introspection,
    /// The UserInfo endpoint.
    Userinfo,
    /// The hello-world baseline.
    Baseline,
    /// Per-virtual-user setup before the warm-up.
    Setup,
    /// The runner itself (a virtual user that did not stop in time).
    Runner,
}

impl Step {
    /// The lower-case name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Discovery => "discovery",
            Step::Jwks => "jwks",
            Step::Authorize => "authorize",
            Step::SignIn => "sign-in",
            Step::Consent => "consent",
            Step::Callback => "callback",
            Step::Token => "token",
            Step::Refresh => "refresh",
            Step::Introspection => "introspection",
            Step::Userinfo => "userinfo",
            Step::Baseline => "baseline",
            Step::Setup => "setup",
            Step::Runner => "runner",
        }
    }
}

/// What went wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Kind {
    /// Connecting, sending or reading failed; the class is `connect`, `timeout`, `body` or `request`.
    Transport(&'static str),
    /// An unexpected HTTP status, with the OAuth `error` code of a JSON body when there is one.
    Status(u16, Option<String>),
    /// The authorization server redirected back with `error=…` (RFC 6749 §4.1.2.1).
    OAuthError(String),
    /// The body was not the JSON object expected.
    BadJson,
    /// A required member, parameter or header was missing.
    Missing(&'static str),
    /// A member, parameter or header had the wrong value.
    Wrong(&'static str),
    /// A page was shown where none was expected, or a page was not understood.
    Page(&'static str),
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Kind::Transport(class) => write!(f, "transport error ({class})"),
            Kind::Status(code, Some(error)) => write!(f, "HTTP {code} {error}"),
            Kind::Status(code, None) => write!(f, "HTTP {code}"),
            Kind::OAuthError(code) => write!(f, "error={code}"),
            Kind::BadJson => f.write_str("bad JSON"),
            Kind::Missing(what) => write!(f, "missing {what}"),
            Kind::Wrong(what) => write!(f, "wrong {what}"),
            Kind::Page(what) => write!(f, "page: {what}"),
        }
    }
}

/// One failure: where, what, and a short example for the report.
#[derive(Clone, Debug)]
pub struct Failure {
    /// Where it happened.
    pub step: Step,
    /// What happened.
    pub kind: Kind,
    /// A short, sanitized detail (a body excerpt, an error message); may be empty.
    pub detail: String,
}

impl Failure {
    /// A failure with a detail, sanitized and cut to 300 characters.
    pub fn new(step: Step, kind: Kind, detail: impl AsRef<str>) -> Self {
        Self {
            step,
            kind,
            detail: sanitize(detail.as_ref(), 300),
        }
    }

    /// The counting key: `step: kind`.
    pub fn key(&self) -> String {
        format!("{}: {}", self.step.as_str(), self.kind)
    }

    /// A transport error from reqwest, classified.
    pub fn transport(step: Step, error: &reqwest::Error) -> Self {
        let class = if error.is_timeout() {
            "timeout"
        } else if error.is_connect() {
            "connect"
        } else if error.is_body() || error.is_decode() {
            "body"
        } else {
            "request"
        };
        // reqwest's Display includes the URL, which may carry a code or state: keep only the class
        // and the innermost cause.
        let mut cause: &dyn std::error::Error = error;
        while let Some(inner) = cause.source() {
            cause = inner;
        }
        Self::new(step, Kind::Transport(class), cause.to_string())
    }

    /// An unexpected status; the OAuth `error` code is taken from a JSON body if present.
    pub fn status(step: Step, status: u16, body: &[u8]) -> Self {
        let error = serde_json::from_slice::<serde_json::Value>(body)
            .ok()
            .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(sanitize_code));
        Self::new(
            step,
            Kind::Status(status, error),
            String::from_utf8_lossy(body),
        )
    }
}

/// Keeps an OAuth error code printable and bounded (it came from the network).
pub fn sanitize_code(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        .take(40)
        .collect()
}

/// Replaces control characters and cuts to `max` characters.
fn sanitize(text: &str, max: usize) -> String {
    let mut out: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(max)
        .collect();
    if text.chars().count() > max {
        out.push('…');
    }
    out
}

/// Failures counted by key, each with its first example.
#[derive(Clone, Debug, Default)]
pub struct Tally {
    kinds: BTreeMap<String, (u64, String)>,
}

/// One line of a [`Tally`], for reports.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct TallyLine {
    /// `step: kind`.
    pub kind: String,
    /// How many times it happened.
    pub count: u64,
    /// The detail of the first occurrence.
    pub example: String,
}

impl Tally {
    /// Counts one failure.
    pub fn add(&mut self, failure: &Failure) {
        let entry = self
            .kinds
            .entry(failure.key())
            .or_insert_with(|| (0, failure.detail.clone()));
        entry.0 += 1;
    }

    /// Adds every count of `other`.
    pub fn merge(&mut self, other: &Tally) {
        for (key, (count, example)) in &other.kinds {
            let entry = self
                .kinds
                .entry(key.clone())
                .or_insert_with(|| (0, example.clone()));
            entry.0 += count;
        }
    }

    /// The total number of failures.
    pub fn total(&self) -> u64 {
        self.kinds.values().map(|(n, _)| n).sum()
    }

    /// The lines, most frequent first.
    pub fn lines(&self) -> Vec<TallyLine> {
        let mut lines: Vec<TallyLine> = self
            .kinds
            .iter()
            .map(|(kind, (count, example))| TallyLine {
                kind: kind.clone(),
                count: *count,
                example: example.clone(),
            })
            .collect();
        lines.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.kind.cmp(&b.kind)));
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tally_counts_by_kind_and_keeps_the_first_example() {
        let mut a = Tally::default();
        a.add(&Failure::status(
            Step::Token,
            400,
            br#"{"error":"invalid_grant"}"#,
        ));
        a.add(&Failure::status(
            Step::Token,
            400,
            br#"{"error":"invalid_grant","x":1}"#,
        ));
        let mut b = Tally::default();
        b.add(&Failure::new(Step::Userinfo, Kind::Missing("sub"), "first"));
        b.add(&Failure::new(
            Step::Userinfo,
            Kind::Missing("sub"),
            "second",
        ));
        b.add(&Failure::status(Step::Token, 400, b"not json"));
        a.merge(&b);
        assert_eq!(a.total(), 5);
        let lines = a.lines();
        assert_eq!(lines[0].kind, "token: HTTP 400 invalid_grant");
        assert_eq!(lines[0].count, 2);
        assert_eq!(lines[0].example, r#"{"error":"invalid_grant"}"#);
        assert_eq!(lines[1].kind, "userinfo: missing sub");
        assert_eq!(lines[1].example, "first");
        assert_eq!(lines[2].kind, "token: HTTP 400");
    }

    #[test]
    fn details_and_codes_are_sanitized_and_bounded() {
        let f = Failure::new(Step::Setup, Kind::BadJson, "a\nb\u{1b}c".repeat(200));
        assert!(!f.detail.contains('\n'));
        assert!(f.detail.chars().count() <= 301);
        assert_eq!(
            sanitize_code("bad\r\n<script>code_x".repeat(5).as_str()).len(),
            40
        );
        let f = Failure::status(Step::Token, 401, br#"{"error":"in valid<>"}"#);
        assert_eq!(f.key(), "token: HTTP 401 invalid");
    }
}
