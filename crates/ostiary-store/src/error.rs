//! The store's error type.

/// What went wrong in a store operation.
///
/// Protocol outcomes (a spent code, a replayed refresh token, a missing record) are *not* errors: they are
/// return values such as [`crate::ConsumeCode`] and `Option`. Errors are conflicts with existing records and
/// backend failures.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// A record with the same unique key exists (a taken username, a duplicate id, a family that a
    /// replayed code already revoked). The string names the constraint, never the value.
    #[error("conflict with an existing record: {0}")]
    Conflict(&'static str),
    /// A stored value could not be decoded (a corrupt row, an unknown enum spelling). Names the field.
    #[error("stored data is invalid: {0}")]
    Corrupt(&'static str),
    /// An input the store cannot take (for example a metadata value failing registration rules).
    #[error("invalid input: {0}")]
    Invalid(String),
    /// The backend failed (I/O, connection, SQL). The source has the detail; log it, never show it.
    #[error("storage backend failure")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync + 'static>),
}

impl StoreError {
    /// Wraps a backend error.
    pub fn backend(error: impl std::error::Error + Send + Sync + 'static) -> Self {
        StoreError::Backend(Box::new(error))
    }
}

/// The result type of store operations.
pub type StoreResult<T> = Result<T, StoreError>;
