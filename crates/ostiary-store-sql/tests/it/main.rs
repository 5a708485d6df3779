//! Integration tests of `ostiary-store-sql`: the `ostiary-store` conformance suite on SQLite (a fresh
//! file per case) and on PostgreSQL (a fresh database per case, on the server named by
//! `OSTIARY_TEST_POSTGRES_URL`; every case says SKIPPED on stderr when it is unset), plus what only SQL
//! backends promise: data surviving a reopen, idempotent migrations, and two store instances sharing one
//! database racing on every single-winner operation.

// Tests report failures by panicking (skips are written to stderr with `std::io::Write`, past libtest's
// capture, so no print macro is needed).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    missing_docs,
    unreachable_pub
)]

mod common;
mod fixtures;
mod postgres;
mod races;
mod sqlite;
mod support;
