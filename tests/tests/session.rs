//! A realistic session against the real `gateway serve` binary, then what operators rely on:
//!
//! - the metrics contract: every metric `ops/METRICS.md` lists is exported, every exported metric
//!   is listed, with the listed type and label names; the scrape passes `promtool check metrics`;
//!   label values stay bounded (no ids, fingerprints, serials or credit codes as values);
//! - the logs: JSON lines, request lines carrying the request id the client saw, and no personal
//!   ID number, webhook secret or private key anywhere in them.
//!
//! The session: a webhook subscription, publications (a correction by Shanghai, a new notice by
//! Jiangsu whose text holds a personal ID number, an invalid document), the feed, the push to
//! Jiangsu's receiver, certificate and bid-signature verifications with receipts, a CRL upload,
//! and a certificate refused in the TLS handshake.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use base64::Engine as _;
use ca_bridge::signature::{CmsOptions, SigningKey, build};
use ca_bridge::{Certificate, decode_pem_or_der};
use serde_json::{Value, json};
use tests::{Backend, Cert, PostgresDatabase, Scrape, ServeProcess, expect_json, request_id};

const BIN: &str = env!("CARGO_BIN_EXE_gateway-e2e");

tests::on_both_backends!(a_full_session_keeps_the_metrics_contract_and_clean_logs);

/// A personal ID number (GB 11643, valid check digit) put in a published notice's text.
const PERSONAL_ID: &str = "310118199003071238";
/// The webhook secret Jiangsu registers.
const WEBHOOK_SECRET: &str = "session-webhook-secret-5d1e9a7c";

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A Jiangsu bidder's CMS signature over a bid.
fn jiangsu_bid_signature() -> Vec<u8> {
    let dir = tests::seeds().join("pki/bidders/jiangsu");
    let pem = std::fs::read(dir.join("valid.pem")).expect("certificate");
    let cert = Certificate::from_der(&decode_pem_or_der(&pem).expect("pem")[0].1).expect("cert");
    let key =
        SigningKey::from_pem(&std::fs::read(dir.join("valid.key")).expect("key")).expect("key");
    build::sign_cms(
        "投标文件：示范区道路工程".as_bytes(),
        &key,
        &cert,
        &CmsOptions::default(),
    )
    .expect("signs")
}

/// The session. Returns the request id of the Jiangsu publication holding the personal ID.
async fn run_session(server: &ServeProcess, pki: &std::path::Path) -> String {
    let client = |cert: Cert| {
        tests::https_client_builder(pki, Some(cert))
            .build()
            .expect("client")
    };
    let (shanghai, jiangsu, zhejiang, operator) = (
        client(Cert::Shanghai),
        client(Cert::Jiangsu),
        client(Cert::Zhejiang),
        client(Cert::Operator),
    );

    // Jiangsu subscribes; Shanghai corrects its seeded tender, which Jiangsu is pushed.
    let receiver = tests::WebhookReceiver::start(200).await;
    let response = jiangsu
        .put(server.api_url("/v1/subscriptions/self"))
        .json(&json!({"url": receiver.url, "secret": WEBHOOK_SECRET}))
        .send()
        .await
        .expect("subscribe");
    expect_json(response, 201).await;
    let response = shanghai
        .post(server.api_url("/v1/announcements"))
        .header("content-type", "application/xml")
        .body(tests::sample_announcement(
            "shanghai",
            "02-construction-correction",
        ))
        .send()
        .await
        .expect("publish");
    let correction = expect_json(response, 201).await;

    // Jiangsu publishes a new notice whose text names a project manager by ID number.
    let mut notice: Value = serde_json::from_slice(&tests::sample_announcement(
        "jiangsu",
        "01-construction-tender",
    ))
    .expect("json");
    notice["infoid"] = json!("JI-2026-0951");
    notice["noticeno"] = json!("JIZB2026-951");
    notice["linkurl"] = json!("https://ggzy.jiangsu.example.cn/notice/JI-2026-0951.html");
    notice["content"] = json!(format!(
        "<p>项目负责人：张三（身份证号 {PERSONAL_ID}），联系电话见附件。</p>"
    ));
    let response = jiangsu
        .post(server.api_url("/v1/announcements"))
        .header("content-type", "application/json")
        .json(&notice)
        .send()
        .await
        .expect("publish");
    let publication_request = request_id(&response);
    let published = expect_json(response, 201).await;

    // An invalid document, the ID number in its title: refused with findings.
    let response = jiangsu
        .post(server.api_url("/v1/announcements"))
        .header("content-type", "application/json")
        .json(&json!({"infoid": "JI-2026-0952", "title": format!("联系人 {PERSONAL_ID}")}))
        .send()
        .await
        .expect("publish invalid");
    assert_eq!(response.status(), 422);

    // Zhejiang reads the feed in its format and the new notice as OCDS.
    let response = zhejiang
        .get(server.api_url("/v1/feed?limit=100"))
        .send()
        .await
        .expect("feed");
    let feed = expect_json(response, 200).await;
    let ids: Vec<&str> = feed["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["announcement_id"].as_str())
        .collect();
    assert!(
        ids.contains(&published["id"].as_str().expect("id")),
        "{feed}"
    );
    assert!(
        ids.contains(&correction["id"].as_str().expect("id")),
        "{feed}"
    );
    let response = zhejiang
        .get(server.api_url(&format!(
            "/v1/announcements/{}?format=ocds",
            published["id"].as_str().expect("id")
        )))
        .send()
        .await
        .expect("get");
    expect_json(response, 200).await;

    // Bridge: a Shanghai bidder's certificate verified by Jiangsu (twice: the second from the
    // cache), a revoked one, and a Jiangsu bid signature verified by Zhejiang, with receipts.
    let bidder = std::fs::read_to_string(tests::seeds().join("pki/bidders/shanghai/valid.pem"))
        .expect("bidder certificate");
    for _ in 0..2 {
        let response = jiangsu
            .post(server.api_url("/v1/certificates/verify"))
            .json(&json!({"certificate": bidder, "receipt": true}))
            .send()
            .await
            .expect("verify");
        let verdict = expect_json(response, 200).await;
        assert_eq!(verdict["valid"], true, "{verdict}");
    }
    let revoked = std::fs::read_to_string(tests::seeds().join("pki/bidders/shanghai/revoked.pem"))
        .expect("revoked certificate");
    let response = jiangsu
        .post(server.api_url("/v1/certificates/verify"))
        .json(&json!({"certificate": revoked}))
        .send()
        .await
        .expect("verify");
    assert_eq!(expect_json(response, 200).await["valid"], false);
    let response = zhejiang
        .post(server.api_url("/v1/signatures/verify"))
        .json(&json!({"cms": b64(&jiangsu_bid_signature()), "receipt": true}))
        .send()
        .await
        .expect("verify signature");
    let verdict = expect_json(response, 200).await;
    assert_eq!(verdict["valid"], true, "{verdict}");

    // A CRL upload (the one installed already: accepted, nothing new).
    let crl =
        std::fs::read_to_string(tests::seeds().join("pki/bidders/zhejiang/crl.pem")).expect("crl");
    let response = operator
        .post(server.api_url("/v1/crls"))
        .header("content-type", "application/x-pem-file")
        .body(crl)
        .send()
        .await
        .expect("push crl");
    assert!(
        [200, 201].contains(&response.status().as_u16()),
        "{:?}",
        response.text().await
    );

    // A certificate from no known CA, refused in the handshake.
    let intruder = client(Cert::Intruder)
        .get(server.api_url("/v1/whoami"))
        .send()
        .await;
    assert!(intruder.is_err(), "{intruder:?}");

    // The push reached Jiangsu, and the gateway has recorded the acknowledgement (it counts the
    // attempt after reading the receiver's answer, so wait for the counter, not the receiver).
    let delivered = [("platform", "jiangsu"), ("outcome", "delivered")];
    let mut acknowledged = false;
    for _ in 0..300 {
        let scrape = tests::scrape(&server.metrics_url("/metrics")).await;
        if scrape.value("gateway_delivery_attempts_total", &delivered) >= 1.0 {
            acknowledged = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(acknowledged, "no acknowledged webhook delivery within 15 s");
    assert!(!receiver.received().is_empty());
    publication_request
}

/// One row of `ops/METRICS.md`: type and label names.
#[derive(Debug, PartialEq)]
struct Listed {
    kind: String,
    labels: BTreeSet<String>,
}

/// Parses the table of `ops/METRICS.md`: `| `name` | type | `label` (`values`), ... | ...`.
fn listed_metrics() -> BTreeMap<String, Listed> {
    let text = std::fs::read_to_string(tests::workspace_root().join("ops/METRICS.md"))
        .expect("ops/METRICS.md");
    let mut listed = BTreeMap::new();
    for line in text.lines().filter(|l| l.starts_with("| `gateway_")) {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let name = cells[1].trim_matches('`').to_owned();
        // Label names are the backticked words outside parentheses (which hold values).
        let mut names = String::new();
        let mut depth = 0usize;
        for c in cells[3].chars() {
            match c {
                '(' => depth += 1,
                ')' => depth = depth.saturating_sub(1),
                _ if depth == 0 => names.push(c),
                _ => {}
            }
        }
        let labels = names
            .split('`')
            .skip(1)
            .step_by(2)
            .map(str::to_owned)
            .collect();
        let previous = listed.insert(
            name.clone(),
            Listed {
                kind: cells[2].to_owned(),
                labels,
            },
        );
        assert!(previous.is_none(), "{name} is listed twice");
    }
    assert!(listed.len() > 20, "METRICS.md table not found");
    listed
}

/// Type and label names of every family in the scrape.
fn exported_metrics(scrape: &Scrape) -> BTreeMap<String, Listed> {
    let families = scrape.families();
    let mut exported: BTreeMap<String, Listed> = families
        .iter()
        .map(|(name, kind)| {
            let listed = Listed {
                kind: kind.clone(),
                labels: BTreeSet::new(),
            };
            (name.clone(), listed)
        })
        .collect();
    for sample in scrape.samples() {
        let family = [
            sample.name.as_str(),
            sample.name.trim_end_matches("_bucket"),
            sample.name.trim_end_matches("_sum"),
            sample.name.trim_end_matches("_count"),
        ]
        .into_iter()
        .find(|n| families.contains_key(*n))
        .unwrap_or_else(|| panic!("sample {} of no declared family", sample.name));
        let entry = exported.get_mut(family).expect("family");
        for (label, _) in &sample.labels {
            if !(label == "le" && entry.kind == "histogram") {
                entry.labels.insert(label.clone());
            }
        }
    }
    exported
}

/// A label value that identifies one thing among unboundedly many.
fn unbounded_value(value: &str) -> Option<&'static str> {
    let hex = value.len() >= 16 && value.chars().all(|c| c.is_ascii_hexdigit());
    let uuid = uuid::Uuid::parse_str(value).is_ok();
    let credit_code = value.len() == 18
        && value
            .chars()
            .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
        && value.chars().filter(char::is_ascii_digit).count() >= 8;
    let long_number = value.chars().filter(char::is_ascii_digit).count() >= 10;
    let raw_path = value.starts_with('/') && value.contains("JI-2026");
    [
        (hex, "a hex id or fingerprint"),
        (uuid, "a UUID"),
        (credit_code, "a credit code or ID number"),
        (long_number, "a long number (serial, notice number)"),
        (raw_path, "a raw path"),
    ]
    .into_iter()
    .find_map(|(hit, what)| hit.then_some(what))
}

async fn a_full_session_keeps_the_metrics_contract_and_clean_logs(backend: Backend) {
    let dir = tempfile::tempdir().expect("tmp");
    let data_dir = dir.path().join("data");
    let postgres = (backend == Backend::Postgres).then(PostgresDatabase::create);
    let mut cmd = tests::serve_demo_command(BIN, &data_dir);
    cmd.env("GATEWAY_LOG_FORMAT", "json")
        .env("GATEWAY_LOG_LEVEL", "debug");
    if let Some(db) = &postgres {
        cmd.env("GATEWAY_DATABASE_URL", db.url());
    }
    let mut server = ServeProcess::start(cmd, Duration::from_secs(60));
    let publication_request = run_session(&server, &data_dir.join("pki")).await;

    // The metrics contract.
    let scrape = tests::scrape(&server.metrics_url("/metrics")).await;
    let listed = listed_metrics();
    let exported = exported_metrics(&scrape);
    let missing: Vec<&String> = listed
        .keys()
        .filter(|n| !exported.contains_key(*n))
        .collect();
    let unlisted: Vec<&String> = exported
        .keys()
        .filter(|n| !listed.contains_key(*n))
        .collect();
    assert!(
        missing.is_empty() && unlisted.is_empty(),
        "listed in ops/METRICS.md but not exported after the session: {missing:?}; \
         exported but not listed: {unlisted:?}"
    );
    for (name, listed) in &listed {
        assert_eq!(
            listed, &exported[name],
            "{name}: ops/METRICS.md (left) and the scrape (right) disagree"
        );
    }
    tests::promtool_check_metrics(scrape.text());
    for sample in scrape.samples() {
        for (label, value) in &sample.labels {
            // `version` (build info) and `le` (bucket bounds) are numbers by nature.
            if label == "le" || label == "version" {
                continue;
            }
            if let Some(what) = unbounded_value(value) {
                panic!(
                    "{}{{{label}={value:?}}}: {what} as a label value",
                    sample.name
                );
            }
        }
    }

    // The logs.
    server.terminate();
    assert!(
        server.wait_exit(Duration::from_secs(30)).is_some(),
        "no exit after SIGTERM"
    );
    let logs = server.stderr();
    let mut request_ids = BTreeSet::new();
    for line in logs.lines().filter(|l| !l.trim().is_empty()) {
        let entry: Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("not a JSON log line ({e}): {line}"));
        for field in ["timestamp", "level", "message"] {
            assert!(entry.get(field).is_some(), "no {field}: {line}");
        }
        if entry["message"] == "request served" {
            let id = entry["span"]["request_id"]
                .as_str()
                .unwrap_or_else(|| panic!("request line without request_id: {line}"));
            request_ids.insert(id.to_owned());
        }
    }
    assert!(
        request_ids.contains(&publication_request),
        "no request line with the publication's request id {publication_request}"
    );
    for (secret, what) in [
        (PERSONAL_ID, "a personal ID number"),
        (WEBHOOK_SECRET, "the webhook secret"),
        ("PRIVATE KEY", "a private key"),
    ] {
        if let Some(line) = logs.lines().find(|l| l.contains(secret)) {
            panic!("{what} in the logs: {line}");
        }
    }
    drop(postgres);
}
