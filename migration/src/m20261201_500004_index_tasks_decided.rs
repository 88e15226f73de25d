use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // "Processed by me", by my latest decision: one range scan per page, not a sort of
        // every decision a leader ever made.
        manager
            .create_index(
                Index::create()
                    .name("idx_tasks_decided")
                    .table(Tasks::Table)
                    .col(Tasks::AssigneeId)
                    .col(Tasks::DecidedAt)
                    .col(Tasks::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_tasks_decided")
                    .table(Tasks::Table)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Tasks {
    Table,
    AssigneeId,
    DecidedAt,
    Id,
}
