//! The baseline: the same inserts straight through `gateway::db::announcements::publish`, without
//! HTTP, TLS or translation. Documents are prepared (validated, translated, hashed) before the
//! clock starts.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use anyhow::{Context, Result};
use gateway::db::Database;
use gateway::db::announcements::{NewDocument, Published, publish};
use interchange::{Announcement, Dialect, Findings, NoticeKind, Tables, ValidationPolicy};
use sha2::{Digest, Sha256};

use crate::load::LoadResult;

/// Prepares Jiangsu `bodies` for the store as `POST /v1/announcements` does for `platform`.
///
/// The same steps as `gateway::exchange::prepare` (validate and translate to canonical, check that
/// every province's format can carry it, identity and hashes). That function takes the running
/// application's `AppState`, which a built `Application` does not expose; once it does
/// (`Application::state()`), call it instead of this mirror.
pub(crate) fn prepare(platform: &str, bodies: &[Vec<u8>]) -> Result<Vec<NewDocument>> {
    let tables = Tables::builtin().context("code tables")?;
    let policy: ValidationPolicy = gateway::config::ValidationSettings::default().policy();
    let first = |f: Findings| {
        f.0.first()
            .map_or_else(String::new, |x| x.message_en.clone())
    };
    let sha256 = |bytes: &[u8]| hex::encode(Sha256::digest(bytes));
    bodies
        .iter()
        .enumerate()
        .map(|(i, body)| {
            let canonical = interchange::translate(
                Dialect::Jiangsu,
                Dialect::Canonical,
                body,
                &tables,
                &policy,
            )
            .map_err(|f| anyhow::anyhow!("document {i} is invalid: {}", first(f)))?
            .bytes;
            let ann: Announcement =
                serde_json::from_slice(&canonical).context("canonical JSON does not read back")?;
            anyhow::ensure!(
                ann.source.platform.as_str() == platform,
                "document {i} names another platform as its source"
            );
            interchange::check_translatable(&ann, &tables)
                .map_err(|f| anyhow::anyhow!("document {i} is not translatable: {}", first(f)))?;
            Ok(NewDocument {
                platform: platform.to_owned(),
                notice_source_id: ann.identity().notice_id,
                document_id: ann.source.notice_id.clone(),
                is_version: ann.kind.is_version() && ann.original.is_some(),
                terminates: ann.kind == NoticeKind::Termination,
                kind: ann.kind.as_str().to_owned(),
                category: ann.category.as_str().to_owned(),
                region: format!("{:06}", ann.region.value()),
                project_code: ann.project.code.clone(),
                title: ann.title.clone(),
                notice_number: ann.notice_number.clone(),
                published_at: gateway::db::timestamp_text(ann.times.published),
                canonical_sha256: sha256(&canonical),
                canonical: String::from_utf8(canonical).context("canonical JSON is not UTF-8")?,
                original_sha256: sha256(body),
                original: body.clone(),
                original_content_type: Dialect::Jiangsu.content_type().to_owned(),
                request_id: format!("loadgen-raw-{i}"),
                idempotency_key: None,
            })
        })
        .collect()
}

/// Publishes one document, timing it; anything but a new notice is a failure.
fn publish_timed(
    conn: &mut gateway::db::DbConnection,
    i: usize,
    doc: &NewDocument,
    out: &mut LoadResult,
) {
    let started = Instant::now();
    let outcome = publish(conn, doc);
    let ms = started.elapsed().as_millis();
    match outcome {
        Ok(Published::Created { .. }) => out.latencies.push(started.elapsed()),
        Ok(other) => out
            .failures
            .push(format!("insert {i}: after {ms} ms: {other:?}")),
        Err(e) => out.failures.push(format!("insert {i}: after {ms} ms: {e}")),
    }
}

/// Publishes every document in order on one pooled connection held throughout.
pub(crate) fn sequential(db: &Database, docs: &[NewDocument]) -> Result<LoadResult> {
    let mut out = LoadResult::default();
    let started = Instant::now();
    db.run_blocking(|conn| {
        for (i, doc) in docs.iter().enumerate() {
            publish_timed(conn, i, doc, &mut out);
        }
        Ok(())
    })
    .context("no database connection")?;
    out.elapsed = started.elapsed();
    Ok(out)
}

/// Publishes every document from `threads` threads, each taking a pooled connection per insert
/// (as a request handler does).
pub(crate) fn pooled(db: &Database, docs: &[NewDocument], threads: usize) -> Result<LoadResult> {
    let next = AtomicUsize::new(0);
    let all = Mutex::new(LoadResult::default());
    let started = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..threads.max(1) {
            scope.spawn(|| {
                let mut part = LoadResult::default();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(doc) = docs.get(i) else { break };
                    let got = db.run_blocking(|conn| {
                        publish_timed(conn, i, doc, &mut part);
                        Ok(())
                    });
                    if let Err(e) = got {
                        part.failures.push(format!("insert {i}: {e}"));
                    }
                }
                if let Ok(mut all) = all.lock() {
                    all.latencies.extend(part.latencies);
                    all.failures.extend(part.failures);
                }
            });
        }
    });
    let mut out = all
        .into_inner()
        .map_err(|_| anyhow::anyhow!("a baseline thread panicked"))?;
    out.elapsed = started.elapsed();
    Ok(out)
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn documents_prepare_as_new_notices() {
        let bodies = crate::documents::jiangsu_tenders("t", "M", 2).expect("generated");
        let docs = prepare("jiangsu", &bodies).expect("prepared");
        assert_eq!(docs[0].notice_source_id, "BENCH-t-M000000");
        assert_eq!(docs[1].document_id, "BENCH-t-M000001");
        assert!(!docs[0].is_version);
        assert_eq!(docs[0].kind, "tender");
        assert_eq!(docs[0].original_content_type, "application/json");
        assert_ne!(docs[0].canonical_sha256, docs[1].canonical_sha256);
        assert!(
            prepare("shanghai", &bodies).is_err(),
            "Jiangsu's documents are Jiangsu's"
        );
    }
}
