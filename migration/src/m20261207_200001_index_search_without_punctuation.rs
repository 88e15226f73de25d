//! PostgreSQL's search index, rebuilt over the search text without its ASCII punctuation.
//!
//! pg_trgm splits words at punctuation, so `LIKE '%1945-qd/tu%'` read the trigram lists of `qd`
//! and `tu`, found in most Party documents: a number/symbol was the slowest search of all. Over
//! the same text without punctuation the word is `1945qdtu`, whose trigrams are rare. Every
//! search reads its candidates from this one index, which replaces the old one; the exact test
//! against the stored text stays with the query. SQLite's FTS5 trigrams keep punctuation, and
//! are unchanged.

use sea_orm_migration::{prelude::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The characters taken out: ASCII punctuation, every character pg_trgm splits words at in a
/// folded search text (whose letters and digits are ASCII, or letters of other scripts).
pub const SEARCH_PUNCTUATION: &str = r##"!"#$%&'()*+,-./:;<=>?@[\]^_`{|}~"##;

/// The indexed expression, as a query writes it to have PostgreSQL read the index.
pub fn search_text_without_punctuation() -> String {
    format!(
        "translate(search_text, '{}', '')",
        SEARCH_PUNCTUATION.replace('\'', "''")
    )
}

async fn run(manager: &SchemaManager<'_>, statements: &[String]) -> Result<(), DbErr> {
    if manager.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    for sql in statements {
        manager.get_connection().execute_unprepared(sql).await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(
            manager,
            &[
                format!(
                    "CREATE INDEX idx_documents_search_compact ON documents \
                     USING gin (({}) gin_trgm_ops)",
                    search_text_without_punctuation()
                ),
                "DROP INDEX idx_documents_search".to_owned(),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(
            manager,
            &[
                "CREATE INDEX idx_documents_search ON documents \
                 USING gin (search_text gin_trgm_ops)"
                    .to_owned(),
                "DROP INDEX idx_documents_search_compact".to_owned(),
            ],
        )
        .await
    }
}
