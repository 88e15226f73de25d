use sea_orm_migration::{prelude::*, schema::*};

use crate::{
    m20261122_000001_create_organizations::Organizations, m20261122_000002_create_users::Users,
    m20261122_000004_create_doc_types::DocTypes,
};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Documents::Table)
                    .col(pk_uuid(Documents::Id))
                    .col(uuid(Documents::OrganizationId))
                    .col(string_len(Documents::Direction, 16))
                    .col(string_len(Documents::DocType, 16))
                    .col(integer_null(Documents::Number))
                    .col(string_len_null(Documents::Symbol, 128))
                    .col(date_null(Documents::IssuedOn))
                    .col(string_len(Documents::Summary, 1000))
                    .col(string_len_null(Documents::Issuer, 255))
                    .col(string_len(Documents::Urgency, 16))
                    .col(string_len(Documents::Confidentiality, 16))
                    .col(timestamp_with_time_zone_null(Documents::Deadline))
                    .col(integer_null(Documents::ReceivedNo))
                    .col(string_len(Documents::State, 16))
                    .col(uuid(Documents::AuthorId))
                    // Folded (lower case, no diacritics) summary, symbol and issuer, for search.
                    .col(text(Documents::SearchText))
                    // Bumped by every change: the ETag of a document read.
                    .col(integer(Documents::Revision))
                    .col(timestamp_with_time_zone(Documents::CreatedAt))
                    .col(timestamp_with_time_zone(Documents::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Documents::Table, Documents::OrganizationId)
                            .to(Organizations::Table, Organizations::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Documents::Table, Documents::DocType)
                            .to(DocTypes::Table, DocTypes::Code),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Documents::Table, Documents::AuthorId)
                            .to(Users::Table, Users::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_documents_organization_created")
                    .table(Documents::Table)
                    .col(Documents::OrganizationId)
                    .col(Documents::CreatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Documents::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub(crate) enum Documents {
    Table,
    Id,
    OrganizationId,
    Direction,
    DocType,
    Number,
    Symbol,
    IssuedOn,
    Summary,
    Issuer,
    Urgency,
    Confidentiality,
    Deadline,
    ReceivedNo,
    State,
    AuthorId,
    SearchText,
    Revision,
    CreatedAt,
    UpdatedAt,
}
