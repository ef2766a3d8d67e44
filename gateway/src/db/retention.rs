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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{DatabaseSettings, DatabaseUrl};
    use crate::db::Database;
    use crate::db::announcements::{self, NewDocument};
    use crate::registry::{CertFingerprint, Province, Role};

    fn notice(id: &str, project: &str, version_of: Option<&str>) -> NewDocument {
        NewDocument {
            platform: "jiangsu".to_owned(),
            notice_source_id: version_of.unwrap_or(id).to_owned(),
            document_id: id.to_owned(),
            is_version: version_of.is_some(),
            terminates: false,
            kind: if version_of.is_some() {
                "correction"
            } else {
                "tender"
            }
            .to_owned(),
            category: "construction".to_owned(),
            region: "320509".to_owned(),
            project_code: project.to_owned(),
            title: id.to_owned(),
            notice_number: None,
            published_at: "2026-01-01T00:00:00Z".to_owned(),
            canonical: format!("{{\"id\":\"{id}\"}}"),
            canonical_sha256: id.to_owned(),
            original: id.as_bytes().to_vec(),
            original_content_type: "application/json".to_owned(),
            original_sha256: id.to_owned(),
            request_id: "r".to_owned(),
            idempotency_key: None,
        }
    }

    /// A project's versions pass their period together, counted from the project's last
    /// announcement: an old tender of a project awarded recently is kept.
    #[test]
    fn announcements_count_from_their_projects_last_announcement() {
        let dir = tempfile::tempdir().expect("tmp");
        let url = DatabaseUrl::Sqlite(dir.path().join("retention.db"));
        let db = Database::connect(&url, &DatabaseSettings::default()).expect("connect");
        db.migrate().expect("migrate");
        db.run_blocking(|conn| {
            crate::db::platforms::insert_if_missing(
                conn,
                &"jiangsu".parse().expect("id"),
                Role::Platform,
                Some(Province::Jiangsu),
                "Jiangsu",
                &CertFingerprint::of_der(b"jiangsu"),
            )?;
            // Project OLD: a tender and its correction, last activity in 2000.
            announcements::publish(conn, &notice("T-OLD", "P-OLD", None))?;
            announcements::publish(conn, &notice("C-OLD", "P-OLD", Some("T-OLD")))?;
            // Project LIVE: a tender in 2000, an award (another notice) in 2026.
            announcements::publish(conn, &notice("T-LIVE", "P-LIVE", None))?;
            announcements::publish(conn, &notice("A-LIVE", "P-LIVE", None))?;
            for (source, at) in [
                ("T-OLD", "2000-01-01T00:00:00.000000Z"),
                ("T-LIVE", "2000-01-01T00:00:00.000000Z"),
                ("A-LIVE", "2026-06-01T00:00:00.000000Z"),
            ] {
                diesel::update(notices::table.filter(notices::source_notice_id.eq(source)))
                    .set(notices::updated_at.eq(at))
                    .execute(conn)?;
            }
            Ok(())
        })
        .expect("seeded");
        let counts = db
            .run_blocking(|conn| announcement_versions(conn, "2011-12-01T00:00:00.000000Z"))
            .expect("counts");
        assert_eq!(counts.records, 4);
        assert_eq!(counts.before_cutoff, 2, "only project P-OLD's two versions");
    }
}
