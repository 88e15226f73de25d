use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261122_000001_create_organizations::Organizations;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // The abbreviation symbols are built from (`TU` in `1945-QĐ/TU`), apart from the code,
        // which becomes the QCVN 102 agency code. Existing organisations keep the symbols they
        // had: their abbreviation starts as their code.
        manager
            .alter_table(
                Table::alter()
                    .table(Organizations::Table)
                    .add_column(string(Abbreviation::Abbreviation).default(""))
                    .to_owned(),
            )
            .await?;
        let backfill = Query::update()
            .table(Organizations::Table)
            .value(Abbreviation::Abbreviation, Expr::col(Organizations::Code))
            .to_owned();
        manager.exec_stmt(backfill).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Organizations::Table)
                    .drop_column(Abbreviation::Abbreviation)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Abbreviation {
    Abbreviation,
}
