//! Signature algorithms and public keys: RSA PKCS#1 v1.5 and PSS, ECDSA P-256/P-384 (through
//! OpenSSL) and SM2 with SM3 and a distinguishing ID (through the RustCrypto `sm2` crate).
//!
//! Why this module exists: certificates, CRLs and OCSP responses are all "signature over TBS bytes
//! with an issuer key"; this is the one place that knows algorithms, refuses weak ones with their own
//! reason, and keeps a prepared key per issuer (an OpenSSL `PKey`, or an SM2 key whose `Z` value —
//! the SM3 hash of the ID and the key — is computed once) so that a CA key is decoded once however
//! many certificates it verifies.

use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Public};
use openssl::rsa::Padding;
use openssl::sign::{RsaPssSaltlen, Verifier};
use sm2::dsa::signature::Verifier as _;

use crate::Error;
use crate::der_limits::{expect, oid_string, read_tlv};

/// The SM2 distinguishing ID of GM/T 0009, used by Chinese CAs unless told otherwise.
pub const DEFAULT_SM2_ID: &str = "1234567812345678";

/// Smallest accepted RSA modulus.
pub const MIN_RSA_BITS: u32 = 2048;

const OID_SM2: &str = "1.2.156.10197.1.301";

/// An RSASSA-PSS salt length meaning "whatever the signature used" (OpenSSL's auto-detection on
/// verification): raw PSS signatures carry no parameters.
pub(crate) const PSS_SALT_AUTO: u32 = u32::MAX;

fn pss_saltlen(salt: u32) -> RsaPssSaltlen {
    if salt == PSS_SALT_AUTO {
        // RSA_PSS_SALTLEN_AUTO: recover the salt length from the signature.
        RsaPssSaltlen::custom(-2)
    } else {
        RsaPssSaltlen::custom(i32::try_from(salt).unwrap_or(i32::MAX))
    }
}

/// A hash used inside a signature algorithm.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Hash {
    Sha224,
    Sha256,
    Sha384,
    Sha512,
}

impl Hash {
    fn md(self) -> MessageDigest {
        match self {
            Hash::Sha224 => MessageDigest::sha224(),
            Hash::Sha256 => MessageDigest::sha256(),
            Hash::Sha384 => MessageDigest::sha384(),
            Hash::Sha512 => MessageDigest::sha512(),
        }
    }
}

/// A signature algorithm as identified by an AlgorithmIdentifier.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum SigAlg {
    RsaPkcs1(Hash),
    RsaPss {
        hash: Hash,
        mgf: Hash,
        salt: u32,
    },
    Ecdsa(Hash),
    Sm2Sm3,
    /// Known but refused as weak (MD2, MD5, SHA-1).
    Weak(String),
    /// Not supported (DSA, unknown OIDs).
    Unsupported(String),
}

impl SigAlg {
    /// Decodes an AlgorithmIdentifier given its OID and raw parameters (if any).
    pub(crate) fn from_oid(oid: &str, params: Option<&[u8]>) -> SigAlg {
        match oid {
            "1.2.840.113549.1.1.11" => SigAlg::RsaPkcs1(Hash::Sha256),
            "1.2.840.113549.1.1.12" => SigAlg::RsaPkcs1(Hash::Sha384),
            "1.2.840.113549.1.1.13" => SigAlg::RsaPkcs1(Hash::Sha512),
            "1.2.840.113549.1.1.14" => SigAlg::RsaPkcs1(Hash::Sha224),
            "1.2.840.113549.1.1.5" | "1.3.14.3.2.29" => {
                SigAlg::Weak("sha1WithRSAEncryption".into())
            }
            "1.2.840.113549.1.1.4" => SigAlg::Weak("md5WithRSAEncryption".into()),
            "1.2.840.113549.1.1.2" => SigAlg::Weak("md2WithRSAEncryption".into()),
            "1.2.840.113549.1.1.10" => pss(params.unwrap_or(&[])),
            "1.2.840.10045.4.3.1" => SigAlg::Ecdsa(Hash::Sha224),
            "1.2.840.10045.4.3.2" => SigAlg::Ecdsa(Hash::Sha256),
            "1.2.840.10045.4.3.3" => SigAlg::Ecdsa(Hash::Sha384),
            "1.2.840.10045.4.3.4" => SigAlg::Ecdsa(Hash::Sha512),
            "1.2.840.10045.4.1" => SigAlg::Weak("ecdsa-with-SHA1".into()),
            "1.2.156.10197.1.501" => SigAlg::Sm2Sm3,
            "1.2.840.10040.4.3" => SigAlg::Unsupported("dsa-with-SHA1".into()),
            "2.16.840.1.101.3.4.3.1" | "2.16.840.1.101.3.4.3.2" => {
                SigAlg::Unsupported("dsa-with-SHA2".into())
            }
            other => SigAlg::Unsupported(other.to_owned()),
        }
    }

    /// A short name for the verdict.
    /// The name in trust-list spelling (`rsa-pkcs1-sha256`, `rsa-pss`, `ecdsa-p256-sha256`,
    /// `sm2-sm3`, ...); ECDSA names the curve of the signer's key (`issuer_curve`, an OID).
    pub(crate) fn trust_list_name(&self, issuer_curve: Option<&str>) -> String {
        match self {
            SigAlg::RsaPss { .. } => "rsa-pss".into(),
            SigAlg::Ecdsa(h) => {
                let curve = match issuer_curve {
                    Some("1.2.840.10045.3.1.7") => "p256",
                    Some("1.3.132.0.34") => "p384",
                    Some("1.3.132.0.35") => "p521",
                    _ => "unknown-curve",
                };
                format!("ecdsa-{curve}-{h:?}").to_lowercase()
            }
            other => other.name(),
        }
    }

    pub(crate) fn name(&self) -> String {
        match self {
            SigAlg::RsaPkcs1(h) => format!("rsa-pkcs1-{h:?}").to_lowercase(),
            SigAlg::RsaPss { hash, .. } => format!("rsa-pss-{hash:?}").to_lowercase(),
            SigAlg::Ecdsa(h) => format!("ecdsa-{h:?}").to_lowercase(),
            SigAlg::Sm2Sm3 => "sm2-sm3".into(),
            SigAlg::Weak(s) | SigAlg::Unsupported(s) => s.clone(),
        }
    }
}

fn hash_oid(oid: &str) -> Result<Hash, SigAlg> {
    match oid {
        "2.16.840.1.101.3.4.2.4" => Ok(Hash::Sha224),
        "2.16.840.1.101.3.4.2.1" => Ok(Hash::Sha256),
        "2.16.840.1.101.3.4.2.2" => Ok(Hash::Sha384),
        "2.16.840.1.101.3.4.2.3" => Ok(Hash::Sha512),
        "1.3.14.3.2.26" => Err(SigAlg::Weak("rsassa-pss-sha1".into())),
        other => Err(SigAlg::Unsupported(format!("rsassa-pss with hash {other}"))),
    }
}

/// Reads the hash OID out of an AlgorithmIdentifier's encoding.
fn alg_oid(alg_id: &[u8]) -> Option<String> {
    let (seq, _) = expect(alg_id, 0x30, "algorithm").ok()?;
    let (oid, rest) = expect(seq.content, 0x06, "algorithm").ok()?;
    let _ = rest;
    Some(oid_string(oid.content))
}

/// RSASSA-PSS-params (RFC 4055); the SHA-1 defaults make absent fields weak.
fn pss(params: &[u8]) -> SigAlg {
    let Ok((seq, _)) = expect(params, 0x30, "rsassa-pss-params") else {
        return SigAlg::Weak("rsassa-pss with default (SHA-1) parameters".into());
    };
    let mut hash = "1.3.14.3.2.26".to_owned();
    let mut mgf_hash = "1.3.14.3.2.26".to_owned();
    let mut salt: u32 = 20;
    let mut rest = seq.content;
    let mut fields = 0;
    while !rest.is_empty() && fields < 4 {
        fields += 1;
        let Ok((field, r)) = read_tlv(rest, "rsassa-pss-params") else {
            return SigAlg::Unsupported("malformed rsassa-pss parameters".into());
        };
        rest = r;
        match field.tag {
            0xa0 => match alg_oid(field.content) {
                Some(o) => hash = o,
                None => return SigAlg::Unsupported("malformed rsassa-pss hash".into()),
            },
            0xa1 => {
                // SEQUENCE { mgf1 OID, AlgorithmIdentifier(hash) }
                let parsed = expect(field.content, 0x30, "mgf").ok().and_then(|(s, _)| {
                    let (oid, r) = expect(s.content, 0x06, "mgf").ok()?;
                    if oid_string(oid.content) != "1.2.840.113549.1.1.8" {
                        return None;
                    }
                    alg_oid(r)
                });
                match parsed {
                    Some(o) => mgf_hash = o,
                    None => {
                        return SigAlg::Unsupported(
                            "rsassa-pss with a mask generation other than MGF1".into(),
                        );
                    }
                }
            }
            0xa2 => {
                let Ok((int, _)) = expect(field.content, 0x02, "salt") else {
                    return SigAlg::Unsupported("malformed rsassa-pss salt".into());
                };
                if int.content.is_empty() || int.content.len() > 3 || int.content[0] & 0x80 != 0 {
                    return SigAlg::Unsupported("unreasonable rsassa-pss salt length".into());
                }
                salt = int
                    .content
                    .iter()
                    .fold(0u32, |a, &b| (a << 8) | u32::from(b));
            }
            0xa3 => {}
            _ => return SigAlg::Unsupported("malformed rsassa-pss parameters".into()),
        }
    }
    let hash = match hash_oid(&hash) {
        Ok(h) => h,
        Err(e) => return e,
    };
    let mgf = match hash_oid(&mgf_hash) {
        Ok(h) => h,
        Err(e) => return e,
    };
    SigAlg::RsaPss { hash, mgf, salt }
}

/// A certificate's public key, prepared for verifying the signatures it makes.
#[derive(Clone)]
pub(crate) enum VerifyKey {
    Rsa {
        key: PKey<Public>,
        bits: u32,
    },
    Ec {
        key: PKey<Public>,
        curve: &'static str,
    },
    Sm2(Box<sm2::dsa::VerifyingKey>),
    /// A key of a known type that is too weak to be used (RSA below 2048 bits).
    Weak(String),
    /// DSA, other curves, unknown key types, or a key that does not decode.
    Unsupported(String),
}

impl std::fmt::Debug for VerifyKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

impl VerifyKey {
    /// Prepares a key from a SubjectPublicKeyInfo; `sm2_id` is the distinguishing ID this key's
    /// owner signs with.
    pub(crate) fn from_spki(
        spki_der: &[u8],
        alg_oid: &str,
        curve: Option<&str>,
        point: &[u8],
        sm2_id: &str,
    ) -> VerifyKey {
        match (alg_oid, curve) {
            ("1.2.840.113549.1.1.1", _) => match rsa_from_components(point)
                .or_else(|| PKey::public_key_from_der(spki_der).ok())
            {
                Some(key) => {
                    let bits = key.bits();
                    if bits < MIN_RSA_BITS {
                        VerifyKey::Weak(format!("rsa-{bits}"))
                    } else {
                        VerifyKey::Rsa { key, bits }
                    }
                }
                None => VerifyKey::Unsupported("undecodable RSA key".into()),
            },
            ("1.2.840.10045.2.1", Some(OID_SM2)) | (OID_SM2, _) => {
                match sm2::dsa::VerifyingKey::from_sec1_bytes(sm2_id, point) {
                    Ok(k) => VerifyKey::Sm2(Box::new(k)),
                    Err(_) => VerifyKey::Unsupported("undecodable SM2 key".into()),
                }
            }
            ("1.2.840.10045.2.1", Some(c @ ("1.2.840.10045.3.1.7" | "1.3.132.0.34"))) => {
                let curve = if c == "1.3.132.0.34" {
                    "P-384"
                } else {
                    "P-256"
                };
                match ec_from_point(c, point).or_else(|| PKey::public_key_from_der(spki_der).ok()) {
                    Some(key) => VerifyKey::Ec { key, curve },
                    None => VerifyKey::Unsupported(format!("undecodable {curve} key")),
                }
            }
            ("1.2.840.10045.2.1", c) => {
                VerifyKey::Unsupported(format!("EC curve {}", c.unwrap_or("(none)")))
            }
            ("1.2.840.10040.4.1", _) => VerifyKey::Unsupported("dsa".into()),
            (other, _) => VerifyKey::Unsupported(format!("key type {other}")),
        }
    }

    /// A short description for the verdict (`rsa-2048`, `ec-P-256`, `sm2`).
    pub(crate) fn describe(&self) -> String {
        match self {
            VerifyKey::Rsa { bits, .. } => format!("rsa-{bits}"),
            VerifyKey::Ec { curve, .. } => format!("ec-{curve}"),
            VerifyKey::Sm2(_) => "sm2".into(),
            VerifyKey::Weak(s) | VerifyKey::Unsupported(s) => s.clone(),
        }
    }

    /// The error this key causes by itself (weak or unsupported), if any.
    pub(crate) fn key_error(&self, subject: &str) -> Option<Error> {
        match self {
            VerifyKey::Weak(s) => Some(Error::WeakAlgorithm {
                subject: subject.to_owned(),
                algorithm: s.clone(),
            }),
            VerifyKey::Unsupported(s) => Some(Error::UnsupportedAlgorithm {
                subject: subject.to_owned(),
                algorithm: s.clone(),
            }),
            _ => None,
        }
    }
}

/// An RSA key from the subjectPublicKey's `RSAPublicKey ::= SEQUENCE { n, e }`.
///
/// Built from its components rather than through `d2i_PUBKEY`: OpenSSL 3.0's decoder framework
/// takes a few hundred microseconds per key, several times the cost of a verification.
fn rsa_from_components(subject_public_key: &[u8]) -> Option<PKey<Public>> {
    let (seq, rest) = expect(subject_public_key, 0x30, "rsa-key").ok()?;
    let (n, after) = expect(seq.content, 0x02, "rsa-key").ok()?;
    let (e, end) = expect(after, 0x02, "rsa-key").ok()?;
    if !rest.is_empty() || !end.is_empty() {
        return None;
    }
    let positive = |i: &[u8]| i.first().is_some_and(|b| b & 0x80 == 0);
    if !positive(n.content) || !positive(e.content) {
        return None;
    }
    let n = openssl::bn::BigNum::from_slice(n.content).ok()?;
    let e = openssl::bn::BigNum::from_slice(e.content).ok()?;
    let rsa = openssl::rsa::Rsa::from_public_components(n, e).ok()?;
    PKey::from_rsa(rsa).ok()
}

/// A P-256 or P-384 key from its SEC1 point, for the same reason.
fn ec_from_point(curve_oid: &str, point: &[u8]) -> Option<PKey<Public>> {
    let nid = match curve_oid {
        "1.2.840.10045.3.1.7" => openssl::nid::Nid::X9_62_PRIME256V1,
        "1.3.132.0.34" => openssl::nid::Nid::SECP384R1,
        _ => return None,
    };
    let group = openssl::ec::EcGroup::from_curve_name(nid).ok()?;
    let mut ctx = openssl::bn::BigNumContext::new().ok()?;
    let p = openssl::ec::EcPoint::from_bytes(&group, point, &mut ctx).ok()?;
    // oct2point refuses points off the curve; P-256 and P-384 have cofactor 1, so a point on the
    // curve is in the group (EC_KEY_check_key would add a scalar multiplication per key).
    let key = openssl::ec::EcKey::from_public_key(&group, &p).ok()?;
    PKey::from_ec_key(key).ok()
}

/// A key's type and size, and why it cannot be used (if so), known without decoding it through
/// OpenSSL (so that checking an end entity's key costs nothing).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct KeyInfo {
    pub(crate) desc: String,
    /// `Some((weak, what))`: weak (true) or unsupported (false).
    pub(crate) problem: Option<(bool, String)>,
}

impl KeyInfo {
    pub(crate) fn of(alg_oid: &str, curve: Option<&str>, rsa_bits: Option<u32>) -> KeyInfo {
        let ok = |d: &str| KeyInfo {
            desc: d.to_owned(),
            problem: None,
        };
        let bad = |weak: bool, d: String| KeyInfo {
            desc: d.clone(),
            problem: Some((weak, d)),
        };
        match (alg_oid, curve) {
            ("1.2.840.113549.1.1.1", _) => match rsa_bits {
                Some(b) if b >= MIN_RSA_BITS => ok(&format!("rsa-{b}")),
                Some(b) => bad(true, format!("rsa-{b}")),
                None => bad(false, "undecodable RSA key".into()),
            },
            ("1.2.840.10045.2.1", Some(OID_SM2)) | (OID_SM2, _) => ok("sm2"),
            ("1.2.840.10045.2.1", Some("1.2.840.10045.3.1.7")) => ok("ec-P-256"),
            ("1.2.840.10045.2.1", Some("1.3.132.0.34")) => ok("ec-P-384"),
            ("1.2.840.10045.2.1", c) => bad(false, format!("EC curve {}", c.unwrap_or("(none)"))),
            ("1.2.840.10040.4.1", _) => bad(false, "dsa".into()),
            (other, _) => bad(false, format!("key type {other}")),
        }
    }

    /// The error this key causes by itself (weak or unsupported), if any.
    pub(crate) fn error(&self, subject: &str) -> Option<Error> {
        self.problem.as_ref().map(|(weak, what)| {
            if *weak {
                Error::WeakAlgorithm {
                    subject: subject.to_owned(),
                    algorithm: what.clone(),
                }
            } else {
                Error::UnsupportedAlgorithm {
                    subject: subject.to_owned(),
                    algorithm: what.clone(),
                }
            }
        })
    }
}

/// What is being verified, for the error's context.
pub(crate) struct Signed<'a> {
    pub(crate) object: &'static str,
    pub(crate) subject: &'a str,
    pub(crate) issuer: &'a str,
}

/// Verifies `signature` over `tbs` with `key` under `alg`.
pub(crate) fn verify_signature(
    alg: &SigAlg,
    key: &VerifyKey,
    tbs: &[u8],
    signature: &[u8],
    what: &Signed<'_>,
) -> Result<(), Error> {
    let bad = || Error::BadSignature {
        object: what.object,
        subject: what.subject.to_owned(),
        issuer: what.issuer.to_owned(),
    };
    match alg {
        SigAlg::Weak(a) => {
            return Err(Error::WeakAlgorithm {
                subject: what.subject.to_owned(),
                algorithm: a.clone(),
            });
        }
        SigAlg::Unsupported(a) => {
            return Err(Error::UnsupportedAlgorithm {
                subject: what.subject.to_owned(),
                algorithm: a.clone(),
            });
        }
        _ => {}
    }
    if let Some(e) = key.key_error(what.issuer) {
        return Err(e);
    }
    let ok = match (alg, key) {
        (SigAlg::RsaPkcs1(h), VerifyKey::Rsa { key, .. }) => {
            openssl_verify(key, h.md(), tbs, signature, |_| Ok(()))
        }
        (SigAlg::RsaPss { hash, mgf, salt }, VerifyKey::Rsa { key, .. }) => {
            let (mgf, salt) = (*mgf, *salt);
            openssl_verify(key, hash.md(), tbs, signature, move |v| {
                v.set_rsa_padding(Padding::PKCS1_PSS)?;
                v.set_rsa_pss_saltlen(pss_saltlen(salt))?;
                v.set_rsa_mgf1_md(mgf.md())
            })
        }
        (SigAlg::Ecdsa(h), VerifyKey::Ec { key, .. }) => {
            openssl_verify(key, h.md(), tbs, signature, |_| Ok(()))
        }
        (SigAlg::Sm2Sm3, VerifyKey::Sm2(key)) => match sm2::dsa::Signature::from_der(signature) {
            Ok(sig) => key.verify(tbs, &sig).is_ok(),
            Err(_) => false,
        },
        // An algorithm that does not fit the key cannot verify.
        _ => false,
    };
    if ok { Ok(()) } else { Err(bad()) }
}

fn openssl_verify(
    key: &PKey<Public>,
    md: MessageDigest,
    tbs: &[u8],
    signature: &[u8],
    setup: impl FnOnce(&mut Verifier<'_>) -> Result<(), openssl::error::ErrorStack>,
) -> bool {
    let Ok(mut v) = Verifier::new(md, key) else {
        return false;
    };
    if setup(&mut v).is_err() {
        return false;
    }
    v.verify_oneshot(signature, tbs).unwrap_or(false)
}

/// Verifies `signature` over a precomputed `digest` instead of the message: for RSA and ECDSA the
/// message's digest by the algorithm's hash; for SM2 the value it signs, e = SM3(Z || M).
pub(crate) fn verify_prehashed(
    alg: &SigAlg,
    key: &VerifyKey,
    digest: &[u8],
    signature: &[u8],
    what: &Signed<'_>,
) -> Result<(), Error> {
    use sm2::dsa::signature::hazmat::PrehashVerifier as _;
    match alg {
        SigAlg::Weak(a) => {
            return Err(Error::WeakAlgorithm {
                subject: what.subject.to_owned(),
                algorithm: a.clone(),
            });
        }
        SigAlg::Unsupported(a) => {
            return Err(Error::UnsupportedAlgorithm {
                subject: what.subject.to_owned(),
                algorithm: a.clone(),
            });
        }
        _ => {}
    }
    if let Some(e) = key.key_error(what.issuer) {
        return Err(e);
    }
    let pkey_verify = |key: &PKey<Public>,
                       md: MessageDigest,
                       pss: Option<(Hash, u32)>|
     -> Result<bool, openssl::error::ErrorStack> {
        let mut ctx = openssl::pkey_ctx::PkeyCtx::new(key)?;
        ctx.verify_init()?;
        if let Some((mgf, salt)) = pss {
            ctx.set_rsa_padding(Padding::PKCS1_PSS)?;
            ctx.set_rsa_pss_saltlen(pss_saltlen(salt))?;
            if let Some(m) = openssl::md::Md::from_nid(mgf.md().type_()) {
                ctx.set_rsa_mgf1_md(m)?;
            }
        }
        if let Some(m) = openssl::md::Md::from_nid(md.type_()) {
            ctx.set_signature_md(m)?;
        }
        ctx.verify(digest, signature)
    };
    let ok = match (alg, key) {
        (SigAlg::RsaPkcs1(h), VerifyKey::Rsa { key, .. }) => {
            digest.len() == h.md().size() && pkey_verify(key, h.md(), None).unwrap_or(false)
        }
        (SigAlg::RsaPss { hash, mgf, salt }, VerifyKey::Rsa { key, .. }) => {
            digest.len() == hash.md().size()
                && pkey_verify(key, hash.md(), Some((*mgf, *salt))).unwrap_or(false)
        }
        (SigAlg::Ecdsa(h), VerifyKey::Ec { key, .. }) => {
            digest.len() == h.md().size() && pkey_verify(key, h.md(), None).unwrap_or(false)
        }
        (SigAlg::Sm2Sm3, VerifyKey::Sm2(key)) => match sm2::dsa::Signature::from_der(signature) {
            Ok(sig) => key.verify_prehash(digest, &sig).is_ok(),
            Err(_) => false,
        },
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(Error::BadSignature {
            object: what.object,
            subject: what.subject.to_owned(),
            issuer: what.issuer.to_owned(),
        })
    }
}
