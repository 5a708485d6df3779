//! Discovery: the OpenID Provider metadata (OIDC Discovery 1.0 §3) and the OAuth 2.0 Authorization
//! Server Metadata (RFC 8414 §2), advertising exactly what Ostiary supports — no more.

use serde_json::{Value, json};

use crate::config::CoreConfig;

/// Endpoint paths, relative to the issuer.
pub mod paths {
    /// OIDC Discovery 1.0 §4.
    pub const OPENID_CONFIGURATION: &str = "/.well-known/openid-configuration";
    /// RFC 8414 §3.
    pub const OAUTH_AUTHORIZATION_SERVER: &str = "/.well-known/oauth-authorization-server";
    /// The JWKS.
    pub const JWKS: &str = "/.well-known/jwks.json";
    /// The authorization endpoint.
    pub const AUTHORIZE: &str = "/oauth/authorize";
    /// The token endpoint.
    pub const TOKEN: &str = "/oauth/token";
    /// The UserInfo endpoint.
    pub const USERINFO: &str = "/userinfo";
    /// The revocation endpoint (RFC 7009).
    pub const REVOKE: &str = "/oauth/revoke";
    /// The introspection endpoint (RFC 7662).
    pub const INTROSPECT: &str = "/oauth/introspect";
}

/// The scopes with a meaning defined by OIDC Core §5.4 that Ostiary supports.
pub const STANDARD_SCOPES: [&str; 3] = ["openid", "profile", "email"];

/// The claims Ostiary can release.
pub const CLAIMS_SUPPORTED: [&str; 27] = [
    "iss",
    "sub",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "nonce",
    "amr",
    "sid",
    "at_hash",
    "name",
    "given_name",
    "family_name",
    "middle_name",
    "nickname",
    "preferred_username",
    "profile",
    "picture",
    "website",
    "gender",
    "birthdate",
    "zoneinfo",
    "locale",
    "updated_at",
    "email",
    "email_verified",
    "azp",
];

/// The serialized discovery documents, built once at start.
#[derive(Debug, Clone)]
pub(crate) struct Discovery {
    pub(crate) openid_configuration: String,
    pub(crate) oauth_metadata: String,
}

impl Discovery {
    pub(crate) fn new(config: &CoreConfig) -> Self {
        let oauth = oauth_metadata(config);
        let mut openid = oauth.clone();
        if let Value::Object(map) = &mut openid {
            let extra = json!({
                "userinfo_endpoint": config.issuer.endpoint(paths::USERINFO),
                "subject_types_supported": ["public"],
                // Every algorithm Ostiary can sign with: the key set may rotate from one to another at
                // run time (and OIDC Discovery §3 requires RS256 to be listed).
                "id_token_signing_alg_values_supported": ostiary_jose::Algorithm::ALL.map(|a| a.as_str()),
                "userinfo_signing_alg_values_supported": ["none"],
                "claims_supported": CLAIMS_SUPPORTED,
                "claims_parameter_supported": false,
                "request_parameter_supported": false,
                // OIDC Discovery §3: the default is true, so it must be said explicitly.
                "request_uri_parameter_supported": false,
                "prompt_values_supported": ["none", "login", "consent", "select_account"],
                "display_values_supported": ["page"],
            });
            if let Value::Object(extra) = extra {
                map.extend(extra);
            }
        }
        Self {
            openid_configuration: openid.to_string(),
            oauth_metadata: oauth.to_string(),
        }
    }
}

fn oauth_metadata(config: &CoreConfig) -> Value {
    let issuer = &config.issuer;
    let basic = ["client_secret_basic"];
    json!({
        "issuer": issuer.as_str(),
        "authorization_endpoint": issuer.endpoint(paths::AUTHORIZE),
        "token_endpoint": issuer.endpoint(paths::TOKEN),
        "jwks_uri": issuer.endpoint(paths::JWKS),
        "revocation_endpoint": issuer.endpoint(paths::REVOKE),
        "introspection_endpoint": issuer.endpoint(paths::INTROSPECT),
        "scopes_supported": STANDARD_SCOPES,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": basic,
        "revocation_endpoint_auth_methods_supported": basic,
        "introspection_endpoint_auth_methods_supported": basic,
        // RFC 9207 §3.
        "authorization_response_iss_parameter_supported": true,
    })
}

impl<S> crate::Provider<S> {
    /// The OpenID Provider metadata (served at [`paths::OPENID_CONFIGURATION`]).
    pub fn openid_configuration_json(&self) -> &str {
        &self.inner.discovery.openid_configuration
    }

    /// The RFC 8414 authorization server metadata (served at [`paths::OAUTH_AUTHORIZATION_SERVER`]).
    pub fn oauth_metadata_json(&self) -> &str {
        &self.inner.discovery.oauth_metadata
    }
}
