//! The token (RFC 6749 §3.2), revocation (RFC 7009 §2) and introspection (RFC 7662 §2) endpoints: form
//! posts authenticated with HTTP Basic, answered in JSON.

use bytes::Bytes;
use http::request::Parts;
use http::{Response, StatusCode};
use hyper::body::Body;
use ostiary_core::{OAuthError, Params};
use ostiary_store::Store;

use super::{api_form, authorization};
use crate::response::{self, Body as ResponseBody};
use crate::service::App;

/// What the three endpoints share: the form parameters and the `Authorization` header (client
/// authentication, RFC 6749 §2.3.1), which must not be sent twice.
async fn read<'p, S, B>(
    app: &App<S>,
    parts: &'p Parts,
    body: B,
) -> Result<(Params, Option<&'p str>), Response<ResponseBody>>
where
    B: Body<Data = Bytes>,
{
    let params = api_form(app, parts, body).await?;
    let header = authorization(&parts.headers).map_err(|()| {
        response::invalid_request(
            StatusCode::BAD_REQUEST,
            "the Authorization header was sent more than once",
        )
    })?;
    Ok((params, header))
}

/// `POST /oauth/token`: success and errors are both `Cache-Control: no-store` JSON (RFC 6749 §5.1,
/// §5.2); `invalid_client` is 401 with `WWW-Authenticate: Basic`.
pub(crate) async fn token<S: Store, B>(
    app: &App<S>,
    parts: &Parts,
    body: B,
) -> Response<ResponseBody>
where
    B: Body<Data = Bytes>,
{
    let (params, header) = match read(app, parts, body).await {
        Ok(read) => read,
        Err(response) => return response,
    };
    json_result(app.provider.token(header, &params).await)
}

/// `POST /oauth/revoke`: 200 with an empty body, also for unknown tokens (RFC 7009 §2.2).
pub(crate) async fn revoke<S: Store, B>(
    app: &App<S>,
    parts: &Parts,
    body: B,
) -> Response<ResponseBody>
where
    B: Body<Data = Bytes>,
{
    let (params, header) = match read(app, parts, body).await {
        Ok(read) => read,
        Err(response) => return response,
    };
    match app.provider.revoke(header, &params).await {
        Ok(()) => response::empty(StatusCode::OK),
        Err(error) => response::oauth_error(&error),
    }
}

/// `POST /oauth/introspect`: the RFC 7662 §2.2 JSON, `{"active":false}` for anything not the caller's.
pub(crate) async fn introspect<S: Store, B>(
    app: &App<S>,
    parts: &Parts,
    body: B,
) -> Response<ResponseBody>
where
    B: Body<Data = Bytes>,
{
    let (params, header) = match read(app, parts, body).await {
        Ok(read) => read,
        Err(response) => return response,
    };
    json_result(app.provider.introspect(header, &params).await)
}

fn json_result(result: Result<String, OAuthError>) -> Response<ResponseBody> {
    match result {
        Ok(json) => response::json(StatusCode::OK, json),
        Err(error) => response::oauth_error(&error),
    }
}
