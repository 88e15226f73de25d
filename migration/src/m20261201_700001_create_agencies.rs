use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // The exchange axis's directory of agencies, copied here so clerks pick recipients by
        // name or code without a call to the axis. `name_folded` is the name lower-cased and
        // without diacritics, what searches match; `synced_at` dates the sync that last listed
        // it. Pages are ordered by folded name and code compared byte by byte on every
        // database, as the server compares the cursor.
        let bytewise = |col: &mut ColumnDef| {
            if manager.get_database_backend() == sea_orm::DbBackend::Postgres {
                col.extra("COLLATE \"C\"");
            }
            col.to_owned()
        };
        manager
            .create_table(
                Table::create()
                    .table(Agencies::Table)
                    .col(bytewise(string_len(Agencies::Code, 64).primary_key()))
                    .col(string_len(Agencies::Name, 512))
                    .col(string_len_null(Agencies::ParentCode, 64))
                    .col(bytewise(&mut string_len(Agencies::NameFolded, 512)))
                    .col(timestamp_with_time_zone(Agencies::SyncedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_agencies_name_folded")
                    .table(Agencies::Table)
                    .col(Agencies::NameFolded)
                    .col(Agencies::Code)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Agencies::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Agencies {
    Table,
    Code,
    Name,
    ParentCode,
    NameFolded,
    SyncedAt,
}
