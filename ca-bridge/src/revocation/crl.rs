//! CRL processing (RFC 5280 6.3): distribution points and issuing distribution points, reason
//! scoping, indirect CRLs, delta CRLs, CRL signers that are not on the path, and nextUpdate.
//!
//! Why this module exists: CRL applicability is a dense set of matching rules, kept in one place.

use crate::Error;
use crate::algorithms::{Signed, verify_signature};
use crate::error::fmt_time;
use crate::name::{GName, Name};
use crate::parse::{ALL_REASONS, Crl, DistPoint, DpName, Idp, ku};
use crate::path_builder::Run;
use crate::revocation::{Status, reason_name};

/// The removeFromCRL reason: only meaningful in delta CRLs.
const REMOVE_FROM_CRL: u8 = 8;

/// The status of certificate `id` (issued by `issuer`) according to the supplied CRLs.
pub(crate) fn status(
    run: &Run<'_>,
    id: usize,
    issuer: usize,
    anchor: usize,
    nesting: usize,
) -> Status {
    let x = run.cert(id);
    let at = run.opts.at;
    let grace = run.opts.crl_grace_secs;
    let implicit = [DistPoint {
        name: None,
        reasons: None,
        crl_issuer: None,
    }];
    let dps: &[DistPoint] = x.ext.crl_dps.as_deref().unwrap_or(&implicit);
    let mut reasons_mask: u16 = 0;
    let mut stale: Option<Error> = None;
    let mut sources: Vec<String> = Vec::new();
    let mut why = String::from("no CRL covers it");
    for dp in dps {
        for (ci, crl) in run.rev.crls.iter().enumerate() {
            if reasons_mask == ALL_REASONS {
                break;
            }
            if crl.delta_base.is_some() {
                continue;
            }
            if !in_scope(crl, dp, x, &x.issuer) {
                continue;
            }
            let interim = crl
                .idp
                .as_ref()
                .and_then(|i| i.only_some_reasons)
                .unwrap_or(ALL_REASONS)
                & dp.reasons.unwrap_or(ALL_REASONS);
            if interim & !reasons_mask == 0 {
                continue;
            }
            if let Some(oid) = &crl.unknown_critical {
                why = format!("a covering CRL has the unknown critical extension {oid}");
                continue;
            }
            if crl.this_update > at && !run.opts.later_revocation_info {
                why = "the covering CRL is not yet valid".into();
                continue;
            }
            let Some(signer) = find_signer(run, ci, crl, issuer, anchor, nesting) else {
                why = format!("no valid signer for the CRL of {}", crl.issuer.display());
                continue;
            };
            if let Some(nu) = crl.next_update
                && nu.saturating_add(grace) < at
            {
                stale = Some(Error::CrlExpired {
                    subject: x.subject.display().to_owned(),
                    issuer: crl.issuer.display().to_owned(),
                    next_update: fmt_time(nu),
                });
                continue;
            }
            // Delta CRLs: same issuer and scope, based on this CRL or an older one, same signer.
            let mut delta_entry: Option<(u8, i64)> = None;
            let mut delta_stale = false;
            for (di, d) in run.rev.crls.iter().enumerate() {
                let Some(base) = &d.delta_base else { continue };
                if d.issuer.key != crl.issuer.key || !same_scope(d.idp.as_ref(), crl.idp.as_ref()) {
                    continue;
                }
                let (Some(num), Some(dnum)) = (&crl.number, &d.number) else {
                    continue;
                };
                if cmp_int(base, num) == std::cmp::Ordering::Greater
                    || cmp_int(dnum, num) != std::cmp::Ordering::Greater
                {
                    continue;
                }
                if d.unknown_critical.is_some()
                    || (d.this_update > at && !run.opts.later_revocation_info)
                    || !crl_signed_by(run, di, d, signer)
                {
                    continue;
                }
                if let Some(nu) = d.next_update
                    && nu.saturating_add(grace) < at
                {
                    delta_stale = true;
                    stale = Some(Error::CrlExpired {
                        subject: x.subject.display().to_owned(),
                        issuer: d.issuer.display().to_owned(),
                        next_update: fmt_time(nu),
                    });
                    continue;
                }
                if let Some(e) = find_entry(d, x, at) {
                    delta_entry = Some(e);
                }
            }
            if delta_stale {
                continue;
            }
            let entry = match delta_entry {
                Some((REMOVE_FROM_CRL, _)) => None,
                Some(e) => Some(e),
                None => find_entry(crl, x, at).filter(|(r, _)| *r != REMOVE_FROM_CRL),
            };
            if let Some((reason, date)) = entry {
                return Status::Revoked(Error::Revoked {
                    subject: x.subject.display().to_owned(),
                    serial: hex::encode(&x.serial),
                    reason: reason_name(reason).to_owned(),
                    revoked_at: fmt_time(date),
                    source_kind: "crl",
                });
            }
            reasons_mask |= interim;
            sources.push(format!("crl:{}", crl.issuer.display()));
        }
    }
    if reasons_mask == ALL_REASONS {
        sources.dedup();
        return Status::Good(sources.join(" "));
    }
    Status::Undetermined(stale.unwrap_or_else(|| Error::RevocationUnknown {
        subject: x.subject.display().to_owned(),
        detail: if reasons_mask != 0 {
            "the supplied CRLs do not cover every revocation reason".into()
        } else {
            why
        },
    }))
}

/// Finds `x` on `crl`: (reason, revocation date). Entries dated after the validation time do not
/// count (the certificate was not yet revoked then).
fn find_entry(crl: &Crl, x: &crate::parse::Certificate, at: i64) -> Option<(u8, i64)> {
    crl.entries
        .iter()
        .find(|e| {
            e.serial == x.serial
                && e.date <= at
                && match &e.cert_issuer {
                    None => crl.issuer.key == x.issuer.key,
                    Some(names) => names
                        .iter()
                        .any(|g| matches!(g, GName::Dir(n) if n.key == x.issuer.key)),
                }
        })
        .map(|e| (e.reason, e.date))
}

fn cmp_int(a: &[u8], b: &[u8]) -> std::cmp::Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

fn same_scope(a: Option<&Idp>, b: Option<&Idp>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => {
            a.name == b.name
                && a.only_user == b.only_user
                && a.only_ca == b.only_ca
                && a.only_attr == b.only_attr
                && a.only_some_reasons == b.only_some_reasons
                && a.indirect == b.indirect
        }
        _ => false,
    }
}

/// The full names of a distribution point name; a relative name is appended to `base`.
fn full_names(n: &DpName, base: &Name) -> Vec<GName> {
    match n {
        DpName::Full(v) => v.clone(),
        DpName::Relative(rdn) => vec![GName::Dir(base.with_rdn(rdn))],
    }
}

/// RFC 5280 6.3.3 (b): does `crl` apply to certificate `x` through distribution point `dp`?
fn in_scope(crl: &Crl, dp: &DistPoint, x: &crate::parse::Certificate, cert_issuer: &Name) -> bool {
    let indirect = crl.idp.as_ref().is_some_and(|i| i.indirect);
    // (b)(1): the CRL issuer.
    match &dp.crl_issuer {
        Some(names) => {
            if !indirect
                || !names
                    .iter()
                    .any(|g| matches!(g, GName::Dir(n) if n.key == crl.issuer.key))
            {
                return false;
            }
        }
        None => {
            if crl.issuer.key != cert_issuer.key {
                return false;
            }
        }
    }
    // (b)(2): the issuing distribution point.
    if let Some(idp) = &crl.idp {
        if let Some(idp_name) = &idp.name {
            let idp_names = full_names(idp_name, &crl.issuer);
            let dp_names: Vec<GName> = match (&dp.name, &dp.crl_issuer) {
                (Some(n), _) => {
                    let base = dp
                        .crl_issuer
                        .as_ref()
                        .and_then(|v| {
                            v.iter().find_map(|g| match g {
                                GName::Dir(n) => Some(n.clone()),
                                _ => None,
                            })
                        })
                        .unwrap_or_else(|| cert_issuer.clone());
                    full_names(n, &base)
                }
                (None, Some(ci)) => ci.clone(),
                (None, None) => Vec::new(),
            };
            if !idp_names
                .iter()
                .any(|a| dp_names.iter().any(|b| a.matches(b)))
            {
                return false;
            }
        }
        if idp.only_user && x.is_ca() {
            return false;
        }
        if idp.only_ca && !x.is_ca() {
            return false;
        }
        if idp.only_attr {
            return false;
        }
    }
    true
}

/// Is `crl` (index `ci`) signed by certificate `signer`? Cached.
fn crl_signed_by(run: &Run<'_>, ci: usize, crl: &Crl, signer: usize) -> bool {
    if let Some(&r) = run.crl_sig_cache.borrow().get(&(ci, signer)) {
        return r;
    }
    let ok = run.spend_signature()
        && verify_signature(
            &crl.sig_alg,
            run.key(signer),
            &crl.tbs,
            &crl.signature,
            &Signed {
                object: "crl",
                subject: crl.issuer.display(),
                issuer: run.cert(signer).subject.display(),
            },
        )
        .is_ok();
    run.crl_sig_cache.borrow_mut().insert((ci, signer), ok);
    ok
}

/// RFC 5280 6.3.3 (f): a certificate that signed `crl`, may sign CRLs, and chains to `anchor`.
/// The certificate's own issuer on the path is tried first; any supplied certificate of the CRL
/// issuer's name can serve.
fn find_signer(
    run: &Run<'_>,
    ci: usize,
    crl: &Crl,
    issuer: usize,
    anchor: usize,
    nesting: usize,
) -> Option<usize> {
    let may_sign_crls = |id: usize| {
        run.is_anchor(id)
            || run
                .cert(id)
                .ext
                .key_usage
                .is_none_or(|k| k & ku::CRL_SIGN != 0)
    };
    let issuer_cert = run.cert(issuer);
    if issuer_cert.subject.key == crl.issuer.key
        && may_sign_crls(issuer)
        && crl_signed_by(run, ci, crl, issuer)
    {
        return Some(issuer);
    }
    let cands = run.v.by_subject.get(&crl.issuer.key)?;
    for &cand in cands {
        if cand == issuer || !may_sign_crls(cand) || !run.spend() {
            continue;
        }
        if run.is_anchor(cand) && cand != anchor {
            continue;
        }
        if !crl_signed_by(run, ci, crl, cand) {
            continue;
        }
        if cand == anchor || run.in_progress.borrow().contains(&cand) {
            return Some(cand);
        }
        run.in_progress.borrow_mut().push(cand);
        let ok = run.validate_signer(cand, anchor, nesting + 1).is_ok();
        run.in_progress.borrow_mut().pop();
        if ok {
            return Some(cand);
        }
    }
    None
}
