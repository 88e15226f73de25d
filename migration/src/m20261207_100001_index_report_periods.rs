use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The usage report reads a period: the documents issued in it and the decisions taken in it.
/// Without these it read every document and every task an organisation ever had.
const DOCUMENTS_ISSUED: &str = "idx_documents_organization_issued";
const TASKS_DECIDED_AT: &str = "idx_tasks_decided_at";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(DOCUMENTS_ISSUED)
                    .table(Documents::Table)
                    .col(Documents::OrganizationId)
                    .col(Documents::IssuedOn)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(TASKS_DECIDED_AT)
                    .table(Tasks::Table)
                    .col(Tasks::DecidedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name(TASKS_DECIDED_AT)
                    .table(Tasks::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name(DOCUMENTS_ISSUED)
                    .table(Documents::Table)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Documents {
    Table,
    OrganizationId,
    IssuedOn,
}

#[derive(DeriveIden)]
enum Tasks {
    Table,
    DecidedAt,
}
