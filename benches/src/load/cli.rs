//! Small helpers shared by the binaries' command lines.

use std::time::Duration;

/// Parses a duration flag: `10`, `10s`, `2.5`, `500ms` (0 to 86 400 seconds).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, scale) = if let Some(ms) = text.strip_suffix("ms") {
        (ms, 0.001)
    } else if let Some(s) = text.strip_suffix('s') {
        (s, 1.0)
    } else {
        (text, 1.0)
    };
    let value: f64 = number
        .trim()
        .parse()
        .map_err(|_| "expected seconds, such as 10, 2.5s or 500ms".to_owned())?;
    let seconds = value * scale;
    if !(0.0..=86_400.0).contains(&seconds) {
        return Err("must be between 0 and 86400 seconds".to_owned());
    }
    Ok(Duration::from_secs_f64(seconds))
}

/// Parses a comma-separated list of concurrencies (`1,8,32`), each 1..=4096.
pub fn parse_concurrencies(text: &str) -> Result<Vec<usize>, String> {
    text.split(',')
        .map(|part| match part.trim().parse::<usize>() {
            Ok(n) if (1..=4096).contains(&n) => Ok(n),
            _ => Err("expected a comma-separated list of numbers from 1 to 4096".to_owned()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("10"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("2.5s"), Ok(Duration::from_millis(2500)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        for bad in ["", "-1", "x", "NaN", "1e9", "inf"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_flags_never_panic(text in "\\PC{0,20}") {
            if let Ok(d) = parse_duration(&text) {
                proptest::prop_assert!(d <= Duration::from_secs(86_400));
            }
            if let Ok(list) = parse_concurrencies(&text) {
                proptest::prop_assert!(list.iter().all(|n| (1..=4096).contains(n)));
            }
        }
    }

    #[test]
    fn concurrencies() {
        assert_eq!(parse_concurrencies("1, 8,32"), Ok(vec![1, 8, 32]));
        for bad in ["", "0", "1,,2", "5000", "a"] {
            assert!(parse_concurrencies(bad).is_err(), "{bad}");
        }
    }
}
