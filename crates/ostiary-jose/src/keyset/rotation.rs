//! Scheduled key rotation: next → active → retired → dropped.

use super::{KeySet, KeySetError, KeyState, ManagedKey};
use crate::{KeyError, MAX_LEEWAY, SigningKey};

const DAY: i64 = 24 * 60 * 60;

/// When keys move between states. All durations are in seconds.
///
/// A key is created as **next** and published in the JWKS. It is promoted to **active** once
/// it has been published for `next_publish_lead` (so relying parties' JWKS caches know it
/// before it signs anything) *and* the current active key has signed for `active_lifetime`.
/// The old active key becomes **retired** and stays published for `max_token_lifetime +
/// retire_leeway` after retirement (every token it signed has expired by then), then drops out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RotationPolicy {
    /// How long a key signs before the next key replaces it.
    pub active_lifetime: i64,
    /// How long a next key must have been published before it may sign (cover the longest
    /// JWKS cache lifetime of relying parties).
    pub next_publish_lead: i64,
    /// The longest lifetime of any token signed by these keys (ID, logout and JWT access
    /// tokens).
    pub max_token_lifetime: i64,
    /// Extra time a retired key stays published: clock skew and verification leeway.
    pub retire_leeway: i64,
}

impl Default for RotationPolicy {
    /// Active for 30 days, next published a day ahead, tokens living at most a day, plus the
    /// maximum verification leeway.
    fn default() -> Self {
        RotationPolicy {
            active_lifetime: 30 * DAY,
            next_publish_lead: DAY,
            max_token_lifetime: DAY,
            retire_leeway: i64::from(MAX_LEEWAY),
        }
    }
}

impl RotationPolicy {
    fn validate(&self) -> Result<(), KeySetError> {
        let durations = [
            self.active_lifetime,
            self.next_publish_lead,
            self.max_token_lifetime,
            self.retire_leeway,
        ];
        if durations.iter().any(|d| *d < 0) {
            return Err(KeySetError::InvalidPolicy);
        }
        Ok(())
    }
}

/// What a [`KeySet::rotate`] call changed (by `kid`). Persist the set when
/// [`RotationReport::changed`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RotationReport {
    /// A new next key was created and published.
    pub created: Option<String>,
    /// This next key became active.
    pub promoted: Option<String>,
    /// This active key was retired.
    pub retired: Option<String>,
    /// These retired keys dropped out of the JWKS.
    pub removed: Vec<String>,
}

impl RotationReport {
    /// Whether anything changed.
    pub fn changed(&self) -> bool {
        self.created.is_some()
            || self.promoted.is_some()
            || self.retired.is_some()
            || !self.removed.is_empty()
    }
}

impl KeySet {
    /// Moves keys along their states at time `now`; safe to call on a schedule (every
    /// minute is fine: a call with nothing due changes nothing).
    ///
    /// In one call, in this order:
    /// 1. retired keys whose `retired_at + max_token_lifetime + retire_leeway <= now` drop out;
    /// 2. if the next key has been published for `next_publish_lead` and the active key has
    ///    been active for `active_lifetime`, the active key is retired at `now` and the next
    ///    key becomes active at `now`;
    /// 3. if there is no next key (first start, or just promoted), `new_key` creates one,
    ///    published at `now`.
    ///
    /// `new_key` is called at most once, and before anything changes: if it fails (e.g. RS256,
    /// which cannot be generated: pass a closure that imports one) the set is left untouched.
    ///
    /// ```
    /// use ostiary_jose::{Algorithm, KeySet, RotationPolicy, SigningKey};
    ///
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let policy = RotationPolicy::default();
    /// let generate = || SigningKey::generate(Algorithm::Es256);
    /// let mut keys = KeySet::bootstrap(0, generate)?;
    /// let first = keys.active().kid().to_owned();
    ///
    /// // A scheduler calls this every minute; most calls change nothing.
    /// assert!(!keys.rotate(60, &policy, generate)?.changed());
    ///
    /// // After `active_lifetime`, the next key takes over and the old one is retired.
    /// let report = keys.rotate(policy.active_lifetime, &policy, generate)?;
    /// assert_eq!(report.retired.as_deref(), Some(first.as_str()));
    /// assert!(keys.jwks_json().contains(&first), "still published for verification");
    /// // Persist `keys.keys()` whenever `report.changed()`.
    /// # Ok(())
    /// # }
    /// ```
    pub fn rotate(
        &mut self,
        now: i64,
        policy: &RotationPolicy,
        new_key: impl FnOnce() -> Result<SigningKey, KeyError>,
    ) -> Result<RotationReport, KeySetError> {
        policy.validate()?;
        let drop_after = policy
            .max_token_lifetime
            .saturating_add(policy.retire_leeway);
        let expired = |key: &ManagedKey| {
            key.retired_at
                .is_some_and(|retired| now >= retired.saturating_add(drop_after))
        };
        let promote = self.next.as_ref().is_some_and(|next| {
            let activated = self.active.activated_at.unwrap_or(self.active.published_at);
            now >= next.published_at.saturating_add(policy.next_publish_lead)
                && now >= activated.saturating_add(policy.active_lifetime)
        });

        // Create the new key first, so a failure leaves the set as it was.
        let fresh = if self.next.is_none() || promote {
            let key = new_key().map_err(KeySetError::NewKey)?;
            if self.keys().any(|existing| existing.kid() == key.kid()) {
                return Err(KeySetError::DuplicateKid);
            }
            Some(key)
        } else {
            None
        };

        let mut report = RotationReport::default();
        let (gone, kept) = std::mem::take(&mut self.retired)
            .into_iter()
            .partition::<Vec<_>, _>(|key| expired(key));
        self.retired = kept;
        report.removed = gone.iter().map(|key| key.kid().to_owned()).collect();

        if promote && let Some(mut next) = self.next.take() {
            next.state = KeyState::Active;
            next.activated_at = Some(now);
            let mut old = std::mem::replace(&mut self.active, next);
            old.state = KeyState::Retired;
            old.retired_at = Some(now);
            report.retired = Some(old.kid().to_owned());
            report.promoted = Some(self.active.kid().to_owned());
            self.retired.push(old);
        }
        if let Some(key) = fresh {
            report.created = Some(key.kid().to_owned());
            self.next = Some(ManagedKey {
                key,
                state: KeyState::Next,
                published_at: now,
                activated_at: None,
                retired_at: None,
            });
        }
        if report.changed() {
            self.jwks_json = self.jwks().to_json();
        }
        Ok(report)
    }
}
