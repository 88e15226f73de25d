use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Every status a recipient reported, in order: the delivery's history on the sender's
        // screen. The recipient row keeps only the latest.
        manager
            .create_table(
                Table::create()
                    .table(DeliveryEvents::Table)
                    .col(pk_uuid(DeliveryEvents::Id))
                    .col(uuid(DeliveryEvents::RecipientId))
                    .col(string_len(DeliveryEvents::Status, 2))
                    .col(text_null(DeliveryEvents::Reason))
                    .col(timestamp_with_time_zone(DeliveryEvents::At))
                    .foreign_key(
                        ForeignKey::create()
                            .from(DeliveryEvents::Table, DeliveryEvents::RecipientId)
                            .to(Recipients::Table, Recipients::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_delivery_events_recipient")
                    .table(DeliveryEvents::Table)
                    .col(DeliveryEvents::RecipientId)
                    .col(DeliveryEvents::At)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(DeliveryEvents::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum DeliveryEvents {
    Table,
    Id,
    RecipientId,
    Status,
    Reason,
    At,
}

#[derive(DeriveIden)]
enum Recipients {
    Table,
    Id,
}
