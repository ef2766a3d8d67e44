//! The announcement exchange end to end: publishing every sample of each province as its own
//! platform, versions, idempotency, ownership, refusals that change nothing, reading in every
//! format, search, the pull feed (also under concurrent writes) and the metrics.
//!
//! Demo mode seeds `01` and `05` of each province on first run, so every test compares against
//! what is stored before it acts, or expects those six.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::Value;
use tests::{
    Backend, Cert, DEADLINE, Scrape, TestApp, announcement_samples, content_type, error_paths,
    expect_json, expect_problem, series, sha256_hex,
};

tests::on_both_backends!(
    every_ok_sample_publishes_and_versions_land_on_the_original,
    republishing_and_idempotency_keys_store_nothing_new,
    conflicts_terminated_notices_and_unknown_originals_are_refused,
    ownership_role_and_media_type_refusals_change_nothing,
    invalid_documents_are_422_with_every_finding_and_change_nothing,
    warnings_come_back_with_the_stored_notice,
    oversize_body_is_413_and_changes_nothing,
    every_version_reads_in_every_format,
    originals_come_back_byte_for_byte,
    reading_refusals,
    search_filters_and_cursor_paging,
    search_refuses_bad_parameters,
    feed_gives_each_platform_the_other_provinces_in_commit_order,
    feed_refuses_bad_parameters_and_changes_nothing,
    feed_while_publishing_skips_and_repeats_nothing,
    metrics_count_publications_and_translations,
    feed_under_concurrent_publishing_skips_and_repeats_nothing,
    a_conflict_replayed_with_its_key_is_409_again,
    q_matches_codes_regardless_of_case_on_both_backends,
);

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// The five output formats.
const FORMATS: [&str; 5] = ["shanghai", "jiangsu", "zhejiang", "canonical", "ocds"];

/// A running gateway with one client (and connection pool) per demo identity.
struct Gw {
    app: TestApp,
    shanghai: reqwest::Client,
    jiangsu: reqwest::Client,
    zhejiang: reqwest::Client,
    operator: reqwest::Client,
}

/// Starts the gateway with a rate limit no test reaches (the tests send many requests quickly).
async fn start(backend: Backend) -> Gw {
    let app = TestApp::builder()
        .backend(backend)
        .rate_limit(100_000, 100_000)
        .build()
        .await;
    Gw::new(app)
}

impl Gw {
    fn new(app: TestApp) -> Gw {
        Gw {
            shanghai: app.client(Cert::Shanghai),
            jiangsu: app.client(Cert::Jiangsu),
            zhejiang: app.client(Cert::Zhejiang),
            operator: app.client(Cert::Operator),
            app,
        }
    }

    fn client(&self, cert: Cert) -> &reqwest::Client {
        match cert {
            Cert::Shanghai => &self.shanghai,
            Cert::Jiangsu => &self.jiangsu,
            Cert::Zhejiang => &self.zhejiang,
            Cert::Operator => &self.operator,
            other => panic!("no client for {other:?}"),
        }
    }

    fn url(&self, path: &str) -> String {
        self.app.api_url(path)
    }

    /// `GET path` as `cert`.
    async fn get(&self, cert: Cert, path: &str) -> reqwest::Response {
        self.client(cert)
            .get(self.url(path))
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {path}: {e}"))
    }

    /// `POST /v1/announcements` as a platform, in its own media type.
    async fn post(&self, cert: Cert, body: &[u8], key: Option<&str>) -> reqwest::Response {
        self.post_as(cert, media_type(cert), body, key).await
    }

    /// `POST /v1/announcements` as `cert` with a chosen media type.
    async fn post_as(
        &self,
        cert: Cert,
        media_type: &str,
        body: &[u8],
        key: Option<&str>,
    ) -> reqwest::Response {
        let mut request = self
            .client(cert)
            .post(self.url("/v1/announcements"))
            .header("content-type", media_type)
            .body(body.to_vec());
        if let Some(key) = key {
            request = request.header("idempotency-key", key);
        }
        request.send().await.expect("POST /v1/announcements")
    }

    /// Publishes and checks the success answer: 201 for something new, 200 for what is stored.
    async fn publish(&self, cert: Cert, body: &[u8], key: Option<&str>) -> Publication {
        check_publication(self.post(cert, body, key).await).await
    }

    /// Publishes every `ok/` sample of `cert`'s province in file order.
    async fn publish_all(&self, cert: Cert) -> Vec<(String, Publication)> {
        let mut out = Vec::new();
        for (name, bytes) in announcement_samples(dialect(cert), "ok") {
            let publication = self.publish(cert, &bytes, None).await;
            out.push((name, publication));
        }
        out
    }

    /// Every feed event as the operator sees it, paging with `limit=100`.
    async fn operator_feed(&self) -> (Vec<Value>, String) {
        read_feed(self, Cert::Operator, 100, None).await
    }

    /// Every notice the search lists (newest first), paging with `limit=100`.
    async fn all_notices(&self) -> Vec<Value> {
        search_all(self, "", 100).await
    }

    /// What the store holds, as far as the API shows it.
    async fn stored(&self) -> Stored {
        let (events, next_cursor) = self.operator_feed().await;
        let events = events
            .iter()
            .map(|e| {
                (
                    str_of(&e["cursor"]),
                    str_of(&e["event_id"]),
                    str_of(&e["announcement_id"]),
                    e["version"].as_i64().expect("version"),
                )
            })
            .collect();
        let notices = self
            .all_notices()
            .await
            .iter()
            .map(|n| {
                (
                    str_of(&n["id"]),
                    n["current_version"].as_i64().expect("current_version"),
                    str_of(&n["status"]),
                    str_of(&n["title"]),
                )
            })
            .collect();
        let audit = expect_json(
            self.get(Cert::Operator, "/v1/admin/audit?limit=500").await,
            200,
        )
        .await["records"]
            .as_array()
            .expect("records")
            .len();
        let mut feeds = BTreeMap::new();
        for cert in Cert::PLATFORMS {
            let (_, next) = read_feed(self, cert, 100, None).await;
            feeds.insert(cert.name(), next);
        }
        Stored {
            events,
            next_cursor,
            feeds,
            notices,
            audit,
        }
    }
}

/// A snapshot of everything publishing can change, to show that a refusal changed nothing.
#[derive(Debug, PartialEq)]
struct Stored {
    /// Operator feed: (cursor, event id, announcement id, version).
    events: Vec<(String, String, String, i64)>,
    /// The operator feed's `next_cursor` at its end.
    next_cursor: String,
    /// Each platform's feed `next_cursor` at its end.
    feeds: BTreeMap<&'static str, String>,
    /// Every notice: (id, current version, status, title).
    notices: Vec<(String, i64, String, String)>,
    /// Number of audit records (at most 500).
    audit: usize,
}

/// A successful `POST /v1/announcements`.
#[derive(Debug, Clone, PartialEq)]
struct Publication {
    status: u16,
    id: String,
    version: i64,
    warnings: Vec<Value>,
}

/// Checks a 200/201 answer of `POST /v1/announcements`: id, version, `created`, links and the
/// `Location` header of a 201.
async fn check_publication(response: reqwest::Response) -> Publication {
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get("location")
        .map(|v| v.to_str().expect("location").to_owned());
    assert!(
        status == 200 || status == 201,
        "publish answered {status}: {}",
        response.text().await.unwrap_or_default()
    );
    let body = expect_json(response, status).await;
    let id = str_of(&body["id"]);
    assert!(!id.is_empty(), "{body}");
    let version = body["version"].as_i64().expect("version");
    assert!(version >= 1, "{body}");
    assert_eq!(body["created"], status == 201, "{body}");
    assert_eq!(
        body["links"],
        serde_json::json!({
            "self": format!("/v1/announcements/{id}"),
            "version": format!("/v1/announcements/{id}/versions/{version}"),
            "versions": format!("/v1/announcements/{id}/versions"),
            "original": format!("/v1/announcements/{id}/original"),
        }),
        "{body}"
    );
    if status == 201 {
        assert_eq!(
            location.as_deref(),
            Some(format!("/v1/announcements/{id}").as_str())
        );
    } else {
        assert_eq!(location, None, "a 200 has no Location");
    }
    Publication {
        status,
        id,
        version,
        warnings: body["warnings"].as_array().cloned().unwrap_or_default(),
    }
}

fn str_of(v: &Value) -> String {
    v.as_str()
        .unwrap_or_else(|| panic!("not a string: {v}"))
        .to_owned()
}

/// The dialect (and sample folder) of a platform.
fn dialect(cert: Cert) -> &'static str {
    match cert {
        Cert::Shanghai => "shanghai",
        Cert::Jiangsu => "jiangsu",
        Cert::Zhejiang => "zhejiang",
        other => panic!("{other:?} has no dialect"),
    }
}

/// The media type a platform publishes in.
fn media_type(cert: Cert) -> &'static str {
    match cert {
        Cert::Shanghai => "application/xml",
        _ => "application/json",
    }
}

/// The media type of a rendered format.
fn format_media_type(format: &str) -> &'static str {
    if format == "shanghai" {
        "application/xml"
    } else {
        "application/json"
    }
}

/// One `ok/` sample of a platform by its number (`"07"`).
fn sample(cert: Cert, number: &str) -> Vec<u8> {
    announcement_samples(dialect(cert), "ok")
        .into_iter()
        .find(|(name, _)| name.starts_with(&format!("{number}-")))
        .unwrap_or_else(|| panic!("no sample {number} of {}", dialect(cert)))
        .1
}

/// Replaces the single occurrence of `from` in `bytes` by `to`.
fn replace_once(bytes: &[u8], from: &str, to: &str) -> Vec<u8> {
    let from = from.as_bytes();
    let positions: Vec<usize> = bytes
        .windows(from.len())
        .enumerate()
        .filter(|(_, w)| *w == from)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(
        positions.len(),
        1,
        "`{}` occurs {} times",
        String::from_utf8_lossy(from),
        positions.len()
    );
    let at = positions[0];
    let mut out = bytes[..at].to_vec();
    out.extend_from_slice(to.as_bytes());
    out.extend_from_slice(&bytes[at + from.len()..]);
    out
}

/// The document's own source id field, as written in the sample.
fn id_field(cert: Cert, id: &str) -> String {
    match cert {
        Cert::Shanghai => format!("<bulletinId>{id}</bulletinId>"),
        Cert::Jiangsu => format!("\"infoid\": \"{id}\""),
        Cert::Zhejiang => format!("\"NOTICE_ID\": \"{id}\""),
        other => panic!("{other:?}"),
    }
}

/// Gives a sample another document id.
fn with_document_id(cert: Cert, bytes: &[u8], old: &str, new: &str) -> Vec<u8> {
    replace_once(bytes, &id_field(cert, old), &id_field(cert, new))
}

/// The source-platform field of a platform's documents, naming `platform`.
fn source_field(cert: Cert, platform: &str) -> String {
    match cert {
        Cert::Shanghai => format!("<platform>{platform}</platform>"),
        Cert::Jiangsu => format!("\"zhuanzai\": \"{platform}\""),
        Cert::Zhejiang => format!("\"DATA_SOURCE\": \"{platform}\""),
        other => panic!("{other:?}"),
    }
}

/// Changes a sample's title (ASCII, so it stays valid in GB18030 too).
fn with_other_title(cert: Cert, bytes: &[u8]) -> Vec<u8> {
    let field = match cert {
        Cert::Shanghai => "<title>",
        Cert::Jiangsu => "\"title\": \"",
        Cert::Zhejiang => "\"NOTICE_NAME\": \"",
        other => panic!("{other:?}"),
    };
    replace_once(bytes, field, &format!("{field}REVISED "))
}

/// The sample's document id prefix of a platform (`JI-2026-`).
fn id_prefix(cert: Cert) -> &'static str {
    match cert {
        Cert::Shanghai => "SH-2026-",
        Cert::Jiangsu => "JI-2026-",
        Cert::Zhejiang => "ZH-2026-",
        other => panic!("{other:?}"),
    }
}

/// Reads a platform's (or the operator's) feed from `after` to its end with pages of `limit`,
/// checking each page; returns the events and the last `next_cursor`.
async fn read_feed(
    gw: &Gw,
    cert: Cert,
    limit: usize,
    format: Option<&str>,
) -> (Vec<Value>, String) {
    let mut events: Vec<Value> = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let mut path = format!("/v1/feed?limit={limit}");
        if let Some(after) = &after {
            path.push_str(&format!("&after={after}"));
        }
        if let Some(format) = format {
            path.push_str(&format!("&format={format}"));
        }
        let page = expect_json(gw.get(cert, &path).await, 200).await;
        let page_events = page["events"].as_array().expect("events").clone();
        assert!(page_events.len() <= limit, "{path}: {page}");
        assert_eq!(page["has_more"], page_events.len() == limit, "{path}");
        let next = str_of(&page["next_cursor"]);
        match page_events.last() {
            Some(last) => assert_eq!(next, str_of(&last["cursor"]), "{path}"),
            None => assert_eq!(
                next,
                after.clone().unwrap_or_else(|| "0".to_owned()),
                "{path}: an empty page keeps the cursor"
            ),
        }
        let done = page_events.is_empty();
        events.extend(page_events);
        if done {
            return (events, next);
        }
        after = Some(next);
    }
}

/// Cursors as numbers, checking that they strictly increase.
fn assert_increasing(events: &[Value]) {
    let cursors: Vec<u64> = events
        .iter()
        .map(|e| str_of(&e["cursor"]).parse().expect("numeric cursor"))
        .collect();
    assert!(
        cursors.windows(2).all(|w| w[0] < w[1]),
        "cursors do not strictly increase: {cursors:?}"
    );
}

/// Every notice of a search (query string without `limit`), paging with `limit`; checks that
/// no notice appears twice.
async fn search_all(gw: &Gw, query: &str, limit: usize) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path = format!("/v1/announcements?limit={limit}{query}");
        if let Some(cursor) = &cursor {
            path.push_str(&format!("&cursor={cursor}"));
        }
        let page = expect_json(gw.get(Cert::Operator, &path).await, 200).await;
        let items = page["announcements"].as_array().expect("announcements");
        assert!(items.len() <= limit, "{path}");
        out.extend(items.iter().cloned());
        match &page["next_cursor"] {
            Value::Null => break,
            next => {
                assert_eq!(
                    items.len(),
                    limit,
                    "{path}: a short page has no next cursor"
                );
                cursor = Some(str_of(next));
            }
        }
        assert!(out.len() <= 1000, "search does not end: {path}");
    }
    let ids: BTreeSet<String> = out.iter().map(|n| str_of(&n["id"])).collect();
    assert_eq!(ids.len(), out.len(), "a notice listed twice: {query}");
    out
}

/// Checks a refusal's problem and its `errors[]` (path, code) pairs.
async fn expect_refusal(
    response: reqwest::Response,
    status: u16,
    code: &str,
    errors: &[(&str, &str)],
) -> Value {
    let problem = expect_problem(response, status, code).await;
    let expected: Vec<(String, String)> = errors
        .iter()
        .map(|(p, c)| ((*p).to_owned(), (*c).to_owned()))
        .collect();
    assert_eq!(error_paths(&problem), expected, "{problem}");
    problem
}

// ---------------------------------------------------------------------------------------------
// Publishing
// ---------------------------------------------------------------------------------------------

async fn every_ok_sample_publishes_and_versions_land_on_the_original(backend: Backend) {
    let gw = start(backend).await;
    for cert in Cert::PLATFORMS {
        let published = gw.publish_all(cert).await;
        let names: Vec<&str> = published.iter().map(|(n, _)| &n[..2]).collect();
        assert_eq!(
            names,
            [
                "01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12", "13"
            ],
            "{cert:?}"
        );
        let p = |i: usize| &published[i].1;
        let shape: Vec<(u16, i64)> = published
            .iter()
            .map(|(_, p)| (p.status, p.version))
            .collect();
        assert_eq!(
            shape,
            [
                (200, 1), // 01 tender (seeded)
                (201, 2), // 02 correction
                (201, 3), // 03 clarification
                (201, 4), // 04 extension
                (200, 1), // 05 candidate publicity (seeded)
                (201, 1), // 06 award result
                (201, 1), // 07 tender
                (201, 2), // 08 termination of 07
                (201, 1),
                (201, 1),
                (201, 1),
                (201, 1),
                (201, 1),
            ],
            "{cert:?}: {published:?}"
        );
        // Versions land on the original's id; everything else is a notice of its own.
        for (name, version) in &published[1..4] {
            assert_eq!(version.id, p(0).id, "{cert:?} {name}");
        }
        assert_eq!(p(7).id, p(6).id, "{cert:?}: the termination versions 07");
        let own: BTreeSet<&str> = [0, 4, 5, 6, 8, 9, 10, 11, 12]
            .iter()
            .map(|&i| p(i).id.as_str())
            .collect();
        assert_eq!(own.len(), 9, "{cert:?}: distinct notices {published:?}");

        // The versions of the tender, oldest first, with their document ids and kinds.
        let prefix = id_prefix(cert);
        let body = expect_json(
            gw.get(cert, &format!("/v1/announcements/{}/versions", p(0).id))
                .await,
            200,
        )
        .await;
        let versions: Vec<(i64, String, String)> = body["versions"]
            .as_array()
            .expect("versions")
            .iter()
            .map(|v| {
                (
                    v["version"].as_i64().expect("version"),
                    str_of(&v["document_id"]),
                    str_of(&v["kind"]),
                )
            })
            .collect();
        let expected: Vec<(i64, String, String)> = [
            (1, "0101", "tender"),
            (2, "0102", "correction"),
            (3, "0103", "clarification"),
            (4, "0104", "extension"),
        ]
        .iter()
        .map(|(v, d, k)| (*v, format!("{prefix}{d}"), (*k).to_owned()))
        .collect();
        assert_eq!(versions, expected, "{cert:?}");
        assert_eq!(body["announcement"]["id"], p(0).id.as_str());
        assert_eq!(body["announcement"]["current_version"], 4);
        assert_eq!(body["announcement"]["status"], "active");
        assert_eq!(body["announcement"]["source_platform"], cert.name());
        assert_eq!(
            body["announcement"]["source_notice_id"],
            format!("{prefix}0101")
        );

        // The terminated procurement tender.
        let body = expect_json(
            gw.get(
                Cert::Operator,
                &format!("/v1/announcements/{}/versions", p(6).id),
            )
            .await,
            200,
        )
        .await;
        let kinds: Vec<String> = body["versions"]
            .as_array()
            .expect("versions")
            .iter()
            .map(|v| str_of(&v["kind"]))
            .collect();
        assert_eq!(kinds, ["tender", "termination"], "{cert:?}");
        assert_eq!(body["announcement"]["status"], "terminated");
        let response = gw
            .get(Cert::Operator, &format!("/v1/announcements/{}", p(6).id))
            .await;
        assert_eq!(response.status().as_u16(), 200);
        assert_eq!(response.headers()["x-announcement-version"], "2");
        assert_eq!(response.headers()["x-announcement-current-version"], "2");
        assert_eq!(response.headers()["x-announcement-status"], "terminated");

        // Candidate publicity and award result are notices of their own with one version.
        for i in [4, 5] {
            let body = expect_json(
                gw.get(
                    Cert::Operator,
                    &format!("/v1/announcements/{}/versions", p(i).id),
                )
                .await,
                200,
            )
            .await;
            assert_eq!(body["versions"].as_array().expect("versions").len(), 1);
            assert_eq!(
                body["announcement"]["kind"],
                ["candidate_publicity", "award_result"][i - 4]
            );
        }
    }
    // 9 notices per province, 3 x 13 documents: 39 feed events.
    let stored = gw.stored().await;
    assert_eq!(stored.notices.len(), 27);
    assert_eq!(stored.events.len(), 39);
}

async fn republishing_and_idempotency_keys_store_nothing_new(backend: Backend) {
    let gw = start(backend).await;
    for cert in Cert::PLATFORMS {
        let tender = sample(cert, "07");
        let first = gw.publish(cert, &tender, None).await;
        assert_eq!((first.status, first.version), (201, 1));
        let termination = sample(cert, "08");
        let terminated = gw.publish(cert, &termination, None).await;
        assert_eq!(
            (
                terminated.status,
                terminated.id.as_str(),
                terminated.version
            ),
            (201, first.id.as_str(), 2)
        );
        let before = gw.stored().await;

        // The same body again: 200 with the same id and version, nothing new anywhere.
        let again = gw.publish(cert, &tender, None).await;
        assert_eq!(
            (again.status, again.id.as_str(), again.version),
            (200, first.id.as_str(), 1)
        );
        let again = gw.publish(cert, &termination, None).await;
        assert_eq!(
            (again.status, again.id.as_str(), again.version),
            (200, first.id.as_str(), 2)
        );
        // Also the seeded tender.
        let seeded = gw.publish(cert, &sample(cert, "01"), None).await;
        assert_eq!((seeded.status, seeded.version), (200, 1));
        assert_eq!(
            gw.stored().await,
            before,
            "{cert:?}: republishing stored something"
        );

        // An Idempotency-Key: the first request stores, a replay answers the same notice.
        let key = format!("key-{}", cert.name());
        let land = sample(cert, "09");
        let stored = gw.publish(cert, &land, Some(&key)).await;
        assert_eq!((stored.status, stored.version), (201, 1));
        let after_first = gw.stored().await;
        assert_eq!(after_first.notices.len(), before.notices.len() + 1);
        let replay = gw.publish(cert, &land, Some(&key)).await;
        assert_eq!(
            (replay.status, replay.id.as_str(), replay.version),
            (200, stored.id.as_str(), 1)
        );
        // The same key with another body is a conflict, even for a body that is new and valid.
        let other = sample(cert, "10");
        let problem = expect_refusal(
            gw.post(cert, &other, Some(&key)).await,
            409,
            "conflict",
            &[],
        )
        .await;
        assert_eq!(
            problem["detail"],
            format!(
                "this Idempotency-Key was used for another request (announcement {}, version 1)",
                stored.id
            )
        );
        assert_eq!(
            gw.stored().await,
            after_first,
            "{cert:?}: key replays stored something"
        );
        // The key is the platform's own: another platform may use the same key.
        let other_cert = if cert == Cert::Jiangsu {
            Cert::Zhejiang
        } else {
            Cert::Jiangsu
        };
        let own = gw
            .publish(
                other_cert,
                &with_document_id(
                    other_cert,
                    &sample(other_cert, "11"),
                    &format!("{}0111", id_prefix(other_cert)),
                    &format!("{}0111-{}", id_prefix(other_cert), cert.name()),
                ),
                Some(&key),
            )
            .await;
        assert_eq!((own.status, own.version), (201, 1));
        assert_ne!(own.id, stored.id);
    }
    // Repeated Idempotency-Key values that are malformed are refused before anything is read.
    let before = gw.stored().await;
    let response = gw
        .post(
            Cert::Jiangsu,
            &sample(Cert::Jiangsu, "12"),
            Some(&"k".repeat(201)),
        )
        .await;
    expect_refusal(
        response,
        422,
        "invalid-request",
        &[("Idempotency-Key", "invalid-idempotency-key")],
    )
    .await;
    assert_eq!(gw.stored().await, before);
}

async fn conflicts_terminated_notices_and_unknown_originals_are_refused(backend: Backend) {
    let gw = start(backend).await;
    for cert in Cert::PLATFORMS {
        let prefix = id_prefix(cert);
        // A termination whose original is unknown: 422 `unknown-original`.
        let before = gw.stored().await;
        let termination = sample(cert, "08");
        let problem = expect_refusal(
            gw.post(cert, &termination, None).await,
            422,
            "invalid-request",
            &[("original", "unknown-original")],
        )
        .await;
        assert!(
            str_of(&problem["detail"]).contains(&format!("{prefix}0107")),
            "{problem}"
        );
        assert_eq!(gw.stored().await, before, "{cert:?}");

        // Other content under the seeded tender's document id: 409 naming version 1.
        let tender = gw.publish(cert, &sample(cert, "01"), None).await;
        assert_eq!(tender.status, 200);
        let changed = with_other_title(cert, &sample(cert, "01"));
        let problem =
            expect_refusal(gw.post(cert, &changed, None).await, 409, "conflict", &[]).await;
        assert_eq!(
            problem["detail"],
            format!(
                "document `{prefix}0101` is stored already as version 1 of announcement {} with other content; \
                 publish a correction, clarification, extension or termination to change it",
                tender.id
            )
        );
        // Other content under a stored correction's id: 409 naming version 2.
        let correction = gw.publish(cert, &sample(cert, "02"), None).await;
        assert_eq!((correction.status, correction.version), (201, 2));
        let before = gw.stored().await;
        let changed = with_other_title(cert, &sample(cert, "02"));
        let problem =
            expect_refusal(gw.post(cert, &changed, None).await, 409, "conflict", &[]).await;
        assert!(
            str_of(&problem["detail"])
                .contains(&format!("as version 2 of announcement {}", tender.id)),
            "{problem}"
        );
        assert_eq!(gw.stored().await, before, "{cert:?}");

        // A further version of a terminated notice: 409.
        let procurement = gw.publish(cert, &sample(cert, "07"), None).await;
        let terminated = gw.publish(cert, &termination, None).await;
        assert_eq!(
            (
                terminated.status,
                terminated.id.as_str(),
                terminated.version
            ),
            (201, procurement.id.as_str(), 2)
        );
        let before = gw.stored().await;
        let second = with_document_id(
            cert,
            &termination,
            &format!("{prefix}0108"),
            &format!("{prefix}0108-2"),
        );
        let problem =
            expect_refusal(gw.post(cert, &second, None).await, 409, "conflict", &[]).await;
        assert_eq!(
            problem["detail"],
            format!(
                "announcement {} is terminated: it takes no further versions",
                procurement.id
            )
        );
        // Also with an Idempotency-Key, and its replay.
        for _ in 0..2 {
            expect_refusal(
                gw.post(cert, &second, Some("after-termination")).await,
                409,
                "conflict",
                &[],
            )
            .await;
        }
        assert_eq!(gw.stored().await, before, "{cert:?}");
    }
}

async fn ownership_role_and_media_type_refusals_change_nothing(backend: Backend) {
    let gw = start(backend).await;
    // Something to correct: Shanghai's tender has versions already.
    gw.publish(Cert::Shanghai, &sample(Cert::Shanghai, "02"), None)
        .await;
    let before = gw.stored().await;

    // A platform sending a document whose source is another platform.
    for cert in Cert::PLATFORMS {
        for other in Cert::PLATFORMS.into_iter().filter(|c| *c != cert) {
            for number in ["01", "02", "09"] {
                let forged = replace_once(
                    &sample(cert, number),
                    &source_field(cert, cert.name()),
                    &source_field(cert, other.name()),
                );
                let problem = expect_refusal(
                    gw.post(cert, &forged, None).await,
                    403,
                    "acting-for-another-platform",
                    &[],
                )
                .await;
                assert_eq!(
                    problem["detail"],
                    format!(
                        "platform `{}` may not act for platform `{}`",
                        cert.name(),
                        other.name()
                    )
                );
            }
        }
    }
    // Shanghai's own correction, translated by the gateway into Jiangsu's format, posted by
    // Jiangsu: another platform's correction.
    let response = gw
        .client(Cert::Jiangsu)
        .post(gw.url("/v1/translate?from=shanghai&to=jiangsu"))
        .header("content-type", "application/xml")
        .body(sample(Cert::Shanghai, "03"))
        .send()
        .await
        .expect("translate");
    assert_eq!(response.status().as_u16(), 200);
    let translated = response.bytes().await.expect("body").to_vec();
    let problem = expect_refusal(
        gw.post(Cert::Jiangsu, &translated, Some("steal")).await,
        403,
        "acting-for-another-platform",
        &[],
    )
    .await;
    assert_eq!(
        problem["detail"],
        "platform `jiangsu` may not act for platform `shanghai`"
    );

    // The operator publishes nothing, in any media type.
    for (media, body) in [
        ("application/xml", sample(Cert::Shanghai, "09")),
        ("application/json", sample(Cert::Jiangsu, "09")),
    ] {
        let problem = expect_refusal(
            gw.post_as(Cert::Operator, media, &body, None).await,
            403,
            "forbidden",
            &[],
        )
        .await;
        assert_eq!(problem["detail"], "only platforms publish announcements");
    }

    // Wrong media types, including a valid document of another dialect.
    let cases: [(Cert, Option<&str>, Vec<u8>); 6] = [
        (
            Cert::Shanghai,
            Some("application/json"),
            sample(Cert::Shanghai, "09"),
        ),
        (
            Cert::Shanghai,
            Some("application/json"),
            sample(Cert::Jiangsu, "09"),
        ),
        (
            Cert::Jiangsu,
            Some("application/xml"),
            sample(Cert::Jiangsu, "09"),
        ),
        (
            Cert::Zhejiang,
            Some("text/plain"),
            sample(Cert::Zhejiang, "09"),
        ),
        (
            Cert::Zhejiang,
            Some("application/problem+json"),
            sample(Cert::Zhejiang, "09"),
        ),
        (Cert::Jiangsu, None, sample(Cert::Jiangsu, "09")),
    ];
    for (cert, media, body) in cases {
        let mut request = gw.client(cert).post(gw.url("/v1/announcements")).body(body);
        if let Some(media) = media {
            request = request.header("content-type", media);
        }
        let response = request.send().await.expect("publish");
        let problem = expect_refusal(response, 415, "unsupported-media-type", &[]).await;
        assert_eq!(
            problem["detail"],
            format!(
                "{} announcements are sent as {}, not {}",
                dialect(cert),
                media_type(cert),
                media.unwrap_or("(no content type)")
            )
        );
    }
    assert_eq!(gw.stored().await, before);

    // `text/xml` and parameters are fine for Shanghai, `; charset=utf-8` for JSON.
    let ok = check_publication(
        gw.post_as(
            Cert::Shanghai,
            "text/xml; charset=utf-8",
            &sample(Cert::Shanghai, "09"),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(ok.status, 201);
    let ok = check_publication(
        gw.post_as(
            Cert::Jiangsu,
            "Application/JSON; charset=utf-8",
            &sample(Cert::Jiangsu, "09"),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(ok.status, 201);
}

/// The golden findings of an `err/` or `warn/` sample: (path, code, severity).
fn golden(dialect: &str, folder: &str, name: &str) -> Vec<(String, String, String)> {
    let stem = name.rsplit_once('.').expect("extension").0;
    let path = tests::workspace_root()
        .join("seeds")
        .join("announcements")
        .join(dialect)
        .join(folder)
        .join(format!("{stem}.expected.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let findings: Vec<Value> = serde_json::from_str(&text).expect("golden JSON");
    findings
        .iter()
        .map(|f| {
            (
                str_of(&f["path"]),
                str_of(&f["code"]),
                str_of(&f["severity"]),
            )
        })
        .collect()
}

fn findings(errors: &Value) -> Vec<(String, String, String)> {
    errors
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                str_of(&f["path"]),
                str_of(&f["code"]),
                str_of(&f["severity"]),
            )
        })
        .collect()
}

async fn invalid_documents_are_422_with_every_finding_and_change_nothing(backend: Backend) {
    let gw = start(backend).await;
    let before = gw.stored().await;
    let mut count = 0;
    for cert in Cert::PLATFORMS {
        for (name, bytes) in announcement_samples(dialect(cert), "err") {
            let problem =
                expect_problem(gw.post(cert, &bytes, None).await, 422, "invalid-document").await;
            let expected = golden(dialect(cert), "err", &name);
            assert!(!expected.is_empty(), "{name}");
            assert_eq!(findings(&problem["errors"]), expected, "{name}: {problem}");
            for finding in problem["errors"].as_array().expect("errors") {
                for field in ["message", "message_zh"] {
                    assert!(
                        finding[field].as_str().is_some_and(|m| !m.is_empty()),
                        "{name}: {finding}"
                    );
                }
            }
            count += 1;
        }
    }
    assert!(count >= 9, "only {count} err samples");
    assert_eq!(gw.stored().await, before);
}

async fn warnings_come_back_with_the_stored_notice(backend: Backend) {
    let gw = start(backend).await;
    for cert in Cert::PLATFORMS {
        for (name, bytes) in announcement_samples(dialect(cert), "warn") {
            let published = gw.publish(cert, &bytes, None).await;
            assert_eq!((published.status, published.version), (201, 1), "{name}");
            let expected = golden(dialect(cert), "warn", &name);
            assert!(
                !expected.is_empty() && expected.iter().all(|(_, _, s)| s == "warning"),
                "{name}"
            );
            assert_eq!(
                findings(&Value::Array(published.warnings.clone())),
                expected,
                "{name}"
            );
            // Stored: it reads back.
            expect_json(
                gw.get(
                    Cert::Operator,
                    &format!("/v1/announcements/{}/versions", published.id),
                )
                .await,
                200,
            )
            .await;
        }
    }
}

async fn oversize_body_is_413_and_changes_nothing(backend: Backend) {
    let limit = 16 * 1024;
    let app = TestApp::builder()
        .backend(backend)
        .max_body_bytes(limit)
        .build()
        .await;
    let gw = Gw::new(app);
    let before = gw.stored().await;
    for cert in Cert::PLATFORMS {
        // A valid document made too large by trailing white space (still valid JSON and XML).
        let mut body = sample(cert, "09");
        body.resize(limit + 1, b' ');
        // HTTP/1.1 with Content-Length, so the refusal is an answer rather than a reset stream.
        let client = gw
            .app
            .client_builder(Some(cert))
            .http1_only()
            .build()
            .expect("client");
        let response = client
            .post(gw.url("/v1/announcements"))
            .header("content-type", media_type(cert))
            .header("content-length", body.len())
            .body(body)
            .send()
            .await
            .expect("publish");
        let problem = expect_refusal(response, 413, "payload-too-large", &[]).await;
        assert_eq!(
            problem["detail"],
            format!("the request body exceeds {limit} bytes")
        );
    }
    assert_eq!(gw.stored().await, before);
    // Within the limit, the same document is stored.
    let published = gw
        .publish(Cert::Jiangsu, &sample(Cert::Jiangsu, "09"), None)
        .await;
    assert_eq!(published.status, 201);
}

// ---------------------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------------------

/// `POST /v1/translate?from=D&to=F` of a platform's document, as the reference rendering.
async fn translate(gw: &Gw, cert: Cert, body: &[u8], to: &str) -> Vec<u8> {
    let response = gw
        .client(cert)
        .post(gw.url(&format!("/v1/translate?from={}&to={to}", dialect(cert))))
        .header("content-type", media_type(cert))
        .body(body.to_vec())
        .send()
        .await
        .expect("translate");
    assert_eq!(response.status().as_u16(), 200, "translate to {to}");
    response.bytes().await.expect("body").to_vec()
}

async fn every_version_reads_in_every_format(backend: Backend) {
    let gw = start(backend).await;
    for cert in Cert::PLATFORMS {
        let published = gw.publish_all(cert).await;
        let samples = announcement_samples(dialect(cert), "ok");
        // Current versions of each notice: the last publication of its id.
        let mut current: BTreeMap<String, i64> = BTreeMap::new();
        for (_, p) in &published {
            let v = current.entry(p.id.clone()).or_default();
            *v = (*v).max(p.version);
        }
        for ((name, p), (_, bytes)) in published.iter().zip(&samples) {
            for format in FORMATS {
                let expected = translate(&gw, cert, bytes, format).await;
                let path = format!(
                    "/v1/announcements/{}/versions/{}?format={format}",
                    p.id, p.version
                );
                // Any platform reads any format.
                let response = gw.get(Cert::Zhejiang, &path).await;
                assert_eq!(response.status().as_u16(), 200, "{path}");
                assert_eq!(content_type(&response), format_media_type(format), "{path}");
                let headers = response.headers().clone();
                assert_eq!(
                    headers["x-announcement-version"],
                    p.version.to_string().as_str()
                );
                assert_eq!(
                    headers["x-announcement-current-version"],
                    current[&p.id].to_string().as_str(),
                    "{path}"
                );
                let body = response.bytes().await.expect("body").to_vec();
                assert!(
                    body == expected,
                    "{name} as {format}: the stored version renders differently from a translation \
                     of what was sent\n--- stored ---\n{}\n--- translated ---\n{}",
                    String::from_utf8_lossy(&body),
                    String::from_utf8_lossy(&expected)
                );
            }
        }
        // The latest version, in each format and by default in the caller's own.
        let tender = &published[0].1;
        let latest = &samples[3].1; // 04: the extension is the current version
        for format in FORMATS {
            let response = gw
                .get(
                    Cert::Jiangsu,
                    &format!("/v1/announcements/{}?format={format}", tender.id),
                )
                .await;
            assert_eq!(response.status().as_u16(), 200);
            assert_eq!(content_type(&response), format_media_type(format));
            assert_eq!(response.headers()["x-announcement-version"], "4");
            assert_eq!(response.headers()["x-announcement-status"], "active");
            let body = response.bytes().await.expect("body").to_vec();
            assert!(
                body == translate(&gw, cert, latest, format).await,
                "{format}"
            );
        }
        for (reader, format) in [
            (Cert::Shanghai, "shanghai"),
            (Cert::Jiangsu, "jiangsu"),
            (Cert::Zhejiang, "zhejiang"),
            (Cert::Operator, "canonical"),
        ] {
            let response = gw
                .get(reader, &format!("/v1/announcements/{}", tender.id))
                .await;
            assert_eq!(response.status().as_u16(), 200);
            assert_eq!(
                content_type(&response),
                format_media_type(format),
                "{reader:?}"
            );
            let body = response.bytes().await.expect("body").to_vec();
            assert!(
                body == translate(&gw, cert, latest, format).await,
                "{reader:?} reads {format} by default"
            );
        }
        // The canonical document is the publisher's notice, and the OCDS one a release package.
        let canonical = expect_json(
            gw.get(
                Cert::Operator,
                &format!("/v1/announcements/{}?format=canonical", tender.id),
            )
            .await,
            200,
        )
        .await;
        assert_eq!(canonical["source"]["platform"], cert.name());
        assert_eq!(
            canonical["source"]["notice_id"],
            format!("{}0104", id_prefix(cert))
        );
        assert_eq!(canonical["kind"], "extension");
        let ocds = expect_json(
            gw.get(
                Cert::Operator,
                &format!("/v1/announcements/{}?format=ocds", tender.id),
            )
            .await,
            200,
        )
        .await;
        assert!(
            ocds["releases"].as_array().is_some_and(|r| !r.is_empty()),
            "{ocds}"
        );

        // `/versions` lists every version with its hashes and links.
        let listed = expect_json(
            gw.get(
                Cert::Shanghai,
                &format!("/v1/announcements/{}/versions", tender.id),
            )
            .await,
            200,
        )
        .await;
        let versions = listed["versions"].as_array().expect("versions");
        assert_eq!(versions.len(), 4);
        for (i, v) in versions.iter().enumerate() {
            let n = i + 1;
            assert_eq!(v["version"], n);
            assert_eq!(
                v["href"],
                format!("/v1/announcements/{}/versions/{n}", tender.id)
            );
            assert_eq!(v["original_sha256"], sha256_hex(&samples[i].1));
            let canonical = translate(&gw, cert, &samples[i].1, "canonical").await;
            assert_eq!(v["canonical_sha256"], sha256_hex(&canonical), "version {n}");
        }
    }
}

async fn originals_come_back_byte_for_byte(backend: Backend) {
    let gw = start(backend).await;
    for cert in Cert::PLATFORMS {
        let published = gw.publish_all(cert).await;
        let samples = announcement_samples(dialect(cert), "ok");
        for ((name, p), (_, bytes)) in published.iter().zip(&samples) {
            let response = gw
                .get(
                    Cert::Operator,
                    &format!("/v1/announcements/{}/original?version={}", p.id, p.version),
                )
                .await;
            assert_eq!(response.status().as_u16(), 200, "{name}");
            assert_eq!(content_type(&response), media_type(cert), "{name}");
            assert_eq!(
                response.headers()["x-content-sha256"],
                sha256_hex(bytes).as_str(),
                "{name}"
            );
            assert_eq!(
                response.headers()["x-announcement-version"],
                p.version.to_string().as_str()
            );
            let body = response.bytes().await.expect("body").to_vec();
            assert!(
                body == *bytes,
                "{name}: the original differs from what was sent"
            );
            assert_eq!(sha256_hex(&body), sha256_hex(bytes));
        }
        // Without `version`: the current version's bytes (the extension, 04).
        let response = gw
            .get(
                Cert::Jiangsu,
                &format!("/v1/announcements/{}/original", published[0].1.id),
            )
            .await;
        assert_eq!(response.status().as_u16(), 200);
        assert_eq!(response.headers()["x-announcement-version"], "4");
        assert!(response.bytes().await.expect("body").to_vec() == samples[3].1);
    }
    // The GB18030 sample comes back in GB18030, not re-encoded.
    let gb = announcement_samples("shanghai", "ok")
        .into_iter()
        .find(|(n, _)| n.contains("gb18030"))
        .expect("the GB18030 sample")
        .1;
    assert!(std::str::from_utf8(&gb).is_err(), "the sample is not UTF-8");
}

async fn reading_refusals(backend: Backend) {
    let gw = start(backend).await;
    let tender = gw
        .publish(Cert::Jiangsu, &sample(Cert::Jiangsu, "01"), None)
        .await;
    let unknown = "01890000-0000-7000-8000-000000000000";
    for path in [
        format!("/v1/announcements/{unknown}"),
        format!("/v1/announcements/{unknown}?format=ocds"),
        format!("/v1/announcements/{unknown}/versions"),
        format!("/v1/announcements/{unknown}/versions/1"),
        format!("/v1/announcements/{unknown}/original"),
        format!("/v1/announcements/{}/versions/2", tender.id),
        format!("/v1/announcements/{}/versions/99", tender.id),
        format!("/v1/announcements/{}/original?version=2", tender.id),
    ] {
        expect_refusal(gw.get(Cert::Shanghai, &path).await, 404, "not-found", &[]).await;
    }
    for bad in ["0", "-1", "abc", "1.5", "99999999999"] {
        expect_refusal(
            gw.get(
                Cert::Shanghai,
                &format!("/v1/announcements/{}/versions/{bad}", tender.id),
            )
            .await,
            422,
            "invalid-request",
            &[("{version}", "invalid-version")],
        )
        .await;
        expect_refusal(
            gw.get(
                Cert::Shanghai,
                &format!("/v1/announcements/{}/original?version={bad}", tender.id),
            )
            .await,
            422,
            "invalid-request",
            &[("{version}", "invalid-version")],
        )
        .await;
    }
    for path in [
        format!("/v1/announcements/{}?format=klingon", tender.id),
        format!("/v1/announcements/{}?format=", tender.id),
        format!(
            "/v1/announcements/{}/versions/1?format=SHANGHAI-XML",
            tender.id
        ),
        // The format is checked before the announcement is looked up.
        format!("/v1/announcements/{unknown}?format=klingon"),
    ] {
        expect_refusal(
            gw.get(Cert::Zhejiang, &path).await,
            422,
            "invalid-request",
            &[("?format", "unknown-dialect")],
        )
        .await;
    }
}

// ---------------------------------------------------------------------------------------------
// Search
// ---------------------------------------------------------------------------------------------

/// A stored notice with what its first version says, for computing expected search results.
#[derive(Debug, Clone)]
struct Facts {
    id: String,
    source: String,
    kind: String,
    category: String,
    region: String,
    published: String,
}

async fn search_filters_and_cursor_paging(backend: Backend) {
    let gw = start(backend).await;
    let mut by_sample: BTreeMap<(String, String), String> = BTreeMap::new();
    for cert in Cert::PLATFORMS {
        for (name, p) in gw.publish_all(cert).await {
            by_sample.insert((cert.name().to_owned(), name[..2].to_owned()), p.id);
        }
    }
    let id_of =
        |platform: &str, number: &str| by_sample[&(platform.to_owned(), number.to_owned())].clone();

    // Every notice exactly once, newest (first stored) first, for several page sizes.
    let all = search_all(&gw, "", 100).await;
    assert_eq!(all.len(), 27);
    let all_ids: Vec<String> = all.iter().map(|n| str_of(&n["id"])).collect();
    let seqs: Vec<i64> = all
        .iter()
        .map(|n| n["first_seq"].as_i64().expect("first_seq"))
        .collect();
    assert!(
        seqs.windows(2).all(|w| w[0] > w[1]),
        "not newest first: {seqs:?}"
    );
    for limit in [1, 2, 3, 7] {
        let paged: Vec<String> = search_all(&gw, "", limit)
            .await
            .iter()
            .map(|n| str_of(&n["id"]))
            .collect();
        assert_eq!(paged, all_ids, "limit={limit}");
    }
    for n in &all {
        let id = str_of(&n["id"]);
        let v = n["current_version"].as_i64().expect("current_version");
        assert_eq!(
            n["links"]["version"],
            format!("/v1/announcements/{id}/versions/{v}")
        );
    }

    // What each notice's first version says.
    let mut facts = Vec::new();
    for id in &all_ids {
        let doc = expect_json(
            gw.get(
                Cert::Operator,
                &format!("/v1/announcements/{id}/versions/1?format=canonical"),
            )
            .await,
            200,
        )
        .await;
        facts.push(Facts {
            id: id.clone(),
            source: str_of(&doc["source"]["platform"]),
            kind: str_of(&doc["kind"]),
            category: str_of(&doc["category"]),
            region: str_of(&doc["region"]),
            published: str_of(&doc["times"]["published"]),
        });
    }
    let expect = |pred: &dyn Fn(&Facts) -> bool| -> BTreeSet<String> {
        facts
            .iter()
            .filter(|f| pred(f))
            .map(|f| f.id.clone())
            .collect()
    };
    let ids = |notices: Vec<Value>| -> BTreeSet<String> {
        notices.iter().map(|n| str_of(&n["id"])).collect()
    };

    let cases: Vec<(String, BTreeSet<String>)> = vec![
        ("&source=jiangsu".into(), expect(&|f| f.source == "jiangsu")),
        ("&kind=tender".into(), expect(&|f| f.kind == "tender")),
        (
            "&kind=award_result".into(),
            expect(&|f| f.kind == "award_result"),
        ),
        ("&kind=correction".into(), BTreeSet::new()),
        (
            "&category=construction".into(),
            expect(&|f| f.category == "construction"),
        ),
        (
            "&category=land_use".into(),
            expect(&|f| f.category == "land_use"),
        ),
        ("&region=320509".into(), expect(&|f| f.region == "320509")),
        ("&region=330421".into(), expect(&|f| f.region == "330421")),
        (
            "&source=zhejiang&category=construction&region=330421&kind=tender".into(),
            expect(&|f| {
                f.source == "zhejiang"
                    && f.category == "construction"
                    && f.region == "330421"
                    && f.kind == "tender"
            }),
        ),
        (
            // 2026-03-15T09:00:00+08:00, inclusive.
            "&published_after=2026-03-15T09%3A00%3A00%2B08%3A00".into(),
            expect(&|f| f.published.as_str() >= "2026-03-15T09:00:00+08:00"),
        ),
        (
            "&published_after=2026-03-15T01%3A00%3A00Z".into(),
            expect(&|f| f.published.as_str() >= "2026-03-15T09:00:00+08:00"),
        ),
        (
            "&published_after=2030-01-01T00%3A00%3A00Z".into(),
            BTreeSet::new(),
        ),
        ("&source=anhui".into(), BTreeSet::new()),
    ];
    for (query, expected) in &cases {
        for limit in [2, 100] {
            let found = ids(search_all(&gw, query, limit).await);
            assert_eq!(&found, expected, "{query} limit={limit}");
        }
    }
    // Spot checks against the samples, so the expectations are not only derived.
    let jiangsu: BTreeSet<String> = ["01", "05", "06", "07", "09", "10", "11", "12", "13"]
        .iter()
        .map(|n| id_of("jiangsu", n))
        .collect();
    assert_eq!(cases[0].1, jiangsu);
    assert_eq!(
        cases[5].1,
        ["shanghai", "jiangsu", "zhejiang"]
            .iter()
            .map(|p| id_of(p, "09"))
            .collect::<BTreeSet<_>>()
    );

    // `q`: substrings of the (current) title, the project code and the notice numbers.
    let q_cases: Vec<(&str, Vec<(&str, &str)>)> = vec![
        // Chinese, in the current titles: 01 (now the extension), 05, 06 and 13 of each.
        (
            "水乡客厅",
            ["shanghai", "jiangsu", "zhejiang"]
                .iter()
                .flat_map(|p| ["01", "05", "06", "13"].map(move |n| (*p, n)))
                .collect(),
        ),
        // The current title of the tenders is the extension's.
        (
            "截止时间延期",
            vec![("shanghai", "01"), ("jiangsu", "01"), ("zhejiang", "01")],
        ),
        // Only a former title: the first version's title is no longer the notice's title.
        ("施工招标更正公告", vec![]),
        (
            "股权转让",
            vec![("shanghai", "11"), ("jiangsu", "11"), ("zhejiang", "11")],
        ),
        (
            "嘉善",
            vec![
                ("zhejiang", "01"),
                ("zhejiang", "05"),
                ("zhejiang", "06"),
                ("zhejiang", "13"),
            ],
        ),
        // A notice number.
        (
            "JIZB2026-001",
            vec![
                ("jiangsu", "01"),
                ("jiangsu", "05"),
                ("jiangsu", "06"),
                ("jiangsu", "13"),
            ],
        ),
        // A project code.
        (
            "E3205092026000000001",
            vec![("jiangsu", "01"), ("jiangsu", "05"), ("jiangsu", "06")],
        ),
        // LIKE wildcards are literal: `%` only in the titles "...100%股权转让公告".
        (
            "%",
            vec![("shanghai", "11"), ("jiangsu", "11"), ("zhejiang", "11")],
        ),
        ("_", vec![]),
    ];
    for (q, expected) in q_cases {
        let expected: BTreeSet<String> = expected.iter().map(|(p, n)| id_of(p, n)).collect();
        let query = format!("&q={}", encode(q));
        let found = ids(search_all(&gw, &query, 2).await);
        assert_eq!(found, expected, "q={q}");
    }
    // `q` combines with the other filters.
    let found = ids(search_all(
        &gw,
        &format!("&q={}&source=shanghai", encode("水乡客厅")),
        3,
    )
    .await);
    assert_eq!(
        found,
        ["01", "05", "06", "13"]
            .iter()
            .map(|n| id_of("shanghai", n))
            .collect::<BTreeSet<_>>()
    );
}

/// Percent-encodes a query value (UTF-8).
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

async fn search_refuses_bad_parameters(backend: Backend) {
    let gw = start(backend).await;
    let before = gw.stored().await;
    let cases: [(&str, &str, &str); 14] = [
        ("cursor=abc", "?cursor", "malformed-cursor"),
        ("cursor=-1", "?cursor", "malformed-cursor"),
        ("cursor=1.5", "?cursor", "malformed-cursor"),
        ("cursor=", "?cursor", "malformed-cursor"),
        ("limit=0", "?limit", "out-of-range"),
        ("limit=101", "?limit", "out-of-range"),
        ("limit=-3", "?limit", "out-of-range"),
        ("limit=ten", "?limit", "out-of-range"),
        ("kind=bulletin", "?kind", "unknown-kind"),
        ("category=fishing", "?category", "unknown-category"),
        ("region=abc", "?region", "invalid-region"),
        (
            "published_after=yesterday",
            "?published_after",
            "invalid-time",
        ),
        (
            "published_after=2026-03-15",
            "?published_after",
            "invalid-time",
        ),
        ("q=", "?q", "out-of-range"),
    ];
    for (query, path, code) in cases {
        expect_refusal(
            gw.get(Cert::Jiangsu, &format!("/v1/announcements?{query}"))
                .await,
            422,
            "invalid-request",
            &[(path, code)],
        )
        .await;
    }
    // Parameters of other routes (the feed's `after`) or none at all.
    for query in ["after=3", "foo=1"] {
        expect_refusal(
            gw.get(Cert::Jiangsu, &format!("/v1/announcements?{query}"))
                .await,
            422,
            "invalid-request",
            &[("?", "invalid-query")],
        )
        .await;
    }
    let long = encode(&"标".repeat(101));
    expect_refusal(
        gw.get(Cert::Jiangsu, &format!("/v1/announcements?q={long}"))
            .await,
        422,
        "invalid-request",
        &[("?q", "out-of-range")],
    )
    .await;
    // The bounds themselves are fine.
    for query in ["limit=1", "limit=100", "cursor=0", "q=%E6%A0%87"] {
        expect_json(
            gw.get(Cert::Jiangsu, &format!("/v1/announcements?{query}"))
                .await,
            200,
        )
        .await;
    }
    assert_eq!(gw.stored().await, before);
}

// ---------------------------------------------------------------------------------------------
// Feed
// ---------------------------------------------------------------------------------------------

async fn feed_gives_each_platform_the_other_provinces_in_commit_order(backend: Backend) {
    let gw = start(backend).await;
    let (seeded, _) = gw.operator_feed().await;
    assert_eq!(seeded.len(), 6, "the demo seeds six notices");
    // Publish the provinces interleaved, remembering the order of what was stored.
    let mut stored: Vec<(String, i64, &'static str)> = seeded
        .iter()
        .map(|e| {
            (
                str_of(&e["announcement_id"]),
                e["version"].as_i64().expect("version"),
                match e["source"].as_str() {
                    Some("shanghai") => "shanghai",
                    Some("jiangsu") => "jiangsu",
                    Some("zhejiang") => "zhejiang",
                    other => panic!("seeded by {other:?}"),
                },
            )
        })
        .collect();
    let samples: Vec<Vec<(String, Vec<u8>)>> = Cert::PLATFORMS
        .iter()
        .map(|c| announcement_samples(dialect(*c), "ok"))
        .collect();
    for i in 0..samples[0].len() {
        for (cert, of_cert) in Cert::PLATFORMS.into_iter().zip(&samples) {
            let p = gw.publish(cert, &of_cert[i].1, None).await;
            if p.status == 201 {
                stored.push((p.id, p.version, cert.name()));
            }
        }
    }
    assert_eq!(stored.len(), 39);

    // The operator sees every event once, in the order the publications were answered.
    let (all, _) = gw.operator_feed().await;
    assert_increasing(&all);
    let order: Vec<(String, i64, &str)> = all
        .iter()
        .map(|e| {
            (
                str_of(&e["announcement_id"]),
                e["version"].as_i64().expect("version"),
                stored
                    .iter()
                    .find(|s| s.0 == str_of(&e["announcement_id"]))
                    .map_or("?", |s| s.2),
            )
        })
        .collect();
    assert_eq!(order, stored);
    for e in &all {
        let expected_type = if e["version"] == 1 {
            "notice.published"
        } else {
            "notice.versioned"
        };
        assert_eq!(e["type"], expected_type, "{e}");
        assert_eq!(e["format"], "canonical");
        assert_eq!(e["document"]["source"]["platform"], e["source"]);
    }
    let event_ids: BTreeSet<String> = all.iter().map(|e| str_of(&e["event_id"])).collect();
    assert_eq!(event_ids.len(), all.len(), "event ids are unique");

    // Each platform: only the other provinces' events, in the same order, once, for any page size.
    for cert in Cert::PLATFORMS {
        let expected: Vec<(String, String)> = all
            .iter()
            .filter(|e| e["source"] != cert.name())
            .map(|e| (str_of(&e["cursor"]), str_of(&e["event_id"])))
            .collect();
        assert_eq!(expected.len(), 26, "{cert:?}");
        for limit in 1..=3 {
            let (events, next) = read_feed(&gw, cert, limit, None).await;
            let got: Vec<(String, String)> = events
                .iter()
                .map(|e| (str_of(&e["cursor"]), str_of(&e["event_id"])))
                .collect();
            assert_eq!(got, expected, "{cert:?} limit={limit}");
            assert_eq!(next, expected.last().expect("events").0);
            // Default format: the reader's own dialect.
            for e in &events {
                assert_eq!(e["format"], dialect(cert));
                match cert {
                    Cert::Shanghai => {
                        let xml = e["document"].as_str().expect("XML as a string");
                        assert!(xml.starts_with("<?xml"), "{xml}");
                        assert!(xml.contains("<platform>"), "{xml}");
                    }
                    Cert::Jiangsu => {
                        assert_eq!(e["document"]["zhuanzai"], e["source"], "{e}");
                    }
                    _ => assert_eq!(e["document"]["DATA_SOURCE"], e["source"], "{e}"),
                }
            }
        }
        // The feed's document is the stored version rendered in the reader's format.
        for e in events_sample(&all, cert) {
            let path = format!(
                "/v1/announcements/{}/versions/{}?format={}",
                str_of(&e["announcement_id"]),
                e["version"],
                dialect(cert)
            );
            let rendered = gw.get(cert, &path).await.bytes().await.expect("body");
            let (event, _) = read_feed_after(&gw, cert, &e["cursor"]).await;
            match &event["document"] {
                Value::String(xml) => assert_eq!(xml.as_bytes(), &rendered[..]),
                doc => assert_eq!(
                    doc,
                    &serde_json::from_slice::<Value>(&rendered).expect("JSON")
                ),
            }
        }
        // Another format on request.
        let (events, _) = read_feed(&gw, cert, 100, Some("ocds")).await;
        assert_eq!(events.len(), 26);
        assert!(
            events
                .iter()
                .all(|e| e["format"] == "ocds" && e["document"]["releases"].is_array())
        );
    }
    // Past the end: nothing, and the cursor stays.
    let page = expect_json(gw.get(Cert::Jiangsu, "/v1/feed?after=999999").await, 200).await;
    assert_eq!(page["events"], serde_json::json!([]));
    assert_eq!(page["next_cursor"], "999999");
    assert_eq!(page["has_more"], false);
}

/// Two events of the feed that `cert` receives: its first and its last.
fn events_sample(all: &[Value], cert: Cert) -> Vec<Value> {
    let theirs: Vec<&Value> = all.iter().filter(|e| e["source"] != cert.name()).collect();
    vec![theirs[0].clone(), theirs[theirs.len() - 1].clone()]
}

/// The event with cursor `cursor` as `cert` receives it (one page of 1 from just before it).
async fn read_feed_after(gw: &Gw, cert: Cert, cursor: &Value) -> (Value, String) {
    let cursor: u64 = str_of(cursor).parse().expect("cursor");
    let page = expect_json(
        gw.get(cert, &format!("/v1/feed?limit=1&after={}", cursor - 1))
            .await,
        200,
    )
    .await;
    let event = page["events"][0].clone();
    assert_eq!(event["cursor"], cursor.to_string());
    (event, str_of(&page["next_cursor"]))
}

async fn feed_refuses_bad_parameters_and_changes_nothing(backend: Backend) {
    let gw = start(backend).await;
    let before = gw.stored().await;
    let cases: [(&str, &str, &str); 9] = [
        ("after=abc", "?after", "malformed-cursor"),
        ("after=-5", "?after", "malformed-cursor"),
        ("after=1.5", "?after", "malformed-cursor"),
        ("after=", "?after", "malformed-cursor"),
        (
            "after=99999999999999999999999",
            "?after",
            "malformed-cursor",
        ),
        ("limit=0", "?limit", "out-of-range"),
        ("limit=101", "?limit", "out-of-range"),
        ("limit=x", "?limit", "out-of-range"),
        ("format=klingon", "?format", "unknown-dialect"),
    ];
    for cert in [Cert::Shanghai, Cert::Jiangsu, Cert::Operator] {
        for (query, path, code) in cases {
            expect_refusal(
                gw.get(cert, &format!("/v1/feed?{query}")).await,
                422,
                "invalid-request",
                &[(path, code)],
            )
            .await;
        }
    }
    // The search's `cursor` is not the feed's `after`.
    for query in ["cursor=3", "after=1&since=2"] {
        expect_refusal(
            gw.get(Cert::Zhejiang, &format!("/v1/feed?{query}")).await,
            422,
            "invalid-request",
            &[("?", "invalid-query")],
        )
        .await;
    }
    assert_eq!(gw.stored().await, before);
    // limit 1 and 100 are accepted.
    for query in ["limit=1", "limit=100", "after=0"] {
        expect_json(
            gw.get(Cert::Zhejiang, &format!("/v1/feed?{query}")).await,
            200,
        )
        .await;
    }
}

async fn feed_while_publishing_skips_and_repeats_nothing(backend: Backend) {
    // One writer task publishing for the three platforms in turn, while two readers page.
    let gw = feed_under_writes(backend, &[&Cert::PLATFORMS], 48).await;
    // 54 events now: the default page is 50.
    let page = expect_json(gw.get(Cert::Operator, "/v1/feed").await, 200).await;
    assert_eq!(page["events"].as_array().expect("events").len(), 50);
    assert_eq!(page["has_more"], true);
    let rest = expect_json(
        gw.get(
            Cert::Operator,
            &format!("/v1/feed?after={}", str_of(&page["next_cursor"])),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(rest["events"].as_array().expect("events").len(), 4);
    assert_eq!(rest["has_more"], false);
}

/// Publishes new notices (sample 09 of a platform under fresh ids) from one task per lane, each
/// lane cycling through its platforms for `per_lane` publications, while the operator (from the
/// seeds on, pages of 2) and Jiangsu (from the start, pages of 3) page through the feed until
/// they reach its end after the writers finished. Every event must be read exactly once, in
/// cursor order, as the feed holds them at rest afterwards.
async fn feed_under_writes(backend: Backend, lanes: &[&[Cert]], per_lane: usize) -> Gw {
    let gw = start(backend).await;
    let (seeded, start_cursor) = gw.operator_feed().await;
    assert_eq!(seeded.len(), 6);
    let writers_done = Arc::new(AtomicBool::new(false));
    let mut writers = Vec::new();
    for (lane, certs) in lanes.iter().enumerate() {
        let clients: Vec<(Cert, reqwest::Client)> =
            certs.iter().map(|c| (*c, gw.client(*c).clone())).collect();
        let url = gw.url("/v1/announcements");
        writers.push(tokio::spawn(async move {
            let mut answers = Vec::new();
            for n in 0..per_lane {
                let (cert, client) = &clients[n % clients.len()];
                let cert = *cert;
                let prefix = id_prefix(cert);
                let body = with_document_id(
                    cert,
                    &sample(cert, "09"),
                    &format!("{prefix}0109"),
                    &format!("{prefix}0109-L{lane}-{n:03}"),
                );
                let response = client
                    .post(&url)
                    .header("content-type", media_type(cert))
                    .body(body)
                    .send()
                    .await
                    .expect("publish");
                let p = check_publication(response).await;
                assert_eq!((p.status, p.version), (201, 1), "{cert:?} lane {lane} #{n}");
                answers.push((p.id, cert.name()));
            }
            answers
        }));
    }
    // Readers page through the feed while the writers write: the operator (everything) and
    // Jiangsu (the other two provinces).
    let mut readers = Vec::new();
    for (cert, limit) in [(Cert::Operator, 2usize), (Cert::Jiangsu, 3usize)] {
        let client = gw.client(cert).clone();
        let base = gw.url("/v1/feed");
        let done = writers_done.clone();
        let after = if cert == Cert::Operator {
            start_cursor.clone()
        } else {
            "0".to_owned()
        };
        readers.push(tokio::spawn(async move {
            let mut after = after;
            let mut seen: Vec<Value> = Vec::new();
            let started = std::time::Instant::now();
            loop {
                // Read the flag before the page: an empty page after the writers finished means
                // the reader is at the end.
                let finished = done.load(Ordering::SeqCst);
                let response = client
                    .get(format!("{base}?after={after}&limit={limit}"))
                    .send()
                    .await
                    .expect("feed");
                let page = expect_json(response, 200).await;
                let events = page["events"].as_array().expect("events").clone();
                for e in &events {
                    let cursor: u64 = str_of(&e["cursor"]).parse().expect("cursor");
                    let last: u64 = after.parse().expect("cursor");
                    assert!(cursor > last, "cursor {cursor} after {last}");
                    after = cursor.to_string();
                }
                assert_eq!(page["next_cursor"], after.as_str());
                let empty = events.is_empty();
                seen.extend(events);
                if empty && finished {
                    return (cert, seen);
                }
                if empty {
                    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                }
                assert!(
                    started.elapsed() < DEADLINE,
                    "the reader did not reach the end"
                );
            }
        }));
    }
    let mut published: Vec<(String, &str)> = Vec::new();
    for writer in writers {
        published.extend(writer.await.expect("writer"));
    }
    writers_done.store(true, Ordering::SeqCst);
    assert_eq!(published.len(), lanes.len() * per_lane);

    // Afterwards, the whole feed at rest: the operator's view of every event.
    let (all, _) = gw.operator_feed().await;
    assert_increasing(&all);
    assert_eq!(all.len(), 6 + published.len());
    let stored_ids: BTreeSet<String> = all[6..]
        .iter()
        .map(|e| str_of(&e["announcement_id"]))
        .collect();
    let published_ids: BTreeSet<String> = published.iter().map(|(id, _)| id.clone()).collect();
    assert_eq!(stored_ids, published_ids);

    for reader in readers {
        let (cert, seen) = reader.await.expect("reader");
        let expected: Vec<(String, String)> = all
            .iter()
            .filter(|e| {
                if cert == Cert::Operator {
                    str_of(&e["cursor"]).parse::<u64>().expect("cursor")
                        > start_cursor.parse::<u64>().expect("cursor")
                } else {
                    e["source"] != cert.name()
                }
            })
            .map(|e| (str_of(&e["cursor"]), str_of(&e["event_id"])))
            .collect();
        let got: Vec<(String, String)> = seen
            .iter()
            .map(|e| (str_of(&e["cursor"]), str_of(&e["event_id"])))
            .collect();
        assert_eq!(
            got, expected,
            "{cert:?}: the concurrent reader skipped or repeated events"
        );
    }
    gw
}

// ---------------------------------------------------------------------------------------------
// Metrics
// ---------------------------------------------------------------------------------------------

async fn metrics_count_publications_and_translations(backend: Backend) {
    let gw = start(backend).await;
    let before: Scrape = gw.app.scrape().await;
    // Jiangsu: a tender, its repetition, its termination and an invalid document.
    gw.publish(Cert::Jiangsu, &sample(Cert::Jiangsu, "07"), None)
        .await;
    gw.publish(Cert::Jiangsu, &sample(Cert::Jiangsu, "07"), None)
        .await;
    gw.publish(Cert::Jiangsu, &sample(Cert::Jiangsu, "08"), None)
        .await;
    let (_, invalid) = announcement_samples("jiangsu", "err")
        .into_iter()
        .next()
        .expect("an err sample");
    expect_problem(
        gw.post(Cert::Jiangsu, &invalid, None).await,
        422,
        "invalid-document",
    )
    .await;
    // Shanghai: a correction of its seeded tender and a new land tender.
    gw.publish(Cert::Shanghai, &sample(Cert::Shanghai, "02"), None)
        .await;
    gw.publish(Cert::Shanghai, &sample(Cert::Shanghai, "09"), None)
        .await;
    let after = gw.app.scrape().await;

    let published = "gateway_announcements_published_total";
    assert_eq!(
        after.changes_since(&before, published),
        BTreeMap::from([
            (
                series(published, &[("platform", "jiangsu"), ("kind", "tender")]),
                1.0
            ),
            (
                series(
                    published,
                    &[("platform", "jiangsu"), ("kind", "termination")]
                ),
                1.0
            ),
            (
                series(
                    published,
                    &[("platform", "shanghai"), ("kind", "correction")]
                ),
                1.0
            ),
            (
                series(published, &[("platform", "shanghai"), ("kind", "tender")]),
                1.0
            ),
        ])
    );
    let translations = "gateway_translations_total";
    let t = |from: &str, outcome: &str| {
        series(
            translations,
            &[("from", from), ("to", "canonical"), ("outcome", outcome)],
        )
    };
    assert_eq!(
        after.changes_since(&before, translations),
        BTreeMap::from([
            (t("jiangsu", "ok"), 3.0),
            (t("jiangsu", "invalid"), 1.0),
            (t("shanghai", "ok"), 2.0),
        ])
    );
}

async fn feed_under_concurrent_publishing_skips_and_repeats_nothing(backend: Backend) {
    // Two writer tasks per platform, all publishing at once, while two readers page.
    let lanes: [&[Cert]; 6] = [
        &[Cert::Shanghai],
        &[Cert::Shanghai],
        &[Cert::Jiangsu],
        &[Cert::Jiangsu],
        &[Cert::Zhejiang],
        &[Cert::Zhejiang],
    ];
    feed_under_writes(backend, &lanes, 12).await;
}

async fn a_conflict_replayed_with_its_key_is_409_again(backend: Backend) {
    let gw = start(backend).await;
    for cert in Cert::PLATFORMS {
        let prefix = id_prefix(cert);
        let tender = gw.publish(cert, &sample(cert, "01"), None).await;
        assert_eq!(tender.status, 200);
        let changed = with_other_title(cert, &sample(cert, "01"));
        let key = format!("conflicting-{}", cert.name());
        let before = gw.stored().await;
        let first = expect_refusal(
            gw.post(cert, &changed, Some(&key)).await,
            409,
            "conflict",
            &[],
        )
        .await;
        assert!(
            str_of(&first["detail"]).contains(&format!(
                "document `{prefix}0101` is stored already as version 1"
            )),
            "{first}"
        );
        // Repeating the request with the same key answers as the first time.
        let replay = expect_refusal(
            gw.post(cert, &changed, Some(&key)).await,
            409,
            "conflict",
            &[],
        )
        .await;
        assert_eq!(replay["detail"], first["detail"]);
        assert_eq!(gw.stored().await, before);
    }
}

async fn q_matches_codes_regardless_of_case_on_both_backends(backend: Backend) {
    let gw = start(backend).await;
    // The seeds: Jiangsu's tender JIZB2026-001 and its candidate publicity JIZB2026-001-HX.
    let exact = search_all(&gw, "&q=JIZB2026-001", 100).await;
    assert_eq!(exact.len(), 2);
    for q in ["jizb2026-001", "Jizb2026-001"] {
        let found = search_all(&gw, &format!("&q={q}"), 100).await;
        assert_eq!(found, exact, "{backend:?}: q={q}");
    }
}
