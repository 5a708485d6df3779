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
        B::Error: Send,
    {
        self.answer(request).await
    }

    /// Routes `request`. Responses that need no handler (the discovery documents and JWKS, the
    /// health probe, the stylesheet, 404 and 405) are made and logged at once; every other route's
    /// handler gets a box of its own size. One future type for all routes would be as large as the
    /// largest (the sign-in form's, ~4.7 KB): every request would allocate that much, past glibc's
    /// per-thread cache, and copy it into the box.
    fn answer<'a, B>(&self, request: Request<B>) -> Answer<'a>
    where
        B: Body<Data = Bytes> + Send + 'a,
        B::Error: Send,
    {
        let started = Instant::now();
        let app = &self.app;
        let route = match Route::from_path(request.uri().path()) {
            Some(route) if route.allows(request.method()) => route,
            Some(route) => {
                let response = method_not_allowed(app, route);
                return Answer::ready(app, started, request.method(), Some(route), response);
            }
            None => {
                let response = pages::error(app.platform(), pages::NOT_FOUND);
                return Answer::ready(app, started, request.method(), None, response);
            }
        };
        // The handler runs in a box that owns what it borrows: the app, the request's head and body.
        macro_rules! handler {
            (|$app:ident, $parts:ident, $body:ident| $call:expr) => {{
                let app = Arc::clone(app);
                Answer::Pending(Box::pin(async move {
                    let (parts, $body) = request.into_parts();
                    let ($app, $parts) = (&*app, &parts);
                    let response = $call.await;
                    finish($app, started, &$parts.method, Some(route), response)
                }))
            }};
            ($handler:path) => {
                handler!(|app, parts, body| $handler(app, parts, body))
            };
        }
        let method = request.method().clone();
        let ready = |response| Answer::ready(app, started, &method, Some(route), response);
        match route {
            Route::Authorize if method == Method::POST => {
                handler!(handlers::authorize::authorize_post)
            }
            Route::Authorize => {
                handler!(|app, parts, _body| handlers::authorize::authorize_get(app, parts))
            }
            Route::Login => handler!(handlers::authorize::login),
            Route::Consent => handler!(handlers::authorize::consent),
            Route::Token => handler!(handlers::token::token),
            Route::Revoke => handler!(handlers::token::revoke),
            Route::Introspect => handler!(handlers::token::introspect),
            Route::Userinfo => handler!(handlers::userinfo::userinfo),
            Route::OpenidConfiguration => {
                ready(response::public_json(app.openid_configuration.clone()))
            }
            Route::OauthMetadata => ready(response::public_json(app.oauth_metadata.clone())),
            Route::Jwks => ready(response::public_json(Bytes::from_owner(
                app.provider.jwks_document(),
            ))),
            Route::Healthz => ready(response::text(http::StatusCode::OK, "ok\n")),
            Route::Stylesheet => ready(response::stylesheet(pages::STYLESHEET)),
        }
    }
}

/// A request's answer: a response at hand, or the handler that will make it.
enum Answer<'a> {
    Ready(std::future::Ready<Response<response::Body>>),
    Pending(Pin<Box<dyn Future<Output = Response<response::Body>> + Send + 'a>>),
}

impl Future for Answer<'_> {
    type Output = Response<response::Body>;

    fn poll(
        self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        match self.get_mut() {
            Answer::Ready(response) => Pin::new(response).poll(cx),
            Answer::Pending(handler) => handler.as_mut().poll(cx),
        }
    }
}

impl Answer<'_> {
    /// A response at hand, finished (and logged) now.
    fn ready<S>(
        app: &App<S>,
        started: Instant,
        method: &Method,
        route: Option<Route>,
        response: Response<response::Body>,
    ) -> Self {
        Answer::Ready(std::future::ready(finish(
            app, started, method, route, response,
        )))
    }
}

/// What every response gets on its way out: HSTS on an https issuer, and its access-log line.
fn finish<S>(
    app: &App<S>,
    started: Instant,
    method: &Method,
    route: Option<Route>,
    mut response: Response<response::Body>,
) -> Response<response::Body> {
    if app.https {
        // RFC 6797: browsers that reached an https issuer never fall back to plain HTTP for it.
        response.headers_mut().insert(
            http::header::STRICT_TRANSPORT_SECURITY,
            http::HeaderValue::from_static(HSTS),
        );
    }
    // Method, route and status only: never the query string, headers, cookies or bodies, which carry
    // codes, tokens and passwords. Unknown paths are logged as such, not echoed.
    tracing::info!(
        method = method_label(method),
        path = route.map_or("(unknown)", Route::path),
        status = response.status().as_u16(),
        latency_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
        "request"
    );
    response
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
    type Future = ResponseFuture;

    fn call(&self, request: Request<B>) -> Self::Future {
        ResponseFuture(self.answer(request))
    }
}

/// The future of [`OstiaryService`]'s response to one request: ready at once for the routes that
/// need no handler (discovery, JWKS, the health probe), otherwise the route's handler. Never fails.
pub struct ResponseFuture(Answer<'static>);

impl Future for ResponseFuture {
    type Output = Result<Response<response::Body>, Infallible>;

    fn poll(
        mut self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        Pin::new(&mut self.0).poll(cx).map(Ok)
    }
}

impl std::fmt::Debug for ResponseFuture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = match self.0 {
            Answer::Ready(_) => "ready",
            Answer::Pending(_) => "pending",
        };
        f.debug_tuple("ResponseFuture").field(&state).finish()
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

    /// A service over an empty in-memory store, issuer `https://id.example`.
    async fn service() -> OstiaryService<MemoryStore> {
        let issuer = Issuer::parse("https://id.example").unwrap();
        let (provider, _) = Provider::open(
            MemoryStore::new(),
            CoreConfig::new(issuer),
            Arc::new(SystemClock),
        )
        .await
        .unwrap();
        OstiaryService::new(provider, ServerConfig::default())
    }

    #[tokio::test(flavor = "current_thread")]
    async fn the_access_log_names_route_and_status_and_never_secrets() {
        let service = service().await;
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

    #[tokio::test(flavor = "current_thread")]
    async fn only_routes_with_a_handler_get_a_boxed_future() {
        let service = service().await;
        // (method, path, handler boxed, status when known without a request body or credentials)
        let cases = [
            (
                Method::GET,
                "/.well-known/openid-configuration",
                false,
                Some(200),
            ),
            (Method::GET, "/.well-known/jwks.json", false, Some(200)),
            (Method::GET, "/healthz", false, Some(200)),
            (Method::GET, "/nowhere", false, Some(404)),
            (Method::DELETE, "/oauth/token", false, Some(405)),
            (Method::POST, "/oauth/token", true, None),
            (Method::POST, "/oauth/introspect", true, None),
            (Method::GET, "/userinfo", true, Some(401)),
            (Method::GET, "/oauth/authorize", true, None),
        ];
        for (method, path, boxed, expected) in cases {
            let answer = service.answer(request(method.clone(), path, &[], ""));
            assert_eq!(
                matches!(answer, Answer::Pending(_)),
                boxed,
                "{method} {path}"
            );
            let status = answer.await.status().as_u16();
            assert!(status < 500, "{method} {path}: {status}");
            if let Some(expected) = expected {
                assert_eq!(status, expected, "{method} {path}");
            }
        }
    }

    #[test]
    fn extension_methods_are_not_logged_verbatim() {
        assert_eq!(method_label(&Method::POST), "POST");
        let custom = Method::from_bytes(b"X-INJECT").unwrap();
        assert_eq!(method_label(&custom), "other");
    }
}
