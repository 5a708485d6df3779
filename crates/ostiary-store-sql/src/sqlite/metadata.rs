//! Decoded client metadata, kept per client with the exact JSON it was decoded from.
//!
//! `get_client` runs on every client authentication (token endpoint, introspection, revocation) and
//! its metadata is JSON whose URIs are re-validated when read: that decoding measured about a third of
//! the lookup (≈ 2.8 µs of 7.7 µs). Decoding is a pure function of the stored text, so a cached result
//! is reused only when the row's text is byte-for-byte the text it came from: any change to the row,
//! by this process or another, is decoded (and validated) afresh, a tampered row included. A hit hands
//! out the one decoded copy (`Arc`), not a clone of its strings and lists (~8 allocations a lookup).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use ostiary_store::records::ClientMetadata;
use ostiary_store::{ClientId, StoreResult};

use crate::decode;

/// Clients kept at most; past it the cache starts over (registries this large are rare, and a miss
/// only costs a decode).
const CAPACITY: usize = 1024;

/// Per client: the JSON text and what it decoded to.
type Entries = HashMap<ClientId, (Box<str>, Arc<ClientMetadata>)>;

#[derive(Default)]
pub(super) struct MetadataCache {
    entries: Mutex<Entries>,
}

impl MetadataCache {
    /// The metadata of `client` decoded from `json`, from the cache when `json` is what it holds.
    pub(super) fn decode(&self, client: ClientId, json: &str) -> StoreResult<Arc<ClientMetadata>> {
        if let Some((text, metadata)) = self.lock().get(&client)
            && **text == *json
        {
            return Ok(Arc::clone(metadata));
        }
        let metadata = Arc::new(decode::client_metadata(json)?);
        let mut entries = self.lock();
        if entries.len() >= CAPACITY {
            entries.clear();
        }
        entries.insert(client, (json.into(), Arc::clone(&metadata)));
        Ok(metadata)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ostiary_store::StoreError;

    fn json(redirect: &str) -> String {
        format!(
            r#"{{"client_name":"Acme","client_uri":null,"logo_uri":null,"tos_uri":null,"policy_uri":null,
            "contacts":[],"initiate_login_uri":null,"configuration_uri":null,"redirect_uris":["{redirect}"],
            "post_logout_redirect_uris":[],"backchannel_logout_uri":null,
            "backchannel_logout_session_required":false,"scope":"openid","pkce_required":true,
            "loopback_any_port":false,"subject_type":"user","access_token_format":"opaque"}}"#
        )
    }

    #[test]
    fn a_changed_text_is_decoded_again_and_validated() {
        let cache = MetadataCache::default();
        let client = ClientId::new_random();
        let good = json("https://acme.example/callback");
        let first = cache.decode(client, &good).unwrap();
        assert_eq!(cache.decode(client, &good).unwrap(), first);
        let other = json("https://acme.example/other");
        let second = cache.decode(client, &other).unwrap();
        assert_ne!(second, first);
        assert_eq!(
            second.redirect_uris[0].as_str(),
            "https://acme.example/other"
        );
        // A tampered row is refused even though a valid decode of this client is cached.
        let bad = json("javascript:alert(1)");
        assert!(matches!(
            cache.decode(client, &bad),
            Err(StoreError::Corrupt("clients.metadata"))
        ));
        assert_eq!(cache.decode(client, &other).unwrap(), second);
    }

    #[test]
    fn the_cache_stays_bounded() {
        let cache = MetadataCache::default();
        let text = json("https://acme.example/callback");
        for _ in 0..CAPACITY + 10 {
            cache.decode(ClientId::new_random(), &text).unwrap();
        }
        assert!(cache.lock().len() <= CAPACITY);
    }
}
