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
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
