//! Benchmarks per algorithm (RSA-2048, ECDSA P-256, SM2): validating a leaf with its issuer chain
//! (root -> intermediate -> leaf, no revocation data) through ca-bridge, against, on the same chain,
//! one raw signature verification through OpenSSL and OpenSSL's `X509_verify_cert`. Prints the
//! ratios before the criterion runs. The SM2 chain is signed with an empty distinguishing ID,
//! because OpenSSL 3.0 cannot be given one through the openssl crate.

#[path = "../tests/common/pki.rs"]
mod pki;

use std::hint::black_box;
use std::time::Instant;

use ca_bridge::{Certificate, Options, Purpose, RevocationData, Sm2Ids, Verifier};
use criterion::Criterion;
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::stack::Stack;
use openssl::x509::store::{X509Store, X509StoreBuilder};
use openssl::x509::verify::X509VerifyParam;
use openssl::x509::{X509, X509StoreContext};

struct Setup {
    name: &'static str,
    verifier: Verifier,
    leaf: Certificate,
    opts: Options,
    store: X509Store,
    chain: Stack<X509>,
    leaf_x509: X509,
    /// For the raw verification: the leaf's TBS, its signature, the issuer's key and digest.
    tbs: Vec<u8>,
    sig: Vec<u8>,
    issuer_key: PKey<openssl::pkey::Public>,
    md: MessageDigest,
}

fn sm2_key() -> PKey<Private> {
    // An EC key on the SM2 curve, re-read so that OpenSSL 3.0 types it as SM2.
    let group = EcGroup::from_curve_name(Nid::SM2).expect("SM2 curve");
    let ec = EcKey::generate(&group).expect("key");
    PKey::private_key_from_pem(&ec.private_key_to_pem().expect("pem")).expect("SM2 key")
}

fn setup(name: &'static str, key: fn() -> PKey<Private>, md: MessageDigest, sm2_id: &str) -> Setup {
    let mk = |spec: pki::Spec<'_>,
              k: PKey<Private>,
              issuer: Option<(&openssl::x509::X509NameRef, &PKey<Private>)>| {
        pki::issue(pki::Spec { digest: md, ..spec }, k, issuer)
    };
    let root = mk(pki::Spec::ca("Bench Root"), key(), None);
    let inter = mk(
        pki::Spec {
            serial: 2,
            ..pki::Spec::ca("Bench Inter")
        },
        key(),
        Some((root.cert.subject_name(), &root.key)),
    );
    let leaf = mk(
        pki::Spec {
            serial: 3,
            ..pki::Spec::leaf("Bench Leaf")
        },
        key(),
        Some((inter.cert.subject_name(), &inter.key)),
    );
    let p = |x: &X509| Certificate::from_der(&x.to_der().expect("der")).expect("parses");
    let verifier = Verifier::new(
        vec![p(&root.cert)],
        vec![p(&inter.cert)],
        Sm2Ids::uniform(sm2_id),
    );
    let mut opts = Options::at(pki::AT);
    opts.purpose = Purpose::Any;
    let mut sb = X509StoreBuilder::new().expect("store");
    sb.add_cert(root.cert.clone()).expect("root");
    let mut param = X509VerifyParam::new().expect("param");
    param.set_time(pki::AT);
    sb.set_param(&param).expect("param");
    let mut chain = Stack::new().expect("stack");
    chain.push(inter.cert.clone()).expect("push");
    let leaf_der = leaf.der();
    let parsed = x509_tbs_and_sig(&leaf_der);
    let s = Setup {
        name,
        leaf: p(&leaf.cert),
        verifier,
        opts,
        store: sb.build(),
        chain,
        leaf_x509: leaf.cert.clone(),
        tbs: parsed.0,
        sig: parsed.1,
        issuer_key: inter.cert.public_key().expect("key"),
        md,
    };
    assert!(ours(&s), "{name}: ca-bridge rejects the bench chain");
    assert!(openssl_chain(&s), "{name}: OpenSSL rejects the bench chain");
    assert!(openssl_raw(&s), "{name}: raw OpenSSL verification fails");
    s
}

/// Splits a certificate into its TBS bytes and signature (a minimal DER walk).
fn x509_tbs_and_sig(der: &[u8]) -> (Vec<u8>, Vec<u8>) {
    fn tlv(d: &[u8]) -> (usize, usize) {
        // (header length, content length)
        let l0 = d[1] as usize;
        if l0 < 0x80 {
            (2, l0)
        } else {
            let n = l0 & 0x7f;
            (
                2 + n,
                d[2..2 + n].iter().fold(0, |a, &b| (a << 8) | b as usize),
            )
        }
    }
    let (h, _) = tlv(der);
    let body = &der[h..];
    let (th, tl) = tlv(body);
    let tbs = body[..th + tl].to_vec();
    let rest = &body[th + tl..];
    let (ah, al) = tlv(rest);
    let rest = &rest[ah + al..];
    let (sh, sl) = tlv(rest);
    (tbs, rest[sh + 1..sh + sl].to_vec())
}

fn ours(s: &Setup) -> bool {
    s.verifier
        .verify(&s.leaf, &RevocationData::default(), &s.opts)
        .valid
}

fn openssl_chain(s: &Setup) -> bool {
    let mut ctx = X509StoreContext::new().expect("ctx");
    ctx.init(&s.store, &s.leaf_x509, &s.chain, |c| c.verify_cert())
        .expect("verify runs")
}

fn openssl_raw(s: &Setup) -> bool {
    let mut v = openssl::sign::Verifier::new(s.md, &s.issuer_key).expect("verifier");
    v.verify_oneshot(&s.sig, &s.tbs).unwrap_or(false)
}

fn mean_ns(mut f: impl FnMut() -> bool, iters: u32) -> f64 {
    let start = Instant::now();
    for _ in 0..iters {
        black_box(f());
    }
    start.elapsed().as_nanos() as f64 / f64::from(iters)
}

fn main() {
    let setups = [
        setup(
            "rsa-2048",
            || pki::rsa_key(2048),
            MessageDigest::sha256(),
            pki_default_id(),
        ),
        setup(
            "ecdsa-p256",
            pki::ec_key,
            MessageDigest::sha256(),
            pki_default_id(),
        ),
        setup("sm2", sm2_key, MessageDigest::sm3(), ""),
    ];
    println!(
        "{:<12} {:>14} {:>16} {:>20} {:>10} {:>10}",
        "algorithm", "ca-bridge", "openssl raw sig", "X509_verify_cert", "vs raw", "vs X509"
    );
    for s in &setups {
        let iters = 2000;
        let a = mean_ns(|| ours(s), iters);
        let r = mean_ns(|| openssl_raw(s), iters);
        let x = mean_ns(|| openssl_chain(s), iters);
        println!(
            "{:<12} {:>11.1} us {:>13.1} us {:>17.1} us {:>9.2}x {:>9.2}x",
            s.name,
            a / 1e3,
            r / 1e3,
            x / 1e3,
            a / r,
            a / x
        );
    }
    let mut c = Criterion::default().configure_from_args();
    for s in &setups {
        let mut g = c.benchmark_group(s.name);
        g.bench_function("ca-bridge verify leaf+chain", |b| b.iter(|| ours(s)));
        g.bench_function("openssl raw signature verify", |b| {
            b.iter(|| openssl_raw(s))
        });
        g.bench_function("openssl X509_verify_cert", |b| b.iter(|| openssl_chain(s)));
        g.finish();
    }
    c.final_summary();
}

fn pki_default_id() -> &'static str {
    ca_bridge::DEFAULT_SM2_ID
}
