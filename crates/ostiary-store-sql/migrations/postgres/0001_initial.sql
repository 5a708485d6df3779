-- Ostiary store schema, PostgreSQL.
--
-- Conventions: times are Unix seconds (BIGINT); ids are UUID; digests are 32-byte HMAC-SHA-256 keyed digests
-- of bearer secrets (BYTEA), never the secrets themselves; scopes are the RFC 6749 §3.3 space-delimited form;
-- `amr` lists are JSON arrays (TEXT). Every integer is BIGINT so it decodes as i64. Constraint names are
-- explicit: the store reports a unique violation as a conflict naming its constraint.

CREATE TABLE clients (
    id UUID NOT NULL,
    -- The whole ClientMetadata as JSON; its URIs are re-validated against the registration rules on read.
    metadata TEXT NOT NULL,
    -- Copies of the metadata fields that queries filter on.
    initiate_login_uri TEXT,
    backchannel_logout_uri TEXT,
    secret_digest BYTEA NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    secret_rotated_at BIGINT NOT NULL,
    CONSTRAINT clients_pkey PRIMARY KEY (id)
);
-- The app catalogue: clients with an initiate_login_uri, in id order.
CREATE INDEX clients_catalogue ON clients (id) WHERE initiate_login_uri IS NOT NULL;

CREATE TABLE users (
    id UUID NOT NULL,
    username TEXT NOT NULL,
    email TEXT,
    email_verified BOOLEAN NOT NULL,
    -- Argon2id PHC string: a hash, never a password.
    password_hash TEXT NOT NULL,
    -- OIDC Core §5.1 profile claims as JSON.
    profile TEXT NOT NULL,
    disabled BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CONSTRAINT users_pkey PRIMARY KEY (id)
);

-- Usernames and e-mails share one namespace: one row per login (the username, and the e-mail when it
-- differs), so a login names at most one user and a taken one is refused by this primary key, also
-- between concurrent registrations.
CREATE TABLE user_logins (
    login TEXT NOT NULL,
    user_id UUID NOT NULL,
    CONSTRAINT users_login_key PRIMARY KEY (login),
    CONSTRAINT user_logins_user_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
);
CREATE INDEX user_logins_user ON user_logins (user_id);

CREATE TABLE organizations (
    id UUID NOT NULL,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    CONSTRAINT organizations_pkey PRIMARY KEY (id)
);

CREATE TABLE memberships (
    organization_id UUID NOT NULL,
    user_id UUID NOT NULL,
    role TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    CONSTRAINT memberships_pkey PRIMARY KEY (organization_id, user_id),
    CONSTRAINT memberships_organization_fkey FOREIGN KEY (organization_id) REFERENCES organizations (id),
    CONSTRAINT memberships_user_fkey FOREIGN KEY (user_id) REFERENCES users (id)
);
CREATE INDEX memberships_user ON memberships (user_id);

CREATE TABLE sessions (
    id UUID NOT NULL,
    cookie_digest BYTEA NOT NULL,
    user_id UUID NOT NULL,
    auth_time BIGINT NOT NULL,
    amr TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    CONSTRAINT sessions_pkey PRIMARY KEY (id),
    CONSTRAINT sessions_cookie_digest_key UNIQUE (cookie_digest)
);
CREATE INDEX sessions_user ON sessions (user_id, expires_at);
CREATE INDEX sessions_expiry ON sessions (expires_at);

-- The clients that received tokens in a session, in the order they were added (seq). The foreign key makes
-- add_session_client wait for (and then fail after) a concurrent end_session holding the session row lock.
CREATE TABLE session_clients (
    session_id UUID NOT NULL,
    client_id UUID NOT NULL,
    seq BIGINT GENERATED ALWAYS AS IDENTITY,
    CONSTRAINT session_clients_pkey PRIMARY KEY (session_id, client_id),
    CONSTRAINT session_clients_session_fkey FOREIGN KEY (session_id) REFERENCES sessions (id) ON DELETE CASCADE
);

CREATE TABLE codes (
    digest BYTEA NOT NULL,
    client_id UUID NOT NULL,
    user_id UUID NOT NULL,
    redirect_uri TEXT NOT NULL,
    scope TEXT NOT NULL,
    code_challenge TEXT,
    nonce TEXT,
    session_id UUID NOT NULL,
    auth_time BIGINT NOT NULL,
    amr TEXT NOT NULL,
    family_id UUID NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    -- Set once by the one successful consume_code; the row stays as a spent marker until purged.
    consumed_at BIGINT,
    -- Set when a spent code is presented again (RFC 6749 §4.1.2): create_family for it then fails.
    replayed_at BIGINT,
    CONSTRAINT codes_pkey PRIMARY KEY (digest)
);
CREATE INDEX codes_expiry ON codes (expires_at);
CREATE INDEX codes_client ON codes (client_id);

CREATE TABLE token_families (
    id UUID NOT NULL,
    client_id UUID NOT NULL,
    -- 'user' or 'organization', and that subject's id.
    subject_type TEXT NOT NULL,
    subject_id UUID NOT NULL,
    scope TEXT NOT NULL,
    session_id UUID,
    org_authorization_id UUID,
    auth_time BIGINT,
    amr TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT,
    CONSTRAINT token_families_pkey PRIMARY KEY (id)
);
CREATE INDEX token_families_session ON token_families (session_id) WHERE session_id IS NOT NULL;
CREATE INDEX token_families_client ON token_families (client_id);
CREATE INDEX token_families_subject ON token_families (subject_id, client_id);
CREATE INDEX token_families_org_authorization ON token_families (org_authorization_id)
    WHERE org_authorization_id IS NOT NULL;
CREATE INDEX token_families_expiry ON token_families (expires_at);

CREATE TABLE access_tokens (
    digest BYTEA NOT NULL,
    family_id UUID NOT NULL,
    scope TEXT NOT NULL,
    issued_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT,
    CONSTRAINT access_tokens_pkey PRIMARY KEY (digest),
    CONSTRAINT access_tokens_family_fkey FOREIGN KEY (family_id) REFERENCES token_families (id) ON DELETE CASCADE
);
CREATE INDEX access_tokens_family ON access_tokens (family_id);
CREATE INDEX access_tokens_expiry ON access_tokens (expires_at);

CREATE TABLE refresh_tokens (
    digest BYTEA NOT NULL,
    family_id UUID NOT NULL,
    issued_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    rotated_at BIGINT,
    successor BYTEA,
    retry_until BIGINT,
    -- The rotation's response sealed under the presented token (only its holder can open it).
    sealed_retry BYTEA,
    CONSTRAINT refresh_tokens_pkey PRIMARY KEY (digest),
    CONSTRAINT refresh_tokens_family_fkey FOREIGN KEY (family_id) REFERENCES token_families (id) ON DELETE CASCADE
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_expiry ON refresh_tokens (expires_at);
CREATE INDEX refresh_tokens_sealed ON refresh_tokens (retry_until) WHERE sealed_retry IS NOT NULL;

CREATE TABLE consents (
    user_id UUID NOT NULL,
    client_id UUID NOT NULL,
    scope TEXT NOT NULL,
    granted_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CONSTRAINT consents_pkey PRIMARY KEY (user_id, client_id)
);
CREATE INDEX consents_client ON consents (client_id);

CREATE TABLE org_authorizations (
    id UUID NOT NULL,
    organization_id UUID NOT NULL,
    client_id UUID NOT NULL,
    scope TEXT NOT NULL,
    -- 'pending', 'active', 'revoked' or 'failed'.
    state TEXT NOT NULL,
    -- Actors are a type ('user', 'client', 'system') and, except for 'system', an id.
    created_by_type TEXT NOT NULL,
    created_by_id UUID,
    created_at BIGINT NOT NULL,
    pending_expires_at BIGINT NOT NULL,
    activated_by_type TEXT,
    activated_by_id UUID,
    activated_at BIGINT,
    revoked_by_type TEXT,
    revoked_by_id UUID,
    revoked_at BIGINT,
    failed_by_type TEXT,
    failed_by_id UUID,
    failed_at BIGINT,
    CONSTRAINT org_authorizations_pkey PRIMARY KEY (id)
);
-- At most one active authorization per (organization, client): the guard of concurrent activations.
CREATE UNIQUE INDEX org_authorizations_one_active ON org_authorizations (organization_id, client_id)
    WHERE state = 'active';
CREATE INDEX org_authorizations_org ON org_authorizations (organization_id, created_at, id);
CREATE INDEX org_authorizations_client ON org_authorizations (client_id);
CREATE INDEX org_authorizations_pending ON org_authorizations (pending_expires_at) WHERE state = 'pending';

CREATE TABLE logout_outbox (
    id UUID NOT NULL,
    client_id UUID NOT NULL,
    backchannel_logout_uri TEXT NOT NULL,
    sub UUID,
    sid UUID,
    jti TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    -- 'pending', 'delivered' or 'gave_up'.
    outcome TEXT NOT NULL,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    finished_at BIGINT,
    CONSTRAINT logout_outbox_pkey PRIMARY KEY (id)
);
CREATE INDEX logout_outbox_due ON logout_outbox (outcome, next_attempt_at, id);
CREATE INDEX logout_outbox_created ON logout_outbox (created_at, id);
CREATE INDEX logout_outbox_client ON logout_outbox (client_id, created_at, id);

-- The version of the signing-key set: swap_signing_keys is a compare-and-swap on this row.
CREATE TABLE signing_key_set (
    id BIGINT NOT NULL,
    version BIGINT NOT NULL,
    CONSTRAINT signing_key_set_pkey PRIMARY KEY (id),
    CONSTRAINT signing_key_set_single_row CHECK (id = 1)
);
INSERT INTO signing_key_set (id, version) VALUES (1, 0);

-- SECRET: private signing keys in recoverable form (DER). Restrict access to this table.
CREATE TABLE signing_keys (
    position BIGINT NOT NULL,
    kid TEXT NOT NULL,
    alg TEXT NOT NULL,
    private_der BYTEA NOT NULL,
    -- 'next', 'active' or 'retired'.
    state TEXT NOT NULL,
    published_at BIGINT NOT NULL,
    activated_at BIGINT,
    retired_at BIGINT,
    CONSTRAINT signing_keys_pkey PRIMARY KEY (position),
    CONSTRAINT signing_keys_kid_key UNIQUE (kid)
);

-- SECRET: the digest keys (HMAC-SHA-256 keys of the bearer-secret digests) in recoverable form.
CREATE TABLE digest_keys (
    id BIGINT NOT NULL,
    key_bytes BYTEA NOT NULL,
    current BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL,
    CONSTRAINT digest_keys_pkey PRIMARY KEY (id)
);
-- At most one current digest key.
CREATE UNIQUE INDEX digest_keys_one_current ON digest_keys (current) WHERE current;
