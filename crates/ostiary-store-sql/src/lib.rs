//! SQLite and PostgreSQL storage backends for Ostiary.
#![forbid(unsafe_code)]

mod columns;
mod decode;
mod encode;
mod error;
mod keys;
mod logic;
mod orgauth;
mod postgres;
mod sqlite;

pub use error::OpenError;
pub use postgres::{PostgresOptions, PostgresStore};
pub use sqlite::{SqliteOptions, SqliteStore, Synchronous};
