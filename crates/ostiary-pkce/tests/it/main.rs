//! Integration tests of `ostiary-pkce` through its public API only: the RFC 7636 Appendix B
//! example, every error, and property tests of the parsers and of verification.

// Test helpers outside `#[test]` functions may unwrap too: a broken assumption should fail loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod props;
mod rfc;
