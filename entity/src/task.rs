use sea_orm::entity::prelude::*;

/// A step of a document's workflow waiting for (or decided by) one person.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tasks")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub document_id: Uuid,
    pub assignee_id: Uuid,
    pub action: String,
    pub status: String,
    pub step: i32,
    pub round: i32,
    pub assigned_by: Uuid,
    pub deadline: Option<DateTimeUtc>,
    /// `deadline`, or the far future: the inbox's second sort key.
    pub sort_deadline: DateTimeUtc,
    /// The document's urgency rank (0 = hỏa tốc), copied for inbox ordering.
    pub urgency_rank: i16,
    pub comment: Option<String>,
    pub decided_at: Option<DateTimeUtc>,
    /// What the author wrote when submitting the chain this task belongs to.
    pub note: Option<String>,
    /// When a reader (`fyi`) first opened the document or the task.
    pub read_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
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
