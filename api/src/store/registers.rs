//! Number registers (sổ văn bản): per organisation, per book, per calendar year, from 1.
//!
//! The next number is taken by one `UPDATE … SET last_number = last_number + 1 … RETURNING`
//! inside the caller's transaction: on PostgreSQL the row lock makes concurrent issuers wait
//! their turn, SQLite has one writer at a time, so no number is given twice; and since the
//! caller's transaction holds it, a rollback gives it back rather than leaving a gap.

use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement};
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Book {
    Incoming,
    Outgoing,
}

impl Book {
    fn as_str(self) -> &'static str {
        match self {
            Book::Incoming => "incoming",
            Book::Outgoing => "outgoing",
        }
    }
}

pub async fn next_number(
    db: &impl ConnectionTrait,
    organization: Uuid,
    book: Book,
    year: i32,
) -> Result<i32, DbErr> {
    let backend = db.get_database_backend();
    let (create, take) = match backend {
        DbBackend::Postgres => (
            "INSERT INTO registers (organization_id, book, year, last_number) \
             VALUES ($1, $2, $3, 0) ON CONFLICT DO NOTHING",
            "UPDATE registers SET last_number = last_number + 1 \
             WHERE organization_id = $1 AND book = $2 AND year = $3 RETURNING last_number",
        ),
        _ => (
            "INSERT INTO registers (organization_id, book, year, last_number) \
             VALUES (?, ?, ?, 0) ON CONFLICT DO NOTHING",
            "UPDATE registers SET last_number = last_number + 1 \
             WHERE organization_id = ? AND book = ? AND year = ? RETURNING last_number",
        ),
    };
    let values = || [organization.into(), book.as_str().into(), year.into()];
    db.execute_raw(Statement::from_sql_and_values(backend, create, values()))
        .await?;
    let row = db
        .query_one_raw(Statement::from_sql_and_values(backend, take, values()))
        .await?
        .ok_or_else(|| DbErr::Custom("the register row vanished".to_owned()))?;
    row.try_get("", "last_number")
}
