//! The HTTP surface shared by every route: problem documents, request ids, rate limits, health
//! and readiness, metrics, and the served OpenAPI description.

use std::time::Duration;

use tests::{
    Backend, Cert, TestApp, expect_json, expect_problem, plain_client, request_id, series,
    spawn_app,
};

tests::on_both_backends!(
    unknown_path_is_a_404_problem,
    wrong_method_is_a_405_problem,
    oversize_body_is_a_413_problem,
    rate_limited_caller_gets_429_with_retry_after,
    every_response_carries_a_request_id_and_echoes_the_clients,
    health_and_readiness_on_both_listeners,
    readyz_is_503_while_migrations_are_pending,
    metrics_count_the_requests_made,
    metrics_pass_promtool_and_carry_build_info,
    served_openapi_is_the_committed_file,
);

async fn unknown_path_is_a_404_problem(backend: Backend) {
    let app = spawn_app(backend).await;
    let shanghai = app.client(Cert::Shanghai);
    for path in ["/nope", "/v1/nope", "/v1/admin/nope", "/v1/whoami/extra"] {
        let response = shanghai
            .get(app.api_url(path))
            .send()
            .await
            .expect("request");
        let problem = expect_problem(response, 404, "no-route").await;
        assert_eq!(problem["detail"], format!("no route for GET {path}"));
    }
    // Outside `/v1` no certificate is needed to learn that a path does not exist.
    let response = app
        .anonymous_client()
        .get(app.api_url("/nope"))
        .send()
        .await
        .expect("request");
    expect_problem(response, 404, "no-route").await;
    // The metrics listener answers the same way.
    let response = plain_client()
        .get(app.metrics_url("/nope"))
        .send()
        .await
        .expect("request");
    expect_problem(response, 404, "no-route").await;
}

async fn wrong_method_is_a_405_problem(backend: Backend) {
    let app = spawn_app(backend).await;
    let operator = app.client(Cert::Operator);
    let cases = [
        (reqwest::Method::POST, "/v1/whoami"),
        (reqwest::Method::DELETE, "/v1/admin/platforms/jiangsu"),
        (reqwest::Method::GET, "/v1/admin/platforms/jiangsu/suspend"),
        (reqwest::Method::POST, "/healthz"),
    ];
    for (method, path) in cases {
        let response = operator
            .request(method.clone(), app.api_url(path))
            .send()
            .await
            .expect("request");
        let problem = expect_problem(response, 405, "method-not-allowed").await;
        assert_eq!(
            problem["detail"],
            format!("method {method} is not allowed here"),
            "{method} {path}"
        );
    }
    let response = plain_client()
        .post(app.metrics_url("/metrics"))
        .send()
        .await
        .expect("request");
    expect_problem(response, 405, "method-not-allowed").await;
}

async fn oversize_body_is_a_413_problem(backend: Backend) {
    let limit = 256;
    let app = TestApp::builder()
        .backend(backend)
        .max_body_bytes(limit)
        .build()
        .await;
    // HTTP/1.1 with Content-Length, so the refusal is an answer rather than a reset stream.
    let operator = app
        .client_builder(Some(Cert::Operator))
        .http1_only()
        .build()
        .expect("client");
    let url = app.api_url("/v1/admin/platforms/jiangsu/certificate");
    let pem = std::fs::read_to_string(Cert::Shanghai.pem(&app.pki())).expect("pem");
    let body = serde_json::json!({ "certificate": pem }).to_string();
    assert!(body.len() > limit);
    let response = operator
        .put(&url)
        .header("content-type", "application/json")
        .header("content-length", body.len())
        .body(body.clone())
        .send()
        .await
        .expect("request");
    let problem = expect_problem(response, 413, "payload-too-large").await;
    assert_eq!(
        problem["detail"],
        format!("the request body exceeds {limit} bytes")
    );
    // Nothing changed: jiangsu is still identified by its own certificate.
    let body = expect_json(
        app.client(Cert::Jiangsu)
            .get(app.api_url("/v1/whoami"))
            .send()
            .await
            .expect("whoami"),
        200,
    )
    .await;
    assert_eq!(body["platform"], "jiangsu");
    // A body within the limit passes the size check (and then fails validation).
    let small = serde_json::json!({ "sha256": "zz" }).to_string();
    let response = operator
        .put(&url)
        .header("content-type", "application/json")
        .body(small)
        .send()
        .await
        .expect("request");
    expect_problem(response, 422, "invalid-request").await;
}

async fn rate_limited_caller_gets_429_with_retry_after(backend: Backend) {
    let app = TestApp::builder()
        .backend(backend)
        .rate_limit(1, 2)
        .build()
        .await;
    let zhejiang = app.client(Cert::Zhejiang);
    let call = || zhejiang.get(app.api_url("/v1/whoami")).send();
    // The burst is admitted at once.
    for _ in 0..2 {
        expect_json(call().await.expect("whoami"), 200).await;
    }
    // At one request per second, a handful of immediate requests must run out of tokens; allow a
    // few successes in case the machine is so slow that tokens refill between them.
    let mut refused = None;
    for _ in 0..10 {
        let response = call().await.expect("whoami");
        if response.status().as_u16() == 429 {
            refused = Some(response);
            break;
        }
        expect_json(response, 200).await;
    }
    let response = refused.expect("no 429 within 12 requests at 1 request/s, burst 2");
    assert_eq!(
        response
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().expect("text")),
        Some("1")
    );
    let problem = expect_problem(response, 429, "rate-limited").await;
    assert_eq!(problem["detail"], "rate limit exceeded; retry after 1 s");
    // Buckets are per caller: another platform is unaffected.
    expect_json(
        app.client(Cert::Shanghai)
            .get(app.api_url("/v1/whoami"))
            .send()
            .await
            .expect("whoami"),
        200,
    )
    .await;
    let scrape = app.scrape().await;
    assert!(
        scrape.value("gateway_rate_limited_total", &[("platform", "zhejiang")]) >= 1.0,
        "{}",
        scrape.text()
    );
    // Every registered caller has its series from the start, at zero until it is limited.
    assert_eq!(
        scrape.get("gateway_rate_limited_total", &[("platform", "shanghai")]),
        Some(0.0)
    );
    assert!(
        scrape.text().contains("# HELP gateway_rate_limited_total "),
        "{}",
        scrape.text()
    );
    tests::promtool_check_metrics(scrape.text());
}

async fn every_response_carries_a_request_id_and_echoes_the_clients(backend: Backend) {
    let app = spawn_app(backend).await;
    let shanghai = app.client(Cert::Shanghai);
    let anonymous = app.anonymous_client();
    let metrics = plain_client();
    let requests = [
        shanghai.get(app.api_url("/v1/whoami")),
        shanghai.get(app.api_url("/nope")),
        shanghai.post(app.api_url("/v1/whoami")),
        shanghai.get(app.api_url("/v1/admin/platforms")),
        shanghai.get(app.api_url("/healthz")),
        shanghai.get(app.api_url("/openapi.json")),
        anonymous.get(app.api_url("/v1/whoami")),
        metrics.get(app.metrics_url("/metrics")),
        metrics.get(app.metrics_url("/readyz")),
        metrics.get(app.metrics_url("/nope")),
    ];
    for request in requests {
        let sent = format!("client-{}", uuid::Uuid::new_v4());
        let echoed = request
            .try_clone()
            .expect("clonable request")
            .header("x-request-id", &sent)
            .send()
            .await
            .expect("request");
        assert_eq!(request_id(&echoed), sent, "{}", echoed.url());
        let generated = request_id(&request.send().await.expect("request"));
        uuid::Uuid::parse_str(&generated)
            .unwrap_or_else(|e| panic!("generated request id {generated:?}: {e}"));
    }
    // An unacceptable id (spaces, or longer than 128 characters) is replaced by a generated one.
    for bad in ["has spaces".to_owned(), "x".repeat(129)] {
        let response = shanghai
            .get(app.api_url("/v1/whoami"))
            .header("x-request-id", &bad)
            .send()
            .await
            .expect("request");
        let id = request_id(&response);
        assert_ne!(id, bad);
        uuid::Uuid::parse_str(&id).unwrap_or_else(|e| panic!("{id:?}: {e}"));
    }
    let longest = "y".repeat(128);
    let response = shanghai
        .get(app.api_url("/v1/whoami"))
        .header("x-request-id", &longest)
        .send()
        .await
        .expect("request");
    assert_eq!(request_id(&response), longest);
}

async fn health_and_readiness_on_both_listeners(backend: Backend) {
    let app = spawn_app(backend).await;
    let anonymous = app.anonymous_client();
    let jiangsu = app.client(Cert::Jiangsu);
    let metrics = plain_client();
    let healthz = [
        anonymous.get(app.api_url("/healthz")),
        jiangsu.get(app.api_url("/healthz")),
        metrics.get(app.metrics_url("/healthz")),
    ];
    for request in healthz {
        let body = expect_json(request.send().await.expect("healthz"), 200).await;
        assert_eq!(body, serde_json::json!({"status": "ok"}));
    }
    let readyz = [
        anonymous.get(app.api_url("/readyz")),
        jiangsu.get(app.api_url("/readyz")),
        metrics.get(app.metrics_url("/readyz")),
    ];
    for request in readyz {
        let body = expect_json(request.send().await.expect("readyz"), 200).await;
        assert_eq!(
            body,
            serde_json::json!({"status": "ready", "database": backend.as_str()})
        );
    }
}

async fn readyz_is_503_while_migrations_are_pending(backend: Backend) {
    let app = TestApp::builder()
        .backend(backend)
        .migrate_on_start(false)
        .build()
        .await;
    let anonymous = app.anonymous_client();
    let metrics = plain_client();
    for request in [
        anonymous.get(app.api_url("/readyz")),
        metrics.get(app.metrics_url("/readyz")),
    ] {
        expect_problem(request.send().await.expect("readyz"), 503, "unavailable").await;
    }
    // Alive all the same.
    for request in [
        anonymous.get(app.api_url("/healthz")),
        metrics.get(app.metrics_url("/healthz")),
    ] {
        expect_json(request.send().await.expect("healthz"), 200).await;
    }
    // Migrating from outside (as `gateway migrate` would) makes it ready without a restart.
    let url = app.database_url().clone();
    let applied = tokio::task::spawn_blocking(move || {
        gateway::db::Database::connect(&url, &gateway::config::DatabaseSettings::default())
            .and_then(|db| db.migrate())
            .expect("migrate")
    })
    .await
    .expect("migration task");
    assert_eq!(applied.len(), gateway::db::MIGRATION_NAMES_SQLITE.len());
    for request in [
        anonymous.get(app.api_url("/readyz")),
        metrics.get(app.metrics_url("/readyz")),
    ] {
        let body = expect_json(request.send().await.expect("readyz"), 200).await;
        assert_eq!(
            body,
            serde_json::json!({"status": "ready", "database": backend.as_str()})
        );
    }
}

async fn metrics_count_the_requests_made(backend: Backend) {
    let app = spawn_app(backend).await;
    let before = app.scrape().await;
    let shanghai = app.client(Cert::Shanghai);
    let jiangsu = app.client(Cert::Jiangsu);
    for _ in 0..3 {
        expect_json(
            shanghai
                .get(app.api_url("/v1/whoami"))
                .send()
                .await
                .expect("whoami"),
            200,
        )
        .await;
    }
    expect_json(
        jiangsu
            .get(app.api_url("/v1/whoami"))
            .send()
            .await
            .expect("whoami"),
        200,
    )
    .await;
    expect_problem(
        jiangsu
            .get(app.api_url("/v1/admin/platforms/zhejiang"))
            .send()
            .await
            .expect("admin"),
        403,
        "forbidden",
    )
    .await;
    expect_problem(
        app.anonymous_client()
            .get(app.api_url("/v1/whoami"))
            .send()
            .await
            .expect("whoami"),
        401,
        "client-certificate-required",
    )
    .await;
    expect_problem(
        shanghai
            .get(app.api_url("/v1/no/such/route"))
            .send()
            .await
            .expect("404"),
        404,
        "no-route",
    )
    .await;
    expect_json(
        shanghai
            .get(app.api_url("/healthz"))
            .send()
            .await
            .expect("healthz"),
        200,
    )
    .await;
    // The metrics listener's own traffic is not counted.
    expect_json(
        plain_client()
            .get(app.metrics_url("/healthz"))
            .send()
            .await
            .expect("healthz"),
        200,
    )
    .await;
    let after = app.scrape().await;

    let requests = |route, method, status, platform| {
        (
            series(
                "gateway_http_requests_total",
                &[
                    ("route", route),
                    ("method", method),
                    ("status", status),
                    ("platform", platform),
                ],
            ),
            1.0,
        )
    };
    let mut expected: std::collections::BTreeMap<String, f64> = [
        requests("/v1/whoami", "GET", "200", "jiangsu"),
        requests("/v1/admin/platforms/{id}", "GET", "403", "jiangsu"),
        requests("/v1/whoami", "GET", "401", "none"),
        requests("unmatched", "GET", "404", "shanghai"),
        requests("/healthz", "GET", "200", "none"),
    ]
    .into();
    expected.insert(
        series(
            "gateway_http_requests_total",
            &[
                ("route", "/v1/whoami"),
                ("method", "GET"),
                ("status", "200"),
                ("platform", "shanghai"),
            ],
        ),
        3.0,
    );
    assert_eq!(
        after.changes_since(&before, "gateway_http_requests_total"),
        expected,
        "{}",
        after.text()
    );
    let count = |route| {
        after.value(
            "gateway_http_request_duration_seconds_count",
            &[("route", route), ("method", "GET")],
        ) - before.value(
            "gateway_http_request_duration_seconds_count",
            &[("route", route), ("method", "GET")],
        )
    };
    assert_eq!(count("/v1/whoami"), 5.0);
    assert_eq!(count("/v1/admin/platforms/{id}"), 1.0);
    assert_eq!(count("unmatched"), 1.0);
    assert_eq!(count("/healthz"), 1.0);
    // Every request lands in the +Inf bucket.
    assert_eq!(
        after.value(
            "gateway_http_request_duration_seconds_bucket",
            &[("route", "/v1/whoami"), ("method", "GET"), ("le", "+Inf")],
        ),
        after.value(
            "gateway_http_request_duration_seconds_count",
            &[("route", "/v1/whoami"), ("method", "GET")],
        ),
    );
}

async fn metrics_pass_promtool_and_carry_build_info(backend: Backend) {
    let app = spawn_app(backend).await;
    // Put a sample in the labelled families first, so promtool sees them (a family without
    // samples is not exported; `gateway_rate_limited_total` is checked in the rate-limit test).
    expect_json(
        app.client(Cert::Shanghai)
            .get(app.api_url("/v1/whoami"))
            .send()
            .await
            .expect("whoami"),
        200,
    )
    .await;
    let _ = app
        .client(Cert::Intruder)
        .get(app.api_url("/v1/whoami"))
        .send()
        .await
        .expect_err("the intruder is refused");
    let scrape = app.scrape().await;
    // The workspace shares one version, so this crate's is the gateway's.
    assert_eq!(
        scrape.get(
            "gateway_build_info",
            &[("version", env!("CARGO_PKG_VERSION"))]
        ),
        Some(1.0),
        "{}",
        scrape.text()
    );
    assert_eq!(
        scrape.get("gateway_db_pool_max_connections", &[]),
        Some(4.0),
        "{}",
        scrape.text()
    );
    for state in ["idle", "in_use"] {
        assert!(
            scrape
                .get("gateway_db_pool_connections", &[("state", state)])
                .is_some(),
            "{state}: {}",
            scrape.text()
        );
    }
    for family in [
        "gateway_http_requests_total",
        "gateway_http_request_duration_seconds",
        "gateway_tls_handshake_failures_total",
        "gateway_db_pool_connections",
        "gateway_db_pool_max_connections",
        "gateway_build_info",
    ] {
        assert!(
            scrape.text().contains(&format!("# HELP {family} ")),
            "no HELP for {family}"
        );
    }
    tests::promtool_check_metrics(scrape.text());
}

async fn served_openapi_is_the_committed_file(backend: Backend) {
    let app = spawn_app(backend).await;
    let committed = std::fs::read_to_string(tests::workspace_root().join("schemas/openapi.json"))
        .expect("schemas/openapi.json");
    // No certificate needed to read the description.
    for client in [app.anonymous_client(), app.client(Cert::Zhejiang)] {
        let response = client
            .get(app.api_url("/openapi.json"))
            .timeout(Duration::from_secs(30))
            .send()
            .await
            .expect("openapi");
        assert_eq!(response.status().as_u16(), 200);
        assert_eq!(tests::content_type(&response), "application/json");
        tests::assert_same_text(
            &response.text().await.expect("body"),
            &committed,
            "served /openapi.json vs schemas/openapi.json",
        );
    }
}

/// PostgreSQL only: an instance notices a lost database (`/readyz` 503, `gateway_database_up`
/// 0) and recovers by itself once it is back, although every pooled connection died meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_outage_is_reported_and_recovered_from() {
    use diesel::{Connection, PgConnection, RunQueryDsl};
    if tests::postgres_lane_skipped("postgres_outage_is_reported_and_recovered_from") {
        return;
    }
    let app = TestApp::builder()
        .backend(Backend::Postgres)
        .configure(|s| s.database.acquire_timeout_secs = 1)
        .build()
        .await;
    let gateway::config::DatabaseUrl::Postgres(url) = app.database_url().clone() else {
        panic!("a PostgreSQL test app");
    };
    let name = url
        .split_once("://")
        .and_then(|(_, rest)| rest.split('?').next())
        .and_then(|path| path.rsplit('/').next())
        .expect("database name in the URL")
        .to_owned();
    let admin = tests::postgres_url().expect("lane configured");
    let metrics = plain_client();
    let ready = || async {
        metrics
            .get(app.metrics_url("/readyz"))
            .send()
            .await
            .expect("readyz")
    };
    expect_json(ready().await, 200).await;
    assert_eq!(app.scrape().await.value("gateway_database_up", &[]), 1.0);

    // The outage: no new connections, every existing one (the pool's) terminated.
    let outage = |allow: bool| {
        let (admin, name) = (admin.clone(), name.clone());
        tokio::task::spawn_blocking(move || {
            let mut conn = PgConnection::establish(&admin).expect("admin connection");
            diesel::sql_query(format!(
                "ALTER DATABASE \"{name}\" WITH ALLOW_CONNECTIONS {allow}"
            ))
            .execute(&mut conn)
            .expect("ALTER DATABASE");
            if !allow {
                // With a timeout, pg_terminate_backend waits until the backend is gone.
                diesel::sql_query(format!(
                    "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE datname = '{name}'"
                ))
                .execute(&mut conn)
                .expect("terminate the gateway's connections");
            }
        })
    };
    outage(false).await.expect("outage");
    expect_problem(ready().await, 503, "unavailable").await;
    let scrape = app.scrape().await;
    assert_eq!(scrape.value("gateway_database_up", &[]), 0.0);
    let whoami = app
        .client(Cert::Jiangsu)
        .get(app.api_url("/v1/whoami"))
        .send()
        .await
        .expect("whoami");
    expect_problem(whoami, 503, "unavailable").await;

    // Back: the instance recovers by itself, without a restart (the pool opens new connections;
    // r2d2 retries with short delays, so allow a few seconds).
    outage(true).await.expect("recovery");
    let mut answer = ready().await;
    for _ in 0..50 {
        if answer.status() == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        answer = ready().await;
    }
    expect_json(answer, 200).await;
    assert_eq!(app.scrape().await.value("gateway_database_up", &[]), 1.0);
    let whoami = app
        .client(Cert::Jiangsu)
        .get(app.api_url("/v1/whoami"))
        .send()
        .await
        .expect("whoami");
    expect_json(whoami, 200).await;
}
