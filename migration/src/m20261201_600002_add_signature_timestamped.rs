use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Whether the signature carries an RFC 3161 timestamp (PAdES B-T), so a retried
        // confirmation answers what the first one did. Earlier signatures have none.
        manager
            .alter_table(
                Table::alter()
                    .table(Signatures::Table)
                    .add_column(boolean(Signatures::Timestamped).default(false))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Signatures::Table)
                    .drop_column(Signatures::Timestamped)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Signatures {
    Table,
    Timestamped,
}
