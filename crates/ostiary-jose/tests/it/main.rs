//! Integration tests of `ostiary-jose`: interoperability with independent JOSE libraries
//! (`openidconnect`, `josekit`), round trips, rotation and the JWKS.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

mod josekit_interop;
mod jwks;
mod openidconnect_interop;
mod rotation;
mod round_trip;
mod support;
