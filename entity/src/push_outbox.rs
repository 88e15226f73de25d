use sea_orm::entity::prelude::*;

/// One push to one device, written in the transaction of the change it announces.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "push_outbox")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    pub session_id: Uuid,
    pub kind: String,
    pub document_id: Uuid,
    pub task_id: Uuid,
    /// The FCM message as JSON, without the device token.
    pub message: String,
    pub status: String,
    pub attempts: i32,
    pub due_at: DateTimeUtc,
    pub claim_id: Option<Uuid>,
    pub fcm_name: Option<String>,
    pub last_error: Option<String>,
    pub created_at: DateTimeUtc,
    pub finished_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
