//! Bid signatures: CMS SignedData and raw signatures, with RFC 3161 timestamps, verified against
//! the signer's certificate at the signing time.
//!
//! Why this module exists: a bidder signs its bid with its home province's certificate; another
//! province's platform must decide whether that signature holds: whether the document is the one
//! signed, the key is the certificate's, and the certificate was valid (not revoked, issued by a
//! recognised CA, allowed to sign) when the bid was signed. [`SignatureVerifier`] answers with a
//! [`SignatureVerdict`] that says who signed, when, over what digest, and why not.
//!
//! Accepted:
//! - **CMS SignedData** (RFC 5652), DER or BER (indefinite lengths, chunked content): attached or
//!   detached (the caller supplies the content or its digest), with signed attributes (content
//!   type, message digest, signing time) or without; the PKCS#7 content-type OIDs or the GM/T 0010
//!   ones (1.2.156.10197.6.1.4.2.x). Signers: RSA PKCS#1 v1.5 and PSS, ECDSA P-256/P-384, SM2 with
//!   SM3 and the distinguishing ID (the signer's CA service's `sm2_id` under a trust list). Exactly
//!   one SignerInfo. Certificates inside the SignedData are path-building candidates and
//!   candidates for the signer's certificate, never trust; CRLs inside it are ignored (revocation
//!   data is the caller's).
//! - **Raw signatures** with the signer's certificate, as `openssl dgst -sign` writes them: RSA
//!   PKCS#1 v1.5 with SHA-256 (PSS on request), ECDSA with SHA-256, SM2 with SM3 and the ID, ECDSA
//!   and SM2 as DER `SEQUENCE { r, s }`; over the document or a supplied digest.
//! - **RFC 3161 timestamps** over the signature value: the id-aa-timeStampToken unsigned attribute,
//!   or supplied separately ([`SignatureOptions::timestamp`]). See [`timestamp`] for what makes
//!   one valid. A valid timestamp's genTime is the signing time at which the certificate is
//!   judged; without one, the validation time is. The signer's own signingTime attribute is
//!   reported (`claimed_signing_time`), never trusted.
//!
//! The signer's certificate is validated by the crate's verifiers with purpose `bid-signing` at
//! the signing time, under a trust list ([`SignatureVerifier::with_trust_list`]) or explicit
//! anchors ([`SignatureVerifier::with_anchors`]). Revocation data published after the signing time
//! counts when the time comes from a timestamp ([`crate::Options::later_revocation_info`]).
//!
//! **Reasons**, in the order they are decided (the first failure is the verdict's `reason`):
//! 1. the input: `malformed` (object `signed-data`), `unsupported-signature` (several signers);
//! 2. the signer's certificate: `signer-not-found` (none carried or supplied matches the
//!    SignerInfo);
//! 3. the algorithms: `weak-algorithm` (MD5, SHA-1), `unsupported-algorithm`, `malformed` (a
//!    signature algorithm whose hash is not the digest algorithm), `signature-invalid` (an
//!    algorithm that does not fit the key);
//! 4. the content: `content-missing` (detached and neither content nor a digest by the signer's
//!    algorithm supplied), `malformed` (object `signed-attributes`: no message digest or content
//!    type, a content type that is not eContentType), `unsupported-signature` (SM2 without
//!    signed attributes and only a digest);
//! 5. `digest-mismatch`: the content is not the signed one (tampered, or another document);
//! 6. the signature value: `malformed` (object `signature`: not the shape of the algorithm's
//!    signatures), `signature-invalid` (another key, or for signatures without signed attributes
//!    other content);
//! 7. `timestamp-untrusted`, with the underlying `cause` (see [`timestamp`]);
//! 8. the signer's certificate at the signing time, with its own reason: `revoked`, `expired`,
//!    `not-yet-valid`, `key-usage` (an encryption-only certificate used to sign),
//!    `unknown-issuer` (a CA the trust list does not recognise), `ca-not-recognised`,
//!    `ca-suspended`, `ca-withdrawn`, `algorithm-not-accepted`, `revocation-unknown`, ...
//!
//! Steps 7 and 8 are computed whatever happens at 5 and 6, so an invalid verdict still says who
//! signed (holder, province, CA) and when.
//!
//! [`build`] makes signatures and timestamps (tests, demos); it is never used to verify.

mod asn1;
pub mod build;
mod cms;
mod digest;
mod scheme;
pub mod timestamp;
mod verdict;
mod verify;

pub use build::{
    CmsOptions, SigningKey, TimestampAuthority, add_timestamp, sign_cms, signature_value,
};
pub use digest::DigestAlgorithm;
pub use timestamp::TIMESTAMP_SKEW_SECS;
pub use verdict::{
    ContentSummary, DigestSummary, SignatureVerdict, SignerSummary, TimestampSummary,
};
pub use verify::{Content, SignatureOptions, SignatureVerifier};

use crate::Error;
use crate::parse::Certificate;

/// The certificates a SignedData carries (none when it does not decode), for the fuzz target.
pub(crate) fn carried_certificates(signed_data: &[u8]) -> Vec<Certificate> {
    cms::decode(
        signed_data,
        "signed-data",
        crate::der_limits::MAX_SIGNED_DATA_BYTES,
    )
    .map(|m| m.certificates)
    .unwrap_or_default()
}

/// A certificate's key kind in short form (`rsa`, `p256`, `p384`, `sm2`, `other`).
pub(crate) fn scheme_key_kind(cert: &Certificate) -> &'static str {
    match scheme::key_kind(cert) {
        scheme::KeyKind::Rsa => "rsa",
        scheme::KeyKind::Ec(c) => c,
        scheme::KeyKind::Sm2 => "sm2",
        scheme::KeyKind::Other => "other",
    }
}

/// The value an SM2 signature by `cert`'s key over `content` signs: e = SM3(Z || content), with
/// Z = SM3(ENTL || ID || a || b || xG || yG || xA || yA) (GM/T 0009, GB/T 32918.2). Devices that
/// sign "a digest" (SKF, SDF interfaces) take this value; a raw SM2 signature verified against a
/// supplied digest ([`Content::Digest`]) expects it.
///
/// # Errors
/// [`Error::UnsupportedAlgorithm`] when the certificate's key is not SM2, or the ID is longer than
/// 8191 bytes.
pub fn sm2_prehash(cert: &Certificate, sm2_id: &str, content: &[u8]) -> Result<Vec<u8>, Error> {
    // The curve's a, b and generator (GB/T 32918.5).
    const A: &str = "fffffffeffffffffffffffffffffffffffffffff00000000fffffffffffffffc";
    const B: &str = "28e9fa9e9d9f5e344d5a9e4bcf6509a7f39789f515ab8f92ddbcbd414d940e93";
    const XG: &str = "32c4ae2c1f1981195f9904466a39c9948fe30bbff2660be1715a4589334c74c7";
    const YG: &str = "bc3736a2f4f6779c59bdcee36b692153d0a9877cc62a474002df32e52139f0a0";
    let unsupported = |what: &str| Error::UnsupportedAlgorithm {
        subject: cert.subject().display().to_owned(),
        algorithm: what.to_owned(),
    };
    if scheme::key_kind(cert) != scheme::KeyKind::Sm2 {
        return Err(unsupported(&cert.key_info.desc));
    }
    let point = &cert.key_point;
    if point.len() != 65 || point[0] != 4 {
        return Err(unsupported("an SM2 key that is not an uncompressed point"));
    }
    let entl = u16::try_from(sm2_id.len() * 8).map_err(|_| unsupported("an SM2 ID too long"))?;
    let mut z_input = entl.to_be_bytes().to_vec();
    z_input.extend_from_slice(sm2_id.as_bytes());
    for h in [A, B, XG, YG] {
        z_input.extend(hex::decode(h).map_err(|_| unsupported("curve constants"))?);
    }
    z_input.extend_from_slice(&point[1..]);
    let mut e_input = DigestAlgorithm::Sm3.digest(&z_input);
    e_input.extend_from_slice(content);
    Ok(DigestAlgorithm::Sm3.digest(&e_input))
}
