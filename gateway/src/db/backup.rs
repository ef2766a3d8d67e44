//! Online backup of the SQLite database, for `gateway backup`.
//!
//! Why this module exists: copying the database file while the gateway runs can miss commits that
//! are still in the WAL. `VACUUM INTO` copies one consistent snapshot through SQLite itself while
//! writers go on. The copy holds webhook secrets and personal data, so it is created readable by
//! its owner only, never over an existing file, and removed again if anything fails.
//! PostgreSQL is backed up with `pg_dump` (ops/RUNBOOK.md).

use std::fs::OpenOptions;
use std::path::Path;

use diesel::prelude::*;
use diesel::sql_types::Text;

use super::{Database, DbError};
use crate::config::DatabaseUrl;

#[derive(QueryableByName)]
struct IntegrityCheck {
    #[diesel(sql_type = Text)]
    integrity_check: String,
}

/// Writes a consistent copy of `db` (a migrated SQLite gateway database) to `to`, a new file
/// created with mode 0600, and checks the copy with `PRAGMA integrity_check` on a read-only
/// connection. Returns the copy's size in bytes.
///
/// # Errors
/// [`DbError::Backup`] when `db` is not SQLite, its file does not exist, `to` exists, or the copy
/// or its check fails (then `to` is removed); [`DbError::Migration`] when the database is not a
/// migrated gateway database.
pub fn sqlite(db: &Database, to: &Path) -> Result<u64, DbError> {
    let DatabaseUrl::Sqlite(source) = db.url() else {
        return Err(DbError::Backup(
            "online backup by the gateway is for SQLite; back PostgreSQL up with pg_dump"
                .to_owned(),
        ));
    };
    if !source.is_file() {
        return Err(DbError::Backup(format!(
            "no database at {}",
            source.display()
        )));
    }
    db.check_migrations()?;
    let target = to
        .to_str()
        .ok_or_else(|| DbError::Backup(format!("{} is not UTF-8", to.display())))?
        .to_owned();
    create_private(to)?;
    let copied = db
        .run_blocking(|conn| {
            diesel::sql_query("VACUUM INTO ?")
                .bind::<Text, _>(&target)
                .execute(conn)?;
            Ok(())
        })
        .and_then(|()| check_integrity(&target))
        .and_then(|()| {
            std::fs::metadata(to)
                .map(|m| m.len())
                .map_err(|e| DbError::Backup(format!("{}: {e}", to.display())))
        });
    if copied.is_err() {
        // Leave nothing half-written behind: a retry must not find "exists already".
        let _ = std::fs::remove_file(to);
    }
    copied
}

/// Creates `path` empty (`VACUUM INTO` accepts an empty file), owner-only, refusing an existing
/// file or symbolic link.
fn create_private(path: &Path) -> Result<(), DbError> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    options.open(path).map(drop).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            DbError::Backup(format!(
                "{} exists already; a backup never overwrites",
                path.display()
            ))
        } else {
            DbError::Backup(format!("{}: {e}", path.display()))
        }
    })
}

/// `PRAGMA integrity_check` on a read-only connection to the copy (nothing is written to it).
fn check_integrity(path: &str) -> Result<(), DbError> {
    let uri = format!("file:{}?mode=ro", uri_path(path));
    let mut conn = SqliteConnection::establish(&uri)
        .map_err(|e| DbError::Backup(format!("cannot open the copy: {e}")))?;
    let rows: Vec<IntegrityCheck> = diesel::sql_query("PRAGMA integrity_check").load(&mut conn)?;
    match rows.as_slice() {
        [row] if row.integrity_check == "ok" => Ok(()),
        _ => Err(DbError::Backup(format!(
            "the copy fails its integrity check: {}",
            rows.iter()
                .take(5)
                .map(|r| r.integrity_check.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        ))),
    }
}

/// A path as the path of a `file:` URI: `%`, `?` and `#` percent-encoded.
fn uri_path(path: &str) -> String {
    path.replace('%', "%25")
        .replace('?', "%3F")
        .replace('#', "%23")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::DatabaseSettings;

    fn database(dir: &Path) -> Database {
        let url = DatabaseUrl::Sqlite(dir.join("gateway.db"));
        let db = Database::connect(&url, &DatabaseSettings::default()).expect("connect");
        db.migrate().expect("migrate");
        db
    }

    #[test]
    fn copy_is_private_checked_and_never_overwritten() {
        let dir = tempfile::tempdir().expect("tmp");
        let db = database(dir.path());
        let to = dir.path().join("copy #1?.db");
        let bytes = sqlite(&db, &to).expect("backup");
        assert!(bytes > 0);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&to).expect("copy").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let again = sqlite(&db, &to).expect_err("exists");
        assert!(again.to_string().contains("exists already"), "{again}");
        assert_eq!(std::fs::metadata(&to).expect("kept").len(), bytes);
    }

    #[test]
    fn a_missing_source_or_a_failed_copy_leaves_nothing() {
        let dir = tempfile::tempdir().expect("tmp");
        let db = database(dir.path());
        // The target's directory does not exist: VACUUM INTO cannot write.
        let to = dir.path().join("missing-dir").join("copy.db");
        assert!(sqlite(&db, &to).is_err());
        assert!(!to.exists());
        // A source path that is not a database file: refused before anything is created.
        std::fs::remove_file(dir.path().join("gateway.db")).expect("remove source");
        let to = dir.path().join("copy.db");
        let err = sqlite(&db, &to).expect_err("no source");
        assert!(err.to_string().contains("no database at"), "{err}");
        assert!(!to.exists());
    }
}
