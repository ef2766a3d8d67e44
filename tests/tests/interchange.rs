//! Stateless interchange through the API and the CLI: every sample translates to every format
//! exactly as the library does, invalid documents get every finding, and the CLI keeps its exit
//! codes (0 ok, 1 invalid input, 2 usage or unreadable file).

use std::path::{Path, PathBuf};
use std::process::Stdio;

use interchange::{Dialect, Tables, ValidationPolicy};
use serde_json::Value;
use tests::{Backend, Cert, TestApp, command, expect_json, expect_problem, run, spawn_app};

tests::on_both_backends!(
    every_sample_translates_over_http_as_the_library_does,
    invalid_documents_get_every_finding_over_http,
    dialects_and_schemas_are_described,
);

const BIN: &str = env!("CARGO_BIN_EXE_gateway-e2e");
const TARGETS: [Dialect; 5] = [
    Dialect::Canonical,
    Dialect::Shanghai,
    Dialect::Jiangsu,
    Dialect::Zhejiang,
    Dialect::Ocds,
];

/// Sample documents of a dialect's folder (`ok`, `warn`, `err`), without the golden files.
fn samples(dialect: Dialect, folder: &str) -> Vec<PathBuf> {
    let dir = tests::workspace_root()
        .join("seeds/announcements")
        .join(dialect.name())
        .join(folder);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("entry").path())
        .filter(|p| !p.to_string_lossy().ends_with(".expected.json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no samples in {}", dir.display());
    files
}

/// The golden findings of a sample as (code, path, severity).
fn expected(sample: &Path) -> Vec<(String, String, String)> {
    let stem = sample
        .file_stem()
        .expect("stem")
        .to_string_lossy()
        .into_owned();
    let golden = sample.with_file_name(format!("{stem}.expected.json"));
    let text =
        std::fs::read_to_string(&golden).unwrap_or_else(|e| panic!("{}: {e}", golden.display()));
    let findings: Vec<Value> = serde_json::from_str(&text).expect("golden JSON");
    findings
        .iter()
        .map(|f| {
            (
                f["code"].as_str().expect("code").to_owned(),
                f["path"].as_str().expect("path").to_owned(),
                f["severity"].as_str().expect("severity").to_owned(),
            )
        })
        .collect()
}

fn problem_findings(problem: &Value) -> Vec<(String, String, String)> {
    problem["errors"]
        .as_array()
        .expect("errors[]")
        .iter()
        .map(|f| {
            (
                f["code"].as_str().expect("code").to_owned(),
                f["path"].as_str().expect("path").to_owned(),
                f["severity"].as_str().expect("severity").to_owned(),
            )
        })
        .collect()
}

async fn post(app: &TestApp, path: &str, dialect: Dialect, body: Vec<u8>) -> reqwest::Response {
    app.client(Cert::Zhejiang)
        .post(app.api_url(path))
        .header("content-type", dialect.content_type())
        .body(body)
        .send()
        .await
        .expect("post")
}

async fn every_sample_translates_over_http_as_the_library_does(backend: Backend) {
    let app = spawn_app(backend).await;
    let tables = Tables::builtin().expect("tables");
    let policy = ValidationPolicy::default();
    let before = app.scrape().await;
    let mut requests = 0.0;
    for from in Dialect::PROVINCES {
        for sample in samples(from, "ok") {
            let body = std::fs::read(&sample).expect("sample");
            for to in TARGETS {
                let library = interchange::translate(from, to, &body, &tables, &policy)
                    .unwrap_or_else(|f| panic!("{}: {f:?}", sample.display()));
                let response = post(
                    &app,
                    &format!("/v1/translate?from={from}&to={to}"),
                    from,
                    body.clone(),
                )
                .await;
                assert_eq!(response.status(), 200, "{} -> {to}", sample.display());
                assert_eq!(tests::content_type(&response), to.content_type());
                let served = response.bytes().await.expect("body");
                assert_eq!(
                    served.as_ref(),
                    library.bytes.as_slice(),
                    "{} -> {to}",
                    sample.display()
                );
                requests += 1.0;
            }
        }
    }
    let after = app.scrape().await;
    let ok: f64 = after
        .changes_since(&before, "gateway_translations_total")
        .iter()
        .filter(|(series, _)| series.contains("outcome=\"ok\""))
        .map(|(_, delta)| delta)
        .sum();
    assert_eq!(ok, requests);
}

async fn invalid_documents_get_every_finding_over_http(backend: Backend) {
    let app = spawn_app(backend).await;
    for from in Dialect::PROVINCES {
        for sample in samples(from, "err") {
            let body = std::fs::read(&sample).expect("sample");
            let response = post(
                &app,
                &format!("/v1/translate?from={from}&to=jiangsu"),
                from,
                body.clone(),
            )
            .await;
            let problem = expect_problem(response, 422, "invalid-document").await;
            assert_eq!(
                problem_findings(&problem),
                expected(&sample),
                "{}",
                sample.display()
            );
            let response = post(&app, &format!("/v1/validate?dialect={from}"), from, body).await;
            let problem = expect_problem(response, 422, "invalid-document").await;
            assert_eq!(
                problem_findings(&problem),
                expected(&sample),
                "{}",
                sample.display()
            );
        }
        for sample in samples(from, "warn") {
            let body = std::fs::read(&sample).expect("sample");
            let response = post(
                &app,
                &format!("/v1/validate?dialect={from}"),
                from,
                body.clone(),
            )
            .await;
            let valid = expect_json(response, 200).await;
            let found: Vec<(String, String, String)> = valid["findings"]
                .as_array()
                .expect("findings")
                .iter()
                .map(|f| {
                    (
                        f["code"].as_str().expect("code").to_owned(),
                        f["path"].as_str().expect("path").to_owned(),
                        f["severity"].as_str().expect("severity").to_owned(),
                    )
                })
                .collect();
            assert_eq!(found, expected(&sample), "{}", sample.display());
            let response = post(
                &app,
                &format!("/v1/translate?from={from}&to=canonical"),
                from,
                body,
            )
            .await;
            assert_eq!(response.status(), 200);
            let header = response
                .headers()
                .get("x-validation-warnings")
                .and_then(|v| v.to_str().ok())
                .expect("warnings header")
                .to_owned();
            let listed: Vec<String> = expected(&sample)
                .into_iter()
                .map(|(code, path, _)| format!("{code}@{path}"))
                .collect();
            assert_eq!(header, listed.join(", "));
        }
    }
    // Parameters are checked before the body.
    let ok = std::fs::read(&samples(Dialect::Jiangsu, "ok")[0]).expect("sample");
    for (query, path) in [
        ("from=ocds&to=jiangsu", "?from"),
        ("from=xml&to=jiangsu", "?from"),
        ("from=jiangsu&to=pdf", "?to"),
    ] {
        let response = post(
            &app,
            &format!("/v1/translate?{query}"),
            Dialect::Jiangsu,
            ok.clone(),
        )
        .await;
        let problem = expect_problem(response, 422, "invalid-request").await;
        assert_eq!(problem["errors"][0]["path"], path, "{query}");
    }
}

async fn dialects_and_schemas_are_described(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = app.client(Cert::Shanghai);
    let listed = expect_json(
        client
            .get(app.api_url("/v1/dialects"))
            .send()
            .await
            .expect("dialects"),
        200,
    )
    .await;
    let names: Vec<&str> = listed["dialects"]
        .as_array()
        .expect("dialects")
        .iter()
        .map(|d| d["name"].as_str().expect("name"))
        .collect();
    assert_eq!(
        names,
        ["canonical", "shanghai", "jiangsu", "zhejiang", "ocds"]
    );
    for d in listed["dialects"].as_array().expect("dialects") {
        let href = d["schema"].as_str().expect("schema link");
        let response = client.get(app.api_url(href)).send().await.expect("schema");
        assert_eq!(response.status(), 200, "{href}");
        let served = response.text().await.expect("text");
        let file = tests::workspace_root()
            .join("schemas")
            .join(href.trim_start_matches("/v1/schemas/"));
        assert_eq!(
            served,
            std::fs::read_to_string(&file).expect("schema file"),
            "{href}"
        );
    }
    let response = client
        .get(app.api_url("/v1/schemas/../Cargo.toml"))
        .send()
        .await
        .expect("schema");
    assert_eq!(response.status(), 404);
}

#[test]
fn cli_translate_and_validate_keep_their_exit_codes() {
    let tables = Tables::builtin().expect("tables");
    let policy = ValidationPolicy::default();
    // ok: the result on stdout, exit 0, nothing on stderr.
    let sample = &samples(Dialect::Shanghai, "ok")[0];
    let out = run(command(BIN)
        .args(["translate", "--from", "shanghai", "--to", "zhejiang"])
        .arg(sample));
    assert_eq!(out.code(), Some(0), "{}", out.stderr);
    let library = interchange::translate(
        Dialect::Shanghai,
        Dialect::Zhejiang,
        &std::fs::read(sample).expect("sample"),
        &tables,
        &policy,
    )
    .expect("valid");
    assert_eq!(out.stdout.as_bytes(), library.bytes.as_slice());
    assert_eq!(out.stderr, "");

    // warn: exit 0, each warning on stderr.
    let warn = &samples(Dialect::Jiangsu, "warn")[0];
    let out = run(command(BIN)
        .args(["translate", "--from", "jiangsu", "--to", "canonical"])
        .arg(warn));
    assert_eq!(out.code(), Some(0), "{}", out.stderr);
    for (code, path, _) in expected(warn) {
        assert!(
            out.stderr.contains(&format!("warning: {code} at {path}")),
            "{}",
            out.stderr
        );
    }

    // err: exit 1, the problem document with every finding on stdout.
    for from in Dialect::PROVINCES {
        for err in samples(from, "err") {
            let out = run(command(BIN)
                .args(["translate", "--from", from.name(), "--to", "canonical"])
                .arg(&err));
            assert_eq!(out.code(), Some(1), "{}: {}", err.display(), out.stderr);
            let problem: Value = serde_json::from_str(&out.stdout).expect("problem JSON");
            assert_eq!(problem["code"], "invalid-document");
            assert_eq!(
                problem_findings(&problem),
                expected(&err),
                "{}",
                err.display()
            );
            let out = run(command(BIN)
                .args(["validate", "--dialect", from.name()])
                .arg(&err));
            assert_eq!(out.code(), Some(1), "{}", err.display());
        }
    }

    // usage errors and unreadable files: exit 2.
    for args in [
        vec!["translate", "--from", "ocds", "--to", "canonical", "x.json"],
        vec!["translate", "--from", "jiangsu", "--to", "pdf", "x.json"],
        vec![
            "translate",
            "--from",
            "jiangsu",
            "--to",
            "canonical",
            "/nonexistent/x.json",
        ],
        vec!["validate", "--dialect", "jiangsu"],
    ] {
        let out = run(command(BIN).args(&args));
        assert_eq!(out.code(), Some(2), "{args:?}: {}", out.stderr);
    }

    // `-` reads standard input; validate prints the verdict.
    let jiangsu = &samples(Dialect::Jiangsu, "ok")[0];
    let out = run(command(BIN)
        .args(["validate", "--dialect", "jiangsu", "-"])
        .stdin(Stdio::from(std::fs::File::open(jiangsu).expect("open"))));
    assert_eq!(out.code(), Some(0), "{}", out.stderr);
    let verdict: Value = serde_json::from_str(&out.stdout).expect("verdict JSON");
    assert_eq!(
        verdict,
        serde_json::json!({"valid": true, "dialect": "jiangsu"})
    );
}
