//! The demo PKI of the workspace (`seeds/pki/bidders/`): every bidder certificate of the three
//! provinces gets the expected verdict at 2026-11-30 with its CRLs.

mod common;

use ca_bridge::{Options, RevocationData, Sm2Ids, Verifier};
use common::{cert, crl, manifest_dir, t};

fn check_province(province: &str) {
    let dir = manifest_dir().join("../seeds/pki/bidders").join(province);
    let verifier = Verifier::new(
        vec![cert(&dir.join("root.pem"))],
        vec![cert(&dir.join("issuing-ca.pem"))],
        Sm2Ids::default(),
    );
    let rev = RevocationData {
        crls: vec![crl(&dir.join("crl.pem")), crl(&dir.join("arl.pem"))],
        ocsp: vec![],
    };
    let opts = Options::at(t("2026-11-30T00:00:00Z"));
    // bad-credit-code passes path validation: the credit code is checked by the trust-list layer.
    for (file, expected) in [
        ("valid", None),
        ("bad-credit-code", None),
        ("expired", Some("expired")),
        ("not-yet-valid", Some("not-yet-valid")),
        ("revoked", Some("revoked")),
        ("wrong-usage", Some("key-usage")),
    ] {
        let ee = cert(&dir.join(format!("{file}.pem")));
        let v = verifier.verify(&ee, &rev, &opts);
        assert_eq!(v.reason, expected, "{province}/{file}: {:?}", v.error);
        if expected.is_none() {
            assert_eq!(v.chain.len(), 3, "{province}/{file}");
            assert!(v.revocation.checked);
            assert_eq!(v.revocation.certificates.len(), 2);
            assert!(v.revocation.certificates.iter().all(|r| r.status == "good"));
        }
        if expected == Some("revoked") {
            let Some(ca_bridge::Error::Revoked {
                revoked_at,
                source_kind,
                ..
            }) = &v.error
            else {
                panic!("{province}/{file}: {:?}", v.error);
            };
            assert_eq!(revoked_at, "2026-03-01T00:00:00Z");
            assert_eq!(*source_kind, "crl");
        }
    }
    // Before 2026-03-01 the CRLs did not exist yet: they cannot vouch for anything then.
    let ee = cert(&dir.join("revoked.pem"));
    let before = Options::at(t("2026-02-01T00:00:00Z"));
    let v = verifier.verify(&ee, &rev, &before);
    assert_eq!(
        v.reason,
        Some("revocation-unknown"),
        "{province}/revoked before the CRL: {:?}",
        v.error
    );
    let v = verifier.verify(&ee, &RevocationData::default(), &before);
    assert_eq!(v.reason, None, "{province}/revoked, no CRL: {:?}", v.error);
    assert!(!v.revocation.checked);
}

#[test]
fn shanghai_sm2() {
    check_province("shanghai");
}

#[test]
fn jiangsu_rsa() {
    check_province("jiangsu");
}

#[test]
fn zhejiang_ecdsa() {
    check_province("zhejiang");
}

#[test]
fn shanghai_with_an_empty_sm2_id_fails() {
    let dir = manifest_dir().join("../seeds/pki/bidders/shanghai");
    let verifier = Verifier::new(
        vec![cert(&dir.join("root.pem"))],
        vec![cert(&dir.join("issuing-ca.pem"))],
        Sm2Ids::uniform(""),
    );
    let v = verifier.verify(
        &cert(&dir.join("valid.pem")),
        &RevocationData::default(),
        &Options::at(t("2026-11-30T00:00:00Z")),
    );
    assert_eq!(v.reason, Some("bad-signature"));
}

/// Each province's bidder certificates name their signature algorithm, the same as `to_json`.
#[test]
fn signature_algorithm_names() {
    for (province, expected) in [
        ("shanghai", "sm2-sm3"),
        ("jiangsu", "rsa-pkcs1-sha256"),
        ("zhejiang", "ecdsa-sha256"),
    ] {
        let dir = manifest_dir().join("../seeds/pki/bidders").join(province);
        let ee = cert(&dir.join("valid.pem"));
        assert_eq!(ee.signature_algorithm(), expected, "{province}");
        assert_eq!(
            ee.to_json()["signature_algorithm"]["name"],
            expected,
            "{province}"
        );
    }
}
