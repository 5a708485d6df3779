//! Reading request bodies: bounded in size and time, and only when they are form-encoded.

use std::time::Duration;

use std::pin::{Pin, pin};

use bytes::{Bytes, BytesMut};
use http::HeaderMap;
use http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use http_body_util::BodyExt;
use hyper::body::Body;

/// Why a body could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BodyError {
    /// Larger than the configured bound (413).
    TooLarge,
    /// Not complete within the body timeout (408).
    Timeout,
    /// The client broke off or sent a malformed body (400).
    Broken,
}

/// How much of an oversized body is read and thrown away before answering 413. A client that is still
/// sending when the server answers and closes would see a reset instead of the answer (hyper does not
/// linger on close); draining a modest overshoot lets it read the 413. Larger bodies are cut off at once.
pub(crate) const DRAIN_MAX: usize = 1024 * 1024;

/// Reads the whole body, at most `limit` bytes, within `timeout`. A declared `Content-Length` over the
/// limit is refused without buffering anything.
pub(crate) async fn read<B>(
    headers: &HeaderMap,
    body: B,
    limit: usize,
    timeout: Duration,
) -> Result<Bytes, BodyError>
where
    B: Body<Data = Bytes>,
{
    // hyper has already rejected malformed lengths; a declared length only lets us refuse early.
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let work = async {
        let mut body = pin!(body);
        if declared.is_some_and(|n| n > limit as u64) {
            if declared.is_some_and(|n| n <= (limit + DRAIN_MAX) as u64) {
                drain(body.as_mut(), DRAIN_MAX).await;
            }
            return Err(BodyError::TooLarge);
        }
        let mut buffer = BytesMut::new();
        while let Some(frame) = body.as_mut().frame().await {
            let Ok(data) = frame.map_err(|_| BodyError::Broken)?.into_data() else {
                continue; // trailers
            };
            if buffer.len().saturating_add(data.len()) > limit {
                drain(body.as_mut(), DRAIN_MAX).await;
                return Err(BodyError::TooLarge);
            }
            buffer.extend_from_slice(&data);
        }
        Ok(buffer.freeze())
    };
    tokio::time::timeout(timeout, work)
        .await
        .unwrap_or(Err(BodyError::Timeout))
}

/// Reads and discards up to `budget` bytes of what remains of a body (errors end it quietly).
async fn drain<B: Body<Data = Bytes>>(mut body: Pin<&mut B>, budget: usize) {
    let mut left = budget;
    while let Some(Ok(frame)) = body.as_mut().frame().await {
        if let Ok(data) = frame.into_data() {
            match left.checked_sub(data.len()) {
                Some(rest) => left = rest,
                None => return,
            }
        }
    }
}

/// Whether the request declares an `application/x-www-form-urlencoded` body (RFC 6749 §3.2, §2.3.1
/// and the HTML form default). One `Content-Type` field; the media type is case-insensitive; the only
/// parameter allowed is `charset`, and only as UTF-8 (the parameter parser requires UTF-8).
pub(crate) fn is_form(headers: &HeaderMap) -> bool {
    let mut fields = headers.get_all(CONTENT_TYPE).iter();
    let (Some(field), None) = (fields.next(), fields.next()) else {
        return false;
    };
    let Ok(value) = field.to_str() else {
        return false;
    };
    let mut parts = value.split(';');
    let media_type = parts.next().unwrap_or_default().trim();
    if !media_type.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        return false;
    }
    parts.all(|parameter| {
        let Some((name, value)) = parameter.split_once('=') else {
            return false;
        };
        let value = value.trim();
        let value = value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .unwrap_or(value);
        name.trim().eq_ignore_ascii_case("charset") && value.eq_ignore_ascii_case("utf-8")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;
    use http_body_util::Full;
    use proptest::prelude::*;

    fn content_type(values: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for v in values {
            map.append(CONTENT_TYPE, HeaderValue::from_str(v).unwrap());
        }
        map
    }

    #[test]
    fn form_content_types() {
        for ok in [
            "application/x-www-form-urlencoded",
            "Application/X-WWW-Form-Urlencoded",
            "application/x-www-form-urlencoded; charset=UTF-8",
            "application/x-www-form-urlencoded;charset=\"utf-8\"",
        ] {
            assert!(is_form(&content_type(&[ok])), "{ok}");
        }
        for bad in [
            "application/json",
            "multipart/form-data; boundary=x",
            "application/x-www-form-urlencoded; charset=iso-8859-1",
            "application/x-www-form-urlencoded; foo=bar",
            "application/x-www-form-urlencoded;",
            "text/plain",
            "",
        ] {
            assert!(!is_form(&content_type(&[bad])), "{bad}");
        }
        assert!(!is_form(&HeaderMap::new()));
        assert!(!is_form(&content_type(&[
            "application/x-www-form-urlencoded",
            "application/x-www-form-urlencoded"
        ])));
    }

    #[tokio::test]
    async fn bodies_are_bounded() {
        let headers = HeaderMap::new();
        let t = Duration::from_secs(5);
        let ok = read(&headers, Full::new(Bytes::from_static(b"abc")), 3, t).await;
        assert_eq!(ok, Ok(Bytes::from_static(b"abc")));
        let big = read(&headers, Full::new(Bytes::from_static(b"abcd")), 3, t).await;
        assert_eq!(big, Err(BodyError::TooLarge));
        let mut declared = HeaderMap::new();
        declared.insert(CONTENT_LENGTH, HeaderValue::from_static("1000"));
        let early = read(&declared, Full::new(Bytes::new()), 3, t).await;
        assert_eq!(early, Err(BodyError::TooLarge));
    }

    proptest! {
        #[test]
        fn content_type_check_never_panics(value in "\\PC{0,80}") {
            if let Ok(v) = HeaderValue::from_str(&value) {
                let mut map = HeaderMap::new();
                map.insert(CONTENT_TYPE, v);
                let _ = is_form(&map);
            }
        }
    }
}
