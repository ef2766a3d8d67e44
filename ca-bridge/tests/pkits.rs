//! NIST PKITS 1.0.1 through the library: every case of the manifest, with an exceptions file that
//! gives a reason for each divergence. The test fails on an unexpected failure and on an unexpected
//! pass (a listed exception that now passes must be removed from the file).

use std::collections::BTreeMap;
use std::path::PathBuf;

use ca_bridge::{
    Certificate, Crl, Options, PolicyInputs, Purpose, RevocationData, Sm2Ids, Verifier,
};
use serde_json::Value;

fn data() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/pkits")
}

fn exceptions() -> BTreeMap<String, String> {
    let text =
        std::fs::read_to_string(data().join("exceptions.txt")).expect("exceptions.txt is readable");
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (id, reason) = l
                .split_once(char::is_whitespace)
                .expect("each exception has a reason");
            (id.to_owned(), reason.trim().to_owned())
        })
        .collect()
}

/// Runs one case; returns whether the outcome matched the expectation, a description, and the
/// reason code (None when valid).
fn run_case(case: &Value, at: i64) -> (bool, String, Option<&'static str>) {
    let names: Vec<&str> = case["certs"]
        .as_array()
        .expect("certs")
        .iter()
        .map(|v| v.as_str().expect("name"))
        .collect();
    let load = |n: &str| std::fs::read(data().join("certs").join(n)).expect("certificate file");
    let parsed: Vec<Result<Certificate, ca_bridge::Error>> = names
        .iter()
        .map(|n| Certificate::from_der(&load(n)))
        .collect();
    let expected = case["expected_valid"].as_bool().expect("expected_valid");
    let mut certs = Vec::new();
    for (n, p) in names.iter().zip(parsed) {
        match p {
            Ok(c) => certs.push(c),
            Err(e) => {
                return (
                    !expected,
                    format!("{n} does not parse: {}", e.code()),
                    Some(e.code()),
                );
            }
        }
    }
    let ee = certs.pop().expect("end entity");
    let anchor = certs.remove(0);
    let mut crls = Vec::new();
    for c in case["crls"].as_array().expect("crls") {
        let n = c.as_str().expect("crl name");
        match Crl::from_der(&std::fs::read(data().join("crls").join(n)).expect("crl file")) {
            Ok(c) => crls.push(c),
            Err(e) => {
                return (
                    !expected,
                    format!("{n} does not parse: {}", e.code()),
                    Some(e.code()),
                );
            }
        }
    }
    let strings = |k: &str| -> Vec<String> {
        case[k]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut opts = Options::at(at);
    opts.purpose = Purpose::Any;
    opts.policy = PolicyInputs {
        initial_policy_set: strings("initial_policy_set"),
        explicit_policy: case["initial_explicit_policy"].as_bool().unwrap_or(false),
        inhibit_policy_mapping: case["initial_policy_mapping_inhibit"]
            .as_bool()
            .unwrap_or(false),
        inhibit_any_policy: case["initial_inhibit_any_policy"]
            .as_bool()
            .unwrap_or(false),
    };
    let verifier = Verifier::new(vec![anchor], certs, Sm2Ids::default());
    let verdict = verifier.verify(&ee, &RevocationData { crls, ocsp: vec![] }, &opts);
    let mut ok = verdict.valid == expected;
    let mut desc = match &verdict.error {
        None => "valid".to_owned(),
        Some(e) => format!("{}: {e}", e.code()),
    };
    if ok && verdict.valid && case.get("expected_user_constrained_policy_set").is_some() {
        let mut want = strings("expected_user_constrained_policy_set");
        want.sort();
        let mut got = verdict.policies.clone();
        got.sort();
        if want != got {
            ok = false;
            desc = format!("policy set {got:?}, expected {want:?}");
        }
    }
    (ok, desc, verdict.reason)
}

fn manifest() -> (Value, i64) {
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(data().join("manifest.json")).expect("manifest"))
            .expect("manifest JSON");
    let at = time::OffsetDateTime::parse(
        manifest["validation_time"]
            .as_str()
            .expect("validation_time"),
        &time::format_description::well_known::Rfc3339,
    )
    .expect("time")
    .unix_timestamp();
    (manifest, at)
}

/// Invalid cases fail for the right reason, not just any reason.
#[test]
fn pkits_reason_codes() {
    let (manifest, at) = manifest();
    let cases = manifest["testcases"].as_array().expect("testcases");
    for (id, reason) in [
        ("Section1InvalidCASignatureTest2", "bad-signature"),
        ("Section2InvalidCAnotBeforeDateTest1", "not-yet-valid"),
        ("Section2InvalidEEnotBeforeDateTest2", "not-yet-valid"),
        ("Section3InvalidNameChainingEETest1", "unknown-issuer"),
        ("Section4MissingCRLTest1", "revocation-unknown"),
        ("Section4InvalidRevokedCATest2", "revoked"),
        ("Section4InvalidRevokedEETest3", "revoked"),
        ("Section4InvalidOldCRLnextUpdateTest11", "crl-expired"),
        ("Section5InvalidBasicSelfIssuedOldWithNewTest2", "revoked"),
        ("Section6InvalidMissingbasicConstraintsTest1", "not-ca"),
        ("Section6InvalidpathLenConstraintTest9", "path-length"),
        (
            "Section7InvalidkeyUsageCriticalkeyCertSignFalseTest1",
            "key-usage",
        ),
        (
            "Section7InvalidkeyUsageCriticalcRLSignFalseTest4",
            "revocation-unknown",
        ),
        ("Section8DifferentPoliciesTest3Subpart2", "policy"),
        ("Section9InvalidRequireExplicitPolicyTest3", "policy"),
        ("Section10InvalidPolicyMappingTest2Subpart1", "policy"),
        ("Section12InvalidinhibitAnyPolicyTest1", "policy"),
        ("Section13InvalidDNnameConstraintsTest2", "name-constraints"),
        (
            "Section14InvalidonlyContainsCACertsCRLTest12",
            "revocation-unknown",
        ),
        ("Section15InvaliddeltaCRLTest3", "revoked"),
        ("Section15InvaliddeltaCRLTest10", "crl-expired"),
        (
            "Section16InvalidUnknownCriticalCertificateExtensionTest2",
            "unknown-critical-extension",
        ),
    ] {
        let case = cases
            .iter()
            .find(|c| c["id"] == id)
            .unwrap_or_else(|| panic!("no case {id}"));
        let (_, desc, got) = run_case(case, at);
        assert_eq!(got, Some(reason), "{id}: {desc}");
    }
}

#[test]
fn pkits() {
    let (manifest, at) = manifest();
    let exceptions = exceptions();
    let cases = manifest["testcases"].as_array().expect("testcases");
    assert_eq!(cases.len(), 249);
    let mut passed = 0;
    let mut problems = Vec::new();
    for case in cases {
        let id = case["id"].as_str().expect("id");
        let (ok, desc, _) = run_case(case, at);
        if ok {
            passed += 1;
        }
        match (ok, exceptions.contains_key(id)) {
            (true, true) => problems.push(format!(
                "UNEXPECTED PASS {id} (remove it from exceptions.txt): {desc}"
            )),
            (false, false) => problems.push(format!(
                "UNEXPECTED FAILURE {id} [{}] expected valid={}: {desc}",
                case["section"], case["expected_valid"]
            )),
            _ => {}
        }
    }
    for id in exceptions.keys() {
        assert!(
            cases.iter().any(|c| c["id"] == id.as_str()),
            "exception {id} names no case"
        );
    }
    println!(
        "PKITS: {passed} of {} cases pass, {} listed exceptions",
        cases.len(),
        exceptions.len()
    );
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
    assert!(passed >= 237, "only {passed} PKITS cases pass");
}
