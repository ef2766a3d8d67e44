//! Differential test: on generated RSA and ECDSA chains, good and broken, within the input limits,
//! the verdict agrees with OpenSSL's `X509_verify_cert` (through the openssl crate) at the same
//! validation time. Weak algorithms are left out on purpose: OpenSSL's default security level
//! accepts SHA-1 and short RSA keys, which this validator refuses by policy.

mod common;

use ca_bridge::{Certificate, Options, Purpose, RevocationData, Sm2Ids, Verifier};
use common::pki::{
    AT, Issued, NOT_BEFORE, Spec, ec_key, ec384_key, issue, name, raw_extension, rsa_key,
};
use openssl::pkey::{PKey, Private};
use openssl::stack::Stack;
use openssl::x509::extension::KeyUsage;
use openssl::x509::store::X509StoreBuilder;
use openssl::x509::verify::X509VerifyParam;
use openssl::x509::{X509, X509StoreContext};

struct Case {
    name: String,
    anchor: X509,
    intermediates: Vec<X509>,
    leaf: X509,
    /// Our expected reason (None: valid).
    expect: Option<&'static str>,
}

fn openssl_ok(c: &Case) -> bool {
    let mut store = X509StoreBuilder::new().expect("store");
    store.add_cert(c.anchor.clone()).expect("anchor");
    let mut param = X509VerifyParam::new().expect("param");
    param.set_time(AT);
    store.set_param(&param).expect("param");
    let store = store.build();
    let mut chain = Stack::new().expect("stack");
    for i in &c.intermediates {
        chain.push(i.clone()).expect("push");
    }
    let mut ctx = X509StoreContext::new().expect("ctx");
    ctx.init(&store, &c.leaf, &chain, |ctx| ctx.verify_cert())
        .expect("verify runs")
}

fn ours(c: &Case) -> ca_bridge::Verdict {
    let p = |x: &X509| Certificate::from_der(&x.to_der().expect("der")).expect("parses");
    let verifier = Verifier::new(
        vec![p(&c.anchor)],
        c.intermediates.iter().map(p).collect(),
        Sm2Ids::default(),
    );
    let mut opts = Options::at(AT);
    opts.purpose = Purpose::Any;
    verifier.verify(&p(&c.leaf), &RevocationData::default(), &opts)
}

fn corpus(alg: &str, key: fn() -> PKey<Private>) -> Vec<Case> {
    let mut cases = Vec::new();
    let root = issue(Spec::ca("Root"), key(), None);
    let rn = root.cert.subject_name();
    let inter = issue(
        Spec {
            serial: 2,
            ..Spec::ca("Inter")
        },
        key(),
        Some((rn, &root.key)),
    );
    let inn = inter.cert.subject_name();
    let mut add = |n: &str,
                   anchor: &Issued,
                   inters: Vec<&Issued>,
                   leaf: Issued,
                   expect: Option<&'static str>| {
        cases.push(Case {
            name: format!("{alg}: {n}"),
            anchor: anchor.cert.clone(),
            intermediates: inters.iter().map(|i| i.cert.clone()).collect(),
            leaf: leaf.cert,
            expect,
        });
    };
    let leaf = || Spec {
        serial: 3,
        ..Spec::leaf("Leaf")
    };

    add(
        "good chain",
        &root,
        vec![&inter],
        issue(leaf(), key(), Some((inn, &inter.key))),
        None,
    );
    add(
        "leaf directly under the root",
        &root,
        vec![],
        issue(leaf(), key(), Some((rn, &root.key))),
        None,
    );
    add(
        "expired leaf",
        &root,
        vec![&inter],
        issue(
            Spec {
                not_after: AT - 10,
                ..leaf()
            },
            key(),
            Some((inn, &inter.key)),
        ),
        Some("expired"),
    );
    add(
        "not yet valid leaf",
        &root,
        vec![&inter],
        issue(
            Spec {
                not_before: AT + 10,
                ..leaf()
            },
            key(),
            Some((inn, &inter.key)),
        ),
        Some("not-yet-valid"),
    );
    let old_inter = issue(
        Spec {
            serial: 4,
            not_before: NOT_BEFORE,
            not_after: AT - 1,
            ..Spec::ca("Old Inter")
        },
        key(),
        Some((rn, &root.key)),
    );
    add(
        "expired intermediate",
        &root,
        vec![&old_inter],
        issue(
            leaf(),
            key(),
            Some((old_inter.cert.subject_name(), &old_inter.key)),
        ),
        Some("expired"),
    );
    add(
        "missing intermediate",
        &root,
        vec![],
        issue(leaf(), key(), Some((inn, &inter.key))),
        Some("unknown-issuer"),
    );
    let other = key();
    add(
        "leaf signed by another key",
        &root,
        vec![&inter],
        issue(leaf(), key(), Some((inn, &other))),
        Some("bad-signature"),
    );
    let not_ca = issue(
        Spec {
            serial: 5,
            ca: false,
            ..Spec::ca("Not A CA")
        },
        key(),
        Some((rn, &root.key)),
    );
    add(
        "intermediate without cA",
        &root,
        vec![&not_ca],
        issue(
            leaf(),
            key(),
            Some((not_ca.cert.subject_name(), &not_ca.key)),
        ),
        Some("not-ca"),
    );
    let mut ku = KeyUsage::new();
    ku.critical().digital_signature();
    let no_sign = issue(
        Spec {
            serial: 6,
            key_usage: Some(ku),
            ..Spec::ca("No CertSign")
        },
        key(),
        Some((rn, &root.key)),
    );
    add(
        "intermediate without keyCertSign",
        &root,
        vec![&no_sign],
        issue(
            leaf(),
            key(),
            Some((no_sign.cert.subject_name(), &no_sign.key)),
        ),
        Some("key-usage"),
    );
    let len0 = issue(
        Spec {
            serial: 7,
            path_len: Some(0),
            ..Spec::ca("Len0")
        },
        key(),
        Some((rn, &root.key)),
    );
    let below = issue(
        Spec {
            serial: 8,
            ..Spec::ca("Below Len0")
        },
        key(),
        Some((len0.cert.subject_name(), &len0.key)),
    );
    add(
        "pathLen 0 exceeded",
        &root,
        vec![&len0, &below],
        issue(leaf(), key(), Some((below.cert.subject_name(), &below.key))),
        Some("path-length"),
    );
    add(
        "pathLen 0 respected",
        &root,
        vec![&len0],
        issue(leaf(), key(), Some((len0.cert.subject_name(), &len0.key))),
        None,
    );
    let mut crit = leaf();
    crit.extra
        .push(raw_extension("1.3.6.1.4.1.99999.1", true, &[0x05, 0x00]));
    add(
        "unknown critical extension",
        &root,
        vec![&inter],
        issue(crit, key(), Some((inn, &inter.key))),
        Some("unknown-critical-extension"),
    );
    let mut noncrit = leaf();
    noncrit
        .extra
        .push(raw_extension("1.3.6.1.4.1.99999.1", false, &[0x05, 0x00]));
    add(
        "unknown non-critical extension",
        &root,
        vec![&inter],
        issue(noncrit, key(), Some((inn, &inter.key))),
        None,
    );
    // Two same-named intermediates, the first candidate with the wrong key: backtracking finds the other.
    let decoy = issue(
        Spec {
            serial: 9,
            ..Spec::ca("Inter")
        },
        key(),
        Some((rn, &root.key)),
    );
    add(
        "same-named decoy issuer",
        &root,
        vec![&decoy, &inter],
        issue(leaf(), key(), Some((inn, &inter.key))),
        None,
    );
    let stranger = issue(Spec::ca("Root"), key(), None);
    add(
        "anchor with the right name and another key",
        &stranger,
        vec![&inter],
        issue(leaf(), key(), Some((inn, &inter.key))),
        Some("bad-signature"),
    );
    let _ = name("unused");
    cases
}

#[test]
fn agrees_with_openssl_x509_verify_cert() {
    let mut all = Vec::new();
    all.extend(corpus("RSA-2048", || rsa_key(2048)));
    all.extend(corpus("ECDSA P-256", ec_key));
    all.extend(corpus("ECDSA P-384", ec384_key));
    // Known divergence, where this validator is right: without key identifiers OpenSSL takes the
    // first untrusted certificate whose subject matches and does not backtrack to the second.
    let known = ["same-named decoy issuer"];
    let mut disagreements = Vec::new();
    let mut agreements = 0;
    for c in &all {
        let v = ours(c);
        let theirs = openssl_ok(c);
        assert_eq!(v.reason, c.expect, "{}: {:?}", c.name, v.error);
        let expected_divergence = known.iter().any(|k| c.name.ends_with(k));
        if (v.valid != theirs) != expected_divergence {
            disagreements.push(format!(
                "{}: ours {} ({:?}), OpenSSL {theirs}",
                c.name, v.valid, v.reason
            ));
        } else if !expected_divergence {
            agreements += 1;
        }
    }
    assert!(all.len() >= 45);
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
    assert_eq!(agreements, all.len() - 3);
}
