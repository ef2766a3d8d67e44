//! Revocation checking over caller-supplied CRLs and OCSP responses.
//!
//! Why this module exists: it applies the crate's revocation rule. When any CRL or OCSP response is
//! supplied, every certificate of the path (the anchor excepted) must have a status the data
//! determines: good, or revoked (invalid). A status the data cannot determine is
//! `revocation-unknown` (or `crl-expired` when only stale data covers it) unless the caller allows
//! soft-fail. When nothing is supplied, nothing is checked and the verdict says so.

pub mod crl;
pub mod ocsp;

use crate::Error;
use crate::path_builder::Run;
use crate::verdict::RevocationEntry;

/// The status of one certificate according to the supplied data.
#[derive(Clone, Debug)]
pub(crate) enum Status {
    Good(String),
    Revoked(Error),
    Undetermined(Error),
}

/// Checks every certificate of `path` (anchor's child first); `anchor` issued `path[0]`.
pub(crate) fn check_path(
    run: &Run<'_>,
    anchor: usize,
    path: &[usize],
    nesting: usize,
) -> Result<Vec<RevocationEntry>, Error> {
    let mut out = Vec::new();
    if run.rev.is_empty() {
        return Ok(out);
    }
    for (i, &id) in path.iter().enumerate() {
        let issuer = if i == 0 { anchor } else { path[i - 1] };
        let subject = run.cert(id).subject.display().to_owned();
        let mut status = ocsp::status(run, id, issuer);
        if !matches!(status, Status::Good(_) | Status::Revoked(_)) {
            let crl_status = crl::status(run, id, issuer, anchor, nesting);
            status = match (status, crl_status) {
                (_, s @ (Status::Good(_) | Status::Revoked(_))) => s,
                (Status::Undetermined(a), Status::Undetermined(b)) => {
                    Status::Undetermined(if a.rank() > b.rank() { a } else { b })
                }
                (_, s) => s,
            };
        }
        match status {
            Status::Good(source) => out.push(RevocationEntry {
                subject,
                status: "good",
                source,
            }),
            Status::Revoked(e) => return Err(e),
            Status::Undetermined(e) => {
                if run.opts.soft_fail {
                    out.push(RevocationEntry {
                        subject,
                        status: "soft-fail",
                        source: e.to_string(),
                    });
                } else {
                    return Err(e);
                }
            }
        }
    }
    Ok(out)
}

/// The CRL reason name of a reason code (RFC 5280 5.3.1).
pub(crate) fn reason_name(code: u8) -> &'static str {
    match code {
        1 => "key-compromise",
        2 => "ca-compromise",
        3 => "affiliation-changed",
        4 => "superseded",
        5 => "cessation-of-operation",
        6 => "certificate-hold",
        8 => "remove-from-crl",
        9 => "privilege-withdrawn",
        10 => "aa-compromise",
        _ => "unspecified",
    }
}
