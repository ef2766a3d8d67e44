//! Reliability under failure: the real `gateway serve` process killed with SIGKILL and restarted
//! while announcements are being published loses nothing and duplicates nothing; two gateway
//! instances on one PostgreSQL database share one outbox without sending an event twice at once.
//!
//! Every wait is bounded by a deadline (polling); nothing asserts how long anything took.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use gateway::config::{DatabaseUrl, Settings};
use serde_json::{Value, json};
use tests::{
    Backend, Cert, DEADLINE, PostgresDatabase, ServeProcess, TestApp, expect_json,
    https_client_builder,
};

tests::on_both_backends!(
    crash_and_restart_lose_nothing,
    retrying_an_in_flight_delivery_never_sends_it_twice_at_once,
);

/// The gateway binary built for these tests (the same `main` as `gateway`'s).
const BIN: &str = env!("CARGO_BIN_EXE_gateway-e2e");

/// The webhook secret of the test subscriptions.
const SECRET: &str = "reliability-webhook-secret-0001";

/// How long the final checks may wait for deliveries: a delivery leased by a killed process
/// waits for its lease (at least 30 s) to run out before another worker takes it.
const DELIVERY_DEADLINE: Duration = Duration::from_secs(180);

// ---------------------------------------------------------------------------------------------
// Distinct new notices
// ---------------------------------------------------------------------------------------------

/// The prefix of the source notice ids this file publishes as `cert`.
fn id_prefix(cert: Cert) -> &'static str {
    match cert {
        Cert::Jiangsu => "JI-2026-R",
        Cert::Shanghai => "SH-2026-R",
        other => panic!("{} does not publish in these tests", other.name()),
    }
}

/// The `n`th distinct new procurement tender of `cert`'s platform, in its dialect: the sample
/// `07-procurement-tender` with its source notice id and project code (and so its section
/// codes) rewritten. Returns the source notice id and the document.
fn notice(cert: Cert, n: u32) -> (String, Vec<u8>) {
    let (file, old_id, old_code, new_code) = match cert {
        Cert::Jiangsu => (
            "jiangsu/ok/07-procurement-tender.json",
            "JI-2026-0107",
            "G3304212026000000007",
            format!("G3304212026{:09}", 500_000 + n),
        ),
        Cert::Shanghai => (
            "shanghai/ok/07-procurement-tender.xml",
            "SH-2026-0107",
            "G3205092026000000007",
            format!("G3205092026{:09}", 700_000 + n),
        ),
        other => panic!("{} does not publish in these tests", other.name()),
    };
    let path = tests::workspace_root()
        .join("seeds/announcements")
        .join(file);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    assert!(
        text.contains(old_id) && text.contains(old_code),
        "{} no longer holds {old_id} and {old_code}",
        path.display()
    );
    let new_id = format!("{}{n:05}", id_prefix(cert));
    let text = text.replace(old_id, &new_id).replace(old_code, &new_code);
    (new_id, text.into_bytes())
}

fn content_type(cert: Cert) -> &'static str {
    if cert == Cert::Shanghai {
        "application/xml"
    } else {
        "application/json"
    }
}

/// How a `POST /v1/announcements` ended.
#[derive(Debug, Clone)]
enum PostOutcome {
    /// Answered 2xx: the status and the announcement id.
    Stored(u16, String),
    /// Answered with another status (never expected here).
    Refused(u16, String),
    /// No answer (the server was killed, or was down).
    Failed(String),
}

/// An error with its causes, e.g. `error sending request: ...: connection refused`.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// POSTs a document to `https://ADDR`.
async fn post(client: &reqwest::Client, base: &str, cert: Cert, body: Vec<u8>) -> PostOutcome {
    let sent = client
        .post(format!("{base}/v1/announcements"))
        .header("content-type", content_type(cert))
        .body(body)
        .send()
        .await;
    let response = match sent {
        Ok(r) => r,
        Err(e) => return PostOutcome::Failed(error_chain(&e)),
    };
    let status = response.status().as_u16();
    match response.text().await {
        Err(e) => PostOutcome::Failed(format!("answered {status}, body lost: {e}")),
        Ok(text) if (200..300).contains(&status) => {
            let body: Value = serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("a {status} answer is not JSON ({e}): {text}"));
            let id = body["id"]
                .as_str()
                .unwrap_or_else(|| panic!("a {status} answer without an id: {body}"))
                .to_owned();
            PostOutcome::Stored(status, id)
        }
        Ok(text) => PostOutcome::Refused(status, text),
    }
}

/// One POST of the publisher.
#[derive(Debug, Clone)]
struct Posted {
    cert: Cert,
    n: u32,
    source_id: String,
    outcome: PostOutcome,
}

/// The address the publishers send to (`None` while the server is down).
type Target = Arc<Mutex<Option<String>>>;

/// Posts distinct new notices as `cert`, one after the other, to whatever `target` says, until
/// `stop`; records every outcome in `log`.
async fn publisher(
    cert: Cert,
    client: reqwest::Client,
    target: Target,
    stop: Arc<AtomicBool>,
    log: Arc<Mutex<Vec<Posted>>>,
) {
    let mut n = 0;
    while !stop.load(Ordering::SeqCst) {
        let base = target.lock().expect("lock").clone();
        let Some(base) = base else {
            tokio::time::sleep(Duration::from_millis(20)).await;
            continue;
        };
        n += 1;
        let (source_id, body) = notice(cert, n);
        let outcome = post(&client, &base, cert, body).await;
        let failed = matches!(outcome, PostOutcome::Failed(_));
        log.lock().expect("lock").push(Posted {
            cert,
            n,
            source_id,
            outcome,
        });
        if failed {
            // The server is down: do not spin while it restarts.
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

fn stored_count(log: &Mutex<Vec<Posted>>) -> usize {
    log.lock()
        .expect("lock")
        .iter()
        .filter(|p| matches!(p.outcome, PostOutcome::Stored(..)))
        .count()
}

// ---------------------------------------------------------------------------------------------
// A webhook receiver
// ---------------------------------------------------------------------------------------------

/// One request a receiver got.
#[derive(Debug, Clone)]
struct Received {
    /// The last path segment of the hook URL (which subscriber it was for).
    hook: String,
    /// `x-gateway-event-id`.
    event_id: String,
    /// The event (JSON body).
    event: Value,
}

/// What the receiver saw of one (hook, event id).
#[derive(Debug, Default, Clone)]
struct InFlight {
    now: u32,
    most: u32,
    total: u32,
}

/// A webhook receiver on a free loopback port, at `/hook/{name}`: answers 200 after `delay`,
/// recording each request and, per (hook, event id), how many requests were in flight at once.
struct Receiver {
    base: String,
    got: Arc<Mutex<Vec<Received>>>,
    flights: Arc<Mutex<HashMap<(String, String), InFlight>>>,
    handle: actix_web::dev::ServerHandle,
}

impl Receiver {
    async fn start(delay: Duration) -> Receiver {
        let got: Arc<Mutex<Vec<Received>>> = Arc::default();
        let flights: Arc<Mutex<HashMap<(String, String), InFlight>>> = Arc::default();
        let (g, f) = (got.clone(), flights.clone());
        let server = HttpServer::new(move || {
            let (g, f) = (g.clone(), f.clone());
            App::new().route(
                "/hook/{name}",
                web::post().to(
                    move |req: HttpRequest, name: web::Path<String>, body: web::Bytes| {
                        let (g, f) = (g.clone(), f.clone());
                        async move {
                            let hook = name.into_inner();
                            let event_id = req
                                .headers()
                                .get("x-gateway-event-id")
                                .and_then(|v| v.to_str().ok())
                                .unwrap_or_default()
                                .to_owned();
                            let key = (hook.clone(), event_id.clone());
                            {
                                let mut flights = f.lock().expect("lock");
                                let entry = flights.entry(key.clone()).or_default();
                                entry.now += 1;
                                entry.total += 1;
                                entry.most = entry.most.max(entry.now);
                            }
                            if !delay.is_zero() {
                                tokio::time::sleep(delay).await;
                            }
                            let event: Value = serde_json::from_slice(&body)
                                .unwrap_or_else(|e| json!({"unreadable": e.to_string()}));
                            g.lock().expect("lock").push(Received {
                                hook,
                                event_id,
                                event,
                            });
                            if let Some(entry) = f.lock().expect("lock").get_mut(&key) {
                                entry.now -= 1;
                            }
                            HttpResponse::Ok().finish()
                        }
                    },
                ),
            )
        })
        .workers(2)
        .bind(("127.0.0.1", 0))
        .expect("bind receiver");
        let addr = server.addrs()[0];
        let server = server.run();
        let handle = server.handle();
        tokio::spawn(server);
        Receiver {
            base: format!("http://{addr}/hook"),
            got,
            flights,
            handle,
        }
    }

    /// The URL of the hook `name`.
    fn url(&self, name: &str) -> String {
        format!("{}/{name}", self.base)
    }

    fn received(&self) -> Vec<Received> {
        self.got.lock().expect("lock").clone()
    }

    fn flights(&self) -> HashMap<(String, String), InFlight> {
        self.flights.lock().expect("lock").clone()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        drop(self.handle.stop(false));
    }
}

/// Every request must carry its event's id in the header, and one (hook, announcement, version)
/// must only ever come with one event id. Returns, per hook, event id -> (announcement, version).
fn check_received(got: &[Received]) -> BTreeMap<String, BTreeMap<String, (String, i64)>> {
    let mut by_hook: BTreeMap<String, BTreeMap<String, (String, i64)>> = BTreeMap::new();
    let mut ids: BTreeMap<(String, String, i64), BTreeSet<String>> = BTreeMap::new();
    for r in got {
        assert_eq!(
            r.event["event_id"].as_str(),
            Some(r.event_id.as_str()),
            "x-gateway-event-id and the body's event_id differ: {:?}",
            r
        );
        let announcement = r.event["announcement_id"]
            .as_str()
            .unwrap_or_else(|| panic!("an event without announcement_id: {}", r.event))
            .to_owned();
        let version = r.event["version"]
            .as_i64()
            .unwrap_or_else(|| panic!("an event without version: {}", r.event));
        ids.entry((r.hook.clone(), announcement.clone(), version))
            .or_default()
            .insert(r.event_id.clone());
        by_hook
            .entry(r.hook.clone())
            .or_default()
            .insert(r.event_id.clone(), (announcement, version));
    }
    for ((hook, announcement, version), set) in &ids {
        assert_eq!(
            set.len(),
            1,
            "hook {hook} got announcement {announcement} version {version} under several event ids: {set:?}"
        );
    }
    by_hook
}

// ---------------------------------------------------------------------------------------------
// Reading the gateway
// ---------------------------------------------------------------------------------------------

/// One feed event as read.
#[derive(Debug, Clone)]
struct FeedEvent {
    cursor: i64,
    event_id: String,
    announcement_id: String,
    version: i64,
    source: String,
}

/// The whole feed as `client`'s platform sees it, from the beginning, page by page.
async fn read_feed(client: &reqwest::Client, base: &str) -> Vec<FeedEvent> {
    let mut events = Vec::new();
    let mut after = "0".to_owned();
    for _ in 0..10_000 {
        let response = client
            .get(format!("{base}/v1/feed?after={after}&limit=100"))
            .send()
            .await
            .expect("read the feed");
        let page = expect_json(response, 200).await;
        let items = page["events"].as_array().cloned().unwrap_or_default();
        for e in &items {
            let text = |k: &str| {
                e[k].as_str()
                    .unwrap_or_else(|| panic!("feed event without {k}: {e}"))
                    .to_owned()
            };
            events.push(FeedEvent {
                cursor: text("cursor").parse().expect("a numeric cursor"),
                event_id: text("event_id"),
                announcement_id: text("announcement_id"),
                version: e["version"].as_i64().expect("version"),
                source: text("source"),
            });
        }
        let next = page["next_cursor"]
            .as_str()
            .expect("next_cursor")
            .to_owned();
        if items.is_empty() || page["has_more"] != json!(true) {
            return events;
        }
        assert_ne!(next, after, "the feed cursor did not move");
        after = next;
    }
    panic!("the feed did not end");
}

/// The feed must be in strictly increasing cursor order and hold each (announcement, version)
/// once, under distinct event ids.
fn check_feed_order(feed: &[FeedEvent]) {
    for pair in feed.windows(2) {
        assert!(
            pair[0].cursor < pair[1].cursor,
            "the feed is not in strictly increasing cursor order: {:?} then {:?}",
            pair[0],
            pair[1]
        );
    }
    let mut seen = BTreeMap::new();
    let mut event_ids = BTreeSet::new();
    for e in feed {
        if let Some(first) = seen.insert((e.announcement_id.clone(), e.version), e.cursor) {
            panic!(
                "announcement {} version {} is in the feed twice (cursors {first} and {})",
                e.announcement_id, e.version, e.cursor
            );
        }
        assert!(
            event_ids.insert(e.event_id.clone()),
            "event id {} twice in the feed",
            e.event_id
        );
    }
}

/// Every notice of `source` whose source notice id contains `q`: source notice id -> gateway ids.
async fn search_all(
    client: &reqwest::Client,
    base: &str,
    source: &str,
    q: &str,
) -> BTreeMap<String, Vec<String>> {
    let mut found: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut cursor: Option<String> = None;
    for _ in 0..10_000 {
        let mut url = format!("{base}/v1/announcements?source={source}&q={q}&limit=100");
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let response = client.get(url).send().await.expect("search");
        let page = expect_json(response, 200).await;
        for a in page["announcements"]
            .as_array()
            .cloned()
            .unwrap_or_default()
        {
            let source_id = a["source_notice_id"]
                .as_str()
                .expect("source_notice_id")
                .to_owned();
            found
                .entry(source_id)
                .or_default()
                .push(a["id"].as_str().expect("id").to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return found,
        }
    }
    panic!("the search did not end");
}

async fn subscribe(client: &reqwest::Client, base: &str, url: &str) {
    let response = client
        .put(format!("{base}/v1/subscriptions/self"))
        .json(&json!({"url": url, "secret": SECRET}))
        .send()
        .await
        .expect("subscribe");
    expect_json(response, 201).await;
}

/// Polls `check` every 100 ms until it gives a value or `deadline` passes (then panics with
/// what the last check reported).
async fn eventually<T, F, Fut>(what: &str, deadline: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, String>>,
{
    let started = Instant::now();
    loop {
        let last = match check().await {
            Ok(value) => return value,
            Err(why) => why,
        };
        if started.elapsed() > deadline {
            panic!("timed out ({deadline:?}) waiting for {what}: {last}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

// ---------------------------------------------------------------------------------------------
// 1. SIGKILL and restart while publishing
// ---------------------------------------------------------------------------------------------

/// `gateway serve --demo` on the data directory (and database) of the test, on free ports.
fn serve(config: &Path, data_dir: &Path, database: Option<&str>) -> ServeProcess {
    let mut cmd: Command = tests::serve_demo_command(BIN, data_dir);
    cmd.arg("--config").arg(config);
    if let Some(url) = database {
        cmd.arg("--database-url").arg(url);
    }
    ServeProcess::start(cmd, DEADLINE)
}

/// The API base URL (`https://ADDR`) of a server.
fn api_base(server: &ServeProcess) -> String {
    server.api_url("")
}

/// Two publishers (Jiangsu, Shanghai) post distinct new notices, one after the other, while the
/// real `gateway serve` process is killed with SIGKILL three times at different moments and
/// restarted on the same data directory (and database). Afterwards: every notice answered 2xx is
/// stored exactly once under the answered id; unanswered ones at most once (sending them again
/// answers 200 with the stored id, or stores them now); Zhejiang's feed holds each exactly once,
/// in strictly increasing cursor order and in each publisher's answer order; Zhejiang's webhook
/// got every event at least once, repeats only under the same event id.
async fn crash_and_restart_lose_nothing(backend: Backend) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let data_dir = tmp.path().join("data");
    let config = tmp.path().join("gateway.toml");
    // Quick delivery polling and retries; no rate limit on the publishers.
    std::fs::write(
        &config,
        "[server]\nworkers = 2\nshutdown_timeout_secs = 1\n\
         [database]\npool_size = 4\n\
         [rate_limit]\nrequests_per_second = 0\n\
         [delivery]\npoll_interval_ms = 50\nbackoff_initial_ms = 50\nbackoff_max_secs = 1\n",
    )
    .expect("write the configuration");
    let postgres = (backend == Backend::Postgres).then(PostgresDatabase::create);
    let database = postgres.as_ref().map(|db| db.url().to_owned());

    let mut server = serve(&config, &data_dir, database.as_deref());
    let pki = data_dir.join("pki");
    let client = |cert| {
        https_client_builder(&pki, Some(cert))
            .build()
            .expect("client")
    };
    let zhejiang = client(Cert::Zhejiang);
    let receiver = Receiver::start(Duration::ZERO).await;
    subscribe(&zhejiang, &api_base(&server), &receiver.url("zhejiang")).await;

    // Two publishers, each posting one notice after the other.
    let target: Target = Arc::new(Mutex::new(Some(api_base(&server))));
    let stop = Arc::new(AtomicBool::new(false));
    let log: Arc<Mutex<Vec<Posted>>> = Arc::default();
    let publishers: Vec<_> = [Cert::Jiangsu, Cert::Shanghai]
        .into_iter()
        .map(|cert| {
            tokio::spawn(publisher(
                cert,
                client(cert),
                target.clone(),
                stop.clone(),
                log.clone(),
            ))
        })
        .collect();

    // Kill the server at different moments: after a few more stored notices each time, once
    // with a short extra pause, once restarting after a pause.
    for (round, (more, pause_before_kill, pause_before_restart)) in
        [(6, 0, 0), (15, 35, 0), (2, 0, 300)]
            .into_iter()
            .enumerate()
    {
        let before = stored_count(&log);
        eventually(
            &format!("{more} more stored notices before kill {}", round + 1),
            DEADLINE,
            || {
                let n = stored_count(&log);
                async move {
                    if n >= before + more {
                        Ok(())
                    } else {
                        Err(format!("{n} stored so far"))
                    }
                }
            },
        )
        .await;
        tokio::time::sleep(Duration::from_millis(pause_before_kill)).await;
        server.kill();
        *target.lock().expect("lock") = None;
        tokio::time::sleep(Duration::from_millis(pause_before_restart)).await;
        server = serve(&config, &data_dir, database.as_deref());
        *target.lock().expect("lock") = Some(api_base(&server));
    }
    // Some more after the last restart, then stop publishing.
    let before = stored_count(&log);
    eventually("stored notices after the last restart", DEADLINE, || {
        let n = stored_count(&log);
        async move {
            if n >= before + 5 {
                Ok(())
            } else {
                Err(format!("{n} stored so far"))
            }
        }
    })
    .await;
    stop.store(true, Ordering::SeqCst);
    for p in publishers {
        p.await.expect("publisher task");
    }
    let base = api_base(&server);
    let posted = log.lock().expect("lock").clone();
    let refused: Vec<(&str, u16, &str)> = posted
        .iter()
        .filter_map(|p| match &p.outcome {
            PostOutcome::Refused(status, body) => {
                Some((p.source_id.as_str(), *status, body.as_str()))
            }
            _ => None,
        })
        .collect();
    assert!(
        refused.is_empty(),
        "POSTs answered with an error status: {refused:?}"
    );
    let failed: Vec<&Posted> = posted
        .iter()
        .filter(|p| matches!(p.outcome, PostOutcome::Failed(_)))
        .collect();
    let reasons: BTreeSet<&str> = failed
        .iter()
        .filter_map(|p| match &p.outcome {
            PostOutcome::Failed(why) => Some(why.as_str()),
            _ => None,
        })
        .collect();
    eprintln!(
        "{backend:?}: {} POSTs: {} answered 2xx, {} without an answer (kills and restarts): {reasons:?}",
        posted.len(),
        posted.len() - failed.len(),
        failed.len()
    );

    // Every notice is stored at most once, and every one answered 2xx is stored, under the id
    // the answer gave.
    let mut stored: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (cert, source) in [(Cert::Jiangsu, "jiangsu"), (Cert::Shanghai, "shanghai")] {
        stored.extend(search_all(&zhejiang, &base, source, id_prefix(cert)).await);
    }
    for (source_id, ids) in &stored {
        assert_eq!(
            ids.len(),
            1,
            "{source_id} is stored {} times: {ids:?}",
            ids.len()
        );
    }
    for p in &posted {
        if let PostOutcome::Stored(status, id) = &p.outcome {
            assert_eq!(*status, 201, "a new notice is answered 201: {p:?}");
            assert_eq!(
                stored.get(&p.source_id),
                Some(&vec![id.clone()]),
                "{} was answered {status} with id {id}, but the gateway holds {:?}",
                p.source_id,
                stored.get(&p.source_id)
            );
            let response = zhejiang
                .get(format!("{base}/v1/announcements/{id}"))
                .send()
                .await
                .expect("get announcement");
            assert_eq!(response.status().as_u16(), 200, "GET {id} ({p:?})");
        }
    }
    let unanswered_but_stored = failed
        .iter()
        .filter(|p| stored.contains_key(&p.source_id))
        .count();
    eprintln!(
        "{backend:?}: {unanswered_but_stored} of the {} unanswered POSTs were stored anyway (each once)",
        failed.len()
    );
    let posted_ids: BTreeSet<&str> = posted.iter().map(|p| p.source_id.as_str()).collect();
    for source_id in stored.keys() {
        assert!(
            posted_ids.contains(source_id.as_str()),
            "{source_id} is stored but was never posted"
        );
    }

    // A publisher that got no answer sends again: stored ones are answered 200 with the stored
    // id, the others are stored now (201); still once each.
    for p in &failed {
        let (source_id, body) = notice(p.cert, p.n);
        let outcome = post(&client(p.cert), &base, p.cert, body).await;
        match (&outcome, stored.get(&source_id)) {
            (PostOutcome::Stored(200, id), Some(ids)) => assert_eq!(ids, &vec![id.clone()]),
            (PostOutcome::Stored(201, id), None) => {
                stored.insert(source_id, vec![id.clone()]);
            }
            (outcome, held) => {
                panic!("re-sending {source_id} (held: {held:?}) was answered {outcome:?}")
            }
        }
    }
    for (cert, source) in [(Cert::Jiangsu, "jiangsu"), (Cert::Shanghai, "shanghai")] {
        for (source_id, ids) in search_all(&zhejiang, &base, source, id_prefix(cert)).await {
            assert_eq!(
                stored.get(&source_id),
                Some(&ids),
                "{source_id} after re-sending the unanswered POSTs"
            );
        }
    }
    let ours: BTreeMap<&str, &str> = stored
        .iter()
        .map(|(source_id, ids)| (ids[0].as_str(), source_id.as_str()))
        .collect();

    // The feed, read as Zhejiang from the beginning: strictly increasing cursors, each of our
    // notices exactly once, and each publisher's notices in the order they were answered.
    let feed = read_feed(&zhejiang, &base).await;
    check_feed_order(&feed);
    let in_feed: BTreeMap<&str, &FeedEvent> = feed
        .iter()
        .filter(|e| ours.contains_key(e.announcement_id.as_str()))
        .map(|e| (e.announcement_id.as_str(), e))
        .collect();
    for (id, source_id) in &ours {
        let event = in_feed
            .get(id)
            .unwrap_or_else(|| panic!("{source_id} (announcement {id}) is not in the feed"));
        assert_eq!(event.version, 1, "{event:?}");
        assert_ne!(event.source, "zhejiang", "{event:?}");
    }
    for cert in [Cert::Jiangsu, Cert::Shanghai] {
        let cursors: Vec<(u32, i64)> = posted
            .iter()
            .filter(|p| p.cert == cert)
            .filter_map(|p| match &p.outcome {
                PostOutcome::Stored(_, id) => Some((p.n, in_feed[id.as_str()].cursor)),
                _ => None,
            })
            .collect();
        for pair in cursors.windows(2) {
            assert!(
                pair[0].1 < pair[1].1,
                "{}: notice {} was answered before notice {} but comes later in the feed: {pair:?}",
                cert.name(),
                pair[0].0,
                pair[1].0
            );
        }
    }

    // Every event reached the receiver at least once, duplicates only under the same event id.
    let expected: BTreeMap<String, (String, i64)> = in_feed
        .values()
        .map(|e| (e.event_id.clone(), (e.announcement_id.clone(), e.version)))
        .collect();
    let got = eventually("every event at the receiver", DELIVERY_DEADLINE, || {
        let got = receiver.received();
        let expected = &expected;
        async move {
            let by_hook = check_received(&got);
            let empty = BTreeMap::new();
            let at_zhejiang = by_hook.get("zhejiang").unwrap_or(&empty);
            let missing = expected
                .keys()
                .filter(|id| !at_zhejiang.contains_key(*id))
                .count();
            if missing == 0 {
                Ok(got)
            } else {
                Err(format!(
                    "{missing} of {} events not received yet",
                    expected.len()
                ))
            }
        }
    })
    .await;
    let by_hook = check_received(&got);
    for (event_id, (announcement, version)) in &by_hook["zhejiang"] {
        let feed_event = feed
            .iter()
            .find(|e| &e.event_id == event_id)
            .unwrap_or_else(|| panic!("received event {event_id} is not in the feed"));
        assert_eq!(
            (&feed_event.announcement_id, feed_event.version),
            (announcement, *version),
            "event {event_id}"
        );
    }
    let duplicates = got.len() - by_hook["zhejiang"].len();
    eprintln!(
        "{backend:?}: receiver: {} requests for {} events ({duplicates} repeated under the same event id)",
        got.len(),
        by_hook["zhejiang"].len()
    );
    server.kill();
}

// ---------------------------------------------------------------------------------------------
// 2. Two instances, one outbox
// ---------------------------------------------------------------------------------------------

/// Quick delivery: several workers per instance polling often; no rate limit.
fn busy_delivery(s: &mut Settings) {
    s.delivery.workers = 3;
    s.delivery.poll_interval_ms = 10;
    s.delivery.backoff_initial_ms = 20;
    s.delivery.backoff_max_secs = 1;
    s.rate_limit.requests_per_second = 0;
}

/// Two in-process gateways with three delivery workers each on one PostgreSQL database; two
/// subscribers (Zhejiang, Shanghai) on one receiver that holds every request for 50 ms; 30 notices
/// published as Jiangsu through alternating instances. Every event reaches both subscribers, no
/// (subscriber, event) is ever in flight twice at once, and both instances list every delivery as
/// `delivered`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_share_one_outbox() {
    if tests::postgres_lane_skipped("two_instances_share_one_outbox") {
        return;
    }
    const N: u32 = 30;
    // Two instances, each with its own delivery workers, on one PostgreSQL database (the first
    // creates it; it is dropped with the first).
    let first = TestApp::builder()
        .backend(Backend::Postgres)
        .configure(busy_delivery)
        .build()
        .await;
    let url = first.database_url().clone();
    assert!(matches!(url, DatabaseUrl::Postgres(_)), "{url}");
    let second = TestApp::builder()
        .configure(move |s| {
            busy_delivery(s);
            s.database.url = Some(url);
        })
        .build()
        .await;
    let instances = [&first, &second];

    // Two subscribers on one receiver that holds each request for 50 ms.
    let receiver = Receiver::start(Duration::from_millis(50)).await;
    subscribe(
        &first.client(Cert::Zhejiang),
        &first.api_url(""),
        &receiver.url("zhejiang"),
    )
    .await;
    subscribe(
        &second.client(Cert::Shanghai),
        &second.api_url(""),
        &receiver.url("shanghai"),
    )
    .await;

    // N new notices published as Jiangsu through alternating instances.
    let mut ids = BTreeSet::new();
    for n in 1..=N {
        let app = instances[(n % 2) as usize];
        let (source_id, body) = notice(Cert::Jiangsu, n);
        match post(
            &app.client(Cert::Jiangsu),
            &app.api_url(""),
            Cert::Jiangsu,
            body,
        )
        .await
        {
            PostOutcome::Stored(201, id) => assert!(ids.insert(id)),
            other => panic!("publishing {source_id}: {other:?}"),
        }
    }

    // The events, from the feed (either instance: one database).
    let mut expected: BTreeMap<String, String> = BTreeMap::new();
    for e in read_feed(&second.client(Cert::Zhejiang), &second.api_url("")).await {
        if ids.contains(&e.announcement_id) {
            expected.insert(e.event_id, e.announcement_id);
        }
    }
    assert_eq!(expected.len(), N as usize, "one feed event per notice");

    // Wait until both subscribers' deliveries are all delivered, as listed by both instances.
    for (hook, cert) in [("zhejiang", Cert::Zhejiang), ("shanghai", Cert::Shanghai)] {
        for app in instances {
            let client = app.client(cert);
            let url = app.api_url("/v1/deliveries?limit=500");
            eventually(
                &format!("every delivery to {hook} delivered"),
                DELIVERY_DEADLINE,
                || {
                    let (client, url) = (client.clone(), url.clone());
                    async move {
                        let response = client.get(url).send().await.map_err(|e| e.to_string())?;
                        let listed = expect_json(response, 200).await;
                        let list = listed["deliveries"].as_array().cloned().unwrap_or_default();
                        let delivered = list.iter().filter(|d| d["status"] == "delivered").count();
                        let other: Vec<&Value> =
                            list.iter().filter(|d| d["status"] != "delivered").collect();
                        if list.len() == N as usize && other.is_empty() {
                            Ok(())
                        } else {
                            Err(format!(
                                "{} deliveries listed, {delivered} delivered; not delivered: {other:?}",
                                list.len()
                            ))
                        }
                    }
                },
            )
            .await;
        }
        // Every event reached this subscriber's hook, under its event id.
        let got = receiver.received();
        let by_hook = check_received(&got);
        let at_hook = by_hook
            .get(hook)
            .unwrap_or_else(|| panic!("nothing reached {hook}"));
        for (event_id, announcement) in &expected {
            assert_eq!(
                at_hook.get(event_id).map(|(a, _)| a),
                Some(announcement),
                "event {event_id} (announcement {announcement}) did not reach {hook}"
            );
        }
        assert_eq!(
            at_hook.len(),
            expected.len(),
            "{hook} got events that were not published here: {at_hook:?}"
        );
    }

    // No event was ever in flight twice at the same time to the same subscriber.
    let flights = receiver.flights();
    let overlapping: Vec<_> = flights.iter().filter(|(_, f)| f.most > 1).collect();
    assert!(
        overlapping.is_empty(),
        "events delivered concurrently: {overlapping:?}"
    );
    let repeated = flights.values().filter(|f| f.total > 1).count();
    eprintln!(
        "receiver: {} (subscriber, event) pairs, {repeated} received more than once (sequentially)",
        flights.len()
    );

    // Each request the receiver got is one successful attempt of one of the two instances.
    let mut attempts = Vec::new();
    for app in instances {
        let scrape = app.scrape().await;
        attempts.push(
            ["zhejiang", "shanghai"]
                .iter()
                .map(|p| {
                    scrape.value(
                        "gateway_delivery_attempts_total",
                        &[("platform", p), ("outcome", "delivered")],
                    )
                })
                .sum::<f64>(),
        );
    }
    let requests: u32 = flights.values().map(|f| f.total).sum();
    eprintln!("delivered attempts per instance: {attempts:?}; requests received: {requests}");
    assert_eq!(
        attempts.iter().sum::<f64>(),
        f64::from(requests),
        "delivered attempts of both instances vs requests received"
    );
}

/// `POST /v1/deliveries/{id}/retry` on a delivery that a worker is sending right now keeps the
/// worker's lease: no other worker sends the same event while the first request is in flight.
async fn retrying_an_in_flight_delivery_never_sends_it_twice_at_once(backend: Backend) {
    let app = TestApp::builder()
        .backend(backend)
        .configure(|s: &mut Settings| {
            s.delivery.workers = 2;
            s.delivery.poll_interval_ms = 20;
        })
        .build()
        .await;
    let receiver = Receiver::start(Duration::from_secs(2)).await;
    let zhejiang = app.client(Cert::Zhejiang);
    subscribe(&zhejiang, &app.api_url(""), &receiver.url("zhejiang")).await;
    let (_, body) = notice(Cert::Jiangsu, 1);
    let posted = post(
        &app.client(Cert::Jiangsu),
        &app.api_url(""),
        Cert::Jiangsu,
        body,
    )
    .await;
    assert!(matches!(posted, PostOutcome::Stored(201, _)), "{posted:?}");
    // Wait until the first attempt is in flight at the receiver.
    let started = Instant::now();
    while !receiver.flights().values().any(|f| f.now == 1) {
        assert!(started.elapsed() < DEADLINE, "no delivery attempt");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let listed = expect_json(
        zhejiang
            .get(app.api_url("/v1/deliveries?status=pending"))
            .send()
            .await
            .expect("list"),
        200,
    )
    .await;
    let id = listed["deliveries"][0]["id"]
        .as_str()
        .expect("a pending delivery")
        .to_owned();
    let response = zhejiang
        .post(app.api_url(&format!("/v1/deliveries/{id}/retry")))
        .send()
        .await
        .expect("retry");
    assert_eq!(response.status().as_u16(), 202);
    // Let the first attempt finish (2 s) and a second one start if it will.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let flights = receiver.flights();
    assert!(
        flights.values().all(|f| f.most == 1),
        "one event in flight twice at the same time after a retry of the in-flight delivery: {flights:?}"
    );
}
