//! `ostiary user …`

use clap::{Args, Subcommand};

use super::OutputArgs;

/// `ostiary user`
#[derive(Debug, Args)]
pub(crate) struct UserArgs {
    /// The user command.
    #[command(subcommand)]
    pub(crate) command: UserCommand,
}

const PASSWORD_HELP: &str = "The password is never a command-line argument (it would land in \
    shell history and in the process list). It is asked for twice, without echo, when standard input \
    is a terminal; otherwise pass --password-stdin and pipe it in, for example \
    `printf '%s\\n' \"$PASSWORD\" | ostiary user … --password-stdin`. At least 10 characters.";

/// The user commands.
#[derive(Debug, Subcommand)]
#[allow(
    clippy::large_enum_variant,
    reason = "parsed once per process; boxing would only obscure the clap derive"
)]
pub(crate) enum UserCommand {
    /// Create a user who can sign in.
    ///
    /// The username is stored in lower case and may use a-z, 0-9, '.', '_' and '-' (1 to 64
    /// characters). The e-mail address is stored in lower case; users can sign in with either.
    #[command(after_long_help = PASSWORD_HELP)]
    Create {
        /// The login name.
        username: String,
        /// The e-mail address (the `email` claim).
        #[arg(long, value_name = "EMAIL")]
        email: Option<String>,
        /// The platform has verified the e-mail address (`email_verified: true`).
        #[arg(long, requires = "email")]
        email_verified: bool,
        /// Profile claims.
        #[command(flatten)]
        profile: ProfileArgs,
        /// Read the password from standard input (one line) instead of prompting.
        #[arg(long)]
        password_stdin: bool,
        /// Output format.
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Set a user's password.
    #[command(after_long_help = PASSWORD_HELP)]
    SetPassword {
        /// The username or e-mail address.
        login: String,
        /// Read the password from standard input (one line) instead of prompting.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List users: id, username, e-mail, whether it is verified, whether the user is disabled.
    List {
        /// Output format.
        #[command(flatten)]
        output: OutputArgs,
    },
}

/// Standard profile claims (OpenID Connect Core §5.1), released with the `profile` scope.
#[derive(Debug, Clone, Default, Args)]
pub(crate) struct ProfileArgs {
    /// Full name (`name`).
    #[arg(long, value_name = "NAME")]
    pub(crate) name: Option<String>,
    /// Given name (`given_name`).
    #[arg(long, value_name = "NAME")]
    pub(crate) given_name: Option<String>,
    /// Family name (`family_name`).
    #[arg(long, value_name = "NAME")]
    pub(crate) family_name: Option<String>,
    /// Middle name (`middle_name`).
    #[arg(long, value_name = "NAME")]
    pub(crate) middle_name: Option<String>,
    /// Casual name (`nickname`).
    #[arg(long, value_name = "NAME")]
    pub(crate) nickname: Option<String>,
    /// Profile page URL (`profile`), http(s).
    #[arg(long, value_name = "URL")]
    pub(crate) profile_url: Option<String>,
    /// Picture URL (`picture`), http(s).
    #[arg(long, value_name = "URL")]
    pub(crate) picture: Option<String>,
    /// Web site URL (`website`), http(s).
    #[arg(long, value_name = "URL")]
    pub(crate) website: Option<String>,
    /// Gender (`gender`).
    #[arg(long, value_name = "TEXT")]
    pub(crate) gender: Option<String>,
    /// Birth date (`birthdate`): YYYY-MM-DD, or YYYY.
    #[arg(long, value_name = "DATE")]
    pub(crate) birthdate: Option<String>,
    /// Time zone (`zoneinfo`), such as Europe/Paris.
    #[arg(long, value_name = "ZONE")]
    pub(crate) zoneinfo: Option<String>,
    /// Locale (`locale`), a BCP 47 tag such as en-US.
    #[arg(long, value_name = "TAG")]
    pub(crate) locale: Option<String>,
}
