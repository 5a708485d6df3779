//! Integration tests of the protocol engine over the in-memory store, driven in-process with a manual
//! clock. The HTTP-level and client-library tests live in `ostiary-server`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    missing_docs,
    unreachable_pub
)]

mod authorize;
mod harness;
mod resource;
mod token;
