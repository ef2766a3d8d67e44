//! Replays the cargo-fuzz corpus (`fuzz/corpus/parse_and_verify/`) through the fuzz entry point as
//! an ordinary test: no input may panic, each must give a known reason code quickly.

mod common;

use std::time::{Duration, Instant};

const CODES: &[&str] = &[
    "valid",
    "malformed",
    "expired",
    "not-yet-valid",
    "revoked",
    "bad-signature",
    "unknown-issuer",
    "path-too-long",
    "budget-exceeded",
    "not-ca",
    "path-length",
    "key-usage",
    "policy",
    "name-constraints",
    "unknown-critical-extension",
    "revocation-unknown",
    "crl-expired",
    "revocation-not-checked",
    "weak-algorithm",
    "unsupported-algorithm",
];

#[test]
fn fuzz_corpus_replays_without_panics() {
    let dir = common::manifest_dir().join("fuzz/corpus/parse_and_verify");
    let mut results = std::collections::BTreeMap::new();
    for entry in std::fs::read_dir(&dir).expect("corpus directory") {
        let path = entry.expect("entry").path();
        let data = std::fs::read(&path).expect("corpus file");
        let start = Instant::now();
        let code = ca_bridge::fuzzing::parse_and_verify(&data);
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "{} took {:?}",
            path.display(),
            start.elapsed()
        );
        assert!(CODES.contains(&code), "{}: {code}", path.display());
        results.insert(
            path.file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
                .to_owned(),
            code,
        );
    }
    assert!(results.len() >= 13, "{results:?}");
    // Seeds with a known outcome.
    for (file, code) in [
        ("nrcac-root.pem", "valid"),
        ("rsa-pss-root.pem", "valid"),
        ("good-ca.der", "unknown-issuer"),
        ("truncated.der", "malformed"),
        ("lying-length.der", "malformed"),
        ("text.bin", "malformed"),
        ("empty.bin", "malformed"),
        ("short-pem.pem", "malformed"),
    ] {
        assert_eq!(results.get(file).copied(), Some(code), "{file}");
    }
}

/// A deterministic stand-in for a fuzzing session on stable: every corpus input with a few hundred
/// byte flips, insertions and truncations. No input may panic or give an unknown code.
#[test]
fn mutated_corpus_never_panics() {
    let dir = common::manifest_dir().join("fuzz/corpus/parse_and_verify");
    let mut seed: u64 = 0x05ee_dcab_1d9e;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut runs = 0;
    let start = Instant::now();
    for entry in std::fs::read_dir(&dir).expect("corpus directory") {
        let data = std::fs::read(entry.expect("entry").path()).expect("corpus file");
        if data.is_empty() {
            continue;
        }
        for _ in 0..150 {
            let mut m = data.clone();
            match next() % 4 {
                0 => {
                    let i = (next() as usize) % m.len();
                    m[i] ^= 1 << (next() % 8);
                }
                1 => {
                    let i = (next() as usize) % m.len();
                    m[i] = next() as u8;
                }
                2 => {
                    let i = (next() as usize) % m.len();
                    m.insert(i, next() as u8);
                }
                _ => {
                    let i = (next() as usize) % m.len();
                    m.truncate(i);
                }
            }
            let code = ca_bridge::fuzzing::parse_and_verify(&m);
            assert!(CODES.contains(&code), "{code}");
            runs += 1;
        }
    }
    assert!(runs > 1000);
    assert!(
        start.elapsed() < Duration::from_secs(60),
        "{:?}",
        start.elapsed()
    );
}

/// Every code a signature verdict can give.
const SIGNATURE_CODES: &[&str] = &[
    "valid",
    "malformed",
    "expired",
    "not-yet-valid",
    "revoked",
    "unknown-issuer",
    "key-usage",
    "weak-algorithm",
    "unsupported-algorithm",
    "digest-mismatch",
    "signature-invalid",
    "signer-not-found",
    "unsupported-signature",
    "content-missing",
    "timestamp-untrusted",
    "bad-signature",
    "not-ca",
    "path-length",
    "unknown-critical-extension",
];

fn signed_data_corpus() -> Vec<(String, Vec<u8>)> {
    let dir = common::manifest_dir().join("fuzz/corpus/signed_data");
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .expect("corpus directory")
        .map(|e| {
            let path = e.expect("entry").path();
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
                .to_owned();
            (name, std::fs::read(&path).expect("corpus file"))
        })
        .collect();
    out.sort();
    out
}

#[test]
fn signed_data_corpus_replays_with_known_outcomes() {
    let results: std::collections::BTreeMap<String, &str> = signed_data_corpus()
        .into_iter()
        .map(|(name, data)| {
            let code = ca_bridge::fuzzing::verify_signed_data(&data);
            (name, code)
        })
        .collect();
    // The carried certificates are the anchors: a SignedData carrying its issuing CA is valid up
    // to its timestamp, whose authority it does not carry; one carrying only the signer's own
    // certificate has no issuer; a detached one is checked over the wrong content.
    assert_eq!(
        results,
        [
            ("openssl-ecdsa-detached.der", "digest-mismatch"),
            ("openssl-ecdsa-stream-ber.der", "unknown-issuer"),
            ("openssl-rsa-attached.der", "unknown-issuer"),
            ("openssl-rsa-noattr.der", "unknown-issuer"),
            ("openssl-ts-reply.tsr", "malformed"),
            ("sm2-gm-timestamped.der", "timestamp-untrusted"),
        ]
        .into_iter()
        .map(|(n, c)| (n.to_owned(), c))
        .collect()
    );
}

/// Every truncation (always `malformed`: a DER prefix never decodes), and every single-byte change,
/// of each SignedData seed: no panic, no hang, a known code.
#[test]
fn mutated_signed_data_never_panics() {
    let start = Instant::now();
    let mut runs = 0;
    for (name, data) in signed_data_corpus() {
        for len in 0..data.len() {
            let code = ca_bridge::fuzzing::verify_signed_data(&data[..len]);
            assert_eq!(code, "malformed", "{name} truncated to {len}");
            runs += 1;
        }
        for i in 0..data.len() {
            let mut m = data.clone();
            m[i] ^= 0x5a;
            let code = ca_bridge::fuzzing::verify_signed_data(&m);
            assert!(SIGNATURE_CODES.contains(&code), "{name} byte {i}: {code}");
            runs += 1;
        }
    }
    assert!(runs > 10_000, "{runs}");
    assert!(
        start.elapsed() < Duration::from_secs(120),
        "{:?}",
        start.elapsed()
    );
}
