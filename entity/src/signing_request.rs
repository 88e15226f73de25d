use sea_orm::entity::prelude::*;

/// A leader's intent to sign one pinned file version, confirmed (or not) with the PIN.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
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
    /// Where the visible signature goes: a page (from 1) and a rectangle in points; empty for
    /// the default place.
    pub position_page: Option<i32>,
    pub position_x: Option<f64>,
    pub position_y: Option<f64>,
    pub position_width: Option<f64>,
    pub position_height: Option<f64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
