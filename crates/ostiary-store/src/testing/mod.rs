//! The backend conformance suite (feature `testing`): every promise of [`crate::traits`], checked against
//! any [`Store`](crate::Store).
//!
//! Each case is a `pub async fn case<S: Store>(store: S)` that takes a fresh, empty store and panics with a
//! message naming the broken promise. A backend runs every case as its own test with
//! [`conformance_tests!`](crate::conformance_tests), which expands to one `#[test]` per case, each on its
//! own multi-thread tokio runtime (4 workers) so the concurrency cases really race.
//!
//! # Using it from a backend
//!
//! In the backend's `Cargo.toml`:
//!
//! ```toml
//! [dev-dependencies]
//! ostiary-store = { workspace = true, features = ["testing"] }
//! ```
//!
//! In one of its test modules, give a factory that returns a fresh, empty store (a fresh database or
//! schema for SQL backends), then expand the suite in a module of its own (the tests are named after the
//! cases). This is how `ostiary-store` runs it on [`MemoryStore`](crate::memory::MemoryStore):
//!
//! ```
//! async fn fresh_store() -> ostiary_store::memory::MemoryStore {
//!     ostiary_store::memory::MemoryStore::new()
//! }
//!
//! mod conformance {
//!     ostiary_store::conformance_tests!(super::fresh_store);
//! }
//! # fn main() {}
//! ```
//!
//! A backend that cannot always run (PostgreSQL without `OSTIARY_TEST_POSTGRES_URL`) gives a factory
//! returning `Option<S>` and uses the `optional:` form; a `None` skips the case and says so loudly on
//! stderr:
//!
//! ```
//! # use ostiary_store::memory::MemoryStore as PgStore;
//! async fn fresh_postgres() -> Option<PgStore> {
//!     let _url = std::env::var("OSTIARY_TEST_POSTGRES_URL").ok()?;
//!     Some(PgStore::new()) // connect, create a fresh schema, migrate
//! }
//!
//! mod postgres_conformance {
//!     ostiary_store::conformance_tests!(optional: super::fresh_postgres);
//! }
//! # fn main() {}
//! ```
//!
//! The factory is any expression that can be called with no argument and awaited (a path, a closure
//! returning a future). The macro needs nothing from the calling crate beyond `ostiary-store` with this
//! feature: the runtime comes from this crate's own tokio dependency.
//!
//! A single case can also be called directly, for example
//! `ostiary_store::testing::codes_consume_once(store).await` inside a test of one's own.

// The suite reports a broken promise the way a test does: by panicking with a message.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use std::future::Future;
use std::io::Write;

mod clients;
mod codes;
mod fixtures;
mod grants;
mod keys;
mod org;
mod outbox;
mod purge;
mod race;
mod race_grants;
mod registry;
mod rotation;
mod sessions;
mod tokens;
mod users;

pub use clients::*;
pub use codes::*;
pub use grants::*;
pub use keys::*;
pub use org::*;
pub use outbox::*;
pub use purge::*;
pub use race::*;
pub use race_grants::*;
pub use registry::*;
pub use rotation::*;
pub use sessions::*;
pub use tokens::*;
pub use users::*;

/// Runs one case on a fresh multi-thread tokio runtime with 4 workers. Used by
/// [`conformance_tests!`](crate::conformance_tests); not a stable API.
#[doc(hidden)]
pub fn __run<F: Future<Output = ()>>(case: F) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .expect("conformance suite: cannot build a tokio runtime");
    runtime.block_on(case);
}

/// Reports a case skipped because its factory gave no store. Not a stable API.
///
/// Written to the process's stderr directly: libtest captures `eprintln!` of passing tests, and a
/// skipped case must never pass unnoticed. A failed write (stderr closed) is ignored: there is nowhere
/// else to say it.
#[doc(hidden)]
pub fn __skipped(case: &str) {
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(
        stderr,
        "SKIPPED conformance case `{case}`: the store factory returned None (backend not configured)"
    );
}

/// Expands to one `#[test]` per conformance case, each running on a fresh store from `$factory`.
///
/// - `conformance_tests!(factory)`: `factory()` returns a future of a fresh, empty `S: Store`.
/// - `conformance_tests!(optional: factory)`: `factory()` returns a future of `Option<S>`; `None` skips
///   the case, loudly.
///
/// See [the module documentation](crate::testing) for a complete example.
#[macro_export]
macro_rules! conformance_tests {
    (optional: $factory:expr) => {
        $crate::__conformance_cases!(@optional $factory);
    };
    ($factory:expr) => {
        $crate::__conformance_cases!(@always $factory);
    };
}

/// The list of cases behind [`conformance_tests!`]. Not a stable API.
#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_cases {
    (@always $factory:expr; $($case:ident),* $(,)?) => {
        $(
            #[test]
            fn $case() {
                $crate::testing::__run(async {
                    let store = ($factory)().await;
                    $crate::testing::$case(store).await;
                });
            }
        )*
    };
    (@optional $factory:expr; $($case:ident),* $(,)?) => {
        $(
            #[test]
            fn $case() {
                $crate::testing::__run(async {
                    match ($factory)().await {
                        ::core::option::Option::Some(store) => $crate::testing::$case(store).await,
                        ::core::option::Option::None => $crate::testing::__skipped(stringify!($case)),
                    }
                });
            }
        )*
    };
    (@$mode:ident $factory:expr) => {
        $crate::__conformance_cases!(@$mode $factory;
            clients_crud_and_pagination,
            clients_catalogue_filter,
            users_crud_and_pagination,
            users_logins_are_unique,
            organizations_and_memberships,
            consents_crud,
            registry_end_to_end,
            registry_delete_cascades,
            sessions_lookup,
            sessions_signed_in,
            sessions_clients,
            sessions_clients_from_families,
            sessions_end_revokes_and_notifies,
            sessions_reauthenticate,
            codes_consume_once,
            codes_replay_revokes_family,
            codes_expiry,
            codes_replay_blocks_create_family,
            codes_exchange,
            tokens_create_and_lookup,
            tokens_revoke_single_and_family,
            tokens_revoke_by_paths,
            tokens_refresh_with_user,
            grants_refused_after_session_end,
            grants_refused_without_active_authorization,
            rotation_rotates,
            rotation_retry_within_window,
            rotation_retry_refused_after_successor_rotated,
            rotation_replay_after_window,
            rotation_invalid,
            rotation_checked,
            org_transition_table,
            org_activation_expiry_and_uniqueness,
            org_revoke_revokes_families,
            outbox_claim_leases,
            outbox_attempt_outcomes,
            outbox_ordering,
            keys_signing_compare_and_swap,
            keys_digest_keys,
            purge_removes_exactly_what_is_due,
            purge_respects_batch,
            purge_keeps_spent_codes_for_tombstone,
            purge_clears_sealed_retries,
            purge_fails_expired_pending_authorizations,
            race_consume_code,
            race_exchange_code,
            race_rotate_refresh_within_window,
            race_rotate_refresh_expired_window,
            race_end_session,
            race_claim_outbox,
            race_reauthenticate_session,
            race_create_family_end_session,
            race_create_family_revoke_authorization,
        );
    };
}
