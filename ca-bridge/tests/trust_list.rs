//! Trust lists: the signed demo list (`seeds/trust-list.json`) with every demo bidder certificate,
//! service status judged at the time that matters, the list's algorithm and policy rules, refused
//! lists (unsigned, altered, wrong signer, expired, older), masking of personal ID numbers.

mod common;

use base64::Engine as _;
use ca_bridge::trust_list::key_id;
use ca_bridge::{
    Certificate, CreditCodePolicy, Error, Options, RevocationData, TrustList, TrustListSigner,
    TrustListVerifier, TrustOptions, Verdict, sign_trust_list,
};
use common::{cert, crl, manifest_dir, t};
use serde_json::{Value, json};

const AT: &str = "2026-11-30T00:00:00Z";

fn seeds() -> std::path::PathBuf {
    manifest_dir().join("../seeds")
}

fn signer() -> TrustListSigner {
    TrustListSigner::new(cert(&seeds().join("pki/bridge-operator.pem"))).expect("P-256 signer")
}

fn operator_key() -> Vec<u8> {
    std::fs::read(seeds().join("pki/bridge-operator.key")).expect("key")
}

fn source() -> Value {
    let text = std::fs::read_to_string(seeds().join("trust-list.source.json")).expect("source");
    serde_json::from_str(&text).expect("JSON")
}

/// Signs a (modified) list with the operator key and loads it at `now`.
fn signed(list: &Value) -> String {
    let bytes = serde_json::to_vec_pretty(list).expect("JSON");
    sign_trust_list(&bytes, &operator_key(), &signer()).expect("signs")
}

fn load(list: &Value, now: &str) -> Result<TrustList, Error> {
    TrustList::load(signed(list).as_bytes(), &signer(), t(now))
}

fn demo_list() -> TrustListVerifier {
    let bytes = std::fs::read(seeds().join("trust-list.json")).expect("signed list");
    TrustListVerifier::new(TrustList::load(&bytes, &signer(), t(AT)).expect("demo list loads"))
}

fn bidder(province: &str, name: &str) -> Certificate {
    cert(&seeds().join(format!("pki/bidders/{province}/{name}.pem")))
}

fn crls(province: &str) -> RevocationData {
    let dir = seeds().join(format!("pki/bidders/{province}"));
    RevocationData {
        crls: vec![crl(&dir.join("crl.pem")), crl(&dir.join("arl.pem"))],
        ocsp: vec![],
    }
}

fn verify_at(
    v: &TrustListVerifier,
    province: &str,
    name: &str,
    at: &str,
    topts: &TrustOptions,
) -> Verdict {
    v.verify(
        &bidder(province, name),
        &[],
        &crls(province),
        &Options::at(t(at)),
        topts,
    )
}

fn holder_json(v: &Verdict) -> Value {
    serde_json::to_value(&v.holder).expect("JSON")
}

/// (province, service id, name, company, credit code, check) for every demo bidder.
const BIDDERS: &[(&str, &str, &str, &str, &str, &str)] = &[
    (
        "shanghai",
        "shanghai-demo-sm2-ca",
        "valid",
        "上海青浦明珠建设工程有限公司",
        "91310118MA1H3K8N4A",
        "valid",
    ),
    (
        "shanghai",
        "shanghai-demo-sm2-ca",
        "expired",
        "上海淀山湖市政工程有限公司",
        "91310118MA1H5C2P1W",
        "valid",
    ),
    (
        "shanghai",
        "shanghai-demo-sm2-ca",
        "not-yet-valid",
        "上海朱家角园林绿化有限公司",
        "91310118MA1HAW6T11",
        "valid",
    ),
    (
        "shanghai",
        "shanghai-demo-sm2-ca",
        "revoked",
        "上海练塘水利建设有限公司",
        "91310118MA1HBD4R6F",
        "valid",
    ),
    (
        "shanghai",
        "shanghai-demo-sm2-ca",
        "wrong-usage",
        "上海金泽建筑安装有限公司",
        "91310118MA1HCL7U70",
        "valid",
    ),
    (
        "shanghai",
        "shanghai-demo-sm2-ca",
        "bad-credit-code",
        "上海赵巷智能科技有限公司",
        "91310118MA1HE9X3X9",
        "bad-check-digit",
    ),
    (
        "jiangsu",
        "jiangsu-demo-rsa-ca",
        "valid",
        "苏州吴江太湖建设集团有限公司",
        "91320509MA1MQ2G59F",
        "valid",
    ),
    (
        "jiangsu",
        "jiangsu-demo-rsa-ca",
        "expired",
        "苏州吴江汾湖路桥工程有限公司",
        "91320509MA1MR7J811",
        "valid",
    ),
    (
        "jiangsu",
        "jiangsu-demo-rsa-ca",
        "not-yet-valid",
        "苏州吴江震泽园林工程有限公司",
        "91320509MA1MT4K13P",
        "valid",
    ),
    (
        "jiangsu",
        "jiangsu-demo-rsa-ca",
        "revoked",
        "苏州吴江盛泽水利工程有限公司",
        "91320509MA1MU6L372",
        "valid",
    ),
    (
        "jiangsu",
        "jiangsu-demo-rsa-ca",
        "wrong-usage",
        "苏州吴江松陵建筑安装有限公司",
        "91320509MA1MW8N01X",
        "valid",
    ),
    (
        "jiangsu",
        "jiangsu-demo-rsa-ca",
        "bad-credit-code",
        "苏州吴江黎里信息技术有限公司",
        "91320509MA1MX2P62A",
        "bad-check-digit",
    ),
    (
        "zhejiang",
        "zhejiang-demo-ecc-ca",
        "valid",
        "嘉善西塘建设工程有限公司",
        "91330421MA2B1C3D4B",
        "valid",
    ),
    (
        "zhejiang",
        "zhejiang-demo-ecc-ca",
        "expired",
        "嘉善姚庄交通工程有限公司",
        "91330421MA2B4E5F5H",
        "valid",
    ),
    (
        "zhejiang",
        "zhejiang-demo-ecc-ca",
        "not-yet-valid",
        "嘉善天凝园林工程有限公司",
        "91330421MA2B6G7H0D",
        "valid",
    ),
    (
        "zhejiang",
        "zhejiang-demo-ecc-ca",
        "revoked",
        "嘉善大云水利建设有限公司",
        "91330421MA2B8J9K7E",
        "valid",
    ),
    (
        "zhejiang",
        "zhejiang-demo-ecc-ca",
        "wrong-usage",
        "嘉善魏塘建筑安装有限公司",
        "91330421MA2BAL1M97",
        "valid",
    ),
    (
        "zhejiang",
        "zhejiang-demo-ecc-ca",
        "bad-credit-code",
        "嘉善陶庄科技有限公司",
        "91330421MA2BCN3P2X",
        "bad-check-digit",
    ),
];

fn expected_reason(name: &str) -> Option<&'static str> {
    match name {
        "expired" => Some("expired"),
        "not-yet-valid" => Some("not-yet-valid"),
        "revoked" => Some("revoked"),
        "wrong-usage" => Some("key-usage"),
        _ => None,
    }
}

#[test]
fn every_demo_bidder_gets_its_verdict_and_identity() {
    let v = demo_list();
    assert_eq!(v.sequence(), 1);
    for &(province, service, name, company, code, check) in BIDDERS {
        let verdict = verify_at(&v, province, name, AT, &TrustOptions::default());
        let what = format!("{province}/{name}: {:?}", verdict.error);
        assert_eq!(verdict.reason, expected_reason(name), "{what}");
        assert_eq!(verdict.valid, expected_reason(name).is_none(), "{what}");
        assert_eq!(verdict.trust_list_sequence, Some(1), "{what}");
        assert_eq!(verdict.province, Some(province), "{what}");
        let ca = verdict.ca.as_ref().expect("ca");
        assert_eq!(ca.id, service, "{what}");
        assert_eq!(ca.status, "granted", "{what}");
        assert_eq!(ca.status_since.as_deref(), Some("2025-01-01T00:00:00Z"));
        assert_eq!(ca.path_verified, verdict.valid, "{what}");
        assert_eq!(
            holder_json(&verdict),
            json!({"name": company, "credit_code": code, "credit_code_check": check}),
            "{what}"
        );
        let out: Value = serde_json::from_str(&verdict.to_json()).expect("JSON");
        assert_eq!(out["province"], province);
        assert_eq!(out["ca"]["id"], service);
        assert_eq!(out["trust_list_sequence"], 1);
        assert_eq!(out["holder"]["credit_code_check"], check);
        // Sending the intermediate along changes nothing.
        let with_chain = v.verify(
            &bidder(province, name),
            &[bidder(province, "issuing-ca")],
            &crls(province),
            &Options::at(t(AT)),
            &TrustOptions::default(),
        );
        assert_eq!(with_chain.reason, verdict.reason, "{what}");
        if verdict.valid {
            assert_eq!(verdict.chain.len(), 3, "{what}");
            assert!(
                verdict
                    .revocation
                    .certificates
                    .iter()
                    .all(|r| r.status == "good")
            );
        }
    }
}

#[test]
fn revoked_needs_the_crl_and_is_revoked_with_it() {
    let v = demo_list();
    for p in ["shanghai", "jiangsu", "zhejiang"] {
        let verdict = verify_at(&v, p, "revoked", AT, &TrustOptions::default());
        let Some(Error::Revoked {
            revoked_at, reason, ..
        }) = &verdict.error
        else {
            panic!("{p}: {:?}", verdict.error);
        };
        assert_eq!(revoked_at, "2026-03-01T00:00:00Z");
        assert_eq!(reason, "key-compromise");
        let without = v.verify(
            &bidder(p, "revoked"),
            &[],
            &RevocationData::default(),
            &Options::at(t(AT)),
            &TrustOptions::default(),
        );
        assert!(without.valid, "{p}: {:?}", without.error);
    }
}

#[test]
fn strict_credit_code_policy_invalidates_a_bad_check_digit() {
    let v = demo_list();
    let strict = TrustOptions {
        credit_code: CreditCodePolicy::Strict,
        ..TrustOptions::default()
    };
    for &(province, _, name, company, code, check) in BIDDERS {
        if name != "bad-credit-code" && name != "valid" {
            continue;
        }
        let verdict = verify_at(&v, province, name, AT, &strict);
        if name == "valid" {
            assert!(verdict.valid, "{province}: {:?}", verdict.error);
            continue;
        }
        assert_eq!(verdict.reason, Some("bad-credit-code"), "{province}");
        let Some(Error::BadCreditCode {
            credit_code,
            check: c,
            subject,
        }) = &verdict.error
        else {
            panic!("{province}: {:?}", verdict.error);
        };
        assert_eq!(credit_code, code);
        assert_eq!(*c, check);
        assert!(subject.contains(company), "{subject}");
        assert!(verdict.chain.is_empty());
        assert_eq!(
            holder_json(&verdict)["credit_code_check"],
            "bad-check-digit"
        );
    }
}

fn service_mut<'a>(list: &'a mut Value, province: &str) -> &'a mut Value {
    list["provinces"]
        .as_array_mut()
        .expect("provinces")
        .iter_mut()
        .find(|p| p["province"] == province)
        .expect("province")
        .pointer_mut("/services/0")
        .expect("service")
}

fn with_history(province: &str, history: Value, sequence: u64) -> TrustListVerifier {
    let mut list = source();
    list["sequence"] = json!(sequence);
    let last = history
        .as_array()
        .and_then(|h| h.last())
        .map(|h| h["status"].clone())
        .expect("history");
    let s = service_mut(&mut list, province);
    s["status"] = last;
    s["status_history"] = history;
    TrustListVerifier::new(load(&list, AT).expect("loads"))
}

#[test]
fn suspension_is_judged_at_the_time_that_matters() {
    let suspended_from = "2026-06-01T00:00:00Z";
    let v = with_history(
        "jiangsu",
        json!([
            {"status": "granted", "from": "2025-01-01T00:00:00Z"},
            {"status": "suspended", "from": suspended_from},
        ]),
        2,
    );
    let before = "2026-05-31T23:59:59Z";
    let after = "2026-06-01T00:00:01Z";
    let d = TrustOptions::default();
    let ok = verify_at(&v, "jiangsu", "valid", before, &d);
    assert!(ok.valid, "{:?}", ok.error);
    assert_eq!(ok.ca.as_ref().map(|c| c.status), Some("granted"));
    let bad = verify_at(&v, "jiangsu", "valid", after, &d);
    assert_eq!(
        bad.error,
        Some(Error::CaSuspended {
            service: "jiangsu-demo-rsa-ca".into(),
            since: suspended_from.into(),
            at: after.into(),
        })
    );
    assert_eq!(bad.reason, Some("ca-suspended"));
    assert_eq!(bad.ca.as_ref().map(|c| c.status), Some("suspended"));
    assert_eq!(bad.province, Some("jiangsu"));
    assert_eq!(bad.trust_list_sequence, Some(2));
    // A signature made before the suspension, validated later: judged at the signing time.
    let signed_before = TrustOptions {
        signing_time: Some(t(before)),
        ..TrustOptions::default()
    };
    let ok = verify_at(&v, "jiangsu", "valid", AT, &signed_before);
    assert!(ok.valid, "{:?}", ok.error);
    let signed_after = TrustOptions {
        signing_time: Some(t(after)),
        ..TrustOptions::default()
    };
    let bad = verify_at(&v, "jiangsu", "valid", AT, &signed_after);
    assert_eq!(bad.reason, Some("ca-suspended"));
    // The other provinces are untouched.
    assert!(verify_at(&v, "zhejiang", "valid", after, &d).valid);
    // Reinstated: granted again.
    let v = with_history(
        "jiangsu",
        json!([
            {"status": "granted", "from": "2025-01-01T00:00:00Z"},
            {"status": "suspended", "from": suspended_from},
            {"status": "granted", "from": "2026-07-01T00:00:00Z"},
        ]),
        3,
    );
    assert_eq!(
        verify_at(&v, "jiangsu", "valid", after, &d).reason,
        Some("ca-suspended")
    );
    assert!(verify_at(&v, "jiangsu", "valid", AT, &d).valid);
}

#[test]
fn withdrawn_and_not_yet_recognised_services() {
    let d = TrustOptions::default();
    let v = with_history(
        "shanghai",
        json!([
            {"status": "granted", "from": "2025-01-01T00:00:00Z"},
            {"status": "withdrawn", "from": "2026-09-01T00:00:00Z"},
        ]),
        2,
    );
    assert!(verify_at(&v, "shanghai", "valid", "2026-08-31T00:00:00Z", &d).valid);
    assert_eq!(
        verify_at(&v, "shanghai", "valid", AT, &d).error,
        Some(Error::CaWithdrawn {
            service: "shanghai-demo-sm2-ca".into(),
            since: "2026-09-01T00:00:00Z".into(),
            at: AT.into(),
        })
    );
    let v = with_history(
        "zhejiang",
        json!([{"status": "granted", "from": "2026-12-01T00:00:00Z"}]),
        2,
    );
    let verdict = verify_at(&v, "zhejiang", "valid", AT, &d);
    assert_eq!(
        verdict.error,
        Some(Error::CaNotRecognised {
            service: "zhejiang-demo-ecc-ca".into(),
            at: AT.into(),
        })
    );
    assert_eq!(
        verdict.ca.as_ref().map(|c| c.status),
        Some("not-recognised")
    );
}

#[test]
fn algorithms_and_policies_of_the_service_are_enforced() {
    let mut list = source();
    service_mut(&mut list, "shanghai")["algorithms"] = json!(["ecdsa-p256-sha256"]);
    service_mut(&mut list, "zhejiang")["algorithms"] = json!(["ecdsa-p384-sha384"]);
    service_mut(&mut list, "jiangsu")["policies"] = json!(["1.2.156.112570.1.1"]);
    let v = TrustListVerifier::new(load(&list, AT).expect("loads"));
    let d = TrustOptions::default();
    let sh = verify_at(&v, "shanghai", "valid", AT, &d);
    assert_eq!(
        sh.error,
        Some(Error::AlgorithmNotAccepted {
            subject: "C=CN, O=YRD Demo Shanghai CA, CN=YRD Demo Shanghai SM2 Issuing CA".into(),
            algorithm: "sm2-sm3".into(),
            service: "shanghai-demo-sm2-ca".into(),
        })
    );
    let zj = verify_at(&v, "zhejiang", "valid", AT, &d);
    assert_eq!(zj.reason, Some("algorithm-not-accepted"));
    let Some(Error::AlgorithmNotAccepted { algorithm, .. }) = &zj.error else {
        panic!("{:?}", zj.error);
    };
    assert_eq!(algorithm, "ecdsa-p256-sha256");
    let js = verify_at(&v, "jiangsu", "valid", AT, &d);
    assert_eq!(js.reason, Some("policy"), "{:?}", js.error);
}

#[test]
fn a_service_identified_by_key_only_takes_its_anchor_from_the_chain() {
    let mut list = source();
    let root = bidder("zhejiang", "root");
    let s = service_mut(&mut list, "zhejiang");
    s.as_object_mut().expect("object").remove("certificate");
    s["key_id"] = json!(key_id(&root));
    let v = TrustListVerifier::new(load(&list, AT).expect("loads"));
    let opts = Options::at(t(AT));
    let d = TrustOptions::default();
    let ee = bidder("zhejiang", "valid");
    let without = v.verify(&ee, &[], &crls("zhejiang"), &opts, &d);
    assert_eq!(without.reason, Some("unknown-issuer"));
    assert_eq!(without.ca.as_ref().map(|c| c.path_verified), Some(false));
    let with = v.verify(&ee, &[root], &crls("zhejiang"), &opts, &d);
    assert!(with.valid, "{:?}", with.error);
    assert_eq!(
        with.ca.as_ref().map(|c| c.id.as_str()),
        Some("zhejiang-demo-ecc-ca")
    );
    // Another key under the same name is not the anchor.
    let (other_root, _, _) = common::pki::chain(0, common::pki::ec_key);
    let other = Certificate::from_der(&other_root.der()).expect("cert");
    let v2 = v.verify(&ee, &[other], &crls("zhejiang"), &opts, &d);
    assert_eq!(v2.reason, Some("unknown-issuer"));
}

#[test]
fn refused_lists_say_why() {
    let s = signer();
    let now = t(AT);
    let good = std::fs::read(seeds().join("trust-list.json")).expect("signed");
    // Unsigned: the bare list, or an envelope with an empty signature.
    let bare = std::fs::read(seeds().join("trust-list.source.json")).expect("source");
    assert_eq!(
        TrustList::load(&bare, &s, now).err(),
        Some(Error::TrustListUnsigned)
    );
    let mut env: Value = serde_json::from_slice(&good).expect("JSON");
    env["signature"] = json!("");
    let bytes = serde_json::to_vec(&env).expect("JSON");
    assert_eq!(
        TrustList::load(&bytes, &s, now).err(),
        Some(Error::TrustListUnsigned)
    );
    // Altered: one more year of validity in the payload.
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut env: Value = serde_json::from_slice(&good).expect("JSON");
    let payload = b64
        .decode(env["payload"].as_str().expect("payload"))
        .expect("b64");
    let text = String::from_utf8(payload)
        .expect("UTF-8")
        .replace("2037-01-01", "2038-01-01");
    env["payload"] = json!(b64.encode(text));
    let bytes = serde_json::to_vec(&env).expect("JSON");
    assert_eq!(
        TrustList::load(&bytes, &s, now).err(),
        Some(Error::TrustListBadSignature {
            signer: s.key_id().to_owned()
        })
    );
    // Signed by another key.
    let other = common::pki::issue(
        common::pki::Spec::leaf("Impostor"),
        common::pki::ec_key(),
        None,
    );
    let other_signer =
        TrustListSigner::new(Certificate::from_der(&other.der()).expect("cert")).expect("P-256");
    let other_key = other.key.private_key_to_pem_pkcs8().expect("pem");
    let bytes = sign_trust_list(&bare, &other_key, &other_signer).expect("signs");
    assert_eq!(
        TrustList::load(bytes.as_bytes(), &s, now).err(),
        Some(Error::TrustListWrongSigner {
            expected: s.key_id().to_owned(),
            found: other_signer.key_id().to_owned(),
        })
    );
    // ... also when it claims the pinned signer's key id.
    let mut env: Value = serde_json::from_str(&bytes).expect("JSON");
    env["kid"] = json!(s.key_id());
    let bytes = serde_json::to_vec(&env).expect("JSON");
    assert_eq!(
        TrustList::load(&bytes, &s, now).err().map(|e| e.code()),
        Some("trust-list-bad-signature")
    );
    // The key must match the signer certificate when signing.
    assert_eq!(
        sign_trust_list(&bare, &other_key, &s)
            .err()
            .map(|e| e.code()),
        Some("malformed")
    );
    // Expired: next_update 2037-01-01 has passed; the sequence is reported.
    assert_eq!(
        TrustList::load(&good, &s, t("2037-01-01T00:00:00Z")).err(),
        Some(Error::TrustListExpired {
            sequence: 1,
            next_update: "2037-01-01T00:00:00Z".into(),
            at: "2037-01-01T00:00:00Z".into(),
        })
    );
    // The pinned signer's certificate itself has lapsed (2045-12-31T23:59:59Z).
    let Err(Error::Expired { not_after, .. }) =
        TrustList::load(&good, &s, t("2046-06-01T00:00:00Z"))
    else {
        panic!("a lapsed signer certificate is refused");
    };
    assert_eq!(not_after, "2045-12-31T23:59:59Z");
    let list = TrustList::load(&good, &s, t("2036-12-31T23:59:59Z")).expect("still current");
    assert!(list.check_current(t("2037-01-02T00:00:00Z")).is_err());
    // Not JSON at all.
    assert_eq!(
        TrustList::load(b"\x30\x82", &s, now)
            .err()
            .map(|e| e.code()),
        Some("trust-list-malformed")
    );
}

#[test]
fn an_older_sequence_is_reported() {
    let mut list = source();
    list["sequence"] = json!(0);
    let old = load(&list, AT).expect("loads");
    assert_eq!(old.sequence(), 0);
    assert_eq!(
        old.check_not_older_than(1),
        Err(Error::TrustListOutdated {
            sequence: 0,
            installed: 1
        })
    );
    assert_eq!(old.check_not_older_than(0), Ok(()));
    let current = demo_list();
    assert_eq!(current.trust_list().check_not_older_than(1), Ok(()));
    assert_ne!(old.payload_sha256(), current.trust_list().payload_sha256());
}

#[test]
fn malformed_lists_are_refused_before_signing() {
    type Edit = Box<dyn Fn(&mut Value)>;
    let cases: Vec<(Edit, &str)> = vec![
        (Box::new(|l| l["version"] = json!(2)), "version 2"),
        (
            Box::new(|l| l["next_update"] = json!("2026-10-01T00:00:00Z")),
            "next_update is not after",
        ),
        (
            Box::new(|l| l["issued_at"] = json!("2026-11-01")),
            "not an RFC 3339 time",
        ),
        (Box::new(|l| l["surprise"] = json!(1)), "unknown field"),
        (
            Box::new(|l| service_mut(l, "jiangsu")["status"] = json!("suspended")),
            "is not the last status",
        ),
        (
            Box::new(|l| service_mut(l, "jiangsu")["id"] = json!("shanghai-demo-sm2-ca")),
            "listed twice",
        ),
        (
            Box::new(|l| service_mut(l, "jiangsu")["algorithms"] = json!(["md5"])),
            "unknown variant",
        ),
        (
            Box::new(|l| {
                service_mut(l, "jiangsu")["credit_code_rules"] = json!([{"subject": "C"}])
            }),
            "did not match any variant",
        ),
        (
            Box::new(|l| {
                service_mut(l, "jiangsu")["credit_code_rules"] =
                    json!([{"extension": "1.2.3", "subject": "CN"}])
            }),
            "did not match any variant",
        ),
        (
            Box::new(|l| service_mut(l, "jiangsu")["crl_urls"] = json!(["file:///etc/passwd"])),
            "not an http(s) URL",
        ),
        (
            Box::new(|l| {
                service_mut(l, "jiangsu")["key_id"] = json!(format!("sha256:{}", "0".repeat(64)))
            }),
            "is not the certificate's key",
        ),
        (
            Box::new(|l| service_mut(l, "jiangsu")["intermediates"] = json!(["bm90IGEgY2VydA=="])),
            "intermediates[0]",
        ),
        (
            Box::new(|l| {
                service_mut(l, "jiangsu")["status_history"] = json!([
            {"status": "suspended", "from": "2026-01-01T00:00:00Z"},
            {"status": "granted", "from": "2025-01-01T00:00:00Z"}])
            }),
            "strictly increasing",
        ),
    ];
    for (edit, expected) in cases {
        let mut list = source();
        edit(&mut list);
        let bytes = serde_json::to_vec(&list).expect("JSON");
        let err = sign_trust_list(&bytes, &operator_key(), &signer()).expect_err(expected);
        let Error::TrustListMalformed { detail } = &err else {
            panic!("{expected}: {err:?}");
        };
        assert!(detail.contains(expected), "{expected}: {detail}");
    }
}

#[test]
fn personal_id_numbers_are_masked_in_every_output() {
    use common::pki::{Spec, ec_key, issue, raw_extension};
    let root = issue(Spec::ca("Personal Test Root"), ec_key(), None);
    // PrintableString "110101199003071234" in the ID extension and in the CN.
    let mut id_der = vec![0x13, 18];
    id_der.extend_from_slice(b"110101199003071234");
    let mut spec = Spec::leaf("张三 110101199003071234");
    spec.extra = vec![raw_extension("1.2.156.10260.4.1.1", false, &id_der)];
    let leaf = issue(spec, ec_key(), Some((root.cert.subject_name(), &root.key)));
    let mut list = source();
    let s = service_mut(&mut list, "zhejiang");
    s["certificate"] = json!(String::from_utf8(root.cert.to_pem().expect("pem")).expect("UTF-8"));
    s["intermediates"] = json!([]);
    s["credit_code_rules"] = json!([{"extension": "1.2.156.10260.4.1.1"}]);
    let v = TrustListVerifier::new(load(&list, AT).expect("loads"));
    let ee = Certificate::from_der(&leaf.der()).expect("leaf");
    let verdict = v.verify(
        &ee,
        &[],
        &RevocationData::default(),
        &Options::at(common::pki::AT),
        &TrustOptions::default(),
    );
    assert!(verdict.valid, "{:?}", verdict.error);
    assert_eq!(
        holder_json(&verdict),
        json!({"name": "张三 110101********1234", "credit_code": "110101********1234", "credit_code_check": "malformed"})
    );
    let text = verdict.to_json();
    assert!(!text.contains("19900307"), "{text}");
    assert!(text.contains("110101********1234"));
    // Invalid verdicts (error details) and inspect output too.
    let expired = v.verify(
        &ee,
        &[],
        &RevocationData::default(),
        &Options::at(t("2040-01-01T00:00:00Z")),
        &TrustOptions::default(),
    );
    assert_eq!(expired.reason, Some("expired"));
    assert!(!expired.to_json().contains("19900307"));
    let inspect = ee.to_json().to_string();
    assert!(!inspect.contains("19900307"), "{inspect}");
    assert!(!inspect.contains(&hex::encode(b"19900307")), "{inspect}");
    assert!(inspect.contains("110101********1234"), "{inspect}");
}

#[test]
fn the_demo_list_matches_its_source_the_schema_and_the_pki() {
    let signed: Value =
        serde_json::from_slice(&std::fs::read(seeds().join("trust-list.json")).expect("signed"))
            .expect("JSON");
    let b64 = base64::engine::general_purpose::STANDARD;
    let payload = b64
        .decode(signed["payload"].as_str().expect("payload"))
        .expect("b64");
    let source_bytes = std::fs::read(seeds().join("trust-list.source.json")).expect("source");
    assert_eq!(
        payload, source_bytes,
        "seeds/trust-list.json is not the signed source"
    );
    let schema: Value = serde_json::from_slice(
        &std::fs::read(manifest_dir().join("../schemas/trust-list/trust-list.schema.json"))
            .expect("schema"),
    )
    .expect("JSON");
    let validator = jsonschema::draft202012::new(&schema).expect("schema compiles");
    let source = source();
    let errors: Vec<String> = validator
        .iter_errors(&source)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    let mut bad = source.clone();
    service_mut(&mut bad, "jiangsu")["type"] = json!("root-ca");
    assert!(!validator.is_valid(&bad));
    let env_schema: Value = serde_json::from_slice(
        &std::fs::read(manifest_dir().join("../schemas/trust-list/signed-trust-list.schema.json"))
            .expect("schema"),
    )
    .expect("JSON");
    let env_validator = jsonschema::draft202012::new(&env_schema).expect("schema compiles");
    assert!(env_validator.is_valid(&signed));
    // The list recognises the committed demo PKI: roots as anchors, issuing CAs as intermediates.
    let list = demo_list();
    let list = list.trust_list();
    assert!(list.next_update() - list.issued_at() >= 10 * 365 * 86_400);
    assert_eq!(list.issued_at(), t("2026-11-01T00:00:00Z"));
    for (p, s) in ["shanghai", "jiangsu", "zhejiang"]
        .iter()
        .zip(list.services())
    {
        assert_eq!(s.province.as_str(), *p);
        assert_eq!(
            s.certificate.as_ref().map(|c| c.der().to_vec()),
            Some(bidder(p, "root").der().to_vec())
        );
        assert_eq!(s.intermediates.len(), 1);
        assert_eq!(s.intermediates[0].der(), bidder(p, "issuing-ca").der());
        assert_eq!(s.crl_urls[0], format!("http://127.0.0.1/crl/{p}.crl"));
    }
}

#[test]
fn credit_code_rules_are_tried_in_order() {
    let d = TrustOptions::default();
    for (rules, code, check) in [
        (
            json!([{"subject": "serialNumber"}]),
            Some("91330421MA2B1C3D4B"),
            "valid",
        ),
        (
            json!([{"subject": "OU"}, {"extension": "1.2.156.10260.4.4"}]),
            Some("91330421MA2B1C3D4B"),
            "valid",
        ),
        (
            json!([{"subject": "CN"}]),
            Some("嘉善西塘建设工程有限公司"),
            "malformed",
        ),
        (
            json!([{"subject": "OU"}, {"extension": "1.2.86.11.7.4"}]),
            None,
            "missing",
        ),
        (json!([]), None, "missing"),
    ] {
        let mut list = source();
        service_mut(&mut list, "zhejiang")["credit_code_rules"] = rules.clone();
        let v = TrustListVerifier::new(load(&list, AT).expect("loads"));
        let verdict = verify_at(&v, "zhejiang", "valid", AT, &d);
        assert!(verdict.valid, "{rules}: {:?}", verdict.error);
        assert_eq!(
            holder_json(&verdict),
            json!({"name": "嘉善西塘建设工程有限公司", "credit_code": code, "credit_code_check": check}),
            "{rules}"
        );
        // Strict: malformed invalidates, missing does not.
        let strict = TrustOptions {
            credit_code: CreditCodePolicy::Strict,
            ..TrustOptions::default()
        };
        let verdict = verify_at(&v, "zhejiang", "valid", AT, &strict);
        let expected = (check == "malformed").then_some("bad-credit-code");
        assert_eq!(verdict.reason, expected, "{rules}");
    }
}
