//! Options in, verdict out: the types a caller of [`crate::Verifier::verify`] sees.
//!
//! Why this module exists: the verdict is a contract with scripts and the gateway (JSON with a
//! top-level `valid` and `reason`); keeping it in one small module makes changes to it visible.

use serde::Serialize;

use crate::Error;
use crate::policy::PolicyInputs;

/// What the end-entity certificate is to be used for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Purpose {
    /// Signing bids and documents: keyUsage, where present, must allow digitalSignature or
    /// nonRepudiation; extendedKeyUsage, where present, must include anyExtendedKeyUsage,
    /// clientAuth, emailProtection or documentSigning (1.3.6.1.5.5.7.3.36).
    BidSigning,
    /// No key usage requirement on the end entity.
    Any,
    /// A timestamping authority's certificate (RFC 3161 2.3): extendedKeyUsage present, critical
    /// and exactly id-kp-timeStamping; keyUsage, where present, must allow digitalSignature or
    /// nonRepudiation. Under a trust list, only `timestamping-authority` services are anchors.
    Timestamping,
    /// Internal: a CRL signer (keyUsage, where present, must allow cRLSign).
    CrlSigning,
}

impl Purpose {
    /// The CLI spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::BidSigning => "bid-signing",
            Purpose::Any => "any",
            Purpose::Timestamping => "timestamping",
            Purpose::CrlSigning => "crl-signing",
        }
    }
}

/// Default maximum number of certificates in a path, the trust anchor not counted.
///
/// Real Chinese and bridge-CA hierarchies are 2 to 5 deep; 10 leaves room for cross-certificates
/// while bounding the work one certificate can cause.
pub const DEFAULT_MAX_DEPTH: usize = 10;

/// Default work budget of path building: candidate issuer steps plus signature verifications, over
/// the whole validation (CRL signer paths included).
///
/// A legitimate validation takes tens of steps; 20 000 steps of at most one signature verification
/// each stay well under a second, while a hostile set of same-named issuers cannot make the
/// backtracking search exponential.
pub const DEFAULT_MAX_STEPS: usize = 20_000;

/// Most signature verifications per validation (they dominate the cost of a step).
pub const DEFAULT_MAX_SIGNATURES: usize = 500;

/// How to validate.
#[derive(Clone, Debug)]
pub struct Options {
    /// The validation time, Unix seconds (the library never reads the clock).
    pub at: i64,
    /// What the end entity is used for.
    pub purpose: Purpose,
    /// RFC 5280 6.1.1 policy inputs.
    pub policy: PolicyInputs,
    /// Maximum certificates in a path, anchor excluded ([`DEFAULT_MAX_DEPTH`]).
    pub max_depth: usize,
    /// Work budget ([`DEFAULT_MAX_STEPS`]).
    pub max_steps: usize,
    /// Signature budget ([`DEFAULT_MAX_SIGNATURES`]).
    pub max_signatures: usize,
    /// Seconds a CRL or OCSP response stays usable after its nextUpdate (default 0).
    pub crl_grace_secs: i64,
    /// When revocation data is supplied but does not determine a certificate's status, accept it
    /// anyway (recorded as `soft-fail` in the verdict).
    pub soft_fail: bool,
    /// Refuse the certificate when no revocation data was supplied at all.
    pub require_revocation: bool,
    /// Accept revocation data issued after `at` as evidence of the status at `at` (default
    /// false: such data is "not yet valid"). For judging a signature at its (timestamped) signing
    /// time: a CRL published after that time still says whether the certificate had been revoked
    /// by then, and entries dated after `at` never count.
    pub later_revocation_info: bool,
}

impl Options {
    /// Defaults at the given time: bid-signing, any policy, depth 10, no grace, hard-fail.
    pub fn at(at: i64) -> Options {
        Options {
            at,
            purpose: Purpose::BidSigning,
            policy: PolicyInputs::default(),
            max_depth: DEFAULT_MAX_DEPTH,
            max_steps: DEFAULT_MAX_STEPS,
            max_signatures: DEFAULT_MAX_SIGNATURES,
            crl_grace_secs: 0,
            soft_fail: false,
            require_revocation: false,
            later_revocation_info: false,
        }
    }
}

/// One certificate of the validated chain.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct ChainEntry {
    /// `end-entity`, `intermediate` or `anchor`.
    pub role: &'static str,
    /// Subject DN.
    pub subject: String,
    /// Issuer DN.
    pub issuer: String,
    /// Serial, hexadecimal.
    pub serial: String,
    /// Signature algorithm of the certificate.
    pub signature_algorithm: String,
    /// Public key type and size.
    pub key: String,
    /// notAfter, RFC 3339.
    pub not_after: String,
}

/// The revocation status of one certificate of the chain.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct RevocationEntry {
    /// Subject DN.
    pub subject: String,
    /// `good` or `soft-fail`.
    pub status: &'static str,
    /// Where the status came from (`crl:<issuer>`, `ocsp:<responder>`), or why it is unknown.
    pub source: String,
}

/// What was done about revocation.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct RevocationSummary {
    /// False when no CRL or OCSP response was supplied.
    pub checked: bool,
    /// One entry per certificate of the chain (anchor excluded) when checked.
    pub certificates: Vec<RevocationEntry>,
}

/// The result of a validation.
///
/// Serialises to JSON with a top-level `valid`, and when false a top-level `reason` (the
/// [`Error::code`]) and `detail`.
#[derive(Clone, Debug, Serialize)]
pub struct Verdict {
    /// True when a path to a trust anchor passed every check.
    pub valid: bool,
    /// The reason code on failure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
    /// The failure explained.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The validation time, RFC 3339.
    pub validation_time: String,
    /// The purpose checked.
    pub purpose: &'static str,
    /// The chain used, end entity first, anchor last (empty on failure).
    pub chain: Vec<ChainEntry>,
    /// The checks performed on the chain.
    pub checks: Vec<&'static str>,
    /// The user-constrained policy set (RFC 5280 6.1.6).
    pub policies: Vec<String>,
    /// Revocation status and its source.
    pub revocation: RevocationSummary,
    /// The error with its context (`code` plus the variant's fields), on failure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<Error>,
    /// Under a trust list: the province of the CA service the path ends at.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub province: Option<&'static str>,
    /// Under a trust list: the CA service the path ends at, with its status at the time that
    /// matters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ca: Option<crate::trust_list::CaRef>,
    /// Under a trust list: its sequence number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trust_list_sequence: Option<u64>,
    /// Under a trust list: who holds the certificate (personal ID numbers masked).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub holder: Option<crate::trust_list::Holder>,
}

impl Verdict {
    /// The verdict as a `Result`: `Ok(())` when valid.
    ///
    /// # Errors
    /// The reason the certificate is invalid.
    pub fn result(&self) -> Result<(), Error> {
        match &self.error {
            None => Ok(()),
            Some(e) => Err(e.clone()),
        }
    }

    /// The JSON text printed by the CLI.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|_| String::from("{\"valid\":false}"))
    }
}
