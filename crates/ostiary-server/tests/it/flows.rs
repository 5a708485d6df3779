//! Whole flows with the real client libraries: `openidconnect` (discovery, PKCE, nonce, ID-token
//! validation with `at_hash`, UserInfo, refresh) and `oauth2` (code + PKCE, refresh, introspection,
//! revocation); single sign-on; sign-in variants.

use oauth2::basic::BasicClient;
use oauth2::{
    AuthUrl, IntrospectionUrl, RevocationUrl, StandardRevocableToken, TokenIntrospectionResponse,
    TokenUrl,
};
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreIdToken, CoreIdTokenVerifier, CoreProviderMetadata,
    CoreUserInfoClaims,
};
use openidconnect::{
    AccessToken, AccessTokenHash, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl,
    Nonce, OAuth2TokenResponse, PkceCodeChallenge, RedirectUrl, Scope, TokenResponse,
};

use crate::harness::{
    Backend, Callback, Harness, Options, PASSWORD, Pkce, REDIRECT_URI, http_client,
};

/// Checks the ID token's `at_hash` against the access token it came with (OIDC Core §3.1.3.6).
fn check_at_hash(
    id_token: &CoreIdToken,
    verifier: &CoreIdTokenVerifier<'_>,
    access: &AccessToken,
    expected: Option<&AccessTokenHash>,
) {
    let expected = expected.expect("the ID token has an at_hash");
    let actual = AccessTokenHash::from_token(
        access,
        id_token.signing_alg().unwrap(),
        id_token.signing_key(verifier).unwrap(),
    )
    .unwrap();
    assert_eq!(&actual, expected, "at_hash matches the access token");
}

pub async fn openidconnect_code_flow_with_pkce_nonce_userinfo_and_refresh<S: Backend>() {
    let h = Harness::<S>::start().await;
    let issuer = IssuerUrl::new(h.issuer.clone()).unwrap();
    let metadata = CoreProviderMetadata::discover_async(issuer, &http_client)
        .await
        .unwrap();
    let client = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(h.client.id.clone()),
        Some(ClientSecret::new(h.client.secret.clone())),
    )
    .set_redirect_uri(RedirectUrl::new(REDIRECT_URI.to_owned()).unwrap());
    let (challenge, pkce_verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("profile".to_owned()))
        .add_scope(Scope::new("email".to_owned()))
        .add_scope(Scope::new("offline_access".to_owned()))
        .set_pkce_challenge(challenge)
        .url();

    // The browser: sign-in form, consent form, redirect back with code, state and iss.
    let browser = h.browser();
    let page = browser.get(url.as_str()).await;
    assert!(page.is_login(), "a new browser must sign in");
    let page = browser.sign_in(&page, &h.user.username, PASSWORD).await;
    assert!(page.is_consent(), "first authorization asks for consent");
    let page = browser.decide(&page, "allow").await;
    assert_eq!(page.status, 303, "a redirect after a form post is 303");
    let callback = Callback::parse(&page.location().unwrap());
    assert_eq!(callback.base, REDIRECT_URI);
    assert_eq!(callback.state.as_deref(), Some(state.secret().as_str()));
    assert_eq!(
        callback.iss.as_deref(),
        Some(h.issuer.as_str()),
        "RFC 9207 iss"
    );
    let code = callback.code.unwrap();

    // Code exchange and ID token validation (signature from the discovered JWKS, iss, aud, exp, nonce).
    let tokens = client
        .exchange_code(AuthorizationCode::new(code))
        .unwrap()
        .set_pkce_verifier(pkce_verifier)
        .request_async(&http_client)
        .await
        .unwrap();
    let verifier = client.id_token_verifier();
    let id_token = tokens.id_token().expect("an ID token");
    let claims = id_token.claims(&verifier, &nonce).unwrap();
    assert_eq!(claims.subject().as_str(), h.user.id);
    assert!(claims.auth_time().is_some());
    check_at_hash(
        id_token,
        &verifier,
        tokens.access_token(),
        claims.access_token_hash(),
    );
    let refresh_token = tokens.refresh_token().expect("a refresh token").clone();

    // UserInfo with the access token.
    let info: CoreUserInfoClaims = client
        .user_info(
            tokens.access_token().clone(),
            Some(claims.subject().clone()),
        )
        .unwrap()
        .request_async(&http_client)
        .await
        .unwrap();
    assert_eq!(info.email().map(|e| e.as_str()), Some("alice@example.com"));
    assert_eq!(info.email_verified(), Some(true));
    let name = info
        .name()
        .and_then(|n| n.get(None))
        .map(|n| n.as_str().to_owned());
    assert_eq!(name.as_deref(), Some("Alice Liddell"));

    // Refresh: a new refresh token, and a new ID token that validates without a nonce.
    let refreshed = client
        .exchange_refresh_token(&refresh_token)
        .unwrap()
        .request_async(&http_client)
        .await
        .unwrap();
    let new_refresh = refreshed.refresh_token().expect("rotated refresh token");
    assert_ne!(
        new_refresh.secret(),
        refresh_token.secret(),
        "refresh tokens rotate"
    );
    let new_id_token = refreshed.id_token().expect("an ID token on refresh");
    let new_claims = new_id_token
        .claims(&verifier, |nonce: Option<&Nonce>| match nonce {
            None => Ok(()),
            Some(_) => Err("a refreshed ID token carries no nonce".to_owned()),
        })
        .unwrap();
    assert_eq!(new_claims.subject(), claims.subject());
    check_at_hash(
        new_id_token,
        &verifier,
        refreshed.access_token(),
        new_claims.access_token_hash(),
    );
    let info: CoreUserInfoClaims = client
        .user_info(
            refreshed.access_token().clone(),
            Some(claims.subject().clone()),
        )
        .unwrap()
        .request_async(&http_client)
        .await
        .unwrap();
    assert_eq!(info.subject(), claims.subject());
}

pub async fn oauth2_crate_code_flow_with_pkce_refresh_introspection_and_revocation<S: Backend>() {
    let h = Harness::<S>::start().await;
    let client = BasicClient::new(oauth2::ClientId::new(h.client.id.clone()))
        .set_client_secret(oauth2::ClientSecret::new(h.client.secret.clone()))
        .set_auth_uri(AuthUrl::new(h.url("/oauth/authorize")).unwrap())
        .set_token_uri(TokenUrl::new(h.url("/oauth/token")).unwrap())
        .set_redirect_uri(oauth2::RedirectUrl::new(REDIRECT_URI.to_owned()).unwrap())
        .set_introspection_url(IntrospectionUrl::new(h.url("/oauth/introspect")).unwrap())
        // The crate insists on https for revocation (RFC 7009 §2): the test HTTP client carries
        // https://127.0.0.1 over plain HTTP to the test server.
        .set_revocation_url(
            RevocationUrl::new(h.url("/oauth/revoke").replacen("http:", "https:", 1)).unwrap(),
        );
    let (challenge, pkce_verifier) = oauth2::PkceCodeChallenge::new_random_sha256();
    let (url, state) = client
        .authorize_url(oauth2::CsrfToken::new_random)
        .add_scope(oauth2::Scope::new("orders:read".to_owned()))
        .add_scope(oauth2::Scope::new("offline_access".to_owned()))
        .set_pkce_challenge(challenge)
        .url();
    let location = h
        .browser()
        .authorize(url.as_str(), &h.user.username, PASSWORD)
        .await;
    let callback = Callback::parse(&location);
    assert_eq!(callback.state.as_deref(), Some(state.secret().as_str()));
    assert_eq!(callback.iss.as_deref(), Some(h.issuer.as_str()));

    let tokens = client
        .exchange_code(oauth2::AuthorizationCode::new(callback.code.unwrap()))
        .set_pkce_verifier(pkce_verifier)
        .request_async(&http_client)
        .await
        .unwrap();
    let scopes: Vec<String> = tokens
        .scopes()
        .unwrap()
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(scopes, ["offline_access", "orders:read"]);
    assert!(tokens.expires_in().is_some());

    let introspection = client
        .introspect(tokens.access_token())
        .request_async(&http_client)
        .await
        .unwrap();
    assert!(introspection.active());
    assert_eq!(
        introspection.client_id().map(|c| c.as_str()),
        Some(h.client.id.as_str())
    );
    assert_eq!(introspection.sub(), Some(h.user.id.as_str()));

    let refreshed = client
        .exchange_refresh_token(tokens.refresh_token().unwrap())
        .request_async(&http_client)
        .await
        .unwrap();
    let new_refresh = refreshed.refresh_token().unwrap().clone();
    assert_ne!(
        new_refresh.secret(),
        tokens.refresh_token().unwrap().secret()
    );

    // Revoking the refresh token ends the grant: its access tokens die with it (RFC 7009 §2.1).
    client
        .revoke_token(StandardRevocableToken::RefreshToken(new_refresh.clone()))
        .unwrap()
        .request_async(&http_client)
        .await
        .unwrap();
    let introspection = client
        .introspect(refreshed.access_token())
        .request_async(&http_client)
        .await
        .unwrap();
    assert!(!introspection.active());
    let again = client
        .exchange_refresh_token(&new_refresh)
        .request_async(&http_client)
        .await;
    assert!(again.is_err(), "a revoked refresh token is refused");
}

pub async fn sso_second_authorization_skips_login_and_consent<S: Backend>() {
    let h = Harness::<S>::start().await;
    let (browser, _first_code) = h.sign_in(&Pkce::new(), &[]).await;

    let pkce = Pkce::new();
    let page = browser
        .get(&h.authorize_url(&pkce, &[("state", "second")]))
        .await;
    assert_eq!(
        page.status, 302,
        "straight back to the client: {}",
        page.body
    );
    let callback = Callback::parse(&page.location().unwrap());
    assert_eq!(callback.state.as_deref(), Some("second"));
    let reply = h.exchange(&callback.code.unwrap(), &pkce).await;
    assert_eq!(reply.status, 200, "{}", reply.body);

    // Another browser has no session: it must sign in.
    let page = h.browser().get(&h.authorize_url(&pkce, &[])).await;
    assert!(page.is_login());
}

pub async fn authorization_request_by_form_post_works<S: Backend>() {
    let h = Harness::<S>::start().await;
    let pkce = Pkce::new();
    let browser = h.browser();
    let url = openidconnect::url::Url::parse(&h.authorize_url(&pkce, &[])).unwrap();
    let fields: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    let page = browser.post_form("/oauth/authorize", &fields).await;
    assert!(page.is_login(), "{}: {}", page.status, page.body);
    let page = browser.sign_in(&page, &h.user.username, PASSWORD).await;
    let page = browser.decide(&page, "allow").await;
    assert_eq!(page.status, 303);

    // With a session, a posted authorization request answers 303 straight away.
    let page = browser.post_form("/oauth/authorize", &fields).await;
    assert_eq!(page.status, 303, "{}", page.body);
    let code = Callback::parse(&page.location().unwrap()).code.unwrap();
    assert_eq!(h.exchange(&code, &pkce).await.status, 200);
}

pub async fn sign_in_with_e_mail_address_any_case<S: Backend>() {
    let h = Harness::<S>::start().await;
    let pkce = Pkce::new();
    let browser = h.browser();
    let page = browser.get(&h.authorize_url(&pkce, &[])).await;
    let login = format!("  {} ", h.user.email.to_uppercase());
    let page = browser.sign_in(&page, &login, PASSWORD).await;
    assert!(page.is_consent(), "signed in by e-mail: {}", page.body);
}

pub async fn sign_in_with_default_argon2_cost<S: Backend>() {
    let options = Options {
        password_cost: ostiary_core::PasswordCost::default(),
        ..Options::default()
    };
    let h = Harness::<S>::with(options).await;
    let tokens = h.tokens(&[]).await;
    assert!(tokens["access_token"].is_string());
}

pub async fn signing_in_again_replaces_the_session<S: Backend>() {
    let h = Harness::<S>::start().await;
    let pkce = Pkce::new();
    let browser = h.browser();
    let page = browser.get(&h.authorize_url(&pkce, &[])).await;
    let page = browser.sign_in(&page, &h.user.username, PASSWORD).await;
    let first = session_cookie(&page.set_cookies()).expect("a session cookie");
    let page = browser.decide(&page, "allow").await;
    assert_eq!(page.status, 303);

    // prompt=login: a new sign-in, a new session; the old cookie no longer signs anyone in.
    let page = browser
        .get(&h.authorize_url(&pkce, &[("prompt", "login")]))
        .await;
    let page = browser.sign_in(&page, &h.user.username, PASSWORD).await;
    assert_eq!(page.status, 303, "consent is remembered");
    let second = session_cookie(&page.set_cookies()).expect("a new session cookie");
    assert_ne!(first, second);
    let reply = h
        .api()
        .get(h.authorize_url(&pkce, &[("prompt", "none")]))
        .header("cookie", format!("ostiary_session={first}"))
        .send()
        .await
        .unwrap();
    let callback = Callback::parse(reply.headers()["location"].to_str().unwrap());
    assert_eq!(callback.error.as_deref(), Some("login_required"));
}

/// The value of the session cookie among `Set-Cookie` headers.
pub fn session_cookie(set_cookies: &[String]) -> Option<String> {
    set_cookies.iter().find_map(|c| {
        let pair = c.split(';').next()?;
        let (name, value) = pair.split_once('=')?;
        name.ends_with("ostiary_session").then(|| value.to_owned())
    })
}

pub async fn concurrent_sign_ins_beyond_the_bound_wait_their_turn<S: Backend>() {
    let mut options = Options::default();
    options.server.max_concurrent_sign_ins = 1;
    let h = Harness::<S>::with(options).await;
    let mut browsers = tokio::task::JoinSet::new();
    for _ in 0..6 {
        let browser = h.browser();
        let url = h.authorize_url(&Pkce::new(), &[]);
        let username = h.user.username.clone();
        browsers.spawn(async move {
            let page = browser.get(&url).await;
            browser.sign_in(&page, &username, PASSWORD).await
        });
    }
    for page in browsers.join_all().await {
        assert!(
            page.is_consent(),
            "every sign-in completes: {}",
            page.status
        );
    }
}

/// Regression guard for a core behaviour reported to the lead: re-authenticating the *same* user
/// (`prompt=login`, `max_age`) ends the old session, and ending a session revokes every token family
/// issued in it, so one client's step-up sign-in logs the user out of every other client.
pub async fn reauthentication_by_the_same_user_keeps_tokens_of_other_clients<S: Backend>() {
    let h = Harness::<S>::start().await;
    let other = h
        .register_client("Other", REDIRECT_URI, "openid offline_access")
        .await;
    let browser = h.browser();
    // The user signs in to the other client first and gets a refresh token.
    let pkce = Pkce::new();
    let location = browser
        .authorize(
            &h.authorize_url_for(&other, &pkce, &[("scope", "openid offline_access")]),
            &h.user.username,
            PASSWORD,
        )
        .await;
    let code = Callback::parse(&location).code.unwrap();
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT_URI),
        ("code_verifier", pkce.verifier.as_str()),
    ];
    let tokens = h.token(&other, &form).await.json();
    let refresh = tokens["refresh_token"].as_str().unwrap();
    // Then the default client asks for a fresh sign-in of the same user.
    let page = browser
        .get(&h.authorize_url(&Pkce::new(), &[("prompt", "login")]))
        .await;
    let page = browser.sign_in(&page, &h.user.username, PASSWORD).await;
    assert!(page.is_consent() || page.status == 303);
    let reply = h
        .token(
            &other,
            &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
        )
        .await;
    assert_eq!(
        reply.status, 200,
        "the other client's grant survives: {}",
        reply.body
    );
}
