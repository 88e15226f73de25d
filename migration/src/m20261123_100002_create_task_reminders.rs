use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One row per reminder sent for a task, written with its pushes: the primary key is
        // what keeps a reminder to once per task across restarts and instances.
        manager
            .create_table(
                Table::create()
                    .table(TaskReminders::Table)
                    .col(uuid(TaskReminders::TaskId))
                    .col(string_len(TaskReminders::Kind, 16))
                    .col(timestamp_with_time_zone(TaskReminders::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(TaskReminders::TaskId)
                            .col(TaskReminders::Kind),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(TaskReminders::Table, TaskReminders::TaskId)
                            .to(Tasks::Table, Tasks::Id),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(TaskReminders::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum TaskReminders {
    Table,
    TaskId,
    Kind,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Tasks {
    Table,
    Id,
}
