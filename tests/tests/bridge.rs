//! The CA mutual-recognition bridge through the API: every demo bidder certificate of the three
//! provinces verified by another province's platform; the trust list (installation, older lists
//! refused also by a second instance, a CA suspended in a newer list); CRLs pushed and fetched,
//! used at once by every instance; a CA endpoint that fails leaves the last good CRL in use until
//! its nextUpdate and then fails closed; OCSP when no current CRL decides; bad input refused with
//! its JSON path, changing nothing.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Value, json};
use tests::{Backend, Cert, TestApp, error_paths, expect_json, expect_problem, spawn_app};

tests::on_both_backends!(
    every_demo_bidder_certificate_gets_its_verdict_and_identity,
    the_demo_trust_list_and_crls_are_in_use,
    bad_verification_requests_name_the_field_and_change_nothing,
    trust_lists_only_move_forward_also_across_instances,
    a_ca_suspended_in_a_newer_list_is_refused_after_the_suspension,
    a_pushed_crl_revokes_at_once_on_every_instance,
    fetched_crls_are_used_and_a_failing_endpoint_fails_closed_after_next_update,
    ocsp_decides_when_no_current_crl_does,
);

fn seeds() -> PathBuf {
    tests::workspace_root().join("seeds")
}

fn bidder_pem(province: &str, name: &str) -> String {
    std::fs::read_to_string(seeds().join(format!("pki/bidders/{province}/{name}.pem")))
        .expect("bidder certificate")
}

/// `GET path` as `cert`, expecting 200 and JSON.
async fn get_json(app: &TestApp, cert: Cert, path: &str) -> Value {
    let response = app
        .client(cert)
        .get(app.api_url(path))
        .send()
        .await
        .expect("GET");
    expect_json(response, 200).await
}

/// `POST /v1/certificates/verify` as `cert`.
async fn verify(app: &TestApp, cert: Cert, body: Value) -> reqwest::Response {
    app.client(cert)
        .post(app.api_url("/v1/certificates/verify"))
        .json(&body)
        .send()
        .await
        .expect("verify request")
}

async fn verdict(app: &TestApp, cert: Cert, body: Value) -> Value {
    expect_json(verify(app, cert, body).await, 200).await
}

/// Another province's platform than `province`'s.
fn other_platform(province: &str) -> Cert {
    match province {
        "shanghai" => Cert::Jiangsu,
        "jiangsu" => Cert::Zhejiang,
        _ => Cert::Shanghai,
    }
}

async fn every_demo_bidder_certificate_gets_its_verdict_and_identity(backend: Backend) {
    let app = spawn_app(backend).await;
    for province in ["shanghai", "jiangsu", "zhejiang"] {
        let platform = other_platform(province);
        let v = verdict(
            &app,
            platform,
            json!({"certificate": bidder_pem(province, "valid")}),
        )
        .await;
        assert_eq!(v["valid"], true, "{province}: {v:#}");
        assert_eq!(v["province"], province);
        assert_eq!(v["trust_list_sequence"], 1);
        assert!(
            v["ca"]["id"]
                .as_str()
                .is_some_and(|id| id.starts_with(province)),
            "{v:#}"
        );
        assert_eq!(v["ca"]["status"], "granted");
        assert_eq!(v["holder"]["credit_code_check"], "valid", "{v:#}");
        assert_eq!(v["holder"]["credit_code"].as_str().map(str::len), Some(18));
        assert!(v["holder"]["name"].as_str().is_some_and(|n| !n.is_empty()));
        assert_eq!(
            v["revocation"]["checked"], true,
            "the demo CRLs are used: {v:#}"
        );

        for (name, reason) in [
            ("expired", "expired"),
            ("not-yet-valid", "not-yet-valid"),
            ("revoked", "revoked"),
            ("wrong-usage", "key-usage"),
        ] {
            let v = verdict(
                &app,
                platform,
                json!({"certificate": bidder_pem(province, name)}),
            )
            .await;
            assert_eq!(
                (v["valid"].as_bool(), v["reason"].as_str()),
                (Some(false), Some(reason)),
                "{province}/{name}: {v:#}"
            );
            assert_eq!(v["province"], province, "{province}/{name}");
        }
        // A wrong check character is reported; the default policy keeps the verdict valid.
        let v = verdict(
            &app,
            platform,
            json!({"certificate": bidder_pem(province, "bad-credit-code")}),
        )
        .await;
        assert_eq!(v["valid"], true, "{v:#}");
        assert_eq!(v["holder"]["credit_code_check"], "bad-check-digit", "{v:#}");
    }
    // Base64 DER is accepted like PEM, and the second answer comes from the cache.
    let pem = bidder_pem("jiangsu", "valid");
    let der = openssl_pem_to_der(&pem);
    let body = json!({"certificate": base64(&der)});
    let first = verify(&app, Cert::Shanghai, body.clone()).await;
    let second = verify(&app, Cert::Shanghai, body).await;
    assert_eq!(second.headers()["x-gateway-verdict-cache"], "hit");
    assert_eq!(
        expect_json(first, 200).await["certificate_sha256"],
        expect_json(second, 200).await["certificate_sha256"]
    );
    // A certificate of a CA outside the list.
    let intruder = std::fs::read_to_string(app.pki().join("platforms/intruder.pem")).expect("pem");
    let v = verdict(
        &app,
        Cert::Zhejiang,
        json!({"certificate": intruder, "purpose": "any"}),
    )
    .await;
    assert_eq!(v["valid"], false);
    assert_eq!(v["reason"], "unknown-issuer", "{v:#}");

    let scrape = app.scrape().await;
    assert!(
        scrape.value(
            "gateway_certificate_verifications_total",
            &[
                ("province", "zhejiang"),
                ("ca", "zhejiang-demo-ecc-ca"),
                ("outcome", "invalid"),
                ("reason", "revoked"),
                ("algorithm", "ecdsa-sha256")
            ]
        ) >= 1.0,
        "{}",
        scrape.text()
    );
    tests::promtool_check_metrics(scrape.text());
}

async fn the_demo_trust_list_and_crls_are_in_use(backend: Backend) {
    let app = spawn_app(backend).await;
    let list = get_json(&app, Cert::Jiangsu, "/v1/trust-list").await;
    assert_eq!(list["sequence"], 1);
    assert_eq!(list["usable"], true);
    assert_eq!(list["installed_by"], "demo");
    assert!(
        list["signed_document"]["signature"].is_object()
            || list["signed_document"]["signature"].is_string(),
        "{list:#}"
    );
    let crls = get_json(&app, Cert::Zhejiang, "/v1/crls").await;
    let crls = crls["crls"].as_array().expect("crls").clone();
    assert_eq!(
        crls.len(),
        7,
        "a CRL and an ARL per province, the TSA's CRL: {crls:#?}"
    );
    for c in &crls {
        assert_eq!(c["source"], "demo");
        assert_eq!(c["current"], true);
        assert_eq!(c["this_update"], "2026-03-01T00:00:00Z");
        assert_eq!(c["next_update"], "2045-01-01T00:00:00Z");
    }
    let scrape = app.scrape().await;
    assert_eq!(scrape.value("gateway_trust_list_sequence", &[]), 1.0);
    assert!(scrape.value("gateway_trust_list_next_update_seconds", &[]) > 0.0);
    assert!(
        scrape.text().contains("gateway_crl_next_update_seconds{"),
        "{}",
        scrape.text()
    );
}

async fn bad_verification_requests_name_the_field_and_change_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = app.client(Cert::Shanghai);
    let post = |body: &'static str| {
        client
            .post(app.api_url("/v1/certificates/verify"))
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    expect_problem(
        post("{\"certificate\": ").await.expect("send"),
        422,
        "invalid-request",
    )
    .await;
    expect_problem(post("{}").await.expect("send"), 422, "invalid-request").await;
    expect_problem(
        post("{\"certificate\": \"x\", \"extra\": 1}")
            .await
            .expect("send"),
        422,
        "invalid-request",
    )
    .await;
    let problem = expect_problem(
        verify(
            &app,
            Cert::Shanghai,
            json!({
                "certificate": "not base64 !!",
                "chain": [base64(b"\x30\x03\x02\x01\x00")],
                "purpose": "encryption",
                "at": "yesterday",
                "ocsp": "AAAA"
            }),
        )
        .await,
        422,
        "invalid-request",
    )
    .await;
    let paths: Vec<String> = error_paths(&problem).into_iter().map(|(p, _)| p).collect();
    for path in ["/certificate", "/chain/0", "/purpose", "/at", "/ocsp"] {
        assert!(
            paths.iter().any(|p| p == path),
            "{path} missing: {problem:#}"
        );
    }
    let garbage_der = expect_problem(
        verify(
            &app,
            Cert::Shanghai,
            json!({"certificate": base64(&[0x30, 0x82, 0xff, 0xff, 1, 2, 3])}),
        )
        .await,
        422,
        "invalid-request",
    )
    .await;
    assert_eq!(
        error_paths(&garbage_der)[0],
        ("/certificate".to_owned(), "malformed".to_owned())
    );
    // Without a client certificate: 401.
    let anonymous = app
        .anonymous_client()
        .post(app.api_url("/v1/certificates/verify"))
        .json(&json!({"certificate": bidder_pem("jiangsu", "valid")}))
        .send()
        .await
        .expect("send");
    expect_problem(anonymous, 401, "client-certificate-required").await;
    // Nothing was counted as a verification, nothing was cached.
    let scrape = app.scrape().await;
    assert_eq!(
        scrape.get(
            "gateway_certificate_verifications_total",
            &[("outcome", "valid")]
        ),
        None
    );
}

/// The demo list's source with `sequence`, changed by `edit`, signed by the operator.
fn signed_list(sequence: u64, edit: impl FnOnce(&mut Value)) -> String {
    tests::signed_demo_trust_list(sequence, edit)
}

fn service<'a>(list: &'a mut Value, province: &str) -> &'a mut Value {
    let provinces = list["provinces"].as_array_mut().expect("provinces");
    let p = provinces
        .iter_mut()
        .find(|p| p["province"] == province)
        .expect("province");
    &mut p["services"][0]
}

async fn install(app: &TestApp, cert: Cert, signed: &str) -> reqwest::Response {
    app.client(cert)
        .put(app.api_url("/v1/admin/trust-list"))
        .header("content-type", "application/json")
        .body(signed.to_owned())
        .send()
        .await
        .expect("install")
}

async fn trust_list_sequence(app: &TestApp) -> Value {
    get_json(app, Cert::Shanghai, "/v1/trust-list").await["sequence"].clone()
}

async fn trust_lists_only_move_forward_also_across_instances(backend: Backend) {
    let first = spawn_app(backend).await;
    let url = first.database_url().clone();
    let second = TestApp::builder()
        .configure(move |s| s.database.url = Some(url))
        .build()
        .await;
    // Only operators install.
    expect_problem(
        install(&first, Cert::Jiangsu, &signed_list(5, |_| {})).await,
        403,
        "forbidden",
    )
    .await;
    // Not signed by the pinned operator: refused with the bridge's reason.
    let text = std::fs::read_to_string(seeds().join("trust-list.source.json")).expect("source");
    let problem = expect_problem(
        install(&first, Cert::Operator, &text).await,
        422,
        "invalid-request",
    )
    .await;
    assert_eq!(
        error_paths(&problem)[0].1,
        "trust-list-unsigned",
        "{problem:#}"
    );
    let mut tampered: Value = serde_json::from_str(&signed_list(6, |_| {})).expect("envelope");
    let payload = tampered["payload"].as_str().expect("payload").to_owned();
    let flipped = if payload.as_bytes()[100] == b'A' {
        "B"
    } else {
        "A"
    };
    tampered["payload"] = json!(format!("{}{flipped}{}", &payload[..100], &payload[101..]));
    let problem = expect_problem(
        install(&first, Cert::Operator, &tampered.to_string()).await,
        422,
        "invalid-request",
    )
    .await;
    assert_eq!(
        error_paths(&problem)[0].1,
        "trust-list-bad-signature",
        "{problem:#}"
    );
    assert_eq!(trust_list_sequence(&second).await, 1);

    // Sequence 5 through the first instance: used at once by the second.
    let five = signed_list(5, |_| {});
    expect_json(install(&first, Cert::Operator, &five).await, 201).await;
    assert_eq!(trust_list_sequence(&second).await, 5);
    let v = verdict(
        &second,
        Cert::Shanghai,
        json!({"certificate": bidder_pem("zhejiang", "valid")}),
    )
    .await;
    assert_eq!(v["trust_list_sequence"], 5, "{v:#}");
    // The same again: 200, nothing new. An older one through the second instance: 409.
    expect_json(install(&second, Cert::Operator, &five).await, 200).await;
    expect_problem(
        install(&second, Cert::Operator, &signed_list(4, |_| {})).await,
        409,
        "outdated",
    )
    .await;
    // Another document with the same sequence: 409 conflict.
    let other_five = signed_list(5, |l| l["issued_at"] = json!("2026-11-29T01:00:00Z"));
    expect_problem(
        install(&first, Cert::Operator, &other_five).await,
        409,
        "conflict",
    )
    .await;
    // The command line refuses the older list too (exit 1), and installs a newer one (exit 0).
    let dir = tempfile::tempdir().expect("tmp");
    let four = dir.path().join("four.json");
    std::fs::write(&four, signed_list(4, |_| {})).expect("write");
    let cli = |file: &Path| {
        let mut cmd = tests::command(env!("CARGO_BIN_EXE_gateway-e2e"));
        cmd.args(["trust-list", "install", "--data-dir"])
            .arg(first.data_dir())
            .arg("--database-url")
            .arg(first.database_url().to_string())
            .env(
                "GATEWAY_BRIDGE_TRUST_LIST_SIGNER",
                seeds().join("pki/bridge-operator.pem"),
            )
            .arg(file);
        tests::run(&mut cmd)
    };
    let out = cli(&four);
    assert_eq!(out.code(), Some(1), "{out:?}");
    assert!(out.stdout.contains("outdated"), "{out:?}");
    let seven = dir.path().join("seven.json");
    std::fs::write(&seven, signed_list(7, |_| {})).expect("write");
    let out = cli(&seven);
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert_eq!(trust_list_sequence(&first).await, 7);
    assert_eq!(trust_list_sequence(&second).await, 7);
    let out = cli(Path::new("/nonexistent/list.json"));
    assert_eq!(out.code(), Some(2), "{out:?}");
    // The audit log has the installations.
    let audit = get_json(&first, Cert::Operator, "/v1/admin/audit").await;
    let text = audit.to_string();
    assert!(
        text.contains("trust-list:5") && text.contains("trust-list:7"),
        "{audit:#}"
    );
}

async fn a_ca_suspended_in_a_newer_list_is_refused_after_the_suspension(backend: Backend) {
    let app = spawn_app(backend).await;
    let list = signed_list(2, |l| {
        let s = service(l, "jiangsu");
        s["status"] = json!("suspended");
        s["status_history"]
            .as_array_mut()
            .expect("history")
            .push(json!({"status": "suspended", "from": "2026-10-01T00:00:00Z"}));
    });
    expect_json(install(&app, Cert::Operator, &list).await, 201).await;
    let before = verdict(
        &app,
        Cert::Zhejiang,
        json!({"certificate": bidder_pem("jiangsu", "valid"), "at": "2026-09-30T00:00:00Z"}),
    )
    .await;
    assert_eq!(before["valid"], true, "{before:#}");
    let after = verdict(
        &app,
        Cert::Zhejiang,
        json!({"certificate": bidder_pem("jiangsu", "valid"), "at": "2026-10-02T00:00:00Z"}),
    )
    .await;
    assert_eq!(after["valid"], false);
    assert_eq!(after["reason"], "ca-suspended", "{after:#}");
    assert_eq!(after["trust_list_sequence"], 2);
    // The other provinces are not affected.
    let other = verdict(
        &app,
        Cert::Zhejiang,
        json!({"certificate": bidder_pem("shanghai", "valid")}),
    )
    .await;
    assert_eq!(other["valid"], true, "{other:#}");
}

/// A CRL of the Zhejiang issuing CA made with `openssl ca -gencrl`, revoking the certificates
/// in `revoked`, valid for `secs` seconds from now. Returns the PEM.
fn zhejiang_crl(revoked: &[&str], number: u32, secs: u64) -> String {
    let dir = tempfile::tempdir().expect("tmp");
    let ca = seeds().join("pki/bidders/zhejiang");
    let mut index = String::new();
    for name in revoked {
        let serial = tests::run(
            tests::command("openssl")
                .args(["x509", "-noout", "-serial", "-in"])
                .arg(ca.join(format!("{name}.pem"))),
        );
        let serial = serial
            .stdout
            .trim()
            .trim_start_matches("serial=")
            .to_owned();
        index.push_str(&format!(
            "R\t450101000000Z\t261101000000Z\t{serial}\tunknown\t/CN={name}\n"
        ));
    }
    std::fs::write(dir.path().join("index.txt"), index).expect("index");
    std::fs::write(dir.path().join("crlnumber"), format!("{number:02X}\n")).expect("crlnumber");
    std::fs::write(
        dir.path().join("ca.cnf"),
        "[ca]\ndefault_ca=c\n[c]\ndatabase=index.txt\ncrlnumber=crlnumber\ndefault_md=sha256\n",
    )
    .expect("cnf");
    let out = dir.path().join("crl.pem");
    let result = tests::run(
        tests::command("openssl")
            .current_dir(dir.path())
            .args([
                "ca",
                "-config",
                "ca.cnf",
                "-gencrl",
                "-crlsec",
                &secs.to_string(),
                "-keyfile",
            ])
            .arg(ca.join("issuing-ca.key"))
            .arg("-cert")
            .arg(ca.join("issuing-ca.pem"))
            .arg("-out")
            .arg(&out),
    );
    assert_eq!(result.code(), Some(0), "{result:?}");
    std::fs::read_to_string(out).expect("crl")
}

async fn push_crl(app: &TestApp, cert: Cert, pem: &str) -> reqwest::Response {
    app.client(cert)
        .post(app.api_url("/v1/crls"))
        .header("content-type", "application/x-pem-file")
        .body(pem.to_owned())
        .send()
        .await
        .expect("push")
}

async fn a_pushed_crl_revokes_at_once_on_every_instance(backend: Backend) {
    let first = spawn_app(backend).await;
    let url = first.database_url().clone();
    let second = TestApp::builder()
        .configure(move |s| s.database.url = Some(url))
        .build()
        .await;
    let valid = json!({"certificate": bidder_pem("zhejiang", "valid")});
    // Cached as valid on the second instance.
    assert_eq!(
        verdict(&second, Cert::Jiangsu, valid.clone()).await["valid"],
        true
    );
    assert_eq!(
        verdict(&second, Cert::Jiangsu, valid.clone()).await["valid"],
        true
    );

    let crl = zhejiang_crl(&["revoked", "valid"], 2, 86_400);
    let stored = expect_json(push_crl(&first, Cert::Jiangsu, &crl).await, 201).await;
    assert_eq!(stored["ca"], "zhejiang-demo-ecc-ca", "{stored:#}");
    assert_eq!(stored["source"], "push:jiangsu");
    // At once on the other instance, despite its cache.
    let v = verdict(&second, Cert::Jiangsu, valid.clone()).await;
    assert_eq!(
        (v["valid"].as_bool(), v["reason"].as_str()),
        (Some(false), Some("revoked")),
        "{v:#}"
    );
    // The same again: 200; the older demo CRL: 409; nothing changed.
    expect_json(push_crl(&second, Cert::Shanghai, &crl).await, 200).await;
    let old = std::fs::read_to_string(seeds().join("pki/bidders/zhejiang/crl.pem")).expect("crl");
    expect_problem(
        push_crl(&second, Cert::Shanghai, &old).await,
        409,
        "outdated",
    )
    .await;
    // Garbage, a CRL of a CA outside the list, the wrong media type: refused, nothing changes.
    let problem = expect_problem(
        push_crl(&first, Cert::Shanghai, "garbage").await,
        422,
        "invalid-request",
    )
    .await;
    assert_eq!(error_paths(&problem)[0].1, "malformed");
    let bad_type = first
        .client(Cert::Shanghai)
        .post(first.api_url("/v1/crls"))
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .expect("send");
    expect_problem(bad_type, 415, "unsupported-media-type").await;
    let crls = get_json(&first, Cert::Operator, "/v1/crls").await;
    let zj: Vec<&Value> = crls["crls"]
        .as_array()
        .expect("crls")
        .iter()
        .filter(|c| {
            c["ca"] == "zhejiang-demo-ecc-ca"
                && c["issuer"].as_str().is_some_and(|i| i.contains("Issuing"))
        })
        .collect();
    assert_eq!(zj.len(), 1, "{crls:#}");
    assert_eq!(zj[0]["source"], "push:jiangsu");
    assert_eq!(zj[0]["crl_number"], "02");
}

/// A tiny HTTP server for the CAs' endpoints: answers every request with what `respond` says.
struct CaEndpoint {
    addr: std::net::SocketAddr,
    mode: std::sync::Arc<std::sync::Mutex<(u16, Vec<u8>)>>,
    requests: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl CaEndpoint {
    async fn start(status: u16, body: Vec<u8>) -> CaEndpoint {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let mode = std::sync::Arc::new(std::sync::Mutex::new((status, body)));
        let requests = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (m, r) = (mode.clone(), requests.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut stream, _)) = listener.accept().await else {
                    return;
                };
                let (m, r) = (m.clone(), r.clone());
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 16384];
                    let mut read = 0;
                    // Read the head and any body announced by Content-Length.
                    loop {
                        let Ok(n) = stream.read(&mut buf[read..]).await else {
                            return;
                        };
                        if n == 0 {
                            return;
                        }
                        read += n;
                        let text = String::from_utf8_lossy(&buf[..read]).to_string();
                        if let Some(end) = text.find("\r\n\r\n") {
                            let length = text
                                .lines()
                                .find_map(|l| {
                                    l.to_ascii_lowercase()
                                        .strip_prefix("content-length:")
                                        .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                                })
                                .unwrap_or(0);
                            if read >= end + 4 + length {
                                break;
                            }
                        }
                    }
                    r.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    let (status, body) = m.lock().expect("mode").clone();
                    if status == 0 {
                        // Hang: a slow endpoint.
                        tokio::time::sleep(Duration::from_secs(30)).await;
                        return;
                    }
                    let head = format!(
                        "HTTP/1.1 {status} X\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                        body.len()
                    );
                    let _ = stream.write_all(head.as_bytes()).await;
                    let _ = stream.write_all(&body).await;
                });
            }
        });
        CaEndpoint {
            addr,
            mode,
            requests,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn serve(&self, status: u16, body: Vec<u8>) {
        *self.mode.lock().expect("mode") = (status, body);
    }

    fn requests(&self) -> usize {
        self.requests.load(std::sync::atomic::Ordering::SeqCst)
    }
}

async fn wait_for(what: &str, mut check: impl AsyncFnMut() -> bool) {
    for _ in 0..100 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("timed out waiting for {what}");
}

async fn zhejiang_issuing_crl(app: &TestApp) -> Value {
    let crls = get_json(app, Cert::Operator, "/v1/crls").await;
    crls["crls"]
        .as_array()
        .expect("crls")
        .iter()
        .find(|c| {
            c["ca"] == "zhejiang-demo-ecc-ca"
                && c["issuer"].as_str().is_some_and(|i| i.contains("Issuing"))
        })
        .cloned()
        .expect("zhejiang issuing CRL")
}

async fn fetched_crls_are_used_and_a_failing_endpoint_fails_closed_after_next_update(
    backend: Backend,
) {
    // A CRL that revokes `valid` and expires in 6 seconds, served by the CA's endpoint.
    let crl = zhejiang_crl(&["revoked", "valid"], 3, 6);
    let endpoint = CaEndpoint::start(200, openssl_crl_to_der(&crl)).await;
    let app = TestApp::builder()
        .backend(backend)
        .configure(|s| {
            // Pinned explicitly, so demo mode leaves fetching on.
            s.bridge.trust_list_signer = Some(PathBuf::from("pki/bridge-operator.pem"));
            s.bridge.fetch_crls = true;
            s.bridge.fetch_attempts = 2;
            s.bridge.fetch_retry_delay_ms = 50;
            s.bridge.fetch_timeout_secs = 1;
            s.bridge.crl_refresh_secs = 1;
            s.bridge.crl_refresh_margin_secs = 0;
        })
        .build()
        .await;
    let crl_url = endpoint.url("/zhejiang.crl");
    let list = signed_list(2, |l| {
        service(l, "zhejiang")["crl_urls"] = json!([crl_url]);
    });
    expect_json(install(&app, Cert::Operator, &list).await, 201).await;
    wait_for("the fetched CRL", async || {
        zhejiang_issuing_crl(&app).await["source"] == json!(endpoint.url("/zhejiang.crl"))
    })
    .await;
    let valid = json!({"certificate": bidder_pem("zhejiang", "valid")});
    let v = verdict(&app, Cert::Shanghai, valid.clone()).await;
    assert_eq!(v["reason"], "revoked", "{v:#}");

    // The endpoint now serves garbage, then errors, then hangs: the last good CRL stays in use.
    endpoint.serve(200, b"garbage".to_vec());
    let seen = endpoint.requests();
    wait_for("a refetch", async || endpoint.requests() > seen + 1).await;
    endpoint.serve(500, Vec::new());
    let seen = endpoint.requests();
    wait_for("a refetch", async || endpoint.requests() > seen).await;
    endpoint.serve(0, Vec::new());
    assert_eq!(
        zhejiang_issuing_crl(&app).await["source"],
        json!(endpoint.url("/zhejiang.crl"))
    );
    // After its nextUpdate, the stale CRL fails closed.
    wait_for("the CRL to expire", async || {
        zhejiang_issuing_crl(&app).await["current"] == false
    })
    .await;
    let v = verdict(&app, Cert::Shanghai, valid.clone()).await;
    assert_eq!(
        (v["valid"].as_bool(), v["reason"].as_str()),
        (Some(false), Some("crl-expired")),
        "{v:#}"
    );
    let v = verdict(
        &app,
        Cert::Shanghai,
        json!({"certificate": bidder_pem("zhejiang", "expired")}),
    )
    .await;
    assert_eq!(v["valid"], false);
    let scrape = app.scrape().await;
    let failures: f64 = ["invalid", "http-status", "timeout"]
        .iter()
        .map(|r| {
            scrape
                .get(
                    "gateway_crl_fetch_failures_total",
                    &[("ca", "zhejiang-demo-ecc-ca"), ("reason", r)],
                )
                .unwrap_or(0.0)
        })
        .sum();
    assert!(failures >= 2.0, "{}", scrape.text());
    assert!(
        scrape.value(
            "gateway_crl_fetches_total",
            &[("ca", "zhejiang-demo-ecc-ca"), ("outcome", "stored")]
        ) >= 1.0
    );
}

async fn ocsp_decides_when_no_current_crl_does(backend: Backend) {
    // The Zhejiang issuing CA answers OCSP: `valid` is good, made by `openssl ocsp`.
    let ca = seeds().join("pki/bidders/zhejiang");
    let dir = tempfile::tempdir().expect("tmp");
    let serial = tests::run(
        tests::command("openssl")
            .args(["x509", "-noout", "-serial", "-in"])
            .arg(ca.join("valid.pem")),
    )
    .stdout
    .trim()
    .trim_start_matches("serial=")
    .to_owned();
    std::fs::write(
        dir.path().join("index.txt"),
        format!("V\t450101000000Z\t\t{serial}\tunknown\t/CN=valid\n"),
    )
    .expect("index");
    let req = dir.path().join("req.der");
    let resp = dir.path().join("resp.der");
    let out = tests::run(
        tests::command("openssl")
            .args(["ocsp", "-no_nonce", "-issuer"])
            .arg(ca.join("issuing-ca.pem"))
            .arg("-cert")
            .arg(ca.join("valid.pem"))
            .arg("-reqout")
            .arg(&req),
    );
    assert_eq!(out.code(), Some(0), "{out:?}");
    let out = tests::run(
        tests::command("openssl")
            .args(["ocsp", "-ndays", "1", "-index"])
            .arg(dir.path().join("index.txt"))
            .arg("-rsigner")
            .arg(ca.join("issuing-ca.pem"))
            .arg("-rkey")
            .arg(ca.join("issuing-ca.key"))
            .arg("-CA")
            .arg(ca.join("issuing-ca.pem"))
            .arg("-reqin")
            .arg(&req)
            .arg("-respout")
            .arg(&resp),
    );
    assert_eq!(out.code(), Some(0), "{out:?}");
    let endpoint = CaEndpoint::start(200, std::fs::read(&resp).expect("response")).await;

    let app = spawn_app(backend).await;
    // Only a CRL that expires in 2 seconds covers the Zhejiang end entities.
    let crl = zhejiang_crl(&[], 4, 2);
    expect_json(push_crl(&app, Cert::Zhejiang, &crl).await, 201).await;
    let ocsp_url = endpoint.url("/ocsp");
    let list = signed_list(2, |l| {
        service(l, "zhejiang")["ocsp_urls"] = json!([ocsp_url]);
    });
    expect_json(install(&app, Cert::Operator, &list).await, 201).await;
    wait_for("the CRL to expire", async || {
        zhejiang_issuing_crl(&app).await["current"] == false
    })
    .await;
    let valid = json!({"certificate": bidder_pem("zhejiang", "valid")});
    let v = verdict(&app, Cert::Jiangsu, valid.clone()).await;
    assert_eq!(v["valid"], true, "OCSP decided: {v:#}");
    assert!(v["revocation"].to_string().contains("ocsp"), "{v:#}");
    assert_eq!(endpoint.requests(), 1);
    // Another certificate the responder does not know stays undecided: refused.
    let v = verdict(
        &app,
        Cert::Jiangsu,
        json!({"certificate": bidder_pem("zhejiang", "bad-credit-code")}),
    )
    .await;
    assert_eq!(v["valid"], false, "{v:#}");
    // The response is cached: the same certificate asks the responder no more.
    let again = verdict(
        &app,
        Cert::Shanghai,
        json!({"certificate": bidder_pem("zhejiang", "valid"), "purpose": "bid-signing"}),
    )
    .await;
    assert_eq!(again["valid"], true);
    assert!(endpoint.requests() <= 2, "{}", endpoint.requests());
}

fn base64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn openssl_pem_to_der(pem: &str) -> Vec<u8> {
    ca_bridge::decode_pem_or_der(pem.as_bytes()).expect("pem")[0]
        .1
        .clone()
}

fn openssl_crl_to_der(pem: &str) -> Vec<u8> {
    openssl_pem_to_der(pem)
}
