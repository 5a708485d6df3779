//! The Argon2id hash rate of this machine, measured in-process with the server's default cost
//! (RFC 9106 §4 second recommended option, as OWASP: 19 MiB, 2 passes, 1 lane), so the password
//! workload's flows/s can be read against the work it cannot avoid.

use std::time::{Duration, Instant};

use argon2::{Algorithm, Argon2, Params, Version};
use serde::Serialize;

/// Memory cost, KiB (the server's default).
pub const MEMORY_KIB: u32 = 19 * 1024;
/// Passes.
pub const ITERATIONS: u32 = 2;
/// Lanes.
pub const PARALLELISM: u32 = 1;

/// A measured hash rate.
#[derive(Clone, Debug, Serialize)]
pub struct HashRate {
    /// Threads hashing at once.
    pub threads: usize,
    /// Hashes computed.
    pub hashes: u64,
    /// Seconds spent.
    pub seconds: f64,
    /// Hashes per second over all threads.
    pub per_second: f64,
}

/// Argon2 rejected the parameters (not expected with the constants above).
#[derive(Debug, thiserror::Error)]
#[error("invalid Argon2id parameters")]
pub struct ArgonError;

/// Hashes on `threads` threads for about `duration` (at least one hash each).
pub fn measure(duration: Duration, threads: usize) -> Result<HashRate, ArgonError> {
    let params =
        Params::new(MEMORY_KIB, ITERATIONS, PARALLELISM, Some(32)).map_err(|_| ArgonError)?;
    let threads = threads.max(1);
    let start = Instant::now();
    let deadline = start + duration;
    let counts: Vec<Result<u64, ArgonError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let params = params.clone();
                scope.spawn(move || {
                    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
                    let salt = [t as u8; 16];
                    let mut out = [0u8; 32];
                    let mut n = 0u64;
                    loop {
                        argon
                            .hash_password_into(b"correct horse battery staple", &salt, &mut out)
                            .map_err(|_| ArgonError)?;
                        n += 1;
                        if Instant::now() >= deadline {
                            return Ok(n);
                        }
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or(Err(ArgonError)))
            .collect()
    });
    let seconds = start.elapsed().as_secs_f64();
    let mut hashes = 0;
    for count in counts {
        hashes += count?;
    }
    #[allow(clippy::cast_precision_loss)]
    let per_second = hashes as f64 / seconds.max(f64::EPSILON);
    Ok(HashRate {
        threads,
        hashes,
        seconds,
        per_second,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measures_at_least_one_hash_per_thread() {
        let rate = measure(Duration::ZERO, 2).unwrap();
        assert_eq!(rate.threads, 2);
        assert!(rate.hashes >= 2);
        assert!(rate.per_second > 0.0);
    }
}
