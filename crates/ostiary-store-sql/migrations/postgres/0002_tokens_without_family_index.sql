-- Access and refresh tokens lose their index on family_id and their foreign key to token_families.
--
-- Why: family_id is a random UUID, so every token insert (two per refresh-token rotation) added an entry
-- at a random leaf of each family index: one more dirtied page, and its full-page image in the WAL,
-- per insert. Nothing needs them: token lookups go by digest and join their family; revoking a family
-- changes the family row alone; a token's expiry never exceeds its family's (the protocol core caps
-- it), and a token whose family expired is inactive whatever its own expiry, so the purge removes
-- expired families without first waiting for their tokens, and tokens by their own expiry. The foreign
-- key goes with the index: deleting a family would otherwise scan both token tables for children.
-- insert_access_token checks that the family exists itself. The SQLite schema makes the same change.

ALTER TABLE access_tokens DROP CONSTRAINT access_tokens_family_fkey;
DROP INDEX access_tokens_family;
ALTER TABLE refresh_tokens DROP CONSTRAINT refresh_tokens_family_fkey;
DROP INDEX refresh_tokens_family;
