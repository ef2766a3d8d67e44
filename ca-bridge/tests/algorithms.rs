//! Signature algorithms: RSA PKCS#1 and PSS, ECDSA P-256/P-384, SM2 with its ID; weak algorithms
//! (MD5, SHA-1, RSA below 2048 bits) and unsupported ones (DSA, P-521) refused with their own reason.

mod common;

use ca_bridge::{Error, Options, RevocationData, Sm2Ids, Verifier};
use common::{cert, manifest_dir, t};

fn check(case: &str, ids: Sm2Ids) -> ca_bridge::Verdict {
    let dir = manifest_dir().join("tests/data/algorithms");
    let verifier = Verifier::new(
        vec![cert(&dir.join(format!("{case}-root.pem")))],
        vec![],
        ids,
    );
    let leaf = cert(&dir.join(format!("{case}-leaf.pem")));
    verifier.verify(
        &leaf,
        &RevocationData::default(),
        &Options::at(t("2027-06-01T00:00:00Z")),
    )
}

#[test]
fn supported_algorithms_verify() {
    for (case, alg, key) in [
        ("rsa-pss", "rsa-pss-sha256", "rsa-2048"),
        ("rsa-pss-sha512", "rsa-pss-sha512", "rsa-3072"),
        ("ecdsa-p384", "ecdsa-sha384", "ec-P-384"),
        ("sm2", "sm2-sm3", "sm2"),
    ] {
        let v = check(case, Sm2Ids::default());
        assert_eq!(v.result(), Ok(()), "{case}");
        assert_eq!(v.chain[0].signature_algorithm, alg, "{case}");
        assert_eq!(v.chain[1].key, key, "{case}");
    }
}

#[test]
fn weak_algorithms_are_refused() {
    for (case, algorithm) in [
        ("rsa-sha1", "sha1WithRSAEncryption"),
        ("md5", "md5WithRSAEncryption"),
        ("ecdsa-sha1", "ecdsa-with-SHA1"),
    ] {
        let v = check(case, Sm2Ids::default());
        assert_eq!(
            v.result(),
            Err(Error::WeakAlgorithm {
                subject: format!("C=CN, O=ca-bridge tests, CN={case} leaf"),
                algorithm: algorithm.into(),
            }),
            "{case}"
        );
    }
    let v = check("rsa-1024", Sm2Ids::default());
    assert_eq!(
        v.result(),
        Err(Error::WeakAlgorithm {
            subject: "C=CN, O=ca-bridge tests, CN=rsa-1024 root".into(),
            algorithm: "rsa-1024".into(),
        })
    );
}

#[test]
fn unsupported_algorithms_are_refused() {
    let v = check("ecdsa-p521", Sm2Ids::default());
    assert_eq!(
        v.result(),
        Err(Error::UnsupportedAlgorithm {
            subject: "C=CN, O=ca-bridge tests, CN=ecdsa-p521 root".into(),
            algorithm: "EC curve 1.3.132.0.35".into(),
        })
    );
    // DSA (PKITS 4.1.4).
    let dir = manifest_dir().join("tests/data/pkits/certs");
    let verifier = Verifier::new(
        vec![cert(&dir.join("TrustAnchorRootCertificate.crt"))],
        vec![cert(&dir.join("DSACACert.crt"))],
        Sm2Ids::default(),
    );
    let mut opts = Options::at(t("2011-04-15T00:00:00Z"));
    opts.purpose = ca_bridge::Purpose::Any;
    let v = verifier.verify(
        &cert(&dir.join("ValidDSASignaturesTest4EE.crt")),
        &RevocationData::default(),
        &opts,
    );
    assert_eq!(
        v.result(),
        Err(Error::UnsupportedAlgorithm {
            subject: "C=US, O=Test Certificates 2011, CN=Valid DSA Signatures EE Certificate Test4"
                .into(),
            algorithm: "dsa-with-SHA1".into(),
        })
    );
}

#[test]
fn sm2_id_is_settable_per_ca() {
    // Signed with an empty ID: the default ID fails, the per-CA exception succeeds.
    let v = check("sm2-empty-id", Sm2Ids::default());
    assert_eq!(v.reason, Some("bad-signature"));
    let root = cert(&manifest_dir().join("tests/data/algorithms/sm2-empty-id-root.pem"));
    let ids = Sm2Ids {
        per_issuer: vec![(root.subject().clone(), String::new())],
        ..Sm2Ids::default()
    };
    assert_eq!(check("sm2-empty-id", ids).result(), Ok(()));
    assert_eq!(
        check("sm2", Sm2Ids::uniform("")).reason,
        Some("bad-signature")
    );
}
