//! Interoperability with the OpenSSL command line, through `ca-bridge verify-signature`:
//! `openssl cms -sign` (attached, detached, streamed BER, without signed attributes),
//! `openssl dgst -sign` (RSA PKCS#1 v1.5 and PSS, ECDSA, SM2 with a distinguishing ID) and
//! `openssl ts -query/-reply` timestamps from the demo TSA verify; and the other way round, OpenSSL
//! verifies the SignedData and timestamp tokens ca-bridge makes. Also the command's exit codes
//! (0 valid, 1 invalid, 2 usage).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use ca_bridge::signature::{CmsOptions, DigestAlgorithm, signature_value};
use common::sig::{BID, bidder_path, demo_tsa, openssl, pki, seeds, sign};
use common::t;
use serde_json::Value;

const AT: &str = "2026-11-30T00:00:00Z";

struct Dir(tempfile::TempDir);

impl Dir {
    fn new() -> Dir {
        let d = Dir(tempfile::tempdir().expect("temp dir"));
        std::fs::write(d.path("bid.txt"), BID).expect("write bid");
        d
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.path().join(name)
    }

    fn s(&self, name: &str) -> String {
        self.path(name).to_string_lossy().into_owned()
    }

    fn run_openssl(&self, args: &[&str]) {
        openssl(self.0.path(), args);
    }
}

fn p(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

/// Runs `ca-bridge verify-signature` under the demo trust list with `province`'s CRLs and the
/// TSA's; returns the exit code and the JSON verdict.
fn verify_signature(province: &str, extra: &[String]) -> (i32, Value, String) {
    let mut args: Vec<String> = vec![
        "verify-signature".into(),
        "--trust-list".into(),
        p(&seeds().join("trust-list.json")),
        "--trust-list-signer".into(),
        p(&pki("bridge-operator.pem")),
        "--crl".into(),
        p(&bidder_path(province, "crl", "pem")),
        "--crl".into(),
        p(&bidder_path(province, "arl", "pem")),
        "--crl".into(),
        p(&pki("tsa/crl.pem")),
    ];
    args.extend(extra.iter().cloned());
    run(&args)
}

fn run(args: &[String]) -> (i32, Value, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_ca-bridge"))
        .args(args)
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    (
        out.status.code().expect("exit code"),
        serde_json::from_str(&stdout).unwrap_or(Value::Null),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

fn strs(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

#[track_caller]
fn assert_valid(r: &(i32, Value, String), what: &str) {
    assert_eq!(r.0, 0, "{what}: {} {}", r.1, r.2);
    assert_eq!(r.1["valid"], true, "{what}");
}

#[track_caller]
fn assert_reason(r: &(i32, Value, String), code: i32, reason: &str, what: &str) {
    assert_eq!(r.0, code, "{what}: {} {}", r.1, r.2);
    assert_eq!(r.1["valid"], false, "{what}");
    assert_eq!(r.1["reason"], reason, "{what}: {}", r.1);
}

#[test]
fn openssl_cms_signatures_verify() {
    let d = Dir::new();
    for (province, alg) in [
        ("jiangsu", "rsa-pkcs1-sha256"),
        ("zhejiang", "ecdsa-p256-sha256"),
    ] {
        let cert = p(&bidder_path(province, "valid", "pem"));
        let key = p(&bidder_path(province, "valid", "key"));
        let sign = |out: &str, extra: &[&str]| {
            let mut args = vec![
                "cms", "-sign", "-binary", "-in", "bid.txt", "-signer", &cert, "-inkey", &key,
                "-outform", "DER", "-out", out,
            ];
            args.extend_from_slice(extra);
            d.run_openssl(&args);
        };
        sign("attached.der", &["-nodetach"]);
        sign("detached.der", &[]);
        sign("stream.der", &["-nodetach", "-stream"]);
        sign("noattr.der", &["-nodetach", "-noattr"]);
        sign("noattr-detached.der", &["-noattr"]);
        sign("sha384.der", &["-nodetach", "-md", "sha384"]);
        sign("attached.pem", &["-nodetach", "-outform", "PEM"]);
        sign("keyid.der", &["-nodetach", "-keyid"]);
        for (file, content) in [
            ("attached.der", false),
            ("detached.der", true),
            ("stream.der", false),
            ("noattr.der", false),
            ("noattr-detached.der", true),
            ("sha384.der", false),
            ("attached.pem", false),
            ("keyid.der", false),
        ] {
            let mut extra = vec!["--cms".to_owned(), d.s(file), "--at".into(), AT.into()];
            if content {
                extra.extend(["--content".to_owned(), d.s("bid.txt")]);
            }
            let r = verify_signature(province, &extra);
            assert_valid(&r, &format!("{province} {file}"));
            if file != "sha384.der" {
                assert_eq!(r.1["signature_algorithm"], alg, "{province} {file}");
            }
            assert_eq!(r.1["province"], province);
        }
        // The streamed one really is BER (indefinite lengths).
        let stream = std::fs::read(d.path("stream.der")).expect("read");
        assert_eq!(&stream[..2], &[0x30, 0x80]);
        // Detached over a digest.
        let digest = hex::encode(DigestAlgorithm::Sha256.digest(BID));
        let r = verify_signature(
            province,
            &strs(&[
                "--cms",
                &d.s("detached.der"),
                "--digest",
                &digest,
                "--digest-alg",
                "sha256",
                "--at",
                AT,
            ]),
        );
        assert_valid(&r, &format!("{province} detached over the digest"));
        assert_eq!(r.1["digest"]["value"], digest);
        // Tampered content.
        std::fs::write(d.path("other.txt"), b"another bid").expect("write");
        let r = verify_signature(
            province,
            &strs(&[
                "--cms",
                &d.s("detached.der"),
                "--content",
                &d.s("other.txt"),
                "--at",
                AT,
            ]),
        );
        assert_reason(&r, 1, "digest-mismatch", province);
        // The demo TSA stamps the signature value (openssl ts), supplied separately.
        let sig =
            signature_value(&std::fs::read(d.path("detached.der")).expect("read")).expect("value");
        std::fs::write(d.path("sigvalue.bin"), &sig).expect("write");
        let token = openssl_timestamp(&d, "sigvalue.bin");
        let r = verify_signature(
            province,
            &strs(&[
                "--cms",
                &d.s("detached.der"),
                "--content",
                &d.s("bid.txt"),
                "--timestamp",
                &token,
            ]),
        );
        assert_valid(&r, &format!("{province} with an openssl timestamp"));
        assert_eq!(r.1["signing_time_source"], "timestamp");
        assert_eq!(r.1["timestamp"]["service"]["id"], "yrd-demo-tsa");
    }
}

/// `openssl ts -query` over `data_file`, `-reply` by the demo TSA: the TimeStampResp's path.
fn openssl_timestamp(d: &Dir, data_file: &str) -> String {
    std::fs::write(
        d.path("ts.cnf"),
        format!(
            "[ tsa ]\ndefault_tsa = tsa1\n[ tsa1 ]\nserial = {}\ncrypto_device = builtin\n\
             default_policy = 1.2.156.112562.1.1\ndigests = sha256, sha384, sha512\n\
             signer_digest = sha256\naccuracy = secs:1\ness_cert_id_alg = sha256\n\
             certs = {}\n",
            d.s("tsaserial"),
            p(&pki("tsa/tsa.pem")),
        ),
    )
    .expect("config");
    std::fs::write(d.path("tsaserial"), "01\n").expect("serial");
    let tsa_cert = p(&pki("tsa/tsa.pem"));
    let tsa_key = p(&pki("tsa/tsa.key"));
    d.run_openssl(&[
        "ts", "-query", "-data", data_file, "-sha256", "-cert", "-out", "q.tsq",
    ]);
    d.run_openssl(&[
        "ts",
        "-reply",
        "-config",
        "ts.cnf",
        "-queryfile",
        "q.tsq",
        "-signer",
        &tsa_cert,
        "-inkey",
        &tsa_key,
        "-out",
        "r.tsr",
    ]);
    d.s("r.tsr")
}

#[test]
fn openssl_dgst_signatures_verify() {
    let d = Dir::new();
    for (province, digest, sigopts, extra, alg) in [
        ("jiangsu", "-sha256", vec![], vec![], "rsa-pkcs1-sha256"),
        (
            "jiangsu",
            "-sha256",
            vec![
                "-sigopt",
                "rsa_padding_mode:pss",
                "-sigopt",
                "rsa_pss_saltlen:digest",
            ],
            vec!["--rsa-pss"],
            "rsa-pss-sha256",
        ),
        (
            "jiangsu",
            "-sha256",
            vec![
                "-sigopt",
                "rsa_padding_mode:pss",
                "-sigopt",
                "rsa_pss_saltlen:max",
            ],
            vec!["--rsa-pss"],
            "rsa-pss-sha256",
        ),
        ("zhejiang", "-sha256", vec![], vec![], "ecdsa-p256-sha256"),
        (
            "shanghai",
            "-sm3",
            vec!["-sigopt", "distid:1234567812345678"],
            vec![],
            "sm2-sm3",
        ),
    ] {
        let what = format!("{province} {sigopts:?}");
        let key = p(&bidder_path(province, "valid", "key"));
        let mut args = vec!["dgst", digest, "-sign", &key];
        args.extend(sigopts.iter().copied());
        args.extend(["-out", "bid.sig", "bid.txt"]);
        d.run_openssl(&args);
        let cert = p(&bidder_path(province, "valid", "pem"));
        let mut base = strs(&["--signature", &d.s("bid.sig"), "--cert", &cert]);
        base.extend(strs(&extra));
        let with = |more: &[&str]| {
            let mut v = base.clone();
            v.extend(strs(more));
            verify_signature(province, &v)
        };
        let r = with(&["--content", &d.s("bid.txt"), "--at", AT]);
        assert_valid(&r, &what);
        assert_eq!(r.1["signature_algorithm"], alg, "{what}");
        assert_eq!(r.1["format"], "raw");
        if province != "shanghai" {
            let digest = hex::encode(DigestAlgorithm::Sha256.digest(BID));
            let r = with(&["--digest", &digest, "--digest-alg", "sha256", "--at", AT]);
            assert_valid(&r, &format!("{what} over the digest"));
        }
        // A timestamp by openssl ts over the signature file.
        let token = openssl_timestamp(&d, "bid.sig");
        let r = with(&["--content", &d.s("bid.txt"), "--timestamp", &token]);
        assert_valid(&r, &format!("{what} timestamped"));
        assert_eq!(r.1["timestamp"]["valid"], true);
        // Another document.
        std::fs::write(d.path("other.txt"), b"another bid").expect("write");
        let r = with(&["--content", &d.s("other.txt"), "--at", AT]);
        assert_reason(&r, 1, "signature-invalid", &what);
    }
    // SM2 signed with OpenSSL's default (empty) ID: only --sm2-id "" verifies it.
    let key = p(&bidder_path("shanghai", "valid", "key"));
    d.run_openssl(&[
        "dgst",
        "-sm3",
        "-sign",
        &key,
        "-out",
        "empty-id.sig",
        "bid.txt",
    ]);
    let cert = p(&bidder_path("shanghai", "valid", "pem"));
    let base = strs(&[
        "--signature",
        &d.s("empty-id.sig"),
        "--cert",
        &cert,
        "--content",
        &d.s("bid.txt"),
        "--at",
        AT,
    ]);
    assert_reason(
        &verify_signature("shanghai", &base),
        1,
        "signature-invalid",
        "empty ID",
    );
    let mut with_id = base.clone();
    with_id.extend(strs(&["--sm2-id", ""]));
    assert_valid(&verify_signature("shanghai", &with_id), "--sm2-id \"\"");
}

#[test]
fn openssl_verifies_what_ca_bridge_signs() {
    let d = Dir::new();
    let tsa = demo_tsa();
    for province in ["jiangsu", "zhejiang"] {
        // The issuing CA travels in the SignedData: OpenSSL builds its chain from there.
        let issuing = [common::sig::bidder_cert(province, "issuing-ca")];
        for (attached, signed_attributes) in [(true, true), (false, true), (true, false)] {
            let cms = sign(
                province,
                "valid",
                &CmsOptions {
                    attached,
                    signed_attributes,
                    signing_time: Some(t(AT)),
                    timestamp: Some((&tsa, t(AT))),
                    certificates: &issuing,
                    ..CmsOptions::default()
                },
            );
            std::fs::write(d.path("ours.der"), &cms).expect("write");
            let root = p(&bidder_path(province, "root", "pem"));
            let mut args = vec![
                "cms",
                "-verify",
                "-binary",
                "-inform",
                "DER",
                "-in",
                "ours.der",
                "-CAfile",
                &root,
                "-attime",
                "1796000000",
                "-purpose",
                "any",
                "-out",
                "out.txt",
            ];
            if !attached {
                args.extend(["-content", "bid.txt"]);
            }
            d.run_openssl(&args);
            assert_eq!(std::fs::read(d.path("out.txt")).expect("out"), BID);
        }
        // Our timestamp token verifies with openssl ts.
        let cms = sign(province, "valid", &CmsOptions::default());
        let value = signature_value(&cms).expect("value");
        std::fs::write(d.path("sig.bin"), &value).expect("write");
        let token = tsa.stamp(&value, t(AT), 42).expect("stamp");
        std::fs::write(d.path("token.der"), &token).expect("write");
        let root = p(&pki("tsa/root.pem"));
        d.run_openssl(&[
            "ts",
            "-verify",
            "-data",
            "sig.bin",
            "-in",
            "token.der",
            "-token_in",
            "-CAfile",
            &root,
        ]);
    }
}

#[test]
fn verify_signature_exit_codes() {
    let d = Dir::new();
    let cms = sign("zhejiang", "valid", &CmsOptions::default());
    std::fs::write(d.path("ok.der"), &cms).expect("write");
    std::fs::write(d.path("garbage.der"), b"\x30\x03garbage").expect("write");
    std::fs::write(d.path("truncated.der"), &cms[..cms.len() / 3]).expect("write");
    let revoked = sign("zhejiang", "revoked", &CmsOptions::default());
    std::fs::write(d.path("revoked.der"), &revoked).expect("write");
    let wrong_usage = sign("zhejiang", "wrong-usage", &CmsOptions::default());
    std::fs::write(d.path("wrong-usage.der"), &wrong_usage).expect("write");
    let detached = sign(
        "zhejiang",
        "valid",
        &CmsOptions {
            attached: false,
            ..CmsOptions::default()
        },
    );
    std::fs::write(d.path("detached.der"), &detached).expect("write");
    let at = ["--at", AT];
    let ok = |f: &str| {
        let mut v = strs(&["--cms", &d.s(f)]);
        v.extend(strs(&at));
        v
    };
    assert_valid(&verify_signature("zhejiang", &ok("ok.der")), "ok");
    assert_reason(
        &verify_signature("zhejiang", &ok("garbage.der")),
        1,
        "malformed",
        "garbage",
    );
    assert_reason(
        &verify_signature("zhejiang", &ok("truncated.der")),
        1,
        "malformed",
        "truncated",
    );
    assert_reason(
        &verify_signature("zhejiang", &ok("revoked.der")),
        1,
        "revoked",
        "revoked",
    );
    assert_reason(
        &verify_signature("zhejiang", &ok("wrong-usage.der")),
        1,
        "key-usage",
        "encryption-only",
    );
    // Usage errors: a detached signature without content, an unreadable file, no trust at all,
    // --signature without --cert, a digest that is not hex.
    let r = verify_signature("zhejiang", &ok("detached.der"));
    assert_eq!(r.0, 2, "{} {}", r.1, r.2);
    assert_eq!(verify_signature("zhejiang", &ok("missing.der")).0, 2);
    let r = run(&strs(&["verify-signature", "--cms", &d.s("ok.der")]));
    assert_eq!(r.0, 2, "{}", r.2);
    let r = verify_signature(
        "zhejiang",
        &strs(&["--signature", &d.s("ok.der"), "--content", &d.s("bid.txt")]),
    );
    assert_eq!(r.0, 2, "{}", r.2);
    let r = verify_signature(
        "zhejiang",
        &strs(&[
            "--cms",
            &d.s("detached.der"),
            "--digest",
            "zz",
            "--digest-alg",
            "sha256",
        ]),
    );
    assert_eq!(r.0, 2, "{}", r.2);
    // Under --anchor: the province's root, no list (no province, no credit code).
    let r = run(&strs(&[
        "verify-signature",
        "--anchor",
        &p(&bidder_path("zhejiang", "root", "pem")),
        "--intermediate",
        &p(&bidder_path("zhejiang", "issuing-ca", "pem")),
        "--crl",
        &p(&bidder_path("zhejiang", "crl", "pem")),
        "--crl",
        &p(&bidder_path("zhejiang", "arl", "pem")),
        "--cms",
        &d.s("ok.der"),
        "--at",
        AT,
    ]));
    assert_valid(&r, "--anchor");
    assert!(r.1.get("province").is_none());
    assert_eq!(r.1["holder"]["credit_code_check"], "missing");
    // --tsa-anchor with --anchor: a timestamped revoked signature from before the revocation.
    let tsa = demo_tsa();
    let before = sign(
        "zhejiang",
        "revoked",
        &CmsOptions {
            timestamp: Some((&tsa, t("2026-02-15T00:00:00Z"))),
            ..CmsOptions::default()
        },
    );
    std::fs::write(d.path("before.der"), &before).expect("write");
    let anchored = |extra: &[&str]| {
        let mut v = strs(&[
            "verify-signature",
            "--anchor",
            &p(&bidder_path("zhejiang", "root", "pem")),
            "--intermediate",
            &p(&bidder_path("zhejiang", "issuing-ca", "pem")),
            "--crl",
            &p(&bidder_path("zhejiang", "crl", "pem")),
            "--crl",
            &p(&bidder_path("zhejiang", "arl", "pem")),
            "--crl",
            &p(&pki("tsa/crl.pem")),
            "--cms",
            &d.s("before.der"),
            "--at",
            AT,
        ]);
        v.extend(strs(extra));
        run(&v)
    };
    let r = anchored(&[]);
    assert_reason(&r, 1, "timestamp-untrusted", "no TSA anchor");
    let r = anchored(&["--tsa-anchor", &p(&pki("tsa/root.pem"))]);
    assert_valid(&r, "TSA anchor");
    assert_eq!(r.1["signing_time"], "2026-02-15T00:00:00Z");
}
