//! Expiry housekeeping.

use std::hash::Hash;

use super::{MemoryStore, State};
use crate::StoreResult;
use crate::records::*;
use crate::traits::{Maintenance, PurgeReport};

/// Up to `batch` keys of `map` whose value passes `due`.
fn due_keys<'a, K: Copy + 'a, V: 'a>(
    map: impl IntoIterator<Item = (&'a K, &'a V)>,
    batch: usize,
    due: impl Fn(&V) -> bool,
) -> Vec<K> {
    map.into_iter()
        .filter(|(_, v)| due(v))
        .map(|(k, _)| *k)
        .take(batch)
        .collect()
}

/// Removes `keys` from `map` and counts them.
fn remove_all<K: Eq + Hash, V>(map: &mut std::collections::HashMap<K, V>, keys: Vec<K>) -> u64 {
    keys.iter().filter(|k| map.remove(k).is_some()).count() as u64
}

impl State {
    fn purge_expired(
        &mut self,
        now: UnixTime,
        code_tombstone_secs: i64,
        batch: usize,
    ) -> PurgeReport {
        let mut report = PurgeReport::default();

        // Spent codes stay for the tombstone period so a replay can still revoke its family.
        let codes = due_keys(&self.codes, batch, |c| {
            c.code.expires_at.saturating_add(code_tombstone_secs) < now
        });
        report.codes = remove_all(&mut self.codes, codes);

        let access = due_keys(&self.access_tokens, batch, |t| t.expires_at < now);
        report.access_tokens = remove_all(&mut self.access_tokens, access);
        let refresh = due_keys(&self.refresh_tokens, batch, |t| t.expires_at < now);
        report.refresh_tokens = remove_all(&mut self.refresh_tokens, refresh);

        // A token of an expired family is inactive, whatever its own expiry: the family goes without
        // waiting for its tokens, as in the SQL stores.
        let families = due_keys(&self.families, batch, |f| f.expires_at < now);
        report.families = remove_all(&mut self.families, families);

        let sessions = due_keys(&self.sessions, batch, |s| s.expires_at < now);
        for id in &sessions {
            if let Some(session) = self.sessions.remove(id) {
                self.session_by_cookie.remove(&session.cookie_digest);
                report.sessions += 1;
            }
        }

        let pending = due_keys(&self.org_authorizations, batch, |a| {
            a.state == OrgAuthorizationState::Pending && a.pending_expires_at <= now
        });
        for id in &pending {
            if let Some(auth) = self.org_authorizations.get_mut(id) {
                auth.state = OrgAuthorizationState::Failed;
                auth.failed = Some((Actor::System, now));
                report.org_authorizations_failed += 1;
            }
        }

        let sealed = due_keys(&self.refresh_tokens, batch, |t| {
            t.sealed_retry.is_some() && t.retry_until.is_some_and(|until| until < now)
        });
        for digest in &sealed {
            if let Some(token) = self.refresh_tokens.get_mut(digest) {
                token.sealed_retry = None;
                report.sealed_retries_cleared += 1;
            }
        }
        report
    }
}

impl Maintenance for MemoryStore {
    async fn purge_expired(
        &self,
        now: UnixTime,
        code_tombstone_secs: i64,
        batch: usize,
    ) -> StoreResult<PurgeReport> {
        Ok(self.with(|s| s.purge_expired(now, code_tombstone_secs, batch)))
    }
}
