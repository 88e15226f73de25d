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

use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr, SqlErr};
use secrecy::ExposeSecret;

use crate::config::Settings;

/// A stored value that cannot be turned back into a domain value: the row was altered by hand.
pub(crate) fn corrupt(what: &str, value: &str) -> DbErr {
    DbErr::Custom(format!("stored {what} `{value}` is not valid"))
}

pub fn is_unique_violation(err: &DbErr) -> bool {
    matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

pub async fn connect(settings: &Settings) -> Result<DatabaseConnection, DbErr> {
    if settings.is_sqlite() {
        // The SQLite file lives in the data directory, which may not exist on a first start.
        std::fs::create_dir_all(&settings.data_dir)
            .map_err(|e| DbErr::Custom(format!("cannot create the data directory: {e}")))?;
    }
    let mut options = ConnectOptions::new(settings.database_url.expose_secret().to_owned());
    options
        .sqlx_logging(false)
        .connect_timeout(std::time::Duration::from_secs(5))
        .acquire_timeout(std::time::Duration::from_secs(10));
    Database::connect(options).await
}
