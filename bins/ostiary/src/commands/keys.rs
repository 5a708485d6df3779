//! `ostiary keys list|rotate|import`

use ostiary_core::KeyManagementError;
use ostiary_core::Provider;
use ostiary_jose::{ManagedKey, RotationPolicy, SigningKey};
use ostiary_store::Store;
use serde::Serialize;

use crate::config::{Settings, name_of};
use crate::error::{CliError, CliResult};
use crate::output;

/// `keys list`
pub(crate) fn list<S: Store>(provider: &Provider<S>, json: bool) -> CliResult {
    let set = provider.key_set();
    let keys: Vec<KeyView<'_>> = set.keys().map(KeyView::from).collect();
    if json {
        return output::json(&keys);
    }
    let rows: Vec<Vec<String>> = keys
        .iter()
        .map(|k| {
            vec![
                k.kid.to_owned(),
                k.alg.to_owned(),
                k.state.to_owned(),
                output::time(k.published_at),
                output::opt_time(k.activated_at),
                output::opt_time(k.retired_at),
            ]
        })
        .collect();
    output::line(&output::table(
        &["KID", "ALG", "STATE", "PUBLISHED", "ACTIVATED", "RETIRED"],
        &rows,
    ))
}

/// The rotation policy: the configured key lifetimes, the longest token lifetime the configuration
/// allows (at least a day), and no waiting when `force`d.
pub(crate) fn policy(settings: &Settings, force: bool) -> RotationPolicy {
    let defaults = RotationPolicy::default();
    let lifetimes = &settings.core.lifetimes;
    let mut policy = RotationPolicy {
        active_lifetime: settings.rotation.active_lifetime,
        next_publish_lead: settings.rotation.next_publish_lead,
        max_token_lifetime: defaults
            .max_token_lifetime
            .max(lifetimes.id_token)
            .max(lifetimes.access_token),
        ..defaults
    };
    if force {
        policy.active_lifetime = 0;
        policy.next_publish_lead = 0;
    }
    policy
}

/// `keys rotate`
pub(crate) async fn rotate<S: Store>(
    provider: &Provider<S>,
    settings: &Settings,
    force: bool,
    key: Option<&std::path::Path>,
    json: bool,
) -> CliResult {
    let policy = policy(settings, force);
    let report = match key {
        Some(path) => {
            let key = read_key(path, settings)?;
            provider.rotate_keys_with(&policy, key).await
        }
        None if !settings.core.signing_alg.can_generate() => {
            return Err(CliError::invalid(format!(
                "{}: RS256 keys cannot be generated here: pass the next key with --key FILE",
                name_of("signing_alg")
            )));
        }
        None => provider.rotate_keys(&policy).await,
    }
    .map_err(|e| CliError::failed("could not rotate the signing keys", e))?;
    tracing::info!(
        created = ?report.created,
        promoted = ?report.promoted,
        retired = ?report.retired,
        removed = ?report.removed,
        "rotated the signing keys"
    );
    if json {
        return output::json(&serde_json::json!({
            "created": report.created,
            "promoted": report.promoted,
            "retired": report.retired,
            "removed": report.removed,
        }));
    }
    if !report.changed() {
        return output::line(
            "no rotation due; the keys are unchanged (--force promotes the next key now)",
        );
    }
    let mut lines = Vec::new();
    if let Some(kid) = &report.promoted {
        lines.push(format!("promoted {kid}: it signs from now on"));
    }
    if let Some(kid) = &report.retired {
        lines.push(format!(
            "retired {kid}: still published until its tokens expire"
        ));
    }
    if let Some(kid) = &report.created {
        lines.push(format!(
            "created {kid} as the next key: published in the JWKS"
        ));
    }
    for kid in &report.removed {
        lines.push(format!("removed {kid} from the JWKS"));
    }
    output::line(&lines.join("\n"))
}

/// `keys import`: the first signing key of an empty key store, from PEM.
pub(crate) async fn import<S: Store>(
    store: &S,
    settings: &Settings,
    pem: &std::path::Path,
    now: i64,
    json: bool,
) -> CliResult {
    let key = read_key(pem, settings)?;
    let set = ostiary_core::import_first_signing_key(store, key, now)
        .await
        .map_err(|e| match e {
            KeyManagementError::AlreadyHasKeys => CliError::invalid(
                "the database already has signing keys: a key can only be imported before the \
                 first start",
            ),
            e => CliError::failed("could not save the signing key", e),
        })?;
    let active = set.active();
    tracing::info!(kid = active.kid(), alg = %active.key.alg(), "imported a signing key");
    if json {
        return output::json(&KeyView::from(active));
    }
    output::line(&format!(
        "imported {} ({}) as the active signing key",
        active.kid(),
        active.key.alg()
    ))
}

/// Reads a private key from a PEM file and checks it is for the configured algorithm.
fn read_key(pem: &std::path::Path, settings: &Settings) -> Result<SigningKey, CliError> {
    let text = zeroize::Zeroizing::new(
        std::fs::read_to_string(pem)
            .map_err(|e| CliError::failed(format!("could not read {}", pem.display()), e))?,
    );
    let key = SigningKey::from_pem(&text)
        .map_err(|e| CliError::invalid(format!("{}: {e}", pem.display())))?;
    if key.alg() != settings.core.signing_alg {
        return Err(CliError::invalid(format!(
            "the key is for {} but {} is {}: set it to {} so new keys match",
            key.alg(),
            name_of("signing_alg"),
            settings.core.signing_alg,
            key.alg()
        )));
    }
    Ok(key)
}

/// A key as printed: public facts only.
#[derive(Serialize)]
struct KeyView<'a> {
    kid: &'a str,
    alg: &'static str,
    state: &'static str,
    published_at: i64,
    activated_at: Option<i64>,
    retired_at: Option<i64>,
}

impl<'a> From<&'a ManagedKey> for KeyView<'a> {
    fn from(key: &'a ManagedKey) -> Self {
        Self {
            kid: key.kid(),
            alg: key.key.alg().as_str(),
            state: key.state.as_str(),
            published_at: key.published_at,
            activated_at: key.activated_at,
            retired_at: key.retired_at,
        }
    }
}
