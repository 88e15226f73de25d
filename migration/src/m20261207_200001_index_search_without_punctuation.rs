//! PostgreSQL's search index, rebuilt over the search text without its ASCII punctuation.
//!
//! pg_trgm splits words at punctuation, so `LIKE '%1945-qd/tu%'` read the trigram lists of `qd`
//! and `tu`, found in most Party documents: a number/symbol was the slowest search of all. Over
//! the same text without punctuation the word is `1945qdtu`, whose trigrams are rare. Every
//! search reads its candidates from this one index, which replaces the old one; the exact test
//! against the stored text stays with the query. SQLite's FTS5 trigrams keep punctuation, and
//! are unchanged.

use sea_orm_migration::prelude::*;

use crate::m20261201_140001_index_document_search::run;

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

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let create = format!(
            "CREATE INDEX idx_documents_search_compact ON documents \
             USING gin (({}) gin_trgm_ops)",
            search_text_without_punctuation()
        );
        run(manager, &[&create, "DROP INDEX idx_documents_search"], &[]).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let create = "CREATE INDEX idx_documents_search ON documents \
                      USING gin (search_text gin_trgm_ops)";
        run(
            manager,
            &[create, "DROP INDEX idx_documents_search_compact"],
            &[],
        )
        .await
    }
}
