use sea_orm::entity::prelude::*;

/// What the exchange needs beyond the document row: signer block, place of issue, free-text
/// places (a JSON array), and for an incoming document the issuer's code and arrival date.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "document_details")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub document_id: Uuid,
    pub place_of_issue: Option<String>,
    pub signer_competence: Option<String>,
    pub signer_position: Option<String>,
    pub signer_name: Option<String>,
    pub issuer_code: Option<String>,
    pub received_on: Option<Date>,
    pub places: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
