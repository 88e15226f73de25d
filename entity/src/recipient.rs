use sea_orm::entity::prelude::*;

/// A recipient (nơi nhận) of an outgoing document and its delivery: an organisation on this
/// server or an agency elsewhere by code; `status` is empty until sent, then the latest QCVN 102
/// status code.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "recipients")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub document_id: Uuid,
    pub position: i32,
    pub organization_id: Option<Uuid>,
    pub agency_code: Option<String>,
    pub name: String,
    pub status: Option<String>,
    pub reason: Option<String>,
    pub incoming_document_id: Option<Uuid>,
    pub sent_at: Option<DateTimeUtc>,
    pub updated_at: Option<DateTimeUtc>,
    /// A recall: `13` asked, `15` agreed, `16` refused; with the sender's reason.
    pub recall: Option<String>,
    pub recall_reason: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::document::Entity",
        from = "Column::DocumentId",
        to = "super::document::Column::Id"
    )]
    Document,
}

impl Related<super::document::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Document.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
