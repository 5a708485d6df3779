//! The back-channel logout outbox.

use super::{MemoryStore, State};
use crate::records::*;
use crate::traits::LogoutOutbox;
use crate::{ClientId, OutboxId, StoreError, StoreResult};

impl State {
    fn enqueue_logouts(&mut self, entries: &[OutboxEntry]) -> StoreResult<()> {
        let duplicate = entries.iter().enumerate().any(|(i, entry)| {
            self.outbox.contains_key(&entry.id)
                || entries.iter().skip(i + 1).any(|other| other.id == entry.id)
        });
        if duplicate {
            return Err(StoreError::Conflict("outbox id"));
        }
        for entry in entries {
            if entry.outcome == OutboxOutcome::Pending {
                self.outbox_due.insert((entry.next_attempt_at, entry.id));
            }
            self.outbox.insert(entry.id, entry.clone());
        }
        Ok(())
    }

    fn claim_due_logouts(
        &mut self,
        now: UnixTime,
        lease_until: UnixTime,
        limit: usize,
    ) -> Vec<OutboxEntry> {
        let due: Vec<(UnixTime, OutboxId)> = self
            .outbox_due
            .iter()
            .take_while(|(at, _)| *at <= now)
            .take(limit)
            .copied()
            .collect();
        let mut claimed = Vec::with_capacity(due.len());
        for key in due {
            self.outbox_due.remove(&key);
            if let Some(entry) = self.outbox.get_mut(&key.1) {
                entry.attempts = entry.attempts.saturating_add(1);
                entry.next_attempt_at = lease_until;
                self.outbox_due.insert((lease_until, entry.id));
                claimed.push(entry.clone());
            }
        }
        claimed
    }

    fn record_logout_attempt(
        &mut self,
        id: OutboxId,
        result: &AttemptResult,
        now: UnixTime,
    ) -> bool {
        let Some(entry) = self.outbox.get_mut(&id) else {
            return false;
        };
        if entry.outcome != OutboxOutcome::Pending {
            return false;
        }
        self.outbox_due.remove(&(entry.next_attempt_at, id));
        match result {
            AttemptResult::Delivered => {
                entry.outcome = OutboxOutcome::Delivered;
                entry.finished_at = Some(now);
            }
            AttemptResult::RetryAt { retry_at, error } => {
                entry.next_attempt_at = *retry_at;
                entry.last_error = Some(error.clone());
                self.outbox_due.insert((*retry_at, id));
            }
            AttemptResult::GiveUp { error } => {
                entry.outcome = OutboxOutcome::GaveUp;
                entry.last_error = Some(error.clone());
                entry.finished_at = Some(now);
            }
        }
        true
    }
}

impl LogoutOutbox for MemoryStore {
    async fn enqueue_logouts(&self, entries: &[OutboxEntry]) -> StoreResult<()> {
        self.with(|s| s.enqueue_logouts(entries))
    }

    async fn claim_due_logouts(
        &self,
        now: UnixTime,
        lease_until: UnixTime,
        limit: usize,
    ) -> StoreResult<Vec<OutboxEntry>> {
        Ok(self.with(|s| s.claim_due_logouts(now, lease_until, limit)))
    }

    async fn record_logout_attempt(
        &self,
        id: OutboxId,
        result: &AttemptResult,
        now: UnixTime,
    ) -> StoreResult<bool> {
        Ok(self.with(|s| s.record_logout_attempt(id, result, now)))
    }

    async fn get_logout(&self, id: OutboxId) -> StoreResult<Option<OutboxEntry>> {
        Ok(self.with(|s| s.outbox.get(&id).cloned()))
    }

    async fn list_logouts(
        &self,
        client: Option<ClientId>,
        limit: usize,
    ) -> StoreResult<Vec<OutboxEntry>> {
        Ok(self.with(|s| {
            let mut list: Vec<OutboxEntry> = s
                .outbox
                .values()
                .filter(|entry| client.is_none_or(|c| entry.client_id == c))
                .cloned()
                .collect();
            // Newest first; ties in descending id order.
            list.sort_by_key(|item| std::cmp::Reverse((item.created_at, item.id)));
            list.truncate(limit);
            list
        }))
    }
}
