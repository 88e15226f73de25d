use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // What the exchange needs beyond a document's own row (ND 30 Appendix VI): the signer
        // block, the place of issue, the free-text places it goes to, and for an incoming one
        // the issuer's agency code and our arrival date. At most one row per document.
        manager
            .create_table(
                Table::create()
                    .table(DocumentDetails::Table)
                    .col(uuid(DocumentDetails::DocumentId).primary_key())
                    .col(string_len_null(DocumentDetails::PlaceOfIssue, 255))
                    .col(string_len_null(DocumentDetails::SignerCompetence, 255))
                    .col(string_len_null(DocumentDetails::SignerPosition, 255))
                    .col(string_len_null(DocumentDetails::SignerName, 255))
                    .col(string_len_null(DocumentDetails::IssuerCode, 32))
                    .col(date_null(DocumentDetails::ReceivedOn))
                    // A JSON array of strings ("Lưu: VT, TH"): shown and exchanged, never queried.
                    .col(text(DocumentDetails::Places))
                    .foreign_key(
                        ForeignKey::create()
                            .from(DocumentDetails::Table, DocumentDetails::DocumentId)
                            .to(Documents::Table, Documents::Id),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(DocumentDetails::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum DocumentDetails {
    Table,
    DocumentId,
    PlaceOfIssue,
    SignerCompetence,
    SignerPosition,
    SignerName,
    IssuerCode,
    ReceivedOn,
    Places,
}

#[derive(DeriveIden)]
enum Documents {
    Table,
    Id,
}
