//! What the agencies measure (DOMAIN.md), counted per organisation: documents received and
//! sent electronically, how many carry a digital signature, what waits for each leader, and how
//! long decisions take.

use chrono::{DateTime, NaiveDate, Utc};
use entity::{
    document::{self, Entity as Documents},
    task::{self, Entity as Tasks},
    user::{self, Entity as Users},
    user_role::{self, Entity as UserRoles},
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect,
    sea_query::Query,
};
use uuid::Uuid;

use crate::domain::{
    Role,
    document::Direction,
    workflow::{DocumentState, TaskAction, TaskStatus},
};

/// A period: instants for what is timed, Vietnam dates for issuance.
#[derive(Debug, Clone, Copy)]
pub struct Period {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
}

pub struct LeaderLoad {
    pub user_id: Uuid,
    pub full_name: String,
    pub waiting: u64,
    pub overdue: u64,
}

pub struct OrgUsage {
    /// Incoming documents registered in the period.
    pub received: u64,
    /// Outgoing documents issued in the period.
    pub sent: u64,
    /// Of those, how many carry their signer's digital signature.
    pub signed: u64,
    pub leaders: Vec<LeaderLoad>,
    /// Seconds from a task being asked of someone to its decision, for every review, sign and
    /// directive task of the organisation's documents decided in the period.
    pub decision_seconds: Vec<i64>,
}

pub async fn usage(
    db: &impl ConnectionTrait,
    organization: Uuid,
    period: Period,
    now: DateTime<Utc>,
) -> Result<OrgUsage, DbErr> {
    let of_org = || Documents::find().filter(document::Column::OrganizationId.eq(organization));
    let received = of_org()
        .filter(document::Column::Direction.eq(Direction::Incoming.as_str()))
        .filter(document::Column::ReceivedNo.is_not_null())
        .filter(document::Column::CreatedAt.gte(period.start))
        .filter(document::Column::CreatedAt.lt(period.end))
        .count(db)
        .await?;
    let sent_ids: Vec<Uuid> = of_org()
        .filter(document::Column::Direction.eq(Direction::Outgoing.as_str()))
        .filter(document::Column::State.eq(DocumentState::Issued.as_str()))
        .filter(document::Column::IssuedOn.gte(period.first_day))
        .filter(document::Column::IssuedOn.lte(period.last_day))
        .select_only()
        .column(document::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    let signed = Tasks::find()
        .filter(task::Column::DocumentId.is_in(sent_ids.iter().copied()))
        .filter(task::Column::Status.eq(TaskStatus::Signed.as_str()))
        .select_only()
        .column(task::Column::DocumentId)
        .distinct()
        .into_tuple::<Uuid>()
        .all(db)
        .await?
        .len();
    let documents_of_org = Query::select()
        .column(document::Column::Id)
        .from(Documents)
        .and_where(document::Column::OrganizationId.eq(organization))
        .to_owned();
    let decided = [TaskAction::Review, TaskAction::Sign, TaskAction::Direct].map(|a| a.as_str());
    let timings: Vec<(DateTime<Utc>, Option<DateTime<Utc>>)> = Tasks::find()
        .filter(task::Column::DocumentId.in_subquery(documents_of_org))
        .filter(task::Column::Action.is_in(decided))
        .filter(task::Column::DecidedAt.gte(period.start))
        .filter(task::Column::DecidedAt.lt(period.end))
        .select_only()
        .column(task::Column::CreatedAt)
        .column(task::Column::DecidedAt)
        .into_tuple()
        .all(db)
        .await?;
    let decision_seconds = timings
        .into_iter()
        .filter_map(|(asked, decided)| decided.map(|d| (d - asked).num_seconds()))
        .collect();
    Ok(OrgUsage {
        received,
        sent: u64::try_from(sent_ids.len()).unwrap_or(u64::MAX),
        signed: u64::try_from(signed).unwrap_or(u64::MAX),
        leaders: leader_loads(db, organization, now).await?,
        decision_seconds,
    })
}

/// Each leader of the organisation, with what waits for them and how much of it is overdue.
async fn leader_loads(
    db: &impl ConnectionTrait,
    organization: Uuid,
    now: DateTime<Utc>,
) -> Result<Vec<LeaderLoad>, DbErr> {
    let leaders_of_org = Query::select()
        .column(user_role::Column::UserId)
        .from(UserRoles)
        .and_where(user_role::Column::Role.eq(Role::Leader.as_str()))
        .to_owned();
    let leaders: Vec<(Uuid, String)> = Users::find()
        .filter(user::Column::OrganizationId.eq(organization))
        .filter(user::Column::Id.in_subquery(leaders_of_org))
        .select_only()
        .column(user::Column::Id)
        .column(user::Column::FullName)
        .into_tuple()
        .all(db)
        .await?;
    let ids: Vec<Uuid> = leaders.iter().map(|(id, _)| *id).collect();
    let waiting = || {
        Tasks::find()
            .filter(task::Column::AssigneeId.is_in(ids.iter().copied()))
            .filter(task::Column::Status.eq(TaskStatus::Waiting.as_str()))
            .select_only()
            .column(task::Column::AssigneeId)
            .column_as(task::Column::Id.count(), "n")
            .group_by(task::Column::AssigneeId)
    };
    let all: Vec<(Uuid, i64)> = waiting().into_tuple().all(db).await?;
    let late: Vec<(Uuid, i64)> = waiting()
        .filter(task::Column::Deadline.lt(now))
        .into_tuple()
        .all(db)
        .await?;
    let count = |rows: &[(Uuid, i64)], id: Uuid| {
        rows.iter()
            .find(|(who, _)| *who == id)
            .map_or(0, |(_, n)| u64::try_from(*n).unwrap_or(0))
    };
    Ok(leaders
        .into_iter()
        .map(|(user_id, full_name)| LeaderLoad {
            waiting: count(&all, user_id),
            overdue: count(&late, user_id),
            user_id,
            full_name,
        })
        .collect())
}
