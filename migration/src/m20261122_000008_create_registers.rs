use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261122_000001_create_organizations::Organizations;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Registers::Table)
                    .col(uuid(Registers::OrganizationId))
                    // `incoming` (sổ văn bản đến) or `outgoing` (sổ văn bản đi).
                    .col(string_len(Registers::Book, 16))
                    .col(integer(Registers::Year))
                    // The last number given; the next is one more. Numbers are never reused.
                    .col(integer(Registers::LastNumber))
                    .primary_key(
                        Index::create()
                            .col(Registers::OrganizationId)
                            .col(Registers::Book)
                            .col(Registers::Year),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Registers::Table, Registers::OrganizationId)
                            .to(Organizations::Table, Organizations::Id),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Registers::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Registers {
    Table,
    OrganizationId,
    Book,
    Year,
    LastNumber,
}
