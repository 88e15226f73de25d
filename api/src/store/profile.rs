//! The caller's profile and its badges in one query: the account, its roles, its organisation
//! and four counts. `/me` is what an app calls on every start and resume, so it costs one
//! round trip, and each count is read from an index alone (see the task and document indexes).
//! It also says when the overdue count next moves by itself, which bounds how long the profile
//! may be remembered.

use chrono::{DateTime, Utc};
use entity::{
    document::{self, Entity as Documents},
    organization::{self, Entity as Organizations},
    task,
    user::{self, Entity as Users},
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, ExprTrait, FromQueryResult, JoinType,
    QueryFilter, QuerySelect, QueryTrait, Select, sea_query::Expr,
};
use uuid::Uuid;

use super::{organizations, tasks::waiting_for, users};
use crate::domain::{
    Organization, User,
    workflow::{DocumentState, TaskAction},
};

/// The counts behind the app's badges.
pub struct Badges {
    /// Tasks waiting for the user, and how many of those are past their deadline.
    pub waiting: u64,
    pub overdue: u64,
    /// Reading tasks not opened yet.
    pub unread_fyi: u64,
    /// Drafts returned to their author for a revision.
    pub returned_drafts: u64,
    /// When the next waiting task passes its deadline, moving the overdue count.
    pub next_overdue: Option<DateTime<Utc>>,
}

/// `None` when there is no such account.
pub async fn load(
    db: &impl ConnectionTrait,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<Option<(User, Organization, Badges)>, DbErr> {
    let backend = db.get_database_backend();
    // A task without a deadline sorts at the end of time, so "sort deadline passed" is
    // "deadline passed", and the inbox index holds the sort deadline.
    let overdue = waiting_for(id).filter(task::Column::SortDeadline.lt(now));
    let next_overdue = waiting_for(id)
        .filter(task::Column::SortDeadline.gte(now))
        .select_only()
        .expr(Expr::col(task::Column::SortDeadline).min())
        .into_query();
    let unread = waiting_for(id)
        .filter(task::Column::Action.eq(TaskAction::Fyi.as_str()))
        .filter(task::Column::ReadAt.is_null());
    let returned = Documents::find()
        .filter(document::Column::AuthorId.eq(id))
        .filter(document::Column::State.eq(DocumentState::Returned.as_str()));
    let statement = Users::find_by_id(id)
        .select_also(Organizations)
        .join(
            JoinType::InnerJoin,
            Users::belongs_to(Organizations)
                .from(user::Column::OrganizationId)
                .to(organization::Column::Id)
                .into(),
        )
        .expr_as(count(waiting_for(id)), "waiting")
        .expr_as(count(overdue), "overdue")
        .expr_as(count(unread), "unread_fyi")
        .expr_as(count(returned), "returned_drafts")
        .expr_as(
            Expr::SubQuery(None, Box::new(next_overdue.into())),
            "next_overdue",
        )
        .expr_as(users::roles_column(backend), "roles")
        .build(backend);
    let Some(row) = db.query_one_raw(statement).await? else {
        return Ok(None);
    };
    let number = |column: &str| {
        row.try_get::<i64>("", column)
            .map(|n| u64::try_from(n).unwrap_or(0))
    };
    let badges = Badges {
        waiting: number("waiting")?,
        overdue: number("overdue")?,
        unread_fyi: number("unread_fyi")?,
        returned_drafts: number("returned_drafts")?,
        next_overdue: row.try_get("", "next_overdue")?,
    };
    let roles = users::parse_roles(row.try_get("", "roles")?)?;
    let user = users::to_domain(user::Model::from_query_result(&row, "A_")?, roles);
    let organization =
        organizations::to_domain(organization::Model::from_query_result(&row, "B_")?)?;
    Ok(Some((user, organization, badges)))
}

fn count<E: EntityTrait>(select: Select<E>) -> Expr {
    let statement = select
        .select_only()
        .expr(Expr::cust("COUNT(*)"))
        .into_query();
    Expr::SubQuery(None, Box::new(statement.into()))
}
