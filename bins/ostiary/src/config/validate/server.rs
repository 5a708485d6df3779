//! `server.*` (the HTTP layer) and `keys.*` (signing-key rotation).

use std::ops::RangeInclusive;
use std::time::Duration;

use ostiary_server::ServerConfig;

use super::Problems;
use crate::config::Rotation;
use crate::config::file::{KeysFile, ServerFile};

impl Problems {
    /// A whole number setting within `range`, or its default.
    fn ranged(
        &mut self,
        key: &str,
        value: Option<u64>,
        default: u64,
        range: RangeInclusive<u64>,
    ) -> Option<u64> {
        let value = value.unwrap_or(default);
        if range.contains(&value) {
            Some(value)
        } else {
            self.add(key, format!("must be {}..={}", range.start(), range.end()));
            None
        }
    }

    /// An interval in seconds where 0 turns the task off.
    fn interval(
        &mut self,
        key: &str,
        value: Option<u64>,
        default: Option<Duration>,
    ) -> Option<Option<Duration>> {
        let default = default.map_or(0, |d| d.as_secs());
        match self.ranged(key, value, default, 0..=86_400)? {
            0 => Some(None),
            secs => Some(Some(Duration::from_secs(secs))),
        }
    }
}

pub(super) fn server(file: &ServerFile, problems: &mut Problems) -> Option<ServerConfig> {
    let d = ServerConfig::default();
    let usize_of = |n: u64| usize::try_from(n).ok();
    let secs = |n: u64| Duration::from_secs(n);
    let max_body_bytes = problems
        .ranged(
            "server.max_body_bytes",
            file.max_body_bytes,
            d.max_body_bytes as u64,
            1024..=16 * 1024 * 1024,
        )
        .and_then(usize_of);
    let body_timeout = problems.ranged(
        "server.body_timeout",
        file.body_timeout,
        d.body_timeout.as_secs(),
        1..=300,
    );
    let header_read_timeout = problems.ranged(
        "server.header_read_timeout",
        file.header_read_timeout,
        d.header_read_timeout.as_secs(),
        1..=300,
    );
    let max_connections = problems
        .ranged(
            "server.max_connections",
            file.max_connections,
            d.max_connections as u64,
            1..=1_000_000,
        )
        .and_then(usize_of);
    let shutdown_grace = problems.ranged(
        "server.shutdown_grace",
        file.shutdown_grace,
        d.shutdown_grace.as_secs(),
        0..=300,
    );
    let key_reload_interval = problems.interval(
        "server.key_reload_interval",
        file.key_reload_interval,
        d.key_reload_interval,
    );
    let purge_interval = problems.interval(
        "server.purge_interval",
        file.purge_interval,
        d.purge_interval,
    );
    let purge_batch = problems
        .ranged(
            "server.purge_batch",
            file.purge_batch,
            d.purge_batch as u64,
            1..=100_000,
        )
        .and_then(usize_of);
    let purge_max_batches = problems
        .ranged(
            "server.purge_max_batches",
            file.purge_max_batches,
            d.purge_max_batches as u64,
            1..=10_000,
        )
        .and_then(usize_of);
    let mut config = ServerConfig::default();
    config.max_body_bytes = max_body_bytes?;
    config.body_timeout = secs(body_timeout?);
    config.header_read_timeout = secs(header_read_timeout?);
    config.max_connections = max_connections?;
    config.shutdown_grace = secs(shutdown_grace?);
    config.key_reload_interval = key_reload_interval?;
    config.purge_interval = purge_interval?;
    config.purge_batch = purge_batch?;
    config.purge_max_batches = purge_max_batches?;
    Some(config)
}

pub(super) fn rotation(file: &KeysFile, problems: &mut Problems) -> Option<Rotation> {
    let check_interval = problems.interval(
        "keys.rotation_check_interval",
        file.rotation_check_interval,
        Some(Duration::from_secs(3600)),
    );
    let active_lifetime = problems.ranged(
        "keys.active_lifetime",
        file.active_lifetime,
        30 * 86_400,
        3600..=365 * 86_400,
    );
    let next_publish_lead = problems.ranged(
        "keys.next_publish_lead",
        file.next_publish_lead,
        86_400,
        0..=30 * 86_400,
    );
    Some(Rotation {
        check_interval: check_interval?,
        active_lifetime: i64::try_from(active_lifetime?).ok()?,
        next_publish_lead: i64::try_from(next_publish_lead?).ok()?,
    })
}
