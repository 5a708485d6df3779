//! User passwords: Argon2id (RFC 9106) in PHC string format, hashed and verified off the async runtime.

use std::sync::Arc;

use std::sync::Mutex;

use argon2::password_hash::phc::PasswordHash as PhcHash;
use argon2::{Algorithm, Argon2, Block, Params, Version};
use base64ct::{Base64Unpadded, Encoding};
use ostiary_store::PasswordHash;
use ring::rand::{SecureRandom, SystemRandom};
use subtle::ConstantTimeEq;
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
///
/// Argon2id's working memory (19 MiB with the default cost) is taken from a small pool of buffers that are
/// reused, and at most `concurrency` hashes run at once (the others wait), so the memory a server holds
/// for passwords is bounded by `concurrency × memory` and does not grow with load: allocating a fresh
/// buffer per hash on blocking threads leaves each thread's allocator arena holding its own copy.
#[derive(Clone)]
pub struct PasswordHasher {
    inner: Arc<Hasher>,
}

struct Hasher {
    params: Params,
    /// Working buffers of `params.block_count()` blocks, reused between hashes.
    buffers: Mutex<Vec<Box<[Block]>>>,
    /// Bounds concurrent hashes (and so the number of buffers).
    slots: tokio::sync::Semaphore,
    /// A hash of a random password, verified when the user does not exist so that response times do not
    /// tell whether an account exists.
    dummy: PasswordHash,
    rng: SystemRandom,
}

impl std::fmt::Debug for PasswordHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordHasher(Argon2id)")
    }
}

/// Salt length in bytes (RFC 9106 §3.1 recommends 16).
const SALT_LEN: usize = 16;
/// Hash (tag) length in bytes.
const HASH_LEN: usize = 32;

impl PasswordHasher {
    /// A hasher with the given cost, running at most `concurrency` hashes at once (at least one).
    pub fn new(cost: PasswordCost, concurrency: usize) -> Result<Self, PasswordError> {
        let params = Params::new(
            cost.memory_kib,
            cost.iterations,
            cost.parallelism,
            Some(HASH_LEN),
        )
        .map_err(|_| PasswordError::Parameters)?;
        let concurrency = concurrency.max(1);
        let rng = SystemRandom::new();
        let mut buffer = new_buffer(params.block_count());
        let dummy = hash_into(
            &params,
            &rng,
            b"ostiary dummy password for absent users",
            &mut buffer,
        )?;
        let hasher = Hasher {
            params,
            buffers: Mutex::new(vec![buffer.into_boxed_slice()]),
            slots: tokio::sync::Semaphore::new(concurrency),
            dummy,
            rng,
        };
        Ok(Self {
            inner: Arc::new(hasher),
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
        self.run(move |hasher, buffer| {
            hash_into(&hasher.params, &hasher.rng, password.as_bytes(), buffer)
        })
        .await?
    }

    /// Verifies `password` against `hash`, or against a dummy hash when `hash` is `None` (unknown user),
    /// so both cases cost the same. Runs on a blocking thread. Returns `false` on any failure.
    pub async fn verify(&self, password: Zeroizing<String>, hash: Option<PasswordHash>) -> bool {
        if password.len() > MAX_PASSWORD_BYTES {
            return false;
        }
        let known = hash.is_some();
        let verified = self
            .run(move |hasher, buffer| {
                let hash = hash.as_ref().unwrap_or(&hasher.dummy);
                verify_into(hash.expose_secret(), password.as_bytes(), buffer)
            })
            .await
            .unwrap_or(false);
        known && verified
    }

    /// Runs `job` on a blocking thread with a pooled buffer, within the concurrency bound.
    async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce(&Hasher, &mut Vec<Block>) -> T + Send + 'static,
    ) -> Result<T, PasswordError> {
        let _slot = self
            .inner
            .slots
            .acquire()
            .await
            .map_err(|_| PasswordError::Hashing)?;
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || {
            let pooled = lock(&inner.buffers).pop();
            let mut buffer =
                pooled.map_or_else(|| new_buffer(inner.params.block_count()), Vec::from);
            let result = job(&inner, &mut buffer);
            if buffer.len() == inner.params.block_count() {
                lock(&inner.buffers).push(buffer.into_boxed_slice());
            }
            result
        })
        .await
        .map_err(|_| PasswordError::Hashing)
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn new_buffer(blocks: usize) -> Vec<Block> {
    vec![Block::default(); blocks]
}

/// Hashes `password` with a fresh random salt into a PHC string (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`).
fn hash_into(
    params: &Params,
    rng: &SystemRandom,
    password: &[u8],
    buffer: &mut Vec<Block>,
) -> Result<PasswordHash, PasswordError> {
    let mut salt = [0u8; SALT_LEN];
    rng.fill(&mut salt).map_err(|_| PasswordError::Hashing)?;
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let mut out = Zeroizing::new([0u8; HASH_LEN]);
    buffer.resize(params.block_count(), Block::default());
    argon2
        .hash_password_into_with_memory(password, &salt, out.as_mut(), buffer.as_mut_slice())
        .map_err(|_| PasswordError::Hashing)?;
    Ok(PasswordHash::from_phc(format!(
        "$argon2id$v=19$m={},t={},p={}${}${}",
        params.m_cost(),
        params.t_cost(),
        params.p_cost(),
        Base64Unpadded::encode_string(&salt),
        Base64Unpadded::encode_string(out.as_ref()),
    )))
}

/// Verifies `password` against a stored PHC string with the parameters and salt it names, using
/// `buffer` as working memory (grown if the stored cost is higher than the current one).
fn verify_into(phc: &str, password: &[u8], buffer: &mut Vec<Block>) -> bool {
    let Ok(parsed) = PhcHash::new(phc) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (&parsed.salt, &parsed.hash) else {
        return false;
    };
    let Ok(algorithm) = Algorithm::try_from(parsed.algorithm.as_str()) else {
        return false;
    };
    let version = match parsed.version.map(Version::try_from).transpose() {
        Ok(version) => version.unwrap_or_default(),
        Err(_) => return false,
    };
    let Ok(params) = Params::try_from(&parsed) else {
        return false;
    };
    // Bound the work a stored hash can ask for (16 GiB would be a denial of service).
    if params.block_count() > MAX_VERIFY_BLOCKS {
        return false;
    }
    buffer.resize(params.block_count(), Block::default());
    let argon2 = Argon2::new(algorithm, version, params);
    let mut out = Zeroizing::new(vec![0u8; expected.len()]);
    if argon2
        .hash_password_into_with_memory(password, salt, &mut out, buffer.as_mut_slice())
        .is_err()
    {
        return false;
    }
    out.ct_eq(expected.as_bytes()).into()
}

/// The most Argon2 memory a stored hash may ask for when verifying (1 GiB).
const MAX_VERIFY_BLOCKS: usize = 1024 * 1024;

/// Normalizes a login name (username or e-mail) the way the store keeps them: trimmed and lower-cased.
pub fn normalize_login(login: &str) -> String {
    login.trim().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cheap() -> PasswordHasher {
        PasswordHasher::new(
            PasswordCost {
                memory_kib: 64,
                iterations: 1,
                parallelism: 1,
            },
            2,
        )
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
    async fn interoperates_with_the_argon2_crates_own_phc_strings() {
        use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
        let hasher = cheap();
        // A hash made by the argon2 crate (other salt length, other cost) verifies here…
        let params = Params::new(128, 2, 1, None).unwrap();
        let theirs = Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
            .hash_password(b"correct horse battery")
            .unwrap()
            .to_string();
        let theirs = PasswordHash::from_phc(theirs);
        assert!(
            hasher
                .verify(
                    Zeroizing::new("correct horse battery".into()),
                    Some(theirs.clone())
                )
                .await
        );
        assert!(
            !hasher
                .verify(Zeroizing::new("correct horse batterz".into()), Some(theirs))
                .await
        );
        // …and ours verifies with the argon2 crate.
        let ours = hasher
            .hash(Zeroizing::new("correct horse battery".into()))
            .await
            .unwrap();
        let parsed = PhcHash::new(ours.expose_secret()).unwrap();
        assert!(
            Argon2::default()
                .verify_password(b"correct horse battery", &parsed)
                .is_ok()
        );
    }

    #[tokio::test]
    async fn malformed_or_hostile_stored_hashes_never_verify() {
        let hasher = cheap();
        for phc in [
            "",
            "not a hash",
            "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ",
            "$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
            "$argon2id$v=19$m=4294967295,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
        ] {
            let hash = PasswordHash::from_phc(phc.to_owned());
            assert!(
                !hasher
                    .verify(Zeroizing::new("correct horse battery".into()), Some(hash))
                    .await,
                "{phc}"
            );
        }
    }

    #[tokio::test]
    async fn buffers_are_reused_and_bounded_by_the_concurrency() {
        let hasher = PasswordHasher::new(
            PasswordCost {
                memory_kib: 64,
                iterations: 1,
                parallelism: 1,
            },
            2,
        )
        .unwrap();
        let hash = hasher
            .hash(Zeroizing::new("correct horse battery".into()))
            .await
            .unwrap();
        let tasks: Vec<_> = (0..16)
            .map(|_| {
                let (hasher, hash) = (hasher.clone(), hash.clone());
                tokio::spawn(async move {
                    hasher
                        .verify(Zeroizing::new("correct horse battery".into()), Some(hash))
                        .await
                })
            })
            .collect();
        for task in tasks {
            assert!(task.await.unwrap());
        }
        let pooled = lock(&hasher.inner.buffers).len();
        assert!(
            (1..=2).contains(&pooled),
            "{pooled} buffers kept for a concurrency of 2"
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
