//! Operator administration under `/v1/admin/`: suspension, certificate rotation, the audit log, and
//! refusals that must leave the registry untouched.

use serde_json::{Value, json};
use tests::{
    Backend, Cert, TestApp, error_paths, expect_json, expect_problem, request_id, spawn_app,
};

tests::on_both_backends!(
    suspended_platform_is_refused_at_once_and_resumed,
    platforms_cannot_use_admin_routes,
    audit_log_records_changes_with_the_request_id,
    rotated_certificate_fingerprint_unregisters_the_old_certificate,
    invalid_admin_requests_are_422_and_change_nothing,
    admin_refusals_for_unknown_and_conflicting_targets,
);

/// `GET /v1/whoami` as `cert`, returning the response.
async fn whoami(app: &TestApp, cert: Cert) -> reqwest::Response {
    app.client(cert)
        .get(app.api_url("/v1/whoami"))
        .send()
        .await
        .expect("whoami")
}

/// An operator request with a chosen `x-request-id`.
async fn operator(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    request_id: &str,
    body: Option<Value>,
) -> reqwest::Response {
    let mut request = app
        .client(Cert::Operator)
        .request(method, app.api_url(path))
        .header("x-request-id", request_id);
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.expect("operator request")
}

/// The registry as the operator sees it.
async fn registry(app: &TestApp) -> Value {
    let response = operator(
        app,
        reqwest::Method::GET,
        "/v1/admin/platforms",
        "list",
        None,
    )
    .await;
    expect_json(response, 200).await
}

/// The newest audit records (up to 500), newest first.
async fn audit(app: &TestApp, query: &str) -> Vec<Value> {
    let response = operator(
        app,
        reqwest::Method::GET,
        &format!("/v1/admin/audit{query}"),
        "audit",
        None,
    )
    .await;
    let body = expect_json(response, 200).await;
    body["records"].as_array().expect("records").clone()
}

async fn suspended_platform_is_refused_at_once_and_resumed(backend: Backend) {
    let app = spawn_app(backend).await;
    // One client (and connection pool) for jiangsu throughout: no reconnect, no restart.
    let jiangsu = app.client(Cert::Jiangsu);
    let call = || jiangsu.get(app.api_url("/v1/whoami")).send();
    expect_json(call().await.expect("whoami"), 200).await;

    let response = operator(
        &app,
        reqwest::Method::POST,
        "/v1/admin/platforms/jiangsu/suspend",
        "suspend-jiangsu",
        None,
    )
    .await;
    let body = expect_json(response, 200).await;
    assert_eq!(body["id"], "jiangsu", "{body}");
    assert_eq!(body["status"], "suspended", "{body}");

    let problem = expect_problem(call().await.expect("whoami"), 403, "platform-suspended").await;
    assert_eq!(problem["detail"], "platform `jiangsu` is suspended");
    // The others are unaffected.
    expect_json(whoami(&app, Cert::Shanghai).await, 200).await;
    expect_json(whoami(&app, Cert::Zhejiang).await, 200).await;

    let response = operator(
        &app,
        reqwest::Method::POST,
        "/v1/admin/platforms/jiangsu/resume",
        "resume-jiangsu",
        None,
    )
    .await;
    let body = expect_json(response, 200).await;
    assert_eq!(body["status"], "active", "{body}");
    let body = expect_json(call().await.expect("whoami"), 200).await;
    assert_eq!(body["platform"], "jiangsu");
}

async fn platforms_cannot_use_admin_routes(backend: Backend) {
    let app = spawn_app(backend).await;
    let before = registry(&app).await;
    let records_before = audit(&app, "?limit=500").await.len();
    let shanghai = app.client(Cert::Shanghai);
    let zhejiang_pem =
        std::fs::read_to_string(Cert::Zhejiang.pem(&app.pki())).expect("zhejiang.pem");
    let attempts = [
        (reqwest::Method::GET, "/v1/admin/platforms", None),
        (reqwest::Method::GET, "/v1/admin/platforms/zhejiang", None),
        (
            reqwest::Method::POST,
            "/v1/admin/platforms/zhejiang/suspend",
            None,
        ),
        (
            reqwest::Method::POST,
            "/v1/admin/platforms/zhejiang/resume",
            None,
        ),
        (
            reqwest::Method::PUT,
            "/v1/admin/platforms/shanghai/certificate",
            Some(json!({ "certificate": zhejiang_pem })),
        ),
        (reqwest::Method::GET, "/v1/admin/audit", None),
    ];
    for (method, path, body) in attempts {
        let mut request = shanghai.request(method.clone(), app.api_url(path));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("admin request");
        let problem = expect_problem(response, 403, "forbidden").await;
        assert_eq!(
            problem["detail"], "`shanghai` is a platform; this route is for operators",
            "{method} {path}"
        );
    }
    assert_eq!(registry(&app).await, before);
    assert_eq!(audit(&app, "?limit=500").await.len(), records_before);
    expect_json(whoami(&app, Cert::Zhejiang).await, 200).await;
}

async fn audit_log_records_changes_with_the_request_id(backend: Backend) {
    let app = spawn_app(backend).await;
    let suspend_id = format!("suspend-{}", uuid::Uuid::new_v4());
    let resume_id = format!("resume-{}", uuid::Uuid::new_v4());
    let response = operator(
        &app,
        reqwest::Method::POST,
        "/v1/admin/platforms/zhejiang/suspend",
        &suspend_id,
        None,
    )
    .await;
    assert_eq!(request_id(&response), suspend_id);
    expect_json(response, 200).await;
    let response = operator(
        &app,
        reqwest::Method::POST,
        "/v1/admin/platforms/zhejiang/resume",
        &resume_id,
        None,
    )
    .await;
    assert_eq!(request_id(&response), resume_id);
    expect_json(response, 200).await;

    let records = audit(&app, "?subject=platform:zhejiang").await;
    let summary: Vec<(&str, &str, &str, &str)> = records
        .iter()
        .map(|r| {
            (
                r["action"].as_str().unwrap_or(""),
                r["actor"].as_str().unwrap_or(""),
                r["subject"].as_str().unwrap_or(""),
                r["request_id"].as_str().unwrap_or(""),
            )
        })
        .collect();
    // Newest first; the registration from the demo configuration at start-up is the oldest.
    assert_eq!(
        summary,
        vec![
            (
                "platform.resume",
                "operator",
                "platform:zhejiang",
                resume_id.as_str()
            ),
            (
                "platform.suspend",
                "operator",
                "platform:zhejiang",
                suspend_id.as_str()
            ),
            (
                "platform.register",
                "config",
                "platform:zhejiang",
                "startup"
            ),
        ]
    );
    let detail: Value =
        serde_json::from_str(records[1]["detail"].as_str().expect("detail is JSON text"))
            .expect("detail parses");
    assert_eq!(detail, json!({"from": "active", "to": "suspended"}));
    assert_eq!(
        records[2]["content_sha256"],
        Cert::Zhejiang.fingerprint(&app.pki())
    );

    // `limit` bounds the answer; without `subject` every subject is included.
    let newest = audit(&app, "?limit=1").await;
    assert_eq!(newest.len(), 1);
    assert_eq!(newest[0]["request_id"], resume_id.as_str());
    let all = audit(&app, "?limit=500").await;
    let registered: Vec<&str> = all
        .iter()
        .filter(|r| r["action"] == "platform.register")
        .map(|r| r["subject"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        registered,
        vec![
            "platform:operator",
            "platform:zhejiang",
            "platform:jiangsu",
            "platform:shanghai"
        ]
    );
}

async fn rotated_certificate_fingerprint_unregisters_the_old_certificate(backend: Backend) {
    let app = spawn_app(backend).await;
    let pki = app.pki();
    let old = Cert::Zhejiang.fingerprint(&pki);
    // A certificate that chains to the platform CA but belongs to no one yet.
    let new = "ab".repeat(32);
    let response = operator(
        &app,
        reqwest::Method::PUT,
        "/v1/admin/platforms/zhejiang/certificate",
        "rotate-1",
        Some(json!({ "sha256": new.to_uppercase() })),
    )
    .await;
    let body = expect_json(response, 200).await;
    assert_eq!(body["id"], "zhejiang", "{body}");
    assert_eq!(body["certificate_sha256"], new.as_str(), "{body}");

    let problem = expect_problem(
        whoami(&app, Cert::Zhejiang).await,
        403,
        "unregistered-certificate",
    )
    .await;
    assert_eq!(
        problem["detail"],
        "the client certificate is not registered to any platform"
    );
    expect_json(whoami(&app, Cert::Shanghai).await, 200).await;

    // Rotating back by PEM makes the original certificate identify zhejiang again.
    let pem = std::fs::read_to_string(Cert::Zhejiang.pem(&pki)).expect("zhejiang.pem");
    let response = operator(
        &app,
        reqwest::Method::PUT,
        "/v1/admin/platforms/zhejiang/certificate",
        "rotate-2",
        Some(json!({ "certificate": pem })),
    )
    .await;
    let body = expect_json(response, 200).await;
    assert_eq!(body["certificate_sha256"], old.as_str(), "{body}");
    let body = expect_json(whoami(&app, Cert::Zhejiang).await, 200).await;
    assert_eq!(body["platform"], "zhejiang");

    let records = audit(&app, "?subject=platform:zhejiang&limit=2").await;
    let rotations: Vec<(&str, &str, &str)> = records
        .iter()
        .map(|r| {
            (
                r["action"].as_str().unwrap_or(""),
                r["request_id"].as_str().unwrap_or(""),
                r["content_sha256"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        rotations,
        vec![
            ("platform.rotate-certificate", "rotate-2", old.as_str()),
            ("platform.rotate-certificate", "rotate-1", new.as_str()),
        ]
    );
}

/// An invalid operator request: method, path, JSON body, and the `errors[]` (path, code) expected.
type InvalidCase = (
    reqwest::Method,
    &'static str,
    Option<Value>,
    Vec<(&'static str, &'static str)>,
);

async fn invalid_admin_requests_are_422_and_change_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let before = registry(&app).await;
    let records_before = audit(&app, "?limit=500").await;
    let put = reqwest::Method::PUT;
    let certificate = "/v1/admin/platforms/jiangsu/certificate";
    let cases: Vec<InvalidCase> = vec![
        (
            put.clone(),
            certificate,
            Some(json!({})),
            vec![("/", "one-of-required")],
        ),
        (
            put.clone(),
            certificate,
            Some(json!({ "sha256": "ab".repeat(32), "certificate": "x" })),
            vec![("/", "one-of-required")],
        ),
        (
            put.clone(),
            certificate,
            Some(json!({ "sha256": "not-hex" })),
            vec![("/sha256", "invalid-fingerprint")],
        ),
        (
            put.clone(),
            certificate,
            Some(json!({ "certificate": "not a certificate" })),
            vec![("/certificate", "invalid-pem")],
        ),
        (
            put.clone(),
            certificate,
            Some(json!({
                "certificate": "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
            })),
            vec![("/certificate", "invalid-certificate")],
        ),
        (
            put.clone(),
            "/v1/admin/platforms/Not_An_Id/certificate",
            Some(json!({ "sha256": "ab".repeat(32) })),
            vec![("{id}", "invalid-platform-id")],
        ),
        (
            reqwest::Method::POST,
            "/v1/admin/platforms/Not_An_Id/suspend",
            None,
            vec![("{id}", "invalid-platform-id")],
        ),
        (
            reqwest::Method::GET,
            "/v1/admin/audit?limit=0",
            None,
            vec![("?limit", "out-of-range")],
        ),
        (
            reqwest::Method::GET,
            "/v1/admin/audit?limit=501",
            None,
            vec![("?limit", "out-of-range")],
        ),
    ];
    for (method, path, body, expected) in cases {
        let response = operator(&app, method.clone(), path, "bad", body.clone()).await;
        let problem = expect_problem(response, 422, "invalid-request").await;
        let found = error_paths(&problem);
        let found: Vec<(&str, &str)> = found
            .iter()
            .map(|(p, c)| (p.as_str(), c.as_str()))
            .collect();
        assert_eq!(found, expected, "{method} {path} {body:?}: {problem}");
    }

    // Bodies that are not the expected JSON at all.
    let client = app.client(Cert::Operator);
    let malformed = [
        ("application/json", "{\"sha256\": "),
        ("application/json", "{\"sha256\": 5}"),
        ("application/json", "{\"sha256\": \"ab\", \"extra\": 1}"),
    ];
    for (content_type, body) in malformed {
        let response = client
            .put(app.api_url(certificate))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .expect("put");
        let problem = expect_problem(response, 422, "invalid-request").await;
        let found = error_paths(&problem);
        assert_eq!(found.len(), 1, "{body}: {problem}");
        assert!(found[0].0.starts_with('/'), "{body}: {problem}");
        assert_eq!(found[0].1, "invalid-json", "{body}: {problem}");
    }
    let response = client
        .put(app.api_url(certificate))
        .header("content-type", "text/plain")
        .body(format!("{{\"sha256\": \"{}\"}}", "ab".repeat(32)))
        .send()
        .await
        .expect("put");
    let problem = expect_problem(response, 415, "unsupported-media-type").await;
    assert_eq!(problem["detail"], "the body must be application/json");

    assert_eq!(registry(&app).await, before);
    assert_eq!(audit(&app, "?limit=500").await, records_before);
    expect_json(whoami(&app, Cert::Jiangsu).await, 200).await;
}

async fn admin_refusals_for_unknown_and_conflicting_targets(backend: Backend) {
    let app = spawn_app(backend).await;
    let before = registry(&app).await;
    let records_before = audit(&app, "?limit=500").await;
    let response = operator(
        &app,
        reqwest::Method::POST,
        "/v1/admin/platforms/anhui/suspend",
        "x",
        None,
    )
    .await;
    let problem = expect_problem(response, 404, "not-found").await;
    assert_eq!(problem["detail"], "no platform `anhui`");
    let response = operator(
        &app,
        reqwest::Method::GET,
        "/v1/admin/platforms/anhui",
        "x",
        None,
    )
    .await;
    expect_problem(response, 404, "not-found").await;
    // A fingerprint that already identifies another caller.
    let shanghai = Cert::Shanghai.fingerprint(&app.pki());
    let response = operator(
        &app,
        reqwest::Method::PUT,
        "/v1/admin/platforms/jiangsu/certificate",
        "x",
        Some(json!({ "sha256": shanghai })),
    )
    .await;
    let problem = expect_problem(response, 409, "conflict").await;
    assert_eq!(
        problem["detail"],
        "that certificate already identifies `shanghai`"
    );
    // The operator cannot lock itself out.
    let response = operator(
        &app,
        reqwest::Method::POST,
        "/v1/admin/platforms/operator/suspend",
        "x",
        None,
    )
    .await;
    expect_problem(response, 409, "conflict").await;

    assert_eq!(registry(&app).await, before);
    assert_eq!(audit(&app, "?limit=500").await, records_before);
    let response = operator(
        &app,
        reqwest::Method::GET,
        "/v1/admin/platforms/jiangsu",
        "x",
        None,
    )
    .await;
    let body = expect_json(response, 200).await;
    assert_eq!(
        body,
        json!({
            "id": "jiangsu",
            "name": "江苏省公共资源交易平台",
            "role": "platform",
            "province": "jiangsu",
            "status": "active",
            "certificate_sha256": Cert::Jiangsu.fingerprint(&app.pki()),
        })
    );
}
