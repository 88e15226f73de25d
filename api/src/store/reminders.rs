//! Deadline reminders: which waiting tasks are due one, and marking one as queued.

use chrono::{DateTime, Utc};
use entity::{
    task::{self, Entity as Tasks},
    task_reminder::{self, Entity as Reminders},
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    sea_query::{OnConflict, Query},
};
use uuid::Uuid;

use crate::domain::workflow::{NotificationKind, TaskStatus};

/// A waiting task due a reminder of `kind`.
pub struct Due {
    pub task: Uuid,
    pub document: Uuid,
    pub assignee: Uuid,
    pub kind: NotificationKind,
}

/// Waiting tasks whose deadline is within `lead` of `now` (`deadline_soon`) or past
/// (`overdue`), without that reminder yet; at most `limit` of each.
pub async fn due(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    lead: chrono::Duration,
    limit: u64,
) -> Result<Vec<Due>, DbErr> {
    let mut found = Vec::new();
    for kind in [NotificationKind::Overdue, NotificationKind::DeadlineSoon] {
        let reminded = Query::select()
            .column(task_reminder::Column::TaskId)
            .from(Reminders)
            .and_where(task_reminder::Column::Kind.eq(kind.as_str()))
            .to_owned();
        let mut query = Tasks::find()
            .select_only()
            .columns([
                task::Column::Id,
                task::Column::DocumentId,
                task::Column::AssigneeId,
            ])
            .filter(task::Column::Status.eq(TaskStatus::Waiting.as_str()))
            .filter(task::Column::Id.not_in_subquery(reminded))
            .order_by_asc(task::Column::Deadline)
            .limit(limit);
        query = match kind {
            NotificationKind::Overdue => query.filter(task::Column::Deadline.lte(now)),
            _ => query
                .filter(task::Column::Deadline.gt(now))
                .filter(task::Column::Deadline.lte(now + lead)),
        };
        let rows: Vec<(Uuid, Uuid, Uuid)> = query.into_tuple().all(db).await?;
        found.extend(rows.into_iter().map(|(task, document, assignee)| Due {
            task,
            document,
            assignee,
            kind,
        }));
    }
    Ok(found)
}

/// Marks the reminder as queued; `false` when it already was (by another instance).
pub async fn mark(
    db: &impl ConnectionTrait,
    task: Uuid,
    kind: NotificationKind,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let row = task_reminder::ActiveModel {
        task_id: Set(task),
        kind: Set(kind.as_str().to_owned()),
        created_at: Set(now),
    };
    let inserted = Reminders::insert(row)
        .on_conflict(
            OnConflict::columns([task_reminder::Column::TaskId, task_reminder::Column::Kind])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(inserted == 1)
}
