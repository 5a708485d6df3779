//! Registration rules for client metadata.
//!
//! Redirect, post-logout redirect and back-channel logout URIs follow `ostiary-redirect`'s registration
//! rules. So do the informational URIs shown to users (`client_uri`, `logo_uri`, `tos_uri`, `policy_uri`,
//! `initiate_login_uri`, `configuration_uri`): `https` (or `http` on a loopback host), canonical, no
//! user-info, no fragment, no wildcard — which keeps `javascript:` and look-alike links off the consent page.

use std::fmt;

use ostiary_redirect::RegisteredRedirectUri;

use super::ClientRegistration;
use crate::ScopeSet;
use crate::records::{AccessTokenFormat, ClientMetadata, SubjectType};

/// Longest `client_name`, in characters.
pub const MAX_CLIENT_NAME_CHARS: usize = 100;
/// Most redirect URIs (and post-logout redirect URIs) per client.
pub const MAX_REDIRECT_URIS: usize = 20;
/// Most contacts per client.
pub const MAX_CONTACTS: usize = 10;
/// Longest contact address.
pub const MAX_CONTACT_LEN: usize = 254;

/// One metadata field that broke a rule. `reason` is fixed text and never repeats the submitted value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The field, with an index for list members (`redirect_uris[1]`).
    pub field: String,
    /// The rule it broke.
    pub reason: String,
}

/// Every field of a registration that broke a rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct InvalidMetadata {
    /// The faults, in field order.
    pub errors: Vec<FieldError>,
}

impl fmt::Display for InvalidMetadata {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("invalid client metadata: ")?;
        for (i, e) in self.errors.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{}: {}", e.field, e.reason)?;
        }
        Ok(())
    }
}

#[derive(Default)]
struct Faults(Vec<FieldError>);

impl Faults {
    fn add(&mut self, field: impl Into<String>, reason: impl fmt::Display) {
        self.0.push(FieldError {
            field: field.into(),
            reason: reason.to_string(),
        });
    }

    fn uri(&mut self, field: &str, value: &str) -> Option<RegisteredRedirectUri> {
        match RegisteredRedirectUri::parse(value) {
            Ok(uri) => Some(uri),
            Err(e) => {
                self.add(field, e);
                None
            }
        }
    }

    fn optional_uri(&mut self, field: &str, value: &Option<String>) -> Option<String> {
        value
            .as_deref()
            .and_then(|v| self.uri(field, v))
            .map(|u| u.as_str().to_owned())
    }

    fn uri_list(&mut self, field: &str, values: &[String]) -> Vec<RegisteredRedirectUri> {
        if values.len() > MAX_REDIRECT_URIS {
            self.add(
                field,
                format_args!("at most {MAX_REDIRECT_URIS} URIs may be registered"),
            );
        }
        let mut out: Vec<RegisteredRedirectUri> = Vec::with_capacity(values.len());
        for (i, value) in values.iter().enumerate() {
            let Some(uri) = self.uri(&format!("{field}[{i}]"), value) else {
                continue;
            };
            if out.contains(&uri) {
                self.add(format!("{field}[{i}]"), "duplicate URI");
            } else {
                out.push(uri);
            }
        }
        out
    }
}

/// Validates a registration into metadata, or lists every fault.
pub(super) fn metadata(r: &ClientRegistration) -> Result<ClientMetadata, InvalidMetadata> {
    let mut faults = Faults::default();

    client_name(&mut faults, &r.client_name);
    let client_uri = faults.optional_uri("client_uri", &r.client_uri);
    let logo_uri = faults.optional_uri("logo_uri", &r.logo_uri);
    let tos_uri = faults.optional_uri("tos_uri", &r.tos_uri);
    let policy_uri = faults.optional_uri("policy_uri", &r.policy_uri);
    let initiate_login_uri = faults.optional_uri("initiate_login_uri", &r.initiate_login_uri);
    let configuration_uri = faults.optional_uri("configuration_uri", &r.configuration_uri);
    contacts(&mut faults, &r.contacts);

    let redirect_uris = faults.uri_list("redirect_uris", &r.redirect_uris);
    let post_logout_redirect_uris =
        faults.uri_list("post_logout_redirect_uris", &r.post_logout_redirect_uris);
    let backchannel_logout_uri = r
        .backchannel_logout_uri
        .as_deref()
        .and_then(|v| faults.uri("backchannel_logout_uri", v));

    let scope = match ScopeSet::parse(&r.scope) {
        Ok(scope) if scope.is_empty() => {
            faults.add("scope", "at least one scope must be registered");
            scope
        }
        Ok(scope) => scope,
        Err(e) => {
            faults.add("scope", e);
            ScopeSet::new()
        }
    };

    let subject_type = match r.subject_type.as_deref() {
        None => SubjectType::User,
        Some(s) => SubjectType::parse(s).unwrap_or_else(|| {
            faults.add("subject_type", "must be \"user\" or \"organization\"");
            SubjectType::User
        }),
    };
    let access_token_format = match r.access_token_format.as_deref() {
        None => AccessTokenFormat::Opaque,
        Some(s) => AccessTokenFormat::parse(s).unwrap_or_else(|| {
            faults.add("access_token_format", "must be \"opaque\" or \"jwt\"");
            AccessTokenFormat::Opaque
        }),
    };
    match subject_type {
        // The authorization code flow needs somewhere to send the code (RFC 6749 §3.1.2.2).
        SubjectType::User if r.redirect_uris.is_empty() => faults.add(
            "redirect_uris",
            "at least one redirect URI is required for user sign-in",
        ),
        // Organization authorization sends the admin to the partner's initiate_login_uri.
        SubjectType::Organization if r.initiate_login_uri.is_none() => faults.add(
            "initiate_login_uri",
            "required for organization clients: the admin is sent there to connect the app",
        ),
        _ => {}
    }
    if r.loopback_any_port
        && !redirect_uris
            .iter()
            .any(|u| u.as_str().starts_with("http://"))
    {
        faults.add(
            "loopback_any_port",
            "only meaningful with an http loopback redirect URI",
        );
    }

    if !faults.0.is_empty() {
        return Err(InvalidMetadata { errors: faults.0 });
    }
    Ok(ClientMetadata {
        client_name: r.client_name.clone(),
        client_uri,
        logo_uri,
        tos_uri,
        policy_uri,
        contacts: r.contacts.clone(),
        initiate_login_uri,
        configuration_uri,
        redirect_uris,
        post_logout_redirect_uris,
        backchannel_logout_uri,
        backchannel_logout_session_required: r.backchannel_logout_session_required,
        scope,
        pkce_required: r.pkce_required.unwrap_or(true),
        loopback_any_port: r.loopback_any_port,
        subject_type,
        access_token_format,
    })
}

fn client_name(faults: &mut Faults, name: &str) {
    if name.trim().is_empty() {
        faults.add("client_name", "required");
    } else if name.chars().count() > MAX_CLIENT_NAME_CHARS {
        faults.add(
            "client_name",
            format_args!("at most {MAX_CLIENT_NAME_CHARS} characters"),
        );
    } else if name.chars().any(char::is_control) || name.trim() != name {
        faults.add(
            "client_name",
            "no control characters, no leading or trailing spaces",
        );
    }
}

fn contacts(faults: &mut Faults, contacts: &[String]) {
    if contacts.len() > MAX_CONTACTS {
        faults.add("contacts", format_args!("at most {MAX_CONTACTS} contacts"));
    }
    for (i, contact) in contacts.iter().enumerate() {
        if !is_plausible_email(contact) {
            faults.add(format!("contacts[{i}]"), "must be an e-mail address");
        }
    }
}

/// A deliberately simple check: `local@domain`, one `@`, a dot in the domain, printable ASCII or
/// non-ASCII letters, no spaces or angle brackets. Deliverability is the partner's business.
fn is_plausible_email(value: &str) -> bool {
    if value.is_empty() || value.len() > MAX_CONTACT_LEN {
        return false;
    }
    let Some((local, domain)) = value.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && value
            .chars()
            .all(|c| !c.is_whitespace() && !c.is_control() && !matches!(c, '<' | '>' | '"' | ','))
}
