//! The in-memory backend: every record in plain maps behind one mutex.
//!
//! [`MemoryStore`] implements every storage trait, so it is a [`crate::Store`]. It is meant for tests,
//! benchmarks and embedders that need no persistence: everything is lost when the last clone is dropped.
//!
//! Every operation takes the one lock, works on the maps synchronously and releases the lock before it
//! returns, so each operation is trivially atomic and no lock is ever held across an `.await`. The hot
//! paths are indexed: codes, access and refresh tokens by digest, sessions by cookie digest, users by
//! login (username or e-mail), the active organization authorization of an (organization, client) pair and
//! the pending logout notifications by due time.
//!
//! Memory grows with what is issued, like the SQL stores' files: a spent code, a rotated-out refresh
//! token and its family stay until they expire (so a replay is still detected and revokes the family)
//! and [`crate::Maintenance::purge_expired`] removes them; with the default 30-day refresh lifetime
//! that is the whole of a load test. One full run of the load suite on a 2-core machine (about 0.7
//! million rotations and sign-ins) left the server at ~800 MB; the SQLite store stayed at ~56 MB.
//!
//! ```
//! use ostiary_store::memory::MemoryStore;
//! use ostiary_store::{ClientFilter, ClientStore};
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let store = MemoryStore::new();
//! let shared = store.clone(); // clones share the same records
//! assert!(shared.list_clients(ClientFilter::All, None, 10).await?.is_empty());
//! # Ok::<(), ostiary_store::StoreError>(())
//! # }).unwrap();
//! ```

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use crate::records::*;
use crate::{ClientId, Digest, FamilyId, OrgAuthorizationId, OrganizationId, OutboxId};
use crate::{SessionId, UserId};

mod clients;
mod keys;
mod org;
mod outbox;
mod purge;
mod sessions;
mod tokens;
mod users;

/// The in-memory store. Cloning is cheap and clones share the same records.
#[derive(Clone, Default)]
pub struct MemoryStore {
    state: Arc<Mutex<State>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Runs `f` on the records under the lock.
    ///
    /// A poisoned lock is recovered rather than reported: every operation validates before it writes, and
    /// none of them can panic, so a poisoned state would only come from a panic outside this module's
    /// control and the maps are still consistent.
    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        let mut guard = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut guard)
    }
}

impl fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The records hold key material: never print them.
        f.write_str("MemoryStore { .. }")
    }
}

/// A stored authorization code with its single-use state.
struct StoredCode {
    code: AuthorizationCode,
    /// Consumed once: every later consume is a replay.
    spent: bool,
    /// Consumed again after it was spent: a family not yet created for it must never be.
    replayed: bool,
}

/// Every record, with the indexes the hot paths need.
#[derive(Default)]
struct State {
    clients: BTreeMap<ClientId, Client>,
    users: BTreeMap<UserId, User>,
    /// Usernames and e-mails share one namespace, so a login names at most one user.
    logins: HashMap<String, UserId>,
    organizations: BTreeMap<OrganizationId, Organization>,
    memberships: BTreeMap<(OrganizationId, UserId), Membership>,
    memberships_by_user: BTreeSet<(UserId, OrganizationId)>,
    consents: BTreeMap<(UserId, ClientId), Consent>,
    sessions: HashMap<SessionId, Session>,
    session_by_cookie: HashMap<Digest, SessionId>,
    codes: HashMap<Digest, StoredCode>,
    families: HashMap<FamilyId, TokenFamily>,
    access_tokens: HashMap<Digest, AccessTokenRecord>,
    refresh_tokens: HashMap<Digest, RefreshTokenRecord>,
    org_authorizations: HashMap<OrgAuthorizationId, OrgAuthorization>,
    /// The active authorization of each (organization, client) pair.
    active_org_authorizations: HashMap<(OrganizationId, ClientId), OrgAuthorizationId>,
    outbox: HashMap<OutboxId, OutboxEntry>,
    /// Pending outbox entries by `(next_attempt_at, id)`: the claim order.
    outbox_due: BTreeSet<(UnixTime, OutboxId)>,
    signing_keys: (u64, Vec<SigningKeyRecord>),
    digest_keys: BTreeMap<u16, DigestKeyRecord>,
}

impl State {
    /// Revokes one family. `false` if it is unknown or already revoked.
    fn revoke_family(&mut self, id: FamilyId, now: UnixTime) -> bool {
        match self.families.get_mut(&id) {
            Some(family) if family.revoked_at.is_none() => {
                family.revoked_at = Some(now);
                true
            }
            _ => false,
        }
    }

    /// Revokes every family not yet revoked that matches `select`, and counts them.
    fn revoke_families_where(
        &mut self,
        select: impl Fn(&TokenFamily) -> bool,
        now: UnixTime,
    ) -> u64 {
        let mut revoked = 0;
        for family in self.families.values_mut() {
            if family.revoked_at.is_none() && select(family) {
                family.revoked_at = Some(now);
                revoked += 1;
            }
        }
        revoked
    }
}

/// The entries of `map` after `after` (exclusive), in key order, that pass `keep`, at most `limit`.
fn page<K: Ord + Copy, V: Clone>(
    map: &BTreeMap<K, V>,
    after: Option<K>,
    limit: usize,
    keep: impl Fn(&V) -> bool,
) -> Vec<V> {
    use std::ops::Bound::{Excluded, Unbounded};
    let lower = after.map_or(Unbounded, Excluded);
    map.range((lower, Unbounded))
        .map(|(_, v)| v)
        .filter(|v| keep(v))
        .take(limit)
        .cloned()
        .collect()
}
