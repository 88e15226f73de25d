use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261122_000002_create_users::Users;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PushOutbox::Table)
                    .col(pk_uuid(PushOutbox::Id))
                    .col(uuid(PushOutbox::UserId))
                    // The device: a session in Redis, checked again at send time.
                    .col(uuid(PushOutbox::SessionId))
                    .col(string_len(PushOutbox::Kind, 32))
                    .col(uuid(PushOutbox::DocumentId))
                    .col(uuid(PushOutbox::TaskId))
                    // The FCM message without its token, which is read when sending.
                    .col(text(PushOutbox::Message))
                    .col(string_len(PushOutbox::Status, 16))
                    .col(integer(PushOutbox::Attempts))
                    // When it may be claimed; a claim moves it ahead by the lease, so a row
                    // whose sender died becomes due again by itself.
                    .col(timestamp_with_time_zone(PushOutbox::DueAt))
                    .col(uuid_null(PushOutbox::ClaimId))
                    .col(string_len_null(PushOutbox::FcmName, 255))
                    .col(text_null(PushOutbox::LastError))
                    .col(timestamp_with_time_zone(PushOutbox::CreatedAt))
                    .col(timestamp_with_time_zone_null(PushOutbox::FinishedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(PushOutbox::Table, PushOutbox::UserId)
                            .to(Users::Table, Users::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_push_outbox_due")
                    .table(PushOutbox::Table)
                    .col(PushOutbox::Status)
                    .col(PushOutbox::DueAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PushOutbox::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum PushOutbox {
    Table,
    Id,
    UserId,
    SessionId,
    Kind,
    DocumentId,
    TaskId,
    Message,
    Status,
    Attempts,
    DueAt,
    ClaimId,
    FcmName,
    LastError,
    CreatedAt,
    FinishedAt,
}
