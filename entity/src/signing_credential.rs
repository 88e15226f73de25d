use sea_orm::entity::prelude::*;

/// A key pair inside the HSM, owned by a user (their signature) or an organisation (its seal).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "signing_credentials")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Option<Uuid>,
    pub organization_id: Option<Uuid>,
    pub key_label: String,
    pub algorithm: String,
    #[sea_orm(column_type = "Text")]
    pub csr_pem: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub certificate_pem: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub chain_pem: Option<String>,
    pub created_at: DateTimeUtc,
    /// The signature or seal image shown on the page (PNG with transparency).
    #[sea_orm(column_type = "Blob", nullable)]
    pub image_png: Option<Vec<u8>>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
