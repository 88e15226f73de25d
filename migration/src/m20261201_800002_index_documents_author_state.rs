use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // The "submitted by me" badge on every `/me`: my returned drafts counted from the index
        // alone, however many documents I wrote over the years.
        manager
            .create_index(
                Index::create()
                    .name("idx_documents_author_state")
                    .table(Documents::Table)
                    .col(Documents::AuthorId)
                    .col(Documents::State)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_documents_author_state")
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
    State,
}
