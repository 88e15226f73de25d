use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261122_000001_create_organizations::Organizations;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Whether pushes about the organisation's documents carry their summary: off unless an
        // admin opts in, since a push travels through Google and Apple.
        manager
            .alter_table(
                Table::alter()
                    .table(Organizations::Table)
                    .add_column(boolean(PushSummary::PushSummary).default(false))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Organizations::Table)
                    .drop_column(PushSummary::PushSummary)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum PushSummary {
    PushSummary,
}
