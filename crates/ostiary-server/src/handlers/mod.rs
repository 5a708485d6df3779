//! One file per endpoint family. Each handler turns a hyper request into core input and the core's answer
//! into a response; the protocol decisions are all `ostiary-core`'s.

pub(crate) mod authorize;
pub(crate) mod token;
pub(crate) mod userinfo;

use bytes::Bytes;
use http::header::AUTHORIZATION;
use http::request::Parts;
use http::{HeaderMap, Response, StatusCode};
use hyper::body::Body;
use ostiary_core::Params;

use crate::body::{self, BodyError};
use crate::pages::{self, PageError};
use crate::response;
use crate::service::App;

/// Reads a form body for a page route (authorization, sign-in, consent); failures are error pages.
pub(crate) async fn page_form<S, B>(
    app: &App<S>,
    parts: &Parts,
    body: B,
) -> Result<Bytes, PageError>
where
    B: Body<Data = Bytes>,
{
    if !body::is_form(&parts.headers) {
        return Err(pages::NOT_A_FORM);
    }
    let config = &app.config;
    body::read(
        &parts.headers,
        body,
        config.max_body_bytes,
        config.body_timeout,
    )
    .await
    .map_err(|e| match e {
        BodyError::TooLarge => pages::TOO_LARGE,
        BodyError::Timeout => pages::TIMEOUT,
        BodyError::Broken => pages::BAD_PARAMETERS,
    })
}

/// Reads and parses the form body of a token, revocation or introspection request; failures are
/// `invalid_request` JSON (RFC 6749 §5.2) with the HTTP layer's status.
pub(crate) async fn api_form<S, B>(
    app: &App<S>,
    parts: &Parts,
    body: B,
) -> Result<Params, Response<response::Body>>
where
    B: Body<Data = Bytes>,
{
    // RFC 6749 §3.2: the client uses HTTP POST with the "application/x-www-form-urlencoded" format.
    if !body::is_form(&parts.headers) {
        return Err(response::invalid_request(
            StatusCode::BAD_REQUEST,
            "the request body must be application/x-www-form-urlencoded",
        ));
    }
    let config = &app.config;
    let bytes = body::read(
        &parts.headers,
        body,
        config.max_body_bytes,
        config.body_timeout,
    )
    .await
    .map_err(api_body_error)?;
    Params::parse(&bytes).map_err(|_| {
        response::invalid_request(
            StatusCode::BAD_REQUEST,
            "the request parameters are malformed, too many or too long",
        )
    })
}

pub(crate) fn api_body_error(error: BodyError) -> Response<response::Body> {
    match error {
        BodyError::TooLarge => response::invalid_request(
            StatusCode::PAYLOAD_TOO_LARGE,
            "the request body is too large",
        ),
        BodyError::Timeout => response::invalid_request(
            StatusCode::REQUEST_TIMEOUT,
            "the request body did not arrive in time",
        ),
        BodyError::Broken => {
            response::invalid_request(StatusCode::BAD_REQUEST, "the request body is malformed")
        }
    }
}

/// The `Authorization` header. `Err` if it was sent more than once (ambiguous credentials). A value
/// that is not visible ASCII is passed on as an empty string, which the core refuses as malformed.
pub(crate) fn authorization(headers: &HeaderMap) -> Result<Option<&str>, ()> {
    let mut values = headers.get_all(AUTHORIZATION).iter();
    match (values.next(), values.next()) {
        (None, _) => Ok(None),
        (Some(value), None) => Ok(Some(value.to_str().unwrap_or_default())),
        (Some(_), Some(_)) => Err(()),
    }
}

/// The query string's parameters (RFC 6749 §3.1: a query component in `application/x-www-form-urlencoded`
/// format).
pub(crate) fn query(parts: &Parts) -> Result<Params, ostiary_core::ParamsError> {
    Params::parse(parts.uri.query().unwrap_or_default().as_bytes())
}
