use sea_orm::entity::prelude::*;

/// A signature this server made into a document's file.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "signatures")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub document_id: Uuid,
    pub file_id: Uuid,
    pub kind: String,
    pub user_id: Option<Uuid>,
    pub organization_id: Uuid,
    pub credential_id: Uuid,
    pub signed_at: DateTimeUtc,
    /// It carries an RFC 3161 timestamp (PAdES B-T).
    pub timestamped: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
