//! OCSP responses supplied by the caller (RFC 6960): decoding, signature by the CA or by a
//! delegated responder it certified, certificate id match, and the thisUpdate/nextUpdate window.
//!
//! Why this module exists: x509-parser does not decode OCSP, and OpenSSL 3.0 cannot verify
//! SM2-signed responses with an ID; responses are decoded here with the bounded DER reader and
//! their signatures verified over the TBS bytes like certificates and CRLs.

use crate::Error;
use crate::algorithms::{SigAlg, Signed, verify_signature};
use crate::der_limits::{MAX_CERT_BYTES, MAX_NAMES, expect, oid_string, read_tlv, strip_int};
use crate::error::fmt_time;
use crate::parse::Certificate;
use crate::path_builder::Run;
use crate::revocation::{Status, reason_name};

const OBJ: &str = "ocsp-response";
const BASIC: &str = "1.3.6.1.5.5.7.48.1.1";
const KP_OCSP_SIGNING: &str = "1.3.6.1.5.5.7.3.9";

/// Largest accepted OCSP response (1 MiB).
pub const MAX_OCSP_BYTES: usize = 1024 * 1024;

fn bad(detail: &str) -> Error {
    Error::Malformed {
        object: OBJ,
        detail: detail.to_owned(),
    }
}

/// How a response identifies its responder.
#[derive(Clone, Debug)]
enum ResponderId {
    ByName(Vec<u8>),
    ByKey(Vec<u8>),
}

/// The status of one certificate in a response.
#[derive(Clone, Debug, PartialEq, Eq)]
enum CertStatus {
    Good,
    Revoked { at: i64, reason: u8 },
    Unknown,
}

#[derive(Clone, Debug)]
struct SingleResponse {
    hash_oid: String,
    name_hash: Vec<u8>,
    key_hash: Vec<u8>,
    serial: Vec<u8>,
    status: CertStatus,
    this_update: i64,
    next_update: Option<i64>,
}

/// A decoded basic OCSP response.
#[derive(Clone, Debug)]
pub struct OcspResponse {
    tbs: Vec<u8>,
    sig_alg: SigAlg,
    signature: Vec<u8>,
    responder: ResponderId,
    responses: Vec<SingleResponse>,
    certs: Vec<Certificate>,
}

/// Parses a GeneralizedTime `YYYYMMDDHHMMSS[.f*]Z` into Unix seconds.
fn generalized_time(content: &[u8]) -> Result<i64, Error> {
    let s = std::str::from_utf8(content).map_err(|_| bad("time is not ASCII"))?;
    let s = s.strip_suffix('Z').ok_or_else(|| bad("time is not UTC"))?;
    let s = s.split('.').next().unwrap_or(s);
    if s.len() != 14 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad("bad GeneralizedTime"));
    }
    let n = |a: usize, b: usize| {
        s[a..b]
            .parse::<u32>()
            .map_err(|_| bad("bad GeneralizedTime"))
    };
    let month = time::Month::try_from(u8::try_from(n(4, 6)?).map_err(|_| bad("bad month"))?)
        .map_err(|_| bad("bad month"))?;
    let date = time::Date::from_calendar_date(n(0, 4)? as i32, month, n(6, 8)? as u8)
        .map_err(|_| bad("bad date"))?;
    let t = time::Time::from_hms(n(8, 10)? as u8, n(10, 12)? as u8, n(12, 14)? as u8)
        .map_err(|_| bad("bad time"))?;
    Ok(time::PrimitiveDateTime::new(date, t)
        .assume_utc()
        .unix_timestamp())
}

impl OcspResponse {
    /// The earliest nextUpdate of its single responses (Unix seconds), when every one has one:
    /// how long a cache may keep the response.
    pub fn next_update(&self) -> Option<i64> {
        self.responses
            .iter()
            .map(|r| r.next_update)
            .collect::<Option<Vec<i64>>>()
            .and_then(|v| v.into_iter().min())
    }

    /// Decodes a DER OCSPResponse whose status is successful and whose type is basic.
    ///
    /// # Errors
    /// [`Error::Malformed`] for anything else, including responses over [`MAX_OCSP_BYTES`].
    pub fn from_der(der: &[u8]) -> Result<OcspResponse, Error> {
        if der.len() > MAX_OCSP_BYTES {
            return Err(bad("response too large"));
        }
        let (outer, rest) = expect(der, 0x30, OBJ)?;
        if !rest.is_empty() {
            return Err(bad("trailing data"));
        }
        let (status, rest) = expect(outer.content, 0x0a, OBJ)?;
        if status.content != [0] {
            return Err(bad("responseStatus is not successful"));
        }
        let (rb, _) = expect(rest, 0xa0, OBJ)?;
        let (rb, _) = expect(rb.content, 0x30, OBJ)?;
        let (rtype, rest) = expect(rb.content, 0x06, OBJ)?;
        if oid_string(rtype.content) != BASIC {
            return Err(bad("not a basic OCSP response"));
        }
        let (octets, _) = expect(rest, 0x04, OBJ)?;
        let (basic, _) = expect(octets.content, 0x30, OBJ)?;
        let (tbs, rest) = expect(basic.content, 0x30, OBJ)?;
        let (alg, rest) = expect(rest, 0x30, OBJ)?;
        let (sig, rest) = expect(rest, 0x03, OBJ)?;
        let (alg_oid, alg_rest) = expect(alg.content, 0x06, OBJ)?;
        let sig_alg = SigAlg::from_oid(
            &oid_string(alg_oid.content),
            if alg_rest.is_empty() {
                None
            } else {
                Some(alg_rest)
            },
        );
        let signature = sig
            .content
            .split_first()
            .map(|(_, s)| s.to_vec())
            .ok_or_else(|| bad("empty signature"))?;
        let mut certs = Vec::new();
        if !rest.is_empty() {
            let (c0, _) = expect(rest, 0xa0, OBJ)?;
            let (seq, _) = expect(c0.content, 0x30, OBJ)?;
            let mut r = seq.content;
            while !r.is_empty() && certs.len() < 16 {
                let (c, rr) = read_tlv(r, OBJ)?;
                r = rr;
                if c.raw.len() > MAX_CERT_BYTES {
                    return Err(bad("responder certificate too large"));
                }
                certs.push(Certificate::from_der(c.raw)?);
            }
        }
        // ResponseData
        let mut r = tbs.content;
        let (mut first, rr) = read_tlv(r, OBJ)?;
        r = rr;
        if first.tag == 0xa0 {
            let (f, rr) = read_tlv(r, OBJ)?;
            first = f;
            r = rr;
        }
        let responder = match first.tag {
            0xa1 => ResponderId::ByName(first.content.to_vec()),
            0xa2 => ResponderId::ByKey(expect(first.content, 0x04, OBJ)?.0.content.to_vec()),
            _ => return Err(bad("bad responderID")),
        };
        let (_produced, rr) = expect(r, 0x18, OBJ)?;
        let (list, _) = expect(rr, 0x30, OBJ)?;
        let mut responses = Vec::new();
        let mut r = list.content;
        while !r.is_empty() {
            if responses.len() >= MAX_NAMES {
                return Err(bad("too many single responses"));
            }
            let (single, rr) = expect(r, 0x30, OBJ)?;
            r = rr;
            responses.push(single_response(single.content)?);
        }
        Ok(OcspResponse {
            tbs: tbs.raw.to_vec(),
            sig_alg,
            signature,
            responder,
            responses,
            certs,
        })
    }
}

fn single_response(input: &[u8]) -> Result<SingleResponse, Error> {
    let (cert_id, rest) = expect(input, 0x30, OBJ)?;
    let (alg, r) = expect(cert_id.content, 0x30, OBJ)?;
    let (hash_oid, _) = expect(alg.content, 0x06, OBJ)?;
    let (name_hash, r) = expect(r, 0x04, OBJ)?;
    let (key_hash, r) = expect(r, 0x04, OBJ)?;
    let (serial, _) = expect(r, 0x02, OBJ)?;
    let (st, rest) = read_tlv(rest, OBJ)?;
    let status = match st.tag {
        0x80 => CertStatus::Good,
        0xa1 => {
            let (t, r) = expect(st.content, 0x18, OBJ)?;
            let mut reason = 0;
            if !r.is_empty() {
                let (rc, _) = expect(r, 0xa0, OBJ)?;
                let (e, _) = expect(rc.content, 0x0a, OBJ)?;
                reason = e.content.first().copied().unwrap_or(0);
            }
            CertStatus::Revoked {
                at: generalized_time(t.content)?,
                reason,
            }
        }
        0x82 => CertStatus::Unknown,
        _ => return Err(bad("bad certStatus")),
    };
    let (this_update, rest) = expect(rest, 0x18, OBJ)?;
    let mut next_update = None;
    if let Ok((nu, _)) = expect(rest, 0xa0, OBJ) {
        let (t, _) = expect(nu.content, 0x18, OBJ)?;
        next_update = Some(generalized_time(t.content)?);
    }
    Ok(SingleResponse {
        hash_oid: oid_string(hash_oid.content),
        name_hash: name_hash.content.to_vec(),
        key_hash: key_hash.content.to_vec(),
        serial: strip_int(serial.content).to_vec(),
        status,
        this_update: generalized_time(this_update.content)?,
        next_update,
    })
}

fn digest(oid: &str, data: &[u8]) -> Option<Vec<u8>> {
    let md = match oid {
        "1.3.14.3.2.26" => openssl::hash::MessageDigest::sha1(),
        "2.16.840.1.101.3.4.2.1" => openssl::hash::MessageDigest::sha256(),
        "2.16.840.1.101.3.4.2.2" => openssl::hash::MessageDigest::sha384(),
        "2.16.840.1.101.3.4.2.3" => openssl::hash::MessageDigest::sha512(),
        "1.2.156.10197.1.401" => openssl::hash::MessageDigest::from_name("SM3")?,
        _ => return None,
    };
    openssl::hash::hash(md, data).ok().map(|d| d.to_vec())
}

/// The status of certificate `id` (issued by `issuer`) according to the supplied OCSP responses.
pub(crate) fn status(run: &Run<'_>, id: usize, issuer: usize) -> Status {
    let x = run.cert(id);
    let ca = run.cert(issuer);
    let at = run.opts.at;
    let mut why: Option<Error> = None;
    for resp in &run.rev.ocsp {
        for single in &resp.responses {
            if single.serial != x.serial
                || digest(&single.hash_oid, &ca.subject.der).as_deref()
                    != Some(&single.name_hash[..])
                || digest(&single.hash_oid, &ca.key_point).as_deref() != Some(&single.key_hash[..])
            {
                continue;
            }
            let Some(responder) = responder_ok(run, resp, issuer) else {
                why = Some(Error::RevocationUnknown {
                    subject: x.subject.display().to_owned(),
                    detail:
                        "the OCSP response is not signed by the CA or a responder it authorised"
                            .into(),
                });
                continue;
            };
            // A response from the future is not usable; five minutes (or the grace, if longer) of
            // clock skew between responder and caller are tolerated.
            if single.this_update > at.saturating_add(run.opts.crl_grace_secs.max(300))
                && !run.opts.later_revocation_info
            {
                continue;
            }
            if let Some(nu) = single.next_update
                && nu.saturating_add(run.opts.crl_grace_secs) < at
            {
                why = Some(Error::CrlExpired {
                    subject: x.subject.display().to_owned(),
                    issuer: responder.clone(),
                    next_update: fmt_time(nu),
                });
                continue;
            }
            match single.status {
                CertStatus::Good => return Status::Good(format!("ocsp:{responder}")),
                CertStatus::Revoked { at: when, reason } if when <= at => {
                    return Status::Revoked(Error::Revoked {
                        subject: x.subject.display().to_owned(),
                        serial: hex::encode(&x.serial),
                        reason: reason_name(reason).to_owned(),
                        revoked_at: fmt_time(when),
                        source_kind: "ocsp",
                    });
                }
                CertStatus::Revoked { .. } => {
                    return Status::Good(format!("ocsp:{responder} (revoked later)"));
                }
                CertStatus::Unknown => {
                    why = Some(Error::RevocationUnknown {
                        subject: x.subject.display().to_owned(),
                        detail: format!(
                            "the OCSP responder {responder} does not know the certificate"
                        ),
                    });
                }
            }
        }
    }
    Status::Undetermined(why.unwrap_or_else(|| Error::RevocationUnknown {
        subject: x.subject.display().to_owned(),
        detail: "no OCSP response covers it".into(),
    }))
}

/// Checks the response's signature: by the CA itself, or by a delegated responder certificate
/// (included in the response) that the CA issued for OCSP signing and that is valid now. Returns
/// the responder's name.
fn responder_ok(run: &Run<'_>, resp: &OcspResponse, issuer: usize) -> Option<String> {
    let ca = run.cert(issuer);
    let signed = |key: &crate::algorithms::VerifyKey, name: &str| {
        run.spend_signature()
            && verify_signature(
                &resp.sig_alg,
                key,
                &resp.tbs,
                &resp.signature,
                &Signed {
                    object: OBJ,
                    subject: name,
                    issuer: name,
                },
            )
            .is_ok()
    };
    let matches_id = |c: &Certificate| match &resp.responder {
        ResponderId::ByName(der) => c.subject.der == *der,
        ResponderId::ByKey(h) => digest("1.3.14.3.2.26", &c.key_point).as_deref() == Some(&h[..]),
    };
    if matches_id(ca) && signed(run.key(issuer), ca.subject.display()) {
        return Some(ca.subject.display().to_owned());
    }
    for r in &resp.certs {
        if !matches_id(r)
            || r.issuer.key != ca.subject.key
            || !r
                .ext
                .eku
                .as_ref()
                .is_some_and(|e| e.iter().any(|o| o == KP_OCSP_SIGNING))
            || run.opts.at < r.not_before
            || run.opts.at > r.not_after
        {
            continue;
        }
        let ok_issued = run.spend_signature()
            && verify_signature(
                &r.sig_alg,
                run.key(issuer),
                &r.tbs,
                &r.signature,
                &Signed {
                    object: "certificate",
                    subject: r.subject.display(),
                    issuer: ca.subject.display(),
                },
            )
            .is_ok();
        if !ok_issued {
            continue;
        }
        let key = r.verify_key(run.v.sm2_ids.for_signer(&r.subject));
        if signed(&key, r.subject.display()) {
            return Some(r.subject.display().to_owned());
        }
    }
    None
}
