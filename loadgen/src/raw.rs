//! The baseline: the same inserts straight through `gateway::db::announcements::publish`, without
//! HTTP, TLS or translation. Documents are prepared (validated, translated, hashed) before the
//! clock starts.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use anyhow::{Context, Result};
use gateway::db::Database;
use gateway::db::announcements::{NewDocument, Published, publish};
use gateway::http::AppState;
use gateway::registry::PlatformId;
use interchange::Dialect;

use crate::load::LoadResult;

/// Prepares Jiangsu `bodies` for the store exactly as `POST /v1/announcements` does for
/// `platform` (`gateway::exchange::prepare`: validate, translate to canonical, check that every
/// province's format can carry it, identity and hashes).
pub(crate) fn prepare(
    state: &AppState,
    platform: &str,
    bodies: &[Vec<u8>],
) -> Result<Vec<NewDocument>> {
    let publisher: PlatformId = platform
        .parse()
        .map_err(|e: String| anyhow::anyhow!("platform id: {e}"))?;
    bodies
        .iter()
        .enumerate()
        .map(|(i, body)| {
            gateway::exchange::prepare(
                state,
                &publisher,
                Dialect::Jiangsu,
                body,
                format!("loadgen-raw-{i}"),
                None,
            )
            .map(|prepared| prepared.document)
            .map_err(|e| anyhow::anyhow!("document {i} is refused: {e}"))
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
        let instance = crate::server::Instance::build(&crate::server::Options {
            backend: crate::server::Backend::Sqlite,
            postgres_url: None,
            workers: 1,
            pool_size: 2,
            no_sync: false,
            sqlite_normal_sync: false,
        })
        .expect("gateway");
        let state = instance.app.state();
        let bodies = crate::documents::jiangsu_tenders("t", "M", 2).expect("generated");
        let docs = prepare(state, "jiangsu", &bodies).expect("prepared");
        assert_eq!(docs[0].notice_source_id, "BENCH-t-M000000");
        assert_eq!(docs[1].document_id, "BENCH-t-M000001");
        assert!(!docs[0].is_version);
        assert_eq!(docs[0].kind, "tender");
        assert_eq!(docs[0].original_content_type, "application/json");
        assert_ne!(docs[0].canonical_sha256, docs[1].canonical_sha256);
        assert!(
            prepare(state, "shanghai", &bodies).is_err(),
            "Jiangsu's documents are Jiangsu's"
        );
    }
}
