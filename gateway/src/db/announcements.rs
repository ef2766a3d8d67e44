//! The announcement store: notices, their immutable versions, and the feed in commit order.
//!
//! Everything a publication writes (notice, version with the original bytes, feed event, audit
//! record, idempotency key) is written by [`publish`] in one transaction. Feed sequence numbers come
//! from a single counter row updated inside that transaction: on PostgreSQL its row lock is held
//! until commit, so sequence order is commit order and a reader's cursor never skips an event.

use diesel::prelude::*;
use serde_json::json;

use super::schema::{feed_counter, feed_events, idempotency_keys, notice_versions, notices};
use super::{DbConnection, DbError, audit, now_text};

/// A validated document to store, with everything derived from it.
#[derive(Debug, Clone)]
pub struct NewDocument {
    /// The publishing platform (also the notice's owner).
    pub platform: String,
    /// The notice this document belongs to (its own id, or the original's for a new version).
    pub notice_source_id: String,
    /// This document's own source id.
    pub document_id: String,
    /// Whether this document is a new version of an existing notice.
    pub is_version: bool,
    /// Whether it ends the procedure (termination).
    pub terminates: bool,
    /// Notice kind (`tender`, `correction`, ...).
    pub kind: String,
    /// Trade category.
    pub category: String,
    /// Project region code.
    pub region: String,
    /// Tender project code.
    pub project_code: String,
    /// Title.
    pub title: String,
    /// Printed notice number.
    pub notice_number: Option<String>,
    /// Publication time from the document, RFC 3339.
    pub published_at: String,
    /// The canonical announcement as JSON.
    pub canonical: String,
    /// SHA-256 of `canonical` (what "the same content" means).
    pub canonical_sha256: String,
    /// The bytes as sent.
    pub original: Vec<u8>,
    /// Their media type.
    pub original_content_type: String,
    /// SHA-256 of `original`.
    pub original_sha256: String,
    /// The request that carried it.
    pub request_id: String,
    /// `Idempotency-Key` header, if sent.
    pub idempotency_key: Option<String>,
}

/// What publishing a document did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Published {
    /// A new notice with its first version.
    Created {
        /// Gateway id of the notice.
        id: String,
        /// Always 1.
        version: i32,
    },
    /// A new version of an existing notice.
    Versioned {
        /// Gateway id of the notice.
        id: String,
        /// The new version number.
        version: i32,
    },
    /// The same content was stored already (or the idempotency key was seen with this request).
    Unchanged {
        /// Gateway id of the notice.
        id: String,
        /// The version that holds it.
        version: i32,
    },
    /// Different content under a document id that is stored already.
    Conflict {
        /// Gateway id of the notice.
        id: String,
        /// The stored version with that document id.
        version: i32,
    },
    /// A new version of a notice the gateway does not have.
    UnknownOriginal,
    /// A new version of a terminated notice.
    Terminated {
        /// Gateway id of the notice.
        id: String,
    },
    /// The idempotency key was used before with a different request.
    KeyReused {
        /// The notice the key belongs to.
        id: String,
        /// Its version.
        version: i32,
    },
}

/// A notice as listed and searched.
#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = notices)]
pub struct NoticeRow {
    /// Gateway id.
    pub id: String,
    /// Owner.
    pub source_platform: String,
    /// The owner's id of the notice.
    pub source_notice_id: String,
    /// Kind of the first version.
    pub kind: String,
    /// Trade category.
    pub category: String,
    /// Project region code.
    pub region: String,
    /// Tender project code.
    pub project_code: String,
    /// Title of the current version.
    pub title: String,
    /// Printed number.
    pub notice_number: Option<String>,
    /// `active` or `terminated`.
    pub status: String,
    /// The newest version.
    pub current_version: i32,
    /// First publication time (from the document).
    pub published_at: String,
    /// Feed sequence of its creation (the search cursor).
    pub first_seq: i64,
    /// Stored at.
    pub created_at: String,
    /// Last changed at.
    pub updated_at: String,
}

/// One stored version.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = notice_versions)]
pub struct VersionRow {
    /// Gateway id of the notice.
    pub notice_id: String,
    /// Version number.
    pub version: i32,
    /// The document's own source id.
    pub document_id: String,
    /// Its kind.
    pub kind: String,
    /// Canonical JSON.
    pub canonical: String,
    /// SHA-256 of the canonical JSON.
    pub canonical_sha256: String,
    /// The bytes as sent.
    pub original: Vec<u8>,
    /// Their media type.
    pub original_content_type: String,
    /// SHA-256 of the bytes.
    pub original_sha256: String,
    /// The request that stored it.
    pub request_id: String,
    /// Stored at.
    pub created_at: String,
}

/// A feed event with the version it announces.
#[derive(Debug, Clone, Queryable)]
pub struct FeedItem {
    /// Commit-order sequence (the cursor).
    pub seq: i64,
    /// Stable id for receivers to drop duplicates.
    pub event_id: String,
    /// `notice.published` or `notice.versioned`.
    pub event_type: String,
    /// Gateway id of the notice.
    pub notice_id: String,
    /// The version announced.
    pub version: i32,
    /// Publishing platform.
    pub source_platform: String,
    /// Commit time.
    pub committed_at: String,
    /// The version's canonical JSON.
    pub canonical: String,
}

fn is_retryable(e: &DbError) -> bool {
    use diesel::result::{DatabaseErrorKind, Error};
    matches!(
        e,
        DbError::Query(Error::DatabaseError(
            DatabaseErrorKind::UniqueViolation | DatabaseErrorKind::SerializationFailure,
            _
        ))
    )
}

/// Stores a document: a new notice, a new version, or nothing when it is stored already.
///
/// Concurrent publications of the same notice race on unique keys; the loser retries and then
/// sees the winner's row.
pub fn publish(conn: &mut DbConnection, doc: &NewDocument) -> Result<Published, DbError> {
    let mut attempts = 0;
    loop {
        attempts += 1;
        match super::write_transaction(conn, |conn| publish_once(conn, doc)) {
            Err(e) if attempts < 5 && is_retryable(&e) => continue,
            other => return other,
        }
    }
}

fn publish_once(conn: &mut DbConnection, doc: &NewDocument) -> Result<Published, DbError> {
    if let Some(key) = &doc.idempotency_key {
        let seen: Option<(String, String, i32)> = idempotency_keys::table
            .find((&doc.platform, key))
            .select((
                idempotency_keys::request_sha256,
                idempotency_keys::notice_id,
                idempotency_keys::version,
            ))
            .first(conn)
            .optional()?;
        if let Some((request_sha256, id, version)) = seen {
            return Ok(if request_sha256 == doc.original_sha256 {
                Published::Unchanged { id, version }
            } else {
                Published::KeyReused { id, version }
            });
        }
    }

    let existing: Option<NoticeRow> = notices::table
        .filter(notices::source_platform.eq(&doc.platform))
        .filter(notices::source_notice_id.eq(&doc.notice_source_id))
        .select(NoticeRow::as_select())
        .first(conn)
        .optional()?;

    if let Some(notice) = &existing {
        let same_document: Option<(i32, String)> = notice_versions::table
            .filter(notice_versions::notice_id.eq(&notice.id))
            .filter(notice_versions::document_id.eq(&doc.document_id))
            .select((notice_versions::version, notice_versions::canonical_sha256))
            .first(conn)
            .optional()?;
        if let Some((version, sha)) = same_document {
            if sha != doc.canonical_sha256 {
                // Not remembered under the idempotency key: a replay is refused the same way.
                return Ok(Published::Conflict {
                    id: notice.id.clone(),
                    version,
                });
            }
            remember_key(conn, doc, &notice.id, version)?;
            return Ok(Published::Unchanged {
                id: notice.id.clone(),
                version,
            });
        }
    }

    let outcome = match (existing, doc.is_version) {
        (None, true) => return Ok(Published::UnknownOriginal),
        (Some(notice), false) => {
            // A new notice whose id is taken by a notice of other content.
            return Ok(Published::Conflict {
                id: notice.id,
                version: 1,
            });
        }
        (Some(notice), true) if notice.status == "terminated" => {
            return Ok(Published::Terminated { id: notice.id });
        }
        (None, false) => {
            let id = uuid::Uuid::now_v7().to_string();
            let seq = next_seq(conn)?;
            let now = now_text();
            diesel::insert_into(notices::table)
                .values((
                    notices::id.eq(&id),
                    notices::source_platform.eq(&doc.platform),
                    notices::source_notice_id.eq(&doc.notice_source_id),
                    notices::kind.eq(&doc.kind),
                    notices::category.eq(&doc.category),
                    notices::region.eq(&doc.region),
                    notices::project_code.eq(&doc.project_code),
                    notices::title.eq(&doc.title),
                    notices::notice_number.eq(&doc.notice_number),
                    notices::status.eq(if doc.terminates {
                        "terminated"
                    } else {
                        "active"
                    }),
                    notices::current_version.eq(1),
                    notices::published_at.eq(&doc.published_at),
                    notices::first_seq.eq(seq),
                    notices::created_at.eq(&now),
                    notices::updated_at.eq(&now),
                ))
                .execute(conn)?;
            insert_version(conn, doc, &id, 1, seq, "notice.published")?;
            Published::Created { id, version: 1 }
        }
        (Some(notice), true) => {
            let version = notice.current_version + 1;
            let seq = next_seq(conn)?;
            insert_version(conn, doc, &notice.id, version, seq, "notice.versioned")?;
            diesel::update(notices::table.find(&notice.id))
                .set((
                    notices::current_version.eq(version),
                    notices::title.eq(&doc.title),
                    notices::status.eq(if doc.terminates {
                        "terminated"
                    } else {
                        "active"
                    }),
                    notices::updated_at.eq(now_text()),
                ))
                .execute(conn)?;
            Published::Versioned {
                id: notice.id,
                version,
            }
        }
    };
    let (id, version) = match &outcome {
        Published::Created { id, version } | Published::Versioned { id, version } => {
            (id.clone(), *version)
        }
        _ => unreachable!("only stored outcomes reach here"),
    };
    remember_key(conn, doc, &id, version)?;
    audit::append(
        conn,
        &audit::AuditEntry {
            actor: &doc.platform,
            action: if version == 1 {
                "announcement.publish"
            } else {
                "announcement.version"
            },
            subject: &format!("announcement:{id}"),
            request_id: &doc.request_id,
            content_sha256: Some(&doc.original_sha256),
            detail: json!({
                "version": version,
                "kind": doc.kind,
                "source_notice_id": doc.notice_source_id,
                "document_id": doc.document_id,
                "canonical_sha256": doc.canonical_sha256,
            }),
        },
    )?;
    Ok(outcome)
}

fn remember_key(
    conn: &mut DbConnection,
    doc: &NewDocument,
    id: &str,
    version: i32,
) -> Result<(), DbError> {
    if let Some(key) = &doc.idempotency_key {
        diesel::insert_into(idempotency_keys::table)
            .values((
                idempotency_keys::platform_id.eq(&doc.platform),
                idempotency_keys::idem_key.eq(key),
                idempotency_keys::request_sha256.eq(&doc.original_sha256),
                idempotency_keys::notice_id.eq(id),
                idempotency_keys::version.eq(version),
                idempotency_keys::created_at.eq(now_text()),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Takes the next feed sequence number; the counter row stays locked until commit.
fn next_seq(conn: &mut DbConnection) -> Result<i64, DbError> {
    diesel::update(feed_counter::table.find(1))
        .set(feed_counter::last_seq.eq(feed_counter::last_seq + 1))
        .execute(conn)?;
    Ok(feed_counter::table
        .find(1)
        .select(feed_counter::last_seq)
        .first(conn)?)
}

fn insert_version(
    conn: &mut DbConnection,
    doc: &NewDocument,
    id: &str,
    version: i32,
    seq: i64,
    event_type: &str,
) -> Result<(), DbError> {
    let now = now_text();
    diesel::insert_into(notice_versions::table)
        .values((
            notice_versions::notice_id.eq(id),
            notice_versions::version.eq(version),
            notice_versions::document_id.eq(&doc.document_id),
            notice_versions::kind.eq(&doc.kind),
            notice_versions::canonical.eq(&doc.canonical),
            notice_versions::canonical_sha256.eq(&doc.canonical_sha256),
            notice_versions::original.eq(&doc.original),
            notice_versions::original_content_type.eq(&doc.original_content_type),
            notice_versions::original_sha256.eq(&doc.original_sha256),
            notice_versions::request_id.eq(&doc.request_id),
            notice_versions::created_at.eq(&now),
        ))
        .execute(conn)?;
    diesel::insert_into(feed_events::table)
        .values((
            feed_events::seq.eq(seq),
            feed_events::event_id.eq(uuid::Uuid::now_v7().to_string()),
            feed_events::event_type.eq(event_type),
            feed_events::notice_id.eq(id),
            feed_events::version.eq(version),
            feed_events::source_platform.eq(&doc.platform),
            feed_events::committed_at.eq(&now),
        ))
        .execute(conn)?;
    super::deliveries::enqueue(
        conn,
        seq,
        &doc.platform,
        &doc.kind,
        &doc.category,
        &doc.region,
        &now,
    )?;
    Ok(())
}

/// One notice by gateway id.
pub fn find_notice(conn: &mut DbConnection, id: &str) -> Result<Option<NoticeRow>, DbError> {
    Ok(notices::table
        .find(id)
        .select(NoticeRow::as_select())
        .first(conn)
        .optional()?)
}

/// One version of a notice.
pub fn find_version(
    conn: &mut DbConnection,
    id: &str,
    version: i32,
) -> Result<Option<VersionRow>, DbError> {
    Ok(notice_versions::table
        .find((id, version))
        .select(VersionRow::as_select())
        .first(conn)
        .optional()?)
}

/// A version without its document bodies.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = notice_versions)]
pub struct VersionSummary {
    /// Version number.
    pub version: i32,
    /// The document's own source id.
    pub document_id: String,
    /// Its kind.
    pub kind: String,
    /// SHA-256 of the canonical JSON.
    pub canonical_sha256: String,
    /// SHA-256 of the original bytes.
    pub original_sha256: String,
    /// Stored at.
    pub created_at: String,
}

/// Every version of a notice, oldest first, without the document bodies.
pub fn list_versions(conn: &mut DbConnection, id: &str) -> Result<Vec<VersionSummary>, DbError> {
    Ok(notice_versions::table
        .filter(notice_versions::notice_id.eq(id))
        .order(notice_versions::version.asc())
        .select(VersionSummary::as_select())
        .load(conn)?)
}

/// Filters of the announcement search.
#[derive(Debug, Clone, Default)]
pub struct Search {
    /// Project region code.
    pub region: Option<String>,
    /// Trade category.
    pub category: Option<String>,
    /// Notice kind (of the first version).
    pub kind: Option<String>,
    /// Publishing platform.
    pub source: Option<String>,
    /// Published at or after (RFC 3339, compared as stored).
    pub published_after: Option<String>,
    /// Substring of the title, project code, source id or notice number.
    pub q: Option<String>,
    /// Only notices created before this feed sequence (the page cursor).
    pub before_seq: Option<i64>,
    /// Page size.
    pub limit: i64,
}

diesel::define_sql_function! {
    /// SQL `lower()` on text.
    fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

diesel::define_sql_function! {
    /// SQL `lower()` on nullable text.
    #[sql_name = "lower"]
    fn lower_nullable(x: diesel::sql_types::Nullable<diesel::sql_types::Text>) -> diesel::sql_types::Nullable<diesel::sql_types::Text>;
}

/// A `LIKE` pattern for a case-insensitive substring match (the same on both backends: SQLite's
/// `LIKE` ignores ASCII case, PostgreSQL's does not, so both sides are lowered).
fn like_pattern(q: &str) -> String {
    let escaped = q
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// Notices matching the filters, newest first.
pub fn search(conn: &mut DbConnection, s: &Search) -> Result<Vec<NoticeRow>, DbError> {
    let mut query = notices::table
        .select(NoticeRow::as_select())
        .order(notices::first_seq.desc())
        .limit(s.limit)
        .into_boxed();
    if let Some(v) = &s.region {
        query = query.filter(notices::region.eq(v.clone()));
    }
    if let Some(v) = &s.category {
        query = query.filter(notices::category.eq(v.clone()));
    }
    if let Some(v) = &s.kind {
        query = query.filter(notices::kind.eq(v.clone()));
    }
    if let Some(v) = &s.source {
        query = query.filter(notices::source_platform.eq(v.clone()));
    }
    if let Some(v) = &s.published_after {
        query = query.filter(notices::published_at.ge(v.clone()));
    }
    if let Some(seq) = s.before_seq {
        query = query.filter(notices::first_seq.lt(seq));
    }
    if let Some(q) = &s.q {
        let p = like_pattern(q);
        query = query.filter(
            lower(notices::title)
                .like(p.clone())
                .escape('\\')
                .or(lower(notices::project_code).like(p.clone()).escape('\\'))
                .or(lower(notices::source_notice_id)
                    .like(p.clone())
                    .escape('\\'))
                .or(lower_nullable(notices::notice_number).like(p).escape('\\')),
        );
    }
    Ok(query.load(conn)?)
}

/// One feed event with its version's canonical JSON.
pub fn feed_item(conn: &mut DbConnection, seq: i64) -> Result<Option<FeedItem>, DbError> {
    Ok(feed_events::table
        .inner_join(
            notice_versions::table.on(notice_versions::notice_id
                .eq(feed_events::notice_id)
                .and(notice_versions::version.eq(feed_events::version))),
        )
        .filter(feed_events::seq.eq(seq))
        .select((
            feed_events::seq,
            feed_events::event_id,
            feed_events::event_type,
            feed_events::notice_id,
            feed_events::version,
            feed_events::source_platform,
            feed_events::committed_at,
            notice_versions::canonical,
        ))
        .first::<FeedItem>(conn)
        .optional()?)
}

/// Feed events after `after`, in commit order, excluding those published by `exclude_source`.
pub fn feed(
    conn: &mut DbConnection,
    after: i64,
    limit: i64,
    exclude_source: Option<&str>,
) -> Result<Vec<FeedItem>, DbError> {
    let mut query = feed_events::table
        .inner_join(
            notice_versions::table.on(notice_versions::notice_id
                .eq(feed_events::notice_id)
                .and(notice_versions::version.eq(feed_events::version))),
        )
        .filter(feed_events::seq.gt(after))
        .order(feed_events::seq.asc())
        .limit(limit)
        .select((
            feed_events::seq,
            feed_events::event_id,
            feed_events::event_type,
            feed_events::notice_id,
            feed_events::version,
            feed_events::source_platform,
            feed_events::committed_at,
            notice_versions::canonical,
        ))
        .into_boxed();
    if let Some(source) = exclude_source {
        query = query.filter(feed_events::source_platform.ne(source.to_owned()));
    }
    Ok(query.load::<FeedItem>(conn)?)
}
