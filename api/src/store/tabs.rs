//! The app's tabs besides the inbox: what I decided, what I wrote, what I was given to read.
//! Each is one indexed range scan, newest first, keyed by (time, id) so a page never repeats or
//! skips a row when two share a time.

use chrono::{DateTime, Utc};
use entity::{
    document::{self, Entity as Documents},
    task::{self, Entity as Tasks},
};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, sea_query::Expr,
};
use uuid::Uuid;

use super::tasks::to_domain;
use crate::domain::{
    document::{Direction, Urgency},
    workflow::{DocumentState, Task, TaskAction, TaskStatus},
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    /// Documents I decided a task of, by my latest decision.
    Processed,
    /// Documents I wrote (or, as a clerk, recorded), by creation.
    Submitted,
    /// Reading tasks (để biết) I have not opened, by when they came.
    ForInformation,
}

/// What the app narrows a tab to; the dates bound the row's time.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub state: Option<DocumentState>,
    pub urgency: Option<Urgency>,
    pub direction: Option<Direction>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// Where a row sits: its time, then its id (the task's, or the document's on `Submitted`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    pub at: DateTime<Utc>,
    pub id: Uuid,
}

/// One row: its key, its document, and my task it stands for (none on `Submitted`).
pub struct Found {
    pub key: Key,
    pub document: Uuid,
    pub task: Option<Task>,
}

/// My latest decision on its document: no decision of mine on the same document is later.
const LATEST_OF_MINE: &str = "NOT EXISTS (SELECT 1 FROM tasks later \
     WHERE later.document_id = tasks.document_id AND later.assignee_id = tasks.assignee_id \
     AND later.decided_at IS NOT NULL AND (later.decided_at > tasks.decided_at \
     OR (later.decided_at = tasks.decided_at AND later.id > tasks.id)))";

/// A page of `tab` for `user`, after `after`.
pub async fn page(
    db: &impl ConnectionTrait,
    tab: Tab,
    user: Uuid,
    filter: &Filter,
    after: Option<Key>,
    limit: u64,
) -> Result<Vec<Found>, DbErr> {
    if tab == Tab::Submitted {
        let (at, id) = (document::Column::CreatedAt, document::Column::Id);
        let rows = Documents::find()
            .filter(document::Column::AuthorId.eq(user))
            .filter(on_document(filter))
            .filter(window(at, id, filter, after))
            .order_by_desc(at)
            .order_by_desc(id)
            .limit(limit)
            .all(db)
            .await?;
        return Ok(rows
            .into_iter()
            .map(|d| Found {
                key: Key {
                    at: d.created_at,
                    id: d.id,
                },
                document: d.id,
                task: None,
            })
            .collect());
    }
    let (at, id) = match tab {
        Tab::Processed => (task::Column::DecidedAt, task::Column::Id),
        _ => (task::Column::CreatedAt, task::Column::Id),
    };
    let mut query = Tasks::find().filter(task::Column::AssigneeId.eq(user));
    query = match tab {
        Tab::Processed => query
            .filter(task::Column::DecidedAt.is_not_null())
            .filter(Expr::cust(LATEST_OF_MINE)),
        _ => query
            .filter(task::Column::Action.eq(TaskAction::Fyi.as_str()))
            .filter(task::Column::Status.eq(TaskStatus::Waiting.as_str()))
            .filter(task::Column::ReadAt.is_null()),
    };
    if let Some(documents) = documents_matching(filter) {
        query = query.filter(task::Column::DocumentId.in_subquery(documents));
    }
    let rows = query
        .filter(window(at, id, filter, after))
        .order_by_desc(at)
        .order_by_desc(id)
        .limit(limit)
        .all(db)
        .await?;
    rows.into_iter()
        .map(|m| {
            let at = match tab {
                Tab::Processed => m.decided_at.unwrap_or(m.created_at),
                _ => m.created_at,
            };
            Ok(Found {
                key: Key { at, id: m.id },
                document: m.document_id,
                task: Some(to_domain(&m)?),
            })
        })
        .collect()
}

/// The filter's conditions on the document itself.
fn on_document(filter: &Filter) -> Condition {
    let mut all = Condition::all();
    if let Some(state) = filter.state {
        all = all.add(document::Column::State.eq(state.as_str()));
    }
    if let Some(urgency) = filter.urgency {
        all = all.add(document::Column::Urgency.eq(urgency.as_str()));
    }
    if let Some(direction) = filter.direction {
        all = all.add(document::Column::Direction.eq(direction.as_str()));
    }
    all
}

/// The documents the filter keeps, when it says anything about them.
fn documents_matching(filter: &Filter) -> Option<sea_orm::sea_query::SelectStatement> {
    let narrows = filter.state.is_some() || filter.urgency.is_some() || filter.direction.is_some();
    narrows.then(|| {
        sea_orm::sea_query::Query::select()
            .column(document::Column::Id)
            .from(Documents)
            .cond_where(on_document(filter))
            .to_owned()
    })
}

/// The date range, and what comes after the cursor in newest-first order.
fn window<C: ColumnTrait>(at: C, id: C, filter: &Filter, after: Option<Key>) -> Condition {
    let mut all = Condition::all();
    if let Some(from) = filter.from {
        all = all.add(at.gte(from));
    }
    if let Some(to) = filter.to {
        all = all.add(at.lt(to));
    }
    if let Some(k) = after {
        all = all.add(
            Condition::any()
                .add(at.lt(k.at))
                .add(Condition::all().add(at.eq(k.at)).add(id.lt(k.id))),
        );
    }
    all
}

/// Which of a reader's tasks an opening marks read.
#[derive(Debug, Clone, Copy)]
pub enum Opened {
    Task(Uuid),
    Document(Uuid),
}

/// Marks `user`'s unread reading tasks of what they opened as read at `now`; how many were.
pub async fn mark_read(
    db: &impl ConnectionTrait,
    user: Uuid,
    opened: Opened,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let which = match opened {
        Opened::Task(id) => task::Column::Id.eq(id),
        Opened::Document(id) => task::Column::DocumentId.eq(id),
    };
    let done = Tasks::update_many()
        .col_expr(task::Column::ReadAt, Expr::value(now))
        .filter(which)
        .filter(task::Column::AssigneeId.eq(user))
        .filter(task::Column::Action.eq(TaskAction::Fyi.as_str()))
        .filter(task::Column::ReadAt.is_null())
        .exec(db)
        .await?;
    Ok(done.rows_affected)
}
