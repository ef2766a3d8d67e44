//! The per-path checks of RFC 5280 6.1.3-6.1.5 other than signatures, policies and name
//! constraints: validity, basic constraints and path length, key usage, extended key usage,
//! unknown critical extensions, key strength, and the purpose of the end entity.
//!
//! Why this module exists: these checks are simple and numerous; gathering them keeps the path
//! builder about search and this module about rules.

use crate::Error;
use crate::error::fmt_time;
use crate::parse::{Certificate, ku};
use crate::verdict::Purpose;

/// The checks every validated path passed, as listed in the verdict.
pub(crate) const CHECKS: &[&str] = &[
    "signatures",
    "validity",
    "name-chaining",
    "basic-constraints",
    "path-length",
    "key-usage",
    "extended-key-usage",
    "critical-extensions",
    "algorithms",
    "policies",
    "name-constraints",
];

const EKU_ANY: &str = "2.5.29.37.0";
const EKU_TIME_STAMPING: &str = "1.3.6.1.5.5.7.3.8";
const BID_SIGNING_EKUS: &[&str] = &[
    EKU_ANY,
    "1.3.6.1.5.5.7.3.2",
    "1.3.6.1.5.5.7.3.4",
    "1.3.6.1.5.5.7.3.36",
];

/// Runs the basic checks over `path` (the anchor's child first, end entity last). `key_errors`
/// gives, per certificate, the weak/unsupported key error if any.
pub(crate) fn basic(
    path: &[&Certificate],
    key_errors: &[Option<Error>],
    at: i64,
    purpose: Purpose,
) -> Result<(), Error> {
    let n = path.len();
    let mut max_path_length = n;
    for (idx, cert) in path.iter().enumerate() {
        let subject = || cert.subject.display().to_owned();
        if at < cert.not_before {
            return Err(Error::NotYetValid {
                subject: subject(),
                not_before: fmt_time(cert.not_before),
                at: fmt_time(at),
            });
        }
        if at > cert.not_after {
            return Err(Error::Expired {
                subject: subject(),
                not_after: fmt_time(cert.not_after),
                at: fmt_time(at),
            });
        }
        if let Some(oid) = cert.ext.unknown_critical.first() {
            return Err(Error::UnknownCriticalExtension {
                subject: subject(),
                oid: oid.clone(),
            });
        }
        if let Some(Some(e)) = key_errors.get(idx) {
            return Err(e.clone());
        }
        let last = idx + 1 == n;
        if !last {
            // 6.1.4 (k): an issuing certificate must be a CA.
            if !cert.is_ca() {
                return Err(Error::NotCa { subject: subject() });
            }
            // 6.1.4 (l), (m)
            if !cert.self_issued {
                if max_path_length == 0 {
                    return Err(Error::PathLength {
                        subject: path[idx + 1].subject.display().to_owned(),
                    });
                }
                max_path_length -= 1;
            }
            if let Some((_, Some(len))) = cert.ext.basic_constraints {
                max_path_length = max_path_length.min(len as usize);
            }
            // 6.1.4 (n)
            if let Some(k) = cert.ext.key_usage
                && k & ku::KEY_CERT_SIGN == 0
            {
                return Err(Error::KeyUsage {
                    subject: subject(),
                    usage: "keyCertSign".into(),
                });
            }
        } else {
            end_entity(cert, purpose)?;
        }
    }
    Ok(())
}

fn end_entity(cert: &Certificate, purpose: Purpose) -> Result<(), Error> {
    let fail = |usage: &str| {
        Err(Error::KeyUsage {
            subject: cert.subject.display().to_owned(),
            usage: usage.to_owned(),
        })
    };
    match purpose {
        Purpose::Any => Ok(()),
        Purpose::BidSigning => {
            if let Some(k) = cert.ext.key_usage
                && k & (ku::DIGITAL_SIGNATURE | ku::NON_REPUDIATION) == 0
            {
                return fail("bid-signing (keyUsage digitalSignature or nonRepudiation)");
            }
            if let Some(eku) = &cert.ext.eku
                && !eku.iter().any(|e| BID_SIGNING_EKUS.contains(&e.as_str()))
            {
                return fail("bid-signing (extendedKeyUsage)");
            }
            Ok(())
        }
        Purpose::Timestamping => {
            if let Some(k) = cert.ext.key_usage
                && k & (ku::DIGITAL_SIGNATURE | ku::NON_REPUDIATION) == 0
            {
                return fail("timestamping (keyUsage digitalSignature or nonRepudiation)");
            }
            match &cert.ext.eku {
                Some(eku)
                    if cert.ext.eku_critical && eku.len() == 1 && eku[0] == EKU_TIME_STAMPING =>
                {
                    Ok(())
                }
                _ => fail("timestamping (extendedKeyUsage: exactly timeStamping, critical)"),
            }
        }
        Purpose::CrlSigning => {
            if let Some(k) = cert.ext.key_usage
                && k & ku::CRL_SIGN == 0
            {
                return fail("cRLSign");
            }
            Ok(())
        }
    }
}
