//! Decoding a CMS SignedData (RFC 5652, with the PKCS#7 and GM/T 0010 object identifiers) into
//! the owned model the verifier works on.
//!
//! Why this module exists: everything attacker-controlled about a SignedData is decided here, once,
//! within the limits of [`crate::der_limits`]: the content type, the attached content, the
//! certificates (decoded by [`Certificate::from_der`], candidates only), the one SignerInfo with its
//! signed attributes (content type, message digest, signing time, ESS signing certificate) kept as
//! the exact DER their signature covers, and an embedded timestamp token. The verifier then never
//! touches ASN.1.

use der::asn1::{Any, ObjectIdentifier};
use der::{Encode as _, Tagged as _};

use super::asn1::{self, Attribute, SignedContentInfo, SignerIdentifier, oid};
use crate::der_limits::{MAX_ATTRIBUTES, MAX_SIGNED_DATA_BYTES, MAX_SIGNED_DATA_CERTS};
use crate::parse::Certificate;
use crate::{Error, Name};

/// How the SignedData names its content types.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Oids {
    /// PKCS#7 / RFC 5652 (1.2.840.113549.1.7.x).
    Pkcs7,
    /// GM/T 0010 (1.2.156.10197.6.1.4.2.x).
    GmT0010,
}

impl Oids {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Oids::Pkcs7 => "pkcs7",
            Oids::GmT0010 => "gm-t-0010",
        }
    }
}

/// A decoded SignedData with exactly one signer.
#[derive(Clone, Debug)]
pub(crate) struct SignedMessage {
    pub(crate) oids: Oids,
    /// eContentType, dotted.
    pub(crate) econtent_type: String,
    /// The attached content (eContent's octets), `None` when detached.
    pub(crate) content: Option<Vec<u8>>,
    /// The certificates carried (candidates only), in order.
    pub(crate) certificates: Vec<Certificate>,
    pub(crate) signer: Signer,
}

/// How a SignerInfo names its certificate.
#[derive(Clone, Debug)]
pub(crate) enum Sid {
    IssuerSerial { issuer: Name, serial: Vec<u8> },
    Ski(Vec<u8>),
}

impl Sid {
    pub(crate) fn matches(&self, c: &Certificate) -> bool {
        match self {
            Sid::IssuerSerial { issuer, serial } => {
                c.issuer.key == issuer.key && c.serial == *serial
            }
            Sid::Ski(ski) => c.ext.ski.as_deref() == Some(ski.as_slice()),
        }
    }

    pub(crate) fn describe(&self) -> String {
        match self {
            Sid::IssuerSerial { issuer, serial } => {
                format!("issuer={} serial={}", issuer.display(), hex::encode(serial))
            }
            Sid::Ski(s) => format!("ski={}", hex::encode(s)),
        }
    }
}

/// One SignerInfo, decoded.
#[derive(Clone, Debug)]
pub(crate) struct Signer {
    pub(crate) sid: Sid,
    pub(crate) digest_alg_oid: String,
    pub(crate) signed_attrs: Option<SignedAttrs>,
    pub(crate) sig_alg_oid: String,
    /// The signature AlgorithmIdentifier's parameters as a complete TLV (for RSASSA-PSS).
    pub(crate) sig_alg_params: Option<Vec<u8>>,
    pub(crate) signature: Vec<u8>,
    /// The first id-aa-timeStampToken unsigned attribute's value (a ContentInfo), DER.
    pub(crate) timestamp_token: Option<Vec<u8>>,
}

/// ESS certificate identifiers (RFC 2634 / RFC 5035): (digest algorithm OID, certificate hash).
pub(crate) type EssIds = Vec<(String, Vec<u8>)>;

/// The signed attributes this verifier reads, and the exact DER (a SET OF) their signature covers.
#[derive(Clone, Debug)]
pub(crate) struct SignedAttrs {
    pub(crate) der: Vec<u8>,
    pub(crate) content_type: Option<String>,
    pub(crate) message_digest: Option<Vec<u8>>,
    pub(crate) signing_time: Option<i64>,
    pub(crate) ess_cert_ids: Option<EssIds>,
}

fn malformed(object: &'static str, detail: impl Into<String>) -> Error {
    Error::Malformed {
        object,
        detail: detail.into(),
    }
}

/// Decodes a ContentInfo holding a SignedData (`object` names it in errors: `signed-data` or
/// `timestamp-token`), with at most `max_bytes` of input.
pub(crate) fn decode(
    bytes: &[u8],
    object: &'static str,
    max_bytes: usize,
) -> Result<SignedMessage, Error> {
    if bytes.len() > max_bytes.min(MAX_SIGNED_DATA_BYTES) {
        return Err(malformed(
            object,
            format!("{} bytes (limit {})", bytes.len(), max_bytes),
        ));
    }
    if bytes.is_empty() {
        return Err(malformed(object, "empty input"));
    }
    let ci: SignedContentInfo = match asn1::from_ber(bytes) {
        Ok(ci) => ci,
        Err(e) => {
            // Name the content type when the input is a ContentInfo of another kind.
            if let Ok(other) = asn1::from_ber::<asn1::AnyContentInfo>(bytes)
                && other.content_type != oid::SIGNED_DATA
                && other.content_type != oid::GM_SIGNED_DATA
            {
                return Err(malformed(
                    object,
                    format!(
                        "content type {} is not signedData",
                        asn1::oid_str(&other.content_type)
                    ),
                ));
            }
            return Err(malformed(object, format!("not a CMS SignedData: {e}")));
        }
    };
    let oids = if ci.content_type == oid::SIGNED_DATA {
        Oids::Pkcs7
    } else if ci.content_type == oid::GM_SIGNED_DATA {
        Oids::GmT0010
    } else {
        return Err(malformed(
            object,
            format!(
                "content type {} is not signedData",
                asn1::oid_str(&ci.content_type)
            ),
        ));
    };
    let sd = ci.signed_data;
    let econtent_type = asn1::oid_str(&sd.encap_content_info.econtent_type);
    let content = sd
        .encap_content_info
        .econtent
        .map(|o| o.as_bytes().to_vec());
    let mut certificates = Vec::new();
    if let Some(set) = &sd.certificates {
        if set.len() > MAX_SIGNED_DATA_CERTS {
            return Err(malformed(
                object,
                format!("{} certificates (limit {MAX_SIGNED_DATA_CERTS})", set.len()),
            ));
        }
        for (i, any) in set.iter().enumerate() {
            // CertificateChoices: only X.509 certificates (a SEQUENCE) are used; the
            // attribute-certificate and other choices are context-tagged and skipped.
            if any.tag() != der::Tag::Sequence {
                continue;
            }
            let der = asn1::any_der(any).map_err(|e| malformed(object, e.to_string()))?;
            let cert = Certificate::from_der(&der)
                .map_err(|e| malformed(object, format!("certificate {i}: {e}")))?;
            certificates.push(cert);
        }
    }
    if sd
        .crls
        .as_ref()
        .is_some_and(|c| c.len() > MAX_SIGNED_DATA_CERTS)
    {
        return Err(malformed(
            object,
            format!("more than {MAX_SIGNED_DATA_CERTS} CRLs"),
        ));
    }
    let infos = sd.signer_infos.into_vec();
    let info = match infos.len() {
        0 => return Err(malformed(object, "no SignerInfo")),
        1 => infos.into_iter().next(),
        n => {
            return Err(Error::UnsupportedSignature {
                detail: format!("{n} signers (this verifier takes exactly one)"),
            });
        }
    };
    let Some(info) = info else {
        return Err(malformed(object, "no SignerInfo"));
    };
    let sid = match info.sid {
        SignerIdentifier::IssuerAndSerialNumber(isn) => {
            let der = asn1::any_der(&isn.issuer).map_err(|e| malformed(object, e.to_string()))?;
            let (_, name) = <x509_parser::x509::X509Name<'_> as x509_parser::prelude::FromDer<
                '_,
                x509_parser::error::X509Error,
            >>::from_der(&der)
            .map_err(|e| malformed(object, format!("signer issuer name: {e}")))?;
            Sid::IssuerSerial {
                issuer: Name::from_x509(&name),
                serial: asn1::int_bytes(&isn.serial_number).to_vec(),
            }
        }
        SignerIdentifier::SubjectKeyIdentifier(ski) => Sid::Ski(ski.as_bytes().to_vec()),
    };
    let signed_attrs = match &info.signed_attrs {
        None => None,
        Some(set) => Some(signed_attributes(set, object)?),
    };
    let mut timestamp_token = None;
    if let Some(set) = &info.unsigned_attrs {
        if set.len() > MAX_ATTRIBUTES {
            return Err(malformed(object, "too many unsigned attributes"));
        }
        for a in set.iter() {
            if a.oid == oid::TIMESTAMP_TOKEN && timestamp_token.is_none() {
                let v = a
                    .values
                    .iter()
                    .next()
                    .ok_or_else(|| malformed(object, "empty timeStampToken attribute"))?;
                timestamp_token =
                    Some(asn1::any_der(v).map_err(|e| malformed(object, e.to_string()))?);
            }
        }
    }
    let sig_alg_params = match &info.signature_alg.params {
        Some(p) => Some(asn1::any_der(p).map_err(|e| malformed(object, e.to_string()))?),
        None => None,
    };
    Ok(SignedMessage {
        oids,
        econtent_type,
        content,
        certificates,
        signer: Signer {
            sid,
            digest_alg_oid: asn1::oid_str(&info.digest_alg.oid),
            signed_attrs,
            sig_alg_oid: asn1::oid_str(&info.signature_alg.oid),
            sig_alg_params,
            signature: info.signature.as_bytes().to_vec(),
            timestamp_token,
        },
    })
}

/// The single value of an attribute that must have exactly one (RFC 5652 11).
fn single<'a>(a: &'a Attribute, object: &'static str, name: &str) -> Result<&'a Any, Error> {
    let mut it = a.values.iter();
    match (it.next(), it.next()) {
        (Some(v), None) => Ok(v),
        _ => Err(malformed(
            object,
            format!("the {name} attribute must have exactly one value"),
        )),
    }
}

fn signed_attributes(
    set: &der::asn1::SetOfVec<Attribute>,
    object: &'static str,
) -> Result<SignedAttrs, Error> {
    if set.is_empty() || set.len() > MAX_ATTRIBUTES {
        return Err(malformed(
            object,
            format!("{} signed attributes (1 to {MAX_ATTRIBUTES})", set.len()),
        ));
    }
    // The signature covers the DER of the SET OF with its universal tag (RFC 5652 5.4); the set
    // was decoded without re-sorting, so this is the received order.
    let der = set
        .to_der()
        .map_err(|e| malformed(object, format!("signed attributes: {e}")))?;
    let mut out = SignedAttrs {
        der,
        content_type: None,
        message_digest: None,
        signing_time: None,
        ess_cert_ids: None,
    };
    let mut seen: Vec<&ObjectIdentifier> = Vec::new();
    for a in set.iter() {
        if seen.contains(&&a.oid) {
            return Err(malformed(
                object,
                format!("signed attribute {} appears twice", asn1::oid_str(&a.oid)),
            ));
        }
        seen.push(&a.oid);
        if a.values.len() > MAX_ATTRIBUTES {
            return Err(malformed(object, "too many attribute values"));
        }
        let bad = |what: &str, e: der::Error| malformed(object, format!("{what}: {e}"));
        if a.oid == oid::CONTENT_TYPE {
            let v = single(a, object, "content-type")?;
            let o: ObjectIdentifier = v.decode_as().map_err(|e| bad("content-type", e))?;
            out.content_type = Some(asn1::oid_str(&o));
        } else if a.oid == oid::MESSAGE_DIGEST {
            let v = single(a, object, "message-digest")?;
            let o: der::asn1::OctetString = v.decode_as().map_err(|e| bad("message-digest", e))?;
            out.message_digest = Some(o.as_bytes().to_vec());
        } else if a.oid == oid::SIGNING_TIME {
            let v = single(a, object, "signing-time")?;
            let secs = match v.tag() {
                der::Tag::UtcTime => v
                    .decode_as::<der::asn1::UtcTime>()
                    .map(|t| t.to_unix_duration().as_secs()),
                _ => v
                    .decode_as::<der::asn1::GeneralizedTime>()
                    .map(|t| t.to_unix_duration().as_secs()),
            }
            .map_err(|e| bad("signing-time", e))?;
            out.signing_time = i64::try_from(secs).ok();
        } else if a.oid == oid::SIGNING_CERTIFICATE_V2 {
            let v = single(a, object, "signing-certificate-v2")?;
            let sc: asn1::SigningCertificateV2 = v
                .decode_as()
                .map_err(|e| bad("signing-certificate-v2", e))?;
            if sc.certs.len() > MAX_ATTRIBUTES {
                return Err(malformed(object, "too many ESS certificate identifiers"));
            }
            out.ess_cert_ids = Some(
                sc.certs
                    .iter()
                    .map(|c| {
                        (
                            c.hash_algorithm.as_ref().map_or_else(
                                || super::DigestAlgorithm::Sha256.oid().to_owned(),
                                |a| asn1::oid_str(&a.oid),
                            ),
                            c.cert_hash.as_bytes().to_vec(),
                        )
                    })
                    .collect(),
            );
        } else if a.oid == oid::SIGNING_CERTIFICATE && out.ess_cert_ids.is_none() {
            let v = single(a, object, "signing-certificate")?;
            let sc: asn1::SigningCertificate =
                v.decode_as().map_err(|e| bad("signing-certificate", e))?;
            if sc.certs.len() > MAX_ATTRIBUTES {
                return Err(malformed(object, "too many ESS certificate identifiers"));
            }
            out.ess_cert_ids = Some(
                sc.certs
                    .iter()
                    .map(|c| ("1.3.14.3.2.26".to_owned(), c.cert_hash.as_bytes().to_vec()))
                    .collect(),
            );
        }
    }
    Ok(out)
}
