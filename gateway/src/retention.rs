//! Retention: which records have passed the period they must be kept.
//!
//! Why this module exists: tendering records (announcement versions with their originals, audit
//! records, verification receipts) must be archived for a legal minimum period, which the
//! configuration sets per kind ([`crate::config::RetentionSettings`], never below
//! [`crate::config::LEGAL_ARCHIVE_YEARS`]). The gateway deletes nothing; `gateway retention`
//! reports, per kind, the oldest record and how many have passed their period at a given time, for
//! the operator's archive procedure. The cut-off computation is pure (time passed in).

use serde::Serialize;
use time::OffsetDateTime;

use crate::config::RetentionSettings;
use crate::db::retention::{self as counts, Counts};
use crate::db::{DbConnection, DbError, timestamp_text};

/// One kind of record and where it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KindReport {
    /// `announcements`, `audit`, `receipts`.
    pub kind: &'static str,
    /// The configured period, in years.
    pub keep_years: u32,
    /// `keep_years` before the report's time (RFC 3339 UTC).
    pub cutoff: String,
    /// Records of this kind.
    pub records: i64,
    /// Records past their period: created before the cut-off (audit records, receipts), or
    /// belonging to a project whose last announcement is before it (announcement versions: the
    /// law counts from the end of the procurement).
    pub past_period: i64,
    /// The oldest record's creation time, if any.
    pub oldest: Option<String>,
}

/// The instant `years` calendar years before `now`, in UTC (29 February falls back to the 28th).
pub fn cutoff(now: OffsetDateTime, years: u32) -> OffsetDateTime {
    let now = now.to_offset(time::UtcOffset::UTC);
    let year = now.year() - i32::try_from(years).unwrap_or(i32::MAX / 2);
    now.replace_year(year)
        .or_else(|_| now.replace_day(28).and_then(|d| d.replace_year(year)))
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// Counts, per kind, the records and those past their period at `now`.
pub fn report(
    conn: &mut DbConnection,
    settings: &RetentionSettings,
    now: OffsetDateTime,
) -> Result<Vec<KindReport>, DbError> {
    type Count = fn(&mut DbConnection, &str) -> Result<Counts, DbError>;
    let kinds: [(&'static str, u32, Count); 3] = [
        (
            "announcements",
            settings.announcements_years,
            counts::announcement_versions,
        ),
        ("audit", settings.audit_years, counts::audit_records),
        ("receipts", settings.receipts_years, counts::receipts),
    ];
    kinds
        .into_iter()
        .map(|(kind, keep_years, count)| {
            let cutoff = timestamp_text(cutoff(now, keep_years));
            let c = count(conn, &cutoff)?;
            Ok(KindReport {
                kind,
                keep_years,
                cutoff,
                records: c.records,
                past_period: c.before_cutoff,
                oldest: c.oldest,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::cutoff;
    use time::macros::datetime;

    #[test]
    fn cutoff_is_calendar_years_back() {
        assert_eq!(
            cutoff(datetime!(2026-12-01 08:30 UTC), 15),
            datetime!(2011-12-01 08:30 UTC)
        );
        // No 29 February in 2013: the 28th.
        assert_eq!(
            cutoff(datetime!(2028-02-29 00:00 UTC), 15),
            datetime!(2013-02-28 00:00 UTC)
        );
    }
}
