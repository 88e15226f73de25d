use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SigningPins::Table)
                    .col(pk_uuid(SigningPins::UserId))
                    // argon2id, like passwords, and never the same as the login password's.
                    .col(string_len(SigningPins::PinHash, 255))
                    // Wrong PINs in a row; at the limit signing is locked until an admin unlocks.
                    .col(integer(SigningPins::Failures))
                    .col(timestamp_with_time_zone(SigningPins::UpdatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SigningPins::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum SigningPins {
    Table,
    UserId,
    PinHash,
    Failures,
    UpdatedAt,
}
