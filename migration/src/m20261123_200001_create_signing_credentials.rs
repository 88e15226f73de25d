use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SigningCredentials::Table)
                    .col(pk_uuid(SigningCredentials::Id))
                    // Exactly one of the two: a person's key or an organisation's seal.
                    .col(uuid_null(SigningCredentials::UserId))
                    .col(uuid_null(SigningCredentials::OrganizationId))
                    // The key's label in the HSM; the key itself never leaves it.
                    .col(string_len_uniq(SigningCredentials::KeyLabel, 128))
                    .col(string_len(SigningCredentials::Algorithm, 16))
                    .col(text(SigningCredentials::CsrPem))
                    .col(text_null(SigningCredentials::CertificatePem))
                    // The issuers of the certificate, PEM, embedded in every signature.
                    .col(text_null(SigningCredentials::ChainPem))
                    .col(timestamp_with_time_zone(SigningCredentials::CreatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SigningCredentials::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum SigningCredentials {
    Table,
    Id,
    UserId,
    OrganizationId,
    KeyLabel,
    Algorithm,
    CsrPem,
    CertificatePem,
    ChainPem,
    CreatedAt,
}
