use sea_orm::entity::prelude::*;

/// A văn bản. Enumerations are stored as their snake_case names (see the api's domain types).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "documents")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub direction: String,
    pub doc_type: String,
    pub number: Option<i32>,
    pub symbol: Option<String>,
    pub issued_on: Option<Date>,
    pub summary: String,
    pub issuer: Option<String>,
    pub urgency: String,
    pub confidentiality: String,
    pub deadline: Option<DateTimeUtc>,
    pub received_no: Option<i32>,
    pub state: String,
    pub author_id: Uuid,
    pub search_text: String,
    pub revision: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::document_file::Entity")]
    Files,
    #[sea_orm(has_many = "super::task::Entity")]
    Tasks,
}

impl Related<super::document_file::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Files.def()
    }
}

impl Related<super::task::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Tasks.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
