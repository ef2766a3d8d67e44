//! Validation under a trust list: anchors, intermediates, SM2 IDs from the list; then the list's
//! rules on the path found (service status at the time that matters, accepted algorithms and
//! policies) and the holder's identity (name, credit code with its GB 32100 check).
//!
//! Why this module exists: the RFC 5280 validator knows nothing of provinces, services or credit
//! codes; this layer turns its verdict into the mutual-recognition verdict the gateway serves.
//!
//! Order of the checks on a path that passed RFC 5280: the service's status at the status time
//! (`ca-not-recognised`, `ca-suspended`, `ca-withdrawn`), then the algorithms of every certificate
//! below the anchor (`algorithm-not-accepted`), then the service's policies (`policy`: the path's
//! user-constrained policy set must contain one of them), then, under
//! [`CreditCodePolicy::Strict`], the credit code (`bad-credit-code`).

use serde::Serialize;

use super::{Service, ServiceType, Status, TrustList, key_id};
use crate::credit_code::{CreditCodeCheck, extract_credit_code, holder_name};
use crate::error::fmt_time;
use crate::parse::Certificate;
use crate::verdict::{Options, Purpose, Verdict};
use crate::verifier::{RevocationData, Sm2Ids, Verifier};
use crate::{Error, Name};

/// What a bad credit code does to the verdict.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CreditCodePolicy {
    /// Reported in `holder.credit_code_check`; the verdict stays valid (the default: some legally
    /// issued pilot-era codes fail the check).
    #[default]
    Report,
    /// A code that is found but is `bad-check-digit` or `malformed` makes the verdict invalid
    /// (`bad-credit-code`). A missing code does not (personal certificates carry none).
    Strict,
}

/// Trust-list options, next to the path-validation [`Options`].
#[derive(Clone, Copy, Debug, Default)]
pub struct TrustOptions {
    /// The signing time when known (Unix seconds): service status is judged then. Otherwise it is
    /// judged at the validation time (`Options::at`).
    pub signing_time: Option<i64>,
    /// What a bad credit code does.
    pub credit_code: CreditCodePolicy,
}

/// The CA service a verdict is about.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CaRef {
    /// The service id.
    pub id: String,
    /// The service name.
    pub name: String,
    /// The service type.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Its status at `status_time`: `granted`, `suspended`, `withdrawn` or `not-recognised`.
    pub status: &'static str,
    /// Since when it had that status (absent for `not-recognised`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_since: Option<String>,
    /// The time the status was judged at (signing time when known, else validation time).
    pub status_time: String,
    /// False when the service was found from the certificate's issuer name only, because no
    /// valid path was built (then the verdict is invalid anyway).
    pub path_verified: bool,
}

/// The holder of a certificate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Holder {
    /// The subject's CN, else its O (personal ID numbers masked).
    pub name: Option<String>,
    /// The credit code by the CA's rules (personal ID numbers masked).
    pub credit_code: Option<String>,
    /// The GB 32100 check of `credit_code`.
    pub credit_code_check: CreditCodeCheck,
}

/// One verifier over a chosen set of services.
#[derive(Debug)]
struct Built {
    verifier: Verifier,
    /// The service index of each anchor, in anchor order.
    anchor_service: Vec<usize>,
    /// The service indices included.
    included: Vec<usize>,
}

/// A verifier built from a loaded [`TrustList`]: the gateway builds one per installed list and
/// shares it between threads.
#[derive(Debug)]
pub struct TrustListVerifier {
    list: TrustList,
    bid_signing: Built,
    timestamping: Built,
    any: Built,
}

fn build(list: &TrustList, include: &dyn Fn(&Service) -> bool, chain: &[Certificate]) -> Built {
    let mut anchors = Vec::new();
    let mut anchor_service = Vec::new();
    let mut intermediates = Vec::new();
    let mut ids = Sm2Ids::default();
    let mut included = Vec::new();
    let list_inters: Vec<&Certificate> = list
        .services()
        .iter()
        .flat_map(|s| s.intermediates.iter())
        .collect();
    for (i, s) in list.services().iter().enumerate() {
        if !include(s) {
            continue;
        }
        included.push(i);
        let mut push_anchor = |c: &Certificate, ids: &mut Sm2Ids| {
            ids.per_issuer.push((c.subject().clone(), s.sm2_id.clone()));
            anchors.push(c.clone());
            anchor_service.push(i);
        };
        match &s.certificate {
            Some(c) => push_anchor(c, &mut ids),
            // Identified by key only: any certificate of the list or the caller's chain with that
            // key is the anchor (its key is what is trusted).
            None => {
                for c in list_inters.iter().copied().chain(chain) {
                    if key_id(c) == s.key_id {
                        push_anchor(c, &mut ids);
                    }
                }
            }
        }
        for c in &s.intermediates {
            ids.per_issuer.push((c.subject().clone(), s.sm2_id.clone()));
            intermediates.push(c.clone());
        }
    }
    intermediates.extend(chain.iter().cloned());
    Built {
        verifier: Verifier::new(anchors, intermediates, ids),
        anchor_service,
        included,
    }
}

fn fail(verdict: &mut Verdict, e: Error) {
    verdict.valid = false;
    verdict.reason = Some(e.code());
    verdict.detail = Some(e.to_string());
    verdict.error = Some(e);
    verdict.chain.clear();
    verdict.checks.clear();
    verdict.policies.clear();
    verdict.revocation.certificates.clear();
}

fn same_name(a: &Name, b: &Name) -> bool {
    a.key == b.key
}

impl TrustListVerifier {
    /// Prepares the anchors and intermediates of every service of `list`.
    pub fn new(list: TrustList) -> TrustListVerifier {
        let bid_signing = build(&list, &|s| s.kind == ServiceType::BidderSigningCa, &[]);
        let timestamping = build(
            &list,
            &|s| s.kind == ServiceType::TimestampingAuthority,
            &[],
        );
        let any = build(&list, &|_| true, &[]);
        TrustListVerifier {
            list,
            bid_signing,
            timestamping,
            any,
        }
    }

    /// The list in use.
    pub fn trust_list(&self) -> &TrustList {
        &self.list
    }

    /// The sequence number of the list in use.
    pub fn sequence(&self) -> u64 {
        self.list.sequence()
    }

    /// Validates `ee` under the list. `chain` holds extra untrusted candidates sent by the caller
    /// (usually empty: the list's intermediates suffice). For purpose `bid-signing` only
    /// `bidder-signing-ca` services are anchors, for `timestamping` only `timestamping-authority`
    /// services; for `any`, every service is.
    ///
    /// The verdict is [`Verifier::verify`]'s, plus `province`, `ca`, `trust_list_sequence` and
    /// `holder`, and made invalid by the list's rules (see the module documentation).
    pub fn verify(
        &self,
        ee: &Certificate,
        chain: &[Certificate],
        revocation: &RevocationData,
        opts: &Options,
        topts: &TrustOptions,
    ) -> Verdict {
        let include_bid = |s: &Service| s.kind == ServiceType::BidderSigningCa;
        let include_tsa = |s: &Service| s.kind == ServiceType::TimestampingAuthority;
        let include_any = |_: &Service| true;
        let (prebuilt, include): (&Built, &dyn Fn(&Service) -> bool) = match opts.purpose {
            Purpose::BidSigning => (&self.bid_signing, &include_bid),
            Purpose::Timestamping => (&self.timestamping, &include_tsa),
            _ => (&self.any, &include_any),
        };
        // Certificates the list already has add nothing: the prepared verifier serves (the common
        // case of a caller sending the intermediates along). Anything new needs a fresh one.
        let known = |c: &Certificate| {
            self.list.services().iter().any(|s| {
                s.certificate
                    .iter()
                    .chain(&s.intermediates)
                    .any(|k| k.der() == c.der())
            })
        };
        let extra: Vec<Certificate> = chain.iter().filter(|c| !known(c)).cloned().collect();
        let owned;
        let built = if extra.is_empty() {
            prebuilt
        } else {
            owned = build(&self.list, include, &extra);
            &owned
        };
        let (mut verdict, trace) = built.verifier.verify_traced(ee, revocation, opts);
        verdict.trust_list_sequence = Some(self.list.sequence());
        let status_time = topts.signing_time.unwrap_or(opts.at);
        let services = self.list.services();
        // The service: from the path when one was found, else (for reporting only) by the name of
        // the certificate's issuer.
        let service_index = match &trace {
            Some(t) => built.anchor_service.get(t.anchor).copied(),
            None => built.included.iter().copied().find(|&i| {
                let s = &services[i];
                s.certificate
                    .iter()
                    .chain(&s.intermediates)
                    .any(|c| same_name(c.subject(), ee.issuer()))
            }),
        };
        let service = service_index.and_then(|i| services.get(i));
        let rules = service.map_or(&[][..], |s| s.credit_code_rules.as_slice());
        let (credit_code, credit_code_check) = extract_credit_code(ee, rules);
        verdict.holder = Some(Holder {
            name: holder_name(ee),
            credit_code: credit_code.clone(),
            credit_code_check,
        });
        let Some(service) = service else {
            return verdict;
        };
        let status = service.status_at(status_time);
        verdict.province = Some(service.province.as_str());
        verdict.ca = Some(CaRef {
            id: service.id.clone(),
            name: service.name.clone(),
            kind: service.kind.as_str(),
            status: status.map_or("not-recognised", |s| s.status.as_str()),
            status_since: status.map(|s| fmt_time(s.from)),
            status_time: fmt_time(status_time),
            path_verified: trace.is_some(),
        });
        let Some(trace) = trace else {
            return verdict;
        };
        if let Err(e) = self.list_rules(
            service,
            status_time,
            &trace.signed,
            &verdict,
            ee,
            credit_code,
            credit_code_check,
            topts,
        ) {
            fail(&mut verdict, e);
        }
        verdict
    }

    #[expect(clippy::too_many_arguments, reason = "one private call site")]
    fn list_rules(
        &self,
        service: &Service,
        status_time: i64,
        signed: &[(String, String)],
        verdict: &Verdict,
        ee: &Certificate,
        credit_code: Option<String>,
        check: CreditCodeCheck,
        topts: &TrustOptions,
    ) -> Result<(), Error> {
        let at = fmt_time(status_time);
        match service.status_at(status_time) {
            None => {
                return Err(Error::CaNotRecognised {
                    service: service.id.clone(),
                    at,
                });
            }
            Some(s) if s.status == Status::Suspended => {
                return Err(Error::CaSuspended {
                    service: service.id.clone(),
                    since: fmt_time(s.from),
                    at,
                });
            }
            Some(s) if s.status == Status::Withdrawn => {
                return Err(Error::CaWithdrawn {
                    service: service.id.clone(),
                    since: fmt_time(s.from),
                    at,
                });
            }
            Some(_) => {}
        }
        for (subject, alg) in signed {
            if !service.algorithms.iter().any(|a| a.as_str() == alg) {
                return Err(Error::AlgorithmNotAccepted {
                    subject: subject.clone(),
                    algorithm: alg.clone(),
                    service: service.id.clone(),
                });
            }
        }
        if !service.policies.is_empty()
            && !verdict
                .policies
                .iter()
                .any(|p| service.policies.contains(p))
        {
            return Err(Error::Policy {
                subject: ee.subject().display().to_owned(),
                detail: format!(
                    "none of the policies accepted for CA service {} ({}) is valid for the path (valid: {})",
                    service.id,
                    service.policies.join(", "),
                    if verdict.policies.is_empty() {
                        "none".to_owned()
                    } else {
                        verdict.policies.join(", ")
                    }
                ),
            });
        }
        if topts.credit_code == CreditCodePolicy::Strict
            && matches!(
                check,
                CreditCodeCheck::BadCheckDigit | CreditCodeCheck::Malformed
            )
        {
            return Err(Error::BadCreditCode {
                subject: ee.subject().display().to_owned(),
                credit_code: credit_code.unwrap_or_default(),
                check: check.as_str(),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn trust_list_types_can_be_shared_between_threads() {
        fn shareable<T: Send + Sync>() {}
        shareable::<super::TrustListVerifier>();
        shareable::<super::super::TrustList>();
        shareable::<super::super::TrustListSigner>();
    }
}
