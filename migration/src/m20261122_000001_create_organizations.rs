use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Organizations::Table)
                    .col(pk_uuid(Organizations::Id))
                    .col(string_len_uniq(Organizations::Code, 32))
                    .col(string_len(Organizations::Name, 255))
                    .col(uuid_null(Organizations::ParentId))
                    .col(string_len(Organizations::NumberingStyle, 16))
                    .col(timestamp_with_time_zone(Organizations::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Organizations::Table, Organizations::ParentId)
                            .to(Organizations::Table, Organizations::Id),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Organizations::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub(crate) enum Organizations {
    Table,
    Id,
    Code,
    Name,
    ParentId,
    NumberingStyle,
    CreatedAt,
}
