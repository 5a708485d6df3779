//! Integration tests of `ostiary-redirect`: the registration rules, matching and response building,
//! through the public API only.

// Test helpers outside `#[test]` functions: a failing test should fail loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod matching;
mod registration;
mod response;
mod strategies;
