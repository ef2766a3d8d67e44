//! The real SM2 chain (NRCAC ROOTCA -> SHECA SM2) and the other real Chinese CA certificates.

mod common;

use ca_bridge::{Certificate, Error, Options, Purpose, RevocationData, Sm2Ids, Verifier};
use common::{blobs, cert, manifest_dir, t};

fn dir() -> std::path::PathBuf {
    manifest_dir().join("tests/data/real-ca")
}

fn verify_sheca(sheca: &Certificate, id: &str) -> ca_bridge::Verdict {
    let root = cert(&dir().join("nrcac-root-sm2.pem"));
    let verifier = Verifier::new(vec![root], vec![], Sm2Ids::uniform(id));
    let mut opts = Options::at(t("2026-11-30T00:00:00Z"));
    opts.purpose = Purpose::Any;
    verifier.verify(sheca, &RevocationData::default(), &opts)
}

#[test]
fn sheca_verifies_under_nrcac_with_the_default_id() {
    let sheca = cert(&dir().join("sheca-sm2-ca.pem"));
    let v = verify_sheca(&sheca, "1234567812345678");
    assert_eq!(v.result(), Ok(()));
    assert!(v.valid);
    assert_eq!(v.chain.len(), 2);
    assert_eq!(v.chain[0].subject, "C=CN, O=UniTrust, CN=SHECA SM2");
    assert_eq!(v.chain[0].signature_algorithm, "sm2-sm3");
    assert_eq!(v.chain[1].role, "anchor");
    assert!(!v.revocation.checked);
}

fn bad_signature() -> Error {
    Error::BadSignature {
        object: "certificate",
        subject: "C=CN, O=UniTrust, CN=SHECA SM2".into(),
        issuer: "C=CN, O=NRCAC, CN=ROOTCA".into(),
    }
}

#[test]
fn sheca_fails_with_a_wrong_or_empty_id() {
    let sheca = cert(&dir().join("sheca-sm2-ca.pem"));
    for id in ["", "1234567812345679", "31323334353637383132333435363738"] {
        let v = verify_sheca(&sheca, id);
        assert_eq!(v.result(), Err(bad_signature()), "ID {id:?}");
        assert_eq!(v.reason, Some("bad-signature"));
    }
}

#[test]
fn sheca_fails_with_one_flipped_signature_bit() {
    let der = blobs(&dir().join("sheca-sm2-ca.pem")).remove(0);
    // The signature value is the last field of the certificate: flip one bit of its last byte
    // (inside the s integer), and one bit in the middle of r.
    for offset in [1usize, 40] {
        let mut flipped = der.clone();
        let i = flipped.len() - offset;
        flipped[i] ^= 0x01;
        let sheca = Certificate::from_der(&flipped).expect("still parses");
        assert_eq!(
            verify_sheca(&sheca, "1234567812345678").result(),
            Err(bad_signature())
        );
    }
}

#[test]
fn all_four_real_certificates_parse() {
    for (file, subject, key) in [
        ("nrcac-root-sm2.pem", "C=CN, O=NRCAC, CN=ROOTCA", "sm2"),
        ("sheca-sm2-ca.pem", "C=CN, O=UniTrust, CN=SHECA SM2", "sm2"),
        (
            "cfca-test-sm2-oca1.pem",
            "C=CN, O=China Financial Certification Authority, CN=CFCA TEST SM2 OCA1",
            "sm2",
        ),
        (
            "odd-sm2-oid-spki.pem",
            "C=IN, ST=Bengaluru, L=City, O=SomeOrg, OU=Test, CN=RootCA",
            "sm2",
        ),
    ] {
        let c = cert(&dir().join(file));
        assert_eq!(c.subject().display(), subject, "{file}");
        let json = c.to_json();
        assert_eq!(json["public_key"], key, "{file}");
        assert_eq!(json["signature_algorithm"]["name"], "sm2-sm3", "{file}");
    }
}

#[test]
fn cfca_test_ca_without_its_issuer_is_unknown_issuer() {
    let cfca = cert(&dir().join("cfca-test-sm2-oca1.pem"));
    let root = cert(&dir().join("nrcac-root-sm2.pem"));
    let verifier = Verifier::new(vec![root], vec![], Sm2Ids::default());
    let mut opts = Options::at(t("2026-11-30T00:00:00Z"));
    opts.purpose = Purpose::Any;
    let v = verifier.verify(&cfca, &RevocationData::default(), &opts);
    assert_eq!(
        v.result(),
        Err(Error::UnknownIssuer {
            subject: "C=CN, O=China Financial Certification Authority, CN=CFCA TEST SM2 OCA1"
                .into(),
            issuer: "C=CN, O=China Financial Certification Authority, CN=CFCA TEST CS SM2 CA"
                .into(),
        })
    );
}
