//! Embedded migrations, one folder per backend with the same names, applied under a lock.

use diesel::prelude::*;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use super::{DbConnection, DbError};

const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Names of the SQLite migrations, in order (a test keeps both folders in lock-step).
pub static MIGRATION_NAMES_SQLITE: std::sync::LazyLock<Vec<String>> =
    std::sync::LazyLock::new(|| names(&SQLITE));
/// Names of the PostgreSQL migrations, in order.
pub static MIGRATION_NAMES_POSTGRES: std::sync::LazyLock<Vec<String>> =
    std::sync::LazyLock::new(|| names(&POSTGRES));

fn names(source: &EmbeddedMigrations) -> Vec<String> {
    use diesel::migration::MigrationSource;
    let migrations: Vec<Box<dyn diesel::migration::Migration<diesel::sqlite::Sqlite>>> =
        source.migrations().unwrap_or_default();
    migrations.iter().map(|m| m.name().to_string()).collect()
}

/// Key of the PostgreSQL advisory lock that serialises migrations across instances.
const MIGRATION_LOCK_KEY: i64 = 0x5952_445f_4d49_4752; // "YRD_MIGR"

pub(super) fn run_pending(conn: &mut DbConnection) -> Result<Vec<String>, DbError> {
    let applied = match conn {
        DbConnection::Sqlite(c) => c
            .run_pending_migrations(SQLITE)
            .map(|v| v.iter().map(ToString::to_string).collect())
            .map_err(|e| DbError::Migration(e.to_string())),
        DbConnection::Postgresql(c) => {
            diesel::sql_query(format!("SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})"))
                .execute(c)?;
            let result = c
                .run_pending_migrations(POSTGRES)
                .map(|v| v.iter().map(ToString::to_string).collect())
                .map_err(|e| DbError::Migration(e.to_string()));
            diesel::sql_query(format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})"))
                .execute(c)?;
            result
        }
    }?;
    Ok(applied)
}

pub(super) fn check_applied(conn: &mut DbConnection) -> Result<(), DbError> {
    let pending = match conn {
        DbConnection::Sqlite(c) => c.has_pending_migration(SQLITE),
        DbConnection::Postgresql(c) => c.has_pending_migration(POSTGRES),
    }
    .map_err(|e| DbError::Migration(e.to_string()))?;
    if pending {
        Err(DbError::Migration(
            "migrations are pending: run `gateway migrate`".to_owned(),
        ))
    } else {
        Ok(())
    }
}
