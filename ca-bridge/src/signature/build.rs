//! Making signatures: a private key ([`SigningKey`], also used by [`crate::receipt`]), raw
//! signatures, a CMS SignedData signer and a minimal RFC 3161 timestamping authority.
//!
//! Why this module exists: the verifier must be tested against every shape it accepts, with every
//! demo key (SM2 included, which the OpenSSL 3.0 command line cannot put in CMS) and with
//! timestamps at chosen times (which `openssl ts -reply` cannot give); the gateway's end-to-end
//! tests and demos need the same. Verification never uses this module. Times are passed in; the
//! only randomness is inside OpenSSL's RSA-PSS and ECDSA signing (SM2 signatures are
//! deterministic, RFC 6979 style).

use der::asn1::{Any, Int, ObjectIdentifier, OctetString, SetOfVec};
use der::{Decode as _, Encode as _};
use openssl::hash::MessageDigest;
use openssl::pkey::{Id, PKey, Private};
use sm2::dsa::signature::Signer as _;

use super::DigestAlgorithm;
use super::asn1::{
    self, AlgId, Attribute, EncapsulatedContentInfo, IssuerAndSerialNumber, SignedContentInfo,
    SignedData, SignerIdentifier, SignerInfo, oid,
};
use super::scheme::{KeyKind, key_kind};
use crate::Error;
use crate::der_limits::MAX_SIGNED_DATA_BYTES;
use crate::parse::Certificate;

fn key_error(detail: impl Into<String>) -> Error {
    Error::Malformed {
        object: "signing-key",
        detail: detail.into(),
    }
}

fn encode_error(e: der::Error) -> Error {
    Error::Malformed {
        object: "signed-data",
        detail: format!("encoding: {e}"),
    }
}

/// The algorithm family of a [`SigningKey`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum KeyAlg {
    Rsa,
    P256,
    P384,
    Sm2,
}

/// A private key for making signatures: RSA (2048 bits or more), ECDSA P-256 / P-384, or SM2.
///
/// Read from PEM (PKCS#8 `PRIVATE KEY`, or the traditional `RSA PRIVATE KEY` / `EC PRIVATE KEY`).
/// The key never leaves OpenSSL (RSA, ECDSA) or the `sm2` signing key; `Debug` prints its type
/// only.
pub struct SigningKey {
    key: PKey<Private>,
    alg: KeyAlg,
    /// SM2: the private scalar, big-endian (the `sm2` crate signs with the ID per signature).
    sm2_scalar: Option<Vec<u8>>,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SigningKey({:?})", self.alg)
    }
}

/// The private scalar of an SM2 key: from PKCS#8 through the `sm2` crate, else through OpenSSL's
/// EC view of the key (traditional `EC PRIVATE KEY` files).
fn sm2_scalar(pem: &[u8], key: &PKey<Private>) -> Result<Vec<u8>, Error> {
    use sm2::pkcs8::DecodePrivateKey as _;
    let text = std::str::from_utf8(pem).map_err(|e| key_error(e.to_string()))?;
    if let Ok(k) = sm2::SecretKey::from_pkcs8_pem(text) {
        return Ok(k.to_bytes().to_vec());
    }
    let ec = key
        .ec_key()
        .map_err(|_| key_error("neither RSA, ECDSA P-256/P-384 nor SM2"))?;
    if ec.group().curve_name() != Some(openssl::nid::Nid::SM2) {
        return Err(key_error("an EC key on an unsupported curve"));
    }
    ec.private_key()
        .to_vec_padded(32)
        .map_err(|e| key_error(e.to_string()))
}

impl SigningKey {
    /// Reads a PEM private key.
    ///
    /// # Errors
    /// [`Error::Malformed`] (object `signing-key`) when the key cannot be read or is of another
    /// type (DSA, other curves, RSA below 2048 bits).
    pub fn from_pem(pem: &[u8]) -> Result<SigningKey, Error> {
        let key = PKey::private_key_from_pem(pem).map_err(|e| key_error(e.to_string()))?;
        let curve = |k: &PKey<Private>| {
            k.ec_key()
                .ok()
                .and_then(|e| e.group().curve_name())
                .map(|n| n.as_raw())
        };
        // OpenSSL 3 types SM2 keys apart (at times without a legacy id): any key that is not
        // RSA or a NIST-curve EC key is tried as SM2.
        let alg = match key.id() {
            Id::RSA if key.bits() >= crate::MIN_RSA_BITS => KeyAlg::Rsa,
            Id::RSA => return Err(key_error(format!("RSA-{} is too short", key.bits()))),
            Id::EC if curve(&key) == Some(openssl::nid::Nid::X9_62_PRIME256V1.as_raw()) => {
                KeyAlg::P256
            }
            Id::EC if curve(&key) == Some(openssl::nid::Nid::SECP384R1.as_raw()) => KeyAlg::P384,
            _ => KeyAlg::Sm2,
        };
        let sm2_scalar = if alg == KeyAlg::Sm2 {
            Some(sm2_scalar(pem, &key)?)
        } else {
            None
        };
        Ok(SigningKey {
            key,
            alg,
            sm2_scalar,
        })
    }

    pub(crate) fn alg(&self) -> KeyAlg {
        self.alg
    }

    /// True when `cert` holds this key's public key.
    pub fn matches(&self, cert: &Certificate) -> bool {
        if self.alg == KeyAlg::Sm2 {
            // OpenSSL types SM2 keys inconsistently: compare the points through the `sm2` crate.
            let mine = self
                .sm2_scalar
                .as_deref()
                .and_then(|s| sm2::SecretKey::from_slice(s).ok())
                .map(|k| k.public_key());
            let theirs = sm2::PublicKey::from_sec1_bytes(&cert.key_point).ok();
            return key_kind(cert) == KeyKind::Sm2 && mine.is_some() && mine == theirs;
        }
        let Ok(public) = PKey::public_key_from_der(cert.spki_der()) else {
            return false;
        };
        public.public_eq(&self.key)
    }

    /// Signs `data` as `openssl dgst -sign` does: RSA PKCS#1 v1.5 (or PSS with MGF1 of the same
    /// hash and a salt of the digest's length), ECDSA and SM2 as DER `SEQUENCE { r, s }`. `digest`
    /// must be SHA-2 for RSA and ECDSA and SM3 for SM2; `sm2_id` is SM2's distinguishing ID.
    ///
    /// # Errors
    /// [`Error::Malformed`] (object `signing-key`) when the digest does not fit the key or
    /// signing fails.
    pub fn sign(
        &self,
        data: &[u8],
        digest: DigestAlgorithm,
        sm2_id: &str,
        rsa_pss: bool,
    ) -> Result<Vec<u8>, Error> {
        let err = |e: openssl::error::ErrorStack| key_error(e.to_string());
        match (self.alg, digest) {
            (KeyAlg::Sm2, DigestAlgorithm::Sm3) => {
                let scalar = self.sm2_scalar.as_deref().unwrap_or_default();
                let key = sm2::dsa::SigningKey::from_slice(sm2_id, scalar)
                    .map_err(|_| key_error("an SM2 key the sm2 crate refuses"))?;
                let sig: sm2::dsa::Signature = key
                    .try_sign(data)
                    .map_err(|_| key_error("SM2 signing failed"))?;
                Ok(sig.to_der().as_bytes().to_vec())
            }
            (KeyAlg::Sm2, _) | (_, DigestAlgorithm::Sm3) => Err(key_error(format!(
                "a {:?} key does not sign with {digest}",
                self.alg
            ))),
            (alg, _) => {
                let md = digest.md();
                let mut s = openssl::sign::Signer::new(md, &self.key).map_err(err)?;
                if alg == KeyAlg::Rsa && rsa_pss {
                    s.set_rsa_padding(openssl::rsa::Padding::PKCS1_PSS)
                        .map_err(err)?;
                    s.set_rsa_pss_saltlen(openssl::sign::RsaPssSaltlen::DIGEST_LENGTH)
                        .map_err(err)?;
                    s.set_rsa_mgf1_md(md).map_err(err)?;
                }
                s.sign_oneshot_to_vec(data).map_err(err)
            }
        }
    }

    /// ECDSA P-256 with SHA-256 (the JWS ES256 signature, DER form).
    pub(crate) fn sign_es256(&self, data: &[u8]) -> Result<Vec<u8>, Error> {
        openssl::sign::Signer::new(MessageDigest::sha256(), &self.key)
            .and_then(|mut s| s.sign_oneshot_to_vec(data))
            .map_err(|e| key_error(e.to_string()))
    }
}

/// How [`sign_cms`] builds the SignedData.
#[derive(Clone, Copy, Debug)]
pub struct CmsOptions<'a> {
    /// Put the content inside the SignedData (else detached).
    pub attached: bool,
    /// Sign attributes (content type, message digest, and `signing_time` when given) rather than
    /// the content itself.
    pub signed_attributes: bool,
    /// The signingTime attribute, Unix seconds (with signed attributes).
    pub signing_time: Option<i64>,
    /// Use the GM/T 0010 content-type OIDs (and 1.2.156.10197.1.301.1 for SM2 signatures).
    pub gm_oids: bool,
    /// The digest; default SM3 for SM2 keys, SHA-256 otherwise.
    pub digest: Option<DigestAlgorithm>,
    /// SM2's distinguishing ID.
    pub sm2_id: &'a str,
    /// RSASSA-PSS instead of PKCS#1 v1.5 for RSA keys.
    pub rsa_pss: bool,
    /// Include the signer's certificate.
    pub include_signer_certificate: bool,
    /// Further certificates to include (CA certificates, or anything: they are candidates only).
    pub certificates: &'a [Certificate],
    /// Timestamp the signature with this authority at this time (an unsigned attribute).
    pub timestamp: Option<(&'a TimestampAuthority, i64)>,
}

impl Default for CmsOptions<'_> {
    fn default() -> Self {
        CmsOptions {
            attached: true,
            signed_attributes: true,
            signing_time: None,
            gm_oids: false,
            digest: None,
            sm2_id: crate::DEFAULT_SM2_ID,
            rsa_pss: false,
            include_signer_certificate: true,
            certificates: &[],
            timestamp: None,
        }
    }
}

fn oid_of(s: &str) -> Result<ObjectIdentifier, Error> {
    ObjectIdentifier::new(s).map_err(|e| encode_error(e.into()))
}

fn null() -> Result<Any, Error> {
    Any::new(der::Tag::Null, Vec::<u8>::new()).map_err(encode_error)
}

fn alg_id(o: &str, params: Option<Any>) -> Result<AlgId, Error> {
    Ok(AlgId {
        oid: oid_of(o)?,
        params,
    })
}

fn any_of<T: der::Tagged + der::EncodeValue>(value: &T) -> Result<Any, Error> {
    Any::encode_from(value).map_err(encode_error)
}

fn attribute(o: ObjectIdentifier, value: Any) -> Result<Attribute, Error> {
    Ok(Attribute {
        oid: o,
        values: SetOfVec::try_from(vec![value]).map_err(encode_error)?,
    })
}

fn utc_or_generalized(t: i64) -> Result<Any, Error> {
    let secs = u64::try_from(t).map_err(|_| key_error("a time before 1970"))?;
    let d = std::time::Duration::from_secs(secs);
    // RFC 5652 11.3: UTCTime for 1950 to 2049, GeneralizedTime otherwise.
    match der::asn1::UtcTime::from_unix_duration(d) {
        Ok(t) => any_of(&t),
        Err(_) => any_of(&der::asn1::GeneralizedTime::from_unix_duration(d).map_err(encode_error)?),
    }
}

/// The signatureAlgorithm of a SignerInfo made with `key`.
fn signature_alg(
    key: &SigningKey,
    digest: DigestAlgorithm,
    pss: bool,
    gm: bool,
) -> Result<AlgId, Error> {
    let hash_alg = || alg_id(digest.oid(), Some(null()?));
    match key.alg() {
        KeyAlg::Sm2 if gm => alg_id("1.2.156.10197.1.301.1", None),
        KeyAlg::Sm2 => alg_id("1.2.156.10197.1.501", None),
        KeyAlg::Rsa if pss => {
            // RSASSA-PSS-params: hash, MGF1 with the same hash, salt = digest length.
            let mgf = AlgId {
                oid: oid_of("1.2.840.113549.1.1.8")?,
                params: Some(any_of(&hash_alg()?)?),
            };
            let salt = Int::new(&[u8::try_from(digest.output_len()).unwrap_or(32)])
                .map_err(encode_error)?;
            let mut params = Vec::new();
            for (tag, inner) in [
                (0u8, hash_alg()?.to_der().map_err(encode_error)?),
                (1, mgf.to_der().map_err(encode_error)?),
                (2, salt.to_der().map_err(encode_error)?),
            ] {
                let ctx = Any::new(
                    der::Tag::ContextSpecific {
                        constructed: true,
                        number: der::TagNumber(u32::from(tag)),
                    },
                    inner,
                )
                .map_err(encode_error)?;
                params.extend(ctx.to_der().map_err(encode_error)?);
            }
            let seq = Any::new(der::Tag::Sequence, params).map_err(encode_error)?;
            alg_id("1.2.840.113549.1.1.10", Some(seq))
        }
        KeyAlg::Rsa => alg_id(
            match digest {
                DigestAlgorithm::Sha224 => "1.2.840.113549.1.1.14",
                DigestAlgorithm::Sha384 => "1.2.840.113549.1.1.12",
                DigestAlgorithm::Sha512 => "1.2.840.113549.1.1.13",
                _ => "1.2.840.113549.1.1.11",
            },
            Some(null()?),
        ),
        KeyAlg::P256 | KeyAlg::P384 => alg_id(
            match digest {
                DigestAlgorithm::Sha224 => "1.2.840.10045.4.3.1",
                DigestAlgorithm::Sha384 => "1.2.840.10045.4.3.3",
                DigestAlgorithm::Sha512 => "1.2.840.10045.4.3.4",
                _ => "1.2.840.10045.4.3.2",
            },
            None,
        ),
    }
}

/// Everything a SignedData needs besides the key.
struct Build<'a> {
    content_type: ObjectIdentifier,
    content: &'a [u8],
    attached: bool,
    signed_attrs: Option<Vec<Attribute>>,
    unsigned_attrs: Vec<Attribute>,
    digest: DigestAlgorithm,
    gm: bool,
    sm2_id: &'a str,
    pss: bool,
    certificates: Vec<&'a Certificate>,
}

/// Signs and encodes; returns the SignedData's DER and the signature value.
fn build(b: Build<'_>, key: &SigningKey, cert: &Certificate) -> Result<(Vec<u8>, Vec<u8>), Error> {
    if !key.matches(cert) {
        return Err(key_error(format!(
            "the key is not the key of {}",
            cert.subject().display()
        )));
    }
    let signed_attrs = match b.signed_attrs {
        Some(mut attrs) => {
            attrs.push(attribute(oid::CONTENT_TYPE, any_of(&b.content_type)?)?);
            let md = OctetString::new(b.digest.digest(b.content)).map_err(encode_error)?;
            attrs.push(attribute(oid::MESSAGE_DIGEST, any_of(&md)?)?);
            Some(SetOfVec::try_from(attrs).map_err(encode_error)?)
        }
        None => None,
    };
    let to_sign = match &signed_attrs {
        Some(a) => a.to_der().map_err(encode_error)?,
        None => b.content.to_vec(),
    };
    let signature = key.sign(&to_sign, b.digest, b.sm2_id, b.pss)?;
    let unsigned_attrs = if b.unsigned_attrs.is_empty() {
        None
    } else {
        Some(SetOfVec::try_from(b.unsigned_attrs).map_err(encode_error)?)
    };
    let digest_alg = alg_id(b.digest.oid(), None)?;
    let info = SignerInfo {
        version: Int::new(&[1]).map_err(encode_error)?,
        sid: SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
            issuer: Any::from_der(&cert.issuer().der).map_err(encode_error)?,
            serial_number: Int::new(&cert.serial).map_err(encode_error)?,
        }),
        digest_alg: digest_alg.clone(),
        signed_attrs,
        signature_alg: signature_alg(key, b.digest, b.pss, b.gm)?,
        signature: OctetString::new(signature.clone()).map_err(encode_error)?,
        unsigned_attrs,
    };
    let certs = b
        .certificates
        .iter()
        .map(|c| Any::from_der(c.der()).map_err(encode_error))
        .collect::<Result<Vec<_>, _>>()?;
    let sd = SignedData {
        version: Int::new(&[1]).map_err(encode_error)?,
        digest_algorithms: SetOfVec::try_from(vec![digest_alg]).map_err(encode_error)?,
        encap_content_info: EncapsulatedContentInfo {
            econtent_type: b.content_type,
            econtent: if b.attached {
                Some(OctetString::new(b.content).map_err(encode_error)?)
            } else {
                None
            },
        },
        certificates: if certs.is_empty() {
            None
        } else {
            Some(SetOfVec::try_from(certs).map_err(encode_error)?)
        },
        crls: None,
        signer_infos: SetOfVec::try_from(vec![info]).map_err(encode_error)?,
    };
    let ci = SignedContentInfo {
        content_type: if b.gm {
            oid::GM_SIGNED_DATA
        } else {
            oid::SIGNED_DATA
        },
        signed_data: sd,
    };
    Ok((ci.to_der().map_err(encode_error)?, signature))
}

/// Signs `content` with `key` (the key of `cert`) as a CMS SignedData, DER.
///
/// # Errors
/// [`Error::Malformed`] (object `signing-key`) when the key is not the certificate's or does not
/// fit the options; `signed-data` when encoding fails.
pub fn sign_cms(
    content: &[u8],
    key: &SigningKey,
    cert: &Certificate,
    opts: &CmsOptions<'_>,
) -> Result<Vec<u8>, Error> {
    let digest = opts.digest.unwrap_or(if key.alg() == KeyAlg::Sm2 {
        DigestAlgorithm::Sm3
    } else {
        DigestAlgorithm::Sha256
    });
    let signed_attrs = if opts.signed_attributes {
        let mut v = Vec::new();
        if let Some(t) = opts.signing_time {
            v.push(attribute(oid::SIGNING_TIME, utc_or_generalized(t)?)?);
        }
        Some(v)
    } else {
        None
    };
    let mut certificates: Vec<&Certificate> = Vec::new();
    if opts.include_signer_certificate {
        certificates.push(cert);
    }
    certificates.extend(opts.certificates);
    let b = Build {
        content_type: if opts.gm_oids {
            oid::GM_DATA
        } else {
            oid::DATA
        },
        content,
        attached: opts.attached,
        signed_attrs,
        unsigned_attrs: Vec::new(),
        digest,
        gm: opts.gm_oids,
        sm2_id: opts.sm2_id,
        pss: opts.rsa_pss,
        certificates,
    };
    let (der, signature) = build(b, key, cert)?;
    match opts.timestamp {
        None => Ok(der),
        Some((tsa, at)) => add_timestamp(
            &der,
            &tsa.stamp(&signature, at, u64::try_from(at).unwrap_or(0))?,
        ),
    }
}

/// The signature value of a SignedData's one SignerInfo (what an RFC 3161 timestamp covers: feed
/// it to `openssl ts -query -data`).
///
/// # Errors
/// As [`crate::signature::SignatureVerifier::verify_cms`] would refuse the SignedData.
pub fn signature_value(signed_data: &[u8]) -> Result<Vec<u8>, Error> {
    super::cms::decode(signed_data, "signed-data", MAX_SIGNED_DATA_BYTES)
        .map(|m| m.signer.signature)
}

/// Adds (or replaces) the id-aa-timeStampToken unsigned attribute of a SignedData's SignerInfo;
/// `token` is a TimeStampToken (a ContentInfo) or a TimeStampResp. Returns the SignedData, DER.
///
/// # Errors
/// [`Error::Malformed`] when either input cannot be decoded.
pub fn add_timestamp(signed_data: &[u8], token: &[u8]) -> Result<Vec<u8>, Error> {
    let malformed = |object: &'static str, e: der::Error| Error::Malformed {
        object,
        detail: e.to_string(),
    };
    let token = match asn1::from_ber::<asn1::TimeStampResp>(token) {
        Ok(resp) => match resp.token {
            Some(t) => t,
            None => {
                return Err(Error::Malformed {
                    object: "timestamp-token",
                    detail: "a TimeStampResp without a token".into(),
                });
            }
        },
        Err(_) => Any::from_ber(token).map_err(|e| malformed("timestamp-token", e))?,
    };
    let mut ci: SignedContentInfo =
        asn1::from_ber(signed_data).map_err(|e| malformed("signed-data", e))?;
    let infos = ci.signed_data.signer_infos.into_vec();
    let mut out = Vec::new();
    for mut info in infos {
        let mut attrs: Vec<Attribute> = info
            .unsigned_attrs
            .take()
            .map(SetOfVec::into_vec)
            .unwrap_or_default()
            .into_iter()
            .filter(|a| a.oid != oid::TIMESTAMP_TOKEN)
            .collect();
        attrs.push(attribute(oid::TIMESTAMP_TOKEN, token.clone())?);
        info.unsigned_attrs = Some(SetOfVec::try_from(attrs).map_err(encode_error)?);
        out.push(info);
    }
    ci.signed_data.signer_infos = SetOfVec::try_from(out).map_err(encode_error)?;
    ci.to_der().map_err(encode_error)
}

/// A minimal RFC 3161 timestamping authority: signs TSTInfo structures at the times it is given.
#[derive(Debug)]
pub struct TimestampAuthority {
    key: SigningKey,
    cert: Certificate,
    policy: ObjectIdentifier,
}

impl TimestampAuthority {
    /// An authority signing with `key` (the key of `cert`) under the policy OID `policy`.
    ///
    /// # Errors
    /// [`Error::Malformed`] (object `signing-key`) when the key is not the certificate's or the
    /// policy is not a dotted OID.
    pub fn new(
        key: SigningKey,
        cert: Certificate,
        policy: &str,
    ) -> Result<TimestampAuthority, Error> {
        if !key.matches(&cert) {
            return Err(key_error("the TSA key is not the key of its certificate"));
        }
        let policy = ObjectIdentifier::new(policy).map_err(|e| key_error(e.to_string()))?;
        Ok(TimestampAuthority { key, cert, policy })
    }

    /// A TimeStampToken (DER) over `signature_value` (SHA-256 imprint, or SM3 for an SM2 TSA) at
    /// `gen_time` with serial number `serial`, carrying the authority's certificate and an ESS
    /// signing-certificate-v2 attribute.
    ///
    /// # Errors
    /// [`Error::Malformed`] when signing or encoding fails.
    pub fn stamp(
        &self,
        signature_value: &[u8],
        gen_time: i64,
        serial: u64,
    ) -> Result<Vec<u8>, Error> {
        let digest = if self.key.alg() == KeyAlg::Sm2 {
            DigestAlgorithm::Sm3
        } else {
            DigestAlgorithm::Sha256
        };
        let when = time::OffsetDateTime::from_unix_timestamp(gen_time)
            .map_err(|e| key_error(e.to_string()))?;
        let text = format!(
            "{:04}{:02}{:02}{:02}{:02}{:02}Z",
            when.year(),
            u8::from(when.month()),
            when.day(),
            when.hour(),
            when.minute(),
            when.second()
        );
        let serial_bytes = {
            let mut b = serial.to_be_bytes().to_vec();
            b.insert(0, 0);
            b
        };
        let tst = asn1::TstInfo {
            version: Int::new(&[1]).map_err(encode_error)?,
            policy: self.policy,
            message_imprint: asn1::MessageImprint {
                hash_algorithm: alg_id(digest.oid(), None)?,
                hashed_message: OctetString::new(digest.digest(signature_value))
                    .map_err(encode_error)?,
            },
            serial_number: Int::new(crate::der_limits::strip_int(&serial_bytes))
                .map_err(encode_error)?,
            gen_time: asn1::GenTime(text.into_bytes()),
            accuracy: None,
            ordering: None,
            nonce: None,
            tsa: None,
            extensions: None,
        };
        let tst_der = tst.to_der().map_err(encode_error)?;
        let ess = asn1::SigningCertificateV2 {
            certs: vec![asn1::EssCertIdV2 {
                hash_algorithm: None,
                cert_hash: OctetString::new(DigestAlgorithm::Sha256.digest(self.cert.der()))
                    .map_err(encode_error)?,
                issuer_serial: None,
            }],
            policies: None,
        };
        let b = Build {
            content_type: oid::TST_INFO,
            content: &tst_der,
            attached: true,
            signed_attrs: Some(vec![
                attribute(oid::SIGNING_CERTIFICATE_V2, any_of(&ess)?)?,
                attribute(oid::SIGNING_TIME, utc_or_generalized(gen_time)?)?,
            ]),
            unsigned_attrs: Vec::new(),
            digest,
            gm: false,
            sm2_id: crate::DEFAULT_SM2_ID,
            pss: false,
            certificates: vec![&self.cert],
        };
        build(b, &self.key, &self.cert).map(|(der, _)| der)
    }
}
