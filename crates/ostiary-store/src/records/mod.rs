//! The domain records the store keeps.
//!
//! Records are plain data: the rules that produce them live in `ostiary-core` (protocol) and in
//! [`crate::ClientRegistry`] (client registration). All times are Unix seconds (`i64`), taken from the caller so
//! tests and the conformance suite control the clock.

mod client;
mod code;
mod consent;
mod keys;
mod logout;
mod org;
mod session;
mod token;
mod user;

pub use client::*;
pub use code::*;
pub use consent::*;
pub use keys::*;
pub use logout::*;
pub use org::*;
pub use session::*;
pub use token::*;
pub use user::*;

/// Unix time in seconds.
pub type UnixTime = i64;
