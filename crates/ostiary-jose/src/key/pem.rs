//! PEM (RFC 7468) in and out, with precise refusals by label.

use pem_rfc7468::{Decoder, LineEnding};
use zeroize::Zeroizing;

use super::KeyError;

/// RFC 7468 §10: PKCS#8 `PrivateKeyInfo`.
pub(super) const PKCS8_LABEL: &str = "PRIVATE KEY";
/// The traditional OpenSSL label for PKCS#1 `RSAPrivateKey`.
pub(super) const PKCS1_LABEL: &str = "RSA PRIVATE KEY";

/// Largest PEM text accepted (an RSA-4096 PKCS#8 key is about 3.3 KiB).
const MAX_PEM_LEN: usize = 16 * 1024;

/// What a PEM label tells us before decoding anything.
fn check_label(label: &str) -> Result<(), KeyError> {
    match label {
        PKCS8_LABEL | PKCS1_LABEL => Ok(()),
        "ENCRYPTED PRIVATE KEY" => Err(KeyError::Encrypted),
        "EC PRIVATE KEY" => Err(KeyError::Sec1NotSupported),
        "OPENSSH PRIVATE KEY" => Err(KeyError::OpenSshNotSupported),
        "PUBLIC KEY"
        | "RSA PUBLIC KEY"
        | "EC PUBLIC KEY"
        | "CERTIFICATE"
        | "X509 CERTIFICATE"
        | "TRUSTED CERTIFICATE"
        | "CERTIFICATE REQUEST"
        | "NEW CERTIFICATE REQUEST" => Err(KeyError::NotAPrivateKey),
        _ => Err(KeyError::UnsupportedPemLabel),
    }
}

/// Labels of every `-----BEGIN …-----` line, in order.
fn begin_labels(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines().enumerate().filter_map(|(index, line)| {
        line.trim_end()
            .strip_prefix("-----BEGIN ")
            .and_then(|rest| rest.strip_suffix("-----"))
            .map(|label| (index, label))
    })
}

/// Decodes one PEM private key into DER.
///
/// Refusals by label come first so the error names the real problem (`openssl ecparam
/// -genkey` writes an `EC PARAMETERS` block before its `EC PRIVATE KEY`: that is reported as
/// SEC1, not as "several blocks").
pub(super) fn decode(text: &str) -> Result<Zeroizing<Vec<u8>>, KeyError> {
    if text.len() > MAX_PEM_LEN {
        return Err(KeyError::InvalidPem);
    }
    let mut labels = begin_labels(text).filter(|(_, label)| *label != "EC PARAMETERS");
    let (first_line, label) = labels.next().ok_or(KeyError::InvalidPem)?;
    check_label(label)?;
    // RFC 1421 headers only appear in legacy encrypted PEM (`Proc-Type: 4,ENCRYPTED`).
    if text.contains("Proc-Type:") {
        return Err(KeyError::Encrypted);
    }
    if labels.next().is_some() || begin_labels(text).count() > 1 {
        return Err(KeyError::InvalidPem);
    }
    // Explanatory text before the block is allowed (RFC 7468 §5.2, "lax" parsers); the block
    // itself must follow the strict grammar.
    let block = text.lines().skip(first_line).collect::<Vec<_>>().join("\n");
    let mut decoder =
        Decoder::new(block.trim_end().as_bytes()).map_err(|_| KeyError::InvalidPem)?;
    let mut der = Zeroizing::new(vec![0u8; decoder.remaining_len()]);
    let len = decoder
        .decode(&mut der)
        .map_err(|_| KeyError::InvalidPem)?
        .len();
    if !decoder.is_finished() {
        return Err(KeyError::InvalidPem);
    }
    der.truncate(len);
    Ok(der)
}

/// Encodes DER as one PEM block with LF line endings, into zeroizing memory.
pub(super) fn encode(label: &str, der: &[u8]) -> Result<Zeroizing<String>, KeyError> {
    let len =
        pem_rfc7468::encoded_len(label, LineEnding::LF, der).map_err(|_| KeyError::Encoding)?;
    let mut buf = Zeroizing::new(vec![0u8; len]);
    let written = pem_rfc7468::encode(label, LineEnding::LF, der, &mut buf)
        .map_err(|_| KeyError::Encoding)?
        .len();
    buf.truncate(written);
    let text = String::from_utf8(std::mem::take(&mut *buf)).map_err(|_| KeyError::Encoding)?;
    Ok(Zeroizing::new(text))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn block(label: &str) -> String {
        format!("-----BEGIN {label}-----\nAAAA\n-----END {label}-----\n")
    }

    #[test]
    fn refuses_by_label() {
        assert_eq!(
            decode(&block("ENCRYPTED PRIVATE KEY")).err(),
            Some(KeyError::Encrypted)
        );
        assert_eq!(
            decode(&block("EC PRIVATE KEY")).err(),
            Some(KeyError::Sec1NotSupported)
        );
        let ecparam = format!("{}{}", block("EC PARAMETERS"), block("EC PRIVATE KEY"));
        assert_eq!(decode(&ecparam).err(), Some(KeyError::Sec1NotSupported));
        assert_eq!(
            decode(&block("OPENSSH PRIVATE KEY")).err(),
            Some(KeyError::OpenSshNotSupported)
        );
        assert_eq!(
            decode(&block("PUBLIC KEY")).err(),
            Some(KeyError::NotAPrivateKey)
        );
        assert_eq!(
            decode(&block("CERTIFICATE")).err(),
            Some(KeyError::NotAPrivateKey)
        );
        assert_eq!(
            decode(&block("DSA PRIVATE KEY")).err(),
            Some(KeyError::UnsupportedPemLabel)
        );
        assert_eq!(decode("no pem here").err(), Some(KeyError::InvalidPem));
    }

    #[test]
    fn refuses_legacy_encrypted_pem() {
        let text = "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n\
                    DEK-Info: AES-128-CBC,00000000000000000000000000000000\n\nAAAA\n\
                    -----END RSA PRIVATE KEY-----\n";
        assert_eq!(decode(text).err(), Some(KeyError::Encrypted));
    }

    #[test]
    fn refuses_two_blocks() {
        let two = format!("{}{}", block(PKCS8_LABEL), block(PKCS8_LABEL));
        assert_eq!(decode(&two).err(), Some(KeyError::InvalidPem));
    }

    #[test]
    fn round_trips_and_allows_leading_text() {
        let der = [0x30u8, 0x03, 0x02, 0x01, 0x00];
        let pem = encode(PKCS8_LABEL, &der).unwrap();
        assert_eq!(decode(&pem).unwrap().as_slice(), der);
        let with_text = format!("Bag Attributes: none\n{}", pem.as_str());
        assert_eq!(decode(&with_text).unwrap().as_slice(), der);
        let crlf = pem.replace('\n', "\r\n");
        assert_eq!(decode(&crlf).unwrap().as_slice(), der);
    }

    proptest! {
        #[test]
        fn never_panics(text in "\\PC{0,300}") {
            let _ = decode(&text);
            let _ = decode(&format!("-----BEGIN PRIVATE KEY-----\n{text}\n-----END PRIVATE KEY-----"));
        }
    }
}
