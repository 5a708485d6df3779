//! Writing record fields into columns, shared by both backends.

use ostiary_store::records::*;
use ostiary_store::{StoreError, StoreResult};
use uuid::Uuid;

/// An `amr` list as a JSON array.
pub(crate) fn amr(values: &[String]) -> StoreResult<String> {
    serde_json::to_string(values).map_err(StoreError::backend)
}

/// The logins of a user: its username, and its e-mail when it differs (OIDC has them share one namespace
/// here, see `UserStore::insert_user`).
pub(crate) fn logins(user: &User) -> impl Iterator<Item = &str> {
    std::iter::once(user.username.as_str()).chain(
        user.email
            .as_deref()
            .filter(|email| *email != user.username),
    )
}

/// Client metadata as JSON.
pub(crate) fn metadata(metadata: &ClientMetadata) -> StoreResult<String> {
    serde_json::to_string(metadata).map_err(StoreError::backend)
}

/// Profile claims as JSON.
pub(crate) fn profile(profile: &Profile) -> StoreResult<String> {
    serde_json::to_string(profile).map_err(StoreError::backend)
}

/// An actor as `(type, id)`.
pub(crate) fn actor(actor: &Actor) -> StoreResult<(&'static str, Option<Uuid>)> {
    match actor {
        Actor::User(id) => Ok(("user", Some(*id.as_uuid()))),
        Actor::Client(id) => Ok(("client", Some(*id.as_uuid()))),
        Actor::System => Ok(("system", None)),
        _ => Err(StoreError::Invalid("unsupported actor kind".into())),
    }
}

/// A family subject as `(type, id)`.
pub(crate) fn subject(subject: &Subject) -> StoreResult<(&'static str, Uuid)> {
    match subject {
        Subject::User(id) => Ok(("user", *id.as_uuid())),
        Subject::Organization(id) => Ok(("organization", *id.as_uuid())),
        _ => Err(StoreError::Invalid("unsupported subject kind".into())),
    }
}

/// A `usize` limit as a SQL `LIMIT` (saturating: a limit past `i64::MAX` is no limit).
pub(crate) fn limit(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

/// The columns an [`AttemptResult`] writes: `(outcome, next_attempt_at, last_error, finished)`.
/// `next_attempt_at` is `None` when the attempt leaves it as it is; `last_error` `None` likewise.
pub(crate) fn attempt(
    result: &AttemptResult,
) -> StoreResult<(&'static str, Option<UnixTime>, Option<&str>, bool)> {
    match result {
        AttemptResult::Delivered => Ok((OutboxOutcome::Delivered.as_str(), None, None, true)),
        AttemptResult::RetryAt { retry_at, error } => Ok((
            OutboxOutcome::Pending.as_str(),
            Some(*retry_at),
            Some(error.as_str()),
            false,
        )),
        AttemptResult::GiveUp { error } => Ok((
            OutboxOutcome::GaveUp.as_str(),
            None,
            Some(error.as_str()),
            true,
        )),
        _ => Err(StoreError::Invalid("unsupported attempt result".into())),
    }
}
