//! Push delivery: webhooks receive the other provinces' events, signed, at least once; a failing
//! receiver does not hold publishing back, its deliveries retry, dead-letter, and can be retried.

use std::time::Duration;

use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use tests::{Backend, Cert, TestApp, WebhookReceiver, error_paths, expect_json, expect_problem};

tests::on_both_backends!(
    webhooks_receive_other_provinces_events_signed,
    failing_receiver_dead_letters_and_retry_delivers,
    refused_subscriptions_change_nothing,
    rotated_secret_signs_with_both_during_the_overlap,
    a_hanging_receiver_does_not_hold_publishing_back,
);

const SECRET: &str = "jiangsu-webhook-secret-0001";

fn hmac_hex(secret: &str, timestamp: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("hmac key");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

async fn fast_app(backend: Backend, max_attempts: u32) -> TestApp {
    TestApp::builder()
        .backend(backend)
        .configure(move |s| {
            s.delivery.max_attempts = max_attempts;
            s.delivery.backoff_initial_ms = 20;
            s.delivery.backoff_max_secs = 1;
            s.delivery.poll_interval_ms = 20;
        })
        .build()
        .await
}

async fn subscribe(app: &TestApp, cert: Cert, body: Value) -> reqwest::Response {
    app.client(cert)
        .put(app.api_url("/v1/subscriptions/self"))
        .json(&body)
        .send()
        .await
        .expect("subscribe")
}

async fn deliveries(app: &TestApp, cert: Cert, query: &str) -> Vec<Value> {
    let response = app
        .client(cert)
        .get(app.api_url(&format!("/v1/deliveries{query}")))
        .send()
        .await
        .expect("deliveries");
    expect_json(response, 200).await["deliveries"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

async fn webhooks_receive_other_provinces_events_signed(backend: Backend) {
    let app = fast_app(backend, 5).await;
    let jiangsu = WebhookReceiver::start(200).await;
    let shanghai = WebhookReceiver::start(200).await;
    let created = subscribe(
        &app,
        Cert::Jiangsu,
        json!({"url": jiangsu.url, "secret": SECRET}),
    )
    .await;
    let sub = expect_json(created, 201).await;
    assert_eq!(sub["format"], "jiangsu");
    assert!(
        sub.get("secret").is_none(),
        "the secret is never shown: {sub}"
    );
    let other = subscribe(
        &app,
        Cert::Shanghai,
        json!({"url": shanghai.url, "secret": "shanghai-webhook-secret-1"}),
    )
    .await;
    expect_json(other, 201).await;

    // Shanghai corrects its seeded tender: Jiangsu is pushed the new version; Shanghai is not
    // pushed its own event.
    let published = app
        .publish(
            Cert::Shanghai,
            tests::sample_announcement("shanghai", "02-construction-correction"),
        )
        .await;
    let got = jiangsu.wait_for("one event", |g| !g.is_empty()).await;
    let r = &got[0];
    let event: Value = serde_json::from_slice(&r.body).expect("event JSON");
    assert_eq!(event["type"], "notice.versioned");
    assert_eq!(event["source"], "shanghai");
    assert_eq!(event["format"], "jiangsu");
    assert_eq!(event["announcement_id"], published["id"]);
    assert_eq!(event["version"], published["version"]);
    assert_eq!(event["event_id"], r.event_id.as_str());
    assert!(
        event["document"]["infoid"].is_string(),
        "jiangsu JSON document: {event}"
    );
    assert_eq!(
        r.signature,
        format!("sha256={}", hmac_hex(SECRET, &r.timestamp, &r.body))
    );
    let sent_at: i64 = r.timestamp.parse().expect("unix seconds");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    assert!(
        (now - sent_at).abs() < 300,
        "timestamp {sent_at} vs now {now}"
    );

    let mine = deliveries(&app, Cert::Jiangsu, "?status=delivered").await;
    assert_eq!(mine.len(), 1, "{mine:?}");
    assert_eq!(mine[0]["attempts"], 1);
    assert!(deliveries(&app, Cert::Shanghai, "").await.is_empty());
    assert!(shanghai.received().is_empty());
    let metrics = app.scrape().await;
    assert_eq!(
        metrics.value(
            "gateway_delivery_attempts_total",
            &[("platform", "jiangsu"), ("outcome", "delivered")]
        ),
        1.0
    );
}

async fn failing_receiver_dead_letters_and_retry_delivers(backend: Backend) {
    let app = fast_app(backend, 3).await;
    let receiver = WebhookReceiver::start(500).await;
    expect_json(
        subscribe(
            &app,
            Cert::Zhejiang,
            json!({"url": receiver.url, "secret": SECRET}),
        )
        .await,
        201,
    )
    .await;
    // Publishing is answered while the receiver fails.
    app.publish(
        Cert::Jiangsu,
        tests::sample_announcement("jiangsu", "02-construction-correction"),
    )
    .await;
    let got = receiver.wait_for("three attempts", |g| g.len() >= 3).await;
    assert!(
        got.iter().all(|r| r.event_id == got[0].event_id),
        "one event, retried"
    );

    let mut dead = Vec::new();
    for _ in 0..200 {
        dead = deliveries(&app, Cert::Zhejiang, "?status=dead").await;
        if !dead.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(dead.len(), 1, "dead letters: {dead:?}");
    assert_eq!(dead[0]["attempts"], 3);
    assert_eq!(
        dead[0]["last_error"],
        "receiver answered 500 Internal Server Error"
    );
    let metrics = app.scrape().await;
    assert_eq!(
        metrics.value("gateway_dead_letters_total", &[("platform", "zhejiang")]),
        1.0
    );
    assert_eq!(
        metrics.value("gateway_outbox_depth", &[("status", "dead")]),
        1.0
    );

    // Another platform cannot retry it; the operator sees it; the owner retries it.
    let id = dead[0]["id"].as_str().expect("id").to_owned();
    let response = app
        .client(Cert::Jiangsu)
        .post(app.api_url(&format!("/v1/deliveries/{id}/retry")))
        .send()
        .await
        .expect("retry");
    expect_problem(response, 404, "not-found").await;
    let response = app
        .client(Cert::Operator)
        .get(app.api_url("/v1/admin/deliveries?status=dead"))
        .send()
        .await
        .expect("admin list");
    let listed = expect_json(response, 200).await;
    assert_eq!(listed["deliveries"][0]["id"], id.as_str());

    receiver.answer(200);
    let response = app
        .client(Cert::Zhejiang)
        .post(app.api_url(&format!("/v1/deliveries/{id}/retry")))
        .send()
        .await
        .expect("retry");
    assert_eq!(expect_json(response, 202).await["status"], "pending");
    let got = receiver
        .wait_for("a fourth attempt", |g| g.len() >= 4)
        .await;
    assert_eq!(
        got[3].event_id, got[0].event_id,
        "a retry carries the same event id"
    );
    for _ in 0..200 {
        if deliveries(&app, Cert::Zhejiang, "?status=delivered")
            .await
            .len()
            == 1
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the retried delivery was not marked delivered");
}

async fn refused_subscriptions_change_nothing(backend: Backend) {
    let app = fast_app(backend, 3).await;
    let cases = [
        (
            json!({"url": "ftp://example.org/hook", "secret": SECRET}),
            "/url",
            "refused-url",
        ),
        (
            json!({"url": "http://10.1.2.3/hook", "secret": SECRET}),
            "/url",
            "refused-url",
        ),
        (
            json!({"url": "https://169.254.169.254/latest", "secret": SECRET}),
            "/url",
            "refused-url",
        ),
        (
            json!({"url": "http://127.0.0.1:9/hook", "secret": "short"}),
            "/secret",
            "weak-secret",
        ),
        (
            json!({"url": "http://127.0.0.1:9/hook", "secret": SECRET, "format": "xml"}),
            "/format",
            "unknown-dialect",
        ),
        (
            json!({"url": "http://127.0.0.1:9/hook", "secret": SECRET, "filters": {"kinds": ["x"]}}),
            "/filters/kinds",
            "unknown-kind",
        ),
    ];
    for (body, path, code) in cases {
        let problem = expect_problem(
            subscribe(&app, Cert::Jiangsu, body.clone()).await,
            422,
            "invalid-request",
        )
        .await;
        assert_eq!(
            error_paths(&problem),
            vec![(path.to_owned(), code.to_owned())],
            "{body}"
        );
    }
    let response = app
        .client(Cert::Jiangsu)
        .put(app.api_url("/v1/subscriptions/self"))
        .json(&json!({"url": "http://127.0.0.1:9/hook"}))
        .send()
        .await
        .expect("put");
    expect_problem(response, 422, "invalid-request").await;
    let response = app
        .client(Cert::Jiangsu)
        .get(app.api_url("/v1/subscriptions/self"))
        .send()
        .await
        .expect("get");
    expect_problem(response, 404, "not-found").await;
    let response = app
        .client(Cert::Operator)
        .put(app.api_url("/v1/subscriptions/self"))
        .json(&json!({"url": "http://127.0.0.1:9/hook", "secret": SECRET}))
        .send()
        .await
        .expect("put");
    expect_problem(response, 403, "forbidden").await;
}

async fn rotated_secret_signs_with_both_during_the_overlap(backend: Backend) {
    let app = fast_app(backend, 5).await;
    let receiver = WebhookReceiver::start(200).await;
    let first = subscribe(
        &app,
        Cert::Jiangsu,
        json!({"url": receiver.url, "secret": SECRET}),
    )
    .await;
    expect_json(first, 201).await;
    let new_secret = "jiangsu-webhook-secret-0002";
    let rotated = subscribe(
        &app,
        Cert::Jiangsu,
        json!({"url": receiver.url, "secret": new_secret}),
    )
    .await;
    let sub = expect_json(rotated, 200).await;
    assert!(sub["previous_secret_valid_until"].is_string(), "{sub}");
    app.publish(
        Cert::Zhejiang,
        tests::sample_announcement("zhejiang", "02-construction-correction"),
    )
    .await;
    let got = receiver.wait_for("one event", |g| !g.is_empty()).await;
    let r = &got[0];
    assert_eq!(
        r.signature,
        format!(
            "sha256={}, sha256={}",
            hmac_hex(new_secret, &r.timestamp, &r.body),
            hmac_hex(SECRET, &r.timestamp, &r.body)
        )
    );
}

async fn a_hanging_receiver_does_not_hold_publishing_back(backend: Backend) {
    let app = TestApp::builder()
        .backend(backend)
        .configure(|s| {
            s.delivery.poll_interval_ms = 20;
            s.delivery.timeout_secs = 60;
        })
        .build()
        .await;
    let receiver = WebhookReceiver::start(200).await;
    receiver
        .hold
        .store(true, std::sync::atomic::Ordering::SeqCst);
    expect_json(
        subscribe(
            &app,
            Cert::Zhejiang,
            json!({"url": receiver.url, "secret": SECRET}),
        )
        .await,
        201,
    )
    .await;
    // Every publication is answered while the receiver holds the first delivery open.
    let names = [
        "02-construction-correction",
        "03-construction-clarification",
        "04-construction-extension",
        "07-procurement-tender",
        "09-land-tender",
    ];
    for name in names {
        app.publish(Cert::Jiangsu, tests::sample_announcement("jiangsu", name))
            .await;
    }
    receiver
        .wait_for("the first, held delivery", |g| g.len() == 1)
        .await;
    assert_eq!(
        receiver.received().len(),
        1,
        "one delivery at a time per subscriber"
    );
    receiver
        .hold
        .store(false, std::sync::atomic::Ordering::SeqCst);
    let got = receiver
        .wait_for("every event", |g| g.len() >= names.len())
        .await;
    let cursors: Vec<i64> = got
        .iter()
        .map(|r| {
            let event: Value = serde_json::from_slice(&r.body).expect("event");
            event["cursor"]
                .as_str()
                .expect("cursor")
                .parse()
                .expect("number")
        })
        .collect();
    assert!(
        cursors.windows(2).all(|w| w[0] < w[1]),
        "feed order: {cursors:?}"
    );
}
