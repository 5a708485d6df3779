//! Request parameters from a query string or an `application/x-www-form-urlencoded` body.
//!
//! Parsing is strict: invalid percent-encoding and invalid UTF-8 are errors (not silently replaced), the
//! number and size of parameters are bounded, and repeated parameters are recorded so the endpoint can
//! refuse them (RFC 6749 §3.1: "Request and response parameters MUST NOT be included more than once").
//! Parameters sent without a value are treated as omitted (RFC 6749 §3.1).

use std::ops::Range;

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
///
/// Every decoded name and value is held in one string, each parameter as two ranges of it: a
/// request's parameters cost two allocations however many there are (a refresh request's four
/// strings and a list were five before).
#[derive(Clone, Default)]
pub struct Params {
    /// The decoded names and values, one after another.
    text: String,
    /// Each parameter's name and value, as ranges of `text`.
    pairs: Vec<(Range<usize>, Range<usize>)>,
    repeated: Vec<String>,
}

impl std::fmt::Debug for Params {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Values can be secrets (codes, tokens, passwords): show names only.
        let names: Vec<&str> = self
            .pairs
            .iter()
            .map(|(n, _)| &self.text[n.clone()])
            .collect();
        f.debug_struct("Params")
            .field("names", &names)
            .field("repeated", &self.repeated)
            .finish()
    }
}

/// Equal when the same parameters (empty values included) were sent in the same order, and the same
/// ones repeated, however the text is laid out.
impl PartialEq for Params {
    fn eq(&self, other: &Self) -> bool {
        self.repeated == other.repeated && self.all().eq(other.all())
    }
}

impl Eq for Params {}

/// The parameters being built: the text as bytes (each piece is checked to be UTF-8 as it is added).
#[derive(Default)]
struct Builder {
    text: Vec<u8>,
    pairs: Vec<(Range<usize>, Range<usize>)>,
    repeated: Vec<String>,
}

impl Builder {
    /// Adds the parameter whose name and value are the text from `start` on, split at `split`: a
    /// name sent before is recorded as repeated and its text dropped.
    fn push(&mut self, start: usize, split: usize) -> Result<(), ParamsError> {
        let (name, value) = (start..split, split..self.text.len());
        if let Some((first, _)) = self
            .pairs
            .iter()
            .find(|(n, _)| self.text[n.clone()] == self.text[name.clone()])
        {
            let first = first.clone();
            // Both are UTF-8: each piece was checked when added.
            let name = String::from_utf8_lossy(&self.text[first]).into_owned();
            if !self.repeated.contains(&name) {
                self.repeated.push(name);
            }
            self.text.truncate(start);
            return Ok(());
        }
        if self.pairs.len() >= MAX_PARAMS {
            return Err(ParamsError::TooMany);
        }
        self.pairs.push((name, value));
        Ok(())
    }

    fn finish(self) -> Result<Params, ParamsError> {
        Ok(Params {
            text: String::from_utf8(self.text).map_err(|_| ParamsError::Encoding)?,
            pairs: self.pairs,
            repeated: self.repeated,
        })
    }
}

impl Params {
    /// Parses `application/x-www-form-urlencoded` input (a query string without `?`, or a form body).
    pub fn parse(input: &[u8]) -> Result<Self, ParamsError> {
        if input.len() > MAX_INPUT_LEN {
            return Err(ParamsError::TooLong);
        }
        let pieces = input.iter().filter(|&&b| b == b'&').count() + 1;
        let mut params = Builder {
            // Decoding only shortens.
            text: Vec::with_capacity(input.len()),
            pairs: Vec::with_capacity(pieces.min(MAX_PARAMS)),
            repeated: Vec::new(),
        };
        for piece in input.split(|&b| b == b'&') {
            if piece.is_empty() {
                continue;
            }
            let (name, value) = match piece.iter().position(|&b| b == b'=') {
                Some(i) => (&piece[..i], &piece[i + 1..]),
                None => (piece, &b""[..]),
            };
            let start = params.text.len();
            decode_into(name, MAX_NAME_LEN, &mut params.text)?;
            let split = params.text.len();
            decode_into(value, MAX_VALUE_LEN, &mut params.text)?;
            params.push(start, split)?;
        }
        params.finish()
    }

    /// Builds parameters from pairs (for tests and embedders with their own parser), applying the same
    /// bounds and repetition tracking.
    pub fn from_pairs<I, N, V>(pairs: I) -> Result<Self, ParamsError>
    where
        I: IntoIterator<Item = (N, V)>,
        N: Into<String>,
        V: Into<String>,
    {
        let mut params = Builder::default();
        for (name, value) in pairs {
            let (name, value) = (name.into(), value.into());
            if name.len() > MAX_NAME_LEN || value.len() > MAX_VALUE_LEN {
                return Err(ParamsError::TooLong);
            }
            let start = params.text.len();
            params.text.extend_from_slice(name.as_bytes());
            let split = params.text.len();
            params.text.extend_from_slice(value.as_bytes());
            params.push(start, split)?;
        }
        params.finish()
    }

    /// Every parameter, empty values included, in order.
    fn all(&self) -> impl Iterator<Item = (&str, &str)> {
        self.pairs
            .iter()
            .map(|(n, v)| (&self.text[n.clone()], &self.text[v.clone()]))
    }

    /// The value of `name`, if present with a non-empty value (an empty value counts as omitted).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.all()
            .find(|&(n, v)| n == name && !v.is_empty())
            .map(|(_, v)| v)
    }

    /// Whether `name` was sent more than once.
    pub fn is_repeated(&self, name: &str) -> bool {
        self.repeated.iter().any(|n| n == name)
    }

    /// Whether any parameter was sent more than once.
    pub fn has_repeated(&self) -> bool {
        !self.repeated.is_empty()
    }

    /// Removes `name` and returns its value (empty values count as omitted). The value's text in the
    /// parameters is overwritten, so a secret taken out (a password) is left nowhere else in them.
    pub fn take(&mut self, name: &str) -> Option<String> {
        let index = self.all().position(|(n, _)| n == name)?;
        let (_, value) = self.pairs.remove(index);
        let taken = self.text[value.clone()].to_owned();
        self.text
            .replace_range(value.clone(), &"\0".repeat(value.len()));
        (!taken.is_empty()).then_some(taken)
    }

    /// Every parameter with a non-empty value, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.all().filter(|(_, v)| !v.is_empty())
    }
}

/// One `application/x-www-form-urlencoded` value on its own (`+` is a space, `%XX` a byte), as
/// [`Params::parse`] decodes values: for values that arrive outside a query or form, such as the
/// client id and secret inside HTTP Basic credentials (RFC 6749 §2.3.1).
pub(crate) fn decode_value(input: &[u8]) -> Result<String, ParamsError> {
    let mut out = Vec::with_capacity(input.len());
    decode_into(input, MAX_VALUE_LEN, &mut out)?;
    String::from_utf8(out).map_err(|_| ParamsError::Encoding)
}

/// Decodes one form-encoded component onto the end of `out`: `+` is a space, `%XX` a byte; what it
/// adds must be UTF-8 on its own and at most `max` bytes.
fn decode_into(input: &[u8], max: usize, out: &mut Vec<u8>) -> Result<(), ParamsError> {
    let start = out.len();
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
        if out.len() - start > max {
            return Err(ParamsError::TooLong);
        }
    }
    match std::str::from_utf8(&out[start..]) {
        Ok(_) => Ok(()),
        Err(_) => Err(ParamsError::Encoding),
    }
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
    fn a_name_and_a_value_are_each_utf8_on_their_own() {
        // Together the two halves would be "é"; apart neither is UTF-8.
        assert_eq!(Params::parse(b"a%c3=%a9"), Err(ParamsError::Encoding));
        assert_eq!(Params::parse(b"a=%c3&%a9=b"), Err(ParamsError::Encoding));
    }

    #[test]
    fn take_removes_the_value_and_wipes_its_text() {
        let mut p = Params::parse(b"username=ann&password=hunter2&decision=").unwrap();
        assert_eq!(p.take("password").as_deref(), Some("hunter2"));
        assert_eq!(p.take("password"), None);
        assert_eq!(p.take("decision"), None, "an empty value counts as omitted");
        assert!(!p.text.contains("hunter2"));
        assert_eq!(p.iter().collect::<Vec<_>>(), [("username", "ann")]);
        assert_eq!(p, Params::from_pairs([("username", "ann")]).unwrap());
    }

    #[test]
    fn equal_parameters_are_equal_whatever_their_layout() {
        let parsed = Params::parse(b"a=1&b=&a=2&c=%33").unwrap();
        let built = Params::from_pairs([("a", "1"), ("b", ""), ("a", "x"), ("c", "3")]).unwrap();
        assert_eq!(parsed, built);
        assert_ne!(
            parsed,
            Params::from_pairs([("a", "1"), ("c", "3")]).unwrap()
        );
        assert_ne!(
            Params::parse(b"a=1&b=2").unwrap(),
            Params::parse(b"b=2&a=1").unwrap(),
            "order is kept"
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
