//! The task rows a document's history, and a task's origin, are rebuilt from.

use entity::task::{self, Entity as Tasks};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, ExprTrait, QueryFilter,
    QueryOrder, sea_query::Expr,
};
use uuid::Uuid;

use super::tasks::{TaskRow, to_domain};
use crate::domain::{
    history::{ORIGIN_STATUSES, TaskRecord, origin_places},
    workflow::Task,
};

/// Every task of these documents with what was written on it, each with its document's id,
/// oldest first: one query, however many documents.
pub async fn task_records(
    db: &impl ConnectionTrait,
    documents: &[Uuid],
) -> Result<Vec<(Uuid, TaskRecord)>, DbErr> {
    records(db, documents, Condition::all()).await
}

/// Of the page's tasks' documents, the tasks themselves and the decided ones they can come
/// from (in one of [`ORIGIN_STATUSES`], at one of their [`origin_places`]): what the inbox
/// needs to say where each row came from, without the rest of each document's chain.
pub async fn origin_records(
    db: &impl ConnectionTrait,
    page: &[(Uuid, &Task)],
) -> Result<Vec<(Uuid, TaskRecord)>, DbErr> {
    let mut documents: Vec<Uuid> = page.iter().map(|(document, _)| *document).collect();
    documents.sort_unstable();
    documents.dedup();
    let places = page.iter().flat_map(|(document, task)| {
        origin_places(task).map(|(round, step)| (*document, i64::from(round), i64::from(step)))
    });
    let at_places = Expr::tuple([
        Expr::col(task::Column::DocumentId),
        Expr::col(task::Column::Round),
        Expr::col(task::Column::Step),
    ])
    .in_tuples(places);
    let origins = Condition::all()
        .add(task::Column::Status.is_in(ORIGIN_STATUSES.map(|s| s.as_str())))
        .add(task::Column::DecidedAt.is_not_null())
        .add(at_places);
    let wanted = Condition::any()
        .add(task::Column::Id.is_in(page.iter().map(|(_, task)| task.id)))
        .add(origins);
    records(db, &documents, wanted).await
}

async fn records(
    db: &impl ConnectionTrait,
    documents: &[Uuid],
    wanted: Condition,
) -> Result<Vec<(Uuid, TaskRecord)>, DbErr> {
    if documents.is_empty() {
        return Ok(Vec::new());
    }
    Tasks::find()
        .filter(task::Column::DocumentId.is_in(documents.iter().copied()))
        .filter(wanted)
        .order_by_asc(task::Column::CreatedAt)
        .order_by_asc(task::Column::Step)
        .into_model::<TaskRow>()
        .all(db)
        .await?
        .into_iter()
        .map(|TaskRow(m)| {
            let record = TaskRecord {
                task: to_domain(&m)?,
                comment: m.comment,
                decided_at: m.decided_at,
                created_at: m.created_at,
                note: m.note,
            };
            Ok((m.document_id, record))
        })
        .collect()
}
