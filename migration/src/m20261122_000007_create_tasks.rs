use sea_orm_migration::{prelude::*, schema::*};

use crate::{m20261122_000002_create_users::Users, m20261122_000005_create_documents::Documents};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Tasks::Table)
                    .col(pk_uuid(Tasks::Id))
                    .col(uuid(Tasks::DocumentId))
                    .col(uuid(Tasks::AssigneeId))
                    .col(string_len(Tasks::Action, 16))
                    .col(string_len(Tasks::Status, 16))
                    .col(integer(Tasks::Step))
                    .col(integer(Tasks::Round))
                    .col(uuid(Tasks::AssignedBy))
                    .col(timestamp_with_time_zone_null(Tasks::Deadline))
                    // The deadline, or the far future when there is none: a non-null sort key
                    // orders the same on every database and makes a plain keyset cursor.
                    .col(timestamp_with_time_zone(Tasks::SortDeadline))
                    // The document's urgency, copied so the inbox orders from one index.
                    .col(small_integer(Tasks::UrgencyRank))
                    .col(text_null(Tasks::Comment))
                    .col(timestamp_with_time_zone_null(Tasks::DecidedAt))
                    .col(timestamp_with_time_zone(Tasks::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Tasks::Table, Tasks::DocumentId)
                            .to(Documents::Table, Documents::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Tasks::Table, Tasks::AssigneeId)
                            .to(Users::Table, Users::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_tasks_inbox")
                    .table(Tasks::Table)
                    .col(Tasks::AssigneeId)
                    .col(Tasks::Status)
                    .col(Tasks::UrgencyRank)
                    .col(Tasks::SortDeadline)
                    .col(Tasks::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_tasks_document")
                    .table(Tasks::Table)
                    .col(Tasks::DocumentId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Tasks::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Tasks {
    Table,
    Id,
    DocumentId,
    AssigneeId,
    Action,
    Status,
    Step,
    Round,
    AssignedBy,
    Deadline,
    SortDeadline,
    UrgencyRank,
    Comment,
    DecidedAt,
    CreatedAt,
}
