use sea_orm::entity::prelude::*;

/// Where an incoming document came from when another organisation sent it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "arrivals")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub document_id: Uuid,
    pub organization_id: Uuid,
    pub sender_code: String,
    /// QCVN 102 `DocumentId`: `{issuer code},{yyyy/MM/dd},{number}/{symbol}`.
    pub sender_document_id: String,
    /// `local`, `axis` or `import`.
    pub route: String,
    pub axis_doc_id: Option<String>,
    pub signatures_valid: Option<bool>,
    pub arrived_at: DateTimeUtc,
    /// A recall: `13` asked, `15` agreed, `16` refused; with the sender's reason.
    pub recall: Option<String>,
    pub recall_reason: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
