//! The UserInfo endpoint (OIDC Core §5.3: GET and POST) with RFC 6750 bearer-token errors.

use bytes::Bytes;
use http::request::Parts;
use http::{Method, Response, StatusCode};
use hyper::body::Body;
use ostiary_core::{BearerError, ErrorCode, Params};
use ostiary_store::Store;

use super::{authorization, query};
use crate::body::{self, BodyError};
use crate::response::{self, Body as ResponseBody};
use crate::service::App;

const MALFORMED: BearerError =
    BearerError::Error(ErrorCode::InvalidRequest, "the request is malformed");

/// `GET|POST /userinfo`. The token is taken from the `Authorization` header only; an `access_token` in
/// the query string (RFC 6750 §2.3) or in a form body (§2.2) is reported to the core as
/// `token_elsewhere`, which refuses it.
pub(crate) async fn userinfo<S: Store, B>(
    app: &App<S>,
    parts: &Parts,
    body: B,
) -> Response<ResponseBody>
where
    B: Body<Data = Bytes>,
{
    let elsewhere = match token_elsewhere(app, parts, body).await {
        Ok(elsewhere) => elsewhere,
        Err(response) => return response,
    };
    let Ok(header) = authorization(&parts.headers) else {
        return response::bearer_error(&MALFORMED);
    };
    match app.provider.userinfo(header, elsewhere).await {
        Ok(json) => response::json(StatusCode::OK, json),
        Err(error) => response::bearer_error(&error),
    }
}

/// Whether an `access_token` parameter was sent in the query or, on POST, in a form body.
async fn token_elsewhere<S, B>(
    app: &App<S>,
    parts: &Parts,
    body: B,
) -> Result<bool, Response<ResponseBody>>
where
    B: Body<Data = Bytes>,
{
    let has_token = |params: &Params| {
        params.get("access_token").is_some() || params.is_repeated("access_token")
    };
    let in_query = query(parts).map_err(|_| response::bearer_error(&MALFORMED))?;
    if has_token(&in_query) {
        return Ok(true);
    }
    if parts.method != Method::POST || !body::is_form(&parts.headers) {
        return Ok(false);
    }
    let config = &app.config;
    let bytes = body::read(
        &parts.headers,
        body,
        config.max_body_bytes,
        config.body_timeout,
    )
    .await
    .map_err(|e| match e {
        BodyError::TooLarge => super::api_body_error(e),
        BodyError::Timeout | BodyError::Broken => response::bearer_error(&MALFORMED),
    })?;
    let in_body = Params::parse(&bytes).map_err(|_| response::bearer_error(&MALFORMED))?;
    Ok(has_token(&in_body))
}
