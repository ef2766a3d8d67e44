//! Storage: one connection type over SQLite and PostgreSQL, a pool, and the repositories.
//!
//! The backend is chosen from the URL scheme (see [`crate::config::DatabaseUrl`]). diesel is
//! blocking, so every query runs through [`Database::run`], which moves it off the async workers.

pub mod announcements;
pub mod audit;
pub mod backup;
pub mod bridge;
mod connection;
pub mod deliveries;
mod migrate;
pub mod platforms;
pub mod receipts;
pub mod retention;
mod schema;

use std::sync::Arc;
use std::time::Duration;

pub use connection::DbConnection;
pub use migrate::{MIGRATION_NAMES_POSTGRES, MIGRATION_NAMES_SQLITE};

use crate::config::{DatabaseSettings, DatabaseUrl};

/// Why a database operation failed.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The database could not be reached or opened; the driver's own message is kept.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// A query failed.
    #[error("database query failed: {0}")]
    Query(#[from] diesel::result::Error),
    /// Migrations could not be applied.
    #[error("database migration failed: {0}")]
    Migration(String),
    /// The blocking task running the query was cancelled or panicked.
    #[error("database task failed: {0}")]
    Task(String),
    /// An online backup could not be made (nothing is left at the target).
    #[error("backup failed: {0}")]
    Backup(String),
}

/// A pool of connections to the configured database, cheap to clone.
#[derive(Clone)]
pub struct Database {
    pool: r2d2::Pool<connection::Manager>,
    url: Arc<DatabaseUrl>,
}

impl Database {
    /// Opens the pool, connecting once first so that a bad URL or an unreachable server fails
    /// here with the driver's own message.
    pub fn connect(url: &DatabaseUrl, settings: &DatabaseSettings) -> Result<Self, DbError> {
        let manager = connection::Manager::new(
            url.clone(),
            settings.sqlite_busy_timeout_ms,
            settings.sqlite_synchronous,
        );
        // One direct connection first: r2d2 would retry and report only a timeout.
        drop(manager.open()?);
        // A PostgreSQL connection can die under the pool (server restart, failover, idle
        // timeout); checking it out with `SELECT 1` replaces it instead of failing the request,
        // so an instance recovers by itself once the database is back. A SQLite file cannot go
        // away like that, and its check would be pure cost.
        let check_on_checkout = matches!(url, DatabaseUrl::Postgres(_));
        let pool = r2d2::Pool::builder()
            .max_size(settings.pool_size)
            .min_idle(Some(1))
            .connection_timeout(Duration::from_secs(settings.acquire_timeout_secs.max(1)))
            .test_on_check_out(check_on_checkout)
            .build(manager)
            .map_err(|e| DbError::Unavailable(e.to_string()))?;
        Ok(Database {
            pool,
            url: Arc::new(url.clone()),
        })
    }

    /// The URL this pool connects to (password masked when displayed).
    pub fn url(&self) -> &DatabaseUrl {
        &self.url
    }

    /// Runs blocking database work on the blocking thread pool, keeping the tracing span.
    pub async fn run<T, F>(&self, work: F) -> Result<T, DbError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, DbError> + Send + 'static,
        T: Send + 'static,
    {
        self.spawn(false, work).await
    }

    /// Like [`Database::run`], for work that writes: on SQLite it takes the writers' turn before
    /// taking a connection, so writers waiting for their turn do not hold pooled connections that
    /// readers need (with more writers in flight than connections, readers would otherwise wait
    /// for the pool). The `write_transaction` inside keeps that turn.
    pub async fn run_write<T, F>(&self, work: F) -> Result<T, DbError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, DbError> + Send + 'static,
        T: Send + 'static,
    {
        let sqlite = matches!(self.url.as_ref(), DatabaseUrl::Sqlite(_));
        self.spawn(sqlite, work).await
    }

    async fn spawn<T, F>(&self, writer_turn: bool, work: F) -> Result<T, DbError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, DbError> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        let span = tracing::Span::current();
        tokio::task::spawn_blocking(move || {
            let _entered = span.enter();
            let _turn = writer_turn.then(SqliteWriterTurn::take);
            let mut conn = pool
                .get()
                .map_err(|e| DbError::Unavailable(e.to_string()))?;
            work(&mut conn)
        })
        .await
        .map_err(|e| DbError::Task(e.to_string()))?
    }

    /// Runs work on a pooled connection in the current (blocking) thread: for the CLI and start-up.
    pub fn run_blocking<T>(
        &self,
        work: impl FnOnce(&mut DbConnection) -> Result<T, DbError>,
    ) -> Result<T, DbError> {
        let mut conn = self
            .pool
            .get()
            .map_err(|e| DbError::Unavailable(e.to_string()))?;
        work(&mut conn)
    }

    /// Applies pending migrations (on PostgreSQL under an advisory lock, so concurrent instances
    /// wait for each other). Returns the names of the migrations applied.
    pub fn migrate(&self) -> Result<Vec<String>, DbError> {
        self.run_blocking(migrate::run_pending)
    }

    /// Whether every embedded migration has been applied, on the current (blocking) thread.
    pub fn check_migrations(&self) -> Result<(), DbError> {
        self.run_blocking(migrate::check_applied)
    }

    /// Whether the database answers and every embedded migration has been applied.
    pub async fn readiness(&self) -> Result<(), DbError> {
        self.run(migrate::check_applied).await
    }

    /// Pool gauges: (connections open, connections idle).
    pub fn pool_state(&self) -> (u32, u32) {
        let state = self.pool.state();
        (state.connections, state.idle_connections)
    }

    /// The configured maximum pool size.
    pub fn pool_max(&self) -> u32 {
        self.pool.max_size()
    }
}

/// Runs `work` in a transaction that will write.
///
/// On SQLite, writers of this process take turns first ([`SqliteWriterTurn`]): SQLite lets one
/// writer in at a time, and its busy handler makes the others sleep and retry, so under load some
/// waited for up to a second while later ones went ahead. Waiting on a mutex instead wakes the
/// next writer as soon as the turn is free (not strictly in arrival order, but without sleeps). Then the transaction takes SQLite's write lock before
/// reading (a no-op update), so a writer of another process (the CLI) makes this one wait for
/// `busy_timeout` instead of failing with "database is locked" when it tries to write after
/// having read. On PostgreSQL it is a plain transaction (row locks order the writers).
pub fn write_transaction<T>(
    conn: &mut DbConnection,
    work: impl FnOnce(&mut DbConnection) -> Result<T, DbError>,
) -> Result<T, DbError> {
    use diesel::{Connection, RunQueryDsl};
    in_writer_turn(conn, |conn| {
        conn.transaction(|conn| {
            if let DbConnection::Sqlite(sqlite) = conn {
                diesel::sql_query("UPDATE feed_counter SET last_seq = last_seq WHERE id = 1")
                    .execute(sqlite)?;
            }
            work(conn)
        })
    })
}

/// Runs single-statement (autocommit) writes in the SQLite writers' turn, without a transaction:
/// for frequent small updates such as the delivery workers' leases, which must not wait in
/// SQLite's busy handler behind the turn-taking writers, nor open a transaction on every poll.
/// On PostgreSQL it just runs `work`.
pub fn in_writer_turn<T>(
    conn: &mut DbConnection,
    work: impl FnOnce(&mut DbConnection) -> Result<T, DbError>,
) -> Result<T, DbError> {
    let _turn = matches!(conn, DbConnection::Sqlite(_)).then(SqliteWriterTurn::take);
    work(conn)
}

/// The turn of one SQLite writer among this process's threads; the next waits until it is
/// dropped. A thread that has the turn already (a write transaction inside another) keeps it.
struct SqliteWriterTurn {
    guard: Option<std::sync::MutexGuard<'static, ()>>,
}

static SQLITE_WRITER: std::sync::Mutex<()> = std::sync::Mutex::new(());

thread_local! {
    static HAS_TURN: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

impl SqliteWriterTurn {
    fn take() -> SqliteWriterTurn {
        if HAS_TURN.get() {
            return SqliteWriterTurn { guard: None };
        }
        // A panic while holding it poisons nothing: the connection it used is discarded
        // (`Manager::has_broken`), which rolls its transaction back.
        let guard = SQLITE_WRITER.lock().unwrap_or_else(|e| e.into_inner());
        HAS_TURN.set(true);
        SqliteWriterTurn { guard: Some(guard) }
    }
}

impl Drop for SqliteWriterTurn {
    fn drop(&mut self) {
        if self.guard.is_some() {
            HAS_TURN.set(false);
        }
    }
}

/// The current time as stored in the database: RFC 3339 UTC with microseconds, which sorts as text.
pub fn now_text() -> String {
    timestamp_text(time::OffsetDateTime::now_utc())
}

/// Formats Unix seconds as RFC 3339 UTC (`2026-03-01T00:00:00Z`), for documents and messages.
pub fn unix_text(t: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(t)
        .ok()
        .and_then(|d| {
            d.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| t.to_string())
}

/// Formats an instant the way the database stores times.
pub fn timestamp_text(t: time::OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.microsecond()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::DatabaseSettings;

    /// Many threads writing through one pool, some with a write transaction inside another:
    /// every write lands, none fails with "database is locked", nothing deadlocks.
    #[test]
    fn sqlite_writers_take_turns_and_nest() {
        let dir = tempfile::tempdir().expect("tmp");
        let url = DatabaseUrl::Sqlite(dir.path().join("turns.db"));
        let settings = DatabaseSettings {
            pool_size: 8,
            // Far below how long the writers take in all: only turns, not the busy handler,
            // can keep them from failing.
            sqlite_busy_timeout_ms: 50,
            ..DatabaseSettings::default()
        };
        let db = Database::connect(&url, &settings).expect("connect");
        db.migrate().expect("migrate");
        let append = |conn: &mut DbConnection, i: usize| {
            audit::append(
                conn,
                &audit::AuditEntry {
                    actor: "test",
                    action: "test.write",
                    subject: &format!("n:{i}"),
                    request_id: "r",
                    content_sha256: None,
                    detail: serde_json::json!({}),
                },
            )
        };
        std::thread::scope(|scope| {
            for t in 0..8 {
                let db = db.clone();
                scope.spawn(move || {
                    for i in 0..40 {
                        db.run_blocking(|conn| {
                            write_transaction(conn, |conn| {
                                append(conn, t * 100 + i)?;
                                // Hold the write lock a while: the others must wait.
                                std::thread::sleep(Duration::from_micros(500));
                                // Nested: keeps the turn, becomes a savepoint.
                                write_transaction(conn, |conn| append(conn, t * 100 + i + 50))
                            })
                        })
                        .expect("every write lands");
                    }
                });
            }
        });
        let count = db
            .run_blocking(|conn| Ok(audit::recent(conn, None, 10_000)?.len()))
            .expect("count");
        assert_eq!(count, 8 * 40 * 2);
    }

    /// A panic inside a write transaction must not hand its connection, still in the
    /// transaction (and on SQLite holding the write lock), to the next request: later writes
    /// would silently become savepoints that are never committed.
    #[test]
    fn a_panic_inside_a_write_transaction_leaves_the_pool_sound() {
        let dir = tempfile::tempdir().expect("tmp");
        let url = DatabaseUrl::Sqlite(dir.path().join("panic.db"));
        let settings = DatabaseSettings {
            pool_size: 1,
            sqlite_busy_timeout_ms: 50,
            ..DatabaseSettings::default()
        };
        let db = Database::connect(&url, &settings).expect("connect");
        db.migrate().expect("migrate");
        let entry = |subject: &'static str| audit::AuditEntry {
            actor: "test",
            action: "test.write",
            subject,
            request_id: "r",
            content_sha256: None,
            detail: serde_json::json!({}),
        };
        let panicking = db.clone();
        let joined = std::thread::spawn(move || {
            panicking.run_blocking(|conn| {
                write_transaction(conn, |conn| -> Result<(), DbError> {
                    audit::append(conn, &entry("lost"))?;
                    panic!("a bug in the middle of a write");
                })
            })
        })
        .join();
        assert!(joined.is_err(), "the thread panicked");
        db.run_blocking(|conn| write_transaction(conn, |conn| audit::append(conn, &entry("kept"))))
            .expect("the next write works");
        // Committed: another pool sees it; the panicking write was rolled back.
        let other = Database::connect(&url, &settings).expect("second pool");
        let subjects: Vec<String> = other
            .run_blocking(|conn| audit::recent(conn, None, 10))
            .expect("read")
            .into_iter()
            .map(|r| r.subject)
            .collect();
        assert_eq!(subjects, ["kept"]);
    }

    /// Writers waiting for the SQLite turn hold no pooled connection: with more writers in
    /// flight than connections, a reader still gets one at once.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn writers_waiting_for_their_turn_leave_connections_to_readers() {
        let dir = tempfile::tempdir().expect("tmp");
        let url = DatabaseUrl::Sqlite(dir.path().join("readers.db"));
        let settings = DatabaseSettings {
            pool_size: 2,
            acquire_timeout_secs: 1,
            ..DatabaseSettings::default()
        };
        let db = Database::connect(&url, &settings).expect("connect");
        db.migrate().expect("migrate");
        let entry = audit::AuditEntry {
            actor: "test",
            action: "test.write",
            subject: "s",
            request_id: "r",
            content_sha256: None,
            detail: serde_json::json!({}),
        };
        // The first writer holds the turn (and one connection) until told to finish.
        let (started_tx, started_rx) = tokio::sync::oneshot::channel();
        let (finish_tx, finish_rx) = std::sync::mpsc::channel::<()>();
        let first = {
            let (db, entry) = (db.clone(), entry.clone());
            tokio::spawn(async move {
                db.run_write(move |conn| {
                    write_transaction(conn, |conn| {
                        let _ = started_tx.send(());
                        let _ = finish_rx.recv();
                        audit::append(conn, &entry)
                    })
                })
                .await
            })
        };
        started_rx.await.expect("first writer started");
        let waiting: Vec<_> = (0..4)
            .map(|_| {
                let (db, entry) = (db.clone(), entry.clone());
                tokio::spawn(async move {
                    db.run_write(move |conn| {
                        write_transaction(conn, |conn| audit::append(conn, &entry))
                    })
                    .await
                })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(200)).await;
        let read = db.run(|conn| audit::recent(conn, None, 1)).await;
        assert!(read.is_ok(), "the reader waited for the pool: {read:?}");
        finish_tx.send(()).expect("finish");
        first.await.expect("join").expect("first write");
        for w in waiting {
            w.await.expect("join").expect("write");
        }
        let count = db
            .run(|conn| Ok(audit::recent(conn, None, 100)?.len()))
            .await
            .expect("count");
        assert_eq!(count, 5);
    }
}
