//! The task rows a document's history, and a task's origin, are rebuilt from.

use entity::task::{self, Entity as Tasks};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
};
use uuid::Uuid;

use super::tasks::to_domain;
use crate::domain::history::{ORIGIN_STATUSES, TaskRecord};

/// Every task of these documents with what was written on it, each with its document's id,
/// oldest first: one query, however many documents.
pub async fn task_records(
    db: &impl ConnectionTrait,
    documents: &[Uuid],
) -> Result<Vec<(Uuid, TaskRecord)>, DbErr> {
    records(db, documents, Condition::all()).await
}

/// Of these documents' tasks, the `tasks` themselves and those they can come from (decided,
/// in one of [`ORIGIN_STATUSES`]): what the inbox needs to say where each row came from,
/// without every waiting and returned task of the documents.
pub async fn origin_records(
    db: &impl ConnectionTrait,
    documents: &[Uuid],
    tasks: &[Uuid],
) -> Result<Vec<(Uuid, TaskRecord)>, DbErr> {
    let origins = Condition::all()
        .add(task::Column::Status.is_in(ORIGIN_STATUSES.map(|s| s.as_str())))
        .add(task::Column::DecidedAt.is_not_null());
    let wanted = Condition::any()
        .add(task::Column::Id.is_in(tasks.iter().copied()))
        .add(origins);
    records(db, documents, wanted).await
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
        .all(db)
        .await?
        .into_iter()
        .map(|m| {
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
