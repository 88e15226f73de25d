use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One message to hand to the exchange axis, written in the transaction that decided to
        // send it and claimed under a lease like the push outbox. The .edxml bytes are in file
        // storage under `message_sha256`, stored before the transaction. `axis_doc_id` is the
        // axis's id once it took the message.
        manager
            .create_table(
                Table::create()
                    .table(ExchangeOutbox::Table)
                    .col(pk_uuid(ExchangeOutbox::Id))
                    .col(string_len(ExchangeOutbox::Kind, 8))
                    .col(string_len(ExchangeOutbox::FromCode, 64))
                    // A JSON list of agency codes.
                    .col(text(ExchangeOutbox::ToCodes))
                    .col(string_len(ExchangeOutbox::MessageSha256, 64))
                    .col(uuid_null(ExchangeOutbox::DocumentId))
                    .col(uuid_null(ExchangeOutbox::RecipientId))
                    .col(string_len(ExchangeOutbox::Status, 16))
                    .col(integer(ExchangeOutbox::Attempts))
                    .col(timestamp_with_time_zone(ExchangeOutbox::DueAt))
                    .col(uuid_null(ExchangeOutbox::ClaimId))
                    .col(string_len_null(ExchangeOutbox::AxisDocId, 128))
                    .col(text_null(ExchangeOutbox::LastError))
                    .col(timestamp_with_time_zone(ExchangeOutbox::CreatedAt))
                    .col(timestamp_with_time_zone_null(ExchangeOutbox::FinishedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_exchange_outbox_due")
                    .table(ExchangeOutbox::Table)
                    .col(ExchangeOutbox::Status)
                    .col(ExchangeOutbox::DueAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_exchange_outbox_document")
                    .table(ExchangeOutbox::Table)
                    .col(ExchangeOutbox::DocumentId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ExchangeOutbox::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum ExchangeOutbox {
    Table,
    Id,
    Kind,
    FromCode,
    ToCodes,
    MessageSha256,
    DocumentId,
    RecipientId,
    Status,
    Attempts,
    DueAt,
    ClaimId,
    AxisDocId,
    LastError,
    CreatedAt,
    FinishedAt,
}
