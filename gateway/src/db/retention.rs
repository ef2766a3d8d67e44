//! Counts for the retention report: records per kind, those past a cut-off, the oldest.

use diesel::dsl::{count_star, max, min};
use diesel::prelude::*;

use super::schema::{audit_log, notice_versions, notices, receipts};
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

/// Announcement versions (each with its original bytes). The period of a version counts from
/// the last announcement of its project (same project code: tender, corrections, award...), the
/// best the gateway knows of when the procurement ended; so `before_cutoff` counts the versions
/// of projects whose latest announcement is older than the cut-off.
pub fn announcement_versions(conn: &mut DbConnection, cutoff: &str) -> Result<Counts, DbError> {
    let project = diesel::alias!(notices as project);
    let ended_projects = project
        .group_by(project.field(notices::project_code))
        .having(max(project.field(notices::updated_at)).lt(cutoff.to_owned()))
        .select(project.field(notices::project_code));
    Ok(Counts {
        records: notice_versions::table.select(count_star()).first(conn)?,
        before_cutoff: notice_versions::table
            .inner_join(notices::table)
            .filter(notices::project_code.eq_any(ended_projects))
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
