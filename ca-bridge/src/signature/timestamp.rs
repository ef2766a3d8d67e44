//! RFC 3161 timestamp tokens over a signature value: decoding, the token's own signature, the
//! message imprint, and the timestamping authority's certificate at the token's time.
//!
//! Why this module exists: a valid timestamp moves the time at which the signer's certificate is
//! judged from "now" to the token's genTime, so that a signature made before a revocation stays
//! valid. That is only sound if every link holds, so each is checked here and any failure makes
//! the whole signature verdict `timestamp-untrusted` (a supplied but unusable timestamp is never
//! silently ignored):
//!
//! 1. the token is a SignedData (or a TimeStampResp with status granted, as `openssl ts -reply`
//!    writes) whose eContentType is id-ct-TSTInfo, with exactly one signer and signed attributes;
//! 2. the message imprint is the digest of the signature value it is meant to cover
//!    (`imprint-mismatch`), and genTime is not after the validation time plus
//!    [`TIMESTAMP_SKEW_SECS`] (`future`);
//! 3. the signer's certificate is found (token certificates, caller's chain, trusted TSA
//!    certificates), the ESS signing-certificate attribute names it (`signing-certificate`), the
//!    message digest matches the TSTInfo and the signature verifies;
//! 4. the certificate is valid at genTime for purpose `timestamping` (extendedKeyUsage exactly
//!    timeStamping, critical) under a trust list's `timestamping-authority` services or the
//!    caller's TSA anchors, with the caller's revocation data (revocation data published after
//!    genTime counts). The cause is then the certificate's own reason (`unknown-issuer`,
//!    `ca-not-recognised`, `revoked`, `key-usage`, ...).

use super::DigestAlgorithm;
use super::asn1::{self, oid};
use super::cms::{self, SignedMessage};
use super::scheme::cms_scheme;
use super::verdict::{DigestSummary, TimestampSummary};
use super::verify::{Message, verify_value};
use crate::der_limits::MAX_TIMESTAMP_BYTES;
use crate::error::fmt_time;
use crate::parse::Certificate;
use crate::trust_list::TrustOptions;
use crate::verdict::{Options, Purpose};
use crate::{DEFAULT_SM2_ID, Error, RevocationData, TrustListVerifier, Verdict, Verifier};

/// Seconds a token's genTime may lie after the validation time (clock skew between the TSA and
/// the verifier).
pub const TIMESTAMP_SKEW_SECS: i64 = 300;

/// Who is trusted to issue timestamps.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct TsaTrust<'a> {
    pub(crate) list: Option<&'a TrustListVerifier>,
    pub(crate) anchors: Option<&'a Verifier>,
}

/// What the caller brings besides the token.
pub(crate) struct TsaContext<'a> {
    pub(crate) trust: TsaTrust<'a>,
    pub(crate) chain: &'a [Certificate],
    pub(crate) revocation: &'a RevocationData,
    pub(crate) at: i64,
    pub(crate) crl_grace_secs: i64,
    pub(crate) soft_fail: bool,
}

fn untrusted(tsa: Option<&Certificate>, cause: &str, detail: impl Into<String>) -> Error {
    Error::TimestampUntrusted {
        tsa: tsa.map_or_else(
            || "unknown".to_owned(),
            |c| c.subject().display().to_owned(),
        ),
        cause: cause.to_owned(),
        detail: detail.into(),
    }
}

fn from(tsa: Option<&Certificate>, e: &Error) -> Error {
    untrusted(tsa, e.code(), e.to_string())
}

/// Decodes a token, or the token inside a TimeStampResp.
fn decode_token(bytes: &[u8]) -> Result<SignedMessage, Error> {
    if bytes.len() > MAX_TIMESTAMP_BYTES {
        return Err(Error::Malformed {
            object: "timestamp-token",
            detail: format!("{} bytes (limit {MAX_TIMESTAMP_BYTES})", bytes.len()),
        });
    }
    match cms::decode(bytes, "timestamp-token", MAX_TIMESTAMP_BYTES) {
        Ok(m) => Ok(m),
        Err(first) => {
            let Ok(resp) = asn1::from_ber::<asn1::TimeStampResp>(bytes) else {
                return Err(first);
            };
            let status = asn1::int_bytes(&resp.status.status);
            if !(status == [0] || status == [1]) {
                return Err(Error::Malformed {
                    object: "timestamp-token",
                    detail: format!(
                        "a TimeStampResp with status {} (not granted)",
                        hex::encode(status)
                    ),
                });
            }
            let token = resp.token.ok_or_else(|| Error::Malformed {
                object: "timestamp-token",
                detail: "a granted TimeStampResp without a token".into(),
            })?;
            let der = asn1::any_der(&token).map_err(|e| Error::Malformed {
                object: "timestamp-token",
                detail: e.to_string(),
            })?;
            cms::decode(&der, "timestamp-token", MAX_TIMESTAMP_BYTES)
        }
    }
}

/// GeneralizedTime text (`YYYYMMDDHHMMSS[.f+]Z`, RFC 3161 2.4.2) to Unix seconds; fractions are
/// dropped.
fn gen_time(text: &[u8]) -> Option<i64> {
    let s = std::str::from_utf8(text).ok()?;
    let s = s.strip_suffix('Z')?;
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    if whole.len() != 14
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
        || frac.ends_with('0')
    {
        return None;
    }
    let n = |r: std::ops::Range<usize>| whole.get(r).and_then(|x| x.parse::<u32>().ok());
    let month = time::Month::try_from(u8::try_from(n(4..6)?).ok()?).ok()?;
    let date = time::Date::from_calendar_date(
        i32::try_from(n(0..4)?).ok()?,
        month,
        u8::try_from(n(6..8)?).ok()?,
    )
    .ok()?;
    let t = date
        .with_hms(
            u8::try_from(n(8..10)?).ok()?,
            u8::try_from(n(10..12)?).ok()?,
            u8::try_from(n(12..14)?).ok()?,
        )
        .ok()?;
    Some(t.assume_utc().unix_timestamp())
}

/// Checks `token` over `signature_value`; returns the summary for the verdict and, when the
/// token proves the time, genTime.
pub(crate) fn check(
    token: &[u8],
    signature_value: &[u8],
    ctx: &TsaContext<'_>,
) -> (TimestampSummary, Result<i64, Error>) {
    let mut summary = TimestampSummary {
        valid: false,
        time: None,
        tsa: None,
        tsa_certificate_sha256: None,
        service: None,
        serial: None,
        policy: None,
        imprint: None,
    };
    let result = check_into(token, signature_value, ctx, &mut summary);
    summary.valid = result.is_ok();
    (summary, result)
}

fn check_into(
    token: &[u8],
    signature_value: &[u8],
    ctx: &TsaContext<'_>,
    summary: &mut TimestampSummary,
) -> Result<i64, Error> {
    let msg = decode_token(token).map_err(|e| from(None, &e))?;
    let malformed = |d: &str| untrusted(None, "malformed", d.to_owned());
    if msg.econtent_type != asn1::oid_str(&oid::TST_INFO) {
        return Err(malformed(&format!(
            "eContentType {} is not id-ct-TSTInfo",
            msg.econtent_type
        )));
    }
    let content = msg
        .content
        .as_deref()
        .ok_or_else(|| malformed("the token carries no TSTInfo"))?;
    let tst: asn1::TstInfo =
        asn1::from_ber(content).map_err(|e| malformed(&format!("TSTInfo: {e}")))?;
    if asn1::int_bytes(&tst.version) != [1] {
        return Err(malformed("TSTInfo version is not 1"));
    }
    let time = gen_time(&tst.gen_time.0).ok_or_else(|| malformed("TSTInfo genTime"))?;
    summary.time = Some(fmt_time(time));
    summary.serial = Some(hex::encode(asn1::int_bytes(&tst.serial_number)));
    summary.policy = Some(asn1::oid_str(&tst.policy));
    let imprint_alg = DigestAlgorithm::from_oid(
        &asn1::oid_str(&tst.message_imprint.hash_algorithm.oid),
        "timestamp message imprint",
    )
    .map_err(|e| from(None, &e))?;
    let imprint = tst.message_imprint.hashed_message.as_bytes();
    summary.imprint = Some(DigestSummary {
        algorithm: imprint_alg.as_str(),
        value: hex::encode(imprint),
        over: "signature",
    });
    // The signer and its certificate.
    let signer = &msg.signer;
    let trusted_certs: Vec<&Certificate> = ctx
        .trust
        .list
        .iter()
        .flat_map(|l| l.trust_list().services())
        .filter(|s| s.kind == crate::ServiceType::TimestampingAuthority)
        .flat_map(|s| s.certificate.iter().chain(&s.intermediates))
        .chain(ctx.trust.anchors.iter().flat_map(|v| v.certificates()))
        .collect();
    let tsa = msg
        .certificates
        .iter()
        .chain(ctx.chain)
        .chain(trusted_certs.iter().copied())
        .find(|c| signer.sid.matches(c))
        .cloned()
        .ok_or_else(|| {
            untrusted(
                None,
                "signer-not-found",
                format!("no certificate matches {}", signer.sid.describe()),
            )
        })?;
    let tsa_ref = Some(&tsa);
    summary.tsa = Some(tsa.subject().display().to_owned());
    summary.tsa_certificate_sha256 = Some(tsa.sha256_hex());
    if imprint_alg.digest(signature_value) != imprint {
        return Err(untrusted(
            tsa_ref,
            "imprint-mismatch",
            "the token's message imprint is not the digest of this signature value",
        ));
    }
    if time > ctx.at.saturating_add(TIMESTAMP_SKEW_SECS) {
        return Err(untrusted(
            tsa_ref,
            "future",
            format!(
                "genTime {} is after the validation time {}",
                fmt_time(time),
                fmt_time(ctx.at)
            ),
        ));
    }
    // The token's signature: signed attributes are required (ESS signing certificate).
    let attrs = signer
        .signed_attrs
        .as_ref()
        .ok_or_else(|| untrusted(tsa_ref, "malformed", "the token has no signed attributes"))?;
    let ess_ok = attrs.ess_cert_ids.as_ref().is_some_and(|ids| {
        ids.first().is_some_and(|(alg, hash)| {
            let h = match alg.as_str() {
                "1.3.14.3.2.26" => {
                    openssl::hash::hash(openssl::hash::MessageDigest::sha1(), tsa.der())
                        .map(|d| d.to_vec())
                        .unwrap_or_default()
                }
                other => DigestAlgorithm::from_oid(other, "ess")
                    .map(|a| a.digest(tsa.der()))
                    .unwrap_or_default(),
            };
            !h.is_empty() && h == *hash
        })
    });
    if !ess_ok {
        return Err(untrusted(
            tsa_ref,
            "signing-certificate",
            "the ESS signing-certificate attribute is missing or does not name the signer's certificate",
        ));
    }
    let digest_alg = DigestAlgorithm::from_oid(&signer.digest_alg_oid, tsa.subject().display())
        .map_err(|e| from(tsa_ref, &e))?;
    if attrs.content_type.as_deref() != Some(msg.econtent_type.as_str()) {
        return Err(untrusted(
            tsa_ref,
            "malformed",
            "the content-type attribute is not id-ct-TSTInfo",
        ));
    }
    let md = digest_alg.digest(content);
    if attrs.message_digest.as_deref() != Some(md.as_slice()) {
        return Err(untrusted(
            tsa_ref,
            "digest-mismatch",
            "the message-digest attribute is not the digest of the TSTInfo",
        ));
    }
    let scheme = cms_scheme(
        &signer.sig_alg_oid,
        signer.sig_alg_params.as_deref(),
        digest_alg,
        &tsa,
        "timestamp-token",
    )
    .map_err(|e| from(tsa_ref, &e))?;
    // The TSA's SM2 ID: its service's under a trust list, else the default.
    let sm2_id = ctx
        .trust
        .list
        .and_then(|l| {
            l.trust_list().services().iter().find(|s| {
                s.kind == crate::ServiceType::TimestampingAuthority
                    && s.certificate
                        .iter()
                        .chain(&s.intermediates)
                        .any(|c| c.subject().matching_key() == tsa.issuer().matching_key())
            })
        })
        .map_or(DEFAULT_SM2_ID, |s| s.sm2_id.as_str())
        .to_owned();
    let key = tsa.verify_key(&sm2_id);
    verify_value(
        &scheme,
        &key,
        &tsa,
        Message::Bytes(&attrs.der),
        &signer.signature,
    )
    .map_err(|e| from(tsa_ref, &e))?;
    // The TSA's certificate at genTime.
    let chain: Vec<Certificate> = msg
        .certificates
        .iter()
        .chain(ctx.chain)
        .filter(|c| c.der() != tsa.der())
        .cloned()
        .collect();
    let mut opts = Options::at(time);
    opts.purpose = Purpose::Timestamping;
    opts.later_revocation_info = true;
    opts.crl_grace_secs = ctx.crl_grace_secs;
    opts.soft_fail = ctx.soft_fail;
    let mut first_failure: Option<Verdict> = None;
    if let Some(list) = ctx.trust.list {
        let topts = TrustOptions {
            signing_time: Some(time),
            ..TrustOptions::default()
        };
        let verdict = list.verify(&tsa, &chain, ctx.revocation, &opts, &topts);
        summary.service = verdict.ca.clone();
        if verdict.valid {
            return Ok(time);
        }
        first_failure = Some(verdict);
    }
    if let Some(anchors) = ctx.trust.anchors {
        let owned = anchors.with_candidates(&chain);
        let verdict = owned
            .as_ref()
            .unwrap_or(anchors)
            .verify(&tsa, ctx.revocation, &opts);
        if verdict.valid {
            summary.service = None;
            return Ok(time);
        }
        if first_failure.is_none() {
            first_failure = Some(verdict);
        }
    }
    match first_failure.and_then(|v| v.error) {
        Some(e) => Err(from(tsa_ref, &e)),
        None => Err(untrusted(
            tsa_ref,
            "no-tsa-trusted",
            "no timestamping authority is trusted (no trust list and no TSA anchors)",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::gen_time;

    #[test]
    fn generalized_times() {
        assert_eq!(gen_time(b"20260215000000Z"), Some(1_771_113_600));
        assert_eq!(gen_time(b"20260215000000.5Z"), Some(1_771_113_600));
        assert_eq!(gen_time(b"20260215000000.50Z"), None);
        assert_eq!(gen_time(b"20260215000000"), None);
        assert_eq!(gen_time(b"20261315000000Z"), None);
        assert_eq!(gen_time(b"2026021500000Z"), None);
    }
}
