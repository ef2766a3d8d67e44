//! Turning a platform's document into what the store keeps: validate, translate to canonical,
//! check that every other province's format can carry it, derive identity and hashes.
//!
//! Shared by `POST /v1/announcements` and the demo seeding, so both store exactly the same way.

use interchange::{Announcement, Dialect, Finding, NoticeKind};
use sha2::{Digest, Sha256};

use crate::db::announcements::NewDocument;
use crate::db::timestamp_text;
use crate::http::AppState;
use crate::problem::ApiError;
use crate::registry::PlatformId;

/// A document ready to store.
#[derive(Debug)]
pub struct Prepared {
    /// The canonical announcement.
    pub announcement: Announcement,
    /// What the store writes.
    pub document: NewDocument,
    /// Validation warnings (the document is accepted).
    pub warnings: Vec<Finding>,
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Validates `body` in the publisher's `dialect` and prepares it for the store.
///
/// Refuses a document that names another platform as its source, and one that some other
/// province's format could not carry (so every province can always receive what is stored).
pub fn prepare(
    state: &AppState,
    publisher: &PlatformId,
    dialect: Dialect,
    body: &[u8],
    request_id: String,
    idempotency_key: Option<String>,
) -> Result<Prepared, ApiError> {
    let translated =
        crate::routes::interchange::translate_observed(state, dialect, Dialect::Canonical, body)?;
    let canonical = translated.bytes;
    let ann: Announcement = serde_json::from_slice(&canonical)
        .map_err(|e| ApiError::Internal(format!("canonical output does not read back: {e}")))?;
    if ann.source.platform.as_str() != publisher.as_str() {
        return Err(ApiError::ActingForAnother {
            caller: publisher.to_string(),
            declared: ann.source.platform.as_str().to_owned(),
        });
    }
    interchange::check_translatable(&ann, &state.tables)?;
    let identity = ann.identity();
    let document = NewDocument {
        platform: publisher.to_string(),
        notice_source_id: identity.notice_id,
        document_id: ann.source.notice_id.clone(),
        is_version: ann.kind.is_version() && ann.original.is_some(),
        terminates: ann.kind == NoticeKind::Termination,
        kind: ann.kind.as_str().to_owned(),
        category: ann.category.as_str().to_owned(),
        region: format!("{:06}", ann.region.value()),
        project_code: ann.project.code.clone(),
        title: ann.title.clone(),
        notice_number: ann.notice_number.clone(),
        published_at: timestamp_text(ann.times.published),
        canonical_sha256: sha256_hex(&canonical),
        canonical: String::from_utf8(canonical)
            .map_err(|e| ApiError::Internal(format!("canonical output is not UTF-8: {e}")))?,
        original_sha256: sha256_hex(body),
        original: body.to_vec(),
        original_content_type: dialect.content_type().to_owned(),
        request_id,
        idempotency_key,
    };
    Ok(Prepared {
        announcement: ann,
        document,
        warnings: translated.warnings,
    })
}

/// Renders a stored version's canonical JSON in `format`. Publishing checked that every format can
/// carry it, so a failure here is a defect, reported as an internal error.
pub fn render_stored(
    state: &AppState,
    canonical: &str,
    format: Dialect,
) -> Result<Vec<u8>, ApiError> {
    let ann: Announcement = serde_json::from_str(canonical)
        .map_err(|e| ApiError::Internal(format!("stored canonical JSON does not read: {e}")))?;
    interchange::render(&ann, format, &state.tables).map_err(|f| {
        ApiError::Internal(format!(
            "a stored announcement does not render as {format}: {}",
            f.0.first().map_or("", |x| x.message_en.as_str())
        ))
    })
}

/// An event as the feed and webhooks carry it, with the document rendered in `format` (JSON for
/// JSON dialects, a string for XML).
pub fn event_json(
    state: &AppState,
    item: &crate::db::announcements::FeedItem,
    format: Dialect,
) -> Result<serde_json::Value, ApiError> {
    let bytes = render_stored(state, &item.canonical, format)?;
    let document = if format == Dialect::Shanghai {
        serde_json::Value::String(String::from_utf8_lossy(&bytes).into_owned())
    } else {
        serde_json::from_slice(&bytes)
            .map_err(|e| ApiError::Internal(format!("rendered JSON does not read: {e}")))?
    };
    Ok(serde_json::json!({
        "cursor": item.seq.to_string(),
        "event_id": item.event_id,
        "type": item.event_type,
        "announcement_id": item.notice_id,
        "version": item.version,
        "source": item.source_platform,
        "committed_at": item.committed_at,
        "format": format.name(),
        "document": document,
    }))
}
