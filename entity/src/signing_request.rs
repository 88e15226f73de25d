use sea_orm::entity::prelude::*;

/// A leader's intent to sign one pinned file version, confirmed (or not) with the PIN.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "signing_requests")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub task_id: Uuid,
    pub document_id: Uuid,
    pub file_id: Uuid,
    pub file_sha256: String,
    pub user_id: Uuid,
    pub session_id: Uuid,
    pub reason: Option<String>,
    pub location: Option<String>,
    pub expires_at: DateTimeUtc,
    pub created_at: DateTimeUtc,
    pub signature_id: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
