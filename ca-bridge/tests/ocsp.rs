//! OCSP responses supplied by the caller: CA-signed and delegated responders, revoked status,
//! unauthorised signers, time windows, and the revocation rule across the whole path.

mod common;

use ca_bridge::{Error, OcspResponse, Options, RevocationData, Sm2Ids, Verifier};
use common::{blobs, cert, crl, manifest_dir, t};

fn dir() -> std::path::PathBuf {
    manifest_dir().join("tests/data/ocsp")
}

fn ocsp(file: &str) -> OcspResponse {
    OcspResponse::from_der(&blobs(&dir().join(file))[0]).expect("response decodes")
}

fn verifier() -> Verifier {
    Verifier::new(
        vec![cert(&dir().join("root.pem"))],
        vec![cert(&dir().join("issuing-ca.pem"))],
        Sm2Ids::default(),
    )
}

/// Inside the responses' window (thisUpdate 2026-11-30T17:39:48Z, nextUpdate 30 days later).
const AT: &str = "2026-12-01T00:00:00Z";

fn check(leaf: &str, responses: &[&str], with_arl: bool, opts: &Options) -> ca_bridge::Verdict {
    let rev = RevocationData {
        crls: if with_arl {
            vec![crl(&dir().join("arl.pem"))]
        } else {
            vec![]
        },
        ocsp: responses.iter().map(|r| ocsp(r)).collect(),
    };
    verifier().verify(&cert(&dir().join(leaf)), &rev, opts)
}

#[test]
fn good_response_signed_by_the_ca() {
    let v = check("valid.pem", &["valid-by-ca.der"], true, &Options::at(t(AT)));
    assert_eq!(v.result(), Ok(()));
    let sources: Vec<&str> = v
        .revocation
        .certificates
        .iter()
        .map(|r| r.source.as_str())
        .collect();
    assert_eq!(
        sources,
        [
            "crl:C=CN, O=YRD Demo Zhejiang CA, CN=YRD Demo Zhejiang ECC Root CA",
            "ocsp:C=CN, O=YRD Demo Zhejiang CA, CN=YRD Demo Zhejiang ECC Issuing CA",
        ]
    );
}

#[test]
fn good_response_signed_by_a_delegated_responder() {
    let v = check(
        "valid.pem",
        &["valid-by-responder.der"],
        true,
        &Options::at(t(AT)),
    );
    assert_eq!(v.result(), Ok(()));
    assert_eq!(
        v.revocation.certificates[1].source,
        "ocsp:C=CN, O=YRD Demo Zhejiang CA, CN=YRD Demo Zhejiang OCSP Responder"
    );
}

#[test]
fn revoked_response() {
    let v = check(
        "revoked.pem",
        &["revoked-by-ca.der"],
        true,
        &Options::at(t(AT)),
    );
    let Some(Error::Revoked {
        reason,
        revoked_at,
        source_kind,
        ..
    }) = &v.error
    else {
        panic!("{:?}", v.error);
    };
    assert_eq!(
        (reason.as_str(), revoked_at.as_str(), *source_kind),
        ("key-compromise", "2026-03-01T00:00:00Z", "ocsp")
    );
    assert_eq!(v.reason, Some("revoked"));
}

#[test]
fn unauthorised_signer_leaves_the_status_unknown() {
    let v = check(
        "valid.pem",
        &["valid-by-rogue.der"],
        true,
        &Options::at(t(AT)),
    );
    assert_eq!(v.reason, Some("revocation-unknown"));
    let mut soft = Options::at(t(AT));
    soft.soft_fail = true;
    let v = check("valid.pem", &["valid-by-rogue.der"], true, &soft);
    assert_eq!(v.result(), Ok(()));
    assert_eq!(v.revocation.certificates[1].status, "soft-fail");
}

#[test]
fn every_certificate_of_the_path_is_checked() {
    // An OCSP response for the leaf only: the issuing CA's status is undetermined.
    let v = check(
        "valid.pem",
        &["valid-by-ca.der"],
        false,
        &Options::at(t(AT)),
    );
    assert_eq!(v.reason, Some("revocation-unknown"));
    let Some(Error::RevocationUnknown { subject, .. }) = &v.error else {
        panic!("{:?}", v.error);
    };
    assert_eq!(
        subject,
        "C=CN, O=YRD Demo Zhejiang CA, CN=YRD Demo Zhejiang ECC Issuing CA"
    );
    let v = check(
        "valid.pem",
        &["valid-by-ca.der", "ca-unknown.der"],
        false,
        &Options::at(t(AT)),
    );
    assert_eq!(v.reason, Some("revocation-unknown"));
}

#[test]
fn time_window_is_enforced() {
    // After nextUpdate: stale.
    let late = Options::at(t("2027-01-15T00:00:00Z"));
    let v = check("valid.pem", &["valid-by-ca.der"], true, &late);
    assert_eq!(v.reason, Some("crl-expired"));
    // With a grace of 30 days it is still usable.
    let mut grace = late.clone();
    grace.crl_grace_secs = 30 * 86_400;
    assert_eq!(
        check("valid.pem", &["valid-by-ca.der"], true, &grace).result(),
        Ok(())
    );
    // Long before thisUpdate: not usable.
    let early = Options::at(t("2026-11-01T00:00:00Z"));
    assert_eq!(
        check("valid.pem", &["valid-by-ca.der"], true, &early).reason,
        Some("revocation-unknown")
    );
}

#[test]
fn a_flipped_signature_bit_makes_the_response_unusable() {
    let mut der = blobs(&dir().join("valid-by-ca.der")).remove(0);
    // The signature BIT STRING follows the ecdsa-with-SHA256 AlgorithmIdentifier: flip a bit of r.
    let alg = [
        0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02,
    ];
    let pos = der
        .windows(alg.len())
        .position(|w| w == alg)
        .expect("signature algorithm")
        + alg.len();
    assert_eq!(der[pos], 0x03, "BIT STRING");
    der[pos + 12] ^= 0x01;
    let rev = RevocationData {
        crls: vec![crl(&dir().join("arl.pem"))],
        ocsp: vec![OcspResponse::from_der(&der).expect("decodes")],
    };
    let v = verifier().verify(&cert(&dir().join("valid.pem")), &rev, &Options::at(t(AT)));
    assert_eq!(v.reason, Some("revocation-unknown"));
}

#[test]
fn the_cli_accepts_ocsp_files() {
    let s = |f: &str| dir().join(f).to_str().expect("utf-8").to_owned();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ca-bridge"))
        .args([
            "verify",
            "--anchor",
            &s("root.pem"),
            "--intermediate",
            &s("issuing-ca.pem"),
        ])
        .args([
            "--crl",
            &s("arl.pem"),
            "--ocsp",
            &s("revoked-by-ca.der"),
            "--at",
            AT,
            &s("revoked.pem"),
        ])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(json["reason"], "revoked");
}

/// Minimal DER helpers to take a response apart and put it back together with a new signature.
mod der {
    pub(super) fn split(d: &[u8]) -> (u8, &[u8], &[u8]) {
        let tag = d[0];
        let (hl, len) = if d[1] < 0x80 {
            (2, d[1] as usize)
        } else {
            let n = (d[1] & 0x7f) as usize;
            (
                2 + n,
                d[2..2 + n]
                    .iter()
                    .fold(0usize, |a, &b| (a << 8) | b as usize),
            )
        };
        (tag, &d[hl..hl + len], &d[hl + len..])
    }

    pub(super) fn wrap(tag: u8, content: &[u8]) -> Vec<u8> {
        let mut v = vec![tag];
        let len = content.len();
        if len < 0x80 {
            v.push(len as u8);
        } else if len < 0x100 {
            v.extend([0x81, len as u8]);
        } else {
            v.extend([0x82, (len >> 8) as u8, len as u8]);
        }
        v.extend_from_slice(content);
        v
    }
}

/// Re-signs an SM2 OCSP response's TBS bytes with `id`, using the demo CA key.
fn resign_sm2(response: &[u8], id: &str) -> Vec<u8> {
    use sm2::dsa::signature::Signer as _;
    use sm2::pkcs8::DecodePrivateKey as _;
    let pem = std::fs::read_to_string(dir().join("sm2/issuing-ca.key")).expect("key");
    let secret = sm2::SecretKey::from_pkcs8_pem(&pem).expect("SM2 key");
    let signer = sm2::dsa::SigningKey::new(id, &secret).expect("signing key");
    let (_, outer, _) = der::split(response);
    let (_, status_content, rest) = der::split(outer);
    let (_, rb, _) = der::split(rest);
    let (_, rb_seq, _) = der::split(rb);
    let (_, oid, after_oid) = der::split(rb_seq);
    let (_, basic_der, _) = der::split(after_oid);
    let (_, basic, _) = der::split(basic_der);
    let (_, tbs_content, after_tbs) = der::split(basic);
    let tbs = der::wrap(0x30, tbs_content);
    let (_, alg, after_alg) = der::split(after_tbs);
    let (_, _old_sig, certs) = der::split(after_alg);
    let sig: sm2::dsa::Signature = signer.sign(&tbs);
    let mut bits = vec![0u8];
    bits.extend(sig.to_der().as_bytes());
    let mut new_basic = tbs.clone();
    new_basic.extend(der::wrap(0x30, alg));
    new_basic.extend(der::wrap(0x03, &bits));
    new_basic.extend_from_slice(certs);
    let basic = der::wrap(0x30, &new_basic);
    let mut rb = der::wrap(0x06, oid);
    rb.extend(der::wrap(0x04, &basic));
    let mut body = der::wrap(0x0a, status_content);
    body.extend(der::wrap(0xa0, &der::wrap(0x30, &rb)));
    der::wrap(0x30, &body)
}

#[test]
fn sm2_responses_are_verified_with_the_distinguishing_id() {
    let sm2 = dir().join("sm2");
    let verifier = Verifier::new(
        vec![cert(&sm2.join("root.pem"))],
        vec![cert(&sm2.join("issuing-ca.pem"))],
        Sm2Ids::default(),
    );
    let leaf = cert(&sm2.join("valid.pem"));
    let original = blobs(&sm2.join("valid-by-ca-empty-id.der")).remove(0);
    let check = |der: &[u8]| {
        let rev = RevocationData {
            crls: vec![crl(&sm2.join("arl.pem"))],
            ocsp: vec![OcspResponse::from_der(der).expect("decodes")],
        };
        verifier.verify(&leaf, &rev, &Options::at(t(AT)))
    };
    // OpenSSL 3.0 signed it with an empty ID: under the standard ID it does not verify, and the
    // status stays unknown; re-signed with the standard ID it verifies; with another ID it fails.
    assert_eq!(check(&original).reason, Some("revocation-unknown"));
    let v = check(&resign_sm2(&original, "1234567812345678"));
    assert_eq!(v.result(), Ok(()));
    assert_eq!(
        v.revocation.certificates[1].source,
        "ocsp:C=CN, O=YRD Demo Shanghai CA, CN=YRD Demo Shanghai SM2 Issuing CA"
    );
    assert_eq!(
        check(&resign_sm2(&original, "8765432187654321")).reason,
        Some("revocation-unknown")
    );
}
