//! The tokenizer under the form parser: tags with their attributes, comments, raw-text elements
//! and character references. Works on bytes and slices only at ASCII positions, so it never splits
//! a UTF-8 character and never panics.

/// A start or end tag with its (decoded, lower-cased-name) attributes.
#[derive(Debug)]
pub(super) struct Tag {
    pub(super) name: String,
    pub(super) closing: bool,
    attrs: Vec<(String, String)>,
}

impl Tag {
    /// The first attribute of that name (HTML ignores later duplicates).
    pub(super) fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

pub(super) struct Parser<'a> {
    html: &'a str,
    pos: usize,
}

impl<'a> Parser<'a> {
    fn rest(&self) -> &[u8] {
        self.html.as_bytes().get(self.pos..).unwrap_or(&[])
    }

    fn peek(&self) -> Option<u8> {
        self.rest().first().copied()
    }

    /// A tokenizer at the start of `html`.
    pub(super) fn new(html: &'a str) -> Self {
        Self { html, pos: 0 }
    }

    /// Advances to the next start or end tag and parses it; `None` at the end of input.
    pub(super) fn next_tag(&mut self) -> Option<Tag> {
        loop {
            let offset = self.rest().iter().position(|&b| b == b'<')?;
            self.pos += offset + 1;
            let rest = self.rest();
            if rest.starts_with(b"!--") {
                self.skip_past(b"-->");
                continue;
            }
            let closing = rest.first() == Some(&b'/');
            if closing {
                self.pos += 1;
            }
            let name = self.take_while(|b| b.is_ascii_alphanumeric());
            if name.is_empty() {
                // `<!DOCTYPE`, `<?`, a stray `<`: skip to the end of this construct.
                if !closing && self.peek().is_some_and(|b| b == b'!' || b == b'?') {
                    self.skip_past(b">");
                }
                continue;
            }
            let name = name.to_ascii_lowercase();
            let attrs = self.attributes();
            return Some(Tag {
                name,
                closing,
                attrs,
            });
        }
    }

    /// Parses attributes up to and including the tag's `>` (or the end of input).
    fn attributes(&mut self) -> Vec<(String, String)> {
        let mut attrs = Vec::new();
        loop {
            self.take_while(|b| b.is_ascii_whitespace() || b == b'/');
            match self.peek() {
                None => return attrs,
                Some(b'>') => {
                    self.pos += 1;
                    return attrs;
                }
                Some(_) => {}
            }
            let name = self
                .take_while(|b| !b.is_ascii_whitespace() && !matches!(b, b'=' | b'>' | b'/'))
                .to_ascii_lowercase();
            if name.is_empty() {
                // A lone `=` or other junk: consume one byte to make progress.
                self.pos += 1;
                continue;
            }
            self.take_while(|b| b.is_ascii_whitespace());
            let value = if self.peek() == Some(b'=') {
                self.pos += 1;
                self.take_while(|b| b.is_ascii_whitespace());
                self.attribute_value()
            } else {
                String::new()
            };
            attrs.push((name, value));
        }
    }

    fn attribute_value(&mut self) -> String {
        match self.peek() {
            Some(quote @ (b'"' | b'\'')) => {
                self.pos += 1;
                let raw = self.take_while(|b| b != quote);
                if self.peek() == Some(quote) {
                    self.pos += 1;
                }
                decode_entities(raw)
            }
            _ => decode_entities(self.take_while(|b| !b.is_ascii_whitespace() && b != b'>')),
        }
    }

    /// Consumes bytes while `keep` holds; the returned slice ends on an ASCII byte or the end of
    /// input, so it is always on a `char` boundary.
    fn take_while(&mut self, keep: impl Fn(u8) -> bool) -> &'a str {
        let start = self.pos;
        let len = self
            .rest()
            .iter()
            .position(|&b| !keep(b))
            .unwrap_or(self.rest().len());
        self.pos += len;
        self.html.get(start..self.pos).unwrap_or("")
    }

    fn skip_past(&mut self, needle: &[u8]) {
        let rest = self.rest();
        self.pos += find_ascii(rest, needle).map_or(rest.len(), |i| i + needle.len());
    }

    /// The raw text up to `</name` (case-insensitive), consuming the end tag too.
    pub(super) fn text_until_close(&mut self, name: &str) -> String {
        let needle = format!("</{name}");
        let rest = self.rest();
        let end = find_ascii_ci(rest, needle.as_bytes()).unwrap_or(rest.len());
        let text = self
            .html
            .get(self.pos..self.pos + end)
            .unwrap_or("")
            .to_owned();
        self.pos += end;
        self.skip_past(b">");
        text
    }
}

fn find_ascii(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn find_ascii_ci(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
}

/// Removes tags from a fragment (for button labels such as `<span>Allow</span>`).
pub(super) fn strip_tags(fragment: &str) -> String {
    let mut out = String::with_capacity(fragment.len());
    let mut in_tag = false;
    for c in fragment.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

/// Decodes the character references that appear in attribute values: the five XML entities,
/// `&nbsp;` and numeric references. Anything else is kept as written.
pub fn decode_entities(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(amp) = rest.find('&') {
        out.push_str(rest.get(..amp).unwrap_or(""));
        let after = rest.get(amp + 1..).unwrap_or("");
        let decoded = after.find(';').filter(|&semi| semi <= 10).and_then(|semi| {
            let entity = after.get(..semi)?;
            let c = match entity {
                "amp" => '&',
                "lt" => '<',
                "gt" => '>',
                "quot" => '"',
                "apos" => '\'',
                "nbsp" => '\u{a0}',
                _ => {
                    let number = entity.strip_prefix('#')?;
                    let code = match number.strip_prefix(['x', 'X']) {
                        Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                        None => number.parse().ok()?,
                    };
                    char::from_u32(code)?
                }
            };
            Some((c, semi))
        });
        match decoded {
            Some((c, semi)) => {
                out.push(c);
                rest = after.get(semi + 1..).unwrap_or("");
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}
