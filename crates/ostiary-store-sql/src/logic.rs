//! The decisions both backends share, kept apart from the SQL that gathers their inputs.

use ostiary_store::records::*;
use ostiary_store::{ClientId, FamilyId, OutboxId, StoreError, StoreResult, UserId};

use crate::columns::*;
use crate::decode::{self, Cols};

/// Reads what [`SpentRefresh::from_row`] needs for the presented token `$1`: itself, its family and its
/// successor.
pub(crate) const SPENT_REFRESH: &str = "SELECT r.family_id, r.expires_at, r.rotated_at, r.retry_until, \
     r.sealed_retry, f.revoked_at AS f_revoked_at, f.expires_at AS f_expires_at, s.digest AS s_digest, \
     s.rotated_at AS s_rotated_at, s.expires_at AS s_expires_at \
     FROM refresh_tokens r JOIN token_families f ON f.id = r.family_id \
     LEFT JOIN refresh_tokens s ON s.digest = r.successor WHERE r.digest = $1";

/// [`REFRESH_GRANT_WITH_USER`] with `more` columns and `joins` added (SQLite's rotation also joins
/// the family's client).
macro_rules! refresh_grant_query {
    ($more:literal, $joins:literal) => {
        concat!(
            "SELECT ",
            refresh_cols!(),
            ", ",
            family_cols!(),
            ", ",
            joined_user_cols!(),
            $more,
            " FROM refresh_tokens r JOIN token_families f ON f.id = r.family_id \
             LEFT JOIN users u ON f.subject_type = 'user' AND u.id = f.subject_id",
            $joins,
            " WHERE r.digest = $1"
        )
    };
}
pub(crate) use refresh_grant_query;

/// `get_refresh_token_with_user` for the digest `$1`: the token, its family and, for a family of a
/// user, that user (a `LEFT JOIN`: no user row for an organization's family or a missing user). Read
/// with [`refresh_grant_with_user`].
pub(crate) const REFRESH_GRANT_WITH_USER: &str = refresh_grant_query!("", "");

/// Reads a row of [`REFRESH_GRANT_WITH_USER`].
pub(crate) fn refresh_grant_with_user(
    r: &impl Cols,
) -> StoreResult<(RefreshTokenGrant, Option<User>)> {
    let grant = RefreshTokenGrant {
        token: decode::refresh(r)?,
        family: decode::family(r)?,
    };
    Ok((grant, decode::joined_user(r)?))
}

/// `get_signed_in` for the cookie digest `$1` at `$2` and the client `$3` (NULL: no consent asked
/// about): the unexpired session, a row per client in `seq` order, each with the session's user and
/// its consent to `$3` (no columns of either when there is no such row). Read with [`SignedInRows`].
pub(crate) const SIGNED_IN: &str = concat!(
    "SELECT ",
    session_cols!(),
    ", ",
    joined_user_cols!(),
    ", c.scope AS c_scope, c.granted_at AS c_granted_at, c.updated_at AS c_updated_at \
     FROM sessions s LEFT JOIN session_clients sc ON sc.session_id = s.id \
     LEFT JOIN users u ON u.id = s.user_id \
     LEFT JOIN consents c ON c.user_id = s.user_id AND c.client_id = $3 \
     WHERE s.cookie_digest = $1 AND s.expires_at > $2 ORDER BY sc.seq"
);

/// Gathers the rows of [`SIGNED_IN`]: the session from every row, the user and the consent from the
/// first (they all carry the same).
pub(crate) struct SignedInRows {
    consent_for: Option<ClientId>,
    session: decode::SessionRows,
    first: Option<(Option<User>, Option<Consent>)>,
}

impl SignedInRows {
    /// Gathers the rows of a query whose `$3` was `consent_for`.
    pub(crate) fn new(consent_for: Option<ClientId>) -> Self {
        Self {
            consent_for,
            session: decode::SessionRows::default(),
            first: None,
        }
    }

    /// Takes the next row.
    pub(crate) fn push(&mut self, row: &impl Cols) -> StoreResult<()> {
        if self.first.is_none() {
            let user = decode::joined_user(row)?;
            let consent = match (self.consent_for, row.opt_i64("c_granted_at")?) {
                (Some(client_id), Some(granted_at)) => Some(Consent {
                    user_id: UserId::from_uuid(row.uuid("user_id")?),
                    client_id,
                    scope: decode::scope(row, "c_scope")?,
                    granted_at,
                    updated_at: row.i64("c_updated_at")?,
                }),
                _ => None,
            };
            self.first = Some((user, consent));
        }
        self.session.push(row)
    }

    /// What the rows said; `None` without rows (no such unexpired session).
    pub(crate) fn finish(self) -> Option<SignedIn> {
        let session = self.session.finish().into_iter().next()?;
        let (user, consent) = self.first.unwrap_or_default();
        Some(SignedIn {
            session,
            user,
            consent,
        })
    }
}

/// Adds an access token (`$1` digest, `$2` family, `$3` scope, `$4` issued, `$5` expires, `$6` revoked) to
/// an existing family only: the token tables have no foreign key to their family (see migration 0002),
/// so `insert_access_token` checks it here. No row inserted means no such family: [`unknown_family`].
pub(crate) const INSERT_ACCESS_IN_FAMILY: &str = "INSERT INTO access_tokens \
     (digest, family_id, scope, issued_at, expires_at, revoked_at) \
     SELECT $1, $2, $3, $4, $5, $6 WHERE EXISTS (SELECT 1 FROM token_families WHERE id = $2)";

/// `insert_access_token` for a family that does not exist, on both backends.
pub(crate) fn unknown_family() -> StoreError {
    StoreError::Conflict("access token of an unknown family")
}

/// Which of `create_family`'s live-grant checks held, read from the columns `code_live`, `session_live`
/// and `authorization_live` (each true when its input is absent).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct GrantChecks {
    /// No code, or a code that exists and was not replayed.
    pub(crate) code_live: bool,
    /// No session, or a session that exists and is unexpired at the family's creation.
    pub(crate) session_live: bool,
    /// No organization authorization, or an active one.
    pub(crate) authorization_live: bool,
}

impl GrantChecks {
    /// Reads the three check columns.
    pub(crate) fn from_row(r: &impl Cols) -> StoreResult<Self> {
        Ok(Self {
            code_live: r.flag("code_live")?,
            session_live: r.flag("session_live")?,
            authorization_live: r.flag("authorization_live")?,
        })
    }

    /// The refusal the store contract names for the first failed check, in the contract's order; `None`
    /// when every check held.
    pub(crate) fn refusal(self) -> Option<StoreError> {
        if !self.code_live {
            Some(StoreError::Conflict("code replayed"))
        } else if !self.session_live {
            Some(StoreError::Conflict("session ended"))
        } else if !self.authorization_live {
            Some(StoreError::Conflict("authorization not active"))
        } else {
            None
        }
    }
}

/// The error for a rotation whose new tokens name another family than the presented token's.
pub(crate) fn wrong_family() -> StoreError {
    StoreError::Invalid("rotated tokens must belong to the presented token's family".to_owned())
}

/// What a refresh token that could not be rotated looks like: the token, its family and its successor.
#[derive(Debug)]
pub(crate) struct SpentRefresh {
    pub(crate) family_id: FamilyId,
    pub(crate) expires_at: UnixTime,
    pub(crate) rotated_at: Option<UnixTime>,
    pub(crate) retry_until: Option<UnixTime>,
    pub(crate) sealed_retry: Option<Vec<u8>>,
    pub(crate) family_revoked_at: Option<UnixTime>,
    pub(crate) family_expires_at: UnixTime,
    /// The successor's `(rotated_at, expires_at)`, if it still exists.
    pub(crate) successor: Option<(Option<UnixTime>, UnixTime)>,
}

impl SpentRefresh {
    /// Reads the columns `family_id, expires_at, rotated_at, retry_until, sealed_retry, f_revoked_at,
    /// f_expires_at, s_digest, s_rotated_at, s_expires_at`.
    pub(crate) fn from_row(r: &impl Cols) -> StoreResult<Self> {
        let successor = match r.opt_digest("s_digest")? {
            Some(_) => Some((r.opt_i64("s_rotated_at")?, r.i64("s_expires_at")?)),
            None => None,
        };
        Ok(Self {
            family_id: FamilyId::from_uuid(r.uuid("family_id")?),
            expires_at: r.i64("expires_at")?,
            rotated_at: r.opt_i64("rotated_at")?,
            retry_until: r.opt_i64("retry_until")?,
            sealed_retry: r.opt_blob("sealed_retry")?,
            family_revoked_at: r.opt_i64("f_revoked_at")?,
            family_expires_at: r.i64("f_expires_at")?,
            successor,
        })
    }
}

/// The outcome for a presented refresh token that the winning `UPDATE` did not match.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Spent {
    /// Unknown, or unspent but expired or in an inactive family.
    Invalid,
    /// A retry within the window: answer with the sealed response.
    Retry(Vec<u8>),
    /// A replay: revoke the family.
    Replay(FamilyId),
    /// Unspent and usable: the winning update could only have missed because the new tokens name
    /// another family than the presented token's.
    WrongFamily,
}

/// Decides between retry, replay and invalid, in the precedence of `TokenStore::rotate_refresh`.
pub(crate) fn spent_refresh(state: Option<SpentRefresh>, now: UnixTime) -> Spent {
    let Some(state) = state else {
        return Spent::Invalid;
    };
    let family_active = state.family_revoked_at.is_none() && now < state.family_expires_at;
    if state.rotated_at.is_some() {
        let in_window = state.retry_until.is_some_and(|until| now <= until);
        // The successor must be unspent and unexpired for a retry to hand it out again.
        let successor_usable = state
            .successor
            .is_some_and(|(rotated_at, expires_at)| rotated_at.is_none() && now < expires_at);
        return match state.sealed_retry {
            Some(sealed) if in_window && successor_usable && family_active => Spent::Retry(sealed),
            // RFC 9700 §4.14.2: a rotated-out refresh token presented again revokes the family,
            // whatever its own expiry or its family's state.
            _ => Spent::Replay(state.family_id),
        };
    }
    if now >= state.expires_at || !family_active {
        return Spent::Invalid;
    }
    Spent::WrongFamily
}

/// The back-channel logout notification for one client of an ended session (OIDC Back-Channel Logout
/// 1.0 §2.4: `sub` and `sid`, and a fresh `jti` kept across delivery attempts).
pub(crate) fn logout_entry(
    session: &Session,
    client_id: ClientId,
    backchannel_logout_uri: String,
    now: UnixTime,
) -> OutboxEntry {
    OutboxEntry {
        id: OutboxId::new_random(),
        client_id,
        backchannel_logout_uri,
        claims: LogoutClaims {
            sub: Some(session.user_id),
            sid: Some(session.id),
            jti: uuid::Uuid::new_v4().to_string(),
        },
        attempts: 0,
        next_attempt_at: now,
        outcome: OutboxOutcome::Pending,
        last_error: None,
        created_at: now,
        finished_at: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: UnixTime = 1_700_000_000;

    /// A token rotated at `NOW - 5` with a usable successor, in an active family, inside its window.
    fn rotated() -> SpentRefresh {
        SpentRefresh {
            family_id: FamilyId::new_random(),
            expires_at: NOW + 100,
            rotated_at: Some(NOW - 5),
            retry_until: Some(NOW + 25),
            sealed_retry: Some(vec![7; 4]),
            family_revoked_at: None,
            family_expires_at: NOW + 1000,
            successor: Some((None, NOW + 100)),
        }
    }

    #[test]
    fn unknown_is_invalid() {
        assert_eq!(spent_refresh(None, NOW), Spent::Invalid);
    }

    #[test]
    fn a_rotated_token_in_its_window_is_a_retry() {
        assert_eq!(
            spent_refresh(Some(rotated()), NOW),
            Spent::Retry(vec![7; 4])
        );
        // The window includes its last second.
        assert_eq!(
            spent_refresh(Some(rotated()), NOW + 25),
            Spent::Retry(vec![7; 4])
        );
    }

    #[test]
    fn a_rotated_token_is_a_replay_whenever_a_retry_condition_fails() {
        let family = rotated().family_id;
        let cases: [fn(&mut SpentRefresh); 7] = [
            |s| s.retry_until = Some(NOW - 1),
            |s| s.successor = Some((Some(NOW - 1), NOW + 100)),
            |s| s.successor = Some((None, NOW)),
            |s| s.successor = None,
            |s| s.sealed_retry = None,
            // Precedence: a rotated token is a replay whatever its own expiry or its family's state.
            |s| s.family_revoked_at = Some(NOW - 1),
            |s| s.family_expires_at = NOW,
        ];
        for (i, change) in cases.iter().enumerate() {
            let mut state = rotated();
            state.family_id = family;
            change(&mut state);
            assert_eq!(
                spent_refresh(Some(state), NOW),
                Spent::Replay(family),
                "case {i}"
            );
        }
        let mut expired = rotated();
        expired.expires_at = NOW - 1;
        expired.retry_until = Some(NOW - 2);
        assert!(matches!(
            spent_refresh(Some(expired), NOW),
            Spent::Replay(_)
        ));
    }

    #[test]
    fn an_unspent_token_is_invalid_when_expired_or_its_family_inactive() {
        let unspent = || SpentRefresh {
            rotated_at: None,
            retry_until: None,
            sealed_retry: None,
            successor: None,
            ..rotated()
        };
        let mut expired = unspent();
        expired.expires_at = NOW;
        assert_eq!(spent_refresh(Some(expired), NOW), Spent::Invalid);
        let mut revoked = unspent();
        revoked.family_revoked_at = Some(NOW - 1);
        assert_eq!(spent_refresh(Some(revoked), NOW), Spent::Invalid);
        let mut ended = unspent();
        ended.family_expires_at = NOW;
        assert_eq!(spent_refresh(Some(ended), NOW), Spent::Invalid);
        assert_eq!(spent_refresh(Some(unspent()), NOW), Spent::WrongFamily);
    }

    #[test]
    fn grant_refusals_follow_the_contract_order() {
        let reason = |code_live, session_live, authorization_live| {
            let checks = GrantChecks {
                code_live,
                session_live,
                authorization_live,
            };
            match checks.refusal() {
                Some(StoreError::Conflict(reason)) => Some(reason),
                Some(other) => panic!("a refusal is a conflict, got {other:?}"),
                None => None,
            }
        };
        assert_eq!(reason(true, true, true), None);
        for session_live in [true, false] {
            for authorization_live in [true, false] {
                assert_eq!(
                    reason(false, session_live, authorization_live),
                    Some("code replayed"),
                    "a replayed code is reported first"
                );
            }
        }
        assert_eq!(reason(true, false, true), Some("session ended"));
        assert_eq!(reason(true, false, false), Some("session ended"));
        assert_eq!(reason(true, true, false), Some("authorization not active"));
    }
}
