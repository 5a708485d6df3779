//! Key statements shared by both backends.

use ostiary_store::records::SigningKeyRecord;
use ostiary_store::{StoreError, StoreResult};

use crate::columns::signing_key_cols;
use crate::decode::{self, Cols};

/// The set's version with its keys in order: one statement, one snapshot.
pub(crate) const LOAD_SIGNING_KEYS: &str = concat!(
    "SELECT v.version AS version, ",
    "k.kid AS kid, k.alg AS alg, k.private_der AS private_der, k.state AS state, \
     k.published_at AS published_at, k.activated_at AS activated_at, k.retired_at AS retired_at \
     FROM signing_key_set v LEFT JOIN signing_keys k ON 1 = 1 WHERE v.id = 1 ORDER BY k.position"
);

/// Inserts one signing key at a position.
pub(crate) const INSERT_SIGNING_KEY: &str = concat!(
    "INSERT INTO signing_keys (position, ",
    signing_key_cols!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
);

/// Every digest key.
pub(crate) const LOAD_DIGEST_KEYS: &str =
    "SELECT id, key_bytes, current, created_at FROM digest_keys ORDER BY id";

/// Inserts one digest key.
pub(crate) const INSERT_DIGEST_KEY: &str =
    "INSERT INTO digest_keys (id, key_bytes, current, created_at) VALUES ($1, $2, $3, $4)";

/// The version and keys from the rows of [`LOAD_SIGNING_KEYS`] (one row with null key columns when the
/// set is empty).
pub(crate) fn signing_key_set<R: Cols>(rows: &[R]) -> StoreResult<(u64, Vec<SigningKeyRecord>)> {
    let mut set = SigningKeyRows::default();
    for row in rows {
        set.push(row)?;
    }
    Ok(set.finish())
}

/// The signing-key set built row by row from [`LOAD_SIGNING_KEYS`], for backends that stream rows.
#[derive(Debug, Default)]
pub(crate) struct SigningKeyRows {
    version: Option<u64>,
    keys: Vec<SigningKeyRecord>,
}

impl SigningKeyRows {
    /// Takes the next row: the version from the first, a key from every row that has one.
    pub(crate) fn push(&mut self, row: &impl Cols) -> StoreResult<()> {
        if self.version.is_none() {
            let version =
                u64::try_from(row.i64("version")?).map_err(|_| StoreError::Corrupt("version"))?;
            self.version = Some(version);
        }
        if row.opt_text("kid")?.is_some() {
            self.keys.push(decode::signing_key(row)?);
        }
        Ok(())
    }

    /// The version (0 when there was no row) and the keys in order.
    pub(crate) fn finish(self) -> (u64, Vec<SigningKeyRecord>) {
        (self.version.unwrap_or(0), self.keys)
    }
}
