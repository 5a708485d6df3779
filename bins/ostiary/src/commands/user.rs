//! `ostiary user create|set-password|list`

use ostiary_core::{PasswordError, Provider, normalize_login};
use ostiary_store::{PasswordHash, Store, StoreError, User, UserId};
use serde::Serialize;
use zeroize::Zeroizing;

use crate::account;
use crate::cli::{ProfileArgs, UserCommand};
use crate::error::{CliError, CliResult};
use crate::output;
use crate::password;

/// Users fetched per page by `list`.
const PAGE: usize = 100;

/// Runs a user command.
pub(crate) async fn run<S: Store>(provider: &Provider<S>, command: UserCommand) -> CliResult {
    match command {
        UserCommand::Create {
            username,
            email,
            email_verified,
            profile,
            password_stdin,
            output,
        } => {
            let new = NewUser::check(&username, email.as_deref(), email_verified, &profile)?;
            create(provider, new, password_stdin, output.json).await
        }
        UserCommand::SetPassword {
            login,
            password_stdin,
        } => set_password(provider, &login, password_stdin).await,
        UserCommand::List { output } => list(provider, output.json).await,
    }
}

/// A user's checked data, before the password.
pub(crate) struct NewUser {
    /// The normalized username.
    pub(crate) username: String,
    /// The normalized e-mail address.
    pub(crate) email: Option<String>,
    /// Whether the platform verified the e-mail address.
    email_verified: bool,
    /// Profile claims.
    profile: ostiary_store::Profile,
}

impl NewUser {
    /// Checks every flag, reporting every problem at once.
    pub(crate) fn check(
        username: &str,
        email: Option<&str>,
        email_verified: bool,
        profile: &ProfileArgs,
    ) -> CliResult<Self> {
        let mut problems = Vec::new();
        let username = account::username(username)
            .map_err(|e| problems.push(e.to_owned()))
            .ok();
        let email = match email {
            Some(email) => account::email(email)
                .map_err(|e| problems.push(e.to_owned()))
                .ok(),
            None => None,
        };
        let profile = account::profile(profile)
            .map_err(|more| problems.extend(more))
            .ok();
        match (username, profile) {
            (Some(username), Some(profile)) if problems.is_empty() => Ok(Self {
                username,
                email,
                email_verified,
                profile,
            }),
            _ => Err(CliError::invalid(format!(
                "invalid user:\n  {}",
                problems.join("\n  ")
            ))),
        }
    }
}

async fn create<S: Store>(
    provider: &Provider<S>,
    new: NewUser,
    password_stdin: bool,
    json: bool,
) -> CliResult {
    // Refuse a taken name before asking for a password; the insert below still decides races.
    ensure_free(provider, &new).await?;
    let password_hash = hash_password(provider, password::read(password_stdin)?).await?;
    let user = insert(provider, new, password_hash).await?;
    tracing::info!(user_id = %user.id, "created a user");
    if json {
        return output::json(&UserView::from(&user));
    }
    output::line(&format!("created user {} ({})", user.username, user.id))
}

/// Refuses a username or e-mail address that already names a user.
pub(crate) async fn ensure_free<S: Store>(provider: &Provider<S>, new: &NewUser) -> CliResult {
    for login in std::iter::once(&new.username).chain(new.email.as_ref()) {
        if find(provider, login).await?.is_some() {
            return Err(taken(login == &new.username));
        }
    }
    Ok(())
}

/// Stores a new user with an already hashed password; a taken username or e-mail address is refused
/// here too (the store's uniqueness decides races).
pub(crate) async fn insert<S: Store>(
    provider: &Provider<S>,
    new: NewUser,
    password_hash: PasswordHash,
) -> CliResult<User> {
    let now = provider.now();
    let user = User {
        id: UserId::new_random(),
        username: new.username,
        email: new.email,
        email_verified: new.email_verified,
        password_hash,
        profile: new.profile,
        disabled: false,
        created_at: now,
        updated_at: now,
    };
    provider
        .store()
        .insert_user(&user)
        .await
        .map_err(|e| match e {
            StoreError::Conflict(constraint) => taken(!constraint.contains("email")),
            other => CliError::failed("could not create the user", other),
        })?;
    Ok(user)
}

async fn set_password<S: Store>(
    provider: &Provider<S>,
    login: &str,
    password_stdin: bool,
) -> CliResult {
    let mut user = find(provider, &normalize_login(login))
        .await?
        .ok_or_else(|| CliError::NotFound("no user with this username or e-mail address".into()))?;
    user.password_hash = hash_password(provider, password::read(password_stdin)?).await?;
    let updated = provider
        .store()
        .update_user(&user)
        .await
        .map_err(|e| CliError::failed("could not save the password", e))?;
    if !updated {
        return Err(CliError::NotFound("the user was deleted meanwhile".into()));
    }
    tracing::info!(user_id = %user.id, "set a user's password");
    output::line(&format!("password set for user {}", user.username))
}

async fn list<S: Store>(provider: &Provider<S>, json: bool) -> CliResult {
    let mut users = Vec::new();
    let mut after = None;
    loop {
        let page = provider
            .store()
            .list_users(after, PAGE)
            .await
            .map_err(|e| CliError::failed("could not list the users", e))?;
        let full = page.len() == PAGE;
        after = page.last().map(|u| u.id);
        users.extend(page);
        if !full {
            break;
        }
    }
    if json {
        let views: Vec<UserView<'_>> = users.iter().map(UserView::from).collect();
        return output::json(&views);
    }
    if users.is_empty() {
        output::note("no users");
        return Ok(());
    }
    let rows: Vec<Vec<String>> = users
        .iter()
        .map(|u| {
            vec![
                u.id.to_string(),
                u.username.clone(),
                u.email.clone().unwrap_or_else(|| "-".into()),
                yes_no(u.email_verified),
                yes_no(u.disabled),
            ]
        })
        .collect();
    output::line(&output::table(
        &["ID", "USERNAME", "EMAIL", "VERIFIED", "DISABLED"],
        &rows,
    ))
}

fn yes_no(value: bool) -> String {
    if value { "yes" } else { "no" }.to_owned()
}

async fn find<S: Store>(provider: &Provider<S>, login: &str) -> CliResult<Option<User>> {
    provider
        .store()
        .find_user_by_login(login)
        .await
        .map_err(|e| CliError::failed("could not look the user up", e))
}

fn taken(username: bool) -> CliError {
    CliError::invalid(if username {
        "the username is already taken"
    } else {
        "the e-mail address is already used by another user"
    })
}

/// Hashes a new password with Argon2id at the configured cost; a too short or too long one is invalid
/// input.
pub(crate) async fn hash_password<S: Store>(
    provider: &Provider<S>,
    password: Zeroizing<String>,
) -> CliResult<PasswordHash> {
    provider
        .passwords()
        .hash(password)
        .await
        .map_err(|e| match e {
            PasswordError::TooShort | PasswordError::TooLong => CliError::invalid(e.to_string()),
            other => CliError::failed("could not hash the password", other),
        })
}

/// A user as printed: never the password hash.
#[derive(Serialize)]
struct UserView<'a> {
    id: String,
    username: &'a str,
    email: Option<&'a str>,
    email_verified: bool,
    disabled: bool,
    created_at: i64,
    updated_at: i64,
    profile: &'a ostiary_store::Profile,
}

impl<'a> From<&'a User> for UserView<'a> {
    fn from(user: &'a User) -> Self {
        Self {
            id: user.id.to_string(),
            username: &user.username,
            email: user.email.as_deref(),
            email_verified: user.email_verified,
            disabled: user.disabled,
            created_at: user.created_at,
            updated_at: user.updated_at,
            profile: &user.profile,
        }
    }
}
