use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // The "for information" badge on every `/me`: unread reading tasks counted from the
        // index alone, not by reading every waiting task of the person.
        manager
            .create_index(
                Index::create()
                    .name("idx_tasks_unread")
                    .table(Tasks::Table)
                    .col(Tasks::AssigneeId)
                    .col(Tasks::Status)
                    .col(Tasks::Action)
                    .col(Tasks::ReadAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_tasks_unread")
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
    Status,
    Action,
    ReadAt,
}
