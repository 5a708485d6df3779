use base64ct::Encoding as _;
use ostiary_core::{BearerError, ErrorCode};
use ostiary_store::ClientRegistration;
use serde_json::Value;

use crate::harness::*;

async fn tokens(h: &Harness) -> Value {
    let (code, _cookie, verifier) = h.sign_in().await;
    h.exchange(&code, &verifier).await.unwrap()
}

#[tokio::test]
async fn userinfo_returns_claims_by_scope() {
    let h = Harness::new().await;
    let json = tokens(&h).await;
    let header = format!("Bearer {}", json["access_token"].as_str().unwrap());
    let info: Value =
        serde_json::from_str(&h.provider.userinfo(Some(&header), false).await.unwrap()).unwrap();
    assert_eq!(info["sub"], h.user.id.to_string());
    assert_eq!(info["email"], "alice@example.com");
    assert_eq!(info["email_verified"], Value::Bool(true));
    assert_eq!(info["name"], "Alice Liddell");
    assert_eq!(info["locale"], "en-GB");
}

#[tokio::test]
async fn userinfo_errors_follow_rfc_6750() {
    let h = Harness::new().await;
    assert_eq!(
        h.provider.userinfo(None, false).await.unwrap_err(),
        BearerError::Missing
    );
    let e = h.provider.userinfo(None, true).await.unwrap_err();
    assert_eq!(e.http_status(), 400);
    let e = h
        .provider
        .userinfo(Some("Bearer nope"), false)
        .await
        .unwrap_err();
    assert!(matches!(e, BearerError::Error(ErrorCode::InvalidToken, _)));
    assert_eq!(e.http_status(), 401);
    let e = h
        .provider
        .userinfo(Some("Basic abc"), false)
        .await
        .unwrap_err();
    assert!(matches!(
        e,
        BearerError::Error(ErrorCode::InvalidRequest, _)
    ));
    // A refresh token is not an access token.
    let json = tokens(&h).await;
    let header = format!("Bearer {}", json["refresh_token"].as_str().unwrap());
    assert!(matches!(
        h.provider.userinfo(Some(&header), false).await.unwrap_err(),
        BearerError::Error(ErrorCode::InvalidToken, _)
    ));
    // Expired.
    let header = format!("Bearer {}", json["access_token"].as_str().unwrap());
    h.clock.advance(901);
    assert!(matches!(
        h.provider.userinfo(Some(&header), false).await.unwrap_err(),
        BearerError::Error(ErrorCode::InvalidToken, _)
    ));
}

#[tokio::test]
async fn userinfo_needs_the_openid_scope() {
    let h = Harness::new().await;
    let (code, _cookie, verifier) = {
        let verifier = ostiary_pkce::CodeVerifier::generate().unwrap();
        let id = h.client.id.to_string();
        let ch = verifier.challenge();
        let request = params(&h.authorize_params(&id, ch.as_str(), &[("scope", "api:read")]));
        let login = h
            .provider
            .login(
                &request,
                "alice",
                zeroize::Zeroizing::new(PASSWORD.into()),
                None,
            )
            .await;
        let cookie = login.new_session.unwrap().cookie.expose_secret().to_owned();
        let consent = h.provider.consent(&request, true, Some(&cookie)).await;
        let ostiary_core::authorize::AuthorizeOutcome::Redirect(to) = consent.outcome else {
            panic!()
        };
        (
            get(&query(&to), "code").unwrap().to_owned(),
            cookie,
            verifier,
        )
    };
    let json = h.exchange(&code, &verifier).await.unwrap();
    assert!(json.get("id_token").is_none(), "plain OAuth: no ID token");
    let header = format!("Bearer {}", json["access_token"].as_str().unwrap());
    let e = h.provider.userinfo(Some(&header), false).await.unwrap_err();
    assert!(matches!(
        e,
        BearerError::Error(ErrorCode::InsufficientScope, _)
    ));
    assert_eq!(e.http_status(), 403);
}

#[tokio::test]
async fn introspection_shows_own_tokens_only() {
    let h = Harness::new().await;
    let json = tokens(&h).await;
    let access = json["access_token"].as_str().unwrap();
    let refresh = json["refresh_token"].as_str().unwrap();
    let own: Value = serde_json::from_str(
        &h.provider
            .introspect(Some(&h.basic()), &params(&[("token", access)]))
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(own["active"], Value::Bool(true));
    assert_eq!(own["client_id"], h.client.id.to_string());
    assert_eq!(own["sub"], h.user.id.to_string());
    assert_eq!(own["token_type"], "Bearer");
    assert_eq!(own["scope"], "email openid profile");
    let own_refresh: Value = serde_json::from_str(
        &h.provider
            .introspect(Some(&h.basic()), &params(&[("token", refresh)]))
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(own_refresh["active"], Value::Bool(true));

    let (other, other_secret) = h
        .provider
        .registry()
        .register(&registration(), START)
        .await
        .unwrap();
    let other_auth = basic_auth(&other.id.to_string(), other_secret.expose_secret());
    for token in [access, refresh, "garbage"] {
        let body = h
            .provider
            .introspect(Some(&other_auth), &params(&[("token", token)]))
            .await
            .unwrap();
        assert_eq!(body, r#"{"active":false}"#);
    }
    assert_eq!(
        h.provider
            .introspect(None, &params(&[("token", access)]))
            .await
            .unwrap_err()
            .code,
        ErrorCode::InvalidClient
    );
    assert_eq!(
        h.provider
            .introspect(Some(&h.basic()), &params(&[]))
            .await
            .unwrap_err()
            .code,
        ErrorCode::InvalidRequest
    );
}

#[tokio::test]
async fn revocation_rules() {
    let h = Harness::new().await;
    let json = tokens(&h).await;
    let access = json["access_token"].as_str().unwrap();
    let refresh = json["refresh_token"].as_str().unwrap();
    let (other, other_secret) = h
        .provider
        .registry()
        .register(&registration(), START)
        .await
        .unwrap();
    let other_auth = basic_auth(&other.id.to_string(), other_secret.expose_secret());

    // Another client's revocation is answered 200 and changes nothing.
    h.provider
        .revoke(Some(&other_auth), &params(&[("token", refresh)]))
        .await
        .unwrap();
    assert!(
        h.provider
            .userinfo(Some(&format!("Bearer {access}")), false)
            .await
            .is_ok()
    );
    // Unknown tokens are fine.
    h.provider
        .revoke(Some(&h.basic()), &params(&[("token", "whatever")]))
        .await
        .unwrap();
    // Revoking the refresh token revokes the whole grant, access token included.
    h.provider
        .revoke(
            Some(&h.basic()),
            &params(&[("token", refresh), ("token_type_hint", "refresh_token")]),
        )
        .await
        .unwrap();
    assert!(
        h.provider
            .userinfo(Some(&format!("Bearer {access}")), false)
            .await
            .is_err()
    );
    assert!(h.refresh(refresh).await.is_err());
}

#[tokio::test]
async fn revoking_an_access_token_leaves_the_refresh_token() {
    let h = Harness::new().await;
    let json = tokens(&h).await;
    let access = json["access_token"].as_str().unwrap();
    h.provider
        .revoke(Some(&h.basic()), &params(&[("token", access)]))
        .await
        .unwrap();
    assert!(
        h.provider
            .userinfo(Some(&format!("Bearer {access}")), false)
            .await
            .is_err()
    );
    assert!(
        h.refresh(json["refresh_token"].as_str().unwrap())
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn jwt_access_tokens_verify_introspect_and_revoke() {
    let h = Harness::with_registration(ClientRegistration {
        access_token_format: Some("jwt".into()),
        ..registration()
    })
    .await;
    let json = tokens(&h).await;
    let access = json["access_token"].as_str().unwrap();
    assert_eq!(access.split('.').count(), 3, "a JWT");
    let validation = ostiary_jose::Validation::new(ISSUER, ISSUER, START);
    let claims = h
        .provider
        .key_set()
        .verify_access_token(access, &validation)
        .unwrap();
    assert_eq!(claims.client_id, h.client.id.to_string());
    assert_eq!(claims.sub, h.user.id.to_string());
    assert_eq!(claims.scope.as_deref(), Some("email openid profile"));
    let header = format!("Bearer {access}");
    assert!(h.provider.userinfo(Some(&header), false).await.is_ok());
    h.provider
        .revoke(Some(&h.basic()), &params(&[("token", access)]))
        .await
        .unwrap();
    assert!(h.provider.userinfo(Some(&header), false).await.is_err());
    let body = h
        .provider
        .introspect(Some(&h.basic()), &params(&[("token", access)]))
        .await
        .unwrap();
    assert_eq!(body, r#"{"active":false}"#);
}

#[tokio::test]
async fn discovery_advertises_exactly_what_is_supported() {
    let h = Harness::new().await;
    let doc: Value = serde_json::from_str(h.provider.openid_configuration_json()).unwrap();
    assert_eq!(doc["issuer"], ISSUER);
    assert_eq!(doc["response_types_supported"], serde_json::json!(["code"]));
    assert_eq!(
        doc["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
    assert_eq!(
        doc["token_endpoint_auth_methods_supported"],
        serde_json::json!(["client_secret_basic"])
    );
    assert_eq!(
        doc["revocation_endpoint_auth_methods_supported"],
        serde_json::json!(["client_secret_basic"])
    );
    assert_eq!(
        doc["introspection_endpoint_auth_methods_supported"],
        serde_json::json!(["client_secret_basic"])
    );
    assert_eq!(
        doc["authorization_response_iss_parameter_supported"],
        Value::Bool(true)
    );
    assert_eq!(
        doc["grant_types_supported"],
        serde_json::json!(["authorization_code", "refresh_token"])
    );
    assert_eq!(
        doc["id_token_signing_alg_values_supported"],
        serde_json::json!(["ES256", "EdDSA", "RS256"])
    );
    assert_eq!(doc["request_uri_parameter_supported"], Value::Bool(false));
    assert_eq!(doc["jwks_uri"], format!("{ISSUER}/.well-known/jwks.json"));
    let oauth: Value = serde_json::from_str(h.provider.oauth_metadata_json()).unwrap();
    assert_eq!(oauth["issuer"], ISSUER);
    assert!(oauth.get("userinfo_endpoint").is_none());
    let jwks: Value = serde_json::from_str(&h.provider.jwks_json()).unwrap();
    assert_eq!(
        jwks["keys"].as_array().unwrap().len(),
        2,
        "the active and the next key"
    );
    // The shared document is the same bytes.
    let document = h.provider.jwks_document();
    assert_eq!(AsRef::<str>::as_ref(&document), h.provider.jwks_json());
    assert_eq!(
        AsRef::<[u8]>::as_ref(&document),
        h.provider.jwks_json().as_bytes()
    );
    // Debug gives the length only, not the key set it shares (whose own Debug lists the keys).
    assert_eq!(
        format!("{document:?}"),
        format!("JwksDocument {{ len: {} }}", h.provider.jwks_json().len())
    );
}

#[tokio::test]
async fn keys_rotate_to_a_supplied_key_and_old_tokens_still_verify() {
    let h = Harness::new().await;
    let json = tokens(&h).await;
    let id_token = json["id_token"].as_str().unwrap().to_owned();
    let rsa = ostiary_jose::SigningKey::from_pem(include_str!(
        "../../../ostiary-jose/tests/fixtures/rsa-2048.pem"
    ))
    .unwrap();
    let now_policy = ostiary_jose::RotationPolicy {
        active_lifetime: 0,
        next_publish_lead: 0,
        ..ostiary_jose::RotationPolicy::default()
    };
    let report = h
        .provider
        .rotate_keys_with(&now_policy, rsa.clone())
        .await
        .unwrap();
    assert_eq!(
        report.created.as_deref(),
        Some(rsa.kid()),
        "the supplied key enters as next"
    );
    let keys = h.provider.key_set();
    assert_eq!(keys.next().map(|k| k.kid()), Some(rsa.kid()));
    // A second forced rotation promotes it; the first ID token still verifies (its key is retired, published).
    let report = h
        .provider
        .rotate_keys_with(
            &now_policy,
            ostiary_jose::SigningKey::generate(ostiary_jose::Algorithm::Es256).unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(report.promoted.as_deref(), Some(rsa.kid()));
    let keys = h.provider.key_set();
    assert_eq!(keys.active().kid(), rsa.kid());
    let validation = ostiary_jose::Validation::new(ISSUER, h.client.id.to_string(), START);
    assert!(keys.verify_id_token(&id_token, &validation).is_ok());
    // New ID tokens are RS256 now.
    let json = tokens(&h).await;
    let header = json["id_token"]
        .as_str()
        .unwrap()
        .split('.')
        .next()
        .unwrap()
        .to_owned();
    let header: Value =
        serde_json::from_slice(&base64ct::Base64UrlUnpadded::decode_vec(&header).unwrap()).unwrap();
    assert_eq!(header["alg"], "RS256");
    assert_eq!(header["kid"], rsa.kid());
}
