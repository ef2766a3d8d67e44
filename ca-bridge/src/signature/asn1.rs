//! The ASN.1 structures of CMS SignedData (RFC 5652) and RFC 3161 timestamps that this crate
//! reads and writes, declared once with RustCrypto `der`.
//!
//! Why this module exists: the structures are small and fixed, and declaring them here (rather than
//! taking the `cms` crate, whose current line is a release candidate) keeps what matters under our
//! control: certificates are kept as raw DER (they are decoded by [`crate::Certificate`], with its
//! limits), signed attributes keep their received order (the signature covers their exact DER),
//! and everything is decoded with `der`'s BER rules, so the indefinite lengths and constructed
//! OCTET STRINGs that streaming producers (`openssl cms -sign -stream`, Java, Windows) write are
//! accepted. `der` bounds nesting depth; sizes and element counts are bounded by the callers
//! ([`crate::der_limits`]).

use der::asn1::{Any, Int, ObjectIdentifier, OctetString, SetOfVec};
use der::{Choice, Decode, Encode, Sequence, ValueOrd};

/// Object identifiers used by the signature and receipt modules.
pub(crate) mod oid {
    use der::asn1::ObjectIdentifier as O;

    /// id-data (RFC 5652).
    pub(crate) const DATA: O = O::new_unwrap("1.2.840.113549.1.7.1");
    /// id-signedData (RFC 5652).
    pub(crate) const SIGNED_DATA: O = O::new_unwrap("1.2.840.113549.1.7.2");
    /// data, GM/T 0010.
    pub(crate) const GM_DATA: O = O::new_unwrap("1.2.156.10197.6.1.4.2.1");
    /// signedData, GM/T 0010.
    pub(crate) const GM_SIGNED_DATA: O = O::new_unwrap("1.2.156.10197.6.1.4.2.2");
    /// id-ct-TSTInfo (RFC 3161).
    pub(crate) const TST_INFO: O = O::new_unwrap("1.2.840.113549.1.9.16.1.4");
    /// id-contentType attribute.
    pub(crate) const CONTENT_TYPE: O = O::new_unwrap("1.2.840.113549.1.9.3");
    /// id-messageDigest attribute.
    pub(crate) const MESSAGE_DIGEST: O = O::new_unwrap("1.2.840.113549.1.9.4");
    /// id-signingTime attribute.
    pub(crate) const SIGNING_TIME: O = O::new_unwrap("1.2.840.113549.1.9.5");
    /// id-aa-timeStampToken unsigned attribute (RFC 3161 appendix A).
    pub(crate) const TIMESTAMP_TOKEN: O = O::new_unwrap("1.2.840.113549.1.9.16.2.14");
    /// id-aa-signingCertificate (ESS, RFC 2634; SHA-1 certificate hashes).
    pub(crate) const SIGNING_CERTIFICATE: O = O::new_unwrap("1.2.840.113549.1.9.16.2.12");
    /// id-aa-signingCertificateV2 (RFC 5035).
    pub(crate) const SIGNING_CERTIFICATE_V2: O = O::new_unwrap("1.2.840.113549.1.9.16.2.47");
}

/// AlgorithmIdentifier.
#[derive(Clone, Debug, Eq, PartialEq, Sequence, ValueOrd)]
pub(crate) struct AlgId {
    pub(crate) oid: ObjectIdentifier,
    pub(crate) params: Option<Any>,
}

/// ContentInfo whose content is SignedData (`content_type` is checked by the caller).
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub(crate) struct SignedContentInfo {
    pub(crate) content_type: ObjectIdentifier,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT")]
    pub(crate) signed_data: SignedData,
}

/// ContentInfo with any content: only to name the content type of something that is not
/// SignedData in an error message.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub(crate) struct AnyContentInfo {
    pub(crate) content_type: ObjectIdentifier,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    pub(crate) content: Option<Any>,
}

/// SignedData (RFC 5652 5.1). Certificates and CRLs are kept undecoded.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub(crate) struct SignedData {
    pub(crate) version: Int,
    pub(crate) digest_algorithms: SetOfVec<AlgId>,
    pub(crate) encap_content_info: EncapsulatedContentInfo,
    #[asn1(
        context_specific = "0",
        tag_mode = "IMPLICIT",
        constructed = "true",
        optional = "true"
    )]
    pub(crate) certificates: Option<SetOfVec<Any>>,
    #[asn1(
        context_specific = "1",
        tag_mode = "IMPLICIT",
        constructed = "true",
        optional = "true"
    )]
    pub(crate) crls: Option<SetOfVec<Any>>,
    pub(crate) signer_infos: SetOfVec<SignerInfo>,
}

/// EncapsulatedContentInfo (RFC 5652 5.2); absent `econtent` means detached.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub(crate) struct EncapsulatedContentInfo {
    pub(crate) econtent_type: ObjectIdentifier,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    pub(crate) econtent: Option<OctetString>,
}

/// IssuerAndSerialNumber; the issuer Name is kept as raw DER.
#[derive(Clone, Debug, Eq, PartialEq, Sequence, ValueOrd)]
pub(crate) struct IssuerAndSerialNumber {
    pub(crate) issuer: Any,
    pub(crate) serial_number: Int,
}

/// SignerIdentifier (RFC 5652 5.3).
#[derive(Clone, Debug, Eq, PartialEq, Choice)]
pub(crate) enum SignerIdentifier {
    IssuerAndSerialNumber(IssuerAndSerialNumber),
    #[asn1(context_specific = "0", tag_mode = "IMPLICIT")]
    SubjectKeyIdentifier(OctetString),
}

impl der::ValueOrd for SignerIdentifier {
    fn value_cmp(&self, other: &Self) -> der::Result<core::cmp::Ordering> {
        use der::DerOrd as _;
        self.to_der()?.der_cmp(&other.to_der()?)
    }
}

/// Attribute (RFC 5652 5.3).
#[derive(Clone, Debug, Eq, PartialEq, Sequence, ValueOrd)]
pub(crate) struct Attribute {
    pub(crate) oid: ObjectIdentifier,
    pub(crate) values: SetOfVec<Any>,
}

/// SignerInfo (RFC 5652 5.3).
#[derive(Clone, Debug, Eq, PartialEq, Sequence, ValueOrd)]
pub(crate) struct SignerInfo {
    pub(crate) version: Int,
    pub(crate) sid: SignerIdentifier,
    pub(crate) digest_alg: AlgId,
    #[asn1(
        context_specific = "0",
        tag_mode = "IMPLICIT",
        constructed = "true",
        optional = "true"
    )]
    pub(crate) signed_attrs: Option<SetOfVec<Attribute>>,
    pub(crate) signature_alg: AlgId,
    pub(crate) signature: OctetString,
    #[asn1(
        context_specific = "1",
        tag_mode = "IMPLICIT",
        constructed = "true",
        optional = "true"
    )]
    pub(crate) unsigned_attrs: Option<SetOfVec<Attribute>>,
}

/// MessageImprint (RFC 3161 2.4.1).
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub(crate) struct MessageImprint {
    pub(crate) hash_algorithm: AlgId,
    pub(crate) hashed_message: OctetString,
}

/// Accuracy (RFC 3161 2.4.2).
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub(crate) struct Accuracy {
    pub(crate) seconds: Option<Int>,
    #[asn1(context_specific = "0", tag_mode = "IMPLICIT", optional = "true")]
    pub(crate) millis: Option<Int>,
    #[asn1(context_specific = "1", tag_mode = "IMPLICIT", optional = "true")]
    pub(crate) micros: Option<Int>,
}

/// TSTInfo (RFC 3161 2.4.2). `gen_time` is kept raw: RFC 3161 allows fractional seconds, which
/// `der`'s GeneralizedTime refuses; [`super::timestamp`] reads it.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub(crate) struct TstInfo {
    pub(crate) version: Int,
    pub(crate) policy: ObjectIdentifier,
    pub(crate) message_imprint: MessageImprint,
    pub(crate) serial_number: Int,
    pub(crate) gen_time: GenTime,
    pub(crate) accuracy: Option<Accuracy>,
    pub(crate) ordering: Option<bool>,
    pub(crate) nonce: Option<Int>,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    pub(crate) tsa: Option<Any>,
    #[asn1(
        context_specific = "1",
        tag_mode = "IMPLICIT",
        constructed = "true",
        optional = "true"
    )]
    pub(crate) extensions: Option<Vec<Any>>,
}

/// A GeneralizedTime's text, undecoded.
#[derive(Clone, Debug, Eq, PartialEq)]
pub(crate) struct GenTime(pub(crate) Vec<u8>);

impl der::FixedTag for GenTime {
    const TAG: der::Tag = der::Tag::GeneralizedTime;
}

impl<'a> der::DecodeValue<'a> for GenTime {
    type Error = der::Error;

    fn decode_value<R: der::Reader<'a>>(reader: &mut R, header: der::Header) -> der::Result<Self> {
        let len = usize::try_from(header.length())?;
        if len > 32 {
            return Err(der::ErrorKind::Length {
                tag: der::Tag::GeneralizedTime,
            }
            .into());
        }
        let mut buf = vec![0u8; len];
        reader.read_into(&mut buf)?;
        Ok(GenTime(buf))
    }
}

impl der::EncodeValue for GenTime {
    fn value_len(&self) -> der::Result<der::Length> {
        der::Length::try_from(self.0.len())
    }

    fn encode_value(&self, writer: &mut impl der::Writer) -> der::Result<()> {
        writer.write(&self.0)
    }
}

/// PKIStatusInfo (RFC 3161 2.4.2), the status of a TimeStampResp.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub(crate) struct PkiStatusInfo {
    pub(crate) status: Int,
    pub(crate) status_string: Option<Vec<Any>>,
    pub(crate) fail_info: Option<der::asn1::BitString>,
}

/// TimeStampResp (RFC 3161 2.4.2): what `openssl ts -reply` writes. The token is a ContentInfo.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub(crate) struct TimeStampResp {
    pub(crate) status: PkiStatusInfo,
    pub(crate) token: Option<Any>,
}

/// ESSCertIDv2 (RFC 5035); the hash algorithm defaults to SHA-256.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub(crate) struct EssCertIdV2 {
    pub(crate) hash_algorithm: Option<AlgId>,
    pub(crate) cert_hash: OctetString,
    pub(crate) issuer_serial: Option<Any>,
}

/// SigningCertificateV2 (RFC 5035).
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub(crate) struct SigningCertificateV2 {
    pub(crate) certs: Vec<EssCertIdV2>,
    pub(crate) policies: Option<Any>,
}

/// ESSCertID (RFC 2634): a SHA-1 hash of the certificate.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub(crate) struct EssCertId {
    pub(crate) cert_hash: OctetString,
    pub(crate) issuer_serial: Option<Any>,
}

/// SigningCertificate (RFC 2634).
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub(crate) struct SigningCertificate {
    pub(crate) certs: Vec<EssCertId>,
    pub(crate) policies: Option<Any>,
}

/// Decodes `T` from `bytes` with BER rules (a superset of DER), refusing trailing data.
pub(crate) fn from_ber<'a, T: Decode<'a, Error = der::Error>>(bytes: &'a [u8]) -> der::Result<T> {
    T::from_ber(bytes)
}

/// An OID from the dotted string form used elsewhere in the crate (for comparisons only).
pub(crate) fn oid_str(oid: &ObjectIdentifier) -> String {
    oid.to_string()
}

/// The DER of an element, as an `Any` holds it (tag, length, value).
pub(crate) fn any_der(any: &Any) -> der::Result<Vec<u8>> {
    any.to_der()
}

/// A DER INTEGER's content bytes, minimal (for comparing serial numbers).
pub(crate) fn int_bytes(int: &Int) -> &[u8] {
    crate::der_limits::strip_int(int.as_bytes())
}
