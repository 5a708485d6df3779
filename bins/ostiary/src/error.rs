//! The CLI's error type and exit codes.

use std::error::Error as StdError;
use std::fmt::Write as _;
use std::process::ExitCode;

use crate::config::ConfigError;

/// Exit code for invalid input: arguments, configuration, metadata, passwords (as clap's usage errors).
pub(crate) const EXIT_INVALID: u8 = 2;
/// Exit code for a failed operation: database, I/O, unknown client or user.
pub(crate) const EXIT_FAILED: u8 = 1;

/// Why a command failed. Every message is fixed text or names the setting, flag or record at fault; none
/// carries a secret.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CliError {
    /// The configuration is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// An argument or input value is invalid.
    #[error("{0}")]
    Invalid(String),
    /// The record named does not exist.
    #[error("{0}")]
    NotFound(String),
    /// An operation failed; the source has the detail.
    #[error("{context}")]
    Failed {
        /// What was being done.
        context: String,
        /// Why it failed.
        #[source]
        source: Box<dyn StdError + Send + Sync + 'static>,
    },
}

impl CliError {
    /// An invalid-input error.
    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Self::Invalid(message.into())
    }

    /// Wraps an operation's error with what was being done.
    pub(crate) fn failed(
        context: impl Into<String>,
        source: impl StdError + Send + Sync + 'static,
    ) -> Self {
        Self::Failed {
            context: context.into(),
            source: Box::new(source),
        }
    }

    /// The process exit code.
    pub(crate) fn exit_code(&self) -> ExitCode {
        ExitCode::from(match self {
            CliError::Config(_) | CliError::Invalid(_) => EXIT_INVALID,
            CliError::NotFound(_) | CliError::Failed { .. } => EXIT_FAILED,
        })
    }

    /// The message with its chain of causes: `could not open the database: …: …`.
    pub(crate) fn report(&self) -> String {
        let mut text = self.to_string();
        let mut source = self.source();
        // `Config` is transparent: its source would repeat it.
        if matches!(self, CliError::Config(_)) {
            source = None;
        }
        while let Some(cause) = source {
            let _ = write!(text, ": {cause}");
            source = cause.source();
        }
        text
    }
}

/// The result of a command.
pub(crate) type CliResult<T = ()> = Result<T, CliError>;
