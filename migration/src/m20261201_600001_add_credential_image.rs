use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // What the signature shows: a person's handwritten signature, or an organisation's
        // seal; a PNG with a transparent background, checked when uploaded.
        manager
            .alter_table(
                Table::alter()
                    .table(SigningCredentials::Table)
                    .add_column(blob_null(SigningCredentials::ImagePng))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(SigningCredentials::Table)
                    .drop_column(SigningCredentials::ImagePng)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum SigningCredentials {
    Table,
    ImagePng,
}
