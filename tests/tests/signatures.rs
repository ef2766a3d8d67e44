//! Bid signatures across provinces through the API, and signed verification receipts.
//!
//! The demo bidders of the three provinces (SM2, RSA, ECDSA) sign a bid; each signature is
//! verified by the other two provinces' platforms. Tampered content, a revoked certificate before
//! and after its revocation (with and without a timestamp), an encryption-only certificate, an
//! unrecognised CA and a malformed SignedData get their precise verdicts. Signatures made by the
//! `openssl` command line verify. Receipts verify offline with `ca-bridge receipt verify` and fail
//! when a byte changes.

use std::path::PathBuf;

use base64::Engine as _;
use ca_bridge::signature::{CmsOptions, SigningKey, TimestampAuthority, build};
use ca_bridge::{Certificate, decode_pem_or_der};
use serde_json::{Value, json};
use tests::{Backend, Cert, TestApp, error_paths, expect_json, expect_problem, spawn_app};

tests::on_both_backends!(
    each_province_verifies_the_others_bid_signatures,
    refused_signatures_get_their_precise_reason,
    a_timestamp_keeps_a_signature_made_before_the_revocation_valid,
    openssl_made_signatures_verify,
    receipts_verify_offline_and_fail_when_a_byte_changes,
    bad_signature_requests_name_the_field_and_change_nothing,
);

const BID: &[u8] = "投标文件：青浦区华新镇道路改造工程施工，投标报价 12,345,678.00 元".as_bytes();

fn seeds() -> PathBuf {
    tests::workspace_root().join("seeds")
}

fn pem_der(path: &std::path::Path) -> Vec<u8> {
    let bytes = std::fs::read(path).expect("read");
    decode_pem_or_der(&bytes).expect("pem")[0].1.clone()
}

fn bidder_cert(province: &str, name: &str) -> Certificate {
    Certificate::from_der(&pem_der(
        &seeds().join(format!("pki/bidders/{province}/{name}.pem")),
    ))
    .expect("certificate")
}

fn bidder_key(province: &str, name: &str) -> SigningKey {
    SigningKey::from_pem(
        &std::fs::read(seeds().join(format!("pki/bidders/{province}/{name}.key"))).expect("key"),
    )
    .expect("key")
}

fn sign(province: &str, name: &str, opts: &CmsOptions<'_>) -> Vec<u8> {
    build::sign_cms(
        BID,
        &bidder_key(province, name),
        &bidder_cert(province, name),
        opts,
    )
    .expect("signs")
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn t(s: &str) -> i64 {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .expect("time")
        .unix_timestamp()
}

async fn verify(app: &TestApp, cert: Cert, body: Value) -> reqwest::Response {
    app.client(cert)
        .post(app.api_url("/v1/signatures/verify"))
        .json(&body)
        .send()
        .await
        .expect("verify")
}

async fn verdict(app: &TestApp, cert: Cert, body: Value) -> Value {
    expect_json(verify(app, cert, body).await, 200).await
}

const PROVINCES: [(&str, Cert); 3] = [
    ("shanghai", Cert::Shanghai),
    ("jiangsu", Cert::Jiangsu),
    ("zhejiang", Cert::Zhejiang),
];

async fn each_province_verifies_the_others_bid_signatures(backend: Backend) {
    let app = spawn_app(backend).await;
    for (province, own) in PROVINCES {
        let attached = sign(province, "valid", &CmsOptions::default());
        let detached = sign(
            province,
            "valid",
            &CmsOptions {
                attached: false,
                ..CmsOptions::default()
            },
        );
        for (_, platform) in PROVINCES.iter().filter(|(_, c)| *c != own) {
            let v = verdict(&app, *platform, json!({"cms": b64(&attached)})).await;
            assert_eq!(v["valid"], true, "{province} attached: {v:#}");
            assert_eq!(v["province"], province);
            assert_eq!(v["trust_list_sequence"], 1);
            assert_eq!(v["holder"]["credit_code_check"], "valid", "{v:#}");
            assert_eq!(v["format"], "cms");
            let v = verdict(
                &app,
                *platform,
                json!({"cms": b64(&detached), "content": b64(BID)}),
            )
            .await;
            assert_eq!(v["valid"], true, "{province} detached: {v:#}");
        }
    }
    let scrape = app.scrape().await;
    assert!(
        scrape
            .text()
            .contains("gateway_signature_verifications_total{"),
        "{}",
        scrape.text()
    );
}

async fn refused_signatures_get_their_precise_reason(backend: Backend) {
    let app = spawn_app(backend).await;
    let detached = CmsOptions {
        attached: false,
        ..CmsOptions::default()
    };
    for (province, _) in PROVINCES {
        let platform = if province == "shanghai" {
            Cert::Zhejiang
        } else {
            Cert::Shanghai
        };
        // Tampered content.
        let cms = sign(province, "valid", &detached);
        let mut tampered = BID.to_vec();
        tampered[0] ^= 1;
        let v = verdict(
            &app,
            platform,
            json!({"cms": b64(&cms), "content": b64(&tampered)}),
        )
        .await;
        assert_eq!(v["reason"], "digest-mismatch", "{province}: {v:#}");
        // Revoked (2026-03-01), verified now without a timestamp.
        let v = verdict(
            &app,
            platform,
            json!({"cms": b64(&sign(province, "revoked", &CmsOptions::default()))}),
        )
        .await;
        assert_eq!(v["reason"], "revoked", "{province}: {v:#}");
        // Encryption-only certificate used to sign.
        let v = verdict(
            &app,
            platform,
            json!({"cms": b64(&sign(province, "wrong-usage", &CmsOptions::default()))}),
        )
        .await;
        assert_eq!(v["reason"], "key-usage", "{province}: {v:#}");
        // Expired.
        let v = verdict(
            &app,
            platform,
            json!({"cms": b64(&sign(province, "expired", &CmsOptions::default()))}),
        )
        .await;
        assert_eq!(v["reason"], "expired", "{province}: {v:#}");
    }
    // A CA the trust list does not recognise (the intruder CA's platform certificate).
    let pki = app.pki();
    let intruder =
        Certificate::from_der(&pem_der(&pki.join("platforms/intruder.pem"))).expect("cert");
    let key =
        SigningKey::from_pem(&std::fs::read(pki.join("platforms/intruder.key")).expect("key"))
            .expect("key");
    let cms = build::sign_cms(BID, &key, &intruder, &CmsOptions::default()).expect("signs");
    let v = verdict(&app, Cert::Jiangsu, json!({"cms": b64(&cms)})).await;
    assert_eq!(v["valid"], false);
    assert_eq!(v["reason"], "unknown-issuer", "{v:#}");
    // Malformed and truncated SignedData: a verdict, not a server error.
    let good = sign("jiangsu", "valid", &CmsOptions::default());
    for bad in [
        b"\x30\x03\x02\x01\x00".to_vec(),
        good[..good.len() / 2].to_vec(),
    ] {
        let v = verdict(&app, Cert::Zhejiang, json!({"cms": b64(&bad)})).await;
        assert_eq!(
            (v["valid"].as_bool(), v["reason"].as_str()),
            (Some(false), Some("malformed")),
            "{v:#}"
        );
    }
    // The wrong key: one Zhejiang bidder's signature presented with another's certificate (raw).
    let raw = openssl_dgst_sign(
        &seeds().join("pki/bidders/zhejiang/bad-credit-code.key"),
        "-sha256",
    );
    let v = verdict(
        &app,
        Cert::Shanghai,
        json!({
            "signature": b64(&raw),
            "certificate": std::fs::read_to_string(seeds().join("pki/bidders/zhejiang/valid.pem")).expect("pem"),
            "content": b64(BID),
        }),
    )
    .await;
    assert_eq!(v["valid"], false);
    assert_eq!(v["reason"], "signature-invalid", "{v:#}");
}

fn demo_tsa() -> TimestampAuthority {
    TimestampAuthority::new(
        SigningKey::from_pem(&std::fs::read(seeds().join("pki/tsa/tsa.key")).expect("key"))
            .expect("key"),
        Certificate::from_der(&pem_der(&seeds().join("pki/tsa/tsa.pem"))).expect("cert"),
        "1.2.156.112562.1.1",
    )
    .expect("TSA")
}

async fn a_timestamp_keeps_a_signature_made_before_the_revocation_valid(backend: Backend) {
    let app = spawn_app(backend).await;
    let tsa = demo_tsa();
    for (province, platform) in [
        ("shanghai", Cert::Jiangsu),
        ("jiangsu", Cert::Zhejiang),
        ("zhejiang", Cert::Shanghai),
    ] {
        // Timestamped before the revocation (2026-03-01): valid, judged at the timestamp.
        let before = sign(
            province,
            "revoked",
            &CmsOptions {
                timestamp: Some((&tsa, t("2026-02-01T00:00:00Z"))),
                ..CmsOptions::default()
            },
        );
        let v = verdict(&app, platform, json!({"cms": b64(&before)})).await;
        assert_eq!(v["valid"], true, "{province} before: {v:#}");
        assert_eq!(v["signing_time"], "2026-02-01T00:00:00Z", "{v:#}");
        assert_eq!(v["signing_time_source"], "timestamp", "{v:#}");
        // Timestamped after: revoked.
        let after = sign(
            province,
            "revoked",
            &CmsOptions {
                timestamp: Some((&tsa, t("2026-04-01T00:00:00Z"))),
                ..CmsOptions::default()
            },
        );
        let v = verdict(&app, platform, json!({"cms": b64(&after)})).await;
        assert_eq!(v["reason"], "revoked", "{province} after: {v:#}");
        // A claimed signingTime before the revocation is reported, never trusted.
        let claimed = sign(
            province,
            "revoked",
            &CmsOptions {
                signing_time: Some(t("2026-02-01T00:00:00Z")),
                ..CmsOptions::default()
            },
        );
        let v = verdict(&app, platform, json!({"cms": b64(&claimed)})).await;
        assert_eq!(v["reason"], "revoked", "{province} claimed: {v:#}");
        assert_eq!(v["claimed_signing_time"], "2026-02-01T00:00:00Z", "{v:#}");
    }
}

/// `openssl dgst -sign` over [`BID`] with `key`.
fn openssl_dgst_sign(key: &std::path::Path, digest: &str) -> Vec<u8> {
    let dir = tempfile::tempdir().expect("tmp");
    let content = dir.path().join("bid.txt");
    std::fs::write(&content, BID).expect("write");
    let sig = dir.path().join("bid.sig");
    let out = tests::run(
        tests::command("openssl")
            .args(["dgst", digest, "-sign"])
            .arg(key)
            .arg("-out")
            .arg(&sig)
            .arg(&content),
    );
    assert_eq!(out.code(), Some(0), "{out:?}");
    std::fs::read(sig).expect("signature")
}

async fn openssl_made_signatures_verify(backend: Backend) {
    let app = spawn_app(backend).await;
    let dir = tempfile::tempdir().expect("tmp");
    let content = dir.path().join("bid.txt");
    std::fs::write(&content, BID).expect("write");
    for province in ["jiangsu", "zhejiang"] {
        let ca = seeds().join(format!("pki/bidders/{province}"));
        // openssl cms -sign, attached and detached.
        for detached in [false, true] {
            let out_path = dir.path().join(format!("{province}-{detached}.p7s"));
            let mut cmd = tests::command("openssl");
            cmd.args(["cms", "-sign", "-binary", "-outform", "DER", "-in"])
                .arg(&content)
                .arg("-signer")
                .arg(ca.join("valid.pem"))
                .arg("-inkey")
                .arg(ca.join("valid.key"))
                .arg("-out")
                .arg(&out_path);
            if !detached {
                cmd.arg("-nodetach");
            }
            let out = tests::run(&mut cmd);
            assert_eq!(out.code(), Some(0), "{out:?}");
            let cms = std::fs::read(&out_path).expect("cms");
            let mut body = json!({"cms": b64(&cms)});
            if detached {
                body["content"] = json!(b64(BID));
            }
            let v = verdict(&app, Cert::Shanghai, body).await;
            assert_eq!(
                v["valid"], true,
                "{province} openssl cms detached={detached}: {v:#}"
            );
        }
        // openssl dgst -sha256 -sign: a raw signature with the certificate, over the document
        // and over its digest.
        let raw = openssl_dgst_sign(&ca.join("valid.key"), "-sha256");
        let cert = std::fs::read_to_string(ca.join("valid.pem")).expect("pem");
        let v = verdict(
            &app,
            Cert::Shanghai,
            json!({"signature": b64(&raw), "certificate": cert, "content": b64(BID)}),
        )
        .await;
        assert_eq!(v["valid"], true, "{province} dgst: {v:#}");
        assert_eq!(v["format"], "raw");
        let digest = hex::encode(sha2::Sha256::digest(BID));
        let v = verdict(
            &app,
            Cert::Shanghai,
            json!({"signature": b64(&raw), "certificate": cert, "digest": {"algorithm": "sha256", "value": digest}}),
        )
        .await;
        assert_eq!(v["valid"], true, "{province} dgst over digest: {v:#}");
    }
}

use sha2::Digest as _;

async fn receipts_verify_offline_and_fail_when_a_byte_changes(backend: Backend) {
    let app = spawn_app(backend).await;
    let cms = sign("zhejiang", "valid", &CmsOptions::default());
    let v = verdict(
        &app,
        Cert::Jiangsu,
        json!({"cms": b64(&cms), "receipt": true}),
    )
    .await;
    assert_eq!(v["valid"], true);
    let receipt = v["receipt"].clone();
    let id = receipt["id"].as_str().expect("id").to_owned();
    let jws = receipt["jws"].as_str().expect("jws").to_owned();
    // Stored and fetchable by the platform that asked, and operators; not by others.
    let fetched = app
        .client(Cert::Jiangsu)
        .get(app.api_url(&format!("/v1/receipts/{id}")))
        .send()
        .await
        .expect("get");
    assert_eq!(fetched.status(), 200);
    assert_eq!(fetched.text().await.expect("body"), jws);
    let other = app
        .client(Cert::Shanghai)
        .get(app.api_url(&format!("/v1/receipts/{id}")))
        .send()
        .await
        .expect("get");
    expect_problem(other, 404, "not-found").await;
    let operator = app
        .client(Cert::Operator)
        .get(app.api_url(&format!("/v1/receipts/{id}")))
        .send()
        .await
        .expect("get");
    assert_eq!(operator.status(), 200);
    // The receipt certificate, published; the receipt checks offline with the CLI.
    let cert = app
        .client(Cert::Zhejiang)
        .get(app.api_url("/v1/receipts/certificate"))
        .send()
        .await
        .expect("get")
        .text()
        .await
        .expect("pem");
    let dir = tempfile::tempdir().expect("tmp");
    let cert_path = dir.path().join("receipt.pem");
    std::fs::write(&cert_path, &cert).expect("write");
    let check = |text: &str| {
        let path = dir.path().join("receipt.jws");
        std::fs::write(&path, text).expect("write");
        tests::run(
            tests::command(env!("CARGO_BIN_EXE_ca-bridge-e2e"))
                .args(["receipt", "verify", "--cert"])
                .arg(&cert_path)
                .arg(&path),
        )
    };
    let out = check(&jws);
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert!(out.stdout.contains(&id), "{out:?}");
    assert!(out.stdout.contains("zhejiang"), "{out:?}");
    // Any changed byte fails.
    for i in [0, jws.len() / 2, jws.len() - 2] {
        let mut bytes = jws.clone().into_bytes();
        bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
        let out = check(&String::from_utf8(bytes).expect("ascii"));
        assert_eq!(out.code(), Some(1), "byte {i}: {out:?}");
    }
    // A certificate verification can carry a receipt too; the audit log records both.
    let pem = std::fs::read_to_string(seeds().join("pki/bidders/shanghai/valid.pem")).expect("pem");
    let v = expect_json(
        app.client(Cert::Zhejiang)
            .post(app.api_url("/v1/certificates/verify"))
            .json(&json!({"certificate": pem, "receipt": true}))
            .send()
            .await
            .expect("verify"),
        200,
    )
    .await;
    assert!(v["receipt"]["jws"].is_string(), "{v:#}");
    let audit = expect_json(
        app.client(Cert::Operator)
            .get(app.api_url("/v1/admin/audit"))
            .send()
            .await
            .expect("audit"),
        200,
    )
    .await;
    assert_eq!(
        audit.to_string().matches("receipt.issue").count(),
        2,
        "{audit:#}"
    );
}

async fn bad_signature_requests_name_the_field_and_change_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let problem = expect_problem(
        verify(
            &app,
            Cert::Shanghai,
            json!({"signature": "!!", "digest": {"algorithm": "md4", "value": "zz"}, "at": "soon", "chain": ["x"]}),
        )
        .await,
        422,
        "invalid-request",
    )
    .await;
    let paths: Vec<String> = error_paths(&problem).into_iter().map(|(p, _)| p).collect();
    for path in [
        "/signature",
        "/certificate",
        "/digest/algorithm",
        "/digest/value",
        "/at",
        "/chain/0",
    ] {
        assert!(
            paths.iter().any(|p| p == path),
            "{path} missing: {problem:#}"
        );
    }
    let problem = expect_problem(
        verify(&app, Cert::Shanghai, json!({})).await,
        422,
        "invalid-request",
    )
    .await;
    assert_eq!(error_paths(&problem)[0].0, "/cms");
    let problem = expect_problem(
        verify(
            &app,
            Cert::Shanghai,
            json!({"cms": "AAAA", "signature": "AAAA"}),
        )
        .await,
        422,
        "invalid-request",
    )
    .await;
    assert_eq!(error_paths(&problem)[0].0, "/signature");
    // Receipts of unknown ids: 404; malformed ids: 422. Nothing was stored by the refusals.
    let missing = app
        .client(Cert::Operator)
        .get(app.api_url("/v1/receipts/01900000-0000-7000-8000-000000000000"))
        .send()
        .await
        .expect("get");
    expect_problem(missing, 404, "not-found").await;
    let bad = app
        .client(Cert::Operator)
        .get(app.api_url("/v1/receipts/not-an-id"))
        .send()
        .await
        .expect("get");
    expect_problem(bad, 422, "invalid-request").await;
    let audit = expect_json(
        app.client(Cert::Operator)
            .get(app.api_url("/v1/admin/audit"))
            .send()
            .await
            .expect("audit"),
        200,
    )
    .await;
    assert!(!audit.to_string().contains("receipt.issue"), "{audit:#}");
}
