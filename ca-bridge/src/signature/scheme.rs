//! Which signature algorithm a SignerInfo or a raw signature uses, checked against the signer's
//! key, and the shape of the signature value.
//!
//! Why this module exists: a SignerInfo names its algorithm in several ways (rsaEncryption with a
//! separate digest, sha256WithRSAEncryption, RSASSA-PSS with parameters, ecdsa-with-SHA256,
//! id-ecPublicKey, and for SM2 the GM/T 0006 identifiers 1.2.156.10197.1.501, 1.2.156.10197.1.301.1
//! and 1.2.156.10197.1.301); a raw signature names none and takes it from the key. This module
//! turns both into the crate's [`SigAlg`], refuses contradictions (a hash that differs from the
//! digest algorithm, an algorithm that does not fit the key), and tells a malformed signature value
//! from one that merely does not verify.

use super::DigestAlgorithm;
use crate::Error;
use crate::algorithms::{PSS_SALT_AUTO, SigAlg};
use crate::der_limits::expect;
use crate::parse::Certificate;

const OID_RSA: &str = "1.2.840.113549.1.1.1";
const OID_EC: &str = "1.2.840.10045.2.1";
const OID_SM2_CURVE: &str = "1.2.156.10197.1.301";

/// The kind of a certificate's key, for choosing and checking algorithms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum KeyKind {
    Rsa,
    Ec(&'static str),
    Sm2,
    Other,
}

pub(crate) fn key_kind(cert: &Certificate) -> KeyKind {
    match (cert.key_alg_oid.as_str(), cert.key_curve.as_deref()) {
        (OID_RSA, _) => KeyKind::Rsa,
        (OID_EC, Some(OID_SM2_CURVE)) | (OID_SM2_CURVE, _) => KeyKind::Sm2,
        (OID_EC, Some("1.2.840.10045.3.1.7")) => KeyKind::Ec("p256"),
        (OID_EC, Some("1.3.132.0.34")) => KeyKind::Ec("p384"),
        _ => KeyKind::Other,
    }
}

/// A signature algorithm with its verdict name.
#[derive(Clone, Debug)]
pub(crate) struct Scheme {
    pub(crate) alg: SigAlg,
    pub(crate) name: String,
}

fn name(alg: &SigAlg, kind: KeyKind) -> String {
    match (alg, kind) {
        (SigAlg::Ecdsa(h), KeyKind::Ec(curve)) => format!("ecdsa-{curve}-{h:?}").to_lowercase(),
        _ => alg.name(),
    }
}

fn fits(alg: &SigAlg, kind: KeyKind) -> bool {
    matches!(
        (alg, kind),
        (SigAlg::RsaPkcs1(_) | SigAlg::RsaPss { .. }, KeyKind::Rsa)
            | (SigAlg::Ecdsa(_), KeyKind::Ec(_))
            | (SigAlg::Sm2Sm3, KeyKind::Sm2)
    )
}

fn finish(alg: SigAlg, cert: &Certificate) -> Result<Scheme, Error> {
    let subject = || cert.subject.display().to_owned();
    match &alg {
        SigAlg::Weak(a) => {
            return Err(Error::WeakAlgorithm {
                subject: subject(),
                algorithm: a.clone(),
            });
        }
        SigAlg::Unsupported(a) => {
            return Err(Error::UnsupportedAlgorithm {
                subject: subject(),
                algorithm: a.clone(),
            });
        }
        _ => {}
    }
    let kind = key_kind(cert);
    if kind == KeyKind::Other {
        return Err(Error::UnsupportedAlgorithm {
            subject: subject(),
            algorithm: cert.key_info.desc.clone(),
        });
    }
    if !fits(&alg, kind) {
        return Err(Error::SignatureInvalid {
            signer: subject(),
            algorithm: format!("{} with a {} key", alg.name(), cert.key_info.desc),
        });
    }
    Ok(Scheme {
        name: name(&alg, kind),
        alg,
    })
}

/// The scheme of a SignerInfo: its signatureAlgorithm (OID and parameters as a TLV), its
/// digestAlgorithm, and the signer's certificate.
pub(crate) fn cms_scheme(
    oid: &str,
    params: Option<&[u8]>,
    digest: DigestAlgorithm,
    cert: &Certificate,
    object: &'static str,
) -> Result<Scheme, Error> {
    let subject = || cert.subject.display().to_owned();
    let differs = |h: &str| Error::Malformed {
        object,
        detail: format!(
            "the signature algorithm's hash ({h}) differs from the digest algorithm ({digest})"
        ),
    };
    let needs_sha2 = || {
        digest.hash().ok_or_else(|| Error::UnsupportedAlgorithm {
            subject: subject(),
            algorithm: format!("{oid} with digest {digest}"),
        })
    };
    let alg = match oid {
        OID_RSA => SigAlg::RsaPkcs1(needs_sha2()?),
        // id-ecPublicKey as a signature algorithm: ECDSA, or SM2 for an SM2 key.
        OID_EC => {
            if key_kind(cert) == KeyKind::Sm2 {
                SigAlg::Sm2Sm3
            } else {
                SigAlg::Ecdsa(needs_sha2()?)
            }
        }
        "1.2.156.10197.1.501" | "1.2.156.10197.1.301.1" | OID_SM2_CURVE => SigAlg::Sm2Sm3,
        other => SigAlg::from_oid(other, params),
    };
    match &alg {
        SigAlg::RsaPkcs1(h) | SigAlg::Ecdsa(h) | SigAlg::RsaPss { hash: h, .. } => {
            if Some(*h) != digest.hash() {
                return Err(differs(&format!("{h:?}").to_lowercase()));
            }
        }
        SigAlg::Sm2Sm3 => {
            if digest != DigestAlgorithm::Sm3 {
                return Err(differs("sm3"));
            }
        }
        SigAlg::Weak(_) | SigAlg::Unsupported(_) => {}
    }
    finish(alg, cert)
}

/// The scheme of a raw signature, from the signer's key: RSA PKCS#1 v1.5 (or PSS on request),
/// ECDSA, or SM2; `digest` is the hash (SHA-2 for RSA and ECDSA, SM3 for SM2).
pub(crate) fn raw_scheme(
    cert: &Certificate,
    digest: DigestAlgorithm,
    pss: bool,
) -> Result<Scheme, Error> {
    let kind = key_kind(cert);
    let unsupported = || Error::UnsupportedAlgorithm {
        subject: cert.subject.display().to_owned(),
        algorithm: format!("a {} key with digest {digest}", cert.key_info.desc),
    };
    let alg = match (kind, digest.hash()) {
        (KeyKind::Sm2, None) => SigAlg::Sm2Sm3,
        (KeyKind::Rsa, Some(h)) if pss => SigAlg::RsaPss {
            hash: h,
            mgf: h,
            salt: PSS_SALT_AUTO,
        },
        (KeyKind::Rsa, Some(h)) => SigAlg::RsaPkcs1(h),
        (KeyKind::Ec(_), Some(h)) => SigAlg::Ecdsa(h),
        (KeyKind::Other, _) => {
            return Err(Error::UnsupportedAlgorithm {
                subject: cert.subject.display().to_owned(),
                algorithm: cert.key_info.desc.clone(),
            });
        }
        _ => return Err(unsupported()),
    };
    finish(alg, cert)
}

/// The digest a raw signature uses by default for the signer's key: SM3 for SM2, else SHA-256.
pub(crate) fn default_raw_digest(cert: &Certificate) -> DigestAlgorithm {
    if key_kind(cert) == KeyKind::Sm2 {
        DigestAlgorithm::Sm3
    } else {
        DigestAlgorithm::Sha256
    }
}

/// Refuses a signature value that cannot be a signature of `scheme` at all: an RSA value of
/// another length than the modulus, an ECDSA or SM2 value that is not DER `SEQUENCE { r, s }`.
pub(crate) fn check_shape(
    scheme: &Scheme,
    cert: &Certificate,
    signature: &[u8],
) -> Result<(), Error> {
    let bad = |d: String| Error::Malformed {
        object: "signature",
        detail: d,
    };
    match scheme.alg {
        SigAlg::RsaPkcs1(_) | SigAlg::RsaPss { .. } => {
            let bits: usize = cert
                .key_info
                .desc
                .strip_prefix("rsa-")
                .and_then(|b| b.parse().ok())
                .unwrap_or(0);
            let k = bits.div_ceil(8);
            if k != 0 && signature.len() != k {
                return Err(bad(format!(
                    "an RSA-{bits} signature is {k} bytes, this one {}",
                    signature.len()
                )));
            }
            Ok(())
        }
        SigAlg::Ecdsa(_) | SigAlg::Sm2Sm3 => {
            let shape = || -> Result<(), Error> {
                let (seq, rest) = expect(signature, 0x30, "signature")?;
                let (r, after) = expect(seq.content, 0x02, "signature")?;
                let (s, end) = expect(after, 0x02, "signature")?;
                if !rest.is_empty() || !end.is_empty() {
                    return Err(bad("data after SEQUENCE { r, s }".into()));
                }
                for i in [r.content, s.content] {
                    if i.is_empty() || i.len() > 67 || i[0] & 0x80 != 0 {
                        return Err(bad("r and s must be positive integers".into()));
                    }
                }
                Ok(())
            };
            shape().map_err(|e| match e {
                Error::Malformed { detail, .. } => bad(format!(
                    "{} signatures are DER SEQUENCE {{ r, s }}: {detail}",
                    scheme.name
                )),
                other => other,
            })
        }
        SigAlg::Weak(_) | SigAlg::Unsupported(_) => Ok(()),
    }
}
