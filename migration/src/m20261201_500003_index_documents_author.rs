use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // "Submitted by me", newest first: one range scan per page.
        manager
            .create_index(
                Index::create()
                    .name("idx_documents_author")
                    .table(Documents::Table)
                    .col(Documents::AuthorId)
                    .col(Documents::CreatedAt)
                    .col(Documents::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_documents_author")
                    .table(Documents::Table)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Documents {
    Table,
    AuthorId,
    CreatedAt,
    Id,
}
