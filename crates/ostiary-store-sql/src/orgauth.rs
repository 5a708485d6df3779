//! Organization-authorization statements shared by both backends (their SQL is the same).

use ostiary_store::records::OrgAuthorizationState;

use crate::columns::org_auth_cols;

/// Inserts every column of an authorization.
pub(crate) const INSERT: &str = concat!(
    "INSERT INTO org_authorizations (",
    org_auth_cols!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)"
);

/// `pending → active`: a compare-and-set on the state that also refuses a pending authorization past
/// `pending_expires_at` (`now >= pending_expires_at`). `$1` id, `$2` expected state, `$3`/`$4` actor, `$5` now.
const ACTIVATE: &str = concat!(
    "UPDATE org_authorizations SET state = 'active', activated_by_type = $3, activated_by_id = $4, \
     activated_at = $5 WHERE id = $1 AND state = $2 AND pending_expires_at > $5 RETURNING ",
    org_auth_cols!()
);

/// `pending|active → revoked`.
const REVOKE: &str = concat!(
    "UPDATE org_authorizations SET state = 'revoked', revoked_by_type = $3, revoked_by_id = $4, \
     revoked_at = $5 WHERE id = $1 AND state = $2 RETURNING ",
    org_auth_cols!()
);

/// `pending → failed`.
const FAIL: &str = concat!(
    "UPDATE org_authorizations SET state = 'failed', failed_by_type = $3, failed_by_id = $4, \
     failed_at = $5 WHERE id = $1 AND state = $2 RETURNING ",
    org_auth_cols!()
);

/// The compare-and-set statement for `from → to`, or `None` if the state machine does not allow it.
pub(crate) fn transition_sql(
    from: OrgAuthorizationState,
    to: OrgAuthorizationState,
) -> Option<&'static str> {
    if !from.can_become(to) {
        return None;
    }
    match to {
        OrgAuthorizationState::Active => Some(ACTIVATE),
        OrgAuthorizationState::Revoked => Some(REVOKE),
        OrgAuthorizationState::Failed => Some(FAIL),
        _ => None,
    }
}
