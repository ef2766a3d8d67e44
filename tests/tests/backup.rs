//! Backup and restore as the runbook describes them: a running gateway with announcements,
//! versions, receipts, audit records, a subscription, a platform's feed position and a newer
//! trust list is backed up online (SQLite: `gateway backup`, i.e. `VACUUM INTO`; PostgreSQL:
//! `pg_dump -Fc`), restored into an empty database (SQLite: the copied file; PostgreSQL:
//! `pg_restore` into a fresh database), and a new gateway on it serves all of it: the same
//! documents and originals, the receipts, the audit records, the feed continuing from the
//! platform's cursor, the trust-list sequence, and new publications after the old ones. A backup
//! taken while a platform keeps publishing restores to a consistent prefix of the commit order.
//!
//! And retention: `gateway retention` reports the records past their configured period, and a
//! period shorter than the legal archive period is refused.

use std::path::Path;

use serde_json::{Value, json};
use tests::{Backend, Cert, PostgresDatabase, TestApp, expect_json};

tests::on_both_backends!(
    a_restored_backup_serves_everything_the_gateway_had,
    a_backup_during_publishing_is_a_consistent_prefix,
    retention_report_counts_records_past_their_period,
);

const BIN: &str = env!("CARGO_BIN_EXE_gateway-e2e");

async fn get(app: &TestApp, cert: Cert, path: &str) -> reqwest::Response {
    app.client(cert)
        .get(app.api_url(path))
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {path}: {e}"))
}

async fn get_json(app: &TestApp, cert: Cert, path: &str) -> Value {
    expect_json(get(app, cert, path).await, 200).await
}

/// What a platform or operator can read of one gateway, to compare before and after.
#[derive(Debug, PartialEq)]
struct Observed {
    /// Per published id: latest document (Jiangsu format), versions, original bytes.
    announcements: Vec<(Value, Value, Vec<u8>)>,
    /// Receipt JWS by id.
    receipts: Vec<String>,
    /// Event ids of Jiangsu's feed after its saved cursor.
    feed_after_cursor: Vec<Value>,
    /// The trust list's sequence.
    trust_list_sequence: Value,
    /// Jiangsu's subscription (URL, format, filters).
    subscription: Value,
}

async fn observe(app: &TestApp, ids: &[String], receipts: &[String], cursor: &str) -> Observed {
    let mut announcements = Vec::new();
    for id in ids {
        let latest = get_json(
            app,
            Cert::Jiangsu,
            &format!("/v1/announcements/{id}?format=jiangsu"),
        )
        .await;
        let versions = get_json(
            app,
            Cert::Jiangsu,
            &format!("/v1/announcements/{id}/versions"),
        )
        .await;
        let original = get(
            app,
            Cert::Zhejiang,
            &format!("/v1/announcements/{id}/original"),
        )
        .await
        .bytes()
        .await
        .expect("original")
        .to_vec();
        announcements.push((latest, versions, original));
    }
    let mut receipt_bodies = Vec::new();
    for id in receipts {
        let response = get(app, Cert::Jiangsu, &format!("/v1/receipts/{id}")).await;
        assert_eq!(response.status(), 200, "receipt {id}");
        receipt_bodies.push(response.text().await.expect("receipt"));
    }
    let feed = get_json(
        app,
        Cert::Jiangsu,
        &format!("/v1/feed?after={cursor}&limit=100"),
    )
    .await;
    let feed_after_cursor = feed["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| e["event_id"].clone())
        .collect();
    let trust_list_sequence =
        get_json(app, Cert::Shanghai, "/v1/trust-list").await["sequence"].clone();
    let mut subscription = get_json(app, Cert::Jiangsu, "/v1/subscriptions/self").await;
    subscription.as_object_mut().map(|s| s.remove("updated_at"));
    Observed {
        announcements,
        receipts: receipt_bodies,
        feed_after_cursor,
        trust_list_sequence,
        subscription,
    }
}

/// `gateway backup --to FILE` against a running gateway's SQLite file; a second run refuses
/// to overwrite the copy.
fn sqlite_backup(database: &Path, to: &Path) {
    let backup = || {
        tests::run(
            tests::command(BIN)
                .arg("backup")
                .arg("--database-url")
                .arg(format!("sqlite://{}", database.display()))
                .arg("--to")
                .arg(to),
        )
    };
    let output = backup();
    assert_eq!(output.code(), Some(0), "{output:?}");
    assert!(output.stdout.contains("integrity ok"), "{output:?}");
    let again = backup();
    assert_eq!(again.code(), Some(1), "{again:?}");
    assert!(again.stderr.contains("exists already"), "{again:?}");
    // A mistyped database path is an error, and creates neither a database nor a copy.
    let typo = database.with_file_name("gatewya.db");
    let elsewhere = to.with_file_name("typo-copy.db");
    let output = tests::run(
        tests::command(BIN)
            .arg("backup")
            .arg("--database-url")
            .arg(format!("sqlite://{}", typo.display()))
            .arg("--to")
            .arg(&elsewhere),
    );
    assert_eq!(output.code(), Some(2), "{output:?}");
    assert!(output.stderr.contains("no database at"), "{output:?}");
    assert!(!typo.exists() && !elsewhere.exists());
}

fn pg_tool(tool: &str, args: &[&str]) {
    let output = tests::run(tests::command(tool).args(args));
    assert_eq!(output.code(), Some(0), "{tool} {args:?}: {output:?}");
}

/// Backs up the database at `source` while its gateway runs (SQLite: `gateway backup`;
/// PostgreSQL: `pg_dump -Fc`) and restores it into an empty database (the copied file; a fresh
/// database with `pg_restore`). Returns the restored database's URL (and the PostgreSQL
/// database, dropped with it).
fn backup_and_restore(
    source: &gateway::config::DatabaseUrl,
    dir: &Path,
) -> (gateway::config::DatabaseUrl, Option<PostgresDatabase>) {
    match source {
        gateway::config::DatabaseUrl::Sqlite(path) => {
            let copy = dir.join("restored.db");
            sqlite_backup(path, &copy);
            (gateway::config::DatabaseUrl::Sqlite(copy), None)
        }
        gateway::config::DatabaseUrl::Postgres(url) => {
            let dump = dir.join("gateway.dump");
            let dump = dump.to_str().expect("utf-8 path");
            pg_tool("pg_dump", &["-Fc", "-d", url, "-f", dump]);
            let empty = PostgresDatabase::create();
            pg_tool(
                "pg_restore",
                &["--exit-on-error", "--no-owner", "-d", empty.url(), dump],
            );
            (
                gateway::config::DatabaseUrl::Postgres(empty.url().to_owned()),
                Some(empty),
            )
        }
    }
}

/// A backup taken while a platform keeps publishing is one consistent moment: the restored
/// gateway has exactly the first k of the publications (commit order), each whole (readable, with
/// its original), and none of the later ones.
async fn a_backup_during_publishing_is_a_consistent_prefix(backend: Backend) {
    let app = std::sync::Arc::new(spawn_source(backend).await);
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let publisher = {
        let (app, stop) = (app.clone(), stop.clone());
        tokio::spawn(async move {
            let template: Value = serde_json::from_slice(&tests::sample_announcement(
                "jiangsu",
                "01-construction-tender",
            ))
            .expect("json");
            let mut ids = Vec::new();
            // Three more after the backup has finished: those are certainly not in it.
            let mut after_stop = 0;
            let mut i = 0;
            while after_stop < 3 {
                if stop.load(std::sync::atomic::Ordering::SeqCst) {
                    after_stop += 1;
                }
                let mut notice = template.clone();
                notice["infoid"] = json!(format!("JI-2026-7{i:03}"));
                notice["noticeno"] = json!(format!("JIZB2026-7{i:03}"));
                let published = app
                    .publish(Cert::Jiangsu, serde_json::to_vec(&notice).expect("json"))
                    .await;
                ids.push(published["id"].as_str().expect("id").to_owned());
                i += 1;
            }
            ids
        })
    };
    // Let publications flow, then back up in the middle of them.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let dir = tempfile::tempdir().expect("tmp");
    let source = app.database_url().clone();
    let target = dir.path().to_owned();
    let (restored_url, _restored_db) =
        tokio::task::spawn_blocking(move || backup_and_restore(&source, &target))
            .await
            .expect("backup task");
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let published = publisher.await.expect("publisher");
    drop(app);
    let restored = TestApp::builder()
        .configure(move |s| s.database.url = Some(restored_url))
        .build()
        .await;

    let mut kept = Vec::new();
    for id in &published {
        let response = get(
            &restored,
            Cert::Zhejiang,
            &format!("/v1/announcements/{id}"),
        )
        .await;
        match response.status().as_u16() {
            200 => {
                let original = get(
                    &restored,
                    Cert::Zhejiang,
                    &format!("/v1/announcements/{id}/original"),
                )
                .await;
                assert_eq!(
                    original.status(),
                    200,
                    "{id}: a version without its original"
                );
                kept.push(true);
            }
            404 => kept.push(false),
            other => panic!("{id}: {other}"),
        }
    }
    let k = kept.iter().take_while(|k| **k).count();
    eprintln!(
        "backup during publishing: {k} of {} publications kept",
        published.len()
    );
    assert!(
        k > 0,
        "the backup came before any publication: nothing shown"
    );
    assert!(
        kept[k..].iter().all(|k| !k),
        "not a prefix of the commit order: {kept:?}"
    );
    assert!(
        k < published.len(),
        "the backup came after all {} publications",
        published.len()
    );
    // The feed holds exactly the kept publications' events, in order, no dangling one.
    let mut in_feed = Vec::new();
    let mut path = "/v1/feed?limit=100".to_owned();
    loop {
        let page = get_json(&restored, Cert::Zhejiang, &path).await;
        let events = page["events"].as_array().expect("events");
        if events.is_empty() {
            break;
        }
        in_feed.extend(
            events
                .iter()
                .filter_map(|e| e["announcement_id"].as_str())
                .filter(|id| published.iter().any(|p| p == id))
                .map(str::to_owned),
        );
        let cursor = page["next_cursor"].as_str().expect("cursor");
        path = format!("/v1/feed?limit=100&after={cursor}");
    }
    assert_eq!(in_feed, published[..k]);
}

async fn a_restored_backup_serves_everything_the_gateway_had(backend: Backend) {
    let app = spawn_source(backend).await;

    // Content: a correction by Shanghai (two versions of one notice), a new Jiangsu notice, a
    // certificate receipt, a newer trust list, Jiangsu's subscription and feed position.
    let correction = app
        .publish(
            Cert::Shanghai,
            tests::sample_announcement("shanghai", "02-construction-correction"),
        )
        .await;
    let first_feed = get_json(&app, Cert::Jiangsu, "/v1/feed?limit=2").await;
    let cursor = first_feed["next_cursor"]
        .as_str()
        .expect("cursor")
        .to_owned();
    let mut notice: Value = serde_json::from_slice(&tests::sample_announcement(
        "jiangsu",
        "01-construction-tender",
    ))
    .expect("json");
    notice["infoid"] = json!("JI-2026-0961");
    notice["noticeno"] = json!("JIZB2026-961");
    let new_notice = app
        .publish(Cert::Jiangsu, serde_json::to_vec(&notice).expect("json"))
        .await;
    let bidder = std::fs::read_to_string(tests::seeds().join("pki/bidders/zhejiang/valid.pem"))
        .expect("pem");
    let verdict = expect_json(
        app.client(Cert::Jiangsu)
            .post(app.api_url("/v1/certificates/verify"))
            .json(&json!({"certificate": bidder, "receipt": true}))
            .send()
            .await
            .expect("verify"),
        200,
    )
    .await;
    let receipt = verdict["receipt"]["id"]
        .as_str()
        .expect("receipt id")
        .to_owned();
    let installed = app
        .client(Cert::Operator)
        .put(app.api_url("/v1/admin/trust-list"))
        .header("content-type", "application/json")
        .body(tests::signed_demo_trust_list(3, |_| {}))
        .send()
        .await
        .expect("install");
    expect_json(installed, 201).await;
    let subscribed = app
        .client(Cert::Jiangsu)
        .put(app.api_url("/v1/subscriptions/self"))
        .json(&json!({"url": "http://127.0.0.1:9/hook", "secret": "backup-test-secret-0001"}))
        .send()
        .await
        .expect("subscribe");
    expect_json(subscribed, 201).await;

    let ids = [
        correction["id"].as_str().expect("id").to_owned(),
        new_notice["id"].as_str().expect("id").to_owned(),
    ];
    let receipts = [receipt];
    let before = observe(&app, &ids, &receipts, &cursor).await;
    assert_eq!(before.trust_list_sequence, 3);
    assert!(!before.feed_after_cursor.is_empty());
    let audit_before =
        get_json(&app, Cert::Operator, "/v1/admin/audit?limit=500").await["records"].clone();
    assert!(
        audit_before.as_array().is_some_and(|a| a.len() >= 4),
        "{audit_before}"
    );

    // Back up while the gateway runs, restore into an empty database, start a new gateway.
    let dir = tempfile::tempdir().expect("tmp");
    let (restored_url, _restored_db) = backup_and_restore(app.database_url(), dir.path());
    drop(app);
    let restored = TestApp::builder()
        .configure(move |s| s.database.url = Some(restored_url))
        .build()
        .await;

    let after = observe(&restored, &ids, &receipts, &cursor).await;
    assert_eq!(after, before, "the restored gateway serves something else");
    let audit_after =
        get_json(&restored, Cert::Operator, "/v1/admin/audit?limit=500").await["records"].clone();
    for record in audit_before.as_array().expect("records") {
        assert!(
            audit_after.as_array().expect("records").contains(record),
            "audit record lost: {record}"
        );
    }
    // The feed goes on after the restored events: a new publication comes after them.
    let mut next: Value = serde_json::from_slice(&tests::sample_announcement(
        "jiangsu",
        "01-construction-tender",
    ))
    .expect("json");
    next["infoid"] = json!("JI-2026-0962");
    next["noticeno"] = json!("JIZB2026-962");
    let later = restored
        .publish(Cert::Jiangsu, serde_json::to_vec(&next).expect("json"))
        .await;
    let feed = get_json(&restored, Cert::Zhejiang, "/v1/feed?limit=100").await;
    let order: Vec<&str> = feed["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["announcement_id"].as_str())
        .collect();
    let position = |id: &str| order.iter().rposition(|x| *x == id);
    assert!(
        position(later["id"].as_str().expect("id")) > position(&ids[1]),
        "new event not after the restored ones: {order:?}"
    );
    // The restored records are still immutable: the triggers came along.
    assert_audit_immutable(restored.database_url()).await;
}

async fn spawn_source(backend: Backend) -> TestApp {
    TestApp::builder()
        .backend(backend)
        .configure(|s| s.delivery.workers = 0)
        .build()
        .await
}

/// An UPDATE of an audit record is refused by the database's append-only trigger.
async fn assert_audit_immutable(url: &gateway::config::DatabaseUrl) {
    let url = url.clone();
    let refused = tokio::task::spawn_blocking(move || {
        let db =
            gateway::db::Database::connect(&url, &gateway::config::DatabaseSettings::default())
                .expect("connect");
        db.run_blocking(|conn| {
            use diesel::RunQueryDsl;
            Ok(diesel::sql_query("UPDATE audit_log SET actor = 'mallory'").execute(conn))
        })
        .expect("connection")
    })
    .await
    .expect("task");
    match refused {
        Err(e) => assert!(
            e.to_string().contains("append-only"),
            "not the trigger: {e}"
        ),
        Ok(n) => panic!("{n} audit records were changed"),
    }
}

/// `gateway retention` on `url` at `at`, with `config` as the configuration file's text.
fn retention(url: &str, at: &str, config: &str) -> (Option<i32>, Vec<Value>, String) {
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("gateway.toml");
    std::fs::write(&file, config).expect("config");
    let output = tests::run(
        tests::command(BIN)
            .args(["retention", "--database-url", url, "--at", at, "--config"])
            .arg(&file),
    );
    let lines = output
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    (output.code(), lines, output.stderr.clone())
}

async fn retention_report_counts_records_past_their_period(backend: Backend) {
    let app = spawn_source(backend).await;
    let bidder =
        std::fs::read_to_string(tests::seeds().join("pki/bidders/jiangsu/valid.pem")).expect("pem");
    let response = app
        .client(Cert::Zhejiang)
        .post(app.api_url("/v1/certificates/verify"))
        .json(&json!({"certificate": bidder, "receipt": true}))
        .send()
        .await
        .expect("verify");
    expect_json(response, 200).await;
    let url = match app.database_url() {
        gateway::config::DatabaseUrl::Sqlite(path) => format!("sqlite://{}", path.display()),
        gateway::config::DatabaseUrl::Postgres(url) => url.clone(),
    };
    let by_kind = |lines: &[Value]| -> Vec<(String, i64, i64)> {
        lines
            .iter()
            .map(|l| {
                (
                    l["kind"].as_str().expect("kind").to_owned(),
                    l["records"].as_i64().expect("records"),
                    l["past_period"].as_i64().expect("past"),
                )
            })
            .collect()
    };
    let now = time::OffsetDateTime::now_utc();
    let rfc3339 = |t: time::OffsetDateTime| {
        t.format(&time::format_description::well_known::Rfc3339)
            .expect("format")
    };
    let in_16_years = now
        .replace_year(now.year() + 16)
        .unwrap_or(now + time::Duration::days(16 * 366));

    // Today nothing has passed the default 15 years.
    let (code, today, stderr) = retention(&url, &rfc3339(now), "");
    assert_eq!(code, Some(0), "{stderr}");
    let today = by_kind(&today);
    assert_eq!(
        today.iter().map(|(k, _, _)| k.as_str()).collect::<Vec<_>>(),
        ["announcements", "audit", "receipts"]
    );
    for (kind, records, past) in &today {
        assert!(*records > 0, "{kind}: no records");
        assert_eq!(*past, 0, "{kind}");
    }
    // 16 years on, everything made now is past 15 years; audit records kept 30 years are not.
    let (code, later, stderr) = retention(
        &url,
        &rfc3339(in_16_years),
        "[retention]\naudit_years = 30\n",
    );
    assert_eq!(code, Some(0), "{stderr}");
    let later = by_kind(&later);
    for ((kind, records, past), (_, records_today, _)) in later.iter().zip(&today) {
        assert_eq!(records, records_today, "{kind}");
        let expected = if kind == "audit" { 0 } else { *records };
        assert_eq!(*past, expected, "{kind} 16 years on");
    }
    // Shorter than the law allows: refused, naming the setting.
    let (code, _, stderr) = retention(&url, &rfc3339(now), "[retention]\nreceipts_years = 10\n");
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("retention.receipts_years") && stderr.contains("15 years"),
        "{stderr}"
    );
}
