use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SigningRequests::Table)
                    .col(pk_uuid(SigningRequests::Id))
                    .col(uuid(SigningRequests::TaskId))
                    .col(uuid(SigningRequests::DocumentId))
                    // The file version pinned when the request was made.
                    .col(uuid(SigningRequests::FileId))
                    .col(string_len(SigningRequests::FileSha256, 64))
                    .col(uuid(SigningRequests::UserId))
                    .col(uuid(SigningRequests::SessionId))
                    .col(string_len_null(SigningRequests::Reason, 255))
                    .col(string_len_null(SigningRequests::Location, 255))
                    .col(timestamp_with_time_zone(SigningRequests::ExpiresAt))
                    .col(timestamp_with_time_zone(SigningRequests::CreatedAt))
                    // Set once signed, in the same transaction as the signed file: a retried
                    // confirm finds them and answers the first result.
                    .col(uuid_null(SigningRequests::SignatureId))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SigningRequests::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum SigningRequests {
    Table,
    Id,
    TaskId,
    DocumentId,
    FileId,
    FileSha256,
    UserId,
    SessionId,
    Reason,
    Location,
    ExpiresAt,
    CreatedAt,
    SignatureId,
}
