//! Refresh-token rotation on the SQLite store as the token endpoint drives it under load: `clients`
//! concurrent tasks (default 32), each with its own family, each looping over "read the presented
//! refresh token, rotate it" with a sealed retry response of a realistic size. Prints rotations per
//! second and the bytes the process wrote and read through system calls per rotation (WAL frames,
//! checkpoint copies), which is what the write path costs the kernel.
//!
//! Minted digests start with their minting time, so each token insert lands on the right-most leaf of
//! its digest index. `UNORDERED=1` overwrites that prefix with random bytes, as digests were before: what
//! the ordering saves.
//!
//! Run: `cargo run --release -p ostiary-benches --example rotation_churn -- [clients] [warm-up] [measured]`
#![allow(missing_docs)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use ostiary_store::{
    AccessTokenRecord, ClientId, DigestKeyMaterial, DigestKeyring, FamilyId, RefreshTokenRecord,
    RotateOutcome, Rotation, ScopeSet, SecretKind, Subject, TokenFamily, TokenStore, UserId,
};
use ostiary_store_sql::{SqliteOptions, SqliteStore};

const NOW: i64 = 1_767_225_600;

/// `(wchar, rchar)` of this process: bytes passed to write and read system calls.
fn io() -> (u64, u64) {
    let text = std::fs::read_to_string("/proc/self/io").unwrap_or_default();
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0)
    };
    (field("wchar:"), field("rchar:"))
}

struct Minter {
    keyring: DigestKeyring,
    client: ClientId,
    user: UserId,
    scope: ScopeSet,
}

impl Minter {
    fn digest(&self, kind: SecretKind) -> ostiary_store::Digest {
        let digest = self.keyring.mint(kind).unwrap().1;
        if std::env::var_os("UNORDERED").is_none() {
            return digest;
        }
        // The time prefix replaced by tag bytes from the other end of the digest: random, unordered.
        let mut bytes = *digest.as_bytes();
        let tail: [u8; 6] = bytes[26..].try_into().unwrap();
        bytes[..6].copy_from_slice(&tail);
        ostiary_store::Digest::from_bytes(bytes)
    }

    fn access(&self, family: FamilyId) -> AccessTokenRecord {
        AccessTokenRecord {
            digest: self.digest(SecretKind::AccessToken),
            family_id: family,
            scope: self.scope.clone(),
            issued_at: NOW,
            expires_at: NOW + 3600,
            revoked_at: None,
        }
    }

    fn refresh(&self, family: FamilyId) -> RefreshTokenRecord {
        RefreshTokenRecord {
            digest: self.digest(SecretKind::RefreshToken),
            family_id: family,
            issued_at: NOW,
            expires_at: NOW + 14 * 86_400,
            rotated_at: None,
            successor: None,
            retry_until: None,
            sealed_retry: None,
        }
    }
}

async fn churn(store: &SqliteStore, minter: &Minter, count: &AtomicU64, until: u64) {
    let family = TokenFamily {
        id: FamilyId::new_random(),
        client_id: minter.client,
        subject: Subject::User(minter.user),
        scope: minter.scope.clone(),
        session_id: None,
        org_authorization_id: None,
        auth_time: Some(NOW - 60),
        amr: vec!["pwd".to_owned()],
        created_at: NOW,
        expires_at: NOW + 30 * 86_400,
        revoked_at: None,
    };
    let mut presented = minter.refresh(family.id);
    store
        .create_family(
            &family,
            Some(&minter.access(family.id)),
            Some(&presented),
            None,
        )
        .await
        .unwrap();
    while count.fetch_add(1, Ordering::Relaxed) < until {
        let grant = store.get_refresh_token(presented.digest).await.unwrap();
        assert!(grant.is_some());
        let rotation = Rotation {
            presented: presented.digest,
            refresh: minter.refresh(family.id),
            access: minter.access(family.id),
            sealed_retry: vec![
                0x5a;
                std::env::var("SEALED")
                    .map(|s| s.parse().unwrap())
                    // A sealed retry of the token endpoint: nonce, tag, and the tokens and scope of
                    // the response (`seal::RetryState`; the whole ~1300-byte response before).
                    .unwrap_or(180)
            ],
            retry_until: NOW + 30,
            now: NOW + 1,
        };
        let outcome = store.rotate_refresh(&rotation).await.unwrap();
        assert_eq!(outcome, RotateOutcome::Rotated);
        presented = rotation.refresh;
    }
}

async fn phase(store: &SqliteStore, minter: &Arc<Minter>, clients: u64, rotations: u64) {
    let count = Arc::new(AtomicU64::new(0));
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let (store, minter, count) = (store.clone(), minter.clone(), count.clone());
            tokio::spawn(async move { churn(&store, &minter, &count, rotations).await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
}

fn main() {
    let mut args = std::env::args().skip(1).map(|a| a.parse::<u64>().unwrap());
    let clients = args.next().unwrap_or(32);
    let warmup = args.next().unwrap_or(50_000);
    let measured = args.next().unwrap_or(100_000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = rt
        .block_on(SqliteStore::open(SqliteOptions::new(
            dir.path().join("churn.db"),
        )))
        .unwrap();
    let minter = Arc::new(Minter {
        keyring: DigestKeyring::new([DigestKeyMaterial::generate(1).unwrap()], 1).unwrap(),
        client: ClientId::new_random(),
        user: UserId::new_random(),
        scope: ScopeSet::parse("openid profile email offline_access").unwrap(),
    });
    rt.block_on(phase(&store, &minter, clients, warmup));
    let (w0, r0) = io();
    let start = Instant::now();
    rt.block_on(phase(&store, &minter, clients, measured));
    let elapsed = start.elapsed().as_secs_f64();
    let (w1, r1) = io();
    let per = |bytes: u64| bytes as f64 / measured as f64 / 1024.0;
    println!(
        "{clients} clients: {:.0} rotations/s, written {:.1} KiB/rotation, read {:.1} KiB/rotation",
        measured as f64 / elapsed,
        per(w1 - w0),
        per(r1 - r0),
    );
    rt.block_on(store.close());
}
