//! Workflow tasks: loading a document's tasks, writing a transition under the statuses it
//! expects, and the inbox.

use chrono::{DateTime, TimeZone, Utc};
use entity::{
    document::{self, Entity as Documents},
    task::{self, Entity as Tasks},
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, ExprTrait,
    FromQueryResult, Iterable, JoinType, Order, PaginatorTrait, QueryFilter, QueryOrder,
    QueryResult, QuerySelect, QueryTrait, Select, Set,
    sea_query::{Alias, Expr, Query},
};
use uuid::Uuid;

use super::{Positional, corrupt};
use crate::domain::{
    document::{Document, Heading, Urgency},
    history::{ORIGIN_STATUSES, TaskRecord},
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

/// A row of the inbox: my task with what was written on it, the heading of its document, and
/// the decided tasks of that document standing where it can come from (see
/// [`crate::domain::history::origin_places`]).
pub struct Waiting {
    pub key: InboxKey,
    pub task: TaskRecord,
    pub document: Heading,
    pub origins: Vec<TaskRecord>,
}

/// `user`'s waiting tasks in inbox order, after `after`, each with its document's heading and
/// the decided tasks it can come from: one query, with no list of ids for PostgreSQL to plan
/// anew on every page.
pub async fn inbox(
    db: &impl ConnectionTrait,
    user: Uuid,
    after: Option<InboxKey>,
    limit: u64,
) -> Result<Vec<Waiting>, DbErr> {
    let mut page = waiting_for(user)
        .order_by_asc(task::Column::UrgencyRank)
        .order_by_asc(task::Column::SortDeadline)
        .order_by_asc(task::Column::Id)
        .limit(limit);
    if let Some(k) = after {
        let (rank, due) = (task::Column::UrgencyRank, task::Column::SortDeadline);
        page = page.filter(
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
    let (mine, origin) = (Alias::new("mine"), Alias::new("origin"));
    let of = |table: &Alias, column: task::Column| Expr::col((table.clone(), column));
    // Where an origin can stand: the step before mine, or mine (a forward), in my round.
    let stands = Condition::all()
        .add(of(&origin, task::Column::DocumentId).equals((mine.clone(), task::Column::DocumentId)))
        .add(of(&origin, task::Column::Round).equals((mine.clone(), task::Column::Round)))
        .add(of(&origin, task::Column::Step).gte(of(&mine, task::Column::Step).sub(1)))
        .add(of(&origin, task::Column::Step).lte(of(&mine, task::Column::Step)))
        .add(of(&origin, task::Column::Status).is_in(ORIGIN_STATUSES.map(|s| s.as_str())))
        .add(of(&origin, task::Column::DecidedAt).is_not_null());
    let mut query = Query::select();
    query
        .exprs(task::Column::iter().map(|c| of(&mine, c)))
        .columns(HEADING.map(|c| (Documents, c)))
        .exprs(task::Column::iter().map(|c| of(&origin, c)))
        .from_subquery(page.into_query(), mine.clone())
        .join(
            JoinType::InnerJoin,
            Documents,
            Expr::col((Documents, document::Column::Id))
                .equals((mine.clone(), task::Column::DocumentId)),
        )
        .join_as(JoinType::LeftJoin, Tasks, origin, stands)
        .order_by((mine.clone(), task::Column::UrgencyRank), Order::Asc)
        .order_by((mine.clone(), task::Column::SortDeadline), Order::Asc)
        .order_by((mine, task::Column::Id), Order::Asc);
    let rows = InboxRow::find_by_statement(db.get_database_backend().build(&query))
        .all(db)
        .await?;
    let mut waiting: Vec<Waiting> = Vec::new();
    for InboxRow {
        task: m,
        heading,
        origin,
    } in rows
    {
        let origin = origin.map(to_record).transpose()?;
        match waiting.last_mut() {
            Some(last) if last.key.id == m.id => last.origins.extend(origin),
            _ => waiting.push(Waiting {
                key: InboxKey {
                    urgency_rank: m.urgency_rank,
                    sort_deadline: m.sort_deadline,
                    id: m.id,
                },
                task: to_record(m)?,
                document: heading,
                origins: origin.into_iter().collect(),
            }),
        }
    }
    Ok(waiting)
}

/// What an inbox row shows of its document, selected after the task's own columns.
const HEADING: [document::Column; 5] = [
    document::Column::Id,
    document::Column::DocType,
    document::Column::Symbol,
    document::Column::Summary,
    document::Column::Urgency,
];

/// A task, its document's [`HEADING`], and a task it can come from if any, read by position.
struct InboxRow {
    task: task::Model,
    heading: Heading,
    origin: Option<task::Model>,
}

impl FromQueryResult for InboxRow {
    fn from_query_result(row: &QueryResult, _: &str) -> Result<Self, DbErr> {
        let mut row = Positional::new(row);
        let urgency = |s: String| Urgency::parse(&s).map_err(|_| corrupt("urgency", &s));
        Ok(Self {
            task: read_task(&mut row)?,
            // In HEADING's order.
            heading: Heading {
                id: row.next()?,
                doc_type: row.next()?,
                symbol: row.next()?,
                summary: row.next()?,
                urgency: urgency(row.next()?)?,
            },
            // No task stands where this one can come from: its columns are all null.
            origin: match row.peek::<Option<Uuid>>()? {
                Some(_) => Some(read_task(&mut row)?),
                None => None,
            },
        })
    }
}

/// A task with what was written on it.
pub(super) fn to_record(m: task::Model) -> Result<TaskRecord, DbErr> {
    Ok(TaskRecord {
        task: to_domain(&m)?,
        comment: m.comment,
        decided_at: m.decided_at,
        created_at: m.created_at,
        note: m.note,
    })
}

/// A task row selected whole (`Tasks::find()` selects the columns in the entity's order),
/// read by position.
pub(super) struct TaskRow(pub task::Model);

impl FromQueryResult for TaskRow {
    fn from_query_result(row: &QueryResult, _: &str) -> Result<Self, DbErr> {
        read_task(&mut Positional::new(row)).map(Self)
    }
}

/// The task columns, in the entity's order: a struct expression evaluates its fields in the
/// order they are written.
fn read_task(row: &mut Positional) -> Result<task::Model, DbErr> {
    Ok(task::Model {
        id: row.next()?,
        document_id: row.next()?,
        assignee_id: row.next()?,
        action: row.next()?,
        status: row.next()?,
        step: row.next()?,
        round: row.next()?,
        assigned_by: row.next()?,
        deadline: row.next()?,
        sort_deadline: row.next()?,
        urgency_rank: row.next()?,
        comment: row.next()?,
        decided_at: row.next()?,
        note: row.next()?,
        read_at: row.next()?,
        created_at: row.next()?,
    })
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

#[cfg(test)]
mod tests {
    use anyhow::Context;
    use chrono::{Duration, NaiveDate};
    use migration::{Migrator, MigratorTrait};
    use sea_orm::{ConnectOptions, Database, IntoActiveModel};

    use super::*;

    /// Every column holds a value no other column of its type holds, so a column read in the
    /// wrong place shows.
    #[tokio::test]
    async fn rows_read_by_position_are_the_rows_read_by_name() -> anyhow::Result<()> {
        let mut options = ConnectOptions::new("sqlite::memory:");
        options.max_connections(1);
        let db = Database::connect(options).await?;
        Migrator::up(&db, None).await?;
        // The rows stand alone, without the people and organisation they name.
        db.execute_unprepared("PRAGMA foreign_keys = OFF").await?;
        let morning = Utc
            .with_ymd_and_hms(2026, 12, 7, 8, 0, 0)
            .single()
            .context("a time")?;
        let at = |hours| morning + Duration::hours(hours);
        let document = document::Model {
            id: Uuid::from_u128(1),
            organization_id: Uuid::from_u128(2),
            direction: "incoming".into(),
            doc_type: "TTr".into(),
            number: Some(12),
            symbol: Some("12/TTr-UBND".into()),
            issued_on: NaiveDate::from_ymd_opt(2026, 12, 1),
            summary: "Tờ trình về việc ban hành Kế hoạch chuyển đổi số năm 2027".into(),
            issuer: Some("UBND tỉnh Ninh Bình".into()),
            urgency: "very_urgent".into(),
            confidentiality: "none".into(),
            deadline: Some(at(1)),
            received_no: Some(7),
            state: "in_review".into(),
            author_id: Uuid::from_u128(3),
            search_text: "to trinh".into(),
            revision: 4,
            created_at: at(2),
            updated_at: at(3),
        };
        Documents::insert(document.clone().into_active_model())
            .exec(&db)
            .await?;
        let task = task::Model {
            id: Uuid::from_u128(10),
            document_id: document.id,
            assignee_id: Uuid::from_u128(11),
            action: "review".into(),
            status: "waiting".into(),
            step: 2,
            round: 3,
            assigned_by: Uuid::from_u128(12),
            deadline: Some(at(4)),
            sort_deadline: at(5),
            urgency_rank: 1,
            comment: Some("Đề nghị bổ sung số liệu".into()),
            decided_at: Some(at(6)),
            note: Some("Kính trình đồng chí xem xét".into()),
            read_at: Some(at(7)),
            created_at: at(8),
        };
        Tasks::insert(task.clone().into_active_model())
            .exec(&db)
            .await?;

        let TaskRow(by_position) = Tasks::find_by_id(task.id)
            .into_model::<TaskRow>()
            .one(&db)
            .await?
            .context("the task")?;
        assert_eq!(by_position, task);

        // Of the document's decided tasks, only the one at the step before stands where the
        // waiting task can come from.
        let before = task::Model {
            id: Uuid::from_u128(20),
            assignee_id: Uuid::from_u128(21),
            status: "approved".into(),
            step: 1,
            comment: Some("Đồng ý".into()),
            ..task.clone()
        };
        let earlier = task::Model {
            id: Uuid::from_u128(30),
            step: 0,
            ..before.clone()
        };
        let other_round = task::Model {
            id: Uuid::from_u128(40),
            round: 2,
            ..before.clone()
        };
        for m in [&before, &earlier, &other_round] {
            Tasks::insert(m.clone().into_active_model())
                .exec(&db)
                .await?;
        }

        let rows = inbox(&db, task.assignee_id, None, 10).await?;
        let [row] = rows.as_slice() else {
            panic!("one inbox row expected, got {}", rows.len());
        };
        assert_eq!(
            (row.key.urgency_rank, row.key.sort_deadline, row.key.id),
            (1, at(5), task.id)
        );
        assert_eq!(row.task, to_record(task)?);
        let expected = Heading {
            id: document.id,
            doc_type: document.doc_type,
            symbol: document.symbol,
            summary: document.summary,
            urgency: Urgency::VeryUrgent,
        };
        assert_eq!(row.document, expected);
        assert_eq!(row.origins, [to_record(before)?]);
        Ok(())
    }
}
