//! Request parameters from a query string or an `application/x-www-form-urlencoded` body.
//!
//! Parsing is strict: invalid percent-encoding and invalid UTF-8 are errors (not silently replaced), the
//! number and size of parameters are bounded, and repeated parameters are recorded so the endpoint can
//! refuse them (RFC 6749 §3.1: "Request and response parameters MUST NOT be included more than once").
//! Parameters sent without a value are treated as omitted (RFC 6749 §3.1).

/// The most parameters a request may carry.
pub const MAX_PARAMS: usize = 64;
/// The longest parameter name, in bytes.
pub const MAX_NAME_LEN: usize = 64;
/// The longest parameter value, in bytes, after decoding.
pub const MAX_VALUE_LEN: usize = 4096;
/// The longest encoded input accepted.
pub const MAX_INPUT_LEN: usize = 32 * 1024;

/// Why the parameters could not be parsed. The descriptions are fixed text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParamsError {
    /// A `%` not followed by two hex digits, or a decoded value that is not UTF-8.
    #[error("parameters are not valid application/x-www-form-urlencoded UTF-8")]
    Encoding,
    /// More than [`MAX_PARAMS`] parameters.
    #[error("too many parameters")]
    TooMany,
    /// A name or value over its bound, or the whole input over [`MAX_INPUT_LEN`].
    #[error("a parameter is too long")]
    TooLong,
}

/// Parsed request parameters, in their original order.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Params {
    pairs: Vec<(String, String)>,
    repeated: Vec<String>,
}

impl std::fmt::Debug for Params {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Values can be secrets (codes, tokens, passwords): show names only.
        let names: Vec<&str> = self.pairs.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("Params")
            .field("names", &names)
            .field("repeated", &self.repeated)
            .finish()
    }
}

impl Params {
    /// Parses `application/x-www-form-urlencoded` input (a query string without `?`, or a form body).
    pub fn parse(input: &[u8]) -> Result<Self, ParamsError> {
        if input.len() > MAX_INPUT_LEN {
            return Err(ParamsError::TooLong);
        }
        let mut params = Params::default();
        for piece in input.split(|&b| b == b'&') {
            if piece.is_empty() {
                continue;
            }
            let (name, value) = match piece.iter().position(|&b| b == b'=') {
                Some(i) => (&piece[..i], &piece[i + 1..]),
                None => (piece, &b""[..]),
            };
            let name = decode(name, MAX_NAME_LEN)?;
            let value = decode(value, MAX_VALUE_LEN)?;
            params.push(name, value)?;
        }
        Ok(params)
    }

    /// Builds parameters from pairs (for tests and embedders with their own parser), applying the same
    /// bounds and repetition tracking.
    pub fn from_pairs<I, N, V>(pairs: I) -> Result<Self, ParamsError>
    where
        I: IntoIterator<Item = (N, V)>,
        N: Into<String>,
        V: Into<String>,
    {
        let mut params = Params::default();
        for (name, value) in pairs {
            let (name, value) = (name.into(), value.into());
            if name.len() > MAX_NAME_LEN || value.len() > MAX_VALUE_LEN {
                return Err(ParamsError::TooLong);
            }
            params.push(name, value)?;
        }
        Ok(params)
    }

    fn push(&mut self, name: String, value: String) -> Result<(), ParamsError> {
        if self.pairs.iter().any(|(n, _)| *n == name) {
            if !self.repeated.contains(&name) {
                self.repeated.push(name);
            }
            return Ok(());
        }
        if self.pairs.len() >= MAX_PARAMS {
            return Err(ParamsError::TooMany);
        }
        self.pairs.push((name, value));
        Ok(())
    }

    /// The value of `name`, if present with a non-empty value (an empty value counts as omitted).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(n, v)| n == name && !v.is_empty())
            .map(|(_, v)| v.as_str())
    }

    /// Whether `name` was sent more than once.
    pub fn is_repeated(&self, name: &str) -> bool {
        self.repeated.iter().any(|n| n == name)
    }

    /// Whether any parameter was sent more than once.
    pub fn has_repeated(&self) -> bool {
        !self.repeated.is_empty()
    }

    /// Removes `name` and returns its value (empty values count as omitted).
    pub fn take(&mut self, name: &str) -> Option<String> {
        let index = self.pairs.iter().position(|(n, _)| n == name)?;
        let (_, value) = self.pairs.remove(index);
        (!value.is_empty()).then_some(value)
    }

    /// Every parameter with a non-empty value, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.pairs
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(n, v)| (n.as_str(), v.as_str()))
    }
}

/// Decodes one form-encoded component: `+` is a space, `%XX` a byte; the result must be UTF-8.
fn decode(input: &[u8], max: usize) -> Result<String, ParamsError> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while let Some(&b) = input.get(i) {
        match b {
            b'+' => out.push(b' '),
            b'%' => {
                let hi = input.get(i + 1).copied().and_then(hex);
                let lo = input.get(i + 2).copied().and_then(hex);
                let (Some(hi), Some(lo)) = (hi, lo) else {
                    return Err(ParamsError::Encoding);
                };
                out.push(hi << 4 | lo);
                i += 2;
            }
            _ => out.push(b),
        }
        i += 1;
        if out.len() > max {
            return Err(ParamsError::TooLong);
        }
    }
    String::from_utf8(out).map_err(|_| ParamsError::Encoding)
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn decodes_plus_and_percent() {
        let p = Params::parse(b"a=1+2&b=%41%c3%a9&c").unwrap();
        assert_eq!(p.get("a"), Some("1 2"));
        assert_eq!(p.get("b"), Some("Aé"));
        assert_eq!(
            p.get("c"),
            None,
            "a parameter without a value counts as omitted"
        );
    }

    #[test]
    fn repeated_parameters_are_recorded_not_merged() {
        let p = Params::parse(b"state=a&scope=openid&state=b").unwrap();
        assert!(p.is_repeated("state"));
        assert!(!p.is_repeated("scope"));
        assert!(p.has_repeated());
        assert_eq!(p.get("state"), Some("a"));
    }

    #[test]
    fn bad_encoding_is_an_error() {
        for bad in [&b"a=%"[..], b"a=%4", b"a=%zz", b"a=%ff", b"%c3=1"] {
            assert_eq!(Params::parse(bad), Err(ParamsError::Encoding), "{bad:?}");
        }
    }

    #[test]
    fn sizes_are_bounded() {
        let long = format!("a={}", "x".repeat(MAX_VALUE_LEN + 1));
        assert_eq!(Params::parse(long.as_bytes()), Err(ParamsError::TooLong));
        let many: Vec<String> = (0..=MAX_PARAMS).map(|i| format!("p{i}=1")).collect();
        assert_eq!(
            Params::parse(many.join("&").as_bytes()),
            Err(ParamsError::TooMany)
        );
        assert_eq!(
            Params::parse(&vec![b'a'; MAX_INPUT_LEN + 1]),
            Err(ParamsError::TooLong)
        );
    }

    #[test]
    fn debug_shows_names_only() {
        let p = Params::parse(b"password=hunter2").unwrap();
        assert!(!format!("{p:?}").contains("hunter2"));
    }

    proptest! {
        #[test]
        fn parse_never_panics(input in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = Params::parse(&input);
        }

        #[test]
        fn round_trips_form_encoding(pairs in proptest::collection::vec(("[a-z_]{1,10}", "\\PC{1,20}"), 0..10)) {
            let mut encoded = String::new();
            let mut expected: Vec<(String, String)> = Vec::new();
            for (name, value) in &pairs {
                if !encoded.is_empty() { encoded.push('&'); }
                encoded.push_str(name);
                encoded.push('=');
                for b in value.bytes() { encoded.push_str(&format!("%{b:02X}")); }
                if !expected.iter().any(|(n, _)| n == name) { expected.push((name.clone(), value.clone())); }
            }
            let parsed = Params::parse(encoded.as_bytes()).unwrap();
            for (name, value) in &expected {
                prop_assert_eq!(parsed.get(name), Some(value.as_str()));
            }
        }
    }
}
