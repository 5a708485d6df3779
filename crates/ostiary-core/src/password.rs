//! User passwords: Argon2id (RFC 9106) in PHC string format, hashed and verified off the async runtime.

use std::sync::Arc;

use argon2::password_hash::phc::PasswordHash as PhcHash;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use argon2::{Algorithm, Argon2, Params, Version};
use ostiary_store::PasswordHash;
use zeroize::Zeroizing;

use crate::config::PasswordCost;

/// The shortest password accepted when setting one.
pub const MIN_PASSWORD_CHARS: usize = 10;
/// The longest password accepted (bounds hashing cost per request).
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// Why a password could not be set or checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PasswordError {
    /// Fewer than [`MIN_PASSWORD_CHARS`] characters.
    #[error("the password must have at least 10 characters")]
    TooShort,
    /// More than [`MAX_PASSWORD_BYTES`] bytes.
    #[error("the password is too long")]
    TooLong,
    /// The configured cost parameters are invalid.
    #[error("invalid Argon2id parameters")]
    Parameters,
    /// Hashing failed (random salt unavailable), or the blocking task was lost.
    #[error("password hashing failed")]
    Hashing,
}

/// Hashes and verifies user passwords with Argon2id.
#[derive(Clone)]
pub struct PasswordHasher {
    argon2: Arc<Argon2<'static>>,
    /// A hash of a random password, verified when the user does not exist so that response times do not
    /// tell whether an account exists.
    dummy: Arc<PasswordHash>,
}

impl std::fmt::Debug for PasswordHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordHasher(Argon2id)")
    }
}

impl PasswordHasher {
    /// A hasher with the given cost.
    pub fn new(cost: PasswordCost) -> Result<Self, PasswordError> {
        let params = Params::new(cost.memory_kib, cost.iterations, cost.parallelism, None)
            .map_err(|_| PasswordError::Parameters)?;
        let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let dummy = hash_with(&argon2, "ostiary dummy password for absent users")?;
        Ok(Self {
            argon2: Arc::new(argon2),
            dummy: Arc::new(dummy),
        })
    }

    /// Hashes a new password after checking its length. Runs on a blocking thread.
    pub async fn hash(&self, password: Zeroizing<String>) -> Result<PasswordHash, PasswordError> {
        if password.chars().count() < MIN_PASSWORD_CHARS {
            return Err(PasswordError::TooShort);
        }
        if password.len() > MAX_PASSWORD_BYTES {
            return Err(PasswordError::TooLong);
        }
        let argon2 = Arc::clone(&self.argon2);
        tokio::task::spawn_blocking(move || hash_with(&argon2, &password))
            .await
            .map_err(|_| PasswordError::Hashing)?
    }

    /// Verifies `password` against `hash`, or against a dummy hash when `hash` is `None` (unknown user),
    /// so both cases cost the same. Runs on a blocking thread. Returns `false` on any failure.
    pub async fn verify(&self, password: Zeroizing<String>, hash: Option<PasswordHash>) -> bool {
        if password.len() > MAX_PASSWORD_BYTES {
            return false;
        }
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(|| PasswordHash::clone(&self.dummy));
        let argon2 = Arc::clone(&self.argon2);
        let verified = tokio::task::spawn_blocking(move || {
            let Ok(parsed) = PhcHash::new(hash.expose_secret()) else {
                return false;
            };
            argon2.verify_password(password.as_bytes(), &parsed).is_ok()
        })
        .await
        .unwrap_or(false);
        known && verified
    }
}

fn hash_with(argon2: &Argon2<'_>, password: &str) -> Result<PasswordHash, PasswordError> {
    let phc = argon2
        .hash_password(password.as_bytes())
        .map_err(|_| PasswordError::Hashing)?;
    Ok(PasswordHash::from_phc(phc.to_string()))
}

/// Normalizes a login name (username or e-mail) the way the store keeps them: trimmed and lower-cased.
pub fn normalize_login(login: &str) -> String {
    login.trim().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cheap() -> PasswordHasher {
        PasswordHasher::new(PasswordCost {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
        })
        .unwrap()
    }

    #[tokio::test]
    async fn hashes_verify_and_wrong_passwords_fail() {
        let hasher = cheap();
        let hash = hasher
            .hash(Zeroizing::new("correct horse battery".into()))
            .await
            .unwrap();
        assert!(hash.expose_secret().starts_with("$argon2id$v=19$"));
        assert!(
            hasher
                .verify(
                    Zeroizing::new("correct horse battery".into()),
                    Some(hash.clone())
                )
                .await
        );
        assert!(
            !hasher
                .verify(Zeroizing::new("correct horse battery!".into()), Some(hash))
                .await
        );
    }

    #[tokio::test]
    async fn unknown_users_never_verify() {
        let hasher = cheap();
        assert!(
            !hasher
                .verify(
                    Zeroizing::new("ostiary dummy password for absent users".into()),
                    None
                )
                .await
        );
    }

    #[tokio::test]
    async fn length_rules() {
        let hasher = cheap();
        assert_eq!(
            hasher.hash(Zeroizing::new("short".into())).await,
            Err(PasswordError::TooShort)
        );
        assert_eq!(
            hasher.hash(Zeroizing::new("x".repeat(1025))).await,
            Err(PasswordError::TooLong)
        );
    }

    #[test]
    fn logins_are_normalized() {
        assert_eq!(normalize_login("  Alice@Example.COM "), "alice@example.com");
    }
}
