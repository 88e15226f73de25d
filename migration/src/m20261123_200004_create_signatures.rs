use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Signatures::Table)
                    .col(pk_uuid(Signatures::Id))
                    .col(uuid(Signatures::DocumentId))
                    // The file version this signature produced.
                    .col(uuid(Signatures::FileId))
                    // `signer` (a leader's) or `seal` (the organisation's, at issuance).
                    .col(string_len(Signatures::Kind, 16))
                    .col(uuid_null(Signatures::UserId))
                    .col(uuid(Signatures::OrganizationId))
                    .col(uuid(Signatures::CredentialId))
                    .col(timestamp_with_time_zone(Signatures::SignedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_signatures_document")
                    .table(Signatures::Table)
                    .col(Signatures::DocumentId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Signatures::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Signatures {
    Table,
    Id,
    DocumentId,
    FileId,
    Kind,
    UserId,
    OrganizationId,
    CredentialId,
    SignedAt,
}
