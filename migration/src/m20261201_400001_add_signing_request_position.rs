use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The position of the visible signature the app chose when it asked to sign: a page (from 1)
/// and a rectangle in points; all empty for the default, lower right of the last page.
const RECT: [SigningRequests; 4] = [
    SigningRequests::PositionX,
    SigningRequests::PositionY,
    SigningRequests::PositionWidth,
    SigningRequests::PositionHeight,
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one at a time.
        let add = |column: ColumnDef| {
            Table::alter()
                .table(SigningRequests::Table)
                .add_column(column)
                .to_owned()
        };
        manager
            .alter_table(add(integer_null(SigningRequests::PositionPage)))
            .await?;
        for column in RECT {
            manager.alter_table(add(double_null(column))).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in RECT.into_iter().chain([SigningRequests::PositionPage]) {
            manager
                .alter_table(
                    Table::alter()
                        .table(SigningRequests::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum SigningRequests {
    Table,
    PositionPage,
    PositionX,
    PositionY,
    PositionWidth,
    PositionHeight,
}
