//! Benchmarks of the Ostiary crates; see `benches/` for the criterion benches.
