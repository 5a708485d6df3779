//! The text log format: the bytes of `tracing-subscriber`'s default (`Full`) format, written
//! without `core::fmt` where it can be.
//!
//! Every request logs one line (`ostiary_server`'s access log), so the formatter is on every request's
//! path. The default formatter builds each part through `core::fmt` (the timestamp from its parts,
//! the level padded, the target and each field through `Debug` and ANSI styles even when colours are
//! off). This one writes the same line with string appends: the date and time of the current second
//! are kept per thread and only the microseconds are written per line; strings that need no
//! escaping are quoted directly; integers are written digit by digit. Logging an event (formatting
//! and appending the line) went from 10.4 to 2.9 % of the server's CPU under discovery GETs at 32
//! clients and from 2.0 to 1.2 % under refresh (`perf`, one profile each).
//!
//! It formats only what it can reproduce exactly: events outside any span, without colours, whose
//! fields carry no `std::error::Error` value, and not forwarded from the `log` crate. Everything else
//! is handed to the default formatter, so the output is the default format in every case.

use std::cell::Cell;
use std::fmt::{self, Write as _};
use std::time::{SystemTime, UNIX_EPOCH};

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::{Format, Writer};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

/// The text formatter (see the module documentation).
#[derive(Debug, Default)]
pub(crate) struct TextFormat {
    /// The default format, for what this one does not reproduce itself.
    full: Format,
}

impl<S, N> FormatEvent<S, N> for TextFormat
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        if writer.has_ansi_escapes() || in_span(ctx) || !plain(event) {
            return self.full.format_event(ctx, writer, event);
        }
        let Some(timestamp) = Timestamp::now() else {
            return self.full.format_event(ctx, writer, event);
        };
        #[cfg(test)]
        tests::FAST_LINES.with(|n| n.set(n.get() + 1));
        timestamp.write(&mut writer)?;
        writer.write_str(level(event.metadata().level()))?;
        writer.write_char(' ')?;
        writer.write_str(event.metadata().target())?;
        writer.write_str(": ")?;
        let sanitize = writer.sanitizes_ansi_escapes();
        let mut fields = Fields {
            writer: writer.by_ref(),
            sanitize,
            first: true,
            result: Ok(()),
        };
        event.record(&mut fields);
        fields.result?;
        writer.write_char('\n')
    }
}

/// Whether the event is inside a span (the default format then names the spans first).
fn in_span<S, N>(ctx: &FmtContext<'_, S, N>) -> bool
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    ctx.event_scope()
        .is_some_and(|mut scope| scope.next().is_some())
}

/// Whether this formatter reproduces the event exactly: not a `log` record (its metadata is
/// rewritten by the default format) and no error value among its fields (the default format lists
/// the error's sources).
fn plain(event: &Event<'_>) -> bool {
    if event.metadata().fields().field("log.target").is_some() {
        return false;
    }
    struct HasError(bool);
    impl Visit for HasError {
        fn record_error(&mut self, _: &Field, _: &(dyn std::error::Error + 'static)) {
            self.0 = true;
        }
        fn record_debug(&mut self, _: &Field, _: &dyn fmt::Debug) {}
    }
    let mut check = HasError(false);
    event.record(&mut check);
    !check.0
}

/// The level as the default format writes it without colours: five characters, right-aligned.
fn level(level: &Level) -> &'static str {
    match *level {
        Level::TRACE => "TRACE",
        Level::DEBUG => "DEBUG",
        Level::INFO => " INFO",
        Level::WARN => " WARN",
        _ => "ERROR",
    }
}

/// Writes the fields as the default format's field visitor does: the message first as text, every
/// other field `name=value` with its value's `Debug`, separated by spaces.
struct Fields<'a> {
    writer: Writer<'a>,
    sanitize: bool,
    first: bool,
    result: fmt::Result,
}

impl Fields<'_> {
    /// Starts `field`: the space before every field but the first; `false` once writing failed, and
    /// for `log.` fields, which the default format leaves out too.
    fn start(&mut self, field: &Field) -> bool {
        if self.result.is_err() || field.name().starts_with("log.") {
            return false;
        }
        if !std::mem::replace(&mut self.first, false) {
            self.result = self.writer.write_char(' ');
        }
        self.result.is_ok()
    }

    /// The field's name and `=`; `r#` names lose their prefix, as in the default format.
    fn name(&mut self, field: &Field) -> fmt::Result {
        let name = field.name();
        self.writer
            .write_str(name.strip_prefix("r#").unwrap_or(name))?;
        self.writer.write_char('=')
    }

    /// A `name=value` field, `value` writing the value.
    fn field(&mut self, field: &Field, value: impl FnOnce(&mut Writer<'_>) -> fmt::Result) {
        if self.start(field) {
            self.result = self.name(field).and_then(|()| value(&mut self.writer));
        }
    }

    /// The message, escaping terminal control characters when the writer asks for it.
    fn message(&mut self, text: fmt::Arguments<'_>) -> fmt::Result {
        if self.sanitize {
            Escaping(&mut self.writer).write_fmt(text)
        } else {
            self.writer.write_fmt(text)
        }
    }
}

impl Visit for Fields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() != "message" {
            self.field(field, |w| quoted(w, value));
        } else if self.start(field) {
            self.result = self.message(format_args!("{value}"));
        }
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.field(field, |w| decimal(w, value, false));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.field(field, |w| decimal(w, value.unsigned_abs(), value < 0));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.field(field, |w| w.write_str(if value { "true" } else { "false" }));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() != "message" {
            self.field(field, |w| write!(w, "{value:?}"));
        } else if self.start(field) {
            self.result = self.message(format_args!("{value:?}"));
        }
    }
}

/// A string's `Debug` form: quoted as is when it holds only printable ASCII other than `"` and `\`
/// (what `Debug` leaves alone), else through `Debug` itself.
fn quoted(writer: &mut Writer<'_>, value: &str) -> fmt::Result {
    if value
        .bytes()
        .all(|b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\')
    {
        writer.write_char('"')?;
        writer.write_str(value)?;
        writer.write_char('"')
    } else {
        write!(writer, "{value:?}")
    }
}

/// An integer in decimal, as `Debug` writes it.
fn decimal(writer: &mut Writer<'_>, value: u64, negative: bool) -> fmt::Result {
    let mut text = [0u8; 20];
    let len = value.checked_ilog10().map_or(1, |log| log as usize + 1);
    digits(&mut text[..len], value);
    if negative {
        writer.write_char('-')?;
    }
    // Only ASCII digits were written.
    writer.write_str(std::str::from_utf8(&text[..len]).map_err(|_| fmt::Error)?)
}

/// The default format's escaping of a message for a terminal: C0 escape, bell, backspace, form feed
/// and delete, and the C1 controls, written as escape sequences.
struct Escaping<'w, 'a>(&'w mut Writer<'a>);

impl fmt::Write for Escaping<'_, '_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let mut rest = s;
        while let Some(at) = rest.find(needs_escape) {
            self.0.write_str(&rest[..at])?;
            let mut chars = rest[at..].chars();
            let Some(ch) = chars.next() else { break };
            match ch {
                '\x1b' => self.0.write_str("\\x1b")?,
                '\x07' => self.0.write_str("\\x07")?,
                '\x08' => self.0.write_str("\\x08")?,
                '\x0c' => self.0.write_str("\\x0c")?,
                '\x7f' => self.0.write_str("\\x7f")?,
                _ => write!(self.0, "\\u{{{:x}}}", u32::from(ch))?,
            }
            rest = chars.as_str();
        }
        self.0.write_str(rest)
    }
}

fn needs_escape(ch: char) -> bool {
    matches!(
        ch,
        '\x1b' | '\x07' | '\x08' | '\x0c' | '\x7f' | '\u{80}'..='\u{9f}'
    )
}

/// The time of a line: `YYYY-MM-DDTHH:MM:SS.uuuuuuZ` and a space, as the default format's
/// `SystemTime` timer writes it.
struct Timestamp {
    /// The date and time to the second, from this thread's cache.
    second: [u8; 19],
    micros: u32,
}

thread_local! {
    /// The last second this thread formatted, and its text.
    static SECOND: Cell<(u64, [u8; 19])> = const { Cell::new((u64::MAX, [0; 19])) };
}

impl Timestamp {
    /// Now. `None` before 1970 or after 9999, which the default format writes differently.
    fn now() -> Option<Self> {
        let since = SystemTime::now().duration_since(UNIX_EPOCH).ok()?;
        Self::at(since.as_secs(), since.subsec_micros())
    }

    fn at(secs: u64, micros: u32) -> Option<Self> {
        let second = SECOND.with(|cache| {
            let (cached, text) = cache.get();
            if cached == secs {
                return Some(text);
            }
            let text = civil(secs)?;
            cache.set((secs, text));
            Some(text)
        })?;
        Some(Self { second, micros })
    }

    fn write(&self, writer: &mut Writer<'_>) -> fmt::Result {
        let mut line = [0u8; 28];
        line[..19].copy_from_slice(&self.second);
        line[19] = b'.';
        digits(&mut line[20..26], u64::from(self.micros));
        line[26] = b'Z';
        line[27] = b' ';
        // Only ASCII was written.
        writer.write_str(std::str::from_utf8(&line).map_err(|_| fmt::Error)?)
    }
}

/// `YYYY-MM-DDTHH:MM:SS` (UTC) for `secs` after the Unix epoch, years 1970–9999 only.
fn civil(secs: u64) -> Option<[u8; 19]> {
    let in_day = secs % 86_400;
    let (year, month, day) = crate::output::civil_from_days(i64::try_from(secs / 86_400).ok()?);
    if !(1970..=9999).contains(&year) {
        return None;
    }
    let mut text = *b"0000-00-00T00:00:00";
    digits(&mut text[0..4], u64::try_from(year).ok()?);
    digits(&mut text[5..7], u64::try_from(month).ok()?);
    digits(&mut text[8..10], u64::try_from(day).ok()?);
    digits(&mut text[11..13], in_day / 3600);
    digits(&mut text[14..16], in_day % 3600 / 60);
    digits(&mut text[17..19], in_day % 60);
    Some(text)
}

/// `value`'s last `out.len()` decimal digits into `out`, zero-padded.
fn digits(out: &mut [u8], mut value: u64) {
    for digit in out.iter_mut().rev() {
        // A digit, 0–9, always fits.
        *digit = b'0' + u8::try_from(value % 10).unwrap_or(0);
        value /= 10;
    }
}

#[cfg(test)]
pub(super) mod tests {
    use std::cell::Cell;
    use std::sync::{Arc, Mutex, PoisonError};

    use tracing_subscriber::fmt::MakeWriter;

    use super::*;

    thread_local! {
        /// Lines this thread formatted itself (not handed to the default format).
        pub(in crate::logging) static FAST_LINES: Cell<usize> = const { Cell::new(0) };
    }

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Captured {
        type Writer = Self;
        fn make_writer(&'a self) -> Self {
            self.clone()
        }
    }

    /// What `emit` logs at every level, through this format (`fast`) or the default one.
    fn output(fast: bool, ansi: bool, emit: &dyn Fn()) -> String {
        let out = Captured::default();
        let builder = tracing_subscriber::fmt()
            .with_writer(out.clone())
            .with_ansi(ansi)
            .with_max_level(Level::TRACE);
        if fast {
            let subscriber = builder.event_format(TextFormat::default()).finish();
            tracing::subscriber::with_default(subscriber, emit);
        } else {
            tracing::subscriber::with_default(builder.finish(), emit);
        }
        let bytes = out.0.lock().unwrap_or_else(PoisonError::into_inner).clone();
        String::from_utf8(bytes).unwrap()
    }

    /// `text` with every `YYYY-MM-DDTHH:MM:SS.uuuuuuZ` replaced by `<time>` (the two formats read
    /// the clock at different moments), after checking there is one per line.
    fn without_times(text: &str) -> String {
        const SHAPE: &[u8] = b"dddd-dd-ddTdd:dd:dd.ddddddZ";
        let bytes = text.as_bytes();
        let mut out = String::new();
        let mut at = 0;
        let mut found = 0;
        while at < bytes.len() {
            let window = bytes.get(at..at + SHAPE.len());
            let is_time = window.is_some_and(|w| {
                w.iter().zip(SHAPE).all(|(b, s)| match s {
                    b'd' => b.is_ascii_digit(),
                    _ => b == s,
                })
            });
            if is_time {
                out.push_str("<time>");
                at += SHAPE.len();
                found += 1;
            } else {
                let ch = text[at..].chars().next().unwrap();
                out.push(ch);
                at += ch.len_utf8();
            }
        }
        assert_eq!(found, text.lines().count(), "one time per line: {text}");
        out
    }

    fn events() {
        // The access log line, as `ostiary_server` writes it.
        tracing::info!(
            method = "POST",
            path = "/token",
            status = 200_u16,
            latency_us = 1234_u64,
            "request"
        );
        tracing::info!("a message alone");
        tracing::warn!(
            quote = "say \"hi\"",
            backslash = "a\\b",
            newline = "a\nb",
            tab = "a\tb",
            unicode = "café ☕",
            empty = "",
            "strings that Debug escapes"
        );
        tracing::error!(
            negative = -42_i64,
            min = i64::MIN,
            max = u64::MAX,
            zero = 0_u64,
            yes = true,
            no = false,
            half = 0.5_f64,
            big = 1_u128 << 100,
            "numbers"
        );
        tracing::debug!(shown = %"display", debugged = ?Some("x"), r#type = "raw", "formatting");
        tracing::trace!(message = "escape \x1b[31m red \u{9b} bell \x07 delete \x7f");
        tracing::info!("arguments {} {:?}", "\x1b[2J", "\x0c");
        tracing::info!(
            log.target = "looks like log",
            kept = 1_u64,
            "log-named field"
        );
        let error = std::io::Error::other("disk full");
        tracing::error!(
            error = &error as &(dyn std::error::Error + 'static),
            "with an error"
        );
        let span = tracing::info_span!("outer", id = 7_u64);
        span.in_scope(|| tracing::info!(inside = true, "in a span"));
        tracing::info!(target: "some::module", "another target");
        tracing::info!(no_message = 1_u64);
    }

    #[test]
    fn writes_the_default_formats_bytes() {
        let before = FAST_LINES.with(Cell::get);
        let fast = output(true, false, &events);
        let formatted = FAST_LINES.with(Cell::get) - before;
        let default = output(false, false, &events);
        assert_eq!(without_times(&fast), without_times(&default));
        // Everything but the log-named field, the error and the span was formatted here.
        assert_eq!(formatted, default.lines().count() - 3, "{fast}");
    }

    #[test]
    fn with_colours_the_default_format_writes_everything() {
        let before = FAST_LINES.with(Cell::get);
        let fast = output(true, true, &events);
        assert_eq!(FAST_LINES.with(Cell::get), before);
        assert_eq!(
            fast.lines().count(),
            output(false, true, &events).lines().count()
        );
        assert!(fast.contains("\x1b["), "colours: {fast}");
    }

    #[test]
    fn civil_dates() {
        for (secs, text) in [
            (0, "1970-01-01T00:00:00"),
            (951_782_400, "2000-02-29T00:00:00"),
            (951_868_799, "2000-02-29T23:59:59"),
            (1_764_896_523, "2025-12-05T01:02:03"),
            (1_798_761_599, "2026-12-31T23:59:59"),
            (1_798_761_600, "2027-01-01T00:00:00"),
            (4_102_444_800, "2100-01-01T00:00:00"),
            (253_402_300_799, "9999-12-31T23:59:59"),
        ] {
            assert_eq!(
                civil(secs).as_ref().map(|t| &t[..]),
                Some(text.as_bytes()),
                "{secs}"
            );
        }
        assert_eq!(civil(253_402_300_800), None, "year 10000");
    }

    #[test]
    fn the_cached_second_is_the_one_asked_for() {
        let mut line = String::new();
        for (secs, micros, text) in [
            (1_764_896_523, 7, "2025-12-05T01:02:03.000007Z "),
            (1_764_896_523, 999_999, "2025-12-05T01:02:03.999999Z "),
            (1_764_896_524, 0, "2025-12-05T01:02:04.000000Z "),
            (0, 123_456, "1970-01-01T00:00:00.123456Z "),
        ] {
            line.clear();
            Timestamp::at(secs, micros)
                .unwrap()
                .write(&mut Writer::new(&mut line))
                .unwrap();
            assert_eq!(line, text);
        }
    }
}
