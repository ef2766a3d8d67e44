//! Helpers for the signature and receipt tests: the demo PKI's bidders, TSA and trust list, a
//! sample bid, and the OpenSSL command line.
#![allow(dead_code, unreachable_pub, missing_docs)]

use std::path::{Path, PathBuf};
use std::process::Command;

use ca_bridge::signature::{
    CmsOptions, Content, SignatureOptions, SignatureVerdict, SignatureVerifier, SigningKey,
    TimestampAuthority, sign_cms,
};
use ca_bridge::{Certificate, RevocationData, TrustList, TrustListSigner, TrustListVerifier};

use super::{cert, crl, manifest_dir, t};

/// The validation time of the tests (the demo trust list is current then).
pub const AT: &str = "2026-11-30T00:00:00Z";
/// When the demo `revoked` certificates were revoked.
pub const REVOKED_AT: &str = "2026-03-01T00:00:00Z";

/// The sample bid every bidder signs.
pub const BID: &[u8] = "投标文件 / bid for tender YRD-2026-0042\n\
    bidder offers 12,345,678.00 CNY, completion in 180 days\n"
    .as_bytes();

pub const PROVINCES: [&str; 3] = ["shanghai", "jiangsu", "zhejiang"];

pub fn seeds() -> PathBuf {
    manifest_dir().join("../seeds")
}

pub fn pki(relative: &str) -> PathBuf {
    seeds().join("pki").join(relative)
}

pub fn bidder_path(province: &str, name: &str, ext: &str) -> PathBuf {
    pki(&format!("bidders/{province}/{name}.{ext}"))
}

pub fn bidder_cert(province: &str, name: &str) -> Certificate {
    cert(&bidder_path(province, name, "pem"))
}

pub fn key(path: &Path) -> SigningKey {
    SigningKey::from_pem(&std::fs::read(path).expect("key file")).expect("key")
}

pub fn bidder_key(province: &str, name: &str) -> SigningKey {
    key(&bidder_path(province, name, "key"))
}

/// The demo trust list, loaded at [`AT`].
pub fn demo_list() -> TrustListVerifier {
    let signer = TrustListSigner::new(cert(&pki("bridge-operator.pem"))).expect("signer");
    let bytes = std::fs::read(seeds().join("trust-list.json")).expect("signed list");
    TrustListVerifier::new(TrustList::load(&bytes, &signer, t(AT)).expect("demo list loads"))
}

/// Every demo CRL: each province's CRL and ARL, and the TSA root's CRL.
pub fn revocation() -> RevocationData {
    let mut crls = Vec::new();
    for p in PROVINCES {
        crls.push(crl(&bidder_path(p, "crl", "pem")));
        crls.push(crl(&bidder_path(p, "arl", "pem")));
    }
    crls.push(crl(&pki("tsa/crl.pem")));
    RevocationData {
        crls,
        ocsp: Vec::new(),
    }
}

/// The demo timestamping authority.
pub fn demo_tsa() -> TimestampAuthority {
    TimestampAuthority::new(
        key(&pki("tsa/tsa.key")),
        cert(&pki("tsa/tsa.pem")),
        "1.2.156.112562.1.1",
    )
    .expect("demo TSA")
}

/// `province`'s certificate `name` signs [`BID`] as CMS with `opts`.
pub fn sign(province: &str, name: &str, opts: &CmsOptions<'_>) -> Vec<u8> {
    sign_cms(
        BID,
        &bidder_key(province, name),
        &bidder_cert(province, name),
        opts,
    )
    .expect("signs")
}

/// Verifies CMS under the demo list with every demo CRL at [`AT`].
pub fn verify_cms(cms: &[u8], content: Option<Content<'_>>) -> SignatureVerdict {
    verify_cms_with(cms, content, &SignatureOptions::at(t(AT)))
}

pub fn verify_cms_with(
    cms: &[u8],
    content: Option<Content<'_>>,
    opts: &SignatureOptions<'_>,
) -> SignatureVerdict {
    let list = demo_list();
    SignatureVerifier::with_trust_list(&list).verify_cms(cms, content, &revocation(), opts)
}

/// Asserts a verdict's validity and reason, printing it on failure.
#[track_caller]
pub fn expect(verdict: &SignatureVerdict, reason: Option<&str>, what: &str) {
    assert_eq!(verdict.reason, reason, "{what}: {}", verdict.to_json());
    assert_eq!(verdict.valid, reason.is_none(), "{what}");
}

/// The lowercase hex SHA-256 that `seeds/pki/fingerprints.txt` lists for `relative`.
pub fn listed_fingerprint(relative: &str) -> String {
    let text = std::fs::read_to_string(pki("fingerprints.txt")).expect("fingerprints");
    text.lines()
        .find_map(|l| {
            let (fp, path) = l.split_once("  ")?;
            (path == relative).then(|| fp.to_owned())
        })
        .unwrap_or_else(|| panic!("{relative} is not in fingerprints.txt"))
}

/// Runs `openssl` with `args` in `dir`; panics with its output unless it succeeds.
pub fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the openssl binary runs");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Replaces the first occurrence of `from` in `bytes` with `to` (same length).
pub fn splice(bytes: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    assert_eq!(from.len(), to.len());
    let pos = bytes
        .windows(from.len())
        .position(|w| w == from)
        .expect("pattern present");
    let mut out = bytes.to_vec();
    out[pos..pos + to.len()].copy_from_slice(to);
    out
}
