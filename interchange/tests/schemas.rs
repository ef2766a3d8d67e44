//! Every sample against the published contracts: the JSON dialects' JSON Schemas, the canonical
//! schema, Shanghai's XSD (with `xmllint`), and the OCDS 1.1.5 release-package schema and closed
//! codelists for the OCDS export.

mod common;

use std::fs;
use std::path::Path;
use std::process::Command;

use common::{policy, samples, tables};
use interchange::{Dialect, parse, render};
use serde_json::Value;

fn load(path: &Path) -> Value {
    serde_json::from_str(&fs::read_to_string(path).expect("read schema")).expect("schema is JSON")
}

fn schema_of(d: Dialect) -> Value {
    serde_json::from_str(d.schema()).expect("embedded schema is JSON")
}

fn errors(validator: &jsonschema::Validator, doc: &Value) -> Vec<String> {
    validator
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

/// Every announcement of the ok and warn samples, in every dialect, with a label.
fn rendered(target: Dialect) -> Vec<(String, Vec<u8>)> {
    let t = tables();
    let mut out = Vec::new();
    for d in Dialect::PROVINCES {
        for folder in ["ok", "warn"] {
            for f in samples(d, folder) {
                let a = parse(d, &fs::read(&f).expect("read"), &t, &policy())
                    .expect("valid sample")
                    .announcement;
                let bytes = render(&a, target, &t).expect("renders");
                out.push((format!("{} -> {target}", f.display()), bytes));
            }
        }
    }
    out
}

#[test]
fn json_dialects_match_their_schemas() {
    for d in [Dialect::Canonical, Dialect::Jiangsu, Dialect::Zhejiang] {
        let v = jsonschema::validator_for(&schema_of(d)).expect("schema compiles");
        let mut checked = 0;
        for (label, bytes) in rendered(d) {
            let doc: Value = serde_json::from_slice(&bytes).expect("JSON");
            assert_eq!(errors(&v, &doc), Vec::<String>::new(), "{label}");
            checked += 1;
        }
        for folder in ["ok", "warn"] {
            for f in samples(d, folder) {
                let doc: Value =
                    serde_json::from_slice(&fs::read(&f).expect("read")).expect("JSON");
                assert_eq!(errors(&v, &doc), Vec::<String>::new(), "{}", f.display());
                checked += 1;
            }
        }
        // Negative control: an unknown top-level field is refused by every schema.
        let (_, first) = &rendered(d)[0];
        let mut bad: Value = serde_json::from_slice(first).expect("JSON");
        bad["no_such_field"] = Value::Bool(true);
        assert_eq!(errors(&v, &bad).len(), 1, "{d}");
        assert!(checked >= 39, "{d}: {checked}");
    }
}

#[test]
fn shanghai_documents_match_the_xsd() {
    let xsd = Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas/shanghai/bulletin.xsd");
    let dir = std::env::temp_dir().join(format!("interchange-xsd-{}", std::process::id()));
    fs::create_dir_all(&dir).expect("temp dir");
    let mut files = Vec::new();
    for (i, (_, bytes)) in rendered(Dialect::Shanghai).into_iter().enumerate() {
        let p = dir.join(format!("rendered-{i:03}.xml"));
        fs::write(&p, bytes).expect("write");
        files.push(p);
    }
    for folder in ["ok", "warn"] {
        files.extend(samples(Dialect::Shanghai, folder));
    }
    let out = Command::new("xmllint")
        .arg("--noout")
        .arg("--nonet")
        .arg("--schema")
        .arg(&xsd)
        .args(&files)
        .output()
        .expect("xmllint runs (Debian package libxml2-utils; .ci/run installs it)");
    let _ = fs::remove_dir_all(&dir);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let failures: Vec<&str> = stderr
        .lines()
        .filter(|l| !l.ends_with(" validates"))
        .collect();
    assert_eq!(failures, Vec::<&str>::new());
    assert_eq!(stderr.lines().count(), files.len());
    assert!(out.status.success());
    // Negative control: xmllint refuses an element the XSD does not know.
    let bad = common::seeds().join("shanghai/err/many-problems.xml");
    let out = Command::new("xmllint")
        .args(["--noout", "--nonet", "--schema"])
        .arg(&xsd)
        .arg(&bad)
        .output()
        .expect("xmllint runs");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("priority"));
}

struct LocalOcds(Value);

impl jsonschema::Retrieve for LocalOcds {
    fn retrieve(
        &self,
        uri: &jsonschema::Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        if uri.as_str()
            == "https://standard.open-contracting.org/schema/1__1__5/release-schema.json"
        {
            Ok(self.0.clone())
        } else {
            Err(format!("no network: {uri}").into())
        }
    }
}

fn codes(list: &str) -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/ocds/codelists")
        .join(list);
    let text = fs::read_to_string(path).expect("codelist");
    text.lines()
        .skip(1)
        .map(|l| {
            l.split(',')
                .next()
                .unwrap_or("")
                .trim_matches('"')
                .to_owned()
        })
        .collect()
}

fn assert_in(list: &str, v: &Value, label: &str) {
    let allowed = codes(list);
    let s = v.as_str().unwrap_or("");
    assert!(
        allowed.iter().any(|c| c == s),
        "{label}: `{s}` is not in the closed codelist {list}"
    );
}

#[test]
fn ocds_export_of_every_sample_is_a_valid_release_package() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/ocds");
    let package_schema = load(&data.join("release-package-schema.json"));
    let release_schema = load(&data.join("release-schema.json"));
    let v = jsonschema::options()
        .with_retriever(LocalOcds(release_schema))
        .should_validate_formats(true)
        .build(&package_schema)
        .expect("OCDS schema compiles");
    let all = rendered(Dialect::Ocds);
    assert!(all.len() >= 39);
    // Negative control: the validator does see a closed-codelist violation and a missing field.
    let mut bad: Value = serde_json::from_slice(&all[0].1).expect("JSON");
    bad["releases"][0]["tag"] = serde_json::json!(["bogus"]);
    bad["releases"][0]["awards"] = serde_json::json!([{"id": "a", "status": "won"}]);
    if let Some(m) = bad.as_object_mut() {
        m.remove("publisher");
    }
    assert_eq!(errors(&v, &bad).len(), 3, "{:?}", errors(&v, &bad));
    for (label, bytes) in all {
        let doc: Value = serde_json::from_slice(&bytes).expect("JSON");
        assert_eq!(errors(&v, &doc), Vec::<String>::new(), "{label}");
        for r in doc["releases"].as_array().expect("releases") {
            assert!(
                r["ocid"].as_str().unwrap_or("").starts_with("ocds-yrd001-"),
                "{label}"
            );
            for tag in r["tag"].as_array().expect("tag") {
                assert_in("releaseTag.csv", tag, &label);
            }
            assert_in("initiationType.csv", &r["initiationType"], &label);
            let tender = &r["tender"];
            assert_in("tenderStatus.csv", &tender["status"], &label);
            for (k, list) in [
                ("procurementMethod", "method.csv"),
                ("mainProcurementCategory", "procurementCategory.csv"),
            ] {
                if !tender[k].is_null() {
                    assert_in(list, &tender[k], &label);
                }
            }
            if !tender["value"].is_null() {
                assert_in("currency.csv", &tender["value"]["currency"], &label);
            }
            for a in r["awards"].as_array().into_iter().flatten() {
                assert_in("awardStatus.csv", &a["status"], &label);
                if !a["value"].is_null() {
                    assert_in("currency.csv", &a["value"]["currency"], &label);
                }
            }
        }
    }
}

#[test]
fn ocds_releases_of_one_tender_share_an_ocid_and_map_kinds() {
    let t = tables();
    let read = |name: &str| {
        let p = common::seeds().join("shanghai/ok").join(name);
        let a = parse(
            Dialect::Shanghai,
            &fs::read(p).expect("read"),
            &t,
            &policy(),
        )
        .expect("valid")
        .announcement;
        let v: Value =
            serde_json::from_slice(&render(&a, Dialect::Ocds, &t).expect("renders")).expect("JSON");
        v["releases"][0].clone()
    };
    let tender = read("01-construction-tender.xml");
    let correction = read("02-construction-correction.xml");
    let candidates = read("05-construction-candidates.xml");
    let award = read("06-construction-award.xml");
    let failed = read("08-procurement-termination.xml");
    assert_eq!(tender["ocid"], "ocds-yrd001-E3101182026000000001");
    assert_eq!(correction["ocid"], tender["ocid"]);
    assert_eq!(candidates["ocid"], tender["ocid"]);
    assert_eq!(award["ocid"], tender["ocid"]);
    assert_eq!(tender["tag"], serde_json::json!(["tender"]));
    assert_eq!(correction["tag"], serde_json::json!(["tenderAmendment"]));
    assert_eq!(
        correction["tender"]["amendments"][0]["amendsReleaseID"],
        "shanghai-SH-2026-0101"
    );
    assert_eq!(
        correction["tender"]["amendments"][0]["releaseID"],
        "shanghai-SH-2026-0102"
    );
    assert_eq!(candidates["awards"][0]["status"], "pending");
    assert_eq!(award["awards"][1]["status"], "active");
    assert_eq!(
        award["awards"][1]["suppliers"].as_array().map(Vec::len),
        Some(2)
    );
    assert_eq!(failed["tag"], serde_json::json!(["tenderCancellation"]));
    assert_eq!(failed["tender"]["status"], "unsuccessful");
    assert_eq!(
        tender["tender"]["value"]["amount"],
        serde_json::json!(21030000.5)
    );
}
