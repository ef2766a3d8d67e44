//! Bid-signature verifications per second per algorithm (RSA-2048, ECDSA P-256, SM2), on the demo
//! PKI: an attached CMS SignedData with signed attributes, carrying the signer's and the issuing
//! CA's certificates, verified by ca-bridge (CMS decoding, signature, and the signer's certificate
//! path with CRL checking) and, for RSA and ECDSA, by OpenSSL's own `CMS_verify` on the same bytes
//! in the same run (X509 store with the root, the demo CRLs and CRL checking over the chain; and
//! once more without revocation). Prints the rates (best of alternating rounds, so that a busy machine slows every contender alike)
//! and the ratios before the criterion runs. OpenSSL
//! 3.0 cannot verify SM2 CMS (no way to pass the distinguishing ID), so SM2 has no baseline.

#[path = "../tests/common/mod.rs"]
mod common;

use std::hint::black_box;
use std::time::Instant;

use ca_bridge::signature::{CmsOptions, SignatureOptions, SignatureVerifier};
use ca_bridge::{RevocationData, Sm2Ids, TrustListVerifier, Verifier};
use common::sig::{AT, BID, bidder_cert, bidder_path, demo_list, revocation, sign};
use common::t;
use criterion::Criterion;
use openssl::cms::{CMSOptions, CmsContentInfo};
use openssl::ssl::SslFiletype;
use openssl::stack::Stack;
use openssl::x509::X509;
use openssl::x509::store::{X509Lookup, X509Store, X509StoreBuilder};
use openssl::x509::verify::{X509VerifyFlags, X509VerifyParam};

struct Setup {
    name: &'static str,
    cms: Vec<u8>,
    anchors: Verifier,
    /// OpenSSL stores: with the CRLs and CRL checking, and without.
    store_crl: Option<X509Store>,
    store_plain: Option<X509Store>,
}

fn store(province: &str, crls: bool) -> X509Store {
    let mut b = X509StoreBuilder::new().expect("store");
    let root = std::fs::read(bidder_path(province, "root", "pem")).expect("root");
    b.add_cert(X509::from_pem(&root).expect("root"))
        .expect("add");
    let mut param = X509VerifyParam::new().expect("param");
    param.set_time(t(AT));
    if crls {
        param
            .set_flags(X509VerifyFlags::CRL_CHECK | X509VerifyFlags::CRL_CHECK_ALL)
            .expect("flags");
        let lookup = b.add_lookup(X509Lookup::file()).expect("lookup");
        for f in ["crl", "arl"] {
            lookup
                .load_crl_file(bidder_path(province, f, "pem"), SslFiletype::PEM)
                .expect("crl");
        }
    }
    b.set_param(&param).expect("param");
    b.build()
}

fn setup(name: &'static str, province: &'static str, openssl: bool) -> Setup {
    let issuing = [bidder_cert(province, "issuing-ca")];
    let cms = sign(
        province,
        "valid",
        &CmsOptions {
            signing_time: Some(t(AT)),
            certificates: &issuing,
            ..CmsOptions::default()
        },
    );
    let anchors = Verifier::new(
        vec![bidder_cert(province, "root")],
        vec![],
        Sm2Ids::default(),
    );
    Setup {
        name,
        cms,
        anchors,
        store_crl: openssl.then(|| store(province, true)),
        store_plain: openssl.then(|| store(province, false)),
    }
}

fn ours_list(list: &TrustListVerifier, rev: &RevocationData, s: &Setup) -> bool {
    SignatureVerifier::with_trust_list(list)
        .verify_cms(&s.cms, None, rev, &SignatureOptions::at(t(AT)))
        .valid
}

fn ours_anchors(s: &Setup) -> bool {
    SignatureVerifier::with_anchors(&s.anchors)
        .verify_cms(
            &s.cms,
            None,
            &RevocationData::default(),
            &SignatureOptions::at(t(AT)),
        )
        .valid
}

fn openssl_cms(store: &X509Store, cms: &[u8]) -> bool {
    let Ok(mut ci) = CmsContentInfo::from_der(cms) else {
        return false;
    };
    let none: Stack<X509> = Stack::new().expect("stack");
    let mut out = Vec::new();
    ci.verify(
        Some(&none),
        Some(store),
        None,
        Some(&mut out),
        CMSOptions::BINARY,
    )
    .is_ok()
        && out == BID
}

/// Verifications per second of each function, measured in alternating rounds (so that a busy
/// machine slows all of them alike) and taking each one's best round.
fn rates(fs: &mut [&mut dyn FnMut() -> bool], rounds: u32, iters: u32) -> Vec<f64> {
    for f in fs.iter_mut() {
        assert!(f(), "the benchmark input does not verify");
    }
    let mut best = vec![0f64; fs.len()];
    for _ in 0..rounds {
        for (i, f) in fs.iter_mut().enumerate() {
            let start = Instant::now();
            for _ in 0..iters {
                black_box(f());
            }
            let rate = f64::from(iters) / start.elapsed().as_secs_f64();
            best[i] = best[i].max(rate);
        }
    }
    best
}

fn main() {
    let list = demo_list();
    let rev = revocation();
    let setups = [
        setup("rsa-2048", "jiangsu", true),
        setup("ecdsa-p256", "zhejiang", true),
        setup("sm2", "shanghai", false),
    ];
    println!(
        "verifications per second (one core), attached CMS with signed attributes, demo PKI\n\
         {:<11} {:>16} {:>16} {:>8} | {:>16} {:>16} {:>8}",
        "algorithm",
        "ca-bridge+CRLs",
        "openssl+CRLs",
        "ratio",
        "ca-bridge no rev",
        "openssl no rev",
        "ratio"
    );
    for s in &setups {
        let (rounds, iters) = (7, 300);
        let mut ours = || ours_list(&list, &rev, s);
        let mut ours_plain = || ours_anchors(s);
        let (r, theirs, theirs_plain) = match (&s.store_crl, &s.store_plain) {
            (Some(a), Some(b)) => {
                let mut theirs = || openssl_cms(a, &s.cms);
                let mut theirs_plain = || openssl_cms(b, &s.cms);
                let r = rates(
                    &mut [&mut ours, &mut ours_plain, &mut theirs, &mut theirs_plain],
                    rounds,
                    iters,
                );
                (r.clone(), Some(r[2]), Some(r[3]))
            }
            _ => (
                rates(&mut [&mut ours, &mut ours_plain], rounds, iters),
                None,
                None,
            ),
        };
        let fmt = |v: Option<f64>| v.map_or("n/a".to_owned(), |v| format!("{v:.0}/s"));
        let ratio =
            |a: f64, b: Option<f64>| b.map_or("n/a".to_owned(), |b| format!("{:.2}x", a / b));
        println!(
            "{:<11} {:>14.0}/s {:>16} {:>8} | {:>14.0}/s {:>16} {:>8}",
            s.name,
            r[0],
            fmt(theirs),
            ratio(r[0], theirs),
            r[1],
            fmt(theirs_plain),
            ratio(r[1], theirs_plain)
        );
    }
    println!("(ratio > 1: ca-bridge verifies more per second than OpenSSL)");
    let mut c = Criterion::default().configure_from_args();
    for s in &setups {
        let mut g = c.benchmark_group(s.name);
        g.bench_function("ca-bridge verify_cms (trust list, CRLs)", |b| {
            b.iter(|| ours_list(&list, &rev, s))
        });
        g.bench_function("ca-bridge verify_cms (anchor, no revocation)", |b| {
            b.iter(|| ours_anchors(s))
        });
        if let (Some(a), Some(p)) = (&s.store_crl, &s.store_plain) {
            g.bench_function("openssl CMS_verify (CRLs)", |b| {
                b.iter(|| openssl_cms(a, &s.cms))
            });
            g.bench_function("openssl CMS_verify (no revocation)", |b| {
                b.iter(|| openssl_cms(p, &s.cms))
            });
        }
        g.finish();
    }
    c.final_summary();
}
