//! Accepting a CRL into a store of revocation data, under a trust list.
//!
//! Why this module exists: a gateway keeps the CRLs it fetched or was sent, and must store only
//! CRLs that a recognised CA really issued. [`TrustList::accept_crl`] checks one CRL against the
//! list's CA certificates and intermediates (signature with the service's SM2 ID, cRLSign key
//! usage, freshness) and says which service issued it and what it covers, so the store can keep the
//! newest one per issuer and scope. Validation itself still re-checks every CRL it uses.

use crate::Error;
use crate::algorithms::{Signed, verify_signature};
use crate::error::fmt_time;
use crate::parse::{Crl, ku};
use crate::trust_list::{Province, TrustList};

/// Seconds a CRL's thisUpdate may lie in the future (clock skew between the CA and us).
pub const CRL_CLOCK_SKEW_SECS: i64 = 300;

/// A CRL that a recognised CA issued, with what a store needs to file it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AcceptedCrl {
    /// The id of the trust-list service whose certificate (or intermediate) signed it.
    pub service_id: String,
    /// That service's province.
    pub province: Province,
    /// The issuer name for display.
    pub issuer: String,
    /// The issuer's normalised name ([`crate::Name::matching_key`]).
    pub issuer_key: String,
    /// What the CRL covers ([`Crl::scope`]).
    pub scope: String,
    /// thisUpdate, Unix seconds.
    pub this_update: i64,
    /// nextUpdate, Unix seconds (a CRL without one is refused).
    pub next_update: i64,
    /// The cRLNumber in hex, when present.
    pub number: Option<String>,
}

impl TrustList {
    /// Checks that `crl` was issued by a CA of this list and is current at `now`.
    ///
    /// # Errors
    /// - [`Error::UnknownIssuer`]: no certificate of the list has the CRL's issuer name;
    /// - [`Error::BadSignature`]: none of those certificates' keys (with cRLSign usage) verifies it;
    /// - [`Error::CrlExpired`]: its nextUpdate has passed (or it has none);
    /// - [`Error::Malformed`]: it is a delta CRL, or its thisUpdate lies in the future;
    /// - [`Error::UnknownCriticalExtension`]: it has a critical extension validation cannot process;
    /// - [`Error::WeakAlgorithm`], [`Error::UnsupportedAlgorithm`]: signed with a refused algorithm.
    pub fn accept_crl(&self, crl: &Crl, now: i64) -> Result<AcceptedCrl, Error> {
        let issuer = crl.issuer().display().to_owned();
        if let Some(oid) = &crl.unknown_critical {
            return Err(Error::UnknownCriticalExtension {
                subject: format!("CRL of {issuer}"),
                oid: oid.clone(),
            });
        }
        if crl.is_delta() {
            return Err(Error::Malformed {
                object: "crl",
                detail: "delta CRLs are not stored; send the complete CRL".to_owned(),
            });
        }
        let candidates: Vec<_> = self
            .services()
            .iter()
            .flat_map(|s| {
                s.certificate
                    .iter()
                    .chain(&s.intermediates)
                    .map(move |c| (s, c))
            })
            .filter(|(_, c)| c.subject().matching_key() == crl.issuer().matching_key())
            .collect();
        if candidates.is_empty() {
            return Err(Error::UnknownIssuer {
                subject: format!("CRL of {issuer}"),
                issuer,
            });
        }
        let mut last_error = None;
        let mut signer = None;
        for (service, cert) in candidates {
            if cert.ext.key_usage.is_some_and(|k| k & ku::CRL_SIGN == 0) {
                continue;
            }
            let checked = verify_signature(
                &crl.sig_alg,
                &cert.verify_key(&service.sm2_id),
                &crl.tbs,
                &crl.signature,
                &Signed {
                    object: "crl",
                    subject: crl.issuer().display(),
                    issuer: cert.subject().display(),
                },
            );
            match checked {
                Ok(()) => {
                    signer = Some(service);
                    break;
                }
                Err(e) => last_error = Some(e),
            }
        }
        let Some(service) = signer else {
            return Err(last_error.unwrap_or(Error::BadSignature {
                object: "crl",
                subject: issuer.clone(),
                issuer: "no certificate of the list with the cRLSign key usage".to_owned(),
            }));
        };
        if crl.this_update() > now + CRL_CLOCK_SKEW_SECS {
            return Err(Error::Malformed {
                object: "crl",
                detail: format!(
                    "thisUpdate {} is in the future",
                    fmt_time(crl.this_update())
                ),
            });
        }
        let next_update = match crl.next_update() {
            Some(t) if t > now => t,
            other => {
                return Err(Error::CrlExpired {
                    subject: "the CRL itself".to_owned(),
                    issuer,
                    next_update: other.map_or_else(|| "(none)".to_owned(), fmt_time),
                });
            }
        };
        Ok(AcceptedCrl {
            service_id: service.id.clone(),
            province: service.province,
            issuer_key: crl.issuer().matching_key().to_owned(),
            issuer,
            scope: crl.scope(),
            this_update: crl.this_update(),
            next_update,
            number: crl.number_hex(),
        })
    }
}
