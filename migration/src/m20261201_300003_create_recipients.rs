use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Nơi nhận of an outgoing document, in the order written, and each one's delivery: an
        // organisation on this server (`organization_id`) or an agency elsewhere (`agency_code`).
        // `status` is empty until the document is sent, then the recipient's latest QCVN 102
        // status code (01 arrived … 06 completed); `incoming_document_id` is the copy a
        // recipient on this server received.
        manager
            .create_table(
                Table::create()
                    .table(Recipients::Table)
                    .col(pk_uuid(Recipients::Id))
                    .col(uuid(Recipients::DocumentId))
                    .col(integer(Recipients::Position))
                    .col(uuid_null(Recipients::OrganizationId))
                    .col(string_len_null(Recipients::AgencyCode, 32))
                    .col(string_len(Recipients::Name, 255))
                    .col(string_len_null(Recipients::Status, 2))
                    .col(text_null(Recipients::Reason))
                    .col(uuid_null(Recipients::IncomingDocumentId))
                    .col(timestamp_with_time_zone_null(Recipients::SentAt))
                    .col(timestamp_with_time_zone_null(Recipients::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Recipients::Table, Recipients::DocumentId)
                            .to(Documents::Table, Documents::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Recipients::Table, Recipients::OrganizationId)
                            .to(Organizations::Table, Organizations::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_recipients_position")
                    .table(Recipients::Table)
                    .col(Recipients::DocumentId)
                    .col(Recipients::Position)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // A recipient's progress is found from the copy it received.
        manager
            .create_index(
                Index::create()
                    .name("idx_recipients_incoming_document")
                    .table(Recipients::Table)
                    .col(Recipients::IncomingDocumentId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Recipients::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Recipients {
    Table,
    Id,
    DocumentId,
    Position,
    OrganizationId,
    AgencyCode,
    Name,
    Status,
    Reason,
    IncomingDocumentId,
    SentAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Documents {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
}
