//! `ostiary client create|list|show|update|rotate-secret|delete`

use ostiary_core::Provider;
use ostiary_store::{
    BearerSecret, Client, ClientFilter, ClientId, ClientMetadata, ClientRegistration,
    InvalidMetadata, RegistryError, Store,
};
use serde::Serialize;

use crate::cli::{ClientCommand, MetadataArgs};
use crate::error::{CliError, CliResult};
use crate::output::{self, Fields};

/// Clients fetched per page by `list`.
const PAGE: usize = 100;

/// Runs a client command.
pub(crate) async fn run<S: Store>(provider: &Provider<S>, command: ClientCommand) -> CliResult {
    match command {
        ClientCommand::Create { metadata, output } => {
            create(provider, &metadata, output.json).await
        }
        ClientCommand::List { catalogue, output } => list(provider, catalogue, output.json).await,
        ClientCommand::Show { client_id, output } => {
            let client = load(provider, &client_id).await?;
            show(&client, None, output.json)
        }
        ClientCommand::Update {
            client_id,
            metadata,
            output,
        } => update(provider, &client_id, &metadata, output.json).await,
        ClientCommand::RotateSecret { client_id, output } => {
            let id = parse_id(&client_id)?;
            let secret = provider
                .registry()
                .rotate_secret(id, provider.now())
                .await
                .map_err(registry_error)?;
            let client = load(provider, &client_id).await?;
            show(&client, Some(&secret), output.json)
        }
        ClientCommand::Delete {
            client_id,
            yes,
            output,
        } => delete(provider, &client_id, yes, output.json).await,
    }
}

async fn create<S: Store>(provider: &Provider<S>, args: &MetadataArgs, json: bool) -> CliResult {
    let mut registration = ClientRegistration {
        scope: "openid".into(),
        ..ClientRegistration::default()
    };
    apply(args, &mut registration);
    let (client, secret) = provider
        .registry()
        .register(&registration, provider.now())
        .await
        .map_err(registry_error)?;
    tracing::info!(client_id = %client.id, "registered a client");
    show(&client, Some(&secret), json)
}

async fn list<S: Store>(provider: &Provider<S>, catalogue: bool, json: bool) -> CliResult {
    let filter = if catalogue {
        ClientFilter::Catalogue
    } else {
        ClientFilter::All
    };
    let mut clients = Vec::new();
    let mut after = None;
    loop {
        let page = provider
            .registry()
            .list(filter, after, PAGE)
            .await
            .map_err(registry_error)?;
        let full = page.len() == PAGE;
        after = page.last().map(|c| c.id);
        clients.extend(page);
        if !full {
            break;
        }
    }
    if json {
        let views: Vec<ClientView<'_>> = clients.iter().map(|c| ClientView::new(c, None)).collect();
        return output::json(&views);
    }
    if clients.is_empty() {
        output::note("no clients registered");
        return Ok(());
    }
    let rows: Vec<Vec<String>> = clients
        .iter()
        .map(|c| {
            vec![
                c.id.to_string(),
                c.metadata.subject_type.as_str().to_owned(),
                output::time(c.created_at),
                c.metadata.client_name.clone(),
            ]
        })
        .collect();
    output::line(&output::table(
        &["CLIENT_ID", "SUBJECT", "CREATED", "NAME"],
        &rows,
    ))
}

async fn update<S: Store>(
    provider: &Provider<S>,
    client_id: &str,
    args: &MetadataArgs,
    json: bool,
) -> CliResult {
    let current = load(provider, client_id).await?;
    let mut registration = ClientRegistration::from(&*current.metadata);
    apply(args, &mut registration);
    let updated = provider
        .registry()
        .update(current.id, &registration, provider.now())
        .await
        .map_err(registry_error)?;
    tracing::info!(client_id = %updated.id, "updated a client");
    show(&updated, None, json)
}

async fn delete<S: Store>(
    provider: &Provider<S>,
    client_id: &str,
    yes: bool,
    json: bool,
) -> CliResult {
    let id = parse_id(client_id)?;
    if !yes {
        return Err(CliError::invalid(
            "deleting a client revokes every token, code, consent and organization authorization it \
             holds, and cannot be undone: pass --yes to confirm",
        ));
    }
    provider
        .registry()
        .delete(id, provider.now())
        .await
        .map_err(registry_error)?;
    tracing::info!(client_id = %id, "deleted a client");
    if json {
        return output::json(&serde_json::json!({ "client_id": id.to_string(), "deleted": true }));
    }
    output::line(&format!(
        "deleted client {id}; everything it held was revoked"
    ))
}

/// Parses a `client_id` argument.
fn parse_id(value: &str) -> CliResult<ClientId> {
    value.trim().parse().map_err(|_| {
        CliError::invalid("CLIENT_ID must be a client_id: a UUID in lower-case hyphenated form")
    })
}

async fn load<S: Store>(provider: &Provider<S>, client_id: &str) -> CliResult<Client> {
    let id = parse_id(client_id)?;
    provider
        .registry()
        .get(id)
        .await
        .map_err(registry_error)?
        .ok_or_else(|| CliError::NotFound("no client with this client_id".into()))
}

/// Writes the flags that were given into `r`; an empty value clears a field or a list.
fn apply(args: &MetadataArgs, r: &mut ClientRegistration) {
    fn optional(target: &mut Option<String>, value: &Option<String>) {
        if let Some(value) = value {
            *target = (!value.is_empty()).then(|| value.clone());
        }
    }
    fn list(target: &mut Vec<String>, values: &[String]) {
        if !values.is_empty() {
            *target = values.iter().filter(|v| !v.is_empty()).cloned().collect();
        }
    }
    if let Some(name) = &args.name {
        r.client_name.clone_from(name);
    }
    optional(&mut r.client_uri, &args.client_uri);
    optional(&mut r.logo_uri, &args.logo_uri);
    optional(&mut r.tos_uri, &args.tos_uri);
    optional(&mut r.policy_uri, &args.policy_uri);
    list(&mut r.contacts, &args.contacts);
    optional(&mut r.initiate_login_uri, &args.initiate_login_uri);
    optional(&mut r.configuration_uri, &args.configuration_uri);
    list(&mut r.redirect_uris, &args.redirect_uris);
    list(
        &mut r.post_logout_redirect_uris,
        &args.post_logout_redirect_uris,
    );
    optional(&mut r.backchannel_logout_uri, &args.backchannel_logout_uri);
    if let Some(required) = args.backchannel_logout_session_required {
        r.backchannel_logout_session_required = required;
    }
    if let Some(scope) = &args.scope {
        r.scope.clone_from(scope);
    }
    if args.no_pkce {
        r.pkce_required = Some(false);
    }
    if args.require_pkce {
        r.pkce_required = Some(true);
    }
    if let Some(any_port) = args.loopback_any_port {
        r.loopback_any_port = any_port;
    }
    if let Some(subject_type) = args.subject_type {
        r.subject_type = Some(subject_type.as_str().to_owned());
    }
    if let Some(format) = args.access_token_format {
        r.access_token_format = Some(format.as_str().to_owned());
    }
}

fn registry_error(error: RegistryError) -> CliError {
    match error {
        RegistryError::Invalid(invalid) => CliError::invalid(describe_invalid(&invalid)),
        RegistryError::NotFound => CliError::NotFound("no client with this client_id".into()),
        other => CliError::failed("the client registry failed", other),
    }
}

/// Every field at fault, named by its flag: `--redirect-uri #2 (redirect_uris[1]): …`.
pub(crate) fn describe_invalid(invalid: &InvalidMetadata) -> String {
    let mut text = String::from("invalid client metadata:");
    for error in &invalid.errors {
        text.push_str(&format!("\n  {}: {}", flag_of(&error.field), error.reason));
    }
    text
}

/// The flag that sets a registration field, with the field's metadata name.
fn flag_of(field: &str) -> String {
    let (name, index) = match field.split_once('[') {
        Some((name, rest)) => (name, rest.trim_end_matches(']').parse::<usize>().ok()),
        None => (field, None),
    };
    let flag = match name {
        "client_name" => "--name",
        "client_uri" => "--client-uri",
        "logo_uri" => "--logo-uri",
        "tos_uri" => "--tos-uri",
        "policy_uri" => "--policy-uri",
        "contacts" => "--contact",
        "initiate_login_uri" => "--initiate-login-uri",
        "configuration_uri" => "--configuration-uri",
        "redirect_uris" => "--redirect-uri",
        "post_logout_redirect_uris" => "--post-logout-redirect-uri",
        "backchannel_logout_uri" => "--backchannel-logout-uri",
        "backchannel_logout_session_required" => "--backchannel-logout-session-required",
        "scope" => "--scope",
        "pkce_required" => "--no-pkce",
        "loopback_any_port" => "--loopback-any-port",
        "subject_type" => "--subject-type",
        "access_token_format" => "--access-token-format",
        _ => return field.to_owned(),
    };
    match index {
        Some(i) => format!("{flag} #{} ({field})", i + 1),
        None => format!("{flag} ({field})"),
    }
}

/// A client as printed: RFC 7591 §3.2.1 field names, the secret only right after it was issued.
#[derive(Serialize)]
struct ClientView<'a> {
    client_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_secret: Option<&'a str>,
    /// RFC 7591 §3.2.1: 0 means the secret does not expire. Present with a secret.
    #[serde(skip_serializing_if = "Option::is_none")]
    client_secret_expires_at: Option<i64>,
    client_id_issued_at: i64,
    updated_at: i64,
    secret_rotated_at: i64,
    #[serde(flatten)]
    metadata: &'a ClientMetadata,
}

impl<'a> ClientView<'a> {
    fn new(client: &'a Client, secret: Option<&'a BearerSecret>) -> Self {
        Self {
            client_id: client.id.to_string(),
            client_secret: secret.map(BearerSecret::expose_secret),
            client_secret_expires_at: secret.map(|_| 0),
            client_id_issued_at: client.created_at,
            updated_at: client.updated_at,
            secret_rotated_at: client.secret_rotated_at,
            metadata: &client.metadata,
        }
    }
}

/// Prints a client; with `secret`, the secret too (once) and the warning that it will not be shown again.
fn show(client: &Client, secret: Option<&BearerSecret>, json: bool) -> CliResult {
    if json {
        output::json(&ClientView::new(client, secret))?;
    } else {
        let mut fields = metadata_fields(client);
        if let Some(secret) = secret {
            fields.add("client_secret", secret.expose_secret());
        }
        output::line(&fields.render())?;
    }
    if secret.is_some() {
        output::note(
            "Store the client_secret now: it will not be shown again (only a digest of it is kept). \
             Use `ostiary client rotate-secret` to issue a new one.",
        );
    }
    Ok(())
}

fn metadata_fields(client: &Client) -> Fields {
    let m = &client.metadata;
    let mut f = Fields::default();
    f.add("client_id", client.id.to_string())
        .add("client_name", m.client_name.clone())
        .opt("client_uri", m.client_uri.as_deref())
        .opt("logo_uri", m.logo_uri.as_deref())
        .opt("tos_uri", m.tos_uri.as_deref())
        .opt("policy_uri", m.policy_uri.as_deref())
        .list("contacts", m.contacts.iter().cloned())
        .opt("initiate_login_uri", m.initiate_login_uri.as_deref())
        .opt("configuration_uri", m.configuration_uri.as_deref())
        .list("redirect_uris", m.redirect_uris.iter().map(|u| u.as_str()))
        .list(
            "post_logout_redirect_uris",
            m.post_logout_redirect_uris.iter().map(|u| u.as_str()),
        )
        .opt(
            "backchannel_logout_uri",
            m.backchannel_logout_uri.as_ref().map(|u| u.as_str()),
        )
        .add(
            "backchannel_logout_session_required",
            m.backchannel_logout_session_required.to_string(),
        )
        .add("scope", m.scope.to_string())
        .add("pkce_required", m.pkce_required.to_string())
        .add("loopback_any_port", m.loopback_any_port.to_string())
        .add("subject_type", m.subject_type.as_str())
        .add("access_token_format", m.access_token_format.as_str())
        .add("created_at", output::time(client.created_at))
        .add("updated_at", output::time(client.updated_at))
        .add("secret_rotated_at", output::time(client.secret_rotated_at));
    f
}

#[cfg(test)]
mod tests;
