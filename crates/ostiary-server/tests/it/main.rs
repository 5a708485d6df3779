//! End-to-end tests of the Ostiary server: the server runs in-process on an ephemeral loopback port and is
//! driven over real HTTP by real client libraries (`openidconnect`, `oauth2`, `reqwest` with a cookie jar
//! standing in for the browser).
//!
//! Every case is a generic `async fn case<S: Backend>()` and runs on each store backend: in memory,
//! SQLite (a temporary file) and PostgreSQL (a fresh database per case on the server named by
//! `OSTIARY_TEST_POSTGRES_URL`; reported as SKIPPED, loudly, when it is unset).

// Test code: a failed expectation is a panic, and skipped cases are announced on stderr.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr,
    missing_docs,
    unreachable_pub
)]

mod authorize;
mod backends;
mod browser;
mod client;
mod flows;
mod forms;
mod harness;
mod hostile;
mod http_rules;
mod operations;
mod refresh;
mod resource;
mod token;

/// Runs each named case (a generic `async fn name<S: Backend>()` in one of the modules, imported here)
/// once per backend: `memory::name`, `sqlite::name`, `postgres::name`.
macro_rules! on_every_backend {
    ($($(#[$attribute:meta])* $module:ident :: $case:ident),* $(,)?) => {
        mod memory {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                $(#[$attribute])*
                async fn $case() {
                    crate::backends::run::<ostiary_store::memory::MemoryStore, _, _>(stringify!($case), crate::$module::$case::<ostiary_store::memory::MemoryStore>).await;
                }
            )*
        }
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                $(#[$attribute])*
                async fn $case() {
                    crate::backends::run::<ostiary_store_sql::SqliteStore, _, _>(stringify!($case), crate::$module::$case::<ostiary_store_sql::SqliteStore>).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                $(#[$attribute])*
                async fn $case() {
                    crate::backends::run::<ostiary_store_sql::PostgresStore, _, _>(stringify!($case), crate::$module::$case::<ostiary_store_sql::PostgresStore>).await;
                }
            )*
        }
    };
}

on_every_backend! {
    flows::openidconnect_code_flow_with_pkce_nonce_userinfo_and_refresh,
    flows::oauth2_crate_code_flow_with_pkce_refresh_introspection_and_revocation,
    flows::sso_second_authorization_skips_login_and_consent,
    flows::authorization_request_by_form_post_works,
    flows::sign_in_with_e_mail_address_any_case,
    flows::sign_in_with_default_argon2_cost,
    flows::signing_in_again_replaces_the_session,
    flows::concurrent_sign_ins_beyond_the_bound_wait_their_turn,
    flows::reauthentication_by_the_same_user_keeps_tokens_of_other_clients,
    authorize::authorize_with_unregistered_redirect_uri_shows_error_page_and_never_redirects,
    authorize::authorize_with_unknown_client_shows_error_page,
    authorize::authorize_without_client_id_shows_error_page,
    authorize::authorize_with_repeated_parameter_redirects_invalid_request,
    authorize::authorize_with_repeated_redirect_uri_shows_error_page,
    authorize::authorize_with_oversized_parameter_is_refused,
    authorize::authorize_with_malformed_query_shows_error_page,
    authorize::authorize_with_plain_pkce_redirects_invalid_request,
    authorize::authorize_without_pkce_redirects_invalid_request,
    authorize::authorize_with_scope_beyond_registration_redirects_invalid_scope,
    authorize::authorize_with_unsupported_response_type_redirects_error,
    authorize::authorize_error_redirect_carries_state_and_iss,
    authorize::authorize_prompt_none_without_session_redirects_login_required,
    authorize::authorize_prompt_none_without_consent_redirects_consent_required,
    authorize::authorize_prompt_login_forces_sign_in,
    authorize::authorize_max_age_forces_sign_in,
    forms::consent_is_asked_again_when_scopes_grow,
    forms::consent_denied_redirects_access_denied,
    forms::consent_without_decision_is_refused,
    forms::consent_page_shows_the_client_and_scopes_in_plain_words,
    forms::login_with_wrong_password_shows_form_again,
    forms::login_with_unknown_user_gets_the_same_answer,
    forms::login_hint_is_prefilled,
    forms::reflected_input_is_html_escaped,
    forms::form_post_without_csrf_token_is_refused,
    forms::form_post_with_mismatched_csrf_token_is_refused,
    forms::consent_post_without_csrf_token_is_refused,
    forms::tampered_hidden_fields_are_validated_again,
    token::token_with_wrong_verifier_is_invalid_grant,
    token::token_without_verifier_is_invalid_grant,
    token::token_code_replay_revokes_issued_tokens,
    token::token_code_expires_after_60_seconds,
    token::token_with_other_clients_code_is_invalid_grant,
    token::token_with_mismatched_redirect_uri_is_invalid_grant,
    token::token_client_secret_post_is_refused,
    token::token_mixed_auth_methods_are_refused,
    token::token_invalid_client_is_401_with_www_authenticate_basic,
    token::token_code_with_wrong_credentials_is_401_and_does_not_spend_the_code,
    token::token_repeated_parameter_is_invalid_request,
    token::token_unsupported_grant_type,
    token::token_responses_are_not_cacheable,
    token::token_requires_form_content_type,
    token::token_body_over_limit_is_413,
    token::token_duplicate_authorization_header_is_invalid_request,
    refresh::refresh_rotates_and_old_token_within_window_gets_same_result,
    refresh::refresh_replay_after_window_revokes_family,
    refresh::concurrent_refreshes_inside_window_all_succeed_with_one_result,
    refresh::refresh_scope_may_only_narrow,
    refresh::refresh_token_of_other_client_is_invalid_grant,
    refresh::refresh_with_wrong_credentials_is_invalid_client_and_writes_nothing,
    resource::userinfo_without_token_is_401_with_bearer_challenge,
    resource::userinfo_with_revoked_token_is_invalid_token,
    resource::userinfo_with_unknown_token_is_invalid_token,
    resource::userinfo_token_in_query_is_refused,
    resource::userinfo_token_in_form_body_is_refused,
    resource::userinfo_by_post_with_header_works,
    resource::userinfo_releases_claims_by_scope,
    resource::introspection_of_own_token_is_active,
    resource::introspection_of_other_clients_token_is_inactive,
    resource::revocation_of_other_clients_token_is_ignored,
    resource::revoking_refresh_token_revokes_access_tokens,
    resource::revoking_access_token_keeps_refresh_token,
    resource::unknown_token_revocation_is_200,
    resource::jwt_access_tokens_work_at_userinfo_introspection_and_revocation,
    resource::disabled_user_cannot_sign_in_and_tokens_stop_working,
    http_rules::html_pages_carry_security_headers,
    http_rules::session_cookie_flags_on_https_issuer,
    http_rules::session_cookie_flags_on_http_issuer,
    http_rules::discovery_and_jwks_are_served_and_match_the_issuer,
    http_rules::unknown_path_is_404_and_wrong_method_is_405_with_allow,
    http_rules::health_check_and_stylesheet,
    hostile::bad_input_never_gets_500,
    hostile::oversized_form_is_413_page,
    operations::instances_sharing_a_store_pick_up_rotated_keys,
    operations::background_purge_removes_expired_codes,
    operations::graceful_shutdown_stops_accepting,
    http_rules::http2_prior_knowledge_is_served,
}
