//! The one error type of the crate.
//!
//! Why this module exists: every way a certificate can fail validation is named here once, with a
//! stable kebab-case reason code that scripts and the gateway match on, the context that explains the
//! failure, and a rank so that, when several candidate paths fail, the most specific failure wins.

use std::fmt;

/// Why a certificate, a path or an input was rejected.
///
/// Each variant has a stable reason code ([`Error::code`]) and carries the context that explains it.
/// Subjects and issuers are rendered distinguished names (`C=CN, O=..., CN=...`); times are RFC 3339.
/// Serialised (in the verdict's `error`) as an object whose `code` is [`Error::code`] and whose other
/// members are the variant's context fields.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, serde::Serialize)]
#[serde(tag = "code", rename_all = "kebab-case")]
pub enum Error {
    /// The input could not be decoded, breaks a documented input limit, or breaks a structural rule
    /// of X.509 (for example a TBS signature algorithm that differs from the outer one).
    #[error("malformed {object}: {detail}")]
    Malformed {
        /// What was being decoded: `certificate`, `crl`, `ocsp-response`, `pem`, ...
        object: &'static str,
        /// What is wrong with it.
        detail: String,
    },
    /// The validation time is after the certificate's notAfter.
    #[error("certificate {subject} expired at {not_after} (validation time {at})")]
    Expired {
        /// The certificate's subject.
        subject: String,
        /// Its notAfter.
        not_after: String,
        /// The validation time.
        at: String,
    },
    /// The validation time is before the certificate's notBefore.
    #[error("certificate {subject} is not valid before {not_before} (validation time {at})")]
    NotYetValid {
        /// The certificate's subject.
        subject: String,
        /// Its notBefore.
        not_before: String,
        /// The validation time.
        at: String,
    },
    /// The certificate is revoked by a CRL or an OCSP response.
    #[error(
        "certificate {subject} (serial {serial}) was revoked at {revoked_at} ({reason}) according to {source_kind}"
    )]
    Revoked {
        /// The certificate's subject.
        subject: String,
        /// Its serial number, hexadecimal.
        serial: String,
        /// The CRL reason (`unspecified`, `key-compromise`, ...).
        reason: String,
        /// The revocation time.
        revoked_at: String,
        /// `crl` or `ocsp`.
        source_kind: &'static str,
    },
    /// A signature does not verify with the issuer's key.
    #[error("the signature on {object} {subject} does not verify with the key of {issuer}")]
    BadSignature {
        /// `certificate`, `crl` or `ocsp-response`.
        object: &'static str,
        /// The signed object's subject (or a CRL's issuer).
        subject: String,
        /// The certificate whose key was tried.
        issuer: String,
    },
    /// No supplied certificate or trust anchor can have issued the certificate.
    #[error("no issuer found for {subject} (issuer name {issuer})")]
    UnknownIssuer {
        /// The certificate's subject.
        subject: String,
        /// The issuer name it carries.
        issuer: String,
    },
    /// Every path to an anchor is longer than the maximum depth.
    #[error("the path would be longer than the maximum depth of {max_depth} certificates")]
    PathTooLong {
        /// The maximum depth in force.
        max_depth: usize,
    },
    /// Path building used up its work budget before finding a valid path.
    #[error("path building stopped after {steps} steps (work budget)")]
    BudgetExceeded {
        /// The number of steps taken.
        steps: usize,
    },
    /// An issuing certificate is not a CA (basicConstraints absent or cA false).
    #[error("certificate {subject} issues certificates but is not a CA (basicConstraints)")]
    NotCa {
        /// The certificate's subject.
        subject: String,
    },
    /// A CA's pathLenConstraint is exceeded.
    #[error("certificate {subject} exceeds the path length constraint of an issuing CA")]
    PathLength {
        /// The subject of the certificate that exceeds the constraint.
        subject: String,
    },
    /// keyUsage or extendedKeyUsage does not allow the use.
    #[error("certificate {subject} may not be used for {usage}")]
    KeyUsage {
        /// The certificate's subject.
        subject: String,
        /// The use that was required (`keyCertSign`, `cRLSign`, `bid-signing`, ...).
        usage: String,
    },
    /// The certificate policy processing of RFC 5280 6.1 fails.
    #[error("certificate policy check failed at {subject}: {detail}")]
    Policy {
        /// The certificate at which processing failed.
        subject: String,
        /// Why.
        detail: String,
    },
    /// A name in the certificate violates a CA's name constraints.
    #[error("name {name} of {subject} violates name constraints")]
    NameConstraints {
        /// The certificate's subject.
        subject: String,
        /// The offending name.
        name: String,
    },
    /// The certificate has a critical extension this validator does not process.
    #[error("certificate {subject} has an unknown critical extension {oid}")]
    UnknownCriticalExtension {
        /// The certificate's subject.
        subject: String,
        /// The extension's OID.
        oid: String,
    },
    /// Revocation data was supplied, but it does not determine this certificate's status.
    #[error("revocation status of {subject} is unknown: {detail}")]
    RevocationUnknown {
        /// The certificate's subject.
        subject: String,
        /// What was missing.
        detail: String,
    },
    /// The only CRL (or OCSP response) that covers the certificate is past its nextUpdate (plus grace).
    #[error("revocation data for {subject} from {issuer} expired at {next_update}")]
    CrlExpired {
        /// The certificate's subject.
        subject: String,
        /// The CRL issuer or OCSP responder.
        issuer: String,
        /// The nextUpdate of the stale data.
        next_update: String,
    },
    /// No revocation data was supplied and the caller requires revocation checking.
    #[error("revocation was not checked: no CRL or OCSP response was supplied")]
    RevocationNotChecked,
    /// The signature algorithm or key is known but too weak (MD5, SHA-1, RSA below 2048 bits).
    #[error("{subject} uses the weak algorithm {algorithm}")]
    WeakAlgorithm {
        /// The certificate (or CRL issuer) concerned.
        subject: String,
        /// The algorithm or key size.
        algorithm: String,
    },
    /// The signature algorithm or key type is not supported (DSA, unknown OIDs, other curves).
    #[error("{subject} uses the unsupported algorithm {algorithm}")]
    UnsupportedAlgorithm {
        /// The certificate (or CRL issuer) concerned.
        subject: String,
        /// The algorithm OID or name.
        algorithm: String,
    },
    /// A trust list (or its signed envelope) cannot be decoded or breaks a rule of the format.
    #[error("malformed trust list: {detail}")]
    TrustListMalformed {
        /// What is wrong with it.
        detail: String,
    },
    /// A trust list was offered without a signature (a bare list, or an envelope without one).
    #[error("the trust list is not signed")]
    TrustListUnsigned,
    /// The envelope names the pinned signer's key, but the signature does not verify: the list was
    /// changed after signing (or the signature was).
    #[error(
        "the trust list signature does not verify with the pinned signer {signer}: the list was altered"
    )]
    TrustListBadSignature {
        /// The pinned signer's key id (`sha256:<hex of its SubjectPublicKeyInfo>`).
        signer: String,
    },
    /// The list was signed by another key than the pinned signer's.
    #[error("the trust list is signed by {found}, not by the pinned signer {expected}")]
    TrustListWrongSigner {
        /// The pinned signer's key id.
        expected: String,
        /// The key id the envelope names (unauthenticated).
        found: String,
    },
    /// The list's nextUpdate has passed at the given time.
    #[error("trust list {sequence} expired at its next update {next_update} (time {at})")]
    TrustListExpired {
        /// The list's sequence number.
        sequence: u64,
        /// Its next_update.
        next_update: String,
        /// The time of the check.
        at: String,
    },
    /// The list's sequence number is lower than the one already installed.
    #[error("trust list sequence {sequence} is older than the installed sequence {installed}")]
    TrustListOutdated {
        /// The offered list's sequence number.
        sequence: u64,
        /// The highest sequence installed.
        installed: u64,
    },
    /// The path ends at a trust-list service whose status history starts after the time that
    /// matters (or no recognised service of the right type exists).
    #[error("CA service {service} was not recognised at {at}")]
    CaNotRecognised {
        /// The service id.
        service: String,
        /// The time the status was judged at (signing time when known).
        at: String,
    },
    /// The path ends at a trust-list service that was suspended at the time that matters.
    #[error("CA service {service} was suspended from {since} (status judged at {at})")]
    CaSuspended {
        /// The service id.
        service: String,
        /// Start of the suspension.
        since: String,
        /// The time the status was judged at.
        at: String,
    },
    /// The path ends at a trust-list service that was withdrawn at the time that matters.
    #[error("CA service {service} was withdrawn from {since} (status judged at {at})")]
    CaWithdrawn {
        /// The service id.
        service: String,
        /// Start of the withdrawal.
        since: String,
        /// The time the status was judged at.
        at: String,
    },
    /// A certificate of the path is signed with an algorithm the trust list does not accept for
    /// the service.
    #[error("{subject} is signed with {algorithm}, not accepted for CA service {service}")]
    AlgorithmNotAccepted {
        /// The certificate concerned.
        subject: String,
        /// The algorithm, in trust-list spelling (`ecdsa-p256-sha256`, `sm2-sm3`, ...).
        algorithm: String,
        /// The service id.
        service: String,
    },
    /// A signature covers another content than the one supplied or attached: the digest of the
    /// content differs from the signed message digest (or, for a detached signature, from the
    /// digest the caller supplied). The content was altered, or is not the signed document.
    #[error(
        "the {algorithm} digest of the content is {computed}, the signature covers {signed}: the content was altered or is not the signed document"
    )]
    DigestMismatch {
        /// The digest algorithm.
        algorithm: String,
        /// The digest the signature covers (hex).
        signed: String,
        /// The digest of the content (hex).
        computed: String,
    },
    /// A signature value does not verify with the signer certificate's key: signed by another key,
    /// or (for signatures without signed attributes) over other content.
    #[error("the {algorithm} signature does not verify with the key of {signer}")]
    SignatureInvalid {
        /// The signer certificate's subject.
        signer: String,
        /// The signature algorithm (`rsa-pkcs1-sha256`, `ecdsa-p256-sha256`, `sm2-sm3`, ...).
        algorithm: String,
    },
    /// No supplied certificate matches a SignedData's signer identifier.
    #[error("no certificate matches the signer identifier {sid}")]
    SignerNotFound {
        /// The identifier: `issuer=<DN> serial=<hex>` or `ski=<hex>`.
        sid: String,
    },
    /// A well-formed signature this verifier does not handle (several signers, an SM2 signature
    /// without signed attributes whose content was not supplied, ...).
    #[error("unsupported signature: {detail}")]
    UnsupportedSignature {
        /// What is not supported.
        detail: String,
    },
    /// The signed content, or its digest by the signer's digest algorithm, is needed and was not
    /// supplied (a detached signature).
    #[error("the signed content is needed: {detail}")]
    ContentMissing {
        /// What was needed.
        detail: String,
    },
    /// A timestamp token was supplied but does not prove the signing time: it does not verify,
    /// covers another signature, or its authority is not recognised or its certificate is invalid
    /// at the timestamp's time.
    #[error("the timestamp from {tsa} is not trusted ({cause}): {detail}")]
    TimestampUntrusted {
        /// The timestamping authority's certificate subject (`unknown` when not found).
        tsa: String,
        /// The underlying reason code (`unknown-issuer`, `ca-not-recognised`, `imprint-mismatch`,
        /// `signature-invalid`, `future`, `malformed`, ...).
        cause: String,
        /// The underlying failure explained.
        detail: String,
    },
    /// A receipt (compact JWS) cannot be decoded or breaks a rule of the format.
    #[error("malformed receipt: {detail}")]
    ReceiptMalformed {
        /// What is wrong with it.
        detail: String,
    },
    /// A receipt names the given certificate, but its signature does not verify: it was altered.
    #[error(
        "the receipt signature does not verify with certificate {thumbprint}: the receipt was altered"
    )]
    ReceiptBadSignature {
        /// The certificate's `x5t#S256` thumbprint.
        thumbprint: String,
    },
    /// A receipt was signed under another certificate than the one given.
    #[error("the receipt names certificate {found}, not {expected}")]
    ReceiptWrongCertificate {
        /// The given certificate's `x5t#S256` thumbprint.
        expected: String,
        /// The thumbprint in the receipt's header (unauthenticated).
        found: String,
    },
    /// The holder's unified social credit code fails the GB 32100 check and the policy is strict.
    #[error("credit code {credit_code} of {subject} is {check}")]
    BadCreditCode {
        /// The certificate concerned.
        subject: String,
        /// The code as found (personal ID numbers masked).
        credit_code: String,
        /// `bad-check-digit`, `malformed` or `missing`.
        check: &'static str,
    },
}

impl Error {
    /// The stable kebab-case reason code, as printed in the verdict's `reason`.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Malformed { .. } => "malformed",
            Error::Expired { .. } => "expired",
            Error::NotYetValid { .. } => "not-yet-valid",
            Error::Revoked { .. } => "revoked",
            Error::BadSignature { .. } => "bad-signature",
            Error::UnknownIssuer { .. } => "unknown-issuer",
            Error::PathTooLong { .. } => "path-too-long",
            Error::BudgetExceeded { .. } => "budget-exceeded",
            Error::NotCa { .. } => "not-ca",
            Error::PathLength { .. } => "path-length",
            Error::KeyUsage { .. } => "key-usage",
            Error::Policy { .. } => "policy",
            Error::NameConstraints { .. } => "name-constraints",
            Error::UnknownCriticalExtension { .. } => "unknown-critical-extension",
            Error::RevocationUnknown { .. } => "revocation-unknown",
            Error::CrlExpired { .. } => "crl-expired",
            Error::RevocationNotChecked => "revocation-not-checked",
            Error::WeakAlgorithm { .. } => "weak-algorithm",
            Error::UnsupportedAlgorithm { .. } => "unsupported-algorithm",
            Error::TrustListMalformed { .. } => "trust-list-malformed",
            Error::TrustListUnsigned => "trust-list-unsigned",
            Error::TrustListBadSignature { .. } => "trust-list-bad-signature",
            Error::TrustListWrongSigner { .. } => "trust-list-wrong-signer",
            Error::TrustListExpired { .. } => "trust-list-expired",
            Error::TrustListOutdated { .. } => "trust-list-outdated",
            Error::CaNotRecognised { .. } => "ca-not-recognised",
            Error::CaSuspended { .. } => "ca-suspended",
            Error::CaWithdrawn { .. } => "ca-withdrawn",
            Error::AlgorithmNotAccepted { .. } => "algorithm-not-accepted",
            Error::BadCreditCode { .. } => "bad-credit-code",
            Error::DigestMismatch { .. } => "digest-mismatch",
            Error::SignatureInvalid { .. } => "signature-invalid",
            Error::SignerNotFound { .. } => "signer-not-found",
            Error::UnsupportedSignature { .. } => "unsupported-signature",
            Error::ContentMissing { .. } => "content-missing",
            Error::TimestampUntrusted { .. } => "timestamp-untrusted",
            Error::ReceiptMalformed { .. } => "receipt-malformed",
            Error::ReceiptBadSignature { .. } => "receipt-bad-signature",
            Error::ReceiptWrongCertificate { .. } => "receipt-wrong-certificate",
        }
    }

    /// How specific the failure is; when every candidate path fails, the error with the highest
    /// rank is reported.
    ///
    /// Not finding an issuer is the least specific (another candidate might have been the right
    /// one); running out of budget or depth comes next; a bad signature says a candidate was tried
    /// and refused; revocation problems and structural RFC 5280 failures follow; and a definite
    /// statement about the certificate itself (revoked, expired, malformed) ranks highest.
    ///
    /// Trust-list failures are decided after path validation (or about the list itself), never
    /// compete with path failures, and rank above them. Signature and receipt failures are about
    /// other objects than a certificate path and rank above everything (they never compete either:
    /// a signature verdict reports its checks in a fixed order, see [`crate::signature`]).
    pub fn rank(&self) -> u8 {
        match self {
            Error::UnknownIssuer { .. } => 0,
            Error::BudgetExceeded { .. } => 1,
            Error::PathTooLong { .. } => 2,
            Error::BadSignature { .. } => 3,
            Error::UnsupportedAlgorithm { .. } => 4,
            Error::WeakAlgorithm { .. } => 5,
            Error::RevocationNotChecked => 6,
            Error::RevocationUnknown { .. } => 7,
            Error::CrlExpired { .. } => 8,
            Error::NotCa { .. } | Error::PathLength { .. } => 9,
            Error::KeyUsage { .. } | Error::UnknownCriticalExtension { .. } => 10,
            Error::Policy { .. } => 11,
            Error::NameConstraints { .. } => 12,
            Error::NotYetValid { .. } | Error::Expired { .. } => 13,
            Error::Revoked { .. } => 14,
            Error::Malformed { .. } => 15,
            Error::AlgorithmNotAccepted { .. } => 16,
            Error::CaNotRecognised { .. }
            | Error::CaSuspended { .. }
            | Error::CaWithdrawn { .. }
            | Error::BadCreditCode { .. } => 17,
            Error::TrustListMalformed { .. }
            | Error::TrustListUnsigned
            | Error::TrustListBadSignature { .. }
            | Error::TrustListWrongSigner { .. }
            | Error::TrustListExpired { .. }
            | Error::TrustListOutdated { .. } => 18,
            Error::DigestMismatch { .. }
            | Error::SignatureInvalid { .. }
            | Error::SignerNotFound { .. }
            | Error::UnsupportedSignature { .. }
            | Error::ContentMissing { .. }
            | Error::TimestampUntrusted { .. }
            | Error::ReceiptMalformed { .. }
            | Error::ReceiptBadSignature { .. }
            | Error::ReceiptWrongCertificate { .. } => 19,
        }
    }
}

/// Keeps the better (higher-ranked) of two errors; on a tie the first one found stays.
pub(crate) fn keep_best(best: &mut Option<Error>, candidate: Error) {
    match best {
        Some(b) if b.rank() >= candidate.rank() => {}
        _ => *best = Some(candidate),
    }
}

/// Formats a Unix time as RFC 3339 (UTC), for error context and the verdict.
pub(crate) fn fmt_time(t: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(t)
        .ok()
        .and_then(|d| {
            d.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| t.to_string())
}

impl fmt::Display for crate::verdict::Purpose {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::Error;

    #[test]
    fn serialised_code_is_the_reason_code() {
        let s = |x: &str| x.to_owned();
        let all = [
            Error::Malformed {
                object: "crl",
                detail: s("d"),
            },
            Error::Expired {
                subject: s("s"),
                not_after: s("t"),
                at: s("t"),
            },
            Error::NotYetValid {
                subject: s("s"),
                not_before: s("t"),
                at: s("t"),
            },
            Error::Revoked {
                subject: s("s"),
                serial: s("01"),
                reason: s("r"),
                revoked_at: s("t"),
                source_kind: "crl",
            },
            Error::BadSignature {
                object: "crl",
                subject: s("s"),
                issuer: s("i"),
            },
            Error::UnknownIssuer {
                subject: s("s"),
                issuer: s("i"),
            },
            Error::PathTooLong { max_depth: 1 },
            Error::BudgetExceeded { steps: 1 },
            Error::NotCa { subject: s("s") },
            Error::PathLength { subject: s("s") },
            Error::KeyUsage {
                subject: s("s"),
                usage: s("u"),
            },
            Error::Policy {
                subject: s("s"),
                detail: s("d"),
            },
            Error::NameConstraints {
                subject: s("s"),
                name: s("n"),
            },
            Error::UnknownCriticalExtension {
                subject: s("s"),
                oid: s("1.2"),
            },
            Error::RevocationUnknown {
                subject: s("s"),
                detail: s("d"),
            },
            Error::CrlExpired {
                subject: s("s"),
                issuer: s("i"),
                next_update: s("t"),
            },
            Error::RevocationNotChecked,
            Error::WeakAlgorithm {
                subject: s("s"),
                algorithm: s("a"),
            },
            Error::UnsupportedAlgorithm {
                subject: s("s"),
                algorithm: s("a"),
            },
            Error::TrustListMalformed { detail: s("d") },
            Error::TrustListUnsigned,
            Error::TrustListBadSignature { signer: s("k") },
            Error::TrustListWrongSigner {
                expected: s("k"),
                found: s("j"),
            },
            Error::TrustListExpired {
                sequence: 1,
                next_update: s("t"),
                at: s("t"),
            },
            Error::TrustListOutdated {
                sequence: 1,
                installed: 2,
            },
            Error::CaNotRecognised {
                service: s("x"),
                at: s("t"),
            },
            Error::CaSuspended {
                service: s("x"),
                since: s("t"),
                at: s("t"),
            },
            Error::CaWithdrawn {
                service: s("x"),
                since: s("t"),
                at: s("t"),
            },
            Error::AlgorithmNotAccepted {
                subject: s("s"),
                algorithm: s("a"),
                service: s("x"),
            },
            Error::BadCreditCode {
                subject: s("s"),
                credit_code: s("c"),
                check: "bad-check-digit",
            },
            Error::DigestMismatch {
                algorithm: s("sha256"),
                signed: s("00"),
                computed: s("01"),
            },
            Error::SignatureInvalid {
                signer: s("s"),
                algorithm: s("a"),
            },
            Error::SignerNotFound { sid: s("ski=00") },
            Error::UnsupportedSignature { detail: s("d") },
            Error::ContentMissing { detail: s("d") },
            Error::TimestampUntrusted {
                tsa: s("t"),
                cause: s("revoked"),
                detail: s("d"),
            },
            Error::ReceiptMalformed { detail: s("d") },
            Error::ReceiptBadSignature { thumbprint: s("t") },
            Error::ReceiptWrongCertificate {
                expected: s("a"),
                found: s("b"),
            },
        ];
        let mut ranks = Vec::new();
        let mut codes = std::collections::HashSet::new();
        for e in &all {
            let json = serde_json::to_value(e).expect("serialises");
            assert_eq!(json["code"], e.code());
            assert!(codes.insert(e.code()), "duplicate code {}", e.code());
            ranks.push(e.rank());
        }
        assert_eq!(ranks.iter().max(), Some(&19));
    }
}
