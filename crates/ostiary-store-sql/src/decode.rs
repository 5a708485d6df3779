//! Reading records out of rows, written once for both backends.
//!
//! [`Cols`] is the small typed accessor both row types implement (ids are TEXT on SQLite and UUID on
//! PostgreSQL; everything else decodes alike; the SQLite implementation is in `sqlite::row`). Every failure names the column as
//! [`StoreError::Corrupt`], so a damaged row is reported precisely and never panics.

use std::sync::Arc;

use ostiary_store::records::*;
use ostiary_store::{
    ClientId, Digest, DigestKeyMaterial, FamilyId, OrgAuthorizationId, OrganizationId, OutboxId,
    ScopeSet, SessionId, StoreError, StoreResult, UserId,
};
use sqlx::Row;
use sqlx::postgres::PgRow;
use uuid::Uuid;
use zeroize::Zeroizing;

/// Typed column access with errors that name the column.
pub(crate) trait Cols {
    fn i64(&self, col: &'static str) -> StoreResult<i64>;
    fn opt_i64(&self, col: &'static str) -> StoreResult<Option<i64>>;
    fn flag(&self, col: &'static str) -> StoreResult<bool>;
    fn text(&self, col: &'static str) -> StoreResult<String>;
    fn opt_text(&self, col: &'static str) -> StoreResult<Option<String>>;
    fn opt_blob(&self, col: &'static str) -> StoreResult<Option<Vec<u8>>>;
    fn digest(&self, col: &'static str) -> StoreResult<Digest>;
    fn opt_digest(&self, col: &'static str) -> StoreResult<Option<Digest>>;
    fn uuid(&self, col: &'static str) -> StoreResult<Uuid>;
    fn opt_uuid(&self, col: &'static str) -> StoreResult<Option<Uuid>>;
    /// The text of a NOT NULL column read in place by `parse` (no copy of it is made), or
    /// `Corrupt(col)` if `parse` refuses it.
    fn parse<T>(&self, col: &'static str, parse: impl FnOnce(&str) -> Option<T>) -> StoreResult<T>;
}

macro_rules! common_cols {
    () => {
        fn i64(&self, col: &'static str) -> StoreResult<i64> {
            self.try_get(col).map_err(|_| StoreError::Corrupt(col))
        }
        fn opt_i64(&self, col: &'static str) -> StoreResult<Option<i64>> {
            self.try_get(col).map_err(|_| StoreError::Corrupt(col))
        }
        fn flag(&self, col: &'static str) -> StoreResult<bool> {
            self.try_get(col).map_err(|_| StoreError::Corrupt(col))
        }
        fn text(&self, col: &'static str) -> StoreResult<String> {
            self.try_get(col).map_err(|_| StoreError::Corrupt(col))
        }
        fn opt_text(&self, col: &'static str) -> StoreResult<Option<String>> {
            self.try_get(col).map_err(|_| StoreError::Corrupt(col))
        }
        fn opt_blob(&self, col: &'static str) -> StoreResult<Option<Vec<u8>>> {
            self.try_get(col).map_err(|_| StoreError::Corrupt(col))
        }
        fn parse<T>(
            &self,
            col: &'static str,
            parse: impl FnOnce(&str) -> Option<T>,
        ) -> StoreResult<T> {
            let text: &str = self.try_get(col).map_err(|_| StoreError::Corrupt(col))?;
            parse(text).ok_or(StoreError::Corrupt(col))
        }
        fn digest(&self, col: &'static str) -> StoreResult<Digest> {
            let bytes: &[u8] = self.try_get(col).map_err(|_| StoreError::Corrupt(col))?;
            Digest::from_slice(bytes).ok_or(StoreError::Corrupt(col))
        }
        fn opt_digest(&self, col: &'static str) -> StoreResult<Option<Digest>> {
            let bytes: Option<&[u8]> = self.try_get(col).map_err(|_| StoreError::Corrupt(col))?;
            bytes
                .map(|b| Digest::from_slice(b).ok_or(StoreError::Corrupt(col)))
                .transpose()
        }
    };
}

impl Cols for PgRow {
    common_cols!();

    fn uuid(&self, col: &'static str) -> StoreResult<Uuid> {
        self.try_get(col).map_err(|_| StoreError::Corrupt(col))
    }

    fn opt_uuid(&self, col: &'static str) -> StoreResult<Option<Uuid>> {
        self.try_get(col).map_err(|_| StoreError::Corrupt(col))
    }
}

/// SQLite ids are stored in the one hyphenated form that the id types accept.
pub(crate) fn parse_uuid(text: &str, col: &'static str) -> StoreResult<Uuid> {
    if text.len() != 36 {
        return Err(StoreError::Corrupt(col));
    }
    Uuid::try_parse(text).map_err(|_| StoreError::Corrupt(col))
}

pub(crate) fn scope(r: &impl Cols, col: &'static str) -> StoreResult<ScopeSet> {
    r.parse(col, |text| ScopeSet::parse(text).ok())
}

fn amr(r: &impl Cols, col: &'static str) -> StoreResult<Vec<String>> {
    r.parse(col, |text| serde_json::from_str(text).ok())
}

fn actor(r: &impl Cols, type_col: &'static str, id_col: &'static str) -> StoreResult<Actor> {
    let id = r.opt_uuid(id_col)?;
    r.parse(type_col, |kind| actor_from(kind, id, type_col).ok())
}

fn actor_from(kind: &str, id: Option<Uuid>, col: &'static str) -> StoreResult<Actor> {
    match (kind, id) {
        ("user", Some(id)) => Ok(Actor::User(UserId::from_uuid(id))),
        ("client", Some(id)) => Ok(Actor::Client(ClientId::from_uuid(id))),
        ("system", None) => Ok(Actor::System),
        _ => Err(StoreError::Corrupt(col)),
    }
}

/// `(actor, at)` from three nullable columns: all null is `None`.
fn stamp(
    r: &impl Cols,
    type_col: &'static str,
    id_col: &'static str,
    at_col: &'static str,
) -> StoreResult<Option<(Actor, UnixTime)>> {
    match (r.opt_text(type_col)?, r.opt_i64(at_col)?) {
        (None, None) => Ok(None),
        (Some(kind), Some(at)) => Ok(Some((
            actor_from(&kind, r.opt_uuid(id_col)?, type_col)?,
            at,
        ))),
        _ => Err(StoreError::Corrupt(at_col)),
    }
}

pub(crate) fn client(r: &impl Cols) -> StoreResult<Client> {
    let metadata = client_metadata(&r.text("metadata")?)?;
    client_with(r, Arc::new(metadata))
}

/// Stored client metadata, parsed: its URIs are re-validated against the registration rules by their
/// deserializer, so a tampered row is `Corrupt("clients.metadata")`, never a usable client.
pub(crate) fn client_metadata(json: &str) -> StoreResult<ClientMetadata> {
    serde_json::from_str(json).map_err(|_| StoreError::Corrupt("clients.metadata"))
}

/// A client row whose metadata is already decoded.
pub(crate) fn client_with(r: &impl Cols, metadata: Arc<ClientMetadata>) -> StoreResult<Client> {
    Ok(Client {
        id: ClientId::from_uuid(r.uuid("id")?),
        metadata,
        secret_digest: r.digest("secret_digest")?,
        created_at: r.i64("created_at")?,
        updated_at: r.i64("updated_at")?,
        secret_rotated_at: r.i64("secret_rotated_at")?,
    })
}

/// The names of a user's columns in a row: [`USER`] for `user_cols!`, [`JOINED_USER`] for
/// `joined_user_cols!`.
struct UserNames {
    id: &'static str,
    username: &'static str,
    email: &'static str,
    email_verified: &'static str,
    password_hash: &'static str,
    profile: &'static str,
    disabled: &'static str,
    created_at: &'static str,
    updated_at: &'static str,
}

const USER: UserNames = UserNames {
    id: "id",
    username: "username",
    email: "email",
    email_verified: "email_verified",
    password_hash: "password_hash",
    profile: "profile",
    disabled: "disabled",
    created_at: "created_at",
    updated_at: "updated_at",
};

const JOINED_USER: UserNames = UserNames {
    id: "u_id",
    username: "u_username",
    email: "u_email",
    email_verified: "u_email_verified",
    password_hash: "u_password_hash",
    profile: "u_profile",
    disabled: "u_disabled",
    created_at: "u_created_at",
    updated_at: "u_updated_at",
};

/// A user read through [`crate::columns::user_cols`].
pub(crate) fn user(r: &impl Cols) -> StoreResult<User> {
    user_named(r, &USER)
}

/// The user of a `LEFT JOIN users u` read through [`crate::columns::joined_user_cols`]: `None` when no
/// user row matched.
pub(crate) fn joined_user(r: &impl Cols) -> StoreResult<Option<User>> {
    if r.opt_uuid(JOINED_USER.id)?.is_none() {
        return Ok(None);
    }
    user_named(r, &JOINED_USER).map(Some)
}

fn user_named(r: &impl Cols, names: &UserNames) -> StoreResult<User> {
    let profile = r
        .parse(names.profile, |text| serde_json::from_str(text).ok())
        .map_err(|_| StoreError::Corrupt("users.profile"))?;
    Ok(User {
        id: UserId::from_uuid(r.uuid(names.id)?),
        username: r.text(names.username)?,
        email: r.opt_text(names.email)?,
        email_verified: r.flag(names.email_verified)?,
        password_hash: PasswordHash::from_phc(r.text(names.password_hash)?),
        profile,
        disabled: r.flag(names.disabled)?,
        created_at: r.i64(names.created_at)?,
        updated_at: r.i64(names.updated_at)?,
    })
}

pub(crate) fn organization(r: &impl Cols) -> StoreResult<Organization> {
    Ok(Organization {
        id: OrganizationId::from_uuid(r.uuid("id")?),
        name: r.text("name")?,
        created_at: r.i64("created_at")?,
    })
}

pub(crate) fn membership(r: &impl Cols) -> StoreResult<Membership> {
    Ok(Membership {
        organization_id: OrganizationId::from_uuid(r.uuid("organization_id")?),
        user_id: UserId::from_uuid(r.uuid("user_id")?),
        role: r.parse("role", OrgRole::parse)?,
        created_at: r.i64("created_at")?,
    })
}

/// A session from the rows of `sessions LEFT JOIN session_clients` ordered by `seq`: one row per client,
/// or one row with a null client.
pub(crate) fn session<R: Cols>(rows: &[R]) -> StoreResult<Option<Session>> {
    let mut out = SessionRows::default();
    for row in rows {
        out.push(row)?;
    }
    Ok(out.finish().into_iter().next())
}

/// Groups rows of several sessions (ordered by session, then `seq`) into sessions.
pub(crate) fn sessions<R: Cols>(rows: &[R]) -> StoreResult<Vec<Session>> {
    let mut out = SessionRows::default();
    for row in rows {
        out.push(row)?;
    }
    Ok(out.finish())
}

/// Sessions built row by row from `sessions LEFT JOIN session_clients` (ordered by session, then
/// `seq`), so a backend that streams its rows need not collect them first.
#[derive(Debug, Default)]
pub(crate) struct SessionRows {
    sessions: Vec<Session>,
}

impl SessionRows {
    /// Takes the next row: a new session when its id differs from the previous row's, and its client.
    pub(crate) fn push(&mut self, row: &impl Cols) -> StoreResult<()> {
        let id = SessionId::from_uuid(row.uuid("id")?);
        let session = match self.sessions.last_mut() {
            Some(last) if last.id == id => last,
            _ => {
                self.sessions.push(Session {
                    id,
                    cookie_digest: row.digest("cookie_digest")?,
                    user_id: UserId::from_uuid(row.uuid("user_id")?),
                    auth_time: row.i64("auth_time")?,
                    amr: amr(row, "amr")?,
                    created_at: row.i64("created_at")?,
                    expires_at: row.i64("expires_at")?,
                    clients: Vec::new(),
                });
                self.sessions
                    .last_mut()
                    .ok_or(StoreError::Corrupt("sessions"))?
            }
        };
        if let Some(client) = row.opt_uuid("client_id")? {
            session.clients.push(ClientId::from_uuid(client));
        }
        Ok(())
    }

    /// The sessions, in row order.
    pub(crate) fn finish(self) -> Vec<Session> {
        self.sessions
    }
}

pub(crate) fn code(r: &impl Cols) -> StoreResult<AuthorizationCode> {
    Ok(AuthorizationCode {
        digest: r.digest("digest")?,
        client_id: ClientId::from_uuid(r.uuid("client_id")?),
        user_id: UserId::from_uuid(r.uuid("user_id")?),
        redirect_uri: r.text("redirect_uri")?,
        scope: scope(r, "scope")?,
        code_challenge: r.opt_text("code_challenge")?,
        nonce: r.opt_text("nonce")?,
        session_id: SessionId::from_uuid(r.uuid("session_id")?),
        auth_time: r.i64("auth_time")?,
        amr: amr(r, "amr")?,
        family_id: FamilyId::from_uuid(r.uuid("family_id")?),
        created_at: r.i64("created_at")?,
        expires_at: r.i64("expires_at")?,
    })
}

/// A family read through [`crate::columns::family_cols`].
pub(crate) fn family(r: &impl Cols) -> StoreResult<TokenFamily> {
    let subject_id = r.uuid("f_subject_id")?;
    let subject = r.parse("f_subject_type", |kind| match kind {
        "user" => Some(Subject::User(UserId::from_uuid(subject_id))),
        "organization" => Some(Subject::Organization(OrganizationId::from_uuid(subject_id))),
        _ => None,
    })?;
    Ok(TokenFamily {
        id: FamilyId::from_uuid(r.uuid("f_id")?),
        client_id: ClientId::from_uuid(r.uuid("f_client_id")?),
        subject,
        scope: scope(r, "f_scope")?,
        session_id: r.opt_uuid("f_session_id")?.map(SessionId::from_uuid),
        org_authorization_id: r
            .opt_uuid("f_org_authorization_id")?
            .map(OrgAuthorizationId::from_uuid),
        auth_time: r.opt_i64("f_auth_time")?,
        amr: amr(r, "f_amr")?,
        created_at: r.i64("f_created_at")?,
        expires_at: r.i64("f_expires_at")?,
        revoked_at: r.opt_i64("f_revoked_at")?,
    })
}

/// An access token read through [`crate::columns::access_cols`].
pub(crate) fn access(r: &impl Cols) -> StoreResult<AccessTokenRecord> {
    Ok(AccessTokenRecord {
        digest: r.digest("a_digest")?,
        family_id: FamilyId::from_uuid(r.uuid("a_family_id")?),
        scope: scope(r, "a_scope")?,
        issued_at: r.i64("a_issued_at")?,
        expires_at: r.i64("a_expires_at")?,
        revoked_at: r.opt_i64("a_revoked_at")?,
    })
}

/// A refresh token read through [`crate::columns::refresh_cols`].
pub(crate) fn refresh(r: &impl Cols) -> StoreResult<RefreshTokenRecord> {
    Ok(RefreshTokenRecord {
        digest: r.digest("r_digest")?,
        family_id: FamilyId::from_uuid(r.uuid("r_family_id")?),
        issued_at: r.i64("r_issued_at")?,
        expires_at: r.i64("r_expires_at")?,
        rotated_at: r.opt_i64("r_rotated_at")?,
        successor: r.opt_digest("r_successor")?,
        retry_until: r.opt_i64("r_retry_until")?,
        sealed_retry: r.opt_blob("r_sealed_retry")?,
    })
}

pub(crate) fn consent(r: &impl Cols) -> StoreResult<Consent> {
    Ok(Consent {
        user_id: UserId::from_uuid(r.uuid("user_id")?),
        client_id: ClientId::from_uuid(r.uuid("client_id")?),
        scope: scope(r, "scope")?,
        granted_at: r.i64("granted_at")?,
        updated_at: r.i64("updated_at")?,
    })
}

pub(crate) fn org_authorization(r: &impl Cols) -> StoreResult<OrgAuthorization> {
    Ok(OrgAuthorization {
        id: OrgAuthorizationId::from_uuid(r.uuid("id")?),
        organization_id: OrganizationId::from_uuid(r.uuid("organization_id")?),
        client_id: ClientId::from_uuid(r.uuid("client_id")?),
        scope: scope(r, "scope")?,
        state: r.parse("state", OrgAuthorizationState::parse)?,
        created_by: actor(r, "created_by_type", "created_by_id")?,
        created_at: r.i64("created_at")?,
        pending_expires_at: r.i64("pending_expires_at")?,
        activated: stamp(r, "activated_by_type", "activated_by_id", "activated_at")?,
        revoked: stamp(r, "revoked_by_type", "revoked_by_id", "revoked_at")?,
        failed: stamp(r, "failed_by_type", "failed_by_id", "failed_at")?,
    })
}

pub(crate) fn outbox(r: &impl Cols) -> StoreResult<OutboxEntry> {
    Ok(OutboxEntry {
        id: OutboxId::from_uuid(r.uuid("id")?),
        client_id: ClientId::from_uuid(r.uuid("client_id")?),
        backchannel_logout_uri: r.text("backchannel_logout_uri")?,
        claims: LogoutClaims {
            sub: r.opt_uuid("sub")?.map(UserId::from_uuid),
            sid: r.opt_uuid("sid")?.map(SessionId::from_uuid),
            jti: r.text("jti")?,
        },
        attempts: u32::try_from(r.i64("attempts")?).map_err(|_| StoreError::Corrupt("attempts"))?,
        next_attempt_at: r.i64("next_attempt_at")?,
        outcome: r.parse("outcome", OutboxOutcome::parse)?,
        last_error: r.opt_text("last_error")?,
        created_at: r.i64("created_at")?,
        finished_at: r.opt_i64("finished_at")?,
    })
}

pub(crate) fn signing_key(r: &impl Cols) -> StoreResult<SigningKeyRecord> {
    let der = r
        .opt_blob("private_der")?
        .ok_or(StoreError::Corrupt("private_der"))?;
    Ok(SigningKeyRecord {
        kid: r.text("kid")?,
        alg: r.text("alg")?,
        private_der: Zeroizing::new(der),
        state: r.parse("state", SigningKeyState::parse)?,
        published_at: r.i64("published_at")?,
        activated_at: r.opt_i64("activated_at")?,
        retired_at: r.opt_i64("retired_at")?,
    })
}

pub(crate) fn digest_key(r: &impl Cols) -> StoreResult<DigestKeyRecord> {
    let id = u16::try_from(r.i64("id")?).map_err(|_| StoreError::Corrupt("digest_keys.id"))?;
    let raw = Zeroizing::new(r.opt_blob("key_bytes")?.unwrap_or_default());
    let mut bytes = Zeroizing::new([0u8; 32]);
    if raw.len() != bytes.len() {
        return Err(StoreError::Corrupt("digest_keys.key_bytes"));
    }
    bytes.copy_from_slice(&raw);
    Ok(DigestKeyRecord {
        material: DigestKeyMaterial { id, bytes },
        current: r.flag("current")?,
        created_at: r.i64("created_at")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn only_hyphenated_uuids_decode() {
        let id = Uuid::new_v4();
        assert_eq!(
            parse_uuid(&id.hyphenated().to_string(), "id").ok(),
            Some(id)
        );
        assert!(matches!(
            parse_uuid(&id.simple().to_string(), "id"),
            Err(StoreError::Corrupt("id"))
        ));
        assert!(parse_uuid("not-a-uuid-but-it-is-36-characters!!", "id").is_err());
    }

    proptest! {
        #[test]
        fn uuid_text_never_panics_and_round_trips(text in "\\PC{0,40}") {
            if let Ok(id) = parse_uuid(&text, "id") {
                prop_assert_eq!(id.hyphenated().to_string(), text.to_ascii_lowercase());
            }
        }
    }
}
