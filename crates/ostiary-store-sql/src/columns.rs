//! Column lists shared by both backends, as macros expanding to string literals so that every statement
//! stays a `&'static str` built with `concat!` (no SQL is ever assembled at run time).
//!
//! Tables joined with others (families, access and refresh tokens) are read through aliases with a prefix
//! (`f_`, `a_`, `r_`), so the decoders in [`crate::decode`] find the same names in every query.

/// `clients` columns.
macro_rules! client_cols {
    () => {
        "id, metadata, secret_digest, created_at, updated_at, secret_rotated_at"
    };
}

/// `users` columns.
macro_rules! user_cols {
    () => {
        "id, username, email, email_verified, password_hash, profile, disabled, created_at, updated_at"
    };
}

/// `users` columns (alias `u`) beside another table's, with the prefix `u_`: read with
/// [`crate::decode::joined_user`].
macro_rules! joined_user_cols {
    () => {
        "u.id AS u_id, u.username AS u_username, u.email AS u_email, \
         u.email_verified AS u_email_verified, u.password_hash AS u_password_hash, \
         u.profile AS u_profile, u.disabled AS u_disabled, u.created_at AS u_created_at, \
         u.updated_at AS u_updated_at"
    };
}

/// `memberships` columns.
macro_rules! membership_cols {
    () => {
        "organization_id, user_id, role, created_at"
    };
}

/// `sessions` columns (alias `s`) and the joined `session_clients.client_id` (alias `sc`).
macro_rules! session_cols {
    () => {
        "s.id, s.cookie_digest, s.user_id, s.auth_time, s.amr, s.created_at, s.expires_at, \
         sc.client_id AS client_id"
    };
}

/// `codes` columns.
macro_rules! code_cols {
    () => {
        "digest, client_id, user_id, redirect_uri, scope, code_challenge, nonce, session_id, auth_time, amr, \
         family_id, created_at, expires_at"
    };
}

/// `token_families` columns under alias `f`, read as `f_*`.
macro_rules! family_cols {
    () => {
        "f.id AS f_id, f.client_id AS f_client_id, f.subject_type AS f_subject_type, \
         f.subject_id AS f_subject_id, f.scope AS f_scope, f.session_id AS f_session_id, \
         f.org_authorization_id AS f_org_authorization_id, f.auth_time AS f_auth_time, f.amr AS f_amr, \
         f.created_at AS f_created_at, f.expires_at AS f_expires_at, f.revoked_at AS f_revoked_at"
    };
}

/// `access_tokens` columns under alias `a`, read as `a_*`.
macro_rules! access_cols {
    () => {
        "a.digest AS a_digest, a.family_id AS a_family_id, a.scope AS a_scope, a.issued_at AS a_issued_at, \
         a.expires_at AS a_expires_at, a.revoked_at AS a_revoked_at"
    };
}

/// `refresh_tokens` columns under alias `r`, read as `r_*`.
macro_rules! refresh_cols {
    () => {
        "r.digest AS r_digest, r.family_id AS r_family_id, r.issued_at AS r_issued_at, \
         r.expires_at AS r_expires_at, r.rotated_at AS r_rotated_at, r.successor AS r_successor, \
         r.retry_until AS r_retry_until, r.sealed_retry AS r_sealed_retry"
    };
}

/// `consents` columns.
macro_rules! consent_cols {
    () => {
        "user_id, client_id, scope, granted_at, updated_at"
    };
}

/// `org_authorizations` columns.
macro_rules! org_auth_cols {
    () => {
        "id, organization_id, client_id, scope, state, created_by_type, created_by_id, created_at, \
         pending_expires_at, activated_by_type, activated_by_id, activated_at, revoked_by_type, revoked_by_id, \
         revoked_at, failed_by_type, failed_by_id, failed_at"
    };
}

/// `logout_outbox` columns.
macro_rules! outbox_cols {
    () => {
        "id, client_id, backchannel_logout_uri, sub, sid, jti, attempts, next_attempt_at, outcome, \
         last_error, created_at, finished_at"
    };
}

/// `signing_keys` columns.
macro_rules! signing_key_cols {
    () => {
        "kid, alg, private_der, state, published_at, activated_at, retired_at"
    };
}

pub(crate) use {
    access_cols, client_cols, code_cols, consent_cols, family_cols, joined_user_cols,
    membership_cols, org_auth_cols, outbox_cols, refresh_cols, session_cols, signing_key_cols,
    user_cols,
};
