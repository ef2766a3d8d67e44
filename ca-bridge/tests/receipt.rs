//! Verification receipts (compact JWS, ES256 and the private SM2SM3): sign, verify offline with
//! the certificate, fail when any byte changes, refuse algorithm confusion; and the
//! `ca-bridge receipt verify|sign` exit codes.

mod common;

use std::process::Command;

use base64::Engine as _;
use ca_bridge::receipt::{
    RECEIPT_ALG_ES256, RECEIPT_ALG_SM2, ReceiptSigner, thumbprint, verify_receipt,
};
use common::cert;
use common::sig::{bidder_path, pki};
use serde_json::{Value, json};

fn payload() -> Value {
    json!({
        "receipt": "01JD6X0R1Y8K3S4T5V6W7X8Y9Z",
        "verified_at": "2026-11-30T08:00:00Z",
        "document": {"algorithm": "sm3", "digest": "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"},
        "signer": {"name": "上海青浦明珠建设工程有限公司", "credit_code": "91310118MA1H3K8N4A",
                   "certificate_sha256": "00ff"},
        "verdict": {"valid": true},
        "trust_list_sequence": 1
    })
}

/// The ES256 signer: a P-256 key of the demo PKI stands in for the gateway's receipt key.
fn es256() -> (ReceiptSigner, ca_bridge::Certificate) {
    let key = std::fs::read(pki("platforms/operator.key")).expect("key");
    let pem = std::fs::read(pki("platforms/operator.pem")).expect("cert");
    (
        ReceiptSigner::from_pem(&key, &pem).expect("signer"),
        cert(&pki("platforms/operator.pem")),
    )
}

fn sm2() -> (ReceiptSigner, ca_bridge::Certificate) {
    let key = std::fs::read(bidder_path("shanghai", "valid", "key")).expect("key");
    let pem = std::fs::read(bidder_path("shanghai", "valid", "pem")).expect("cert");
    (
        ReceiptSigner::from_pem(&key, &pem).expect("signer"),
        cert(&bidder_path("shanghai", "valid", "pem")),
    )
}

fn header(jws: &str) -> Value {
    let h = jws.split('.').next().expect("header");
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(h)
            .expect("base64url"),
    )
    .expect("JSON")
}

#[test]
fn receipts_round_trip_in_both_algorithms() {
    for ((signer, cert), alg) in [(es256(), RECEIPT_ALG_ES256), (sm2(), RECEIPT_ALG_SM2)] {
        assert_eq!(signer.algorithm(), alg);
        let jws = signer.sign(&payload()).expect("signs");
        assert_eq!(jws.split('.').count(), 3);
        assert!(!jws.contains('='), "no padding");
        let h = header(&jws);
        assert_eq!(h["alg"], alg);
        assert_eq!(h["x5t#S256"], thumbprint(&cert));
        assert_eq!(verify_receipt(&jws, &cert), Ok(payload()));
        // The signature is the 64-byte r || s of JWS, not DER.
        let sig = jws.rsplit('.').next().expect("signature");
        assert_eq!(
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(sig)
                .expect("b64")
                .len(),
            64
        );
    }
}

#[test]
fn a_receipt_fails_when_any_byte_changes() {
    for (signer, cert) in [es256(), sm2()] {
        let jws = signer.sign(&payload()).expect("signs");
        let bytes = jws.as_bytes();
        for i in 0..bytes.len() {
            let mut altered = bytes.to_vec();
            // Replace the character with another base64url character (or '.' with 'A').
            altered[i] = match bytes[i] {
                b'A' => b'B',
                _ => b'A',
            };
            let text = String::from_utf8(altered).expect("ASCII");
            let result = verify_receipt(&text, &cert);
            assert!(
                result.is_err(),
                "byte {i} changed ({} -> {}) and the receipt still verifies",
                bytes[i] as char,
                text.as_bytes()[i] as char
            );
            let code = result.err().map(|e| e.code());
            assert!(
                matches!(
                    code,
                    Some(
                        "receipt-malformed" | "receipt-bad-signature" | "receipt-wrong-certificate"
                    )
                ),
                "byte {i}: {code:?}"
            );
        }
        // A byte added or removed.
        assert!(verify_receipt(&format!("{jws}A"), &cert).is_err());
        assert!(verify_receipt(&jws[..jws.len() - 1], &cert).is_err());
    }
}

#[test]
fn receipts_refuse_other_certificates_and_algorithm_confusion() {
    let (es, es_cert) = es256();
    let (sm, sm_cert) = sm2();
    let jws = es.sign(&payload()).expect("signs");
    // Another certificate: named by its thumbprint.
    let err = verify_receipt(&jws, &sm_cert).expect_err("another certificate");
    assert_eq!(
        err.code(),
        "receipt-malformed",
        "ES256 with an SM2 key: {err}"
    );
    let other = cert(&pki("bridge-operator.pem"));
    let err = verify_receipt(&jws, &other).expect_err("another P-256 certificate");
    assert_eq!(err.code(), "receipt-wrong-certificate");
    // Re-headed as SM2SM3 or "none": refused before any signature check.
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let rest = jws.split_once('.').expect("parts").1;
    for alg in ["SM2SM3", "none", "HS256", "ES384"] {
        let h = json!({"alg": alg, "typ": "JOSE", "x5t#S256": thumbprint(&es_cert)});
        let forged = format!("{}.{rest}", b64.encode(h.to_string()));
        let err = verify_receipt(&forged, &es_cert).expect_err(alg);
        assert_eq!(err.code(), "receipt-malformed", "{alg}");
    }
    // An unsigned receipt.
    let unsigned = format!("{}.", jws.rsplit_once('.').expect("parts").0);
    assert_eq!(
        verify_receipt(&unsigned, &es_cert).map_err(|e| e.code()),
        Err("receipt-bad-signature")
    );
    // crit is not understood, so refused.
    let h = json!({"alg": "ES256", "x5t#S256": thumbprint(&es_cert), "crit": ["exp"], "exp": 1});
    let forged = format!("{}.{rest}", b64.encode(h.to_string()));
    assert_eq!(
        verify_receipt(&forged, &es_cert).map_err(|e| e.code()),
        Err("receipt-malformed")
    );
    // SM2 receipts verify only with the SM2 certificate.
    let jws = sm.sign(&payload()).expect("signs");
    assert_eq!(
        verify_receipt(&jws, &es_cert).map_err(|e| e.code()),
        Err("receipt-malformed")
    );
    // An RSA key cannot sign receipts; a key that is not the certificate's neither.
    let rsa_key = std::fs::read(bidder_path("jiangsu", "valid", "key")).expect("key");
    let rsa_cert = std::fs::read(bidder_path("jiangsu", "valid", "pem")).expect("cert");
    assert!(ReceiptSigner::from_pem(&rsa_key, &rsa_cert).is_err());
    let key = std::fs::read(pki("platforms/operator.key")).expect("key");
    let pem = std::fs::read(pki("bridge-operator.pem")).expect("cert");
    assert_eq!(
        ReceiptSigner::from_pem(&key, &pem)
            .map_err(|e| e.code())
            .err(),
        Some("malformed")
    );
}

fn run(args: &[&str]) -> (i32, Value, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_ca-bridge"))
        .args(args)
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    (
        out.status.code().expect("exit code"),
        serde_json::from_str(&stdout).unwrap_or(Value::Null),
        stdout,
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

#[test]
fn receipt_command_line() {
    let dir = tempfile::tempdir().expect("temp");
    let path = |n: &str| dir.path().join(n).to_string_lossy().into_owned();
    std::fs::write(path("payload.json"), payload().to_string()).expect("write");
    let key = pki("platforms/operator.key").to_string_lossy().into_owned();
    let cert_pem = pki("platforms/operator.pem").to_string_lossy().into_owned();
    let (code, _, jws, err) = run(&[
        "receipt",
        "sign",
        "--key",
        &key,
        "--cert",
        &cert_pem,
        &path("payload.json"),
    ]);
    assert_eq!(code, 0, "{err}");
    std::fs::write(path("receipt.jws"), jws.trim()).expect("write");
    let (code, json, _, err) = run(&[
        "receipt",
        "verify",
        "--cert",
        &cert_pem,
        &path("receipt.jws"),
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(json["valid"], true);
    assert_eq!(json["payload"], payload());
    // One character changed: exit 1 with the reason.
    let mut altered = jws.trim().as_bytes().to_vec();
    let i = altered.len() / 2;
    altered[i] = if altered[i] == b'A' { b'B' } else { b'A' };
    std::fs::write(path("altered.jws"), &altered).expect("write");
    let (code, json, _, _) = run(&[
        "receipt",
        "verify",
        "--cert",
        &cert_pem,
        &path("altered.jws"),
    ]);
    assert_eq!(code, 1);
    assert_eq!(json["valid"], false);
    assert!(
        json["reason"]
            .as_str()
            .is_some_and(|r| r.starts_with("receipt-"))
    );
    // Usage errors: a missing receipt, a certificate that is not one.
    let (code, _, _, _) = run(&["receipt", "verify", "--cert", &cert_pem, &path("none.jws")]);
    assert_eq!(code, 2);
    let (code, _, _, _) = run(&[
        "receipt",
        "verify",
        "--cert",
        &path("payload.json"),
        &path("receipt.jws"),
    ]);
    assert_eq!(code, 2);
    // A key that is not the certificate's: exit 1.
    let other = pki("bridge-operator.pem").to_string_lossy().into_owned();
    let (code, _, _, err) = run(&[
        "receipt",
        "sign",
        "--key",
        &key,
        "--cert",
        &other,
        &path("payload.json"),
    ]);
    assert_eq!(code, 1, "{err}");
}
