//! [`OstiaryService`]: the hyper service — routing, method checks and the access log.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use http::{Method, Request, Response};
use hyper::body::Body;
use ostiary_core::Provider;
use ostiary_store::Store;
use ring::rand::SystemRandom;
use tokio::sync::Semaphore;

use crate::config::ServerConfig;
use crate::cookies::CookiePolicy;
use crate::handlers;
use crate::pages;
use crate::response;
use crate::routes::Route;

/// `Strict-Transport-Security` on an https issuer: one year, this host only (subdomains may be other
/// services).
const HSTS: &str = "max-age=31536000";

/// What every handler shares.
pub(crate) struct App<S> {
    pub(crate) provider: Provider<S>,
    pub(crate) config: ServerConfig,
    pub(crate) cookies: CookiePolicy,
    /// Whether the issuer is `https` (secure cookies, HSTS).
    https: bool,
    pub(crate) rng: SystemRandom,
    /// Bounds concurrent sign-ins (Argon2id memory), per [`ServerConfig::max_concurrent_sign_ins`].
    pub(crate) sign_ins: Semaphore,
    /// The platform's display name, shown on every page.
    platform: String,
    /// The discovery documents, fixed for the provider's lifetime: each response shares these bytes
    /// instead of copying ~1.5 KB (a copy and, above 1 KiB, one of glibc's slower allocations).
    openid_configuration: Bytes,
    oauth_metadata: Bytes,
}

impl<S> App<S> {
    /// The platform's display name, shown on every page.
    pub(crate) fn platform(&self) -> &str {
        &self.platform
    }
}

/// The Ostiary HTTP service: every route of the authorization server, as a hyper
/// [`Service`](hyper::service::Service). Cheap to clone (one `Arc`).
///
/// [`crate::serve`] runs it on a listener. Embedders with their own accept loop (for example to terminate
/// TLS) can serve it on any connection with `hyper_util::server::conn::auto::Builder`, and should then
/// run [`crate::BackgroundTasks`] beside it.
pub struct OstiaryService<S> {
    app: Arc<App<S>>,
}

impl<S> Clone for OstiaryService<S> {
    fn clone(&self) -> Self {
        Self {
            app: Arc::clone(&self.app),
        }
    }
}

impl<S> std::fmt::Debug for OstiaryService<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OstiaryService")
            .field("provider", &self.app.provider)
            .finish_non_exhaustive()
    }
}

impl<S: Store> OstiaryService<S> {
    /// A service over `provider` with `config`. Cookie names and attributes follow from the provider's
    /// issuer (see the crate documentation).
    pub fn new(provider: Provider<S>, config: ServerConfig) -> Self {
        let https = provider.config().issuer.is_https();
        let cookies = CookiePolicy::new(https);
        let platform = provider.config().platform_name.clone();
        let sign_ins = Semaphore::new(config.max_concurrent_sign_ins.max(1));
        let openid_configuration =
            Bytes::copy_from_slice(provider.openid_configuration_json().as_bytes());
        let oauth_metadata = Bytes::copy_from_slice(provider.oauth_metadata_json().as_bytes());
        Self {
            app: Arc::new(App {
                https,
                platform,
                openid_configuration,
                oauth_metadata,
                sign_ins,
                provider,
                config,
                cookies,
                rng: SystemRandom::new(),
            }),
        }
    }

    /// The provider this service serves.
    pub fn provider(&self) -> &Provider<S> {
        &self.app.provider
    }

    /// Handles one request. Never fails and never panics on client input: every problem becomes a
    /// response (an OAuth error, an error page, a 4xx).
    pub async fn handle<B>(&self, request: Request<B>) -> Response<response::Body>
    where
        B: Body<Data = Bytes> + Send,
    {
        let started = Instant::now();
        let method = request.method().clone();
        let route = Route::from_path(request.uri().path());
        let mut response = match route {
            None => pages::error(self.app.platform(), pages::NOT_FOUND),
            Some(route) if !route.allows(&method) => method_not_allowed(&self.app, route),
            Some(route) => dispatch(&self.app, route, request).await,
        };
        if self.app.https {
            // RFC 6797: browsers that reached an https issuer never fall back to plain HTTP for it.
            response.headers_mut().insert(
                http::header::STRICT_TRANSPORT_SECURITY,
                http::HeaderValue::from_static(HSTS),
            );
        }
        // Method, route and status only: never the query string, headers, cookies or bodies, which carry
        // codes, tokens and passwords. Unknown paths are logged as such, not echoed.
        tracing::info!(
            method = method_label(&method),
            path = route.map_or("(unknown)", Route::path),
            status = response.status().as_u16(),
            latency_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
            "request"
        );
        response
    }
}

async fn dispatch<S: Store, B>(
    app: &App<S>,
    route: Route,
    request: Request<B>,
) -> Response<response::Body>
where
    B: Body<Data = Bytes> + Send,
{
    let (parts, body) = request.into_parts();
    let is_post = parts.method == Method::POST;
    match route {
        Route::Authorize if is_post => handlers::authorize::authorize_post(app, &parts, body).await,
        Route::Authorize => handlers::authorize::authorize_get(app, &parts).await,
        Route::Login => handlers::authorize::login(app, &parts, body).await,
        Route::Consent => handlers::authorize::consent(app, &parts, body).await,
        Route::Token => handlers::token::token(app, &parts, body).await,
        Route::Revoke => handlers::token::revoke(app, &parts, body).await,
        Route::Introspect => handlers::token::introspect(app, &parts, body).await,
        Route::Userinfo => handlers::userinfo::userinfo(app, &parts, body).await,
        Route::OpenidConfiguration => response::public_json(app.openid_configuration.clone()),
        Route::OauthMetadata => response::public_json(app.oauth_metadata.clone()),
        Route::Jwks => response::public_json(Bytes::from_owner(app.provider.jwks_document())),
        Route::Healthz => response::text(http::StatusCode::OK, "ok\n"),
        Route::Stylesheet => response::stylesheet(pages::STYLESHEET),
    }
}

/// 405 with `Allow` (RFC 9110 §15.5.6): JSON on the machine endpoints, a page elsewhere.
fn method_not_allowed<S>(app: &App<S>, route: Route) -> Response<response::Body> {
    let response = if route.json_errors() {
        response::invalid_request(
            http::StatusCode::METHOD_NOT_ALLOWED,
            "this endpoint does not accept this HTTP method",
        )
    } else {
        pages::error(app.platform(), pages::METHOD_NOT_ALLOWED)
    };
    response::with_allow(response, route.allow())
}

/// The method for the log: standard ones by name, anything else as `other` (an extension method is
/// attacker-chosen text).
fn method_label(method: &Method) -> &'static str {
    const KNOWN: [(Method, &str); 8] = [
        (Method::GET, "GET"),
        (Method::HEAD, "HEAD"),
        (Method::POST, "POST"),
        (Method::PUT, "PUT"),
        (Method::DELETE, "DELETE"),
        (Method::OPTIONS, "OPTIONS"),
        (Method::PATCH, "PATCH"),
        (Method::TRACE, "TRACE"),
    ];
    KNOWN
        .iter()
        .find(|(known, _)| known == method)
        .map_or("other", |(_, name)| name)
}

impl<S, B> hyper::service::Service<Request<B>> for OstiaryService<S>
where
    S: Store,
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Send,
{
    type Response = Response<response::Body>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn call(&self, request: Request<B>) -> Self::Future {
        let service = self.clone();
        Box::pin(async move { Ok(service.handle(request).await) })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use base64ct::{Base64, Encoding};
    use http_body_util::Full;
    use ostiary_core::{CoreConfig, Issuer, SystemClock};
    use ostiary_store::memory::MemoryStore;

    use super::*;

    /// A log sink shared with the subscriber.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
        type Writer = Captured;
        fn make_writer(&'a self) -> Self::Writer {
            self.clone()
        }
    }

    const SECRET: &str = "SECRETVALUE123";

    fn request(
        method: Method,
        uri: &str,
        headers: &[(&str, String)],
        body: &str,
    ) -> Request<Full<Bytes>> {
        let mut builder = Request::builder().method(method).uri(uri);
        for (name, value) in headers {
            builder = builder.header(*name, value);
        }
        builder
            .body(Full::new(Bytes::from(body.to_owned())))
            .unwrap()
    }

    #[tokio::test(flavor = "current_thread")]
    async fn the_access_log_names_route_and_status_and_never_secrets() {
        let issuer = Issuer::parse("https://id.example").unwrap();
        let (provider, _) = Provider::open(
            MemoryStore::new(),
            CoreConfig::new(issuer),
            Arc::new(SystemClock),
        )
        .await
        .unwrap();
        let service = OstiaryService::new(provider, ServerConfig::default());
        let captured = Captured::default();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(captured.clone())
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .finish();
        let _guard = tracing::subscriber::set_default(subscriber);

        let basic = format!(
            "Basic {}",
            Base64::encode_string(format!("{SECRET}:{SECRET}").as_bytes())
        );
        let form = (
            "content-type",
            "application/x-www-form-urlencoded".to_owned(),
        );
        let requests = [
            request(
                Method::GET,
                &format!("/oauth/authorize?code={SECRET}&state={SECRET}"),
                &[("cookie", format!("__Host-ostiary_session={SECRET}"))],
                "",
            ),
            request(
                Method::POST,
                "/oauth/token",
                &[("authorization", basic), form.clone()],
                &format!("code={SECRET}"),
            ),
            request(
                Method::GET,
                "/userinfo",
                &[("authorization", format!("Bearer {SECRET}"))],
                "",
            ),
            request(
                Method::POST,
                "/oauth/authorize/login",
                &[form],
                &format!("password={SECRET}"),
            ),
            request(Method::GET, &format!("/{SECRET}"), &[], ""),
        ];
        let mut statuses = Vec::new();
        for request in requests {
            statuses.push(service.handle(request).await.status().as_u16());
        }
        assert_eq!(statuses, [400, 401, 401, 403, 404]);

        let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        assert!(!log.contains(SECRET), "a secret reached the log:\n{log}");
        for expected in [
            "/oauth/authorize",
            "/oauth/token",
            "/userinfo",
            "(unknown)",
            "status=401",
            "latency_us=",
        ] {
            assert!(log.contains(expected), "{expected} missing from:\n{log}");
        }
    }

    #[test]
    fn extension_methods_are_not_logged_verbatim() {
        assert_eq!(method_label(&Method::POST), "POST");
        let custom = Method::from_bytes(b"X-INJECT").unwrap();
        assert_eq!(method_label(&custom), "other");
    }
}
