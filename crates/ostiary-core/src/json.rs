//! JSON response bodies written into a buffer sized up front.
//!
//! `serde_json::to_string` starts from a 128-byte buffer and doubles it as it writes: a token response
//! (~1.3 KB, most of it the ID token) was reallocated and copied four times, 2.4 % of a refresh's
//! server CPU at 32 clients (`perf`). The hot endpoints pass what they know of the size instead.

use serde::Serialize;

/// Fixed overhead of a body beyond its long string values: names, quotes, separators and numbers.
pub(crate) const OVERHEAD: usize = 256;

/// `value` as JSON, written into a buffer of `capacity` bytes (it grows if that was too small).
pub(crate) fn to_string<T: Serialize + ?Sized>(
    value: &T,
    capacity: usize,
) -> Result<String, serde_json::Error> {
    let mut out = Vec::with_capacity(capacity);
    serde_json::to_writer(&mut out, value)?;
    // serde_json writes UTF-8 only; the check is a scan, no copy.
    String::from_utf8(out).map_err(|e| serde::ser::Error::custom(e.utf8_error()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_the_same_json_as_serde_json() {
        let value = serde_json::json!({"a": "é\u{1F600}\"", "b": [1, 2.5, null], "c": {"d": true}});
        for capacity in [0, 1, 16, 4096] {
            assert_eq!(
                to_string(&value, capacity).unwrap(),
                serde_json::to_string(&value).unwrap()
            );
        }
    }

    #[test]
    fn a_sized_buffer_is_not_reallocated() {
        let long = "x".repeat(1500);
        let body = to_string(
            &serde_json::json!({ "id_token": long }),
            long.len() + OVERHEAD,
        )
        .unwrap();
        assert!(
            body.capacity() <= long.len() + OVERHEAD,
            "grew to {}",
            body.capacity()
        );
        assert_eq!(body.len(), long.len() + 15);
    }
}
