//! Decoding certificates and CRLs into owned, validated models.
//!
//! Why this module exists: x509-parser gives borrowed views full of `Option`s and lifetimes; the
//! path builder wants owned values it can index, hash and compare cheaply. Decoding happens once,
//! here, with the input limits of [`crate::der_limits`] enforced; later stages never touch raw DER
//! except to verify signatures over the TBS bytes kept here.

use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::{ParsedExtension, X509Extension};
use x509_parser::prelude::FromDer;
use x509_parser::revocation_list::CertificateRevocationList;
use x509_parser::x509::{AlgorithmIdentifier, SubjectPublicKeyInfo};

use crate::Error;
use crate::algorithms::{KeyInfo, SigAlg, VerifyKey};
use crate::der_limits::{
    MAX_CERT_BYTES, MAX_CRL_BYTES, MAX_EXTENSIONS, MAX_NAMES, expect, read_tlv, strip_int,
};
use crate::name::{Attr, GName, Name, rdn_attrs};

/// All CRL reasons (bits 1..=8 of ReasonFlags).
pub(crate) const ALL_REASONS: u16 = 0x1fe;

/// A distribution point name (RFC 5280 4.2.1.13).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum DpName {
    Full(Vec<GName>),
    Relative(Vec<Attr>),
}

/// One CRL distribution point of a certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct DistPoint {
    pub(crate) name: Option<DpName>,
    /// ReasonFlags bits, `None` for all reasons.
    pub(crate) reasons: Option<u16>,
    pub(crate) crl_issuer: Option<Vec<GName>>,
}

/// The name constraints extension, owned.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct NameConstraints {
    pub(crate) permitted: Vec<GName>,
    pub(crate) excluded: Vec<GName>,
}

/// The extensions this validator processes, decoded.
#[derive(Clone, Debug, Default)]
pub(crate) struct Extensions {
    pub(crate) basic_constraints: Option<(bool, Option<u32>)>,
    pub(crate) key_usage: Option<u16>,
    pub(crate) eku: Option<Vec<String>>,
    /// Whether extendedKeyUsage is marked critical (RFC 3161 requires it of TSA certificates).
    pub(crate) eku_critical: bool,
    pub(crate) policies: Option<Vec<String>>,
    pub(crate) policy_mappings: Option<Vec<(String, String)>>,
    pub(crate) require_explicit_policy: Option<u32>,
    pub(crate) inhibit_policy_mapping: Option<u32>,
    pub(crate) policy_constraints_present: bool,
    pub(crate) inhibit_any_policy: Option<u32>,
    pub(crate) name_constraints: Option<NameConstraints>,
    pub(crate) san: Vec<GName>,
    pub(crate) crl_dps: Option<Vec<DistPoint>>,
    pub(crate) ski: Option<Vec<u8>>,
    pub(crate) aki: Option<Vec<u8>>,
    /// Critical extensions this validator does not process.
    pub(crate) unknown_critical: Vec<String>,
    /// Other extensions, for `inspect`: (oid, critical, value hex).
    pub(crate) others: Vec<(String, bool, Vec<u8>)>,
}

/// Key usage bits (x509-parser order: bit 0 is digitalSignature).
pub(crate) mod ku {
    pub(crate) const DIGITAL_SIGNATURE: u16 = 1;
    pub(crate) const NON_REPUDIATION: u16 = 1 << 1;
    pub(crate) const KEY_CERT_SIGN: u16 = 1 << 5;
    pub(crate) const CRL_SIGN: u16 = 1 << 6;
}

/// A decoded certificate.
///
/// Build one with [`Certificate::from_der`]; hand it to a [`crate::Verifier`] as an anchor or an
/// intermediate, or to [`crate::Verifier::verify`] as the certificate to validate.
#[derive(Clone, Debug)]
pub struct Certificate {
    pub(crate) der: Vec<u8>,
    pub(crate) tbs: Vec<u8>,
    pub(crate) sig_alg: SigAlg,
    pub(crate) sig_alg_oid: String,
    pub(crate) signature: Vec<u8>,
    pub(crate) version: u32,
    /// Serial number contents (two's complement, minimal).
    pub(crate) serial: Vec<u8>,
    pub(crate) issuer: Name,
    pub(crate) subject: Name,
    pub(crate) not_before: i64,
    pub(crate) not_after: i64,
    pub(crate) spki: Vec<u8>,
    pub(crate) key_alg_oid: String,
    pub(crate) key_curve: Option<String>,
    pub(crate) key_point: Vec<u8>,
    pub(crate) key_info: KeyInfo,
    pub(crate) ext: Extensions,
    pub(crate) self_issued: bool,
}

fn malformed(object: &'static str, detail: impl Into<String>) -> Error {
    Error::Malformed {
        object,
        detail: detail.into(),
    }
}

fn alg_params<'a>(a: &'a AlgorithmIdentifier<'a>) -> Option<&'a [u8]> {
    a.parameters.as_ref().map(|p| p.as_bytes())
}

fn alg_params_raw(a: &AlgorithmIdentifier<'_>) -> Vec<u8> {
    a.parameters
        .as_ref()
        .map(|p| {
            let mut v = vec![p.tag().0 as u8];
            v.extend_from_slice(p.data);
            v
        })
        .unwrap_or_default()
}

fn full_param_tlv(a: &AlgorithmIdentifier<'_>) -> Option<Vec<u8>> {
    // Re-encode the parameters as a TLV for the PSS decoder.
    a.parameters.as_ref().map(|p| der_wrap(0x30, p.data))
}

pub(crate) fn sig_alg_of(a: &AlgorithmIdentifier<'_>) -> (SigAlg, String) {
    let oid = a.algorithm.to_id_string();
    let alg = if oid == "1.2.840.113549.1.1.10" {
        SigAlg::from_oid(&oid, full_param_tlv(a).as_deref())
    } else {
        SigAlg::from_oid(&oid, alg_params(a))
    };
    (alg, oid)
}

fn gnames(v: &[x509_parser::extensions::GeneralName<'_>]) -> Result<Vec<GName>, Error> {
    if v.len() > MAX_NAMES {
        return Err(malformed("certificate", "too many general names"));
    }
    Ok(v.iter().map(GName::from_x509).collect())
}

/// Decodes the extensions this validator knows; shared by certificates and CRLs' entries.
fn decode_cert_extensions(exts: &[X509Extension<'_>]) -> Result<Extensions, Error> {
    if exts.len() > MAX_EXTENSIONS {
        return Err(malformed(
            "certificate",
            format!("{} extensions (limit {MAX_EXTENSIONS})", exts.len()),
        ));
    }
    let mut out = Extensions::default();
    let mut seen: Vec<String> = Vec::with_capacity(exts.len());
    for e in exts {
        let oid = e.oid.to_id_string();
        if seen.contains(&oid) {
            return Err(malformed(
                "certificate",
                format!("duplicate extension {oid}"),
            ));
        }
        seen.push(oid.clone());
        match e.parsed_extension() {
            ParsedExtension::ParseError { error } => {
                return Err(malformed(
                    "certificate",
                    format!("extension {oid}: {error}"),
                ));
            }
            ParsedExtension::BasicConstraints(bc) => {
                out.basic_constraints = Some((bc.ca, bc.path_len_constraint))
            }
            ParsedExtension::KeyUsage(k) => out.key_usage = Some(k.flags),
            ParsedExtension::ExtendedKeyUsage(k) => {
                let mut v = Vec::new();
                if k.any {
                    v.push("2.5.29.37.0".to_owned());
                }
                for (flag, o) in [
                    (k.server_auth, "1.3.6.1.5.5.7.3.1"),
                    (k.client_auth, "1.3.6.1.5.5.7.3.2"),
                    (k.code_signing, "1.3.6.1.5.5.7.3.3"),
                    (k.email_protection, "1.3.6.1.5.5.7.3.4"),
                    (k.time_stamping, "1.3.6.1.5.5.7.3.8"),
                    (k.ocsp_signing, "1.3.6.1.5.5.7.3.9"),
                ] {
                    if flag {
                        v.push(o.to_owned());
                    }
                }
                v.extend(k.other.iter().take(MAX_NAMES).map(|o| o.to_id_string()));
                out.eku = Some(v);
                out.eku_critical = e.critical;
            }
            ParsedExtension::CertificatePolicies(p) => {
                let mut v: Vec<String> = Vec::new();
                for pi in p.iter().take(MAX_NAMES) {
                    let id = pi.policy_id.to_id_string();
                    if v.contains(&id) {
                        return Err(malformed(
                            "certificate",
                            format!("policy {id} listed twice"),
                        ));
                    }
                    v.push(id);
                }
                out.policies = Some(v);
            }
            ParsedExtension::PolicyMappings(m) => {
                out.policy_mappings = Some(
                    m.mappings
                        .iter()
                        .take(MAX_NAMES)
                        .map(|m| {
                            (
                                m.issuer_domain_policy.to_id_string(),
                                m.subject_domain_policy.to_id_string(),
                            )
                        })
                        .collect(),
                );
            }
            ParsedExtension::PolicyConstraints(pc) => {
                out.policy_constraints_present = true;
                out.require_explicit_policy = pc.require_explicit_policy;
                out.inhibit_policy_mapping = pc.inhibit_policy_mapping;
            }
            ParsedExtension::InhibitAnyPolicy(i) => out.inhibit_any_policy = Some(i.skip_certs),
            ParsedExtension::NameConstraints(nc) => {
                let conv = |v: &Option<Vec<x509_parser::extensions::GeneralSubtree<'_>>>| -> Result<Vec<GName>, Error> {
                    let v = v.as_deref().unwrap_or(&[]);
                    if v.len() > MAX_NAMES {
                        return Err(malformed("certificate", "too many name constraints"));
                    }
                    Ok(v.iter().map(|s| GName::from_x509(&s.base)).collect())
                };
                out.name_constraints = Some(NameConstraints {
                    permitted: conv(&nc.permitted_subtrees)?,
                    excluded: conv(&nc.excluded_subtrees)?,
                });
            }
            ParsedExtension::SubjectAlternativeName(s) => out.san = gnames(&s.general_names)?,
            // x509-parser drops nameRelativeToCRLIssuer: decoded here.
            ParsedExtension::CRLDistributionPoints(_) => {
                out.crl_dps = Some(parse_crl_dps(e.value)?)
            }
            ParsedExtension::SubjectKeyIdentifier(k) => out.ski = Some(k.0.to_vec()),
            ParsedExtension::AuthorityKeyIdentifier(a) => {
                out.aki = a.key_identifier.as_ref().map(|k| k.0.to_vec())
            }
            // Recognised, not needed for validation.
            ParsedExtension::IssuerAlternativeName(_)
            | ParsedExtension::AuthorityInfoAccess(_)
            | ParsedExtension::SubjectInfoAccess(_) => {}
            _ => {
                // freshestCRL (2.5.29.46) is understood: delta CRLs are looked up among the
                // supplied CRLs whatever it says.
                if e.critical && oid != "2.5.29.46" {
                    out.unknown_critical.push(oid.clone());
                }
                out.others.push((oid, e.critical, e.value.to_vec()));
            }
        }
    }
    Ok(out)
}

fn spki_parts(spki: &SubjectPublicKeyInfo<'_>) -> (String, Option<String>, Vec<u8>) {
    let alg = spki.algorithm.algorithm.to_id_string();
    let curve = spki
        .algorithm
        .parameters
        .as_ref()
        .and_then(|p| p.as_oid().ok())
        .map(|o| o.to_id_string());
    (alg, curve, spki.subject_public_key.data.to_vec())
}

impl Certificate {
    /// Decodes one DER certificate, enforcing the input limits ([`crate::der_limits`]).
    ///
    /// # Errors
    /// [`Error::Malformed`] when the bytes are not one well-formed certificate within the limits.
    pub fn from_der(der: &[u8]) -> Result<Certificate, Error> {
        if der.len() > MAX_CERT_BYTES {
            return Err(malformed(
                "certificate",
                format!("{} bytes (limit {MAX_CERT_BYTES})", der.len()),
            ));
        }
        let (rest, x) =
            X509Certificate::from_der(der).map_err(|e| malformed("certificate", e.to_string()))?;
        if !rest.is_empty() {
            return Err(malformed(
                "certificate",
                "trailing data after the certificate",
            ));
        }
        let tbs = &x.tbs_certificate;
        if tbs.signature.algorithm != x.signature_algorithm.algorithm
            || alg_params_raw(&tbs.signature) != alg_params_raw(&x.signature_algorithm)
        {
            return Err(malformed(
                "certificate",
                "TBS signature algorithm differs from the outer one",
            ));
        }
        let (sig_alg, sig_alg_oid) = sig_alg_of(&x.signature_algorithm);
        let ext = decode_cert_extensions(tbs.extensions())?;
        let version = tbs.version.0;
        if version < 2 && !tbs.extensions().is_empty() {
            return Err(malformed(
                "certificate",
                "extensions in a version 1 or 2 certificate",
            ));
        }
        let issuer = Name::from_x509(&tbs.issuer);
        let subject = Name::from_x509(&tbs.subject);
        let (key_alg_oid, key_curve, key_point) = spki_parts(&tbs.subject_pki);
        let self_issued = issuer.key == subject.key;
        let rsa_bits = match tbs.subject_pki.parsed() {
            Ok(x509_parser::public_key::PublicKey::RSA(k)) => u32::try_from(k.key_size()).ok(),
            _ => None,
        };
        let key_info = KeyInfo::of(&key_alg_oid, key_curve.as_deref(), rsa_bits);
        Ok(Certificate {
            der: der.to_vec(),
            tbs: tbs.as_ref().to_vec(),
            sig_alg,
            sig_alg_oid,
            signature: x.signature_value.data.to_vec(),
            version,
            serial: strip_int(x.raw_serial()).to_vec(),
            issuer,
            subject,
            not_before: tbs.validity.not_before.timestamp(),
            not_after: tbs.validity.not_after.timestamp(),
            spki: tbs.subject_pki.raw.to_vec(),
            key_alg_oid,
            key_curve,
            key_point,
            key_info,
            ext,
            self_issued,
        })
    }

    /// The DER encoding.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The subject name.
    pub fn subject(&self) -> &Name {
        &self.subject
    }

    /// The issuer name.
    pub fn issuer(&self) -> &Name {
        &self.issuer
    }

    /// The serial number, hexadecimal.
    pub fn serial_hex(&self) -> String {
        hex::encode(&self.serial)
    }

    /// The name of the algorithm this certificate is signed with (`sm2-sm3`, `rsa-pkcs1-sha256`,
    /// `rsa-pss-sha256`, `ecdsa-sha256`..., or the OID's description when unsupported), as
    /// `to_json` reports it under `signature_algorithm.name`.
    pub fn signature_algorithm(&self) -> String {
        self.sig_alg.name()
    }

    /// Lowercase hex SHA-256 of the DER: the certificate's fingerprint.
    pub fn sha256_hex(&self) -> String {
        hex::encode(openssl::sha::sha256(&self.der))
    }

    /// The DER SubjectPublicKeyInfo.
    pub fn spki_der(&self) -> &[u8] {
        &self.spki
    }

    /// Prepares this certificate's key for verifying what it signs, with the given SM2 ID.
    pub(crate) fn verify_key(&self, sm2_id: &str) -> VerifyKey {
        VerifyKey::from_spki(
            &self.spki,
            &self.key_alg_oid,
            self.key_curve.as_deref(),
            &self.key_point,
            sm2_id,
        )
    }

    pub(crate) fn is_ca(&self) -> bool {
        matches!(self.ext.basic_constraints, Some((true, _)))
    }

    /// The certificate as JSON, for `ca-bridge inspect`.
    pub fn to_json(&self) -> serde_json::Value {
        let ku_names = [
            "digitalSignature",
            "nonRepudiation",
            "keyEncipherment",
            "dataEncipherment",
            "keyAgreement",
            "keyCertSign",
            "cRLSign",
            "encipherOnly",
            "decipherOnly",
        ];
        let e = &self.ext;
        serde_json::json!({
            "version": self.version + 1,
            "serial": self.serial_hex(),
            "signature_algorithm": { "oid": self.sig_alg_oid, "name": self.sig_alg.name() },
            "issuer": self.issuer.display(),
            "subject": self.subject.display(),
            "not_before": crate::error::fmt_time(self.not_before),
            "not_after": crate::error::fmt_time(self.not_after),
            "public_key": self.key_info.desc,
            "self_issued": self.self_issued,
            "extensions": {
                "basic_constraints": e.basic_constraints.map(|(ca, len)| serde_json::json!({"ca": ca, "path_len": len})),
                "key_usage": e.key_usage.map(|k| ku_names.iter().enumerate().filter(|(i, _)| k & (1 << i) != 0).map(|(_, n)| *n).collect::<Vec<_>>()),
                "extended_key_usage": e.eku,
                "certificate_policies": e.policies,
                "policy_mappings": e.policy_mappings,
                "subject_alt_names": e.san.iter().map(GName::describe).collect::<Vec<_>>(),
                "subject_key_id": e.ski.as_ref().map(hex::encode),
                "authority_key_id": e.aki.as_ref().map(hex::encode),
                "crl_distribution_points": e.crl_dps.as_ref().map(|d| d.iter().filter_map(|p| match &p.name {
                    Some(DpName::Full(v)) => Some(v.iter().map(GName::describe).collect::<Vec<_>>().join(" ")),
                    _ => None,
                }).collect::<Vec<_>>()),
                "other": e.others.iter().map(|(o, c, v)| other_extension_json(o, *c, v)).collect::<Vec<_>>(),
            },
        })
    }
}

/// An extension this validator does not process, for `inspect`: its value in hex, and for string
/// values also as text. The personal ID extension is shown only as masked text.
fn other_extension_json(oid: &str, critical: bool, value: &[u8]) -> serde_json::Value {
    let text = crate::credit_code::der_string(value);
    if oid == crate::mask::PERSONAL_ID_EXTENSION {
        let masked = text.map_or_else(
            || String::from("(not a string)"),
            |t| crate::mask::mask_personal_ids(&t),
        );
        return serde_json::json!({"oid": oid, "critical": critical, "text": masked});
    }
    serde_json::json!({"oid": oid, "critical": critical, "value": hex::encode(value), "text": text})
}

/// One revoked-certificate entry of a CRL.
#[derive(Clone, Debug)]
pub(crate) struct CrlEntry {
    pub(crate) serial: Vec<u8>,
    pub(crate) date: i64,
    pub(crate) reason: u8,
    /// The certificate issuer this entry applies to (indirect CRLs), after RFC 5280 5.3.3 carry-over.
    pub(crate) cert_issuer: Option<Vec<GName>>,
}

/// The issuing distribution point extension of a CRL.
#[derive(Clone, Debug, Default)]
pub(crate) struct Idp {
    pub(crate) name: Option<DpName>,
    pub(crate) only_user: bool,
    pub(crate) only_ca: bool,
    pub(crate) only_attr: bool,
    pub(crate) only_some_reasons: Option<u16>,
    pub(crate) indirect: bool,
}

/// A decoded certificate revocation list.
#[derive(Clone, Debug)]
pub struct Crl {
    pub(crate) tbs: Vec<u8>,
    pub(crate) sig_alg: SigAlg,
    pub(crate) signature: Vec<u8>,
    pub(crate) issuer: Name,
    pub(crate) this_update: i64,
    pub(crate) next_update: Option<i64>,
    pub(crate) entries: Vec<CrlEntry>,
    pub(crate) number: Option<Vec<u8>>,
    pub(crate) delta_base: Option<Vec<u8>>,
    pub(crate) idp: Option<Idp>,
    /// The issuing distribution point extension's DER value: what the CRL covers.
    pub(crate) idp_der: Option<Vec<u8>>,
    /// A critical CRL or entry extension this validator does not process: the CRL cannot be used.
    pub(crate) unknown_critical: Option<String>,
}

fn big(bytes: &[u8]) -> Vec<u8> {
    let s = strip_int(bytes);
    s.to_vec()
}

impl Crl {
    /// Decodes one DER CRL (at most [`MAX_CRL_BYTES`]).
    ///
    /// # Errors
    /// [`Error::Malformed`] when the bytes are not one well-formed CRL.
    pub fn from_der(der: &[u8]) -> Result<Crl, Error> {
        if der.len() > MAX_CRL_BYTES {
            return Err(malformed(
                "crl",
                format!("{} bytes (limit {MAX_CRL_BYTES})", der.len()),
            ));
        }
        let (rest, c) = CertificateRevocationList::from_der(der)
            .map_err(|e| malformed("crl", e.to_string()))?;
        if !rest.is_empty() {
            return Err(malformed("crl", "trailing data after the CRL"));
        }
        let t = &c.tbs_cert_list;
        if t.signature.algorithm != c.signature_algorithm.algorithm {
            return Err(malformed(
                "crl",
                "TBS signature algorithm differs from the outer one",
            ));
        }
        let (sig_alg, _) = sig_alg_of(&c.signature_algorithm);
        let issuer = Name::from_x509(&t.issuer);
        let mut unknown_critical = None;
        let mut number = None;
        let mut delta_base = None;
        let mut idp = None;
        let mut idp_der = None;
        if t.extensions().len() > MAX_EXTENSIONS {
            return Err(malformed("crl", "too many extensions"));
        }
        for e in t.extensions() {
            let oid = e.oid.to_id_string();
            match (oid.as_str(), e.parsed_extension()) {
                (_, ParsedExtension::ParseError { error }) => {
                    return Err(malformed("crl", format!("extension {oid}: {error}")));
                }
                (_, ParsedExtension::CRLNumber(n)) => number = Some(big(&n.to_bytes_be())),
                (_, ParsedExtension::IssuingDistributionPoint(_)) => {
                    idp = Some(parse_idp(e.value)?);
                    idp_der = Some(e.value.to_vec());
                }
                ("2.5.29.27", _) => {
                    let (int, _) = crate::der_limits::expect(e.value, 0x02, "crl")?;
                    delta_base = Some(big(int.content));
                }
                (
                    _,
                    ParsedExtension::AuthorityKeyIdentifier(_)
                    | ParsedExtension::IssuerAlternativeName(_),
                ) => {}
                ("2.5.29.46", _) => {}
                _ => {
                    if e.critical {
                        unknown_critical = Some(oid);
                    }
                }
            }
        }
        let mut entries = Vec::with_capacity(t.revoked_certificates.len());
        let mut current_issuer: Option<Vec<GName>> = None;
        let indirect = idp.as_ref().is_some_and(|i| i.indirect);
        for r in &t.revoked_certificates {
            let mut reason = 0u8;
            for e in r.extensions() {
                let oid = e.oid.to_id_string();
                match (oid.as_str(), e.parsed_extension()) {
                    (_, ParsedExtension::ReasonCode(rc)) => reason = rc.0,
                    (_, ParsedExtension::InvalidityDate(_)) => {}
                    ("2.5.29.29", _) => {
                        if indirect {
                            current_issuer = Some(parse_general_names(e.value)?);
                        }
                    }
                    _ => {
                        if e.critical {
                            unknown_critical = Some(oid);
                        }
                    }
                }
            }
            entries.push(CrlEntry {
                serial: strip_int(r.raw_serial()).to_vec(),
                date: r.revocation_date.timestamp(),
                reason,
                cert_issuer: current_issuer.clone(),
            });
        }
        Ok(Crl {
            tbs: t.as_ref().to_vec(),
            sig_alg,
            signature: c.signature_value.data.to_vec(),
            issuer,
            this_update: t.this_update.timestamp(),
            next_update: t.next_update.map(|n| n.timestamp()),
            entries,
            number,
            delta_base,
            idp,
            idp_der,
            unknown_critical,
        })
    }

    /// The issuer name.
    pub fn issuer(&self) -> &Name {
        &self.issuer
    }

    /// thisUpdate, Unix seconds.
    pub fn this_update(&self) -> i64 {
        self.this_update
    }

    /// nextUpdate, Unix seconds, when the CRL has one.
    pub fn next_update(&self) -> Option<i64> {
        self.next_update
    }

    /// The cRLNumber in hex (big-endian, no leading zeros), when present.
    pub fn number_hex(&self) -> Option<String> {
        self.number.as_deref().map(hex::encode)
    }

    /// True for a delta CRL (it carries a deltaCRLIndicator).
    pub fn is_delta(&self) -> bool {
        self.delta_base.is_some()
    }

    /// What the CRL covers, as a stable key: `full` without an issuing distribution point, else
    /// `idp:` and the extension's DER in hex. Two CRLs of one issuer with the same scope replace
    /// each other; an ARL (only CA certificates) and the CRL of end entities do not.
    pub fn scope(&self) -> String {
        match &self.idp_der {
            None => "full".to_owned(),
            Some(der) => format!("idp:{}", hex::encode(der)),
        }
    }

    /// True when the CRL covers only CA certificates (an authority revocation list).
    pub fn only_ca_certs(&self) -> bool {
        self.idp.as_ref().is_some_and(|i| i.only_ca)
    }
}

/// Decodes a GeneralNames SEQUENCE (certificateIssuer entry extension).
fn parse_general_names(value: &[u8]) -> Result<Vec<GName>, Error> {
    let (seq, _) = crate::der_limits::expect(value, 0x30, "crl")?;
    general_names_content(seq.content)
}

/// Decodes the contents of a GeneralNames (a sequence of context-tagged names).
fn general_names_content(content: &[u8]) -> Result<Vec<GName>, Error> {
    let mut rest = content;
    let mut out = Vec::new();
    while !rest.is_empty() {
        if out.len() >= MAX_NAMES {
            return Err(malformed("crl", "too many names in certificateIssuer"));
        }
        let (r, any) =
            <x509_parser::asn1_rs::Any<'_> as x509_parser::asn1_rs::FromDer<'_>>::from_der(rest)
                .map_err(|e| malformed("crl", e.to_string()))?;
        rest = r;
        let g = x509_parser::extensions::GeneralName::try_from(any)
            .map_err(|e| malformed("crl", e.to_string()))?;
        out.push(GName::from_x509(&g));
    }
    Ok(out)
}

/// Splits PEM text into its blocks, or takes the bytes as one DER blob when they are not PEM.
///
/// # Errors
/// [`Error::Malformed`] (object `pem`) when PEM armour is present but broken, or when the input is
/// neither PEM nor DER (does not start with a DER SEQUENCE).
pub fn decode_pem_or_der(bytes: &[u8]) -> Result<Vec<(String, Vec<u8>)>, Error> {
    use base64::Engine as _;
    if let Ok(text) = std::str::from_utf8(bytes)
        && text.contains("-----BEGIN ")
    {
        let mut out = Vec::new();
        let mut rest = text;
        while let Some(start) = rest.find("-----BEGIN ") {
            let after = &rest[start + 11..];
            let label_end = after
                .find("-----")
                .ok_or_else(|| malformed("pem", "unterminated BEGIN line"))?;
            let label = after[..label_end].to_owned();
            let body_start = &after[label_end + 5..];
            let end_marker = format!("-----END {label}-----");
            let end = body_start
                .find(&end_marker)
                .ok_or_else(|| malformed("pem", format!("no END line for {label}")))?;
            let body: String = body_start[..end]
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect();
            let der = base64::engine::general_purpose::STANDARD
                .decode(body)
                .map_err(|e| malformed("pem", format!("bad base64 in {label}: {e}")))?;
            out.push((label, der));
            rest = &body_start[end + end_marker.len()..];
        }
        return Ok(out);
    }
    if bytes.first() == Some(&0x30) {
        Ok(vec![(String::new(), bytes.to_vec())])
    } else {
        Err(malformed("pem", "input is neither PEM nor DER"))
    }
}

/// ReasonFlags BIT STRING contents to a mask with bit i set for reason i.
fn reason_flags(content: &[u8]) -> u16 {
    let mut mask = 0u16;
    for (byte_idx, b) in content.iter().skip(1).take(2).enumerate() {
        for bit in 0..8 {
            if b & (0x80 >> bit) != 0 {
                mask |= 1 << (byte_idx * 8 + bit);
            }
        }
    }
    mask & ALL_REASONS
}

/// DistributionPointName from the contents of its [0] wrapper.
fn dp_name_der(content: &[u8]) -> Result<DpName, Error> {
    let (choice, _) = read_tlv(content, "certificate")?;
    match choice.tag {
        0xa0 => Ok(DpName::Full(general_names_content(choice.content)?)),
        0xa1 => {
            // Re-wrap the RDN as a one-RDN Name to reuse the name decoder.
            let set = der_wrap(0x31, choice.content);
            let seq = der_wrap(0x30, &set);
            let (_, n) = x509_parser::x509::X509Name::from_der(&seq)
                .map_err(|e| malformed("certificate", e.to_string()))?;
            let attrs = n.iter_rdn().next().map(rdn_attrs).unwrap_or_default();
            Ok(DpName::Relative(attrs))
        }
        _ => Err(malformed("certificate", "bad DistributionPointName")),
    }
}

fn der_wrap(tag: u8, content: &[u8]) -> Vec<u8> {
    let len = content.len();
    let mut v = vec![tag];
    if len < 0x80 {
        v.push(len as u8);
    } else if len < 0x100 {
        v.extend_from_slice(&[0x81, len as u8]);
    } else if len < 0x10000 {
        v.extend_from_slice(&[0x82, (len >> 8) as u8, len as u8]);
    } else {
        v.extend_from_slice(&[0x83, (len >> 16) as u8, (len >> 8) as u8, len as u8]);
    }
    v.extend_from_slice(content);
    v
}

/// cRLDistributionPoints (RFC 5280 4.2.1.13).
fn parse_crl_dps(value: &[u8]) -> Result<Vec<DistPoint>, Error> {
    let (seq, _) = expect(value, 0x30, "certificate")?;
    let mut rest = seq.content;
    let mut out = Vec::new();
    while !rest.is_empty() {
        if out.len() >= MAX_NAMES {
            return Err(malformed("certificate", "too many distribution points"));
        }
        let (dp, r) = expect(rest, 0x30, "certificate")?;
        rest = r;
        let mut point = DistPoint {
            name: None,
            reasons: None,
            crl_issuer: None,
        };
        let mut f = dp.content;
        while !f.is_empty() {
            let (field, r) = read_tlv(f, "certificate")?;
            f = r;
            match field.tag {
                0xa0 => point.name = Some(dp_name_der(field.content)?),
                0x81 => point.reasons = Some(reason_flags(field.content)),
                0xa2 => point.crl_issuer = Some(general_names_content(field.content)?),
                _ => return Err(malformed("certificate", "bad DistributionPoint")),
            }
        }
        out.push(point);
    }
    Ok(out)
}

/// issuingDistributionPoint (RFC 5280 5.2.5).
fn parse_idp(value: &[u8]) -> Result<Idp, Error> {
    let (seq, _) = expect(value, 0x30, "crl")?;
    let mut idp = Idp::default();
    let mut f = seq.content;
    let boolean = |c: &[u8]| c.first().is_some_and(|&b| b != 0);
    while !f.is_empty() {
        let (field, r) = read_tlv(f, "crl")?;
        f = r;
        match field.tag {
            0xa0 => idp.name = Some(dp_name_der(field.content)?),
            0x81 => idp.only_user = boolean(field.content),
            0x82 => idp.only_ca = boolean(field.content),
            0x83 => idp.only_some_reasons = Some(reason_flags(field.content)),
            0x84 => idp.indirect = boolean(field.content),
            0x85 => idp.only_attr = boolean(field.content),
            _ => return Err(malformed("crl", "bad IssuingDistributionPoint")),
        }
    }
    Ok(idp)
}
