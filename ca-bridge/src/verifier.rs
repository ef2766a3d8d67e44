//! The entry point: a [`Verifier`] holds the trust anchors and candidate intermediates with their
//! keys prepared once; [`Verifier::verify`] validates one certificate at a given time.
//!
//! Why this module exists: it is the seam between the caller's inputs and the pure validation
//! machinery (path builder, checks, revocation); nothing here reads a clock, a file or a global.

use std::collections::HashMap;

use crate::algorithms::{DEFAULT_SM2_ID, VerifyKey};
use crate::error::fmt_time;
use crate::parse::{Certificate, Crl};
use crate::path_builder::Run;
use crate::verdict::{ChainEntry, Options, RevocationSummary, Verdict};
use crate::{Error, Name};

/// The path behind a valid verdict, for the trust-list layer.
#[derive(Clone, Debug)]
pub(crate) struct Trace {
    /// Index of the anchor, in the order given to [`Verifier::new`].
    pub(crate) anchor: usize,
    /// Each certificate below the anchor (anchor's child first): subject and signature algorithm
    /// in trust-list spelling.
    pub(crate) signed: Vec<(String, String)>,
}

/// SM2 distinguishing IDs: a default and per-CA exceptions (some CAs signed with an empty ID).
#[derive(Clone, Debug)]
pub struct Sm2Ids {
    /// The ID used for any SM2 signer not listed below (default `1234567812345678`).
    pub default: String,
    /// Exceptions keyed by the signer's subject name.
    pub per_issuer: Vec<(Name, String)>,
}

impl Default for Sm2Ids {
    fn default() -> Self {
        Sm2Ids {
            default: DEFAULT_SM2_ID.to_owned(),
            per_issuer: Vec::new(),
        }
    }
}

impl Sm2Ids {
    /// One ID for every signer.
    pub fn uniform(id: &str) -> Sm2Ids {
        Sm2Ids {
            default: id.to_owned(),
            per_issuer: Vec::new(),
        }
    }

    pub(crate) fn for_signer(&self, subject: &Name) -> &str {
        self.per_issuer
            .iter()
            .find(|(n, _)| n.key == subject.key)
            .map_or(self.default.as_str(), |(_, id)| id.as_str())
    }
}

/// Revocation data supplied by the caller.
#[derive(Clone, Debug, Default)]
pub struct RevocationData {
    /// CRLs (complete and delta), from any issuer.
    pub crls: Vec<Crl>,
    /// OCSP responses (DER), each for one or more certificates.
    pub ocsp: Vec<crate::revocation::ocsp::OcspResponse>,
}

impl RevocationData {
    /// True when no revocation data was supplied.
    pub fn is_empty(&self) -> bool {
        self.crls.is_empty() && self.ocsp.is_empty()
    }
}

/// Trust anchors and candidate certificates, with every issuer key prepared once.
///
/// Anchors are trusted as given: their name and key, nothing else. Intermediates are untrusted
/// candidates, for paths and as CRL or OCSP signers.
#[derive(Debug)]
pub struct Verifier {
    pub(crate) certs: Vec<Certificate>,
    pub(crate) keys: Vec<VerifyKey>,
    pub(crate) n_anchors: usize,
    pub(crate) by_subject: HashMap<String, Vec<usize>>,
    pub(crate) sm2_ids: Sm2Ids,
}

impl Verifier {
    /// Builds a verifier. Intermediates identical to an anchor or to another intermediate are
    /// dropped.
    pub fn new(
        anchors: Vec<Certificate>,
        intermediates: Vec<Certificate>,
        sm2_ids: Sm2Ids,
    ) -> Verifier {
        let n_anchors = anchors.len();
        let mut seen: std::collections::HashSet<Vec<u8>> =
            anchors.iter().map(|c| c.der.clone()).collect();
        let mut certs = anchors;
        for c in intermediates {
            if seen.insert(c.der.clone()) {
                certs.push(c);
            }
        }
        let keys = certs
            .iter()
            .map(|c| c.verify_key(sm2_ids.for_signer(&c.subject)))
            .collect();
        let mut by_subject: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, c) in certs.iter().enumerate() {
            by_subject.entry(c.subject.key.clone()).or_default().push(i);
        }
        Verifier {
            certs,
            keys,
            n_anchors,
            by_subject,
            sm2_ids,
        }
    }

    /// A verifier with the same anchors, intermediates and SM2 IDs plus the certificates of
    /// `extra` it does not hold yet, as further untrusted candidates; `None` when it holds them all
    /// (then `self` serves as is).
    pub(crate) fn with_candidates(&self, extra: &[Certificate]) -> Option<Verifier> {
        let new: Vec<&Certificate> = extra
            .iter()
            .filter(|c| !self.certs.iter().any(|k| k.der == c.der))
            .collect();
        if new.is_empty() {
            return None;
        }
        // The prepared keys are reused; only the new certificates' keys are prepared.
        let mut v = Verifier {
            certs: self.certs.clone(),
            keys: self.keys.clone(),
            n_anchors: self.n_anchors,
            by_subject: self.by_subject.clone(),
            sm2_ids: self.sm2_ids.clone(),
        };
        for c in new {
            if v.certs.iter().any(|k| k.der == c.der) {
                continue;
            }
            v.keys.push(c.verify_key(v.sm2_ids.for_signer(&c.subject)));
            v.by_subject
                .entry(c.subject.key.clone())
                .or_default()
                .push(v.certs.len());
            v.certs.push(c.clone());
        }
        Some(v)
    }

    /// Every certificate held: the anchors first, then the intermediates.
    pub(crate) fn certificates(&self) -> &[Certificate] {
        &self.certs
    }

    /// The SM2 distinguishing IDs in use.
    pub fn sm2_ids(&self) -> &Sm2Ids {
        &self.sm2_ids
    }

    /// Validates `ee` at `opts.at` with the supplied revocation data.
    pub fn verify(&self, ee: &Certificate, revocation: &RevocationData, opts: &Options) -> Verdict {
        self.verify_traced(ee, revocation, opts).0
    }

    /// [`Verifier::verify`], also returning the path found: the anchor's index (in the order the
    /// anchors were given) and, for each certificate below it (anchor's child first, `ee` last),
    /// its subject and its signature algorithm in trust-list spelling.
    pub(crate) fn verify_traced(
        &self,
        ee: &Certificate,
        revocation: &RevocationData,
        opts: &Options,
    ) -> (Verdict, Option<Trace>) {
        let run = Run::new(self, ee, revocation, opts);
        let outcome = run.validate_end_entity();
        let mut verdict = Verdict {
            valid: false,
            reason: None,
            detail: None,
            validation_time: fmt_time(opts.at),
            purpose: opts.purpose.as_str(),
            chain: Vec::new(),
            checks: Vec::new(),
            policies: Vec::new(),
            revocation: RevocationSummary {
                checked: !revocation.is_empty(),
                certificates: Vec::new(),
            },
            error: None,
            province: None,
            ca: None,
            trust_list_sequence: None,
            holder: None,
        };
        let mut trace = None;
        let result = outcome.and_then(|v| {
            if opts.require_revocation && revocation.is_empty() {
                Err(Error::RevocationNotChecked)
            } else {
                Ok(v)
            }
        });
        match result {
            Ok(v) => {
                verdict.valid = true;
                let mut ids: Vec<usize> = v.path.iter().rev().copied().collect();
                ids.push(v.anchor);
                for (pos, id) in ids.iter().enumerate() {
                    let c = run.cert(*id);
                    let role = if pos == 0 {
                        "end-entity"
                    } else if pos + 1 == ids.len() {
                        "anchor"
                    } else {
                        "intermediate"
                    };
                    verdict.chain.push(ChainEntry {
                        role,
                        subject: c.subject.display().to_owned(),
                        issuer: c.issuer.display().to_owned(),
                        serial: c.serial_hex(),
                        signature_algorithm: c.sig_alg.name(),
                        key: c.key_info.desc.clone(),
                        not_after: fmt_time(c.not_after),
                    });
                }
                verdict.checks = crate::checks::CHECKS.to_vec();
                if !revocation.is_empty() {
                    verdict.checks.push("revocation");
                }
                verdict.policies = v.policies;
                verdict.revocation.certificates = v.revocation;
                let mut issuer = v.anchor;
                let mut signed = Vec::new();
                for &id in &v.path {
                    let c = run.cert(id);
                    let by = run.cert(issuer);
                    signed.push((
                        c.subject.display().to_owned(),
                        c.sig_alg.trust_list_name(by.key_curve.as_deref()),
                    ));
                    issuer = id;
                }
                trace = Some(Trace {
                    anchor: v.anchor,
                    signed,
                });
            }
            Err(e) => {
                verdict.reason = Some(e.code());
                verdict.detail = Some(e.to_string());
                verdict.error = Some(e);
            }
        }
        (verdict, trace)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn verifier_can_be_shared_between_threads() {
        fn shareable<T: Send + Sync>() {}
        shareable::<super::Verifier>();
        shareable::<super::RevocationData>();
        shareable::<crate::Verdict>();
    }
}
