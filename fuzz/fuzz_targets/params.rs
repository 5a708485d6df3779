//! The request parsers of the protocol core: form/query parameters, HTTP Basic client credentials and
//! Bearer headers. Checks that parsing never panics and that what parses keeps its invariants.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ostiary_core::{MAX_PARAMS, MAX_VALUE_LEN, Params, bearer_token, parse_basic_credentials};

fuzz_target!(|data: &[u8]| {
    if let Ok(params) = Params::parse(data) {
        let mut count = 0;
        for (name, value) in params.iter() {
            count += 1;
            assert!(!value.is_empty(), "empty values count as omitted");
            assert!(value.len() <= MAX_VALUE_LEN);
            // The first occurrence is what `get` answers.
            assert!(params.get(name).is_some());
        }
        assert!(count <= MAX_PARAMS);
    }
    if let Ok(text) = std::str::from_utf8(data) {
        if let Some((id, secret)) = parse_basic_credentials(text) {
            assert!(!id.is_empty() && !secret.is_empty());
        }
        if let Some(token) = bearer_token(text) {
            assert!(!token.is_empty() && !token.contains(' '));
        }
    }
});
