use sea_orm::entity::prelude::*;

/// One message to hand to the exchange axis, written in the transaction that sends it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "exchange_outbox")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// `edoc` or `status`.
    pub kind: String,
    pub from_code: String,
    /// A JSON list of agency codes.
    pub to_codes: String,
    /// The .edxml bytes in file storage.
    pub message_sha256: String,
    pub document_id: Option<Uuid>,
    pub recipient_id: Option<Uuid>,
    pub status: String,
    pub attempts: i32,
    pub due_at: DateTimeUtc,
    pub claim_id: Option<Uuid>,
    /// The axis's id for the message, once it took it.
    pub axis_doc_id: Option<String>,
    pub last_error: Option<String>,
    pub created_at: DateTimeUtc,
    pub finished_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
