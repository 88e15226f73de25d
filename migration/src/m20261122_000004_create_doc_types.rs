use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The document types every agency starts with (code as written in a symbol, Vietnamese name);
/// agencies add their own rows.
pub const SEED_DOC_TYPES: &[(&str, &str)] = &[
    ("QĐ", "Quyết định"),
    ("CT", "Chỉ thị"),
    ("CV", "Công văn"),
    ("TB", "Thông báo"),
    ("KH", "Kế hoạch"),
    ("QĐi", "Quy định"),
    ("HD", "Hướng dẫn"),
    ("BC", "Báo cáo"),
    ("TTr", "Tờ trình"),
    ("GM", "Giấy mời"),
    ("KL", "Kết luận"),
    ("NQ", "Nghị quyết"),
    ("CTr", "Chương trình"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(DocTypes::Table)
                    .col(string_len(DocTypes::Code, 16).primary_key())
                    .col(string_len(DocTypes::Name, 255))
                    .to_owned(),
            )
            .await?;
        let mut seed = Query::insert();
        seed.into_table(DocTypes::Table)
            .columns([DocTypes::Code, DocTypes::Name]);
        for (code, name) in SEED_DOC_TYPES {
            seed.values_panic([(*code).into(), (*name).into()]);
        }
        manager.exec_stmt(seed).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(DocTypes::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub(crate) enum DocTypes {
    Table,
    Code,
    Name,
}
