//! Integration tests of `ostiary-store`: the whole backend conformance suite on `MemoryStore`, and what
//! is particular to the memory backend.

mod memory;

/// A fresh, empty memory store for each conformance case.
async fn fresh_memory_store() -> ostiary_store::memory::MemoryStore {
    ostiary_store::memory::MemoryStore::new()
}

/// Every conformance case, one test each.
mod conformance {
    ostiary_store::conformance_tests!(super::fresh_memory_store);
}
