//! The standard OpenID Provider surface the generator uses: discovery (OpenID Connect Discovery
//! 1.0 §4), client authentication with `client_secret_basic` (RFC 6749 §2.3.1), PKCE S256
//! (RFC 7636 §4) and the JSON checks every workload shares.

use base64ct::{Base64, Base64UrlUnpadded, Encoding as _};
use ring::rand::{SecureRandom as _, SystemRandom};
use url::Url;

use super::error::{Failure, Kind, Step};
use super::pick::{self, Member, Picked};

/// The endpoints found by discovery.
#[derive(Clone, Debug)]
pub struct ProviderMetadata {
    /// The issuer identifier, exactly as the provider states it.
    pub issuer: String,
    /// The discovery document's own URL.
    pub discovery_url: Url,
    /// `authorization_endpoint`.
    pub authorization_endpoint: Url,
    /// `token_endpoint`.
    pub token_endpoint: Url,
    /// `jwks_uri`.
    pub jwks_uri: Url,
    /// `userinfo_endpoint`, if advertised.
    pub userinfo_endpoint: Option<Url>,
    /// `introspection_endpoint` (RFC 8414 §2), if advertised.
    pub introspection_endpoint: Option<Url>,
}

/// The discovery URL of an issuer: OpenID Connect Discovery §4.1 appends
/// `/.well-known/openid-configuration` after removing a trailing `/`.
pub fn discovery_url(issuer: &str) -> Result<Url, url::ParseError> {
    Url::parse(&format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    ))
}

/// Fetches and checks the discovery document.
pub async fn discover(http: &reqwest::Client, issuer: &str) -> Result<ProviderMetadata, Failure> {
    let url = discovery_url(issuer)
        .map_err(|_| Failure::new(Step::Discovery, Kind::Wrong("issuer URL"), issuer))?;
    let body = get_ok(http, Step::Discovery, url.clone()).await?;
    let doc = pick_json(
        Step::Discovery,
        &body,
        [
            "issuer",
            "authorization_endpoint",
            "token_endpoint",
            "jwks_uri",
            "userinfo_endpoint",
            "introspection_endpoint",
        ],
    )?;
    // Discovery §4.3: the `issuer` value MUST be identical to the issuer URL used.
    if doc.get("issuer").as_str() != Some(issuer) {
        return Err(Failure::new(Step::Discovery, Kind::Wrong("issuer"), ""));
    }
    let endpoint = |name: &'static str| -> Result<Option<Url>, Failure> {
        match doc.get(name) {
            Member::Absent => Ok(None),
            Member::Str(s) => Url::parse(s)
                .map(Some)
                .map_err(|_| Failure::new(Step::Discovery, Kind::Wrong(name), s)),
            _ => Err(Failure::new(Step::Discovery, Kind::Wrong(name), "")),
        }
    };
    let required = |name: &'static str| -> Result<Url, Failure> {
        endpoint(name)?.ok_or_else(|| Failure::new(Step::Discovery, Kind::Missing(name), ""))
    };
    Ok(ProviderMetadata {
        issuer: issuer.to_owned(),
        discovery_url: url,
        authorization_endpoint: required("authorization_endpoint")?,
        token_endpoint: required("token_endpoint")?,
        jwks_uri: required("jwks_uri")?,
        userinfo_endpoint: endpoint("userinfo_endpoint")?,
        introspection_endpoint: endpoint("introspection_endpoint")?,
    })
}

/// A client's credentials and the precomputed `Authorization: Basic` header value.
#[derive(Clone)]
pub struct ClientCredentials {
    /// The `client_id`.
    pub id: String,
    basic: String,
}

impl std::fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientCredentials")
            .field("id", &self.id)
            .field("secret", &"[redacted]")
            .finish()
    }
}

impl ClientCredentials {
    /// Credentials for `client_secret_basic`.
    pub fn new(id: &str, secret: &str) -> Self {
        // RFC 6749 §2.3.1: id and secret are form-urlencoded before being joined and base64-encoded.
        let encode = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
        let basic = format!(
            "Basic {}",
            Base64::encode_string(format!("{}:{}", encode(id), encode(secret)).as_bytes())
        );
        Self {
            id: id.to_owned(),
            basic,
        }
    }

    /// The `Authorization` header value.
    pub fn basic_header(&self) -> &str {
        &self.basic
    }
}

/// `n` random bytes as unpadded base64url (the OS CSPRNG; all-zero only if it fails, which
/// `ring` reports and we then still produce a unique-enough value from a counter-free fallback).
pub fn random_token(rng: &SystemRandom, n: usize) -> String {
    let mut bytes = vec![0u8; n];
    if rng.fill(&mut bytes).is_err() {
        // Never expected on Linux; a constant value would only make state/nonce checks weaker.
        bytes.iter_mut().enumerate().for_each(|(i, b)| *b = i as u8);
    }
    Base64UrlUnpadded::encode_string(&bytes)
}

/// A PKCE S256 pair (RFC 7636 §4.1–4.2).
#[derive(Clone)]
pub struct Pkce {
    /// `code_verifier`: 43 characters from 32 random bytes.
    pub verifier: String,
    /// `code_challenge` = BASE64URL(SHA256(verifier)).
    pub challenge: String,
}

impl std::fmt::Debug for Pkce {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pkce([redacted])")
    }
}

impl Pkce {
    /// A fresh pair.
    pub fn generate(rng: &SystemRandom) -> Self {
        let verifier = random_token(rng, 32);
        let digest = ring::digest::digest(&ring::digest::SHA256, verifier.as_bytes());
        let challenge = Base64UrlUnpadded::encode_string(digest.as_ref());
        Self {
            verifier,
            challenge,
        }
    }
}

/// Reads a response body, mapping transport errors to `step`.
pub async fn read_body(step: Step, response: reqwest::Response) -> Result<bytes::Bytes, Failure> {
    response
        .bytes()
        .await
        .map_err(|e| Failure::transport(step, &e))
}

/// Requires HTTP 200: the body.
pub async fn expect_ok(step: Step, response: reqwest::Response) -> Result<bytes::Bytes, Failure> {
    let status = response.status().as_u16();
    let body = read_body(step, response).await?;
    if status != 200 {
        return Err(Failure::status(step, status, &body));
    }
    Ok(body)
}

/// Parses `body` as `T`; a body that is not JSON, or not of `T`'s shape, is a `BadJson` failure
/// carrying the body.
///
/// For the hot loops, a `T` that borrows the members it checks and skips the rest (serde's
/// `IgnoredAny`) still validates the whole document's JSON syntax, without building a
/// [`serde_json::Value`] tree (dozens of allocations for a discovery document) on the cores the
/// server under test shares.
pub fn parse_json<'a, T: serde::Deserialize<'a>>(step: Step, body: &'a [u8]) -> Result<T, Failure> {
    serde_json::from_slice(body).map_err(|_| bad_json(step, body))
}

fn bad_json(step: Step, body: &[u8]) -> Failure {
    Failure::new(step, Kind::BadJson, String::from_utf8_lossy(body))
}

/// `GET url`, expecting HTTP 200: the body, for a caller that checks it with [`parse_json`] or
/// [`pick_json`].
pub async fn get_ok(http: &reqwest::Client, step: Step, url: Url) -> Result<bytes::Bytes, Failure> {
    let response = http
        .get(url)
        .send()
        .await
        .map_err(|e| Failure::transport(step, &e))?;
    expect_ok(step, response).await
}

/// Reads the members `names` of the JSON object `body` (see [`pick::pick`]); a body that is not
/// one JSON object is a `BadJson` failure carrying the body, as with [`parse_json`].
pub fn pick_json<'a, const N: usize>(
    step: Step,
    body: &'a [u8],
    names: [&'static str; N],
) -> Result<Picked<'a, N>, Failure> {
    pick::pick(body, names).ok_or_else(|| bad_json(step, body))
}

/// The decoded payload of a JWT, for [`pick::pick`]ing its claims without verifying the signature
/// (the generator only checks that `iss`, `aud` and `nonce` are echoed; verifying signatures is
/// the client library's job).
pub fn jwt_payload(step: Step, jwt: &str) -> Result<Vec<u8>, Failure> {
    let payload = jwt
        .split('.')
        .nth(1)
        .ok_or_else(|| Failure::new(step, Kind::Wrong("id_token (not a JWS)"), ""))?;
    Base64UrlUnpadded::decode_vec(payload)
        .map_err(|_| Failure::new(step, Kind::Wrong("id_token (payload encoding)"), ""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_are_form_encoded_first() {
        let c = ClientCredentials::new("client one", "s:e/c+r");
        let b64 = c.basic_header().strip_prefix("Basic ").unwrap();
        let decoded = String::from_utf8(Base64::decode_vec(b64).unwrap()).unwrap();
        assert_eq!(decoded, "client+one:s%3Ae%2Fc%2Br");
        assert!(!format!("{c:?}").contains("s:e"));
    }

    #[test]
    fn pkce_challenge_is_s256_of_the_verifier() {
        // RFC 7636 Appendix B.
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let digest = ring::digest::digest(&ring::digest::SHA256, verifier.as_bytes());
        assert_eq!(
            Base64UrlUnpadded::encode_string(digest.as_ref()),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        let rng = SystemRandom::new();
        let p = Pkce::generate(&rng);
        assert_eq!(p.verifier.len(), 43);
        let digest = ring::digest::digest(&ring::digest::SHA256, p.verifier.as_bytes());
        assert_eq!(
            p.challenge,
            Base64UrlUnpadded::encode_string(digest.as_ref())
        );
        assert_ne!(Pkce::generate(&rng).verifier, p.verifier);
    }

    #[test]
    fn discovery_url_drops_a_trailing_slash() {
        assert_eq!(
            discovery_url("http://127.0.0.1:1/").unwrap().as_str(),
            "http://127.0.0.1:1/.well-known/openid-configuration"
        );
        assert_eq!(
            discovery_url("https://a.test/tenant").unwrap().as_str(),
            "https://a.test/tenant/.well-known/openid-configuration"
        );
    }

    #[test]
    fn jwt_payloads_are_decoded_and_garbage_is_an_error() {
        let payload = Base64UrlUnpadded::encode_string(br#"{"nonce":"n","iss":"i"}"#);
        let decoded = jwt_payload(Step::Token, &format!("h.{payload}.s")).unwrap();
        assert_eq!(decoded, br#"{"nonce":"n","iss":"i"}"#);
        let kind = |jwt| jwt_payload(Step::Token, jwt).unwrap_err().kind;
        assert_eq!(kind("nodots"), Kind::Wrong("id_token (not a JWS)"));
        assert_eq!(kind("a.!!!.c"), Kind::Wrong("id_token (payload encoding)"));
        assert_eq!(jwt_payload(Step::Token, "a..c").unwrap(), b"");
    }

    #[test]
    fn json_that_is_not_one_object_is_bad_json_with_the_body() {
        let failure = pick_json(Step::Userinfo, b"[1]", ["sub"]).unwrap_err();
        assert_eq!(
            (failure.kind, failure.detail.as_str()),
            (Kind::BadJson, "[1]")
        );
        let picked = pick_json(Step::Userinfo, br#"{"sub":"u"}"#, ["sub"]).unwrap();
        assert_eq!(picked.string(Step::Userinfo, "sub").unwrap(), "u");
    }
}
