//! Facts printed beside every report: the machine, the commit, and a process's memory and CPU time.

use std::path::Path;
use std::process::Command;

use serde::Serialize;

/// The machine and source a run was measured on.
#[derive(Clone, Debug, Serialize)]
pub struct MachineInfo {
    /// `model name` of the first CPU in `/proc/cpuinfo`.
    pub cpu: String,
    /// Cores available to this process.
    pub cores: usize,
    /// `/proc/sys/kernel/osrelease`.
    pub kernel: String,
    /// The 1-minute load average when the run started (other work on the machine skews numbers).
    pub loadavg_1m: Option<f64>,
    /// `git rev-parse HEAD` of the working directory, with ` (dirty)` when files are modified.
    pub commit: String,
}

impl MachineInfo {
    /// Collects what can be read; unknown facts read `unknown`.
    pub fn collect(repo: &Path) -> Self {
        let cpu = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|text| {
                text.lines()
                    .find(|l| l.starts_with("model name"))
                    .and_then(|l| l.split_once(':'))
                    .map(|(_, v)| v.trim().to_owned())
            })
            .unwrap_or_else(|| "unknown".to_owned());
        let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .map(|k| k.trim().to_owned())
            .unwrap_or_else(|_| "unknown".to_owned());
        let loadavg_1m = std::fs::read_to_string("/proc/loadavg")
            .ok()
            .and_then(|l| l.split_whitespace().next().and_then(|v| v.parse().ok()));
        Self {
            cpu,
            cores: std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
            kernel,
            loadavg_1m,
            commit: git_commit(repo),
        }
    }
}

fn git_commit(repo: &Path) -> String {
    let run = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .current_dir(repo)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
    };
    match run(&["rev-parse", "HEAD"]) {
        Some(head) => {
            let dirty = run(&["status", "--porcelain", "--untracked-files=no"])
                .is_some_and(|s| !s.is_empty());
            if dirty {
                format!("{head} (dirty)")
            } else {
                head
            }
        }
        None => "unknown".to_owned(),
    }
}

/// Resident and peak memory of a process, KiB, from `/proc/<pid>/status`.
#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
pub struct Memory {
    /// `VmRSS`.
    pub rss_kib: u64,
    /// `VmHWM` (peak RSS).
    pub peak_kib: u64,
}

/// Reads a process's memory; `None` if it is gone or not on Linux.
pub fn memory(pid: u32) -> Option<Memory> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
    };
    Some(Memory {
        rss_kib: field("VmRSS:")?,
        peak_kib: field("VmHWM:")?,
    })
}

/// The CPU time a process has used so far (user + system, every thread), in clock ticks
/// (`/proc/<pid>/stat` fields 14 and 15); `None` if it is gone or not on Linux.
pub fn cpu_ticks(pid: u32) -> Option<u64> {
    parse_cpu_ticks(&std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
}

/// `utime + stime` of a `/proc/<pid>/stat` line. The command name (field 2) is in parentheses and may
/// itself contain spaces and parentheses, so fields are counted from the last `)`.
fn parse_cpu_ticks(stat: &str) -> Option<u64> {
    let (_, rest) = stat.rsplit_once(')')?;
    // After the name: state (3), ppid (4), … utime (14), stime (15).
    let mut fields = rest.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_ticks_are_counted_after_the_command_name() {
        let stat =
            "4242 (tokio (rt) x) S 1 4242 4242 0 -1 4194560 100 0 0 0 1234 567 0 0 20 0 9 0 1 2 3";
        assert_eq!(parse_cpu_ticks(stat), Some(1234 + 567));
        assert_eq!(parse_cpu_ticks("4242 (x) S 1"), None);
        assert_eq!(parse_cpu_ticks("no name here"), None);
        assert!(cpu_ticks(std::process::id()).is_some());
        assert!(cpu_ticks(u32::MAX).is_none());
    }

    #[test]
    fn own_memory_is_readable_and_peak_is_at_least_current() {
        let m = memory(std::process::id()).unwrap();
        assert!(m.rss_kib > 0);
        assert!(m.peak_kib >= m.rss_kib);
        assert!(memory(u32::MAX).is_none());
    }

    #[test]
    fn machine_info_has_cores() {
        let info = MachineInfo::collect(Path::new("."));
        assert!(info.cores >= 1);
        assert!(!info.cpu.is_empty());
    }
}
