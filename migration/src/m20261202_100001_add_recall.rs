use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // A recall (QCVN 102 `13`, answered `15` or `16`) runs beside a delivery's progress, not
        // in it: the sender's row keeps the recipient's status, and the recipient's arrival the
        // request its clerk answers. SQLite alters one column at a time.
        for (table, column) in [
            (Added::Recipients, Added::Recall),
            (Added::Recipients, Added::RecallReason),
            (Added::Arrivals, Added::Recall),
            (Added::Arrivals, Added::RecallReason),
        ] {
            let mut def = ColumnDef::new(column);
            match column {
                Added::Recall => def.string_len(2),
                _ => def.text(),
            };
            manager
                .alter_table(
                    Table::alter()
                        .table(table)
                        .add_column(def.null())
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [Added::Recipients, Added::Arrivals] {
            for column in [Added::Recall, Added::RecallReason] {
                manager
                    .alter_table(Table::alter().table(table).drop_column(column).to_owned())
                    .await?;
            }
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Added {
    Recipients,
    Arrivals,
    Recall,
    RecallReason,
}
