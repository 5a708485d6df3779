//! Token introspection (RFC 7662), for the client that holds the token.

use ostiary_store::Store;
use serde::Serialize;

use crate::Provider;
use crate::error::OAuthError;
use crate::params::Params;
use crate::resource::Presented;

#[derive(Serialize, Default)]
struct Introspection<'a> {
    active: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    token_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    exp: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    iat: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sub: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    aud: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    iss: Option<&'a str>,
}

const INACTIVE: &str = r#"{"active":false}"#;

impl<S: Store> Provider<S> {
    /// Handles an introspection request (RFC 7662 §2.1) authenticated with `client_secret_basic`.
    /// A client sees only its own tokens: any other token — unknown, expired, revoked, or held by another
    /// client — is `{"active": false}` (RFC 7662 §2.2). `token_type_hint` is not needed: Ostiary's tokens
    /// say what they are.
    pub async fn introspect(
        &self,
        authorization: Option<&str>,
        params: &Params,
    ) -> Result<String, OAuthError> {
        let client = self.authenticate_client(authorization, params).await?;
        let Some(token) = params.get("token") else {
            return Err(OAuthError::invalid_request("token is required"));
        };
        let now = self.now();
        let issuer = self.issuer();
        let client_id = client.id.to_string();
        // Ids, the issuer and the scope: a few hundred bytes.
        let write = |body: &Introspection<'_>| {
            crate::json::to_string(body, 2 * crate::json::OVERHEAD)
                .map_err(|_| OAuthError::server_error())
        };
        match self.classify(token) {
            Presented::Access(digest) => {
                match self.find_access(digest).await.map_err(server_error)? {
                    Some(g) if g.is_active(now) && g.family.client_id == client.id => {
                        write(&Introspection {
                            active: true,
                            scope: Some(g.token.scope.as_str()),
                            client_id: Some(&client_id),
                            token_type: Some("Bearer"),
                            exp: Some(g.token.expires_at),
                            iat: Some(g.token.issued_at),
                            sub: Some(g.family.subject.sub()),
                            aud: Some(&client_id),
                            iss: Some(issuer),
                        })
                    }
                    _ => Ok(INACTIVE.to_owned()),
                }
            }
            Presented::Refresh(digest) => {
                match self.find_refresh(digest).await.map_err(server_error)? {
                    Some(g)
                        if g.family.is_active(now)
                            && g.token.rotated_at.is_none()
                            && now < g.token.expires_at
                            && g.family.client_id == client.id =>
                    {
                        write(&Introspection {
                            active: true,
                            scope: Some(g.family.scope.as_str()),
                            client_id: Some(&client_id),
                            exp: Some(g.token.expires_at),
                            iat: Some(g.token.issued_at),
                            sub: Some(g.family.subject.sub()),
                            iss: Some(issuer),
                            ..Introspection::default()
                        })
                    }
                    _ => Ok(INACTIVE.to_owned()),
                }
            }
            Presented::Unknown => Ok(INACTIVE.to_owned()),
        }
    }
}

fn server_error(error: ostiary_store::StoreError) -> OAuthError {
    tracing::error!(error = %error, "store failure at the introspection endpoint");
    OAuthError::server_error()
}
