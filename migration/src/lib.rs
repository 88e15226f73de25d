//! Schema migrations, append-only, one change each. They run unchanged on SQLite and PostgreSQL:
//! only portable column types and no backend-specific SQL, except the full-text search index,
//! which each database builds its own way.

pub use sea_orm_migration::prelude::*;

mod m20261122_000001_create_organizations;
mod m20261122_000002_create_users;
mod m20261122_000003_create_user_roles;
mod m20261122_000004_create_doc_types;
mod m20261122_000005_create_documents;
mod m20261122_000006_create_document_files;
mod m20261122_000007_create_tasks;
mod m20261122_000008_create_registers;
mod m20261123_000001_create_audit_log;
mod m20261123_100001_create_push_outbox;
mod m20261123_100002_create_task_reminders;
mod m20261123_100003_add_organization_push_summary;
mod m20261123_200001_create_signing_credentials;
mod m20261123_200002_create_signing_pins;
mod m20261123_200003_create_signing_requests;
mod m20261123_200004_create_signatures;
mod m20261201_140001_index_document_search;
mod m20261201_140002_create_audit_checkpoint;
mod m20261201_300001_add_organization_abbreviation;
mod m20261201_300002_create_document_details;
mod m20261201_300003_create_recipients;
mod m20261201_400001_add_signing_request_position;
mod m20261201_500001_add_task_note;
mod m20261201_500002_add_task_read_at;
mod m20261201_500003_index_documents_author;
mod m20261201_500004_index_tasks_decided;
mod m20261201_600001_add_credential_image;
mod m20261201_600002_add_signature_timestamped;
mod m20261201_700001_create_agencies;
mod m20261201_700002_create_exchange_outbox;
mod m20261201_800001_index_tasks_unread;
mod m20261201_800002_index_documents_author_state;
mod m20261201_900001_create_delivery_events;
mod m20261201_900002_create_arrivals;
mod m20261202_100001_add_recall;
mod m20261207_100001_index_report_periods;
mod m20261207_200001_index_search_without_punctuation;
mod m20261207_300001_index_report_covering;

pub use m20261122_000004_create_doc_types::SEED_DOC_TYPES;
pub use m20261207_200001_index_search_without_punctuation::{
    SEARCH_PUNCTUATION, search_text_without_punctuation,
};

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_create_organizations::Migration),
            Box::new(m20261122_000002_create_users::Migration),
            Box::new(m20261122_000003_create_user_roles::Migration),
            Box::new(m20261122_000004_create_doc_types::Migration),
            Box::new(m20261122_000005_create_documents::Migration),
            Box::new(m20261122_000006_create_document_files::Migration),
            Box::new(m20261122_000007_create_tasks::Migration),
            Box::new(m20261122_000008_create_registers::Migration),
            Box::new(m20261123_000001_create_audit_log::Migration),
            Box::new(m20261123_100001_create_push_outbox::Migration),
            Box::new(m20261123_100002_create_task_reminders::Migration),
            Box::new(m20261123_100003_add_organization_push_summary::Migration),
            Box::new(m20261123_200001_create_signing_credentials::Migration),
            Box::new(m20261123_200002_create_signing_pins::Migration),
            Box::new(m20261123_200003_create_signing_requests::Migration),
            Box::new(m20261123_200004_create_signatures::Migration),
            Box::new(m20261201_140001_index_document_search::Migration),
            Box::new(m20261201_140002_create_audit_checkpoint::Migration),
            Box::new(m20261201_300001_add_organization_abbreviation::Migration),
            Box::new(m20261201_300002_create_document_details::Migration),
            Box::new(m20261201_300003_create_recipients::Migration),
            Box::new(m20261201_400001_add_signing_request_position::Migration),
            Box::new(m20261201_500001_add_task_note::Migration),
            Box::new(m20261201_500002_add_task_read_at::Migration),
            Box::new(m20261201_500003_index_documents_author::Migration),
            Box::new(m20261201_500004_index_tasks_decided::Migration),
            Box::new(m20261201_600001_add_credential_image::Migration),
            Box::new(m20261201_600002_add_signature_timestamped::Migration),
            Box::new(m20261201_700001_create_agencies::Migration),
            Box::new(m20261201_700002_create_exchange_outbox::Migration),
            Box::new(m20261201_800001_index_tasks_unread::Migration),
            Box::new(m20261201_800002_index_documents_author_state::Migration),
            Box::new(m20261201_900001_create_delivery_events::Migration),
            Box::new(m20261201_900002_create_arrivals::Migration),
            Box::new(m20261202_100001_add_recall::Migration),
            Box::new(m20261207_100001_index_report_periods::Migration),
            Box::new(m20261207_200001_index_search_without_punctuation::Migration),
            Box::new(m20261207_300001_index_report_covering::Migration),
        ]
    }
}

#[cfg(test)]
mod tests {
    use sea_orm_migration::sea_orm::Database;

    use super::*;

    /// The latest migrations roll back and forward again, so an operator can undo a release.
    #[tokio::test]
    async fn the_latest_migrations_go_down_and_up_again() -> Result<(), DbErr> {
        let db = Database::connect("sqlite::memory:").await?;
        Migrator::up(&db, None).await?;
        let all = Migrator::get_applied_migrations(&db).await?.len();
        Migrator::down(&db, Some(3)).await?;
        assert_eq!(Migrator::get_applied_migrations(&db).await?.len(), all - 3);
        Migrator::up(&db, None).await?;
        assert_eq!(Migrator::get_applied_migrations(&db).await?.len(), all);
        Ok(())
    }
}
