//! The task rows a document's history is rebuilt from.

use entity::task::{self, Entity as Tasks};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::tasks::{TaskRow, to_record};
use crate::domain::history::TaskRecord;

/// Every task of these documents with what was written on it, each with its document's id,
/// oldest first: one query, however many documents.
pub async fn task_records(
    db: &impl ConnectionTrait,
    documents: &[Uuid],
) -> Result<Vec<(Uuid, TaskRecord)>, DbErr> {
    if documents.is_empty() {
        return Ok(Vec::new());
    }
    Tasks::find()
        .filter(task::Column::DocumentId.is_in(documents.iter().copied()))
        .order_by_asc(task::Column::CreatedAt)
        .order_by_asc(task::Column::Step)
        .into_model::<TaskRow>()
        .all(db)
        .await?
        .into_iter()
        .map(|TaskRow(m)| Ok((m.document_id, to_record(m)?)))
        .collect()
}
