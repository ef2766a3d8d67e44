//! Graceful shutdown of the real `gateway serve` process: SIGTERM during load turns readiness
//! false first, requests keep being answered while the gateway drains, and no request fails
//! except those sent after readiness turned false; the process then exits 0.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tests::{Cert, ServeProcess};

const BIN: &str = env!("CARGO_BIN_EXE_gateway-e2e");

/// One request of the load: when it was sent and whether it was answered 200.
#[derive(Debug, Clone, Copy)]
struct Sent {
    at: Instant,
    ok: bool,
    status: Option<u16>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_during_load_drains_without_failing_accepted_requests() {
    let dir = tempfile::tempdir().expect("tmp");
    let data_dir = dir.path().join("data");
    let mut cmd = tests::serve_demo_command(BIN, &data_dir);
    cmd.env("GATEWAY_DRAIN_SECS", "1")
        .env("GATEWAY_RATE_LIMIT_RPS", "0")
        .env("GATEWAY_LOG_FORMAT", "json");
    let mut server = ServeProcess::start(cmd, Duration::from_secs(60));
    let client = tests::https_client_builder(&data_dir.join("pki"), Some(Cert::Jiangsu))
        .build()
        .expect("client");
    let feed = server.api_url("/v1/feed?limit=5");
    let ready_url = server.metrics_url("/readyz");

    // Load: four clients in a loop until the server is gone.
    let sent: Arc<Mutex<Vec<Sent>>> = Arc::default();
    let mut load = Vec::new();
    for _ in 0..4 {
        let (client, feed, sent) = (client.clone(), feed.clone(), sent.clone());
        load.push(tokio::spawn(async move {
            let mut failures_in_a_row = 0;
            let started = Instant::now();
            while failures_in_a_row < 5 && started.elapsed() < Duration::from_secs(30) {
                let at = Instant::now();
                let result = client.get(&feed).send().await;
                let status = result.as_ref().ok().map(|r| r.status().as_u16());
                let ok = status == Some(200);
                failures_in_a_row = if ok { 0 } else { failures_in_a_row + 1 };
                sent.lock().expect("lock").push(Sent { at, ok, status });
                if !ok {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
        }));
    }
    // Readiness, watched from the side.
    let unready_since: Arc<Mutex<Option<Instant>>> = Arc::default();
    let watcher = {
        let unready_since = unready_since.clone();
        let plain = tests::plain_client();
        tokio::spawn(async move {
            loop {
                let answer = plain.get(&ready_url).send().await;
                let ready = answer.as_ref().is_ok_and(|r| r.status() == 200);
                if !ready {
                    if let Ok(r) = answer {
                        let body = r.text().await.unwrap_or_default();
                        assert!(body.contains("draining"), "{body}");
                    }
                    unready_since
                        .lock()
                        .expect("lock")
                        .get_or_insert(Instant::now());
                    return;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
    };
    tokio::time::sleep(Duration::from_millis(800)).await;
    let before = sent.lock().expect("lock").len();
    assert!(before > 0, "the load is running");
    let signalled = Instant::now();
    server.terminate();
    let status = tokio::task::spawn_blocking(move || {
        let status = server.wait_exit(Duration::from_secs(30));
        (status, server)
    })
    .await
    .expect("wait");
    let (status, server) = status;
    let status = status.expect("the gateway exits after SIGTERM");
    assert!(status.success(), "exit {status:?}: {}", server.stderr());
    for task in load {
        task.await.expect("load task");
    }
    watcher.await.expect("watcher");

    let unready = unready_since
        .lock()
        .expect("lock")
        .expect("readiness turned false before the process exited");
    assert!(unready >= signalled);
    let sent = sent.lock().expect("lock").clone();
    let failed_before: Vec<&Sent> = sent.iter().filter(|s| !s.ok && s.at < unready).collect();
    assert!(
        failed_before.is_empty(),
        "requests failed before readiness turned false: {failed_before:?}"
    );
    assert!(
        sent.iter().all(|s| s.ok || s.status.is_none()),
        "every answer is a 200; refusals are connection errors only: {:?}",
        sent.iter()
            .filter(|s| !s.ok && s.status.is_some())
            .collect::<Vec<_>>()
    );
    let drained = sent.iter().filter(|s| s.ok && s.at > unready).count();
    assert!(drained > 0, "requests were answered while draining");
    // The workers stopped cleanly: the log says so, as JSON lines.
    let log = server.stderr();
    assert!(log.contains("shutting down: readiness is false"), "{log}");
    assert!(
        log.lines()
            .any(|l| l.starts_with('{') && l.contains("\"stopped\"")),
        "{log}"
    );
    assert!(!log.contains("did not stop in time"), "{log}");
}
