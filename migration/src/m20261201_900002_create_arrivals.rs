use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Where an incoming document came from when another organisation sent it: the sender's
        // agency code and the QCVN 102 DocumentId (`{code},{yyyy/MM/dd},{number}/{symbol}`),
        // unique per receiving organisation, so a message delivered twice is stored once; its
        // route (`local`, `axis`, `import`) and the axis's own id when it came that way; whether
        // its signatures verified.
        manager
            .create_table(
                Table::create()
                    .table(Arrivals::Table)
                    .col(pk_uuid(Arrivals::DocumentId))
                    .col(uuid(Arrivals::OrganizationId))
                    .col(string_len(Arrivals::SenderCode, 32))
                    .col(string_len(Arrivals::SenderDocumentId, 255))
                    .col(string_len(Arrivals::Route, 8))
                    .col(string_len_null(Arrivals::AxisDocId, 128))
                    .col(boolean_null(Arrivals::SignaturesValid))
                    .col(timestamp_with_time_zone(Arrivals::ArrivedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Arrivals::Table, Arrivals::DocumentId)
                            .to(Documents::Table, Documents::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Arrivals::Table, Arrivals::OrganizationId)
                            .to(Organizations::Table, Organizations::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_arrivals_sender_document")
                    .table(Arrivals::Table)
                    .col(Arrivals::OrganizationId)
                    .col(Arrivals::SenderCode)
                    .col(Arrivals::SenderDocumentId)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Arrivals::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Arrivals {
    Table,
    DocumentId,
    OrganizationId,
    SenderCode,
    SenderDocumentId,
    Route,
    AxisDocId,
    SignaturesValid,
    ArrivedAt,
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
