//! sea-orm queries over the `entity` crate, and the conversions between entities and domain
//! types. Nothing above this module sees an entity.

pub mod agencies;
pub mod arrivals;
pub mod audit;
pub mod deliveries;
pub mod document_details;
pub mod documents;
pub mod exchange_outbox;
pub mod history;
pub mod leased;
pub mod organizations;
pub mod outbox;
pub mod people;
pub mod profile;
pub mod registers;
pub mod reminders;
pub mod reports;
pub mod signing;
pub mod tabs;
pub mod tasks;
pub mod users;

use std::sync::Arc;

use sea_orm::{
    ConnectOptions, Database, DatabaseConnection, DbErr, QueryResult, RuntimeErr, SqlErr,
    TryGetable,
    sqlx::{self, Postgres, Row, sqlite::SqliteJournalMode},
};
use secrecy::ExposeSecret;

use crate::config::Settings;

/// A stored value that cannot be turned back into a domain value: the row was altered by hand.
pub(crate) fn corrupt(what: &str, value: &str) -> DbErr {
    DbErr::Custom(format!("stored {what} `{value}` is not valid"))
}

/// Reads a row's values in the order they were selected. By name, sqlx searches the row's
/// columns for every value, after sea-orm has formatted a join's prefixed name: a seventh of
/// the inbox's time at 1,000,000 tasks.
pub(crate) struct Positional<'a> {
    row: &'a QueryResult,
    at: usize,
}

impl<'a> Positional<'a> {
    pub(crate) fn new(row: &'a QueryResult) -> Self {
        Self { row, at: 0 }
    }

    /// The next selected value.
    pub(crate) fn next<T: Readable>(&mut self) -> Result<T, DbErr> {
        self.at += 1;
        self.peek_at(self.at - 1)
    }

    /// The next selected value, left to be read again.
    pub(crate) fn peek<T: Readable>(&self) -> Result<T, DbErr> {
        self.peek_at(self.at)
    }

    fn peek_at<T: Readable>(&self, at: usize) -> Result<T, DbErr> {
        match self.row.try_as_pg_row() {
            // sea-orm reads a null as an error whose message it formats, then drops: a page of
            // tasks holds hundreds of nulls. sqlx reads them as `None`.
            Some(row) => row
                .try_get(at)
                .map_err(|e| DbErr::Query(RuntimeErr::SqlxError(Arc::new(e)))),
            None => self.row.try_get_by_index(at),
        }
    }
}

/// A value [`Positional`] reads: one sea-orm reads, and sqlx on PostgreSQL.
pub(crate) trait Readable:
    TryGetable + sqlx::Type<Postgres> + for<'r> sqlx::Decode<'r, Postgres>
{
}

impl<T: TryGetable + sqlx::Type<Postgres> + for<'r> sqlx::Decode<'r, Postgres>> Readable for T {}

pub fn is_unique_violation(err: &DbErr) -> bool {
    matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

/// The connections that write, and read inside transactions. On SQLite that is one
/// connection, as SQLite has one writer; its journal is a write-ahead log, so that the
/// connections of [`connect_reads`] read beside it.
pub async fn connect(settings: &Settings) -> Result<DatabaseConnection, DbErr> {
    if settings.is_sqlite() {
        // The SQLite file lives in the data directory, which may not exist on a first start.
        std::fs::create_dir_all(&settings.data_dir)
            .map_err(|e| DbErr::Custom(format!("cannot create the data directory: {e}")))?;
    }
    let mut options = options(settings);
    options.map_sqlx_sqlite_opts(|o| o.journal_mode(SqliteJournalMode::Wal));
    // Each query reads a page or a period, and many requests run at once: parallel workers
    // (processes PostgreSQL starts per query) cost more than they save, and their plans
    // chose a table's pages over an index holding all a query asks (the usage report's
    // decisions: 35 ms against 12 ms at 1,000,000 tasks).
    options.map_sqlx_postgres_opts(|o| o.options([("max_parallel_workers_per_gather", "0")]));
    Database::connect(options).await
}

/// The connections that read outside a transaction: the screens every phone opens (`/me`, the
/// inbox). On PostgreSQL they are `db`'s own pool; on SQLite, read-only connections, one per
/// of the `cores`, so that reads run side by side instead of queueing for the one writer.
/// Connect after `db`: it creates the file and turns the write-ahead log on.
pub async fn connect_reads(
    settings: &Settings,
    db: &DatabaseConnection,
    cores: usize,
) -> Result<DatabaseConnection, DbErr> {
    if !settings.is_sqlite() {
        return Ok(db.clone());
    }
    let mut options = options(settings);
    options
        .max_connections(u32::try_from(cores).unwrap_or(2))
        .map_sqlx_sqlite_opts(|o| o.read_only(true));
    Database::connect(options).await
}

fn options(settings: &Settings) -> ConnectOptions {
    let mut options = ConnectOptions::new(settings.database_url.expose_secret().to_owned());
    options
        .sqlx_logging(false)
        .connect_timeout(std::time::Duration::from_secs(5))
        .acquire_timeout(std::time::Duration::from_secs(10))
        // The pool would ping every connection it hands out, a round trip before each query;
        // only one left idle that long may have been dropped by the server or the network.
        .test_before_acquire_if_idle_for(std::time::Duration::from_secs(30));
    options
}
