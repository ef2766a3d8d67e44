//! Signed verification receipts in the database: written once, read by id, never changed.

use diesel::prelude::*;

use super::schema::receipts;
use super::{DbConnection, DbError, audit, now_text};

/// A receipt to store.
#[derive(Debug, Clone)]
pub struct NewReceipt<'a> {
    /// Its id (also inside the signed payload).
    pub id: &'a str,
    /// The platform that asked for the verification.
    pub platform_id: &'a str,
    /// `certificate` or `signature`.
    pub kind: &'a str,
    /// The verdict.
    pub valid: bool,
    /// The compact JWS.
    pub jws: &'a str,
    /// SHA-256 (hex) of the signed payload.
    pub payload_sha256: &'a str,
    /// The request it was issued in.
    pub request_id: &'a str,
}

/// Stores a receipt with its audit record, in one transaction.
pub fn insert(conn: &mut DbConnection, r: &NewReceipt<'_>) -> Result<(), DbError> {
    super::write_transaction(conn, |conn| {
        diesel::insert_into(receipts::table)
            .values((
                receipts::id.eq(r.id),
                receipts::created_at.eq(now_text()),
                receipts::platform_id.eq(r.platform_id),
                receipts::kind.eq(r.kind),
                receipts::valid.eq(r.valid),
                receipts::jws.eq(r.jws),
                receipts::payload_sha256.eq(r.payload_sha256),
            ))
            .execute(conn)?;
        audit::append(
            conn,
            &audit::AuditEntry {
                actor: r.platform_id,
                action: "receipt.issue",
                subject: &format!("receipt:{}", r.id),
                request_id: r.request_id,
                content_sha256: Some(r.payload_sha256),
                detail: serde_json::json!({"kind": r.kind, "valid": r.valid}),
            },
        )
    })
}

/// A receipt's requesting platform and compact JWS.
pub fn find(conn: &mut DbConnection, id: &str) -> Result<Option<(String, String)>, DbError> {
    Ok(receipts::table
        .find(id)
        .select((receipts::platform_id, receipts::jws))
        .first(conn)
        .optional()?)
}
