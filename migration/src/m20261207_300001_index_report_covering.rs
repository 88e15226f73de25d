use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The usage report counts a period's documents and decisions. With only the period's first
/// column in its indexes it read each row of the period from the table, and those reads cost
/// more as the table outgrew the memory that caches it: the report slowed as the archive grew
/// though the period did not. These hold every column the report asks of them, so each count
/// is a range of an index.
const DOCUMENTS_ISSUED: &str = "idx_documents_organization_issued";
const DOCUMENTS_ISSUED_COVERING: &str = "idx_documents_issued_in_period";
const DOCUMENTS_REGISTERED: &str = "idx_documents_registered_in_period";
const TASKS_DECIDED_AT: &str = "idx_tasks_decided_at";
const TASKS_DECISIONS: &str = "idx_tasks_decisions";

fn index(name: &str, table: impl IntoIden, columns: Vec<DynIden>) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table(table);
    for column in columns {
        index.col(column);
    }
    index
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use Documents as D;
        use Tasks as T;
        let create = [
            index(
                DOCUMENTS_ISSUED_COVERING,
                D::Table,
                vec![
                    D::OrganizationId.into_iden(),
                    D::Direction.into_iden(),
                    D::State.into_iden(),
                    D::IssuedOn.into_iden(),
                    D::Id.into_iden(),
                ],
            ),
            index(
                DOCUMENTS_REGISTERED,
                D::Table,
                vec![
                    D::OrganizationId.into_iden(),
                    D::Direction.into_iden(),
                    D::CreatedAt.into_iden(),
                    D::ReceivedNo.into_iden(),
                ],
            ),
            index(
                TASKS_DECISIONS,
                T::Table,
                vec![
                    T::DecidedAt.into_iden(),
                    T::Action.into_iden(),
                    T::DocumentId.into_iden(),
                    T::CreatedAt.into_iden(),
                ],
            ),
        ];
        for statement in create {
            manager.create_index(statement).await?;
        }
        drop_index(manager, DOCUMENTS_ISSUED, D::Table).await?;
        drop_index(manager, TASKS_DECIDED_AT, T::Table).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use Documents as D;
        use Tasks as T;
        let organization_issued = vec![D::OrganizationId.into_iden(), D::IssuedOn.into_iden()];
        manager
            .create_index(index(DOCUMENTS_ISSUED, D::Table, organization_issued))
            .await?;
        manager
            .create_index(index(
                TASKS_DECIDED_AT,
                T::Table,
                vec![T::DecidedAt.into_iden()],
            ))
            .await?;
        drop_index(manager, TASKS_DECISIONS, T::Table).await?;
        drop_index(manager, DOCUMENTS_REGISTERED, D::Table).await?;
        drop_index(manager, DOCUMENTS_ISSUED_COVERING, D::Table).await
    }
}

async fn drop_index(
    manager: &SchemaManager<'_>,
    name: &str,
    table: impl IntoIden,
) -> Result<(), DbErr> {
    manager
        .drop_index(Index::drop().name(name).table(table).to_owned())
        .await
}

#[derive(DeriveIden)]
enum Documents {
    Table,
    Id,
    OrganizationId,
    Direction,
    State,
    IssuedOn,
    CreatedAt,
    ReceivedNo,
}

#[derive(DeriveIden)]
enum Tasks {
    Table,
    DecidedAt,
    Action,
    DocumentId,
    CreatedAt,
}
