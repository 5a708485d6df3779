-- Access and refresh tokens lose their index on family_id and their foreign key to token_families.
--
-- Why: family_id is a random UUID, so every token insert (two per refresh-token rotation) added an entry
-- at a random leaf of each family index, and every such leaf became one more page in the WAL and in the
-- next checkpoint. A rotation wrote ~78 KiB through the kernel (WAL and checkpoint) with the indexes and
-- ~30 KiB without them, and a store-level churn of 32 concurrent rotators went from ~11k to ~20k
-- rotations/s (benches/examples/rotation_churn.rs).
--
-- Nothing needs them: token lookups go by digest and join their family; revoking a family changes the
-- family row alone; a token's expiry never exceeds its family's (the protocol core caps it), and a token
-- whose family expired is inactive whatever its own expiry, so the purge removes expired families
-- without first waiting for their tokens, and tokens by their own expiry. The foreign key had to go with
-- the index: deleting a family would otherwise scan both token tables for children. insert_access_token
-- checks that the family exists itself.
--
-- SQLite cannot drop a foreign key in place: each table is rebuilt (same columns, same rows) and renamed.

CREATE TABLE access_tokens_new (
    digest BLOB PRIMARY KEY NOT NULL,
    family_id TEXT NOT NULL,
    scope TEXT NOT NULL,
    issued_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    revoked_at INTEGER
) STRICT;
INSERT INTO access_tokens_new (digest, family_id, scope, issued_at, expires_at, revoked_at)
    SELECT digest, family_id, scope, issued_at, expires_at, revoked_at FROM access_tokens;
DROP TABLE access_tokens;
ALTER TABLE access_tokens_new RENAME TO access_tokens;
CREATE INDEX access_tokens_expiry ON access_tokens (expires_at);

CREATE TABLE refresh_tokens_new (
    digest BLOB PRIMARY KEY NOT NULL,
    family_id TEXT NOT NULL,
    issued_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    rotated_at INTEGER,
    successor BLOB,
    retry_until INTEGER,
    -- The rotation's response sealed under the presented token (only its holder can open it).
    sealed_retry BLOB
) STRICT;
INSERT INTO refresh_tokens_new
    (digest, family_id, issued_at, expires_at, rotated_at, successor, retry_until, sealed_retry)
    SELECT digest, family_id, issued_at, expires_at, rotated_at, successor, retry_until, sealed_retry
    FROM refresh_tokens;
DROP TABLE refresh_tokens;
ALTER TABLE refresh_tokens_new RENAME TO refresh_tokens;
CREATE INDEX refresh_tokens_expiry ON refresh_tokens (expires_at);
CREATE INDEX refresh_tokens_sealed ON refresh_tokens (retry_until) WHERE sealed_retry IS NOT NULL;
