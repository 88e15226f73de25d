use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261123_000001_create_audit_log::GENESIS;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // The last audit entry a check found intact, and its hash: the next check walks only
        // the entries after it. One row; seq 0 is "never checked".
        manager
            .create_table(
                Table::create()
                    .table(AuditCheckpoint::Table)
                    .col(integer(AuditCheckpoint::Id).primary_key())
                    .col(big_integer(AuditCheckpoint::Seq))
                    .col(string_len(AuditCheckpoint::Hash, 64))
                    .col(timestamp_with_time_zone_null(AuditCheckpoint::CheckedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(AuditCheckpoint::Table)
                    .columns([
                        AuditCheckpoint::Id,
                        AuditCheckpoint::Seq,
                        AuditCheckpoint::Hash,
                    ])
                    .values_panic([1.into(), 0i64.into(), GENESIS.into()])
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AuditCheckpoint::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum AuditCheckpoint {
    Table,
    Id,
    Seq,
    Hash,
    CheckedAt,
}
