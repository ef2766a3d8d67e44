//! The append-only audit log: who changed what, when, in which request.

use diesel::prelude::*;
use serde::Serialize;

use super::schema::audit_log;
use super::{DbConnection, DbError, now_text};

/// One state change to record.
#[derive(Debug, Clone)]
pub struct AuditEntry<'a> {
    /// The caller's id (platform or operator), or `cli` for command-line operations.
    pub actor: &'a str,
    /// What was done, e.g. `platform.suspend`.
    pub action: &'a str,
    /// What it was done to, e.g. `platform:jiangsu`.
    pub subject: &'a str,
    /// The request id (`x-request-id`), or a generated id for CLI operations.
    pub request_id: &'a str,
    /// SHA-256 (hex) of the content submitted, when there was content.
    pub content_sha256: Option<&'a str>,
    /// Further facts as JSON (e.g. the previous and new values).
    pub detail: serde_json::Value,
}

/// A stored audit record.
#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = audit_log)]
pub struct AuditRecord {
    /// Sequence number.
    pub id: i64,
    /// When, RFC 3339 UTC.
    pub at: String,
    /// Who.
    pub actor: String,
    /// What.
    pub action: String,
    /// To what.
    pub subject: String,
    /// In which request.
    pub request_id: String,
    /// Hash of the submitted content.
    pub content_sha256: Option<String>,
    /// Further facts (JSON text).
    pub detail: String,
}

/// Appends an entry; call it inside the transaction that makes the change.
pub fn append(conn: &mut DbConnection, entry: &AuditEntry<'_>) -> Result<(), DbError> {
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::at.eq(now_text()),
            audit_log::actor.eq(entry.actor),
            audit_log::action.eq(entry.action),
            audit_log::subject.eq(entry.subject),
            audit_log::request_id.eq(entry.request_id),
            audit_log::content_sha256.eq(entry.content_sha256),
            audit_log::detail.eq(entry.detail.to_string()),
        ))
        .execute(conn)?;
    Ok(())
}

/// The most recent records, newest first, optionally for one subject.
pub fn recent(
    conn: &mut DbConnection,
    subject: Option<&str>,
    limit: i64,
) -> Result<Vec<AuditRecord>, DbError> {
    let mut query = audit_log::table
        .select(AuditRecord::as_select())
        .order(audit_log::id.desc())
        .limit(limit)
        .into_boxed();
    if let Some(subject) = subject {
        query = query.filter(audit_log::subject.eq(subject.to_owned()));
    }
    Ok(query.load(conn)?)
}
