use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "organizations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub code: String,
    /// What symbols are built from: `TU` in `1945-QĐ/TU`, `UBND` in `215/UBND-VX`.
    pub abbreviation: String,
    pub name: String,
    pub parent_id: Option<Uuid>,
    /// `party` (`1945-QĐ/TU`) or `state` (`02/CT-TTg`).
    pub numbering_style: String,
    pub created_at: DateTimeUtc,
    /// Pushes about its documents carry their summary.
    pub push_summary: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
