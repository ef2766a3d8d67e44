//! The `ca-bridge` command line: flags, JSON output and exit codes (0 valid, 1 invalid, 2 usage).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::manifest_dir;

fn demo(province: &str, file: &str) -> PathBuf {
    manifest_dir()
        .join("../seeds/pki/bidders")
        .join(province)
        .join(file)
}

fn run(args: &[&str]) -> (i32, serde_json::Value, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_ca-bridge"))
        .args(args)
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let json = serde_json::from_str(&stdout).unwrap_or(serde_json::Value::Null);
    (
        out.status.code().expect("exit code"),
        json,
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

fn s(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

fn verify(province: &str, leaf: &str, extra: &[&str]) -> (i32, serde_json::Value, String) {
    let root = demo(province, "root.pem");
    let ca = demo(province, "issuing-ca.pem");
    let crl = demo(province, "crl.pem");
    let arl = demo(province, "arl.pem");
    let leaf = demo(province, leaf);
    let mut args = vec![
        "verify",
        "--anchor",
        s(&root),
        "--intermediate",
        s(&ca),
        "--crl",
        s(&crl),
        "--crl",
        s(&arl),
        "--at",
        "2026-11-30T00:00:00Z",
    ];
    args.extend_from_slice(extra);
    args.push(s(&leaf));
    run(&args)
}

#[test]
fn valid_certificate_exits_0_with_the_chain() {
    for p in ["shanghai", "jiangsu", "zhejiang"] {
        let (code, json, err) = verify(p, "valid.pem", &[]);
        assert_eq!(code, 0, "{p}: {json} {err}");
        assert_eq!(json["valid"], true);
        assert!(json.get("reason").is_none());
        assert_eq!(json["chain"].as_array().map(Vec::len), Some(3));
        assert_eq!(json["revocation"]["checked"], true);
        assert_eq!(json["purpose"], "bid-signing");
    }
}

#[test]
fn invalid_certificates_exit_1_with_their_reason() {
    for (leaf, reason) in [
        ("revoked.pem", "revoked"),
        ("expired.pem", "expired"),
        ("not-yet-valid.pem", "not-yet-valid"),
        ("wrong-usage.pem", "key-usage"),
    ] {
        let (code, json, _) = verify("jiangsu", leaf, &[]);
        assert_eq!(code, 1, "{leaf}");
        assert_eq!(json["valid"], false, "{leaf}");
        assert_eq!(json["reason"], reason, "{leaf}");
        assert_eq!(json["error"]["code"], reason, "{leaf}");
    }
    let (_, json, _) = verify("jiangsu", "revoked.pem", &[]);
    assert_eq!(json["error"]["revoked_at"], "2026-03-01T00:00:00Z");
    assert_eq!(json["error"]["source_kind"], "crl");
    // Purpose any accepts the key-encipherment-only certificate.
    let (code, json, _) = verify("jiangsu", "wrong-usage.pem", &["--purpose", "any"]);
    assert_eq!((code, &json["valid"]), (0, &serde_json::Value::Bool(true)));
}

#[test]
fn sm2_id_flag_is_used() {
    let (code, json, _) = verify("shanghai", "valid.pem", &["--sm2-id", ""]);
    assert_eq!((code, json["reason"].as_str()), (1, Some("bad-signature")));
    let (code, _, _) = verify("shanghai", "valid.pem", &["--sm2-id", "1234567812345678"]);
    assert_eq!(code, 0);
    // Per CA: a chain signed with an empty ID passes only when that CA's ID is set to empty.
    let dir = manifest_dir().join("tests/data/algorithms");
    let root = dir.join("sm2-empty-id-root.pem");
    let leaf = dir.join("sm2-empty-id-leaf.pem");
    let base = [
        "verify",
        "--anchor",
        s(&root),
        "--at",
        "2027-06-01T00:00:00Z",
    ];
    assert_eq!(run(&[&base[..], &[s(&leaf)]].concat()).0, 1);
    assert_eq!(
        run(&[&base[..], &["--sm2-ca-id", s(&root), "", s(&leaf)]].concat()).0,
        0
    );
    assert_eq!(
        run(&[&base[..], &["--sm2-ca-id", s(&root), s(&leaf)]].concat()).0,
        2
    );
}

#[test]
fn require_revocation_without_data_is_invalid() {
    let root = demo("zhejiang", "root.pem");
    let ca = demo("zhejiang", "issuing-ca.pem");
    let leaf = demo("zhejiang", "valid.pem");
    let base = [
        "verify",
        "--anchor",
        s(&root),
        "--intermediate",
        s(&ca),
        "--at",
        "2026-11-30T00:00:00Z",
    ];
    let (code, json, _) = run(&[&base[..], &[s(&leaf)]].concat());
    assert_eq!(code, 0);
    assert_eq!(json["revocation"]["checked"], false);
    let (code, json, _) = run(&[&base[..], &["--require-revocation", s(&leaf)]].concat());
    assert_eq!(
        (code, json["reason"].as_str()),
        (1, Some("revocation-not-checked"))
    );
}

#[test]
fn max_depth_flag_is_used() {
    let (code, json, _) = verify("jiangsu", "valid.pem", &["--max-depth", "1"]);
    assert_eq!((code, json["reason"].as_str()), (1, Some("path-too-long")));
}

#[test]
fn usage_errors_exit_2() {
    let leaf = demo("jiangsu", "valid.pem");
    // Unknown flag, bad time, missing file, a file that is neither PEM nor DER.
    assert_eq!(run(&["verify", "--bogus", s(&leaf)]).0, 2);
    assert_eq!(run(&["verify", "--at", "yesterday", s(&leaf)]).0, 2);
    assert_eq!(run(&["verify", "--purpose", "signing", s(&leaf)]).0, 2);
    assert_eq!(run(&["verify", "/nonexistent/cert.pem"]).0, 2);
    let dir = tempfile::tempdir().expect("tempdir");
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "hello, not a certificate").expect("write");
    assert_eq!(run(&["verify", s(&text)]).0, 2);
    assert_eq!(run(&["verify", "--anchor", s(&text), s(&leaf)]).0, 2);
    assert_eq!(run(&["inspect", s(&text)]).0, 2);
    assert_eq!(run(&[]).0, 2);
}

#[test]
fn malformed_der_is_invalid_not_a_usage_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let junk = dir.path().join("junk.der");
    std::fs::write(&junk, [0x30, 0x82, 0x7f, 0xff, 1, 2, 3]).expect("write");
    let root = demo("jiangsu", "root.pem");
    let (code, json, _) = run(&[
        "verify",
        "--anchor",
        s(&root),
        "--at",
        "2026-11-30T00:00:00Z",
        s(&junk),
    ]);
    assert_eq!(
        (code, json["valid"].as_bool(), json["reason"].as_str()),
        (1, Some(false), Some("malformed"))
    );
}

#[test]
fn inspect_prints_the_certificate() {
    let (code, json, _) = run(&["inspect", s(&demo("shanghai", "valid.pem"))]);
    assert_eq!(code, 0);
    assert_eq!(json["signature_algorithm"]["name"], "sm2-sm3");
    assert_eq!(json["public_key"], "sm2");
    assert_eq!(
        json["extensions"]["key_usage"],
        serde_json::json!(["digitalSignature", "nonRepudiation"])
    );
    let other = json["extensions"]["other"]
        .as_array()
        .expect("other extensions");
    assert!(other.iter().any(|e| e["oid"] == "1.2.156.10260.4.1.4"));
    let (code, json, _) = run(&[
        "inspect",
        s(&manifest_dir().join("tests/data/pkits/certs/GoodCACert.crt")),
    ]);
    assert_eq!(code, 0);
    assert_eq!(
        json["subject"],
        "C=US, O=Test Certificates 2011, CN=Good CA"
    );
}

fn seed(path: &str) -> PathBuf {
    manifest_dir().join("../seeds").join(path)
}

fn tampered_list(dir: &Path) -> PathBuf {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut env: serde_json::Value =
        serde_json::from_slice(&std::fs::read(seed("trust-list.json")).expect("list"))
            .expect("JSON");
    let payload = b64
        .decode(env["payload"].as_str().expect("payload"))
        .expect("b64");
    let text = String::from_utf8(payload)
        .expect("UTF-8")
        .replace("\"sequence\": 1", "\"sequence\": 9");
    env["payload"] = serde_json::json!(b64.encode(text));
    let path = dir.join("tampered.json");
    std::fs::write(&path, serde_json::to_vec(&env).expect("JSON")).expect("write");
    path
}

#[test]
fn trust_list_verify_and_show_exit_codes() {
    let signer = seed("pki/bridge-operator.pem");
    let list = seed("trust-list.json");
    let (code, json, err) = run(&[
        "trust-list",
        "verify",
        "--signer",
        s(&signer),
        "--at",
        "2026-11-30T00:00:00Z",
        s(&list),
    ]);
    assert_eq!(code, 0, "{json} {err}");
    assert_eq!(json["valid"], true);
    assert_eq!(json["sequence"], 1);
    // Three bidder-signing CAs and the demo timestamping authority.
    assert_eq!(json["services"], 4);
    let (code, json, _) = run(&[
        "trust-list",
        "show",
        "--signer",
        s(&signer),
        "--at",
        "2026-11-30T00:00:00Z",
        s(&list),
    ]);
    assert_eq!(code, 0);
    assert_eq!(json["sequence"], 1);
    assert_eq!(json["services"][0]["id"], "shanghai-demo-sm2-ca");
    assert_eq!(json["services"][3]["type"], "timestamping-authority");
    assert_eq!(
        json["services"][2]["credit_code_rules"],
        serde_json::json!([{"extension": "1.2.156.10260.4.4"}, {"subject": "serialNumber"}])
    );
    // Expired at the given time: exit 1 with the reason and the sequence.
    let (code, json, _) = run(&[
        "trust-list",
        "verify",
        "--signer",
        s(&signer),
        "--at",
        "2037-06-01T00:00:00Z",
        s(&list),
    ]);
    assert_eq!(code, 1);
    assert_eq!(json["reason"], "trust-list-expired");
    assert_eq!(json["error"]["sequence"], 1);
    // Altered: exit 1.
    let dir = tempfile::tempdir().expect("tempdir");
    let tampered = tampered_list(dir.path());
    let (code, json, _) = run(&["trust-list", "show", "--signer", s(&signer), s(&tampered)]);
    assert_eq!(code, 1);
    assert_eq!(json["reason"], "trust-list-bad-signature");
    // Wrong signer pinned: exit 1.
    let (code, json, _) = run(&[
        "trust-list",
        "verify",
        "--signer",
        s(&seed("pki/server.pem")),
        s(&list),
    ]);
    assert_eq!(code, 1);
    assert_eq!(json["reason"], "trust-list-wrong-signer");
    // Unsigned: exit 1.
    let (code, json, _) = run(&[
        "trust-list",
        "verify",
        "--signer",
        s(&signer),
        s(&seed("trust-list.source.json")),
    ]);
    assert_eq!(code, 1);
    assert_eq!(json["reason"], "trust-list-unsigned");
    // Usage errors: exit 2.
    let (code, _, _) = run(&[
        "trust-list",
        "verify",
        "--signer",
        s(&signer),
        "/nonexistent/list.json",
    ]);
    assert_eq!(code, 2);
    let (code, _, _) = run(&["trust-list", "verify", "--signer", s(&list), s(&list)]);
    assert_eq!(code, 2);
    let (code, _, _) = run(&["trust-list", "verify", s(&list)]);
    assert_eq!(code, 2);
    // An RSA certificate cannot be a list signer.
    let (code, _, err) = run(&[
        "trust-list",
        "verify",
        "--signer",
        s(&demo("jiangsu", "root.pem")),
        s(&list),
    ]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn trust_list_sign_round_trip() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = Command::new(env!("CARGO_BIN_EXE_ca-bridge"))
        .args([
            "trust-list",
            "sign",
            "--key",
            s(&seed("pki/bridge-operator.key")),
            "--cert",
            s(&seed("pki/bridge-operator.pem")),
            s(&seed("trust-list.source.json")),
        ])
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let signed = dir.path().join("signed.json");
    std::fs::write(&signed, &out.stdout).expect("write");
    let (code, json, _) = run(&[
        "trust-list",
        "verify",
        "--signer",
        s(&seed("pki/bridge-operator.pem")),
        "--at",
        "2026-11-30T00:00:00Z",
        s(&signed),
    ]);
    assert_eq!(code, 0, "{json}");
    // A key that is not the certificate's: exit 1, nothing on stdout.
    let out = Command::new(env!("CARGO_BIN_EXE_ca-bridge"))
        .args([
            "trust-list",
            "sign",
            "--key",
            s(&seed("pki/server.key")),
            "--cert",
            s(&seed("pki/bridge-operator.pem")),
            s(&seed("trust-list.source.json")),
        ])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    // A list that is not a list: exit 1.
    let (code, _, err) = run(&[
        "trust-list",
        "sign",
        "--key",
        s(&seed("pki/bridge-operator.key")),
        "--cert",
        s(&seed("pki/bridge-operator.pem")),
        s(&seed("pki/fingerprints.txt")),
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("trust-list-malformed"), "{err}");
    // Missing key file: exit 2.
    let (code, _, _) = run(&[
        "trust-list",
        "sign",
        "--key",
        "/nonexistent.key",
        "--cert",
        s(&seed("pki/bridge-operator.pem")),
        s(&seed("trust-list.source.json")),
    ]);
    assert_eq!(code, 2);
}

fn verify_under_list(leaf: &Path, extra: &[&str]) -> (i32, serde_json::Value, String) {
    let list = seed("trust-list.json");
    let signer = seed("pki/bridge-operator.pem");
    let mut args = vec![
        "verify",
        "--trust-list",
        s(&list),
        "--trust-list-signer",
        s(&signer),
        "--at",
        "2026-11-30T00:00:00Z",
    ];
    args.extend_from_slice(extra);
    args.push(s(leaf));
    run(&args)
}

#[test]
fn verify_under_the_demo_trust_list() {
    for (p, code_) in [
        ("shanghai", "91310118MA1H3K8N4A"),
        ("jiangsu", "91320509MA1MQ2G59F"),
        ("zhejiang", "91330421MA2B1C3D4B"),
    ] {
        let crl = demo(p, "crl.pem");
        let arl = demo(p, "arl.pem");
        let crls = ["--crl", s(&crl), "--crl", s(&arl)];
        let (code, json, err) = verify_under_list(&demo(p, "valid.pem"), &crls);
        assert_eq!(code, 0, "{p}: {json} {err}");
        assert_eq!(json["province"], p);
        assert_eq!(json["trust_list_sequence"], 1);
        assert_eq!(json["holder"]["credit_code"], code_);
        assert_eq!(json["holder"]["credit_code_check"], "valid");
        let (code, json, _) = verify_under_list(&demo(p, "revoked.pem"), &crls);
        assert_eq!((code, json["reason"].as_str()), (1, Some("revoked")));
        let (code, json, _) = verify_under_list(&demo(p, "bad-credit-code.pem"), &[]);
        assert_eq!(code, 0);
        assert_eq!(json["holder"]["credit_code_check"], "bad-check-digit");
        let (code, json, _) =
            verify_under_list(&demo(p, "bad-credit-code.pem"), &["--strict-credit-code"]);
        assert_eq!(
            (code, json["reason"].as_str()),
            (1, Some("bad-credit-code"))
        );
    }
    // Suspension judged at the signing time: a signing time before the CA's grant is not recognised.
    let (code, json, _) = verify_under_list(
        &demo("jiangsu", "valid.pem"),
        &["--signing-time", "2024-12-31T00:00:00Z"],
    );
    assert_eq!(
        (code, json["reason"].as_str()),
        (1, Some("ca-not-recognised"))
    );
    // An altered list: exit 1, the list's reason.
    let dir = tempfile::tempdir().expect("tempdir");
    let tampered = tampered_list(dir.path());
    let (code, json, _) = run(&[
        "verify",
        "--trust-list",
        s(&tampered),
        "--trust-list-signer",
        s(&seed("pki/bridge-operator.pem")),
        s(&demo("jiangsu", "valid.pem")),
    ]);
    assert_eq!(
        (code, json["reason"].as_str()),
        (1, Some("trust-list-bad-signature"))
    );
    // --trust-list without its signer, or with --anchor: usage errors.
    let (code, _, err) = run(&[
        "verify",
        "--trust-list",
        s(&seed("trust-list.json")),
        s(&demo("jiangsu", "valid.pem")),
    ]);
    assert_eq!(code, 2, "{err}");
    let (code, _, err) = run(&[
        "verify",
        "--trust-list",
        s(&seed("trust-list.json")),
        "--trust-list-signer",
        s(&seed("pki/bridge-operator.pem")),
        "--anchor",
        s(&demo("jiangsu", "root.pem")),
        s(&demo("jiangsu", "valid.pem")),
    ]);
    assert_eq!(code, 2, "{err}");
    let (code, _, _) = run(&[
        "verify",
        "--trust-list-signer",
        s(&seed("pki/bridge-operator.pem")),
        s(&demo("jiangsu", "valid.pem")),
    ]);
    assert_eq!(code, 2);
    let (code, _, _) = run(&[
        "verify",
        "--trust-list",
        "/nonexistent.json",
        "--trust-list-signer",
        s(&seed("pki/bridge-operator.pem")),
        s(&demo("jiangsu", "valid.pem")),
    ]);
    assert_eq!(code, 2);
}
