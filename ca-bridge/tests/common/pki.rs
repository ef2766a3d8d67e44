//! Test PKI generation with the openssl crate: EC P-256 or RSA keys, CA and end-entity certificates.
#![allow(dead_code, unreachable_pub, missing_docs)]

use openssl::asn1::{Asn1Integer, Asn1Object, Asn1OctetString, Asn1Time};
use openssl::bn::BigNum;
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use openssl::x509::extension::{BasicConstraints, KeyUsage};
use openssl::x509::{X509, X509Builder, X509Extension, X509Name, X509NameBuilder, X509NameRef};

pub struct Issued {
    pub cert: X509,
    pub key: PKey<Private>,
}

impl Issued {
    pub fn der(&self) -> Vec<u8> {
        self.cert.to_der().expect("DER")
    }
}

pub fn ec_key() -> PKey<Private> {
    let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).expect("P-256");
    PKey::from_ec_key(EcKey::generate(&group).expect("key")).expect("pkey")
}

pub fn ec384_key() -> PKey<Private> {
    let group = EcGroup::from_curve_name(Nid::SECP384R1).expect("P-384");
    PKey::from_ec_key(EcKey::generate(&group).expect("key")).expect("pkey")
}

pub fn rsa_key(bits: u32) -> PKey<Private> {
    PKey::from_rsa(Rsa::generate(bits).expect("rsa")).expect("pkey")
}

pub fn name(cn: &str) -> X509Name {
    let mut b = X509NameBuilder::new().expect("name");
    b.append_entry_by_text("C", "CN").expect("C");
    b.append_entry_by_text("O", "ca-bridge tests").expect("O");
    b.append_entry_by_text("CN", cn).expect("CN");
    b.build()
}

/// Validity window used by generated certificates (Unix seconds).
pub const NOT_BEFORE: i64 = 1_735_689_600; // 2025-01-01
pub const NOT_AFTER: i64 = 2_051_222_400; // 2035-01-01
/// A time inside the window.
pub const AT: i64 = 1_796_000_000; // 2026-11-30T00:53:20Z

pub struct Spec<'a> {
    pub subject: &'a str,
    pub ca: bool,
    pub path_len: Option<u32>,
    pub key_usage: Option<KeyUsage>,
    pub not_before: i64,
    pub not_after: i64,
    pub serial: u32,
    pub extra: Vec<X509Extension>,
    pub digest: MessageDigest,
}

impl<'a> Spec<'a> {
    pub fn ca(subject: &'a str) -> Spec<'a> {
        let mut ku = KeyUsage::new();
        ku.critical().key_cert_sign().crl_sign();
        Spec {
            subject,
            ca: true,
            path_len: None,
            key_usage: Some(ku),
            not_before: NOT_BEFORE,
            not_after: NOT_AFTER,
            serial: 1,
            extra: Vec::new(),
            digest: MessageDigest::sha256(),
        }
    }

    pub fn leaf(subject: &'a str) -> Spec<'a> {
        let mut ku = KeyUsage::new();
        ku.critical().digital_signature().non_repudiation();
        Spec {
            ca: false,
            key_usage: Some(ku),
            ..Spec::ca(subject)
        }
    }
}

/// Issues a certificate for `key` from `issuer` (None: self-signed).
pub fn issue(
    spec: Spec<'_>,
    key: PKey<Private>,
    issuer: Option<(&X509NameRef, &PKey<Private>)>,
) -> Issued {
    let mut b = X509Builder::new().expect("builder");
    b.set_version(2).expect("v3");
    let serial = Asn1Integer::from_bn(&BigNum::from_u32(spec.serial).expect("bn")).expect("serial");
    b.set_serial_number(&serial).expect("serial");
    let subject = name(spec.subject);
    b.set_subject_name(&subject).expect("subject");
    let (issuer_name, signer): (&X509NameRef, PKey<Private>) = match issuer {
        Some((n, k)) => (n, k.clone()),
        None => (&subject, key.clone()),
    };
    b.set_issuer_name(issuer_name).expect("issuer");
    b.set_not_before(&Asn1Time::from_unix(spec.not_before).expect("time"))
        .expect("nb");
    b.set_not_after(&Asn1Time::from_unix(spec.not_after).expect("time"))
        .expect("na");
    b.set_pubkey(&key).expect("key");
    let mut bc = BasicConstraints::new();
    bc.critical();
    if spec.ca {
        bc.ca();
    }
    if let Some(l) = spec.path_len {
        bc.pathlen(l);
    }
    b.append_extension(bc.build().expect("bc")).expect("bc");
    if let Some(ku) = spec.key_usage {
        b.append_extension(ku.build().expect("ku")).expect("ku");
    }
    for e in spec.extra {
        b.append_extension(e).expect("extra");
    }
    b.sign(&signer, spec.digest).expect("sign");
    Issued {
        cert: b.build(),
        key,
    }
}

/// An arbitrary extension with the given OID and DER value.
pub fn raw_extension(oid: &str, critical: bool, value: &[u8]) -> X509Extension {
    let obj = Asn1Object::from_str(oid).expect("oid");
    let octets = Asn1OctetString::new_from_bytes(value).expect("octets");
    X509Extension::new_from_der(&obj, critical, &octets).expect("extension")
}

pub fn subject_of(i: &Issued) -> &openssl::x509::X509NameRef {
    i.cert.subject_name()
}

/// A root, `n` intermediates below it, and a leaf: returns (root, intermediates top-down, leaf).
pub fn chain(n: usize, key: fn() -> PKey<Private>) -> (Issued, Vec<Issued>, Issued) {
    let root = issue(Spec::ca("Root"), key(), None);
    let mut inters: Vec<Issued> = Vec::new();
    for i in 0..n {
        let subject = format!("CA {i}");
        let parent = inters.last().unwrap_or(&root);
        let pname = parent.cert.subject_name();
        let c = issue(
            Spec {
                serial: 100 + i as u32,
                ..Spec::ca(&subject)
            },
            key(),
            Some((pname, &parent.key)),
        );
        inters.push(c);
    }
    let parent = inters.last().unwrap_or(&root);
    let leaf = issue(
        Spec::leaf("Leaf"),
        key(),
        Some((parent.cert.subject_name(), &parent.key)),
    );
    (root, inters, leaf)
}
