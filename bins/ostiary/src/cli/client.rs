//! `ostiary client …`

use clap::{Args, Subcommand, ValueEnum};

use super::OutputArgs;

/// `ostiary client`
#[derive(Debug, Args)]
pub(crate) struct ClientArgs {
    /// The client command.
    #[command(subcommand)]
    pub(crate) command: ClientCommand,
}

/// The client commands.
#[derive(Debug, Subcommand)]
pub(crate) enum ClientCommand {
    /// Register a client and print its client_id and client_secret.
    ///
    /// The secret is printed exactly once: only a keyed digest of it is stored. Redirect URIs must be
    /// https, or http on localhost, 127.0.0.1 or [::1]; they are matched exactly. PKCE (S256) is required
    /// unless --no-pkce is given.
    #[command(
        after_long_help = "Example:\n  ostiary client create --name \"Acme Books\" \\\n    \
        --redirect-uri https://acme.example/callback \\\n    \
        --scope \"openid profile email\" --contact dev@acme.example"
    )]
    Create {
        /// The metadata.
        #[command(flatten)]
        metadata: MetadataArgs,
        /// Output format.
        #[command(flatten)]
        output: OutputArgs,
    },
    /// List the registered clients (never their secrets).
    List {
        /// Only clients in the app catalogue (those with an initiate_login_uri).
        #[arg(long)]
        catalogue: bool,
        /// Output format.
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Show a client's metadata (never its secret).
    Show {
        /// The client_id (a UUID).
        client_id: String,
        /// Output format.
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Change some of a client's metadata; fields not given stay as they are.
    ///
    /// A repeatable flag (--redirect-uri, --contact, --post-logout-redirect-uri) replaces the whole list.
    /// An empty value removes a field or empties a list: --logo-uri "" or --contact "".
    Update {
        /// The client_id (a UUID).
        client_id: String,
        /// The metadata to change.
        #[command(flatten)]
        metadata: MetadataArgs,
        /// Output format.
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Issue a new client secret; the old one stops working at once.
    RotateSecret {
        /// The client_id (a UUID).
        client_id: String,
        /// Output format.
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Delete a client and revoke everything it holds.
    ///
    /// Its tokens, codes, consents, pending back-channel logouts and organization authorizations are
    /// revoked or deleted at once. This cannot be undone: pass --yes.
    Delete {
        /// The client_id (a UUID).
        client_id: String,
        /// Confirm the deletion.
        #[arg(long)]
        yes: bool,
        /// Output format.
        #[command(flatten)]
        output: OutputArgs,
    },
}

/// `--subject-type`
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum SubjectTypeArg {
    /// Tokens act for a signed-in user (authorization code flow).
    User,
    /// Tokens act for an organization that authorized the partner.
    Organization,
}

impl SubjectTypeArg {
    /// The registration spelling.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Organization => "organization",
        }
    }
}

/// `--access-token-format`
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum TokenFormatArg {
    /// Random strings, checked by introspection; revocation is immediate.
    Opaque,
    /// Signed JWTs (RFC 9068) that resource servers verify offline.
    Jwt,
}

impl TokenFormatArg {
    /// The registration spelling.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Opaque => "opaque",
            Self::Jwt => "jwt",
        }
    }
}

/// Client metadata as flags (RFC 7591 §2 names in parentheses).
#[derive(Debug, Clone, Default, Args)]
pub(crate) struct MetadataArgs {
    /// The name shown to users on the consent page (client_name). Required for `create`.
    #[arg(long, value_name = "NAME")]
    pub(crate) name: Option<String>,
    /// The partner's home page (client_uri).
    #[arg(long, value_name = "URI")]
    pub(crate) client_uri: Option<String>,
    /// The logo shown on the consent page (logo_uri).
    #[arg(long, value_name = "URI")]
    pub(crate) logo_uri: Option<String>,
    /// The partner's terms of service (tos_uri).
    #[arg(long, value_name = "URI")]
    pub(crate) tos_uri: Option<String>,
    /// The partner's privacy policy (policy_uri).
    #[arg(long, value_name = "URI")]
    pub(crate) policy_uri: Option<String>,
    /// An e-mail address of someone responsible for the client (contacts). Repeatable.
    #[arg(long = "contact", value_name = "EMAIL")]
    pub(crate) contacts: Vec<String>,
    /// Where a user starts connecting the app; lists it in the app catalogue (initiate_login_uri).
    /// Required for --subject-type organization.
    #[arg(long, value_name = "URI")]
    pub(crate) initiate_login_uri: Option<String>,
    /// The app's settings page, linked from the platform (configuration_uri).
    #[arg(long, value_name = "URI")]
    pub(crate) configuration_uri: Option<String>,
    /// A redirect URI, matched exactly (redirect_uris). Repeatable; at least one for user clients.
    #[arg(long = "redirect-uri", value_name = "URI")]
    pub(crate) redirect_uris: Vec<String>,
    /// Where the user may be sent after RP-initiated logout (post_logout_redirect_uris). Repeatable.
    #[arg(long = "post-logout-redirect-uri", value_name = "URI")]
    pub(crate) post_logout_redirect_uris: Vec<String>,
    /// Where logout tokens are POSTed (backchannel_logout_uri).
    #[arg(long, value_name = "URI")]
    pub(crate) backchannel_logout_uri: Option<String>,
    /// Logout tokens must carry the session id `sid` (backchannel_logout_session_required).
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    pub(crate) backchannel_logout_session_required: Option<bool>,
    /// The scopes the client may request, space-separated (scope). `create` defaults to "openid".
    #[arg(long, value_name = "SCOPES")]
    pub(crate) scope: Option<String>,
    /// EXCEPTION: do not require PKCE from this client. Only for a client that truly cannot send a
    /// code_challenge; PKCE protects its codes from injection and interception (RFC 9700 §2.1.1).
    #[arg(long, conflicts_with = "require_pkce")]
    pub(crate) no_pkce: bool,
    /// Require PKCE again (the default; undoes --no-pkce in `update`).
    #[arg(long)]
    pub(crate) require_pkce: bool,
    /// Let http loopback redirect URIs match on any port (RFC 8252 §7.3, native apps).
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    pub(crate) loopback_any_port: Option<bool>,
    /// Whom the client's tokens are about: a signed-in user (default) or an organization.
    #[arg(long, value_enum, value_name = "TYPE")]
    pub(crate) subject_type: Option<SubjectTypeArg>,
    /// The client's access token format: opaque (default) or jwt.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub(crate) access_token_format: Option<TokenFormatArg>,
}
