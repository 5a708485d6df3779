//! Small textual helpers shared by registration and matching.
//!
//! Everything here works on the raw bytes of a string, without any URL parsing or normalization, so that
//! what is checked is exactly what is stored and compared.

use std::borrow::Cow;

/// Splits `scheme://authority rest` textually.
///
/// Returns `(authority, rest)` where `authority` runs from after `://` up to (not including) the first
/// `/`, `?`, `#` or `\` and `rest` is everything from there. Returns `None` when the string does not have
/// `://` right after its first `:`.
pub(crate) fn split_authority(uri: &str) -> Option<(&str, &str)> {
    let (_scheme, after_scheme) = uri.split_once(':')?;
    let after_slashes = after_scheme.strip_prefix("//")?;
    // `\` ends the authority too: the WHATWG parser treats it as `/` in special URLs.
    let end = after_slashes
        .find(['/', '?', '#', '\\'])
        .unwrap_or(after_slashes.len());
    after_slashes.split_at_checked(end)
}

/// Whether `s` contains an ASCII control character (C0 or DEL) or ASCII whitespace (space included).
pub(crate) fn has_control_or_whitespace(s: &str) -> bool {
    s.bytes()
        .any(|b| b.is_ascii_control() || b.is_ascii_whitespace())
}

/// Whether every `%` in `s` starts a `%XX` escape with two hex digits (RFC 3986 §2.1).
pub(crate) fn percent_escapes_are_valid(s: &str) -> bool {
    let bytes = s.as_bytes();
    bytes.iter().enumerate().all(|(i, &b)| {
        b != b'%'
            || matches!(
                (bytes.get(i + 1), bytes.get(i + 2)),
                (Some(h), Some(l)) if h.is_ascii_hexdigit() && l.is_ascii_hexdigit()
            )
    })
}

/// Whether `s` contains a `*`, literally or behind any number of layers of percent-encoding
/// (`%2A`, `%252A`, …).
///
/// Each decoding round that changes the string shortens it by at least two bytes, so the loop ends after at
/// most `s.len() / 2` rounds.
pub(crate) fn contains_wildcard(s: &str) -> bool {
    let mut current: Cow<'_, [u8]> = Cow::Borrowed(s.as_bytes());
    loop {
        if current.contains(&b'*') {
            return true;
        }
        if !current.contains(&b'%') {
            return false;
        }
        let decoded: Vec<u8> = percent_encoding::percent_decode(&current).collect();
        if decoded.len() == current.len() {
            // Nothing decodable left: no hidden `*`.
            return false;
        }
        current = Cow::Owned(decoded);
    }
}

/// Whether `s` is the port part of an authority as accepted in a requested loopback redirect URI: empty
/// (no port), or `:` followed by a decimal port in `1..=65535` written without leading zeros.
pub(crate) fn is_port_part(s: &str) -> bool {
    if s.is_empty() {
        return true;
    }
    let Some(digits) = s.strip_prefix(':') else {
        return false;
    };
    (1..=5).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0')
        && digits.parse::<u16>().is_ok()
}

#[cfg(test)]
mod tests;
