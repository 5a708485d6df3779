//! Printing: aligned `key: value` text for people, JSON for scripts, RFC 3339 times.

use std::io::Write as _;

use serde::Serialize;

use crate::error::{CliError, CliResult};

/// Prints `value` as pretty JSON on standard output.
pub(crate) fn json<T: Serialize + ?Sized>(value: &T) -> CliResult {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| CliError::failed("could not encode JSON output", e))?;
    line(&text)
}

/// Prints one line on standard output. A closed pipe (`| head`) is not an error worth a message.
pub(crate) fn line(text: &str) -> CliResult {
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{text}").and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(CliError::failed("could not write to standard output", e)),
    }
}

/// Prints a note for people on standard error (never a secret).
pub(crate) fn note(text: &str) {
    eprintln!("{text}");
}

/// `key: value` lines with the values aligned; a list value prints one item per line.
#[derive(Debug, Default)]
pub(crate) struct Fields(Vec<(&'static str, Vec<String>)>);

impl Fields {
    /// Adds a single value.
    pub(crate) fn add(&mut self, key: &'static str, value: impl Into<String>) -> &mut Self {
        self.0.push((key, vec![value.into()]));
        self
    }

    /// Adds an optional value (`-` when absent).
    pub(crate) fn opt(&mut self, key: &'static str, value: Option<&str>) -> &mut Self {
        self.add(key, value.unwrap_or("-"))
    }

    /// Adds a list (`-` when empty).
    pub(crate) fn list<I, S>(&mut self, key: &'static str, values: I) -> &mut Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut values: Vec<String> = values.into_iter().map(Into::into).collect();
        if values.is_empty() {
            values.push("-".into());
        }
        self.0.push((key, values));
        self
    }

    /// The text block.
    pub(crate) fn render(&self) -> String {
        let width = self.0.iter().map(|(k, _)| k.len()).max().unwrap_or(0) + 1;
        let mut text = String::new();
        for (key, values) in &self.0 {
            for (i, value) in values.iter().enumerate() {
                let label = if i == 0 {
                    format!("{key}:")
                } else {
                    String::new()
                };
                if !text.is_empty() {
                    text.push('\n');
                }
                text.push_str(&format!("{label:<width$} {value}"));
            }
        }
        text
    }
}

/// A table with a header row and left-aligned columns.
pub(crate) fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let render = |cells: Vec<&str>| {
        let mut line = String::new();
        for (i, (cell, width)) in cells.iter().zip(&widths).enumerate() {
            if i + 1 == cells.len() {
                line.push_str(cell);
            } else {
                line.push_str(&format!("{cell:<width$}  "));
            }
        }
        line
    };
    let mut text = render(header.to_vec());
    for row in rows {
        text.push('\n');
        text.push_str(&render(row.iter().map(String::as_str).collect()));
    }
    text
}

/// Unix seconds as RFC 3339 UTC (`2026-11-03T09:30:00Z`).
pub(crate) fn time(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// An optional time, `-` when absent.
pub(crate) fn opt_time(unix: Option<i64>) -> String {
    unix.map_or_else(|| "-".to_owned(), time)
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's `civil_from_days`).
pub(crate) fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_times() {
        assert_eq!(time(0), "1970-01-01T00:00:00Z");
        assert_eq!(time(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(time(1_767_225_599), "2025-12-31T23:59:59Z");
        assert_eq!(time(1_767_225_600), "2026-01-01T00:00:00Z");
        assert_eq!(time(-1), "1969-12-31T23:59:59Z");
        assert_eq!(opt_time(None), "-");
    }

    proptest! {
        /// Consecutive days render as consecutive, increasing dates with valid fields.
        #[test]
        fn dates_are_valid_and_ordered(days in -1_000_000i64..1_000_000) {
            let (y, m, d) = civil_from_days(days);
            let suffix = format!("-{m:02}-{d:02}T00:00:00Z");
            prop_assert!(time(days * 86_400).ends_with(&suffix));
            prop_assert!((1..=12).contains(&m));
            prop_assert!((1..=31).contains(&d));
            let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
            let month_days = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
            prop_assert!(d <= month_days[usize::try_from(m - 1).unwrap()]);
            let (y2, m2, d2) = civil_from_days(days + 1);
            prop_assert!((y2, m2, d2) > (y, m, d));
        }
    }

    #[test]
    fn fields_align_and_tables_pad() {
        let mut fields = Fields::default();
        fields
            .add("a", "1")
            .list("long_key", ["x", "y"])
            .opt("c", None);
        assert_eq!(
            fields.render(),
            "a:        1\nlong_key: x\n          y\nc:        -"
        );
        let text = table(
            &["ID", "NAME"],
            &[
                vec!["1".into(), "alice".into()],
                vec!["22".into(), "b".into()],
            ],
        );
        assert_eq!(text, "ID  NAME\n1   alice\n22  b");
    }
}
