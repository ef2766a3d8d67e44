//! Path building: a depth-first search from the certificate to validate up to a trust anchor over
//! every supplied candidate, backtracking when a path fails, bounded by a maximum depth and a work
//! budget, and remembering the most specific failure.
//!
//! Why this module exists: with cross-certificates, key rollover and several CAs of the same name,
//! the first issuer that chains by name is often not the right one (RFC 4158). The search is kept
//! separate from the checks it runs on each complete path ([`crate::checks`], [`crate::policy`],
//! [`crate::name_constraints`], [`crate::revocation`]).

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use crate::Error;
use crate::algorithms::{Signed, VerifyKey, verify_signature};
use crate::error::keep_best;
use crate::parse::Certificate;
use crate::policy::PolicyInputs;
use crate::verdict::{Options, Purpose, RevocationEntry};
use crate::verifier::{RevocationData, Verifier};

/// Most nested CRL-signer path validations (a CRL signer whose own CRL has another signer...).
const MAX_NESTING: usize = 3;

/// A path that passed every check.
#[derive(Clone, Debug)]
pub(crate) struct Validated {
    pub(crate) anchor: usize,
    /// Certificate ids, the anchor's child first, the validated certificate last.
    pub(crate) path: Vec<usize>,
    pub(crate) policies: Vec<String>,
    pub(crate) revocation: Vec<RevocationEntry>,
}

/// What is being built: the leaf, its purpose, the anchor it must reach (CRL signers must chain to
/// the anchor of the path they serve) and the policy inputs.
struct Goal<'p> {
    purpose: Purpose,
    anchor: Option<usize>,
    policy: &'p PolicyInputs,
    nesting: usize,
}

/// The state of one validation: inputs, caches and budget counters. Lives for one
/// [`Verifier::verify`] call.
pub(crate) struct Run<'a> {
    pub(crate) v: &'a Verifier,
    pub(crate) ee: &'a Certificate,
    pub(crate) rev: &'a RevocationData,
    pub(crate) opts: &'a Options,
    /// The end entity's prepared key, only built if the end entity signs something.
    ee_key: std::cell::OnceCell<VerifyKey>,
    steps: Cell<usize>,
    signatures: Cell<usize>,
    sig_cache: RefCell<HashMap<(usize, usize), Result<(), Error>>>,
    pub(crate) crl_sig_cache: RefCell<HashMap<(usize, usize), bool>>,
    pub(crate) in_progress: RefCell<Vec<usize>>,
}

impl<'a> Run<'a> {
    pub(crate) fn new(
        v: &'a Verifier,
        ee: &'a Certificate,
        rev: &'a RevocationData,
        opts: &'a Options,
    ) -> Run<'a> {
        Run {
            v,
            ee,
            rev,
            opts,
            ee_key: std::cell::OnceCell::new(),
            steps: Cell::new(0),
            signatures: Cell::new(0),
            sig_cache: RefCell::new(HashMap::new()),
            crl_sig_cache: RefCell::new(HashMap::new()),
            in_progress: RefCell::new(Vec::new()),
        }
    }

    /// The id of the certificate being validated.
    pub(crate) fn ee_id(&self) -> usize {
        self.v.certs.len()
    }

    pub(crate) fn cert(&self, id: usize) -> &Certificate {
        self.v.certs.get(id).unwrap_or(self.ee)
    }

    pub(crate) fn key(&self, id: usize) -> &VerifyKey {
        self.v.keys.get(id).unwrap_or_else(|| {
            self.ee_key.get_or_init(|| {
                self.ee
                    .verify_key(self.v.sm2_ids.for_signer(&self.ee.subject))
            })
        })
    }

    pub(crate) fn is_anchor(&self, id: usize) -> bool {
        id < self.v.n_anchors
    }

    /// Candidate issuers of `id`, by name; those whose subjectKeyIdentifier matches the
    /// authorityKeyIdentifier come first, anchors before intermediates.
    pub(crate) fn issuers_of(&self, id: usize) -> Vec<usize> {
        let c = self.cert(id);
        let mut cands: Vec<usize> = self
            .v
            .by_subject
            .get(&c.issuer.key)
            .cloned()
            .unwrap_or_default();
        if let Some(aki) = &c.ext.aki {
            cands.sort_by_key(|&i| (self.cert(i).ext.ski.as_ref() != Some(aki), i));
        }
        cands
    }

    /// Counts one unit of work; false once the budget is used up.
    pub(crate) fn spend(&self) -> bool {
        self.steps.set(self.steps.get() + 1);
        self.steps.get() <= self.opts.max_steps
    }

    pub(crate) fn budget_error(&self) -> Error {
        Error::BudgetExceeded {
            steps: self.steps.get(),
        }
    }

    /// Counts one signature verification; false once that budget is used up.
    pub(crate) fn spend_signature(&self) -> bool {
        self.signatures.set(self.signatures.get() + 1);
        self.signatures.get() <= self.opts.max_signatures
    }

    /// Does `issuer`'s key verify `child`'s signature? Cached per pair.
    fn signed_by(&self, child: usize, issuer: usize) -> Result<(), Error> {
        if let Some(r) = self.sig_cache.borrow().get(&(child, issuer)) {
            return r.clone();
        }
        if !self.spend_signature() {
            return Err(self.budget_error());
        }
        let c = self.cert(child);
        let i = self.cert(issuer);
        let r = verify_signature(
            &c.sig_alg,
            self.key(issuer),
            &c.tbs,
            &c.signature,
            &Signed {
                object: "certificate",
                subject: c.subject.display(),
                issuer: i.subject.display(),
            },
        );
        self.sig_cache
            .borrow_mut()
            .insert((child, issuer), r.clone());
        r
    }

    /// Validates the end-entity certificate with the caller's options.
    pub(crate) fn validate_end_entity(&self) -> Result<Validated, Error> {
        let goal = Goal {
            purpose: self.opts.purpose,
            anchor: None,
            policy: &self.opts.policy,
            nesting: 0,
        };
        let r = self.build(self.ee_id(), &goal);
        // A search cut short says so: a valid path might have existed beyond the budget.
        match r {
            Err(_) if self.exhausted() => Err(self.budget_error()),
            r => r,
        }
    }

    fn exhausted(&self) -> bool {
        self.steps.get() > self.opts.max_steps || self.signatures.get() > self.opts.max_signatures
    }

    /// Validates a CRL (or OCSP) signer certificate to the given anchor.
    pub(crate) fn validate_signer(
        &self,
        id: usize,
        anchor: usize,
        nesting: usize,
    ) -> Result<Validated, Error> {
        if nesting > MAX_NESTING {
            return Err(Error::PathTooLong {
                max_depth: self.opts.max_depth,
            });
        }
        let policy = PolicyInputs::default();
        let goal = Goal {
            purpose: Purpose::CrlSigning,
            anchor: Some(anchor),
            policy: &policy,
            nesting,
        };
        self.build(id, &goal)
    }

    fn build(&self, leaf: usize, goal: &Goal<'_>) -> Result<Validated, Error> {
        let mut chain = vec![leaf];
        let mut best = None;
        if let Some(v) = self.extend(&mut chain, goal, &mut best) {
            return Ok(v);
        }
        Err(best.unwrap_or_else(|| {
            let c = self.cert(leaf);
            Error::UnknownIssuer {
                subject: c.subject.display().to_owned(),
                issuer: c.issuer.display().to_owned(),
            }
        }))
    }

    /// Extends `chain` (leaf first) by one issuer, depth first.
    fn extend(
        &self,
        chain: &mut Vec<usize>,
        goal: &Goal<'_>,
        best: &mut Option<Error>,
    ) -> Option<Validated> {
        let &current = chain.last()?;
        if !self.spend() {
            keep_best(best, self.budget_error());
            return None;
        }
        let cands = self.issuers_of(current);
        if cands.is_empty() {
            let c = self.cert(current);
            keep_best(
                best,
                Error::UnknownIssuer {
                    subject: c.subject.display().to_owned(),
                    issuer: c.issuer.display().to_owned(),
                },
            );
            return None;
        }
        let mut tried_any = false;
        for cand in cands {
            let anchor = self.is_anchor(cand);
            // Anchors end the path, so they cannot start a loop; other repeats are skipped.
            if chain.contains(&cand) || (!anchor && self.repeats_key(chain, cand)) {
                continue;
            }
            if anchor && goal.anchor.is_some_and(|a| a != cand) {
                continue;
            }
            if !anchor && chain.len() >= self.opts.max_depth {
                keep_best(
                    best,
                    Error::PathTooLong {
                        max_depth: self.opts.max_depth,
                    },
                );
                continue;
            }
            if !self.spend() {
                keep_best(best, self.budget_error());
                return None;
            }
            tried_any = true;
            if let Err(e) = self.signed_by(current, cand) {
                keep_best(best, e);
                continue;
            }
            if anchor {
                let path: Vec<usize> = chain.iter().rev().copied().collect();
                match self.check_path(cand, &path, goal) {
                    Ok(v) => return Some(v),
                    Err(e) => keep_best(best, e),
                }
            } else {
                chain.push(cand);
                if let Some(v) = self.extend(chain, goal, best) {
                    return Some(v);
                }
                chain.pop();
            }
        }
        if !tried_any {
            let c = self.cert(current);
            keep_best(
                best,
                Error::UnknownIssuer {
                    subject: c.subject.display().to_owned(),
                    issuer: c.issuer.display().to_owned(),
                },
            );
        }
        None
    }

    /// RFC 4158 loop rule: a certificate with the same subject and key as one already on the
    /// chain would only repeat it.
    fn repeats_key(&self, chain: &[usize], cand: usize) -> bool {
        let c = self.cert(cand);
        chain
            .iter()
            .any(|&id| self.cert(id).subject.key == c.subject.key && self.cert(id).spki == c.spki)
    }

    /// Every check of RFC 5280 6.1 on a complete path, then revocation.
    fn check_path(
        &self,
        anchor: usize,
        path: &[usize],
        goal: &Goal<'_>,
    ) -> Result<Validated, Error> {
        let certs: Vec<&Certificate> = path.iter().map(|&id| self.cert(id)).collect();
        let key_errors: Vec<Option<Error>> = path
            .iter()
            .map(|&id| {
                self.cert(id)
                    .key_info
                    .error(self.cert(id).subject.display())
            })
            .collect();
        crate::checks::basic(&certs, &key_errors, self.opts.at, goal.purpose)?;
        crate::name_constraints::check(&certs)?;
        let policies = crate::policy::process(&certs, goal.policy)?;
        let revocation = crate::revocation::check_path(self, anchor, path, goal.nesting)?;
        Ok(Validated {
            anchor,
            path: path.to_vec(),
            policies,
            revocation,
        })
    }
}
