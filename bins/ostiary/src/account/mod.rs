//! Checks of the user data given on the command line: username, e-mail address, profile claims.
//!
//! Messages are fixed text naming the flag; they never repeat the value.

use ostiary_core::normalize_login;
use ostiary_store::Profile;

use crate::cli::ProfileArgs;

/// The longest username.
pub(crate) const MAX_USERNAME_LEN: usize = 64;
/// The longest e-mail address (RFC 5321 §4.5.3.1.3 path limit less the angle brackets).
const MAX_EMAIL_LEN: usize = 254;
/// The longest free-text profile claim.
const MAX_CLAIM_CHARS: usize = 200;
/// The longest URL claim.
const MAX_URL_LEN: usize = 2048;

/// Normalizes (trims, lower-cases) and checks a username: `[a-z0-9._-]{1,64}`.
pub(crate) fn username(value: &str) -> Result<String, &'static str> {
    let name = normalize_login(value);
    let allowed =
        |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-');
    if name.is_empty() || name.len() > MAX_USERNAME_LEN || !name.bytes().all(allowed) {
        return Err(
            "USERNAME must be 1 to 64 characters from a-z, 0-9, '.', '_' and '-' (upper case is \
             lowered)",
        );
    }
    Ok(name)
}

/// Normalizes (trims, lower-cases) and checks an e-mail address: `local@domain.tld`, no spaces, no
/// control characters, at most 254 bytes.
pub(crate) fn email(value: &str) -> Result<String, &'static str> {
    const MESSAGE: &str = "--email must be an e-mail address such as ada@example.com";
    let email = normalize_login(value);
    let Some((local, domain)) = email.split_once('@') else {
        return Err(MESSAGE);
    };
    let domain_ok = domain.contains('.')
        && !domain.starts_with(['.', '-'])
        && !domain.ends_with(['.', '-'])
        && !domain.contains("..")
        && !domain.contains('@');
    let chars_ok = email.chars().all(|c| {
        !c.is_whitespace() && !c.is_control() && !matches!(c, '<' | '>' | '"' | ',' | ';')
    });
    if local.is_empty() || !domain_ok || !chars_ok || email.len() > MAX_EMAIL_LEN {
        return Err(MESSAGE);
    }
    Ok(email)
}

/// Checks the profile flags into OIDC standard claims (OIDC Core §5.1).
pub(crate) fn profile(args: &ProfileArgs) -> Result<Profile, Vec<String>> {
    let mut problems = Vec::new();
    let mut text = |flag: &str, value: &Option<String>| -> Option<String> {
        let value = value.as_deref()?.trim();
        if value.is_empty()
            || value.chars().count() > MAX_CLAIM_CHARS
            || value.chars().any(char::is_control)
        {
            problems.push(format!(
                "{flag}: must be 1 to {MAX_CLAIM_CHARS} characters without control characters"
            ));
            return None;
        }
        Some(value.to_owned())
    };
    let mut profile = Profile {
        name: text("--name", &args.name),
        given_name: text("--given-name", &args.given_name),
        family_name: text("--family-name", &args.family_name),
        middle_name: text("--middle-name", &args.middle_name),
        nickname: text("--nickname", &args.nickname),
        gender: text("--gender", &args.gender),
        ..Profile::default()
    };
    let mut checked = |flag: &str, value: &Option<String>, check: fn(&str) -> bool, rule: &str| {
        let value = value.as_deref()?.trim();
        if check(value) {
            Some(value.to_owned())
        } else {
            problems.push(format!("{flag}: {rule}"));
            None
        }
    };
    const URL_RULE: &str = "must be an absolute http:// or https:// URL";
    profile.profile = checked("--profile-url", &args.profile_url, is_web_url, URL_RULE);
    profile.picture = checked("--picture", &args.picture, is_web_url, URL_RULE);
    profile.website = checked("--website", &args.website, is_web_url, URL_RULE);
    profile.birthdate = checked(
        "--birthdate",
        &args.birthdate,
        is_birthdate,
        "must be YYYY-MM-DD or YYYY",
    );
    profile.zoneinfo = checked(
        "--zoneinfo",
        &args.zoneinfo,
        is_zoneinfo,
        "must be a time zone name such as Europe/Paris",
    );
    profile.locale = checked(
        "--locale",
        &args.locale,
        is_locale,
        "must be a BCP 47 language tag such as en-US",
    );
    if problems.is_empty() {
        Ok(profile)
    } else {
        Err(problems)
    }
}

fn is_web_url(value: &str) -> bool {
    value.len() <= MAX_URL_LEN
        && url::Url::parse(value)
            .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
}

/// `YYYY-MM-DD` (OIDC allows year `0000` when the year is withheld) or `YYYY` (OIDC Core §5.1).
fn is_birthdate(value: &str) -> bool {
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    let parts: Vec<&str> = value.split('-').collect();
    match parts.as_slice() {
        [year] => digits(year, 4),
        [year, month, day] if digits(year, 4) && digits(month, 2) && digits(day, 2) => {
            let month: u32 = month.parse().unwrap_or(0);
            let day: u32 = day.parse().unwrap_or(0);
            (1..=12).contains(&month) && (1..=31).contains(&day)
        }
        _ => false,
    }
}

/// An IANA time zone name: `Area/Location`, or `UTC`.
fn is_zoneinfo(value: &str) -> bool {
    (1..=64).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'_' | b'-' | b'+'))
        && !value.starts_with('/')
        && !value.ends_with('/')
}

/// A BCP 47 tag (RFC 5646 §2.1 shape): alphanumeric subtags of 1 to 8 characters, separated by `-`,
/// the first alphabetic. OIDC Core §5.1 also sees `_` in practice; it is accepted as a separator.
fn is_locale(value: &str) -> bool {
    value.len() <= 35
        && value.split(['-', '_']).enumerate().all(|(i, subtag)| {
            (1..=8).contains(&subtag.len())
                && subtag.bytes().all(|b| b.is_ascii_alphanumeric())
                && (i > 0 || subtag.bytes().all(|b| b.is_ascii_alphabetic()))
        })
}

#[cfg(test)]
mod tests;
