//! The connection over both backends and the pool manager that opens it.

use diesel::prelude::*;
use diesel::{PgConnection, SqliteConnection};

use super::DbError;
use crate::config::{DatabaseUrl, SqliteSynchronous};

/// A connection to either backend; queries written against it run on both.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    /// PostgreSQL through libpq.
    Postgresql(PgConnection),
    /// Embedded SQLite.
    Sqlite(SqliteConnection),
}

/// Opens connections for the pool, with per-backend session settings.
#[derive(Debug)]
pub(super) struct Manager {
    url: DatabaseUrl,
    sqlite_busy_timeout_ms: u32,
    sqlite_synchronous: SqliteSynchronous,
}

impl Manager {
    pub(super) fn new(
        url: DatabaseUrl,
        sqlite_busy_timeout_ms: u32,
        sqlite_synchronous: SqliteSynchronous,
    ) -> Self {
        Manager {
            url,
            sqlite_busy_timeout_ms,
            sqlite_synchronous,
        }
    }

    /// Opens one connection, keeping the driver's own error message.
    pub(super) fn open(&self) -> Result<DbConnection, DbError> {
        match &self.url {
            DatabaseUrl::Postgres(url) => PgConnection::establish(url)
                .map(DbConnection::Postgresql)
                .map_err(|e| DbError::Unavailable(format!("PostgreSQL: {e}"))),
            DatabaseUrl::Sqlite(path) => {
                if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty())
                    && !parent.is_dir()
                {
                    return Err(DbError::Unavailable(format!(
                        "SQLite: directory {} does not exist (the database file is created, its directory is not)",
                        parent.display()
                    )));
                }
                let path_text = path.to_str().ok_or_else(|| {
                    DbError::Unavailable(format!("SQLite: path {} is not UTF-8", path.display()))
                })?;
                let mut conn = SqliteConnection::establish(path_text)
                    .map_err(|e| DbError::Unavailable(format!("SQLite {}: {e}", path.display())))?;
                // Behave like PostgreSQL: enforce foreign keys, let readers and a writer overlap,
                // wait for locks instead of failing at once, and (by default) put every commit
                // on disk before answering.
                // `batch_execute`: `sql_query` would run only the first statement.
                use diesel::connection::SimpleConnection as _;
                conn.batch_execute(&format!(
                    "PRAGMA busy_timeout = {}; PRAGMA journal_mode = WAL; PRAGMA synchronous = {}; PRAGMA foreign_keys = ON;",
                    self.sqlite_busy_timeout_ms,
                    self.sqlite_synchronous.pragma()
                ))
                .map_err(|e| DbError::Unavailable(format!("SQLite {}: {e}", path.display())))?;
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }
}

impl r2d2::ManageConnection for Manager {
    type Connection = DbConnection;
    type Error = DbError;

    fn connect(&self) -> Result<DbConnection, DbError> {
        self.open()
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), DbError> {
        diesel::sql_query("SELECT 1").execute(conn)?;
        Ok(())
    }

    /// A connection given back while its thread panics, or whose transaction could not be
    /// closed, may still hold an open transaction (on SQLite, the write lock): it is dropped
    /// instead of serving the next request.
    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        use diesel::connection::TransactionManager;
        std::thread::panicking()
            || <DbConnection as Connection>::TransactionManager::is_broken_transaction_manager(conn)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::sql_types::{BigInt, Text};

    #[derive(QueryableByName)]
    struct Mode {
        #[diesel(sql_type = Text)]
        journal_mode: String,
    }

    #[derive(QueryableByName)]
    struct Synchronous {
        #[diesel(sql_type = BigInt)]
        synchronous: i64,
    }

    #[derive(QueryableByName)]
    struct Flag {
        #[diesel(sql_type = BigInt)]
        foreign_keys: i64,
    }

    #[test]
    fn every_sqlite_pragma_is_applied() {
        let dir = tempfile::tempdir().expect("tmp");
        let url = DatabaseUrl::Sqlite(dir.path().join("pragmas.db"));
        let manager = Manager::new(url, 1234, SqliteSynchronous::Full);
        let DbConnection::Sqlite(mut conn) = manager.open().expect("opens") else {
            panic!("a SQLite connection");
        };
        let mode: Mode = diesel::sql_query("PRAGMA journal_mode")
            .get_result(&mut conn)
            .expect("journal_mode");
        assert_eq!(mode.journal_mode, "wal");
        let fk: Flag = diesel::sql_query("PRAGMA foreign_keys")
            .get_result(&mut conn)
            .expect("foreign_keys");
        assert_eq!(fk.foreign_keys, 1);
        let sync: Synchronous = diesel::sql_query("PRAGMA synchronous")
            .get_result(&mut conn)
            .expect("synchronous");
        assert_eq!(sync.synchronous, 2, "FULL");
    }
}
