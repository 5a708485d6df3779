//! The authorization endpoint (RFC 6749 §3.1, OIDC Core §3.1.2.1: GET and POST) and the sign-in and
//! consent forms it leads to.

use bytes::Bytes;
use http::header::SET_COOKIE;
use http::request::Parts;
use http::{HeaderValue, Response, StatusCode};
use hyper::body::Body;
use ostiary_core::Params;
use ostiary_core::authorize::{AuthorizeOutcome, Interaction};
use ostiary_store::Store;
use zeroize::Zeroizing;

use super::{page_form, query};
use crate::cookies::RequestCookies;
use crate::csrf::{self, CsrfToken};
use crate::pages::{self, PageError};
use crate::response::{self, Body as ResponseBody};
use crate::service::App;

/// `GET /oauth/authorize`: the parameters are in the query string.
pub(crate) async fn authorize_get<S: Store>(app: &App<S>, parts: &Parts) -> Response<ResponseBody> {
    let Ok(params) = query(parts) else {
        return pages::error(app.platform(), pages::BAD_PARAMETERS);
    };
    let cookies = app.cookies.read(&parts.headers);
    let interaction = app
        .provider
        .authorize(&params, cookies.session.as_deref())
        .await;
    respond(app, interaction, &cookies, StatusCode::FOUND)
}

/// `POST /oauth/authorize`: the parameters are in a form body (OIDC Core §3.1.2.1). The query string,
/// if any, is ignored so that parameters never come from two places.
pub(crate) async fn authorize_post<S: Store, B>(
    app: &App<S>,
    parts: &Parts,
    body: B,
) -> Response<ResponseBody>
where
    B: Body<Data = Bytes>,
{
    let params = match read_params(app, parts, body).await {
        Ok(params) => params,
        Err(page) => return pages::error(app.platform(), page),
    };
    let cookies = app.cookies.read(&parts.headers);
    let interaction = app
        .provider
        .authorize(&params, cookies.session.as_deref())
        .await;
    respond(app, interaction, &cookies, StatusCode::SEE_OTHER)
}

/// `POST /oauth/authorize/login`: the sign-in form (the forwarded authorization parameters, `username`,
/// `password` and the CSRF token).
pub(crate) async fn login<S: Store, B>(
    app: &App<S>,
    parts: &Parts,
    body: B,
) -> Response<ResponseBody>
where
    B: Body<Data = Bytes>,
{
    let (mut params, cookies) =
        match checked_form(app, parts, body, &["username", "password"]).await {
            Ok(form) => form,
            Err(page) => return pages::error(app.platform(), page),
        };
    let username = params.take("username").unwrap_or_default();
    let password = Zeroizing::new(params.take("password").unwrap_or_default());
    // The semaphore is never closed; were it ever, refusing is the safe answer.
    let Ok(_permit) = app.sign_ins.acquire().await else {
        return pages::error(app.platform(), pages::SERVER_ERROR);
    };
    let interaction = app
        .provider
        .login(&params, &username, password, cookies.session.as_deref())
        .await;
    respond(app, interaction, &cookies, StatusCode::SEE_OTHER)
}

/// `POST /oauth/authorize/consent`: the consent form (the forwarded authorization parameters,
/// `decision=allow|deny` and the CSRF token).
pub(crate) async fn consent<S: Store, B>(
    app: &App<S>,
    parts: &Parts,
    body: B,
) -> Response<ResponseBody>
where
    B: Body<Data = Bytes>,
{
    let (mut params, cookies) = match checked_form(app, parts, body, &["decision"]).await {
        Ok(form) => form,
        Err(page) => return pages::error(app.platform(), page),
    };
    let approve = match params.take("decision").as_deref() {
        Some("allow") => true,
        Some("deny") => false,
        _ => return pages::error(app.platform(), pages::BAD_DECISION),
    };
    let interaction = app
        .provider
        .consent(&params, approve, cookies.session.as_deref())
        .await;
    respond(app, interaction, &cookies, StatusCode::SEE_OTHER)
}

async fn read_params<S, B>(app: &App<S>, parts: &Parts, body: B) -> Result<Params, PageError>
where
    B: Body<Data = Bytes>,
{
    let bytes = page_form(app, parts, body).await?;
    // The sign-in form carries a password: keep our copy of the raw body in memory that is wiped on
    // drop (hyper's own read buffers are outside our reach).
    let bytes = Zeroizing::new(Vec::from(bytes));
    Params::parse(&bytes).map_err(|_| pages::BAD_PARAMETERS)
}

/// Reads a sign-in or consent form and checks its CSRF token against the cookie. The token field and the
/// form's own `fields` must each appear at most once; the token field is removed, leaving the forwarded
/// authorization parameters (which the core validates again) and the form's own fields.
async fn checked_form<S, B>(
    app: &App<S>,
    parts: &Parts,
    body: B,
    fields: &[&str],
) -> Result<(Params, RequestCookies), PageError>
where
    B: Body<Data = Bytes>,
{
    let mut params = read_params(app, parts, body).await?;
    let cookies = app.cookies.read(&parts.headers);
    if params.is_repeated(csrf::FIELD)
        || !csrf::verify(cookies.csrf.as_deref(), params.get(csrf::FIELD))
    {
        tracing::warn!("form submitted without a matching CSRF token: refused");
        return Err(pages::CSRF_FAILED);
    }
    if fields.iter().any(|field| params.is_repeated(field)) {
        return Err(pages::BAD_PARAMETERS);
    }
    params.take(csrf::FIELD);
    Ok((params, cookies))
}

/// Turns the core's answer into a response: a redirect (302 after GET, 303 after a form post), an error
/// page (never a redirect), or a form with a CSRF token; plus the session cookie of a new sign-in.
fn respond<S>(
    app: &App<S>,
    interaction: Interaction,
    cookies: &RequestCookies,
    redirect_status: StatusCode,
) -> Response<ResponseBody> {
    let platform = app.platform();
    let mut set_cookies: Vec<HeaderValue> = Vec::with_capacity(2);
    if let Some(session) = &interaction.new_session {
        match app
            .cookies
            .session_cookie(session.cookie.expose_secret(), session.max_age)
        {
            Some(cookie) => set_cookies.push(cookie),
            None => return pages::error(platform, pages::SERVER_ERROR),
        }
    }
    // A sign-in rotates the CSRF token too, so no token known before it survives it.
    let signed_in = interaction.new_session.is_some();
    let mut response = match &interaction.outcome {
        AuthorizeOutcome::Redirect(to) => match response::redirect(redirect_status, to) {
            Some(response) => response,
            None => pages::error(platform, pages::SERVER_ERROR),
        },
        AuthorizeOutcome::ErrorPage(page) => pages::error(platform, (*page).into()),
        AuthorizeOutcome::Login(prompt) => {
            match form_token(app, cookies, signed_in, &mut set_cookies) {
                Some(csrf) => pages::login(platform, prompt, csrf.expose_secret()),
                None => pages::error(platform, pages::SERVER_ERROR),
            }
        }
        AuthorizeOutcome::Consent(prompt) => {
            match form_token(app, cookies, signed_in, &mut set_cookies) {
                Some(csrf) => pages::consent(platform, prompt, csrf.expose_secret()),
                None => pages::error(platform, pages::SERVER_ERROR),
            }
        }
        _ => pages::error(platform, pages::SERVER_ERROR),
    };
    for cookie in set_cookies {
        response.headers_mut().append(SET_COOKIE, cookie);
    }
    response
}

/// The CSRF token for a form: the browser's current one if it sent a well-formed CSRF cookie (so several
/// open forms stay valid) and no sign-in just happened, otherwise a new one whose cookie is added to
/// `set_cookies`.
fn form_token<S>(
    app: &App<S>,
    cookies: &RequestCookies,
    rotate: bool,
    set_cookies: &mut Vec<HeaderValue>,
) -> Option<CsrfToken> {
    let current = cookies.csrf.as_deref().and_then(CsrfToken::from_cookie);
    if let Some(token) = current.filter(|_| !rotate) {
        return Some(token);
    }
    let token = CsrfToken::generate(&app.rng)?;
    set_cookies.push(app.cookies.csrf_cookie(token.expose_secret())?);
    Some(token)
}
