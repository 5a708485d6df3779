//! Bearer secrets and their keyed digests.
//!
//! Every bearer secret the server hands out (authorization codes, access and refresh tokens, client secrets,
//! session cookies) is 32 bytes: the time it was minted (48 bits, Unix milliseconds) and 208 bits from
//! the OS CSPRNG. It is stored only as a keyed digest: the same 48-bit time, then the first 208 bits of
//! HMAC-SHA-256 of the whole secret under a server-held *digest key*. A database leak therefore yields
//! nothing that can be presented, and lookups stay a single indexed equality match.
//!
//! The time prefix is there for the database: digests sort by the time they were minted, so the index
//! of a table of tokens grows at its right edge, and inserting a token dirties the index page the
//! inserts before it already touched instead of a random one (two per refresh-token rotation; measured
//! on SQLite, about a third of the bytes written per rotation). It tells a holder, and a reader of the
//! database, when the secret was minted, which the records store anyway. 208 random bits are far more
//! than the 128 bits RFC 6749 §10.10 asks of a token, and a 208-bit truncated HMAC is as far out of
//! reach to forge.
//!
//! A secret's text form is `<kind>_t<key id>_<43 base64url characters>`, for example
//! `ort_t1_AZrq3q2-7wE…`. The kind prefix lets secret scanners recognise leaked Ostiary secrets and lets the
//! server refuse a token presented at the wrong endpoint without a store round trip; the key id names the
//! digest key that made its digest, so digest keys can rotate: new secrets use the current key, and
//! existing secrets keep working as long as their key stays in the [`DigestKeyring`].
//!
//! Secrets minted before the time prefix, `<kind>_<key id>_<43 characters>` (no `t`: 256 random bits,
//! digested to the whole HMAC-SHA-256 tag), are still digested their own way, so client secrets and
//! refresh tokens issued by earlier versions keep working.

use std::fmt;

use base64ct::{Base64UrlUnpadded, Encoding};
use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

/// Length of the random part of a secret, in bytes: `TIME_BYTES` of time, then random bytes.
pub const SECRET_BYTES: usize = 32;
/// Bytes of minting time (big-endian Unix milliseconds) that start a secret and its digest.
const TIME_BYTES: usize = 6;
/// The random bytes of a secret, after its time.
const RANDOM_BYTES: usize = SECRET_BYTES - TIME_BYTES;
/// Base64url characters that encode the [`TIME_BYTES`] exactly.
const TIME_CHARS: usize = 8;
/// Length of the random part of a secret in base64url characters.
const SECRET_CHARS: usize = 43;
/// Longest presented secret that is even looked at.
const MAX_PRESENTED_LEN: usize = 64;

/// What a secret is for. Each kind has its own text prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SecretKind {
    /// An authorization code (RFC 6749 §4.1.2).
    AuthorizationCode,
    /// An opaque access token (RFC 6749 §1.4).
    AccessToken,
    /// A refresh token (RFC 6749 §1.5).
    RefreshToken,
    /// A client secret (RFC 6749 §2.3.1).
    ClientSecret,
    /// A browser session cookie.
    SessionCookie,
    /// The `jti` of a JWT access token (RFC 9068): not presentable as a token, but digested the same way
    /// so JWT access tokens can be introspected and revoked by their `jti`.
    JwtId,
}

impl SecretKind {
    /// The text prefix of secrets of this kind.
    pub const fn prefix(self) -> &'static str {
        match self {
            SecretKind::AuthorizationCode => "oac",
            SecretKind::AccessToken => "oat",
            SecretKind::RefreshToken => "ort",
            SecretKind::ClientSecret => "ocs",
            SecretKind::SessionCookie => "oss",
            SecretKind::JwtId => "ojt",
        }
    }
}

/// A bearer secret in its text form, as handed to a client once.
///
/// `Debug` is redacted and there is no `Display`: the value is reachable only through
/// [`BearerSecret::expose_secret`]. The text is zeroized on drop.
#[derive(Clone, PartialEq, Eq)]
pub struct BearerSecret(Zeroizing<String>);

impl BearerSecret {
    /// Wraps a bearer secret made elsewhere, such as a signed JWT access token, so it gets the same
    /// redacted handling.
    pub fn from_issued(text: String) -> Self {
        Self(Zeroizing::new(text))
    }

    /// The secret's text. Call only to send it to its holder (a response body, a cookie).
    pub fn expose_secret(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for BearerSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BearerSecret([redacted])")
    }
}

/// The keyed digest of a bearer secret: what the store keeps and looks up.
///
/// A digest is not a secret (it cannot be presented), but comparisons still use constant time.
#[derive(Clone, Copy, Eq, Serialize, Deserialize)]
pub struct Digest([u8; 32]);

impl Digest {
    /// Wraps 32 digest bytes read back from storage.
    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// Rebuilds a digest from a stored slice; `None` unless it is exactly 32 bytes.
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        <[u8; 32]>::try_from(bytes).ok().map(Self)
    }

    /// The digest bytes.
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl PartialEq for Digest {
    fn eq(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl std::hash::Hash for Digest {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A short prefix is enough to correlate log lines and reveals nothing usable.
        write!(
            f,
            "Digest({:02x}{:02x}{:02x}{:02x}…)",
            self.0[0], self.0[1], self.0[2], self.0[3]
        )
    }
}

/// Why a presented secret could not be digested.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SecretFormatError {
    /// Not of the form `<kind>_<key id>_<43 base64url characters>`, or too long.
    #[error("malformed secret")]
    Malformed,
    /// A well-formed secret of another kind (an access token presented as a refresh token, say).
    #[error("secret of the wrong kind")]
    WrongKind,
    /// Its digest key is not (or no longer) in the keyring.
    #[error("secret made under an unknown digest key")]
    UnknownKey,
}

/// Raw digest-key material, as stored. Zeroized on drop; `Debug` is redacted.
#[derive(Clone)]
pub struct DigestKeyMaterial {
    /// The key id: the middle part of every secret digested under this key.
    pub id: u16,
    /// 32 secret bytes.
    pub bytes: Zeroizing<[u8; 32]>,
}

impl DigestKeyMaterial {
    /// A fresh random key with the given id.
    pub fn generate(id: u16) -> Result<Self, ring::error::Unspecified> {
        let mut bytes = Zeroizing::new([0u8; 32]);
        SystemRandom::new().fill(bytes.as_mut())?;
        Ok(Self { id, bytes })
    }
}

impl fmt::Debug for DigestKeyMaterial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "DigestKeyMaterial {{ id: {}, bytes: [redacted] }}",
            self.id
        )
    }
}

/// Why a keyring could not be built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyringError {
    /// The keyring has no key with the id named as current.
    #[error("the current digest key is not in the keyring")]
    MissingCurrent,
    /// Two keys share an id.
    #[error("two digest keys share an id")]
    DuplicateId,
}

/// The digest keys: one current key that digests new secrets, and older keys that still digest the
/// secrets they made.
pub struct DigestKeyring {
    keys: Vec<(u16, hmac::Key)>,
    current: u16,
    rng: SystemRandom,
}

impl fmt::Debug for DigestKeyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ids: Vec<u16> = self.keys.iter().map(|(id, _)| *id).collect();
        write!(
            f,
            "DigestKeyring {{ current: {}, key_ids: {ids:?} }}",
            self.current
        )
    }
}

impl DigestKeyring {
    /// Builds the keyring from stored key material. `current` names the key that digests new secrets.
    pub fn new(
        keys: impl IntoIterator<Item = DigestKeyMaterial>,
        current: u16,
    ) -> Result<Self, KeyringError> {
        let mut ring_keys: Vec<(u16, hmac::Key)> = Vec::new();
        for material in keys {
            if ring_keys.iter().any(|(id, _)| *id == material.id) {
                return Err(KeyringError::DuplicateId);
            }
            ring_keys.push((
                material.id,
                hmac::Key::new(hmac::HMAC_SHA256, material.bytes.as_ref()),
            ));
        }
        if !ring_keys.iter().any(|(id, _)| *id == current) {
            return Err(KeyringError::MissingCurrent);
        }
        Ok(Self {
            keys: ring_keys,
            current,
            rng: SystemRandom::new(),
        })
    }

    /// The id of the key that digests new secrets.
    pub fn current_id(&self) -> u16 {
        self.current
    }

    /// Mints a new secret of `kind` under the current key and returns it with its digest.
    pub fn mint(
        &self,
        kind: SecretKind,
    ) -> Result<(BearerSecret, Digest), ring::error::Unspecified> {
        let mut random = Zeroizing::new([0u8; RANDOM_BYTES]);
        self.rng.fill(random.as_mut())?;
        self.mint_from(kind, &random)
    }

    /// Mints two secrets (an access and a refresh token, say) with one call to the system's random
    /// number generator instead of two: a grant mints both inside its store operation, where every
    /// system call counts.
    pub fn mint_pair(
        &self,
        first: SecretKind,
        second: SecretKind,
    ) -> Result<[(BearerSecret, Digest); 2], ring::error::Unspecified> {
        let mut random = Zeroizing::new([[0u8; RANDOM_BYTES]; 2]);
        self.rng.fill(random.as_flattened_mut())?;
        let [a, b] = &*random;
        Ok([self.mint_from(first, a)?, self.mint_from(second, b)?])
    }

    /// A secret of `kind` from the time now and `random`, which must come from the system RNG.
    fn mint_from(
        &self,
        kind: SecretKind,
        random_part: &[u8; RANDOM_BYTES],
    ) -> Result<(BearerSecret, Digest), ring::error::Unspecified> {
        let mut random = Zeroizing::new([0u8; SECRET_BYTES]);
        let (time, rest) = random.split_at_mut(TIME_BYTES);
        rest.copy_from_slice(random_part);
        time.copy_from_slice(&unix_millis_48());
        let mut text = String::with_capacity(kind.prefix().len() + 8 + SECRET_CHARS);
        text.push_str(kind.prefix());
        text.push_str("_t");
        push_decimal(&mut text, self.current);
        text.push('_');
        let mut encoded = [0u8; SECRET_CHARS];
        let encoded = Base64UrlUnpadded::encode(random.as_ref(), &mut encoded)
            .map_err(|_| ring::error::Unspecified)?;
        text.push_str(encoded);
        let digest = self
            .digest_with(
                Format::TimeOrdered,
                self.current,
                text.as_bytes(),
                encoded.as_bytes(),
            )
            .ok_or(ring::error::Unspecified)?;
        Ok((BearerSecret(Zeroizing::new(text)), digest))
    }

    /// Digests a presented secret, checking its form and kind first (no store access needed to refuse a
    /// malformed secret or one of the wrong kind).
    pub fn digest(&self, kind: SecretKind, presented: &str) -> Result<Digest, SecretFormatError> {
        if presented.len() > MAX_PRESENTED_LEN {
            return Err(SecretFormatError::Malformed);
        }
        let mut parts = presented.splitn(3, '_');
        let (Some(prefix), Some(key_id), Some(random)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(SecretFormatError::Malformed);
        };
        let (format, key_id) = parse_key_field(key_id).ok_or(SecretFormatError::Malformed)?;
        if random.len() != SECRET_CHARS || !random.bytes().all(is_base64url) {
            return Err(SecretFormatError::Malformed);
        }
        if prefix != kind.prefix() {
            return Err(if is_known_prefix(prefix) {
                SecretFormatError::WrongKind
            } else {
                SecretFormatError::Malformed
            });
        }
        self.digest_with(format, key_id, presented.as_bytes(), random.as_bytes())
            .ok_or(SecretFormatError::UnknownKey)
    }

    /// Derives a 32-byte key for sealing data under a presented secret (for example the response kept for
    /// a refresh-token retry). It differs from the secret's digest, so the stored digest does not reveal it.
    pub fn derive_sealing_key(&self, presented: &BearerSecret) -> Option<Zeroizing<[u8; 32]>> {
        let mut parts = presented.expose_secret().splitn(3, '_');
        let (_, key_id) = parts.nth(1).and_then(parse_key_field)?;
        let key = self.key(key_id)?;
        let mut ctx = hmac::Context::with_key(key);
        ctx.update(b"ostiary sealing key\0");
        ctx.update(presented.expose_secret().as_bytes());
        let tag = ctx.sign();
        let mut out = Zeroizing::new([0u8; 32]);
        out.copy_from_slice(tag.as_ref());
        Some(out)
    }

    /// Rebuilds a presented secret's text into a [`BearerSecret`] after checking its form.
    pub fn parse_presented(
        &self,
        kind: SecretKind,
        presented: &str,
    ) -> Result<(BearerSecret, Digest), SecretFormatError> {
        let digest = self.digest(kind, presented)?;
        Ok((BearerSecret(Zeroizing::new(presented.to_owned())), digest))
    }

    fn key(&self, id: u16) -> Option<&hmac::Key> {
        self.keys
            .iter()
            .find(|(key_id, _)| *key_id == id)
            .map(|(_, key)| key)
    }

    /// The digest of the secret `text` whose random part (base64url) is `random`: under the key
    /// `key_id`, in the digest form of `format`.
    fn digest_with(
        &self,
        format: Format,
        key_id: u16,
        text: &[u8],
        random: &[u8],
    ) -> Option<Digest> {
        let tag = hmac::sign(self.key(key_id)?, text);
        match format {
            Format::Random => Digest::from_slice(tag.as_ref()),
            Format::TimeOrdered => {
                let mut digest = [0u8; 32];
                let (time, rest) = digest.split_at_mut(TIME_BYTES);
                Base64UrlUnpadded::decode(random.get(..TIME_CHARS)?, time).ok()?;
                rest.copy_from_slice(tag.as_ref().get(..rest.len())?);
                Some(Digest(digest))
            }
        }
    }
}

fn is_base64url(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

fn is_known_prefix(prefix: &str) -> bool {
    [
        SecretKind::AuthorizationCode,
        SecretKind::AccessToken,
        SecretKind::RefreshToken,
        SecretKind::ClientSecret,
        SecretKind::SessionCookie,
        SecretKind::JwtId,
    ]
    .iter()
    .any(|kind| kind.prefix() == prefix)
}

/// The two text forms of a secret, told apart by its key field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    /// `<kind>_<key id>_…`: 32 random bytes; the digest is the whole HMAC-SHA-256 tag. Minted before
    /// time-ordered secrets, still accepted.
    Random,
    /// `<kind>_t<key id>_…`: 6 bytes of minting time, then 26 random bytes; the digest is that time,
    /// then the first 26 bytes of the tag (see the module documentation).
    TimeOrdered,
}

/// The key field of a secret: the key id, after a `t` for a time-ordered secret.
fn parse_key_field(text: &str) -> Option<(Format, u16)> {
    match text.strip_prefix('t') {
        Some(id) => parse_key_id(id).map(|id| (Format::TimeOrdered, id)),
        None => parse_key_id(text).map(|id| (Format::Random, id)),
    }
}

/// The current time in Unix milliseconds, its low 48 bits big-endian (they last until the year 10889).
/// A clock before 1970 gives zero: the secret is as good, only its digest sorts first.
fn unix_millis_48() -> [u8; TIME_BYTES] {
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    let mut out = [0u8; TIME_BYTES];
    out.copy_from_slice(&millis.to_be_bytes()[8 - TIME_BYTES..]);
    out
}

/// Key ids are written in canonical decimal: no sign, no leading zeros, at most 5 digits.
fn parse_key_id(text: &str) -> Option<u16> {
    if text.is_empty() || text.len() > 5 || (text.len() > 1 && text.starts_with('0')) {
        return None;
    }
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

fn push_decimal(out: &mut String, value: u16) {
    use std::fmt::Write;
    // Writing to a String cannot fail.
    let _ = write!(out, "{value}");
}

#[cfg(test)]
mod tests;
