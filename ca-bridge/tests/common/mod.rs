//! Helpers shared by the integration tests.
#![allow(dead_code, unreachable_pub, missing_docs)]

use std::path::{Path, PathBuf};

use ca_bridge::{Certificate, Crl, decode_pem_or_der};

pub mod pki;
pub mod sig;

pub fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn blobs(path: &Path) -> Vec<Vec<u8>> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    decode_pem_or_der(&bytes)
        .expect("PEM or DER")
        .into_iter()
        .map(|(_, d)| d)
        .collect()
}

pub fn cert(path: &Path) -> Certificate {
    Certificate::from_der(&blobs(path)[0]).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub fn crl(path: &Path) -> Crl {
    Crl::from_der(&blobs(path)[0]).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Unix seconds of an RFC 3339 time.
pub fn t(s: &str) -> i64 {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .expect("RFC 3339")
        .unix_timestamp()
}
