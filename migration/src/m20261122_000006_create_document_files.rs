use sea_orm_migration::{prelude::*, schema::*};

use crate::{m20261122_000002_create_users::Users, m20261122_000005_create_documents::Documents};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(DocumentFiles::Table)
                    .col(pk_uuid(DocumentFiles::Id))
                    .col(uuid(DocumentFiles::DocumentId))
                    // 0 is the main PDF; 1, 2, … the appendices, in upload order.
                    .col(integer(DocumentFiles::Slot))
                    // Every version is kept; the highest is current.
                    .col(integer(DocumentFiles::Version))
                    .col(string_len(DocumentFiles::Name, 255))
                    .col(string_len(DocumentFiles::ContentType, 128))
                    .col(big_integer(DocumentFiles::Size))
                    .col(string_len(DocumentFiles::Sha256, 64))
                    .col(uuid(DocumentFiles::UploadedBy))
                    .col(timestamp_with_time_zone(DocumentFiles::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(DocumentFiles::Table, DocumentFiles::DocumentId)
                            .to(Documents::Table, Documents::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(DocumentFiles::Table, DocumentFiles::UploadedBy)
                            .to(Users::Table, Users::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_document_files_version")
                    .table(DocumentFiles::Table)
                    .col(DocumentFiles::DocumentId)
                    .col(DocumentFiles::Slot)
                    .col(DocumentFiles::Version)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(DocumentFiles::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum DocumentFiles {
    Table,
    Id,
    DocumentId,
    Slot,
    Version,
    Name,
    ContentType,
    Size,
    Sha256,
    UploadedBy,
    CreatedAt,
}
