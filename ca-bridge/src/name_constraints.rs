//! Name constraints (RFC 5280 4.2.1.10 and 6.1.3 b, c): directory names, email addresses, DNS
//! names, URIs and IP addresses.
//!
//! Why this module exists: constraints are checked per constraining CA (a name must fall inside
//! every CA's permitted subtrees of its form and outside all excluded ones), which is equivalent to
//! the RFC's intersection and union of subtrees and much simpler to get right. Name forms this
//! validator cannot evaluate are refused when a CA constrains that form.

use crate::Error;
use crate::name::GName;
use crate::parse::{Certificate, NameConstraints};

/// Checks every certificate of `path` (anchor's child first) against the constraints of the CAs
/// above it. Self-issued intermediates are exempt (6.1.3 b).
pub(crate) fn check(path: &[&Certificate]) -> Result<(), Error> {
    let n = path.len();
    for i in 1..n {
        let cert = path[i];
        if cert.self_issued && i + 1 != n {
            continue;
        }
        let names = names_of(cert);
        for ca in &path[..i] {
            if let Some(nc) = &ca.ext.name_constraints {
                for name in &names {
                    if !allowed(nc, name) {
                        return Err(Error::NameConstraints {
                            subject: cert.subject.display().to_owned(),
                            name: name.describe(),
                        });
                    }
                }
            }
        }
    }
    Ok(())
}

/// The names a certificate is bound to: its subject DN (unless empty), the emailAddress values of
/// its subject, and its subjectAltName entries.
fn names_of(cert: &Certificate) -> Vec<GName> {
    let mut v = Vec::new();
    if !cert.subject.is_empty() {
        v.push(GName::Dir(cert.subject.clone()));
    }
    if cert.ext.san.is_empty() {
        v.extend(cert.subject.emails().map(|e| GName::Email(e.to_owned())));
    } else {
        // RFC 5280 4.2.1.10: emailAddress in the subject must be checked as rfc822Name too.
        v.extend(cert.subject.emails().map(|e| GName::Email(e.to_owned())));
        v.extend(cert.ext.san.iter().cloned());
    }
    v
}

/// Same form as the constraint?
fn same_form(a: &GName, b: &GName) -> bool {
    std::mem::discriminant(a) == std::mem::discriminant(b)
        && match (a, b) {
            (GName::Other(x), GName::Other(y)) => x == y,
            _ => true,
        }
}

fn allowed(nc: &NameConstraints, name: &GName) -> bool {
    if nc
        .excluded
        .iter()
        .any(|c| same_form(c, name) && within(name, c) != Some(false))
    {
        return false;
    }
    let permitted: Vec<&GName> = nc.permitted.iter().filter(|c| same_form(c, name)).collect();
    permitted.is_empty() || permitted.iter().any(|c| within(name, c) == Some(true))
}

/// Is `name` inside the subtree `base`? `None` when it cannot be evaluated (treated as a match for
/// exclusions and a non-match for permissions: fail closed both ways).
fn within(name: &GName, base: &GName) -> Option<bool> {
    match (name, base) {
        (GName::Dir(n), GName::Dir(b)) => Some(n.starts_with(b)),
        (GName::Dns(n), GName::Dns(b)) => Some(dns_within(n, b)),
        (GName::Email(n), GName::Email(b)) => email_within(n, b),
        (GName::Uri(n), GName::Uri(b)) => uri_host(n).map(|h| host_within(&h, b)),
        (GName::Ip(n), GName::Ip(b)) => ip_within(n, b),
        _ => None,
    }
}

fn dns_within(name: &str, base: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    let base = base.trim_end_matches('.').to_ascii_lowercase();
    if base.is_empty() {
        return true;
    }
    if let Some(b) = base.strip_prefix('.') {
        return name.ends_with(&format!(".{b}"));
    }
    name == base || name.ends_with(&format!(".{base}"))
}

fn email_within(name: &str, base: &str) -> Option<bool> {
    let (local, host) = name.rsplit_once('@')?;
    if base.contains('@') {
        // A particular mailbox: local part exact, host case-insensitive.
        let (bl, bh) = base.rsplit_once('@')?;
        return Some(local == bl && host.eq_ignore_ascii_case(bh));
    }
    Some(host_within(host, base))
}

/// Host matching for email and URI constraints: `.example.com` means any host below it,
/// `example.com` means exactly that host.
fn host_within(host: &str, base: &str) -> bool {
    let host = host.to_ascii_lowercase();
    let base = base.to_ascii_lowercase();
    if base.starts_with('.') {
        host.ends_with(&base)
    } else {
        host == base
    }
}

/// The host part of a URI (RFC 3986 authority without userinfo and port); `None` without one.
fn uri_host(uri: &str) -> Option<String> {
    let (_, rest) = uri.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if let Some(stripped) = host_port.strip_prefix('[') {
        stripped.split(']').next()?
    } else {
        host_port.split(':').next()?
    };
    if host.is_empty() {
        None
    } else {
        Some(host.to_owned())
    }
}

fn ip_within(ip: &[u8], base: &[u8]) -> Option<bool> {
    if base.len() != ip.len() * 2 {
        return Some(false);
    }
    let (addr, mask) = base.split_at(ip.len());
    Some(
        ip.iter()
            .zip(addr)
            .zip(mask)
            .all(|((i, a), m)| i & m == a & m),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_subtrees() {
        assert!(dns_within("a.example.com", "example.com"));
        assert!(dns_within("example.com", "example.com"));
        assert!(!dns_within("badexample.com", "example.com"));
        assert!(!dns_within("example.com", ".example.com"));
    }

    #[test]
    fn email_and_uri_subtrees() {
        assert_eq!(email_within("a@x.example.com", ".example.com"), Some(true));
        assert_eq!(email_within("a@example.com", ".example.com"), Some(false));
        assert_eq!(email_within("a@example.com", "example.com"), Some(true));
        assert_eq!(email_within("b@example.com", "a@example.com"), Some(false));
        assert_eq!(
            uri_host("http://user@host.example.com:80/x").as_deref(),
            Some("host.example.com")
        );
        assert_eq!(uri_host("urn:isbn:123"), None);
    }
}
