//! Full-text search over `documents.search_text`: each database's own index, so a search reads
//! the documents that contain the words instead of scanning every one.
//!
//! The one backend-specific migration: neither index exists in portable form. Both match
//! substrings of three characters or more (trigrams), so `qd/tu` finds `1945-qd/tu` alike on
//! either database, and both are kept by the database itself inside the transaction that writes
//! the document.

use sea_orm_migration::{prelude::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// PostgreSQL: a trigram GIN index, which serves `search_text LIKE '%word%'` directly.
const POSTGRES_UP: &[&str] = &[
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX idx_documents_search ON documents USING gin (search_text gin_trgm_ops)",
];
const POSTGRES_DOWN: &[&str] = &["DROP INDEX idx_documents_search"];

/// SQLite: an FTS5 trigram index without a copy of the text. FTS5 rows are keyed by integers;
/// `document_search_rows` gives each document one that stays put (a `VACUUM` renumbers the
/// implicit rowids of `documents`, whose key is a UUID). Triggers keep both in the writer's
/// transaction.
const SQLITE_UP: &[&str] = &[
    "CREATE TABLE document_search_rows (
        row INTEGER PRIMARY KEY,
        document_id uuid_text NOT NULL UNIQUE
    )",
    "CREATE VIRTUAL TABLE document_search USING fts5(
        search_text, content = '', contentless_delete = 1, tokenize = 'trigram'
    )",
    "INSERT INTO document_search_rows (document_id) SELECT id FROM documents ORDER BY id",
    "INSERT INTO document_search (rowid, search_text)
        SELECT r.row, d.search_text FROM document_search_rows r JOIN documents d ON d.id = r.document_id",
    "CREATE TRIGGER document_search_insert AFTER INSERT ON documents BEGIN
        INSERT INTO document_search_rows (document_id) VALUES (new.id);
        INSERT INTO document_search (rowid, search_text)
            VALUES ((SELECT row FROM document_search_rows WHERE document_id = new.id), new.search_text);
    END",
    "CREATE TRIGGER document_search_update AFTER UPDATE OF search_text ON documents BEGIN
        DELETE FROM document_search
            WHERE rowid = (SELECT row FROM document_search_rows WHERE document_id = old.id);
        INSERT INTO document_search (rowid, search_text)
            VALUES ((SELECT row FROM document_search_rows WHERE document_id = new.id), new.search_text);
    END",
    "CREATE TRIGGER document_search_delete AFTER DELETE ON documents BEGIN
        DELETE FROM document_search
            WHERE rowid = (SELECT row FROM document_search_rows WHERE document_id = old.id);
        DELETE FROM document_search_rows WHERE document_id = old.id;
    END",
];
const SQLITE_DOWN: &[&str] = &[
    "DROP TRIGGER document_search_delete",
    "DROP TRIGGER document_search_update",
    "DROP TRIGGER document_search_insert",
    "DROP TABLE document_search",
    "DROP TABLE document_search_rows",
];

/// Runs each database's own statements; later search migrations use it too.
pub(crate) async fn run(
    manager: &SchemaManager<'_>,
    postgres: &[&str],
    sqlite: &[&str],
) -> Result<(), DbErr> {
    let statements = match manager.get_database_backend() {
        DbBackend::Postgres => postgres,
        DbBackend::Sqlite => sqlite,
        other => {
            return Err(DbErr::Migration(format!(
                "document search has no index for {other:?}"
            )));
        }
    };
    for sql in statements {
        manager.get_connection().execute_unprepared(sql).await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(manager, POSTGRES_UP, SQLITE_UP).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(manager, POSTGRES_DOWN, SQLITE_DOWN).await
    }
}
