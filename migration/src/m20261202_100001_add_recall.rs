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
            (Recall::Recipients, Recall::Recall),
            (Recall::Recipients, Recall::RecallReason),
            (Recall::Arrivals, Recall::Recall),
            (Recall::Arrivals, Recall::RecallReason),
        ] {
            let mut def = ColumnDef::new(column);
            match column {
                Recall::Recall => def.string_len(2),
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
        for table in [Recall::Recipients, Recall::Arrivals] {
            for column in [Recall::Recall, Recall::RecallReason] {
                manager
                    .alter_table(Table::alter().table(table).drop_column(column).to_owned())
                    .await?;
            }
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Recall {
    Recipients,
    Arrivals,
    Recall,
    RecallReason,
}
