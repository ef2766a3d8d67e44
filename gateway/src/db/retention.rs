//! Counts for the retention report: records per kind, those created before a cut-off, the oldest.

use diesel::dsl::{count_star, min};
use diesel::prelude::*;

use super::schema::{audit_log, notice_versions, receipts};
use super::{DbConnection, DbError};

/// Where one kind of record stands against a cut-off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counts {
    /// Records of the kind.
    pub records: i64,
    /// Records created before the cut-off.
    pub before_cutoff: i64,
    /// The oldest record's creation time (as stored: RFC 3339 UTC), if any.
    pub oldest: Option<String>,
}

/// Announcement versions (each with its original bytes).
pub fn announcement_versions(conn: &mut DbConnection, cutoff: &str) -> Result<Counts, DbError> {
    Ok(Counts {
        records: notice_versions::table.select(count_star()).first(conn)?,
        before_cutoff: notice_versions::table
            .filter(notice_versions::created_at.lt(cutoff))
            .select(count_star())
            .first(conn)?,
        oldest: notice_versions::table
            .select(min(notice_versions::created_at))
            .first(conn)?,
    })
}

/// Audit records.
pub fn audit_records(conn: &mut DbConnection, cutoff: &str) -> Result<Counts, DbError> {
    Ok(Counts {
        records: audit_log::table.select(count_star()).first(conn)?,
        before_cutoff: audit_log::table
            .filter(audit_log::at.lt(cutoff))
            .select(count_star())
            .first(conn)?,
        oldest: audit_log::table.select(min(audit_log::at)).first(conn)?,
    })
}

/// Verification receipts.
pub fn receipts(conn: &mut DbConnection, cutoff: &str) -> Result<Counts, DbError> {
    Ok(Counts {
        records: receipts::table.select(count_star()).first(conn)?,
        before_cutoff: receipts::table
            .filter(receipts::created_at.lt(cutoff))
            .select(count_star())
            .first(conn)?,
        oldest: receipts::table
            .select(min(receipts::created_at))
            .first(conn)?,
    })
}
