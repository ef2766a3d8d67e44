//! Who is calling: client certificates in the TLS handshake and their identities in the registry.

use serde_json::json;
use tests::{Backend, Cert, TestApp, expect_json, expect_problem, spawn_app};

tests::on_both_backends!(
    whoami_identifies_each_demo_platform,
    whoami_identifies_the_operator,
    no_client_certificate_is_refused_with_401,
    intruder_certificate_is_refused_in_the_handshake,
    expired_certificate_is_refused_in_the_handshake,
);

async fn whoami_identifies_each_demo_platform(backend: Backend) {
    let app = spawn_app(backend).await;
    let expected = [
        (Cert::Shanghai, "shanghai", "310000"),
        (Cert::Jiangsu, "jiangsu", "320000"),
        (Cert::Zhejiang, "zhejiang", "330000"),
    ];
    for (cert, province, code) in expected {
        let response = app
            .client(cert)
            .get(app.api_url("/v1/whoami"))
            .send()
            .await
            .expect("whoami");
        let body = expect_json(response, 200).await;
        assert_eq!(body["platform"], cert.name(), "{body}");
        assert_eq!(body["province"], province, "{body}");
        assert_eq!(body["province_code"], code, "{body}");
        assert_eq!(body["dialect"], province, "{body}");
        assert_eq!(body["role"], "platform", "{body}");
        assert_eq!(
            body["certificate_sha256"],
            cert.fingerprint(&app.pki()),
            "{body}"
        );
    }
}

async fn whoami_identifies_the_operator(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app
        .client(Cert::Operator)
        .get(app.api_url("/v1/whoami"))
        .send()
        .await
        .expect("whoami");
    let body = expect_json(response, 200).await;
    assert_eq!(body["platform"], "operator", "{body}");
    assert_eq!(body["role"], "operator", "{body}");
    assert_eq!(body["province"], json!(null), "{body}");
    assert_eq!(body["dialect"], json!(null), "{body}");
}

async fn no_client_certificate_is_refused_with_401(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = app.anonymous_client();
    for path in ["/v1/whoami", "/v1/admin/platforms"] {
        let response = client
            .get(app.api_url(path))
            .send()
            .await
            .expect("the handshake succeeds without a certificate");
        assert_eq!(
            response
                .headers()
                .get("www-authenticate")
                .map(|v| v.as_bytes()),
            Some(&b"MutualTLS"[..]),
            "{path}"
        );
        expect_problem(response, 401, "client-certificate-required").await;
    }
}

/// Makes one request presenting `cert`, which the server must refuse in the TLS handshake, and
/// checks the TLS `alert` the client received and that
/// `gateway_tls_handshake_failures_total{reason,platform}` went up by exactly one for the caller
/// the certificate is registered to (`unregistered` if none).
async fn refused_in_handshake(
    app: &TestApp,
    cert: Cert,
    reason: &str,
    alert: &str,
    platform: &str,
) {
    let before = app.scrape().await;
    let result = app.client(cert).get(app.api_url("/v1/whoami")).send().await;
    let error = match result {
        Ok(response) => panic!(
            "{} certificate: expected a TLS refusal, got {}",
            cert.name(),
            response.status()
        ),
        Err(error) => error,
    };
    assert!(error.is_request(), "{}: {error:?}", cert.name());
    // The client learns why from the server's TLS alert. With TLS 1.3 the client has already sent
    // its request when the server refuses the certificate; if the server closes the socket with that
    // request unread, the kernel may answer with a reset that the client sees before the alert,
    // or the client's connection pool sees the connection close before it could send the request
    // (hyper: "connection was not ready"). The counter below says the handshake refused it.
    let mut chain = Vec::new();
    let mut reset = false;
    let mut source: Option<&dyn std::error::Error> = Some(&error);
    while let Some(e) = source {
        chain.push(e.to_string());
        reset |= e.downcast_ref::<std::io::Error>().is_some_and(|io| {
            matches!(
                io.kind(),
                std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::BrokenPipe
            )
        });
        source = e.source();
    }
    let expected = format!("received fatal alert: {alert}");
    assert!(
        chain.iter().any(|m| m == &expected)
            || reset
            || chain.iter().any(|m| m == "connection was not ready"),
        "{}: expected `{expected}` (or a connection reset or close) in {chain:#?}",
        cert.name()
    );
    let after = app.scrape().await;
    assert_eq!(
        after.changes_since(&before, "gateway_tls_handshake_failures_total"),
        [(
            tests::series(
                "gateway_tls_handshake_failures_total",
                &[("platform", platform), ("reason", reason)]
            ),
            1.0
        )]
        .into(),
        "{}: {error:?}",
        cert.name()
    );
    // Nothing reached the HTTP layer.
    assert_eq!(
        after.changes_since(&before, "gateway_http_requests_total"),
        Default::default()
    );
}

async fn intruder_certificate_is_refused_in_the_handshake(backend: Backend) {
    let app = spawn_app(backend).await;
    refused_in_handshake(
        &app,
        Cert::Intruder,
        "unknown-issuer",
        "UnknownCA",
        "unregistered",
    )
    .await;
}

async fn expired_certificate_is_refused_in_the_handshake(backend: Backend) {
    let app = spawn_app(backend).await;
    refused_in_handshake(
        &app,
        Cert::Expired,
        "expired",
        "CertificateExpired",
        "unregistered",
    )
    .await;
    // Once it is a platform's registered certificate (as when a platform lets its certificate
    // expire), the refusals name the platform: ops see whose traffic is locked out.
    let response = app
        .client(Cert::Operator)
        .put(app.api_url("/v1/admin/platforms/zhejiang/certificate"))
        .json(&json!({"sha256": Cert::Expired.fingerprint(&app.pki())}))
        .send()
        .await
        .expect("rotate");
    expect_json(response, 200).await;
    refused_in_handshake(
        &app,
        Cert::Expired,
        "expired",
        "CertificateExpired",
        "zhejiang",
    )
    .await;
}
