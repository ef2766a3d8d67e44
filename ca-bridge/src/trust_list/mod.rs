//! Signed trust lists of recognised CA services, modelled on ETSI TS 119 612.
//!
//! Why this module exists: the zone recognises each province's accredited CAs by list, not by a
//! directory of anchor files. A [`TrustList`] says, per province, which services (bidder signing CAs,
//! encryption CAs, timestamping authorities, OCSP responders) are recognised, since when and until
//! when (a status history), with which algorithms, SM2 distinguishing ID, credit-code rules,
//! policies, supply points and intermediates. It is loaded only from a signed envelope
//! ([`envelope`]) checked against a pinned signer, and only while its `next_update` has not passed.
//! [`TrustListVerifier`] ([`verify`]) validates certificates under it.
//!
//! The format (JSON, `schemas/trust-list/trust-list.schema.json`) is documented in the crate
//! README. Times are RFC 3339; the library never reads the clock: every time is passed in.

pub mod crl_check;
pub mod envelope;
pub mod verify;

use serde::{Deserialize, Serialize};

use crate::Error;
use crate::credit_code::CreditCodeRule;
use crate::error::fmt_time;
use crate::parse::{Certificate, decode_pem_or_der};

pub use crl_check::AcceptedCrl;
pub use envelope::{SignedEnvelope, TrustListSigner, sign_trust_list};
pub use verify::{CaRef, CreditCodePolicy, Holder, TrustListVerifier, TrustOptions};

/// The only format version this crate reads.
pub const FORMAT_VERSION: u32 = 1;
/// Largest signed trust list accepted, in bytes.
pub const MAX_TRUST_LIST_BYTES: usize = 4 << 20;
/// Most services in one list.
pub const MAX_SERVICES: usize = 1000;
/// Most intermediates per service.
pub const MAX_INTERMEDIATES: usize = 32;
/// Most status changes per service.
pub const MAX_STATUS_CHANGES: usize = 256;

/// A province of the zone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Province {
    /// Shanghai (310000).
    Shanghai,
    /// Jiangsu (320000).
    Jiangsu,
    /// Zhejiang (330000).
    Zhejiang,
}

impl Province {
    /// The JSON spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Province::Shanghai => "shanghai",
            Province::Jiangsu => "jiangsu",
            Province::Zhejiang => "zhejiang",
        }
    }
}

/// The type of a recognised service (ETSI TS 119 612 service type, narrowed).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ServiceType {
    /// A CA issuing bidders' signing certificates: an anchor for purpose `bid-signing`.
    BidderSigningCa,
    /// A CA issuing encryption certificates.
    EncryptionCa,
    /// A timestamping authority.
    TimestampingAuthority,
    /// An OCSP responder.
    OcspResponder,
}

impl ServiceType {
    /// The JSON spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceType::BidderSigningCa => "bidder-signing-ca",
            ServiceType::EncryptionCa => "encryption-ca",
            ServiceType::TimestampingAuthority => "timestamping-authority",
            ServiceType::OcspResponder => "ocsp-responder",
        }
    }
}

/// A service's status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Recognised.
    Granted,
    /// Temporarily not recognised.
    Suspended,
    /// No longer recognised.
    Withdrawn,
}

impl Status {
    /// The JSON spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Granted => "granted",
            Status::Suspended => "suspended",
            Status::Withdrawn => "withdrawn",
        }
    }
}

/// A signature algorithm a service's certificates may use (trust-list spelling).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Algorithm {
    /// RSA PKCS#1 v1.5 with SHA-256.
    RsaPkcs1Sha256,
    /// RSASSA-PSS (any of the supported hashes).
    RsaPss,
    /// ECDSA on P-256 with SHA-256.
    EcdsaP256Sha256,
    /// ECDSA on P-384 with SHA-384.
    EcdsaP384Sha384,
    /// SM2 with SM3.
    Sm2Sm3,
}

impl Algorithm {
    /// The JSON spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::RsaPkcs1Sha256 => "rsa-pkcs1-sha256",
            Algorithm::RsaPss => "rsa-pss",
            Algorithm::EcdsaP256Sha256 => "ecdsa-p256-sha256",
            Algorithm::EcdsaP384Sha384 => "ecdsa-p384-sha384",
            Algorithm::Sm2Sm3 => "sm2-sm3",
        }
    }
}

/// One entry of a status history: `status` from `from` on (Unix seconds).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StatusChange {
    /// The status.
    pub status: Status,
    /// Since when, Unix seconds.
    pub from: i64,
}

/// A recognised service, decoded and checked.
#[derive(Clone, Debug)]
pub struct Service {
    /// Unique id within the list (stable across lists: metrics and verdicts use it).
    pub id: String,
    /// Display name.
    pub name: String,
    /// The province that accredits it.
    pub province: Province,
    /// The province's region code (6 digits).
    pub region_code: String,
    /// The service type.
    pub kind: ServiceType,
    /// The CA certificate (the trust anchor), when given.
    pub certificate: Option<Certificate>,
    /// `sha256:<hex>` of the CA's SubjectPublicKeyInfo: given, or computed from `certificate`.
    pub key_id: String,
    /// The status history, oldest first; the last entry is the current status.
    pub status_history: Vec<StatusChange>,
    /// Accepted signature algorithms for the certificates below the anchor.
    pub algorithms: Vec<Algorithm>,
    /// The SM2 distinguishing ID its CAs sign with (may be empty).
    pub sm2_id: String,
    /// Where its certificates carry the holder's credit code, in order.
    pub credit_code_rules: Vec<CreditCodeRule>,
    /// Accepted certificate policies (empty: any).
    pub policies: Vec<String>,
    /// CRL supply points.
    pub crl_urls: Vec<String>,
    /// OCSP supply points.
    pub ocsp_urls: Vec<String>,
    /// Intermediate CA certificates, candidates for path building.
    pub intermediates: Vec<Certificate>,
}

impl Service {
    /// The status at time `t` and since when; `None` before the first entry of the history.
    pub fn status_at(&self, t: i64) -> Option<StatusChange> {
        self.status_history
            .iter()
            .take_while(|c| c.from <= t)
            .last()
            .copied()
    }

    /// The current status (the last entry of the history).
    pub fn status(&self) -> Status {
        self.status_history
            .last()
            .map_or(Status::Withdrawn, |c| c.status)
    }
}

/// A trust list, decoded and checked (signature, format rules, next update).
#[derive(Clone, Debug)]
pub struct TrustList {
    sequence: u64,
    issued_at: i64,
    next_update: i64,
    operator: String,
    services: Vec<Service>,
    payload: Vec<u8>,
    payload_sha256: String,
    signer: String,
}

// ---- The JSON document, as written (private: the checked model above is the API). ----

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListDoc {
    #[serde(rename = "$schema", default, skip_serializing_if = "Option::is_none")]
    schema: Option<String>,
    version: u32,
    sequence: u64,
    issued_at: String,
    next_update: String,
    operator: OperatorDoc,
    provinces: Vec<ProvinceDoc>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct OperatorDoc {
    name: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProvinceDoc {
    province: Province,
    region_code: String,
    services: Vec<ServiceDoc>,
}

fn default_sm2_id() -> String {
    crate::DEFAULT_SM2_ID.to_owned()
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ServiceDoc {
    id: String,
    name: String,
    #[serde(rename = "type")]
    kind: ServiceType,
    #[serde(default)]
    certificate: Option<String>,
    #[serde(default)]
    key_id: Option<String>,
    status: Status,
    status_history: Vec<StatusDoc>,
    algorithms: Vec<Algorithm>,
    #[serde(default = "default_sm2_id")]
    sm2_id: String,
    #[serde(default)]
    credit_code_rules: Vec<CreditCodeRule>,
    #[serde(default)]
    policies: Vec<String>,
    #[serde(default)]
    crl_urls: Vec<String>,
    #[serde(default)]
    ocsp_urls: Vec<String>,
    #[serde(default)]
    intermediates: Vec<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StatusDoc {
    status: Status,
    from: String,
}

fn bad(detail: impl Into<String>) -> Error {
    Error::TrustListMalformed {
        detail: detail.into(),
    }
}

fn parse_time(what: &str, s: &str) -> Result<i64, Error> {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .map(time::OffsetDateTime::unix_timestamp)
        .map_err(|e| bad(format!("{what}: not an RFC 3339 time: {s:?} ({e})")))
}

/// `sha256:<hex>` of a certificate's SubjectPublicKeyInfo: the key id of trust-list services and
/// of the list signer.
pub fn key_id(cert: &Certificate) -> String {
    format!("sha256:{}", hex::encode(openssl::sha::sha256(&cert.spki)))
}

fn is_key_id(s: &str) -> bool {
    s.strip_prefix("sha256:").is_some_and(|h| {
        h.len() == 64
            && h.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

fn is_oid(s: &str) -> bool {
    let arcs: Vec<&str> = s.split('.').collect();
    arcs.len() >= 2
        && arcs
            .iter()
            .all(|a| !a.is_empty() && a.len() <= 20 && a.bytes().all(|b| b.is_ascii_digit()))
}

/// One certificate from PEM text or base64 DER.
fn decode_cert(what: &str, text: &str) -> Result<Certificate, Error> {
    use base64::Engine as _;
    let t = text.trim();
    let der = if t.starts_with("-----BEGIN") {
        let blobs = decode_pem_or_der(t.as_bytes()).map_err(|e| bad(format!("{what}: {e}")))?;
        match blobs.as_slice() {
            [(_, d)] => d.clone(),
            _ => return Err(bad(format!("{what}: expected exactly one PEM certificate"))),
        }
    } else {
        base64::engine::general_purpose::STANDARD
            .decode(t)
            .map_err(|e| bad(format!("{what}: neither PEM nor base64 DER ({e})")))?
    };
    Certificate::from_der(&der).map_err(|e| bad(format!("{what}: {e}")))
}

impl TrustList {
    /// Decodes and checks an **unsigned** list (the payload of an envelope). Used by
    /// [`TrustList::load`] after the signature check, and by [`sign_trust_list`] before signing.
    /// The result carries no signer; load signed lists with [`TrustList::load`].
    ///
    /// # Errors
    /// [`Error::TrustListMalformed`] when the JSON or a rule of the format is broken.
    pub fn parse_payload(payload: &[u8]) -> Result<TrustList, Error> {
        if payload.len() > MAX_TRUST_LIST_BYTES {
            return Err(bad(format!(
                "{} bytes (limit {MAX_TRUST_LIST_BYTES})",
                payload.len()
            )));
        }
        let doc: ListDoc =
            serde_json::from_slice(payload).map_err(|e| bad(format!("list: {e}")))?;
        if doc.version != FORMAT_VERSION {
            return Err(bad(format!(
                "version {} (this reader knows {FORMAT_VERSION})",
                doc.version
            )));
        }
        let issued_at = parse_time("issued_at", &doc.issued_at)?;
        let next_update = parse_time("next_update", &doc.next_update)?;
        if next_update <= issued_at {
            return Err(bad("next_update is not after issued_at"));
        }
        if doc.operator.name.trim().is_empty() {
            return Err(bad("operator.name is empty"));
        }
        let mut services = Vec::new();
        let mut provinces_seen = Vec::new();
        for p in doc.provinces {
            if provinces_seen.contains(&p.province) {
                return Err(bad(format!(
                    "province {} listed twice",
                    p.province.as_str()
                )));
            }
            provinces_seen.push(p.province);
            if p.region_code.len() != 6 || !p.region_code.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad(format!(
                    "province {}: region_code {:?} is not 6 digits",
                    p.province.as_str(),
                    p.region_code
                )));
            }
            for s in p.services {
                if services.len() >= MAX_SERVICES {
                    return Err(bad(format!("more than {MAX_SERVICES} services")));
                }
                let svc = Self::service(p.province, &p.region_code, s)?;
                if services.iter().any(|o: &Service| o.id == svc.id) {
                    return Err(bad(format!("service id {} listed twice", svc.id)));
                }
                services.push(svc);
            }
        }
        Ok(TrustList {
            sequence: doc.sequence,
            issued_at,
            next_update,
            operator: doc.operator.name,
            services,
            payload: payload.to_vec(),
            payload_sha256: hex::encode(openssl::sha::sha256(payload)),
            signer: String::new(),
        })
    }

    fn service(province: Province, region_code: &str, s: ServiceDoc) -> Result<Service, Error> {
        let id = s.id.clone();
        let err = |d: String| bad(format!("service {id}: {d}"));
        if s.id.is_empty()
            || s.id.len() > 64
            || !s
                .id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
        {
            return Err(bad(format!(
                "service id {:?}: 1-64 characters of A-Z a-z 0-9 - _ .",
                s.id
            )));
        }
        let certificate = s
            .certificate
            .as_deref()
            .map(|c| decode_cert(&format!("service {id}: certificate"), c))
            .transpose()?;
        let key_id = match (&certificate, s.key_id) {
            (None, None) => return Err(err("neither certificate nor key_id".into())),
            (_, Some(k)) if !is_key_id(&k) => {
                return Err(err(format!(
                    "key_id {k:?} is not sha256:<64 lowercase hex>"
                )));
            }
            (Some(c), Some(k)) if key_id(c) != k => {
                return Err(err(format!("key_id {k} is not the certificate's key")));
            }
            (Some(c), None) => key_id(c),
            (_, Some(k)) => k,
        };
        if s.status_history.is_empty() || s.status_history.len() > MAX_STATUS_CHANGES {
            return Err(err(format!(
                "status_history needs 1 to {MAX_STATUS_CHANGES} entries"
            )));
        }
        let mut history = Vec::new();
        for h in &s.status_history {
            let from = parse_time(&format!("service {id}: status_history"), &h.from)?;
            if history
                .last()
                .is_some_and(|p: &StatusChange| p.from >= from)
            {
                return Err(err(
                    "status_history is not in strictly increasing time order".into(),
                ));
            }
            history.push(StatusChange {
                status: h.status,
                from,
            });
        }
        if history.last().map(|h| h.status) != Some(s.status) {
            return Err(err(format!(
                "status {} is not the last status of status_history",
                s.status.as_str()
            )));
        }
        if s.algorithms.is_empty() {
            return Err(err("no accepted algorithms".into()));
        }
        if s.sm2_id.len() > 1024 {
            return Err(err("sm2_id longer than 1024 bytes".into()));
        }
        if let Some(p) = s.policies.iter().find(|p| !is_oid(p)) {
            return Err(err(format!("policy {p:?} is not a dotted OID")));
        }
        for rule in &s.credit_code_rules {
            if let CreditCodeRule::Extension { extension } = rule
                && !is_oid(extension)
            {
                return Err(err(format!(
                    "credit code extension {extension:?} is not a dotted OID"
                )));
            }
        }
        for u in s.crl_urls.iter().chain(&s.ocsp_urls) {
            if !(u.starts_with("http://") || u.starts_with("https://")) || u.len() > 2048 {
                return Err(err(format!("supply point {u:?} is not an http(s) URL")));
            }
        }
        if s.intermediates.len() > MAX_INTERMEDIATES {
            return Err(err(format!("more than {MAX_INTERMEDIATES} intermediates")));
        }
        let intermediates = s
            .intermediates
            .iter()
            .enumerate()
            .map(|(i, c)| decode_cert(&format!("service {id}: intermediates[{i}]"), c))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Service {
            id: s.id,
            name: s.name,
            province,
            region_code: region_code.to_owned(),
            kind: s.kind,
            certificate,
            key_id,
            status_history: history,
            algorithms: s.algorithms,
            sm2_id: s.sm2_id,
            credit_code_rules: s.credit_code_rules,
            policies: s.policies,
            crl_urls: s.crl_urls,
            ocsp_urls: s.ocsp_urls,
            intermediates,
        })
    }

    /// Loads a signed list: checks the envelope's signature against the pinned `signer`, decodes
    /// the list, and refuses it when its `next_update` is not after `now` (Unix seconds).
    ///
    /// # Errors
    /// [`Error::TrustListUnsigned`], [`Error::TrustListWrongSigner`],
    /// [`Error::TrustListBadSignature`], [`Error::TrustListMalformed`],
    /// [`Error::TrustListExpired`] (with the list's sequence), and [`Error::Expired`] /
    /// [`Error::NotYetValid`] for a pinned signer certificate outside its validity at `now`.
    pub fn load(signed: &[u8], signer: &TrustListSigner, now: i64) -> Result<TrustList, Error> {
        let payload = envelope::open(signed, signer, now)?;
        let mut list = TrustList::parse_payload(&payload)?;
        list.signer = signer.key_id().to_owned();
        list.check_current(now)?;
        Ok(list)
    }

    /// Refuses the list once its `next_update` has passed at `now` (a gateway calls this before
    /// using a list it loaded earlier).
    ///
    /// # Errors
    /// [`Error::TrustListExpired`].
    pub fn check_current(&self, now: i64) -> Result<(), Error> {
        if now >= self.next_update {
            return Err(Error::TrustListExpired {
                sequence: self.sequence,
                next_update: fmt_time(self.next_update),
                at: fmt_time(now),
            });
        }
        Ok(())
    }

    /// Refuses a list older than the highest sequence installed (the gateway keeps that number;
    /// an equal sequence is accepted here: compare [`TrustList::payload_sha256`] to tell a
    /// re-install of the same list from a different list reusing the number).
    ///
    /// # Errors
    /// [`Error::TrustListOutdated`].
    pub fn check_not_older_than(&self, installed: u64) -> Result<(), Error> {
        if self.sequence < installed {
            return Err(Error::TrustListOutdated {
                sequence: self.sequence,
                installed,
            });
        }
        Ok(())
    }

    /// The sequence number.
    pub fn sequence(&self) -> u64 {
        self.sequence
    }

    /// The issue time, Unix seconds.
    pub fn issued_at(&self) -> i64 {
        self.issued_at
    }

    /// The next-update time, Unix seconds.
    pub fn next_update(&self) -> i64 {
        self.next_update
    }

    /// The operator's name.
    pub fn operator(&self) -> &str {
        &self.operator
    }

    /// The services, in list order.
    pub fn services(&self) -> &[Service] {
        &self.services
    }

    /// A service by id.
    pub fn service_by_id(&self, id: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.id == id)
    }

    /// The exact list bytes that were signed.
    pub fn payload(&self) -> &[u8] {
        &self.payload
    }

    /// Lowercase hex SHA-256 of [`TrustList::payload`].
    pub fn payload_sha256(&self) -> &str {
        &self.payload_sha256
    }

    /// The key id of the signer it was loaded with (empty for [`TrustList::parse_payload`]).
    pub fn signer_key_id(&self) -> &str {
        &self.signer
    }

    /// A summary for `ca-bridge trust-list show` and `GET /v1/trust-list`: the list's metadata and
    /// each service with its anchor, intermediates (subjects), status and supply points.
    pub fn summary_json(&self) -> serde_json::Value {
        let services: Vec<serde_json::Value> = self
            .services
            .iter()
            .map(|s| {
                serde_json::json!({
                    "id": s.id,
                    "name": s.name,
                    "province": s.province.as_str(),
                    "region_code": s.region_code,
                    "type": s.kind.as_str(),
                    "status": s.status().as_str(),
                    "status_history": s.status_history.iter().map(|h| serde_json::json!({
                        "status": h.status.as_str(), "from": fmt_time(h.from)
                    })).collect::<Vec<_>>(),
                    "certificate": s.certificate.as_ref().map(|c| c.subject().display().to_owned()),
                    "key_id": s.key_id,
                    "algorithms": s.algorithms.iter().map(|a| a.as_str()).collect::<Vec<_>>(),
                    "sm2_id": s.sm2_id,
                    "credit_code_rules": s.credit_code_rules,
                    "policies": s.policies,
                    "crl_urls": s.crl_urls,
                    "ocsp_urls": s.ocsp_urls,
                    "intermediates": s.intermediates.iter().map(|c| c.subject().display().to_owned()).collect::<Vec<_>>(),
                })
            })
            .collect();
        serde_json::json!({
            "sequence": self.sequence,
            "issued_at": fmt_time(self.issued_at),
            "next_update": fmt_time(self.next_update),
            "operator": self.operator,
            "signer": self.signer,
            "payload_sha256": self.payload_sha256,
            "services": services,
        })
    }
}
