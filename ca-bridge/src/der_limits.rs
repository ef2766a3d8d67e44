//! Input limits and a minimal, bounded DER reader.
//!
//! Why this module exists: every input is attacker-controlled. The limits below are checked before
//! any certificate is used, and the few structures x509-parser does not decode (RSASSA-PSS
//! parameters, OCSP responses) are read with this small reader, which never reads past its slice
//! and never recurses.

use crate::Error;

/// Largest accepted certificate, CRL or OCSP response for certificates (64 KiB).
///
/// Real certificates are a few KiB; the limit bounds the memory and parsing time per input.
pub const MAX_CERT_BYTES: usize = 64 * 1024;

/// Most extensions accepted in one certificate.
///
/// Real certificates carry about ten; the limit bounds the work of the per-extension checks.
pub const MAX_EXTENSIONS: usize = 100;

/// Largest accepted CRL (16 MiB): large CAs publish CRLs of several MiB.
pub const MAX_CRL_BYTES: usize = 16 * 1024 * 1024;

/// Most names considered in one certificate's subjectAltName or one name constraints extension.
pub const MAX_NAMES: usize = 1024;

/// Largest accepted CMS SignedData, attached content included (64 MiB).
///
/// Bids with attached documents run to tens of MiB; detached content is hashed, never parsed, and
/// has no limit here.
pub const MAX_SIGNED_DATA_BYTES: usize = 64 * 1024 * 1024;

/// Most certificates (and, separately, CRLs) carried in one SignedData or timestamp token.
///
/// A signer sends its own certificate and a few CA certificates; each is at most
/// [`MAX_CERT_BYTES`] and is only a path-building candidate.
pub const MAX_SIGNED_DATA_CERTS: usize = 32;

/// Most attributes in a SignerInfo's signed (or unsigned) attributes, and values per attribute.
pub const MAX_ATTRIBUTES: usize = 64;

/// Largest accepted RFC 3161 timestamp token or TimeStampResp (256 KiB).
pub const MAX_TIMESTAMP_BYTES: usize = 256 * 1024;

/// Largest accepted raw signature value (16 KiB: RSA-16384 is 2 KiB).
pub const MAX_SIGNATURE_BYTES: usize = 16 * 1024;

/// Largest accepted receipt (compact JWS), 1 MiB.
pub const MAX_RECEIPT_BYTES: usize = 1024 * 1024;

/// One DER element: its tag byte and its contents.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Tlv<'a> {
    pub(crate) tag: u8,
    pub(crate) content: &'a [u8],
    /// The whole element, tag and length included.
    pub(crate) raw: &'a [u8],
}

/// Reads one DER element from the front of `input`; returns it and the rest.
///
/// Only single-byte tags and definite lengths of up to four length octets are accepted.
pub(crate) fn read_tlv<'a>(
    input: &'a [u8],
    object: &'static str,
) -> Result<(Tlv<'a>, &'a [u8]), Error> {
    let bad = |detail: &str| Error::Malformed {
        object,
        detail: detail.to_owned(),
    };
    let (&tag, rest) = input
        .split_first()
        .ok_or_else(|| bad("truncated DER (no tag)"))?;
    if tag & 0x1f == 0x1f {
        return Err(bad("multi-byte DER tag"));
    }
    let (&len0, mut rest) = rest
        .split_first()
        .ok_or_else(|| bad("truncated DER (no length)"))?;
    let len = if len0 < 0x80 {
        usize::from(len0)
    } else {
        let n = usize::from(len0 & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return Err(bad("bad DER length"));
        }
        let mut len = 0usize;
        for &b in &rest[..n] {
            len = (len << 8) | usize::from(b);
        }
        rest = &rest[n..];
        len
    };
    if rest.len() < len {
        return Err(bad("DER length runs past the end of the input"));
    }
    let header = input.len() - rest.len();
    Ok((
        Tlv {
            tag,
            content: &rest[..len],
            raw: &input[..header + len],
        },
        &rest[len..],
    ))
}

/// Reads one element and checks its tag.
pub(crate) fn expect<'a>(
    input: &'a [u8],
    tag: u8,
    object: &'static str,
) -> Result<(Tlv<'a>, &'a [u8]), Error> {
    let (tlv, rest) = read_tlv(input, object)?;
    if tlv.tag != tag {
        return Err(Error::Malformed {
            object,
            detail: format!("expected DER tag {tag:#04x}, found {:#04x}", tlv.tag),
        });
    }
    Ok((tlv, rest))
}

/// Decodes an OBJECT IDENTIFIER's contents to dotted form.
pub(crate) fn oid_string(content: &[u8]) -> String {
    let mut parts: Vec<u64> = Vec::new();
    let mut acc: u64 = 0;
    for &b in content.iter().take(128) {
        acc = (acc << 7) | u64::from(b & 0x7f);
        if b & 0x80 == 0 {
            if parts.is_empty() {
                let first = if acc < 40 {
                    0
                } else if acc < 80 {
                    1
                } else {
                    2
                };
                parts.push(first);
                parts.push(acc - first * 40);
            } else {
                parts.push(acc);
            }
            acc = 0;
        }
    }
    parts
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(".")
}

/// Strips the sign-padding zero bytes of a DER INTEGER's contents (for comparing serials).
pub(crate) fn strip_int(b: &[u8]) -> &[u8] {
    let mut s = b;
    while s.len() > 1 && s[0] == 0 && s[1] & 0x80 == 0 {
        s = &s[1..];
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reader_refuses_lies() {
        assert!(read_tlv(&[0x30], "t").is_err());
        assert!(read_tlv(&[0x30, 0x05, 1, 2], "t").is_err());
        assert!(read_tlv(&[0x30, 0x85, 1, 1, 1, 1, 1], "t").is_err());
        assert!(read_tlv(&[0x1f, 0x01, 0x00], "t").is_err());
        let (tlv, rest) = read_tlv(&[0x04, 0x81, 0x01, 0xaa, 0xbb], "t").expect("long form");
        assert_eq!(
            (tlv.tag, tlv.content, rest),
            (0x04, &[0xaa][..], &[0xbb][..])
        );
    }

    #[test]
    fn oids_and_integers() {
        assert_eq!(
            oid_string(&[0x2a, 0x81, 0x1c, 0xcf, 0x55, 0x01, 0x83, 0x75]),
            "1.2.156.10197.1.501"
        );
        assert_eq!(strip_int(&[0x00, 0x80]), &[0x00, 0x80]);
        assert_eq!(strip_int(&[0x00, 0x00, 0x7f]), &[0x7f]);
    }
}
