//! The decisions of the authorization endpoint: who is signed in, whether they must sign in again,
//! whether they consented, and issuing the code.

use ostiary_store::{
    AuthorizationCode, ClientId, Consent, FamilyId, SecretKind, Session, SignedIn, Store, User,
};
use zeroize::Zeroizing;

use super::request::{self, AuthorizeRequest, Rejection};
use super::{
    AuthorizeOutcome, ClientDisplay, ConsentPrompt, Interaction, LoginPrompt, NewSession,
    RequestForm, describe_scopes,
};
use crate::Provider;
use crate::error::{ErrorCode, ErrorPage};
use crate::params::Params;
use crate::password::normalize_login;

/// What has just happened in this very request.
#[derive(Debug, Clone, Copy, Default)]
struct Fresh {
    /// The user signed in in this request (satisfies `prompt=login` and `max_age`).
    authenticated: bool,
    /// The user consented in this request (satisfies `prompt=consent`).
    consented: bool,
}

/// The user's consent to the request's client, as far as the caller knows it.
#[derive(Debug)]
enum KnownConsent {
    /// Not read: [`Provider::decide`] reads it when it needs it.
    Unread,
    /// Read with the session ([`ostiary_store::SessionStore::get_signed_in`]): the consent, if any.
    Read(Option<Consent>),
}

impl<S: Store> Provider<S> {
    /// Handles an authorization request (GET query or POST form, RFC 6749 §4.1.1, OIDC Core §3.1.2.1)
    /// with the browser's session cookie, if any.
    pub async fn authorize(&self, params: &Params, session_cookie: Option<&str>) -> Interaction {
        let request = match self.validate_authorize(params).await {
            Ok(request) => request,
            Err(interaction) => return interaction,
        };
        // The session, its user and their consent to this client in one read.
        let (signed_in, consent) = match self
            .current_user(session_cookie, Some(request.client.id))
            .await
        {
            Ok(Some((session, user, consent))) => {
                (Some((session, user)), KnownConsent::Read(consent))
            }
            Ok(None) => (None, KnownConsent::Unread),
            Err(page) => return Interaction::new(AuthorizeOutcome::ErrorPage(page)),
        };
        Interaction::new(
            self.decide(&request, signed_in, consent, Fresh::default())
                .await,
        )
    }

    /// Handles the sign-in form: `params` are the repeated authorization parameters, `login` the username
    /// or e-mail, `password` the password. On success a session is created and the authorization
    /// continues (consent, or straight to the code).
    pub async fn login(
        &self,
        params: &Params,
        login: &str,
        password: Zeroizing<String>,
        session_cookie: Option<&str>,
    ) -> Interaction {
        let request = match self.validate_authorize(params).await {
            Ok(request) => request,
            Err(interaction) => return interaction,
        };
        let user = match self
            .inner
            .store
            .find_user_by_login(&normalize_login(login))
            .await
        {
            Ok(user) => user.filter(|u| !u.disabled),
            Err(e) => return self.store_failure(&request, e),
        };
        let hash = user.as_ref().map(|u| u.password_hash.clone());
        // Verified even for unknown users (against a dummy hash): the answer takes as long either way.
        if !self.inner.passwords.verify(password, hash).await {
            return Interaction::new(AuthorizeOutcome::Login(
                self.login_prompt(&request, Some("The username or password is incorrect.")),
            ));
        }
        let Some(user) = user else {
            return Interaction::new(AuthorizeOutcome::Login(self.login_prompt(&request, None)));
        };
        let (session, cookie) = match self.sign_in_session(&user, session_cookie).await {
            Ok(signed_in) => signed_in,
            Err(e) => return self.store_failure(&request, e),
        };
        let fresh = Fresh {
            authenticated: true,
            consented: false,
        };
        let outcome = self
            .decide(&request, Some((session, user)), KnownConsent::Unread, fresh)
            .await;
        Interaction {
            outcome,
            new_session: Some(NewSession {
                cookie,
                max_age: self.inner.config.lifetimes.session,
            }),
        }
    }

    /// Handles the consent form: `approve` is the user's decision.
    pub async fn consent(
        &self,
        params: &Params,
        approve: bool,
        session_cookie: Option<&str>,
    ) -> Interaction {
        let request = match self.validate_authorize(params).await {
            Ok(request) => request,
            Err(interaction) => return interaction,
        };
        let (session, user, previous) = match self
            .current_user(session_cookie, Some(request.client.id))
            .await
        {
            Ok(Some(signed_in)) => signed_in,
            // The session ended between the prompt and the answer: sign in again.
            Ok(None) => {
                return Interaction::new(AuthorizeOutcome::Login(
                    self.login_prompt(&request, None),
                ));
            }
            Err(page) => return Interaction::new(AuthorizeOutcome::ErrorPage(page)),
        };
        if !approve {
            // RFC 6749 §4.1.2.1: "The resource owner or authorization server denied the request."
            let to = request.error(
                ErrorCode::AccessDenied,
                "the user denied the request",
                self.issuer(),
            );
            return Interaction::new(AuthorizeOutcome::Redirect(to));
        }
        let now = self.now();
        let store = &self.inner.store;
        let consent = Consent {
            user_id: user.id,
            client_id: request.client.id,
            scope: previous
                .as_ref()
                .map_or_else(|| request.scope.clone(), |p| p.scope.union(&request.scope)),
            granted_at: previous.as_ref().map_or(now, |p| p.granted_at),
            updated_at: now,
        };
        if let Err(e) = store.put_consent(&consent).await {
            return self.store_failure(&request, e);
        }
        let fresh = Fresh {
            authenticated: false,
            consented: true,
        };
        Interaction::new(
            self.decide(&request, Some((session, user)), KnownConsent::Unread, fresh)
                .await,
        )
    }

    async fn validate_authorize(&self, params: &Params) -> Result<AuthorizeRequest, Interaction> {
        request::validate(&self.inner.store, params, self.issuer())
            .await
            .map_err(|rejection| {
                Interaction::new(match rejection {
                    Rejection::Page(page) => AuthorizeOutcome::ErrorPage(page),
                    Rejection::Redirect(to) => AuthorizeOutcome::Redirect(to),
                })
            })
    }

    /// The decision after validation (OIDC Core §3.1.2.3–§3.1.2.4): sign in, consent, or issue the code.
    async fn decide(
        &self,
        request: &AuthorizeRequest,
        signed_in: Option<(Session, User)>,
        consent: KnownConsent,
        fresh: Fresh,
    ) -> AuthorizeOutcome {
        let now = self.now();
        let issuer = self.issuer();
        let needs_login = match &signed_in {
            None => true,
            Some((session, _)) => {
                let too_old = request
                    .max_age
                    .is_some_and(|max_age| now - session.auth_time > max_age);
                !fresh.authenticated && (request.prompt.login || too_old)
            }
        };
        if needs_login {
            if request.prompt.none {
                return AuthorizeOutcome::Redirect(request.error(
                    ErrorCode::LoginRequired,
                    "the user must sign in",
                    issuer,
                ));
            }
            return AuthorizeOutcome::Login(self.login_prompt(request, None));
        }
        let Some((session, user)) = signed_in else {
            return AuthorizeOutcome::Login(self.login_prompt(request, None));
        };
        if !fresh.consented {
            let consent = match consent {
                KnownConsent::Read(consent) => consent,
                KnownConsent::Unread => match self
                    .inner
                    .store
                    .get_consent(user.id, request.client.id)
                    .await
                {
                    Ok(consent) => consent,
                    Err(e) => return self.store_failure(request, e).outcome,
                },
            };
            let granted = consent.map(|c| c.scope);
            let covered = granted.as_ref().is_some_and(|g| request.scope.is_subset(g));
            if !covered || request.prompt.consent {
                if request.prompt.none {
                    return AuthorizeOutcome::Redirect(request.error(
                        ErrorCode::ConsentRequired,
                        "the user must consent",
                        issuer,
                    ));
                }
                return AuthorizeOutcome::Consent(ConsentPrompt {
                    request: RequestForm {
                        fields: request.forwarded.to_fields(),
                    },
                    client: client_display(request),
                    user_display_name: user
                        .profile
                        .name
                        .clone()
                        .unwrap_or_else(|| user.username.clone()),
                    scopes: describe_scopes(&request.scope, granted.as_ref()),
                });
            }
        }
        match self.issue_code(request, &session).await {
            Ok(to) => AuthorizeOutcome::Redirect(to),
            Err(e) => self.store_failure(request, e).outcome,
        }
    }

    /// Issues an authorization code (RFC 6749 §4.1.2) bound to the client, the redirect URI, the PKCE
    /// challenge and the session, and builds the success redirect with `code`, `state` and `iss`.
    async fn issue_code(
        &self,
        request: &AuthorizeRequest,
        session: &Session,
    ) -> Result<String, ostiary_store::StoreError> {
        let now = self.now();
        let (code, digest) = self.mint(SecretKind::AuthorizationCode).ok_or_else(|| {
            ostiary_store::StoreError::Invalid("random number generator failure".into())
        })?;
        let record = AuthorizationCode {
            digest,
            client_id: request.client.id,
            user_id: session.user_id,
            redirect_uri: request.redirect.as_str().to_owned(),
            scope: request.scope.clone(),
            code_challenge: request.challenge.as_ref().map(|c| c.as_str().to_owned()),
            nonce: request.nonce.clone(),
            session_id: session.id,
            auth_time: session.auth_time,
            amr: session.amr.clone(),
            family_id: FamilyId::new_time_ordered(),
            created_at: now,
            expires_at: now + self.inner.config.lifetimes.authorization_code,
        };
        let store = &self.inner.store;
        // The client joins the session's clients to notify at logout (OIDC Back-Channel Logout §2.5)
        // when the code's exchange creates its token family, in the same store operation.
        store.insert_code(record).await?;
        Ok(request.redirect.authorization_success(
            code.expose_secret(),
            request.state.as_deref(),
            self.issuer(),
        ))
    }

    fn login_prompt(&self, request: &AuthorizeRequest, error: Option<&'static str>) -> LoginPrompt {
        LoginPrompt {
            request: RequestForm {
                fields: request.forwarded.to_fields(),
            },
            client: client_display(request),
            login_hint: request.login_hint.clone(),
            error,
        }
    }

    /// A store failure after validation: tell the client (`server_error`, RFC 6749 §4.1.2.1).
    fn store_failure(
        &self,
        request: &AuthorizeRequest,
        error: ostiary_store::StoreError,
    ) -> Interaction {
        tracing::error!(error = %error, "store failure at the authorization endpoint");
        let to = request.error(
            ErrorCode::ServerError,
            "the server could not complete the request",
            self.issuer(),
        );
        Interaction::new(AuthorizeOutcome::Redirect(to))
    }

    /// The signed-in user of a session cookie: `None` without a valid session or when the user is gone or
    /// disabled. With `consent_for`, also the user's consent to that client (read in the same query).
    pub(crate) async fn current_user(
        &self,
        cookie: Option<&str>,
        consent_for: Option<ClientId>,
    ) -> Result<Option<(Session, User, Option<Consent>)>, ErrorPage> {
        let Some(digest) = cookie.and_then(|c| self.digest(SecretKind::SessionCookie, c)) else {
            return Ok(None);
        };
        let store = &self.inner.store;
        // The session, its user and the consent in one read.
        let lookup = store
            .get_signed_in(digest, self.now(), consent_for)
            .await
            .map(|found| match found {
                Some(SignedIn {
                    session,
                    user: Some(user),
                    consent,
                }) if user.id == session.user_id && !user.disabled => {
                    Some((session, user, consent))
                }
                _ => None,
            });
        lookup.map_err(|e| {
            tracing::error!(error = %e, "store failure while reading the session");
            ErrorPage {
                status: 500,
                code: ErrorCode::ServerError,
                title: "Something went wrong",
                message: "The server could not handle the request. Please try again later.",
            }
        })
    }

    /// The session of a successful sign-in. The same user signing in again (`prompt=login`, `max_age`)
    /// re-authenticates the browser's session: a new cookie (the old one stops working) and a new
    /// `auth_time`, but the same session, so the other applications' tokens issued in it live on. A
    /// different user replaces it: the old session ends (its tokens are revoked, its applications
    /// notified) and a new one starts.
    async fn sign_in_session(
        &self,
        user: &User,
        session_cookie: Option<&str>,
    ) -> Result<(Session, ostiary_store::BearerSecret), ostiary_store::StoreError> {
        let amr = vec!["pwd".to_owned()];
        match self.current_user(session_cookie, None).await {
            Ok(Some((mut session, current, _))) if current.id == user.id => {
                let now = self.now();
                let (cookie, digest) = self.mint(SecretKind::SessionCookie).ok_or_else(|| {
                    ostiary_store::StoreError::Invalid("random number generator failure".into())
                })?;
                let expires_at = now + self.inner.config.lifetimes.session;
                if self
                    .inner
                    .store
                    .reauthenticate_session(session.id, digest, now, &amr, expires_at)
                    .await?
                {
                    session.cookie_digest = digest;
                    session.auth_time = now;
                    session.amr = amr;
                    session.expires_at = expires_at;
                    return Ok((session, cookie));
                }
                // Ended meanwhile: start afresh.
            }
            Ok(Some((old, _, _))) => {
                if let Err(e) = self.end_session_by_id(old.id).await {
                    tracing::warn!(error = %e, "could not end the previous session at sign-in");
                }
            }
            _ => {}
        }
        self.create_session(user, amr).await
    }

    async fn create_session(
        &self,
        user: &User,
        amr: Vec<String>,
    ) -> Result<(Session, ostiary_store::BearerSecret), ostiary_store::StoreError> {
        let now = self.now();
        let (cookie, cookie_digest) = self.mint(SecretKind::SessionCookie).ok_or_else(|| {
            ostiary_store::StoreError::Invalid("random number generator failure".into())
        })?;
        let session = Session {
            id: ostiary_store::SessionId::new_random(),
            cookie_digest,
            user_id: user.id,
            auth_time: now,
            amr,
            created_at: now,
            expires_at: now + self.inner.config.lifetimes.session,
            clients: Vec::new(),
        };
        self.inner.store.insert_session(&session).await?;
        Ok((session, cookie))
    }
}

fn client_display(request: &AuthorizeRequest) -> ClientDisplay {
    let m = &request.client.metadata;
    ClientDisplay {
        name: m.client_name.clone(),
        logo_uri: m.logo_uri.clone(),
        client_uri: m.client_uri.clone(),
        tos_uri: m.tos_uri.clone(),
        policy_uri: m.policy_uri.clone(),
    }
}
