//! Small X.509 toolkit: keys, names, extensions, certificates and CRLs.
//!
//! Structures are built and DER-encoded with RustCrypto `x509-cert`/`der`; the bytes to be signed
//! (TBSCertificate, TBSCertList) are signed by:
//! - OpenSSL (`Signer`, SHA-256) for ECDSA P-256 (`ecdsa-with-SHA256`, no parameters) and RSA-2048
//!   (`sha256WithRSAEncryption`, NULL parameters);
//! - the RustCrypto `sm2` crate for SM2 (`sm2-with-sm3`, OID 1.2.156.10197.1.501, NULL parameters
//!   as in the real NRCAC/SHECA certificates), always with the distinguishing ID [`SM2_ID`].
//!   OpenSSL 3.0 would sign SM2 with an empty ID, which Chinese CAs do not.
//!
//! Key identifiers are RFC 7093 method 1: the leftmost 160 bits of the SHA-256 of the
//! subjectPublicKey bits.

use anyhow::{Context, Result, anyhow};
use der::asn1::{Any, BitString, Ia5String, OctetString, PrintableStringRef, Utf8StringRef};
use der::{DateTime, Decode, DecodePem, Encode, EncodePem, Sequence, oid::ObjectIdentifier};
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use openssl::sign::Signer;
use sha2::{Digest, Sha256};
use sm2::dsa::signature::Signer as _;
use sm2::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
use x509_cert::attr::AttributeTypeAndValue;
use x509_cert::certificate::{Certificate, Version};
use x509_cert::crl::{CertificateList, RevokedCert, TbsCertList};
use x509_cert::ext::pkix::crl::dp::DistributionPoint;
use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName};
use x509_cert::ext::pkix::{
    AuthorityKeyIdentifier, BasicConstraints, CrlDistributionPoints, CrlNumber, CrlReason,
    ExtendedKeyUsage, KeyUsage, KeyUsages, SubjectAltName, SubjectKeyIdentifier,
};
use x509_cert::ext::{Extension, Extensions};
use x509_cert::name::{Name, RdnSequence, RelativeDistinguishedName};
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use x509_cert::time::{Time, Validity};

/// The SM2 distinguishing ID of GM/T 0009 used by Chinese CAs.
pub(crate) const SM2_ID: &str = "1234567812345678";

/// Object identifiers used here, spelled out so the README and the code agree.
pub(crate) mod oid {
    use der::oid::ObjectIdentifier as Oid;

    /// countryName (PrintableString).
    pub(crate) const C: Oid = Oid::new_unwrap("2.5.4.6");
    /// stateOrProvinceName.
    pub(crate) const ST: Oid = Oid::new_unwrap("2.5.4.8");
    /// localityName.
    pub(crate) const L: Oid = Oid::new_unwrap("2.5.4.7");
    /// organizationName.
    pub(crate) const O: Oid = Oid::new_unwrap("2.5.4.10");
    /// commonName.
    pub(crate) const CN: Oid = Oid::new_unwrap("2.5.4.3");
    /// serialNumber (PrintableString).
    pub(crate) const SERIAL_NUMBER: Oid = Oid::new_unwrap("2.5.4.5");
    /// id-kp-serverAuth.
    pub(crate) const SERVER_AUTH: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.3.1");
    /// id-kp-clientAuth.
    pub(crate) const CLIENT_AUTH: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.3.2");
    /// ecdsa-with-SHA256.
    pub(crate) const ECDSA_SHA256: Oid = Oid::new_unwrap("1.2.840.10045.4.3.2");
    /// sha256WithRSAEncryption.
    pub(crate) const RSA_SHA256: Oid = Oid::new_unwrap("1.2.840.113549.1.1.11");
    /// SM2 signature with SM3 (GM/T 0006).
    pub(crate) const SM2_SM3: Oid = Oid::new_unwrap("1.2.156.10197.1.501");
}

/// Key algorithms of the demo PKI.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Alg {
    /// ECDSA on P-256, signatures ecdsa-with-SHA256.
    EcdsaP256,
    /// RSA-2048, signatures sha256WithRSAEncryption (PKCS#1 v1.5).
    Rsa2048,
    /// SM2 (curve 1.2.156.10197.1.301), signatures sm2-with-sm3 with [`SM2_ID`].
    Sm2,
}

/// A private key of one of the [`Alg`]s.
pub(crate) enum Key {
    /// ECDSA or RSA, held by OpenSSL.
    OpenSsl(PKey<Private>),
    /// SM2, held by the RustCrypto `sm2` crate.
    Sm2(sm2::SecretKey),
}

impl Key {
    /// A fresh random key.
    pub(crate) fn generate(alg: Alg) -> Result<Key> {
        Ok(match alg {
            Alg::EcdsaP256 => {
                let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1)?;
                Key::OpenSsl(PKey::from_ec_key(EcKey::generate(&group)?)?)
            }
            Alg::Rsa2048 => Key::OpenSsl(PKey::from_rsa(Rsa::generate(2048)?)?),
            Alg::Sm2 => loop {
                // Rejection sampling: a 32-byte string is a valid scalar unless it is 0 or >= n.
                let mut bytes = [0u8; 32];
                openssl::rand::rand_bytes(&mut bytes)?;
                if let Ok(secret) = sm2::SecretKey::from_slice(&bytes) {
                    break Key::Sm2(secret);
                }
            },
        })
    }

    /// The key as PKCS#8 PEM ("PRIVATE KEY").
    pub(crate) fn pkcs8_pem(&self) -> Result<String> {
        Ok(match self {
            Key::OpenSsl(pkey) => String::from_utf8(pkey.private_key_to_pem_pkcs8()?)?,
            Key::Sm2(secret) => secret
                .to_pkcs8_pem(LineEnding::LF)
                .map_err(|e| anyhow!("SM2 PKCS#8: {e}"))?
                .to_string(),
        })
    }

    /// The public key as a SubjectPublicKeyInfo.
    pub(crate) fn spki(&self) -> Result<SubjectPublicKeyInfoOwned> {
        let der = match self {
            Key::OpenSsl(pkey) => pkey.public_key_to_der()?,
            Key::Sm2(secret) => secret
                .public_key()
                .to_public_key_der()
                .map_err(|e| anyhow!("SM2 SPKI: {e}"))?
                .into_vec(),
        };
        Ok(SubjectPublicKeyInfoOwned::from_der(&der)?)
    }

    /// The signature algorithm this key signs with.
    pub(crate) fn signature_algorithm(&self) -> Result<AlgorithmIdentifierOwned> {
        let (oid, parameters) = match self {
            Key::OpenSsl(pkey) if pkey.rsa().is_ok() => (oid::RSA_SHA256, Some(Any::null())),
            Key::OpenSsl(_) => (oid::ECDSA_SHA256, None),
            Key::Sm2(_) => (oid::SM2_SM3, Some(Any::null())),
        };
        Ok(AlgorithmIdentifierOwned { oid, parameters })
    }

    /// Signs `tbs` (DER) and returns the signature as it goes into the BIT STRING.
    pub(crate) fn sign(&self, tbs: &[u8]) -> Result<Vec<u8>> {
        match self {
            Key::OpenSsl(pkey) => {
                let mut signer = Signer::new(MessageDigest::sha256(), pkey)?;
                signer.update(tbs)?;
                Ok(signer.sign_to_vec()?)
            }
            Key::Sm2(secret) => {
                let key = sm2::dsa::SigningKey::new(SM2_ID, secret)
                    .map_err(|e| anyhow!("SM2 signing key: {e}"))?;
                let signature: sm2::dsa::Signature = key.try_sign(tbs)?;
                Ok(signature.to_der().as_bytes().to_vec())
            }
        }
    }
}

/// A distinguished name from `(attribute, value)` pairs, most general first. countryName and
/// serialNumber are PrintableString, everything else UTF8String.
pub(crate) fn name(attributes: &[(ObjectIdentifier, &str)]) -> Result<Name> {
    let mut rdns = RdnSequence::default();
    for &(oid, value) in attributes {
        let value = if oid == oid::C || oid == oid::SERIAL_NUMBER {
            Any::encode_from(&PrintableStringRef::new(value)?)?
        } else {
            Any::encode_from(&Utf8StringRef::new(value)?)?
        };
        let rdn = RelativeDistinguishedName::try_from(vec![AttributeTypeAndValue { oid, value }])?;
        rdns.push(rdn);
    }
    // `Name` is only built by decoding (its constructor from an RdnSequence is "hazmat").
    Ok(Name::from_der(&rdns.to_der()?)?)
}

/// A UTC date and time (all dates here are before 2050, so they encode as UTCTime).
pub(crate) fn at(year: u16, month: u8, day: u8, hour: u8, minute: u8, second: u8) -> Time {
    let date = DateTime::new(year, month, day, hour, minute, second);
    // The callers pass literal, valid dates.
    Time::from(date.expect("valid literal date"))
}

/// An extension whose value is the DER encoding of `value`.
pub(crate) fn extension(
    extn_id: ObjectIdentifier,
    critical: bool,
    value: &impl Encode,
) -> Result<Extension> {
    Ok(Extension {
        extn_id,
        critical,
        extn_value: OctetString::new(value.to_der()?)?,
    })
}

/// basicConstraints: a CA (critical) with an optional path length, or an end entity (non-critical).
pub(crate) fn basic_constraints(ca: bool, path_len: Option<u8>) -> Result<Extension> {
    let value = BasicConstraints {
        ca,
        path_len_constraint: path_len,
    };
    extension(ObjectIdentifier::new_unwrap("2.5.29.19"), ca, &value)
}

/// keyUsage (critical).
pub(crate) fn key_usage(usages: impl Into<der::flagset::FlagSet<KeyUsages>>) -> Result<Extension> {
    extension(
        ObjectIdentifier::new_unwrap("2.5.29.15"),
        true,
        &KeyUsage(usages.into()),
    )
}

/// extendedKeyUsage (non-critical).
pub(crate) fn extended_key_usage(purposes: &[ObjectIdentifier]) -> Result<Extension> {
    extension(
        ObjectIdentifier::new_unwrap("2.5.29.37"),
        false,
        &ExtendedKeyUsage(purposes.to_vec()),
    )
}

/// subjectAltName (non-critical) with DNS names and IPv4 addresses.
pub(crate) fn subject_alt_name(dns: &[&str], ips: &[[u8; 4]]) -> Result<Extension> {
    let mut names = Vec::new();
    for d in dns {
        names.push(GeneralName::DnsName(Ia5String::new(d)?));
    }
    for ip in ips {
        names.push(GeneralName::IpAddress(OctetString::new(ip.as_slice())?));
    }
    extension(
        ObjectIdentifier::new_unwrap("2.5.29.17"),
        false,
        &SubjectAltName(names),
    )
}

/// cRLDistributionPoints (non-critical) with one URI.
pub(crate) fn crl_distribution_point(uri: &str) -> Result<Extension> {
    let point = DistributionPoint {
        distribution_point: Some(DistributionPointName::FullName(vec![
            GeneralName::UniformResourceIdentifier(Ia5String::new(uri)?),
        ])),
        reasons: None,
        crl_issuer: None,
    };
    extension(
        ObjectIdentifier::new_unwrap("2.5.29.31"),
        false,
        &CrlDistributionPoints(vec![point]),
    )
}

/// A non-critical extension whose value is a DER PrintableString (credit-code extensions).
pub(crate) fn printable_string_extension(oid: &str, value: &str) -> Result<Extension> {
    let oid = ObjectIdentifier::new(oid).map_err(|e| anyhow!("OID {oid}: {e}"))?;
    extension(oid, false, &PrintableStringRef::new(value)?)
}

/// RFC 7093 method 1 key identifier of a public key.
fn key_identifier(spki: &SubjectPublicKeyInfoOwned) -> Vec<u8> {
    Sha256::digest(spki.subject_public_key.raw_bytes())[..20].to_vec()
}

/// A random positive serial number of 16 octets (first octet 0x01..=0x7f).
fn random_serial() -> Result<SerialNumber> {
    let mut bytes = [0u8; 16];
    openssl::rand::rand_bytes(&mut bytes)?;
    bytes[0] = (bytes[0] & 0x7f).max(1);
    Ok(SerialNumber::new(&bytes)?)
}

/// TBSCertificate, version 3, always with extensions.
#[derive(Sequence)]
struct TbsCertificate {
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT")]
    version: Version,
    serial_number: SerialNumber,
    signature: AlgorithmIdentifierOwned,
    issuer: Name,
    validity: Validity,
    subject: Name,
    subject_public_key_info: SubjectPublicKeyInfoOwned,
    #[asn1(context_specific = "3", tag_mode = "EXPLICIT")]
    extensions: Extensions,
}

/// Certificate: the signed TBS bytes, the algorithm and the signature.
#[derive(Sequence)]
struct SignedCertificate {
    tbs_certificate: Any,
    signature_algorithm: AlgorithmIdentifierOwned,
    signature: BitString,
}

/// A certificate together with its private key.
pub(crate) struct Issued {
    /// The certificate's private key.
    pub(crate) key: Key,
    /// The certificate.
    pub(crate) cert: Certificate,
}

impl Issued {
    /// The certificate's subject.
    pub(crate) fn subject(&self) -> &Name {
        self.cert.tbs_certificate().subject()
    }

    /// The certificate's subject key identifier.
    fn key_id(&self) -> Vec<u8> {
        key_identifier(self.cert.tbs_certificate().subject_public_key_info())
    }

    /// The certificate's serial number.
    pub(crate) fn serial(&self) -> &SerialNumber {
        self.cert.tbs_certificate().serial_number()
    }

    /// The certificate as PEM.
    pub(crate) fn cert_pem(&self) -> Result<String> {
        Ok(self.cert.to_pem(LineEnding::LF)?)
    }
}

/// What goes into a certificate besides the key, the issuer, the serial and the key identifiers.
pub(crate) struct Profile {
    /// Subject name.
    pub(crate) subject: Name,
    /// notBefore.
    pub(crate) not_before: Time,
    /// notAfter.
    pub(crate) not_after: Time,
    /// Extensions, after subjectKeyIdentifier and authorityKeyIdentifier.
    pub(crate) extensions: Vec<Extension>,
}

/// Issues a certificate for a new key of `alg`; `issuer` `None` means self-signed.
pub(crate) fn issue(alg: Alg, profile: Profile, issuer: Option<&Issued>) -> Result<Issued> {
    let key = Key::generate(alg)?;
    let spki = key.spki()?;
    let ski = key_identifier(&spki);
    let (issuer_name, issuer_key, aki) = match issuer {
        Some(ca) => (ca.subject().clone(), &ca.key, ca.key_id()),
        None => (profile.subject.clone(), &key, ski.clone()),
    };
    let mut extensions = vec![
        extension(
            ObjectIdentifier::new_unwrap("2.5.29.14"),
            false,
            &SubjectKeyIdentifier(OctetString::new(ski)?),
        )?,
        authority_key_identifier(aki)?,
    ];
    extensions.extend(profile.extensions);
    let signature_algorithm = issuer_key.signature_algorithm()?;
    let tbs = TbsCertificate {
        version: Version::V3,
        serial_number: random_serial()?,
        signature: signature_algorithm.clone(),
        issuer: issuer_name,
        validity: Validity::new(profile.not_before, profile.not_after),
        subject: profile.subject,
        subject_public_key_info: spki,
        extensions,
    }
    .to_der()?;
    let signature = issuer_key.sign(&tbs)?;
    let der = SignedCertificate {
        tbs_certificate: Any::from_der(&tbs)?,
        signature_algorithm,
        signature: BitString::from_bytes(&signature)?,
    }
    .to_der()?;
    let cert = Certificate::from_der(&der).context("re-reading the certificate just built")?;
    Ok(Issued { key, cert })
}

fn authority_key_identifier(key_id: Vec<u8>) -> Result<Extension> {
    let value = AuthorityKeyIdentifier {
        key_identifier: Some(OctetString::new(key_id)?),
        authority_cert_issuer: None,
        authority_cert_serial_number: None,
    };
    extension(ObjectIdentifier::new_unwrap("2.5.29.35"), false, &value)
}

/// One entry of a CRL.
pub(crate) struct Revocation<'a> {
    /// The revoked certificate.
    pub(crate) serial: &'a SerialNumber,
    /// When it was revoked.
    pub(crate) date: Time,
    /// Why.
    pub(crate) reason: CrlReason,
}

/// A v2 CRL signed by `issuer`, with authorityKeyIdentifier and cRLNumber, as PEM.
pub(crate) fn crl(
    issuer: &Issued,
    number: u32,
    this_update: Time,
    next_update: Time,
    revoked: &[Revocation<'_>],
) -> Result<String> {
    let signature_algorithm = issuer.key.signature_algorithm()?;
    let mut entries = Vec::new();
    for r in revoked {
        entries.push(RevokedCert {
            serial_number: r.serial.clone(),
            revocation_date: r.date,
            crl_entry_extensions: Some(vec![extension(
                ObjectIdentifier::new_unwrap("2.5.29.21"),
                false,
                &r.reason,
            )?]),
        });
    }
    let tbs_cert_list = TbsCertList {
        version: Version::V2,
        signature: signature_algorithm.clone(),
        issuer: issuer.subject().clone(),
        this_update,
        next_update: Some(next_update),
        // An empty list is encoded by leaving the field out.
        revoked_certificates: (!entries.is_empty()).then_some(entries),
        crl_extensions: Some(vec![
            authority_key_identifier(issuer.key_id())?,
            extension(
                ObjectIdentifier::new_unwrap("2.5.29.20"),
                false,
                &CrlNumber(der::asn1::Uint::new(&number.to_be_bytes())?),
            )?,
        ]),
    };
    let signature = issuer.key.sign(&tbs_cert_list.to_der()?)?;
    let crl = CertificateList {
        tbs_cert_list,
        signature_algorithm,
        signature: BitString::from_bytes(&signature)?,
    };
    let pem = crl.to_pem(LineEnding::LF)?;
    // Check the encoding reads back to the same structure.
    let again = CertificateList::<x509_cert::certificate::Rfc5280>::from_pem(pem.as_bytes())?;
    anyhow::ensure!(again == crl, "CRL does not round-trip");
    Ok(pem)
}
