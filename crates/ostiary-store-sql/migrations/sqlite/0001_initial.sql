-- Ostiary store schema, SQLite.
--
-- Conventions: times are Unix seconds (INTEGER); ids are lower-case hyphenated UUIDs (TEXT); digests are
-- 32-byte HMAC-SHA-256 keyed digests of bearer secrets (BLOB), never the secrets themselves; scopes are the
-- RFC 6749 §3.3 space-delimited form; `amr` lists are JSON arrays; booleans are 0/1.
-- Every table is STRICT, so a value of the wrong type is refused instead of silently stored.

CREATE TABLE clients (
    id TEXT PRIMARY KEY NOT NULL,
    -- The whole ClientMetadata as JSON; its URIs are re-validated against the registration rules on read.
    metadata TEXT NOT NULL,
    -- Copies of the metadata fields that queries filter on.
    initiate_login_uri TEXT,
    backchannel_logout_uri TEXT,
    secret_digest BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    secret_rotated_at INTEGER NOT NULL
) STRICT;
-- The app catalogue: clients with an initiate_login_uri, in id order.
CREATE INDEX clients_catalogue ON clients (id) WHERE initiate_login_uri IS NOT NULL;

CREATE TABLE users (
    id TEXT PRIMARY KEY NOT NULL,
    username TEXT NOT NULL,
    email TEXT,
    email_verified INTEGER NOT NULL,
    -- Argon2id PHC string: a hash, never a password.
    password_hash TEXT NOT NULL,
    -- OIDC Core §5.1 profile claims as JSON.
    profile TEXT NOT NULL,
    disabled INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;

-- Usernames and e-mails share one namespace: one row per login (the username, and the e-mail when it
-- differs), so a login names at most one user and a taken one is refused by this primary key.
CREATE TABLE user_logins (
    login TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE
) STRICT;
CREATE INDEX user_logins_user ON user_logins (user_id);

CREATE TABLE organizations (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE memberships (
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    role TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (organization_id, user_id)
) STRICT;
CREATE INDEX memberships_user ON memberships (user_id);

CREATE TABLE sessions (
    id TEXT PRIMARY KEY NOT NULL,
    cookie_digest BLOB NOT NULL,
    user_id TEXT NOT NULL,
    auth_time INTEGER NOT NULL,
    amr TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX sessions_cookie_digest_key ON sessions (cookie_digest);
CREATE INDEX sessions_user ON sessions (user_id, expires_at);
CREATE INDEX sessions_expiry ON sessions (expires_at);

-- The clients that received tokens in a session, in the order they were added (seq).
CREATE TABLE session_clients (
    seq INTEGER PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    client_id TEXT NOT NULL
) STRICT;
CREATE UNIQUE INDEX session_clients_key ON session_clients (session_id, client_id);

CREATE TABLE codes (
    digest BLOB PRIMARY KEY NOT NULL,
    client_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    redirect_uri TEXT NOT NULL,
    scope TEXT NOT NULL,
    code_challenge TEXT,
    nonce TEXT,
    session_id TEXT NOT NULL,
    auth_time INTEGER NOT NULL,
    amr TEXT NOT NULL,
    family_id TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    -- Set once by the one successful consume_code; the row stays as a spent marker until purged.
    consumed_at INTEGER,
    -- Set when a spent code is presented again (RFC 6749 §4.1.2): create_family for it then fails.
    replayed_at INTEGER
) STRICT;
CREATE INDEX codes_expiry ON codes (expires_at);
CREATE INDEX codes_client ON codes (client_id);

CREATE TABLE token_families (
    id TEXT PRIMARY KEY NOT NULL,
    client_id TEXT NOT NULL,
    -- 'user' or 'organization', and that subject's id.
    subject_type TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    scope TEXT NOT NULL,
    session_id TEXT,
    org_authorization_id TEXT,
    auth_time INTEGER,
    amr TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    revoked_at INTEGER
) STRICT;
CREATE INDEX token_families_session ON token_families (session_id) WHERE session_id IS NOT NULL;
CREATE INDEX token_families_client ON token_families (client_id);
CREATE INDEX token_families_subject ON token_families (subject_id, client_id);
CREATE INDEX token_families_org_authorization ON token_families (org_authorization_id)
    WHERE org_authorization_id IS NOT NULL;
CREATE INDEX token_families_expiry ON token_families (expires_at);

CREATE TABLE access_tokens (
    digest BLOB PRIMARY KEY NOT NULL,
    family_id TEXT NOT NULL REFERENCES token_families (id) ON DELETE CASCADE,
    scope TEXT NOT NULL,
    issued_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    revoked_at INTEGER
) STRICT;
CREATE INDEX access_tokens_family ON access_tokens (family_id);
CREATE INDEX access_tokens_expiry ON access_tokens (expires_at);

CREATE TABLE refresh_tokens (
    digest BLOB PRIMARY KEY NOT NULL,
    family_id TEXT NOT NULL REFERENCES token_families (id) ON DELETE CASCADE,
    issued_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    rotated_at INTEGER,
    successor BLOB,
    retry_until INTEGER,
    -- The rotation's response sealed under the presented token (only its holder can open it).
    sealed_retry BLOB
) STRICT;
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_expiry ON refresh_tokens (expires_at);
CREATE INDEX refresh_tokens_sealed ON refresh_tokens (retry_until) WHERE sealed_retry IS NOT NULL;

CREATE TABLE consents (
    user_id TEXT NOT NULL,
    client_id TEXT NOT NULL,
    scope TEXT NOT NULL,
    granted_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, client_id)
) STRICT;
CREATE INDEX consents_client ON consents (client_id);

CREATE TABLE org_authorizations (
    id TEXT NOT NULL,
    organization_id TEXT NOT NULL,
    client_id TEXT NOT NULL,
    scope TEXT NOT NULL,
    -- 'pending', 'active', 'revoked' or 'failed'.
    state TEXT NOT NULL,
    -- Actors are a type ('user', 'client', 'system') and, except for 'system', an id.
    created_by_type TEXT NOT NULL,
    created_by_id TEXT,
    created_at INTEGER NOT NULL,
    pending_expires_at INTEGER NOT NULL,
    activated_by_type TEXT,
    activated_by_id TEXT,
    activated_at INTEGER,
    revoked_by_type TEXT,
    revoked_by_id TEXT,
    revoked_at INTEGER,
    failed_by_type TEXT,
    failed_by_id TEXT,
    failed_at INTEGER
) STRICT;
CREATE UNIQUE INDEX org_authorizations_pkey ON org_authorizations (id);
-- At most one active authorization per (organization, client).
CREATE UNIQUE INDEX org_authorizations_one_active ON org_authorizations (organization_id, client_id)
    WHERE state = 'active';
CREATE INDEX org_authorizations_org ON org_authorizations (organization_id, created_at, id);
CREATE INDEX org_authorizations_client ON org_authorizations (client_id);
CREATE INDEX org_authorizations_pending ON org_authorizations (pending_expires_at) WHERE state = 'pending';

CREATE TABLE logout_outbox (
    id TEXT NOT NULL,
    client_id TEXT NOT NULL,
    backchannel_logout_uri TEXT NOT NULL,
    sub TEXT,
    sid TEXT,
    jti TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    -- 'pending', 'delivered' or 'gave_up'.
    outcome TEXT NOT NULL,
    last_error TEXT,
    created_at INTEGER NOT NULL,
    finished_at INTEGER
) STRICT;
CREATE UNIQUE INDEX logout_outbox_pkey ON logout_outbox (id);
CREATE INDEX logout_outbox_due ON logout_outbox (outcome, next_attempt_at, id);
CREATE INDEX logout_outbox_created ON logout_outbox (created_at, id);
CREATE INDEX logout_outbox_client ON logout_outbox (client_id, created_at, id);

-- The version of the signing-key set: swap_signing_keys is a compare-and-swap on it.
CREATE TABLE signing_key_set (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
) STRICT;
INSERT INTO signing_key_set (id, version) VALUES (1, 0);

-- SECRET: private signing keys in recoverable form (DER). Protect this file like a key file.
CREATE TABLE signing_keys (
    position INTEGER PRIMARY KEY,
    kid TEXT NOT NULL,
    alg TEXT NOT NULL,
    private_der BLOB NOT NULL,
    -- 'next', 'active' or 'retired'.
    state TEXT NOT NULL,
    published_at INTEGER NOT NULL,
    activated_at INTEGER,
    retired_at INTEGER
) STRICT;
CREATE UNIQUE INDEX signing_keys_kid_key ON signing_keys (kid);

-- SECRET: the digest keys (HMAC-SHA-256 keys of the bearer-secret digests) in recoverable form.
CREATE TABLE digest_keys (
    id INTEGER PRIMARY KEY,
    key_bytes BLOB NOT NULL,
    current INTEGER NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;
-- At most one current digest key.
CREATE UNIQUE INDEX digest_keys_one_current ON digest_keys (current) WHERE current = 1;
