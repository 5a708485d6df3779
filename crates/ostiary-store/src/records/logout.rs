use serde::{Deserialize, Serialize};

use super::UnixTime;
use crate::{ClientId, OutboxId, SessionId, UserId};

/// A back-channel logout notification waiting to be delivered, or delivered, or given up on
/// (OIDC Back-Channel Logout 1.0 §2.5–§2.8). It lives in the store, so a restart loses nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEntry {
    /// Its id.
    pub id: OutboxId,
    /// The client to notify.
    pub client_id: ClientId,
    /// Where to POST the logout token.
    pub backchannel_logout_uri: String,
    /// The logout token's subject claims; a fresh token is signed for every attempt.
    pub claims: LogoutClaims,
    /// Attempts made so far.
    pub attempts: u32,
    /// When the next attempt is due (or, while an attempt runs, when its lease ends).
    pub next_attempt_at: UnixTime,
    /// The outcome so far.
    pub outcome: OutboxOutcome,
    /// A short description of the last failure (status code or transport error), for operators.
    pub last_error: Option<String>,
    /// When the entry was created.
    pub created_at: UnixTime,
    /// When it was delivered or given up on.
    pub finished_at: Option<UnixTime>,
}

/// What a logout token says, apart from `iss`, `aud`, times and `jti`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogoutClaims {
    /// `sub`: the user logged out.
    pub sub: Option<UserId>,
    /// `sid`: the session ended.
    pub sid: Option<SessionId>,
    /// The `jti` kept across attempts so the client can recognize a retry.
    pub jti: String,
}

/// Where a notification stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum OutboxOutcome {
    /// Not yet delivered; will be retried.
    Pending,
    /// The client answered 200 (or 204).
    Delivered,
    /// Given up after the last attempt; kept for operators to see.
    GaveUp,
}

impl OutboxOutcome {
    /// The storage spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            OutboxOutcome::Pending => "pending",
            OutboxOutcome::Delivered => "delivered",
            OutboxOutcome::GaveUp => "gave_up",
        }
    }

    /// Parses the storage spelling.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "pending" => Some(OutboxOutcome::Pending),
            "delivered" => Some(OutboxOutcome::Delivered),
            "gave_up" => Some(OutboxOutcome::GaveUp),
            _ => None,
        }
    }
}

/// The result of one delivery attempt, recorded with [`crate::LogoutOutbox::record_logout_attempt`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AttemptResult {
    /// Delivered.
    Delivered,
    /// Failed; try again at `retry_at`.
    RetryAt {
        /// When to try again.
        retry_at: UnixTime,
        /// What went wrong.
        error: String,
    },
    /// Failed for the last time.
    GiveUp {
        /// What went wrong.
        error: String,
    },
}
