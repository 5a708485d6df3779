//! Reading a new password: from a no-echo terminal prompt (asked twice), or one line of standard input
//! with `--password-stdin`. Never from an argument.

use std::io::{BufRead, IsTerminal, Read, Write};

use ostiary_core::MAX_PASSWORD_BYTES;
use rustix::termios::{self, LocalModes, OptionalActions};
use zeroize::Zeroizing;

use crate::error::{CliError, CliResult};

/// Reads the password the way the flags say.
pub(crate) fn read(from_stdin: bool) -> CliResult<Zeroizing<String>> {
    if from_stdin {
        let password = read_line(&mut std::io::stdin().lock())?;
        if password.is_empty() {
            return Err(CliError::invalid(
                "--password-stdin: standard input held no password",
            ));
        }
        return Ok(password);
    }
    if !std::io::stdin().is_terminal() {
        return Err(CliError::invalid(
            "standard input is not a terminal, so the password cannot be asked for: pipe it in \
             with --password-stdin",
        ));
    }
    let first = prompt("New password: ")?;
    let second = prompt("Repeat the password: ")?;
    if !same(first.as_bytes(), second.as_bytes()) {
        return Err(CliError::invalid("the two passwords differ"));
    }
    Ok(first)
}

/// One line (without its line ending), read into a buffer that never reallocates, so no stray copy of
/// the password is left behind. A line longer than the password limit is refused.
fn read_line(input: &mut impl BufRead) -> CliResult<Zeroizing<String>> {
    // Room for the longest accepted password, a line ending, and one byte to detect overflow.
    let limit = MAX_PASSWORD_BYTES + 3;
    let mut line = Zeroizing::new(String::with_capacity(limit));
    input
        .take(u64::try_from(limit).unwrap_or(u64::MAX))
        .read_line(&mut line)
        .map_err(|e| CliError::failed("could not read the password", e))?;
    if line.ends_with('\n') {
        line.pop();
        if line.ends_with('\r') {
            line.pop();
        }
    } else if line.len() >= limit {
        return Err(CliError::invalid("the password is too long"));
    }
    Ok(line)
}

/// Asks on standard error and reads standard input with echo turned off.
fn prompt(message: &str) -> CliResult<Zeroizing<String>> {
    let stdin = std::io::stdin();
    let mut stderr = std::io::stderr();
    let _ = write!(stderr, "{message}");
    let _ = stderr.flush();
    let original = termios::tcgetattr(&stdin)
        .map_err(|e| CliError::failed("could not read the terminal settings", e))?;
    let mut silent = original.clone();
    silent.local_modes.remove(LocalModes::ECHO);
    termios::tcsetattr(&stdin, OptionalActions::Now, &silent)
        .map_err(|e| CliError::failed("could not turn off the terminal echo", e))?;
    let result = read_line(&mut stdin.lock());
    // Restore the echo whatever happened.
    let restored = termios::tcsetattr(&stdin, OptionalActions::Now, &original);
    let _ = writeln!(stderr);
    restored.map_err(|e| CliError::failed("could not restore the terminal echo", e))?;
    result
}

/// Compares two secrets without an early exit.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_lose_their_ending_only() {
        let read = |text: &str| read_line(&mut text.as_bytes()).map(|s| s.to_string());
        assert_eq!(read("correct horse\n").unwrap(), "correct horse");
        assert_eq!(read("correct horse\r\n").unwrap(), "correct horse");
        assert_eq!(read(" spaced \nsecond line\n").unwrap(), " spaced ");
        assert_eq!(read("no newline").unwrap(), "no newline");
        assert_eq!(read("").unwrap(), "");
        assert!(read(&"x".repeat(MAX_PASSWORD_BYTES + 10)).is_err());
        assert_eq!(
            read(&"x".repeat(MAX_PASSWORD_BYTES)).unwrap().len(),
            MAX_PASSWORD_BYTES
        );
    }

    #[test]
    fn comparison() {
        assert!(same(b"abc", b"abc"));
        assert!(!same(b"abc", b"abd"));
        assert!(!same(b"abc", b"abcd"));
    }
}
