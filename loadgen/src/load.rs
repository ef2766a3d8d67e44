//! The HTTP side: a client that presents a platform certificate (mutual TLS), and a closed-loop
//! load of `C` concurrent in-flight requests that records every request's latency.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

/// How long one request may take before it counts as failed.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// An HTTPS client trusting only `PKI/server-ca.pem` and presenting `PKI/platforms/NAME.pem`.
///
/// HTTP/1.1 with keep-alive (the workspace's reqwest has no HTTP/2): one connection per
/// concurrent request, so TLS handshakes happen during warm-up only.
pub(crate) fn mtls_client(pki: &Path, platform: &str) -> Result<reqwest::Client> {
    let read = |path: &Path| {
        std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
    };
    let server_ca = reqwest::Certificate::from_pem(&read(&pki.join("server-ca.pem"))?)
        .context("server-ca.pem")?;
    let mut identity = read(&pki.join("platforms").join(format!("{platform}.pem")))?;
    identity.push(b'\n');
    identity.extend(read(
        &pki.join("platforms").join(format!("{platform}.key")),
    )?);
    let identity = reqwest::Identity::from_pem(&identity)
        .with_context(|| format!("{platform} certificate and key"))?;
    reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(server_ca)
        .identity(identity)
        .no_proxy()
        .timeout(REQUEST_TIMEOUT)
        .build()
        .context("HTTPS client")
}

/// What a load run saw.
#[derive(Debug, Default)]
pub(crate) struct LoadResult {
    /// Latency of every operation that succeeded (answered with the expected status).
    pub(crate) latencies: Vec<Duration>,
    /// Wall time from the first request sent to the last answer read.
    pub(crate) elapsed: Duration,
    /// One line per failed operation (unexpected status or outcome, transport or database error).
    pub(crate) failures: Vec<String>,
}

/// POSTs each body once to `url` with `concurrency` requests in flight, expecting `expect`.
pub(crate) async fn post_all(
    client: &reqwest::Client,
    url: &str,
    content_type: &'static str,
    bodies: Arc<Vec<Vec<u8>>>,
    concurrency: usize,
    expect: u16,
) -> Result<LoadResult> {
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(concurrency);
    for _ in 0..concurrency.max(1) {
        let (client, url, bodies, next) =
            (client.clone(), url.to_owned(), bodies.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut part = LoadResult::default();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(body) = bodies.get(i) else { break };
                let sent = Instant::now();
                let answer = client
                    .post(&url)
                    .header(reqwest::header::CONTENT_TYPE, content_type)
                    .body(body.clone())
                    .send()
                    .await;
                match answer {
                    Ok(response) => {
                        let status = response.status().as_u16();
                        // Read the whole answer: the latency includes it, and keep-alive needs it.
                        let text = response.text().await.unwrap_or_default();
                        if status == expect {
                            part.latencies.push(sent.elapsed());
                        } else {
                            let ms = sent.elapsed().as_millis();
                            part.failures
                                .push(format!("request {i}: {status} after {ms} ms: {text}"));
                        }
                    }
                    Err(e) => {
                        let ms = sent.elapsed().as_millis();
                        part.failures
                            .push(format!("request {i}: after {ms} ms: {e}"));
                    }
                }
            }
            part
        }));
    }
    let mut all = LoadResult::default();
    for task in tasks {
        let part = task.await.context("a load task panicked")?;
        all.latencies.extend(part.latencies);
        all.failures.extend(part.failures);
    }
    all.elapsed = started.elapsed();
    Ok(all)
}
