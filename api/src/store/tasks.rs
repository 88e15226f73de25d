//! Workflow tasks: loading a document's tasks, writing a transition under the statuses it
//! expects, and the inbox.

use chrono::{DateTime, TimeZone, Utc};
use entity::{
    document::{self, Entity as Documents},
    task::{self, Entity as Tasks},
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, ExprTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Select, Set, sea_query::Expr,
};
use uuid::Uuid;

use super::corrupt;
use crate::domain::{
    document::Document,
    workflow::{Task, TaskAction, TaskStatus, Transition},
};

#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// A row no longer had the status the transition expected: someone else got there first.
    #[error("the task or document changed meanwhile")]
    Conflict,
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// Where a task sits in the inbox order: most urgent first, then nearest deadline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxKey {
    pub urgency_rank: i16,
    pub sort_deadline: DateTime<Utc>,
    pub id: Uuid,
}

/// The sort key of a task without a deadline: after every real one.
fn no_deadline() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(9999, 12, 31, 0, 0, 0)
        .single()
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

pub async fn for_document(db: &impl ConnectionTrait, document: Uuid) -> Result<Vec<Task>, DbErr> {
    Tasks::find()
        .filter(task::Column::DocumentId.eq(document))
        .order_by_asc(task::Column::Round)
        .order_by_asc(task::Column::Step)
        .order_by_asc(task::Column::CreatedAt)
        .all(db)
        .await?
        .into_iter()
        .map(|m| to_domain(&m))
        .collect()
}

/// The document a task belongs to.
pub async fn document_of(db: &impl ConnectionTrait, task: Uuid) -> Result<Option<Uuid>, DbErr> {
    Tasks::find_by_id(task)
        .select_only()
        .column(task::Column::DocumentId)
        .into_tuple()
        .one(db)
        .await
}

/// Writes `transition` for `document`. `decided` is the task the actor decided, which records
/// the comment and the time. Fails with [`ApplyError::Conflict`] if any row moved meanwhile;
/// the caller's transaction then rolls everything back.
pub async fn apply(
    db: &impl ConnectionTrait,
    document: &Document,
    transition: &Transition,
    decided: Option<(Uuid, Option<String>)>,
    now: DateTime<Utc>,
) -> Result<(), ApplyError> {
    for update in &transition.updates {
        let mut query = Tasks::update_many()
            .col_expr(task::Column::Status, Expr::value(update.to.as_str()))
            .filter(task::Column::Id.eq(update.task))
            .filter(task::Column::Status.eq(update.from.as_str()));
        if let Some((id, comment)) = &decided
            && *id == update.task
        {
            query = query
                .col_expr(task::Column::Comment, Expr::value(comment.clone()))
                .col_expr(task::Column::DecidedAt, Expr::value(now));
        }
        if query.exec(db).await?.rows_affected != 1 {
            return Err(ApplyError::Conflict);
        }
    }
    for new in &transition.create {
        insert(db, document, new, transition.note.clone(), now).await?;
    }
    let state = transition.document.map_or(document.state, |d| d.to);
    let from = transition.document.map_or(document.state, |d| d.from);
    // Every transition bumps the revision, so a cached read (ETag) is never stale.
    let touched = Documents::update_many()
        .col_expr(document::Column::State, Expr::value(state.as_str()))
        .col_expr(
            document::Column::Revision,
            Expr::col(document::Column::Revision).add(1),
        )
        .col_expr(document::Column::UpdatedAt, Expr::value(now))
        .filter(document::Column::Id.eq(document.id))
        .filter(document::Column::State.eq(from.as_str()))
        .exec(db)
        .await?;
    if touched.rows_affected != 1 {
        return Err(ApplyError::Conflict);
    }
    Ok(())
}

async fn insert(
    db: &impl ConnectionTrait,
    document: &Document,
    task: &Task,
    note: Option<String>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let number = |n: u32| i32::try_from(n).map_err(|_| corrupt("task position", &n.to_string()));
    task::ActiveModel {
        id: Set(task.id),
        document_id: Set(document.id),
        assignee_id: Set(task.assignee),
        action: Set(task.action.as_str().to_owned()),
        status: Set(task.status.as_str().to_owned()),
        step: Set(number(task.step)?),
        round: Set(number(task.round)?),
        assigned_by: Set(task.assigned_by),
        deadline: Set(task.deadline),
        sort_deadline: Set(task.deadline.unwrap_or_else(no_deadline)),
        urgency_rank: Set(i16::from(document.urgency.inbox_rank())),
        comment: Set(None),
        decided_at: Set(None),
        note: Set(note),
        read_at: Set(None),
        created_at: Set(now),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// The tasks waiting for `user`: a range of the inbox index.
pub(super) fn waiting_for(user: Uuid) -> Select<Tasks> {
    Tasks::find()
        .filter(task::Column::AssigneeId.eq(user))
        .filter(task::Column::Status.eq(TaskStatus::Waiting.as_str()))
}

/// `user`'s waiting tasks with their documents, in inbox order, after `after`: one query.
pub async fn inbox(
    db: &impl ConnectionTrait,
    user: Uuid,
    after: Option<InboxKey>,
    limit: u64,
) -> Result<Vec<(InboxKey, Task, Document)>, DbErr> {
    let mut query = waiting_for(user)
        .order_by_asc(task::Column::UrgencyRank)
        .order_by_asc(task::Column::SortDeadline)
        .order_by_asc(task::Column::Id)
        .limit(limit);
    if let Some(k) = after {
        let (rank, due) = (task::Column::UrgencyRank, task::Column::SortDeadline);
        query = query.filter(
            Condition::any()
                .add(rank.gt(k.urgency_rank))
                .add(
                    Condition::all()
                        .add(rank.eq(k.urgency_rank))
                        .add(due.gt(k.sort_deadline)),
                )
                .add(
                    Condition::all()
                        .add(rank.eq(k.urgency_rank))
                        .add(due.eq(k.sort_deadline))
                        .add(task::Column::Id.gt(k.id)),
                ),
        );
    }
    query
        .find_also_related(Documents)
        .all(db)
        .await?
        .into_iter()
        .map(|(m, document)| {
            let key = InboxKey {
                urgency_rank: m.urgency_rank,
                sort_deadline: m.sort_deadline,
                id: m.id,
            };
            let document = document.ok_or_else(|| corrupt("task's document", &m.id.to_string()))?;
            Ok((key, to_domain(&m)?, super::documents::to_domain(document)?))
        })
        .collect()
}

/// `user`'s tasks, any status, on these documents, each with its document's id.
pub async fn mine_on(
    db: &impl ConnectionTrait,
    user: Uuid,
    documents: &[Uuid],
) -> Result<Vec<(Uuid, Task)>, DbErr> {
    if documents.is_empty() {
        return Ok(Vec::new());
    }
    Tasks::find()
        .filter(task::Column::AssigneeId.eq(user))
        .filter(task::Column::DocumentId.is_in(documents.iter().copied()))
        .order_by_asc(task::Column::CreatedAt)
        .order_by_asc(task::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|m| Ok((m.document_id, to_domain(&m)?)))
        .collect()
}

/// How many tasks wait for `user`, and how many of those are past their deadline at `now`.
pub async fn counts(
    db: &impl ConnectionTrait,
    user: Uuid,
    now: DateTime<Utc>,
) -> Result<(u64, u64), DbErr> {
    let all = waiting_for(user).count(db).await?;
    let overdue = waiting_for(user)
        .filter(task::Column::Deadline.lt(now))
        .count(db)
        .await?;
    Ok((all, overdue))
}

pub(super) fn to_domain(m: &task::Model) -> Result<Task, DbErr> {
    let number = |n: i32| u32::try_from(n).map_err(|_| corrupt("task position", &n.to_string()));
    Ok(Task {
        id: m.id,
        assignee: m.assignee_id,
        action: TaskAction::parse(&m.action).map_err(|_| corrupt("task action", &m.action))?,
        status: TaskStatus::parse(&m.status).map_err(|_| corrupt("task status", &m.status))?,
        step: number(m.step)?,
        round: number(m.round)?,
        assigned_by: m.assigned_by,
        deadline: m.deadline,
    })
}
