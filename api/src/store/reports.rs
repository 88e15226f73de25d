//! What the agencies measure (DOMAIN.md), counted per organisation: documents received and
//! sent electronically, how many carry a digital signature, what waits for each leader, and how
//! long decisions take.

use chrono::{DateTime, NaiveDate, Utc};
use entity::{
    arrival::{self, Entity as Arrivals},
    document::{self, Entity as Documents},
    recipient::{self, Entity as Recipients},
    task::{self, Entity as Tasks},
    user::{self, Entity as Users},
    user_role::{self, Entity as UserRoles},
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect,
    QueryTrait, sea_query::Query,
};
use uuid::Uuid;

use crate::domain::{
    Role,
    document::Direction,
    exchange::DeliveryStatus,
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

/// What the organisation's documents sent in the period became at one recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecipientUsage {
    /// An organisation on this server, or else an agency elsewhere by `code`.
    pub organization_id: Option<Uuid>,
    pub code: Option<String>,
    pub name: String,
    /// Documents delivered to it in the period.
    pub sent: u64,
    /// Of those, completed there (06).
    pub completed: u64,
    /// Refused (02), or given back when asked (15).
    pub refused: u64,
    /// Not completed, refused or given back, and past the deadline the sender set.
    pub overdue: u64,
}

pub struct OrgUsage {
    /// Documents other organisations sent electronically that arrived in the period (on this
    /// server, over the axis, or imported from edXML).
    pub received: u64,
    /// Incoming documents registered in the period, however they came.
    pub registered: u64,
    /// Outgoing documents issued in the period.
    pub issued: u64,
    /// Of those, how many were sent electronically to at least one recipient.
    pub sent: u64,
    /// Of those issued, how many carry their signer's digital signature.
    pub signed: u64,
    /// Each recipient of what was sent in the period, most documents first.
    pub recipients: Vec<RecipientUsage>,
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
    let received = Arrivals::find()
        .filter(arrival::Column::OrganizationId.eq(organization))
        .filter(arrival::Column::ArrivedAt.gte(period.start))
        .filter(arrival::Column::ArrivedAt.lt(period.end))
        .count(db)
        .await?;
    let registered = of_org()
        .filter(document::Column::Direction.eq(Direction::Incoming.as_str()))
        .filter(document::Column::ReceivedNo.is_not_null())
        .filter(document::Column::CreatedAt.gte(period.start))
        .filter(document::Column::CreatedAt.lt(period.end))
        .count(db)
        .await?;
    let issued_documents = || {
        of_org()
            .filter(document::Column::Direction.eq(Direction::Outgoing.as_str()))
            .filter(document::Column::State.eq(DocumentState::Issued.as_str()))
            .filter(document::Column::IssuedOn.gte(period.first_day))
            .filter(document::Column::IssuedOn.lte(period.last_day))
    };
    let issued_in_period = || {
        issued_documents()
            .select_only()
            .column(document::Column::Id)
            .into_query()
    };
    // Counted where they lie (`idx_documents_organization_issued`), not looked up again by id.
    let issued = issued_documents().count(db).await?;
    let sent = Recipients::find()
        .filter(recipient::Column::DocumentId.in_subquery(issued_in_period()))
        .filter(recipient::Column::SentAt.is_not_null())
        .select_only()
        .column(recipient::Column::DocumentId)
        .distinct()
        .into_tuple::<Uuid>()
        .all(db)
        .await?
        .len();
    let signed = Tasks::find()
        .filter(task::Column::DocumentId.in_subquery(issued_in_period()))
        .filter(task::Column::Status.eq(TaskStatus::Signed.as_str()))
        .select_only()
        .column(task::Column::DocumentId)
        .distinct()
        .into_tuple::<Uuid>()
        .all(db)
        .await?
        .len();
    let decided = [TaskAction::Review, TaskAction::Sign, TaskAction::Direct].map(|a| a.as_str());
    // The period's decisions (`idx_tasks_decided_at`), each joined to its document: what is
    // read grows with the period, not with the years of the organisation's work.
    let timings: Vec<(DateTime<Utc>, Option<DateTime<Utc>>)> = Tasks::find()
        .inner_join(Documents)
        .filter(document::Column::OrganizationId.eq(organization))
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
        registered,
        issued,
        sent: u64::try_from(sent).unwrap_or(u64::MAX),
        signed: u64::try_from(signed).unwrap_or(u64::MAX),
        recipients: recipient_usage(db, organization, period, now).await?,
        leaders: leader_loads(db, organization, now).await?,
        decision_seconds,
    })
}

/// Every delivery of the organisation's documents made in the period, counted per recipient.
async fn recipient_usage(
    db: &impl ConnectionTrait,
    organization: Uuid,
    period: Period,
    now: DateTime<Utc>,
) -> Result<Vec<RecipientUsage>, DbErr> {
    type Row = (
        Option<Uuid>,
        Option<String>,
        String,
        Option<String>,
        Option<String>,
        Option<DateTime<Utc>>,
    );
    let rows: Vec<Row> = Recipients::find()
        .inner_join(Documents)
        .filter(document::Column::OrganizationId.eq(organization))
        .filter(recipient::Column::SentAt.gte(period.start))
        .filter(recipient::Column::SentAt.lt(period.end))
        .select_only()
        .column(recipient::Column::OrganizationId)
        .column(recipient::Column::AgencyCode)
        .column(recipient::Column::Name)
        .column(recipient::Column::Status)
        .column(recipient::Column::Recall)
        .column(document::Column::Deadline)
        .into_tuple()
        .all(db)
        .await?;
    let mut out: Vec<RecipientUsage> = Vec::new();
    for (organization_id, code, name, status, recall, deadline) in rows {
        let status = super::deliveries::code(status.as_deref())?;
        let given_back =
            super::deliveries::code(recall.as_deref())? == Some(DeliveryStatus::RecallAgreed);
        let completed = status == Some(DeliveryStatus::Completed);
        let refused = status == Some(DeliveryStatus::Refused) || given_back;
        let overdue = !completed && !refused && deadline.is_some_and(|d| d < now);
        let i = match out
            .iter()
            .position(|u| u.organization_id == organization_id && u.code == code)
        {
            Some(i) => i,
            None => {
                out.push(RecipientUsage {
                    organization_id,
                    code,
                    name,
                    sent: 0,
                    completed: 0,
                    refused: 0,
                    overdue: 0,
                });
                out.len() - 1
            }
        };
        let u = &mut out[i];
        u.sent += 1;
        u.completed += u64::from(completed);
        u.refused += u64::from(refused);
        u.overdue += u64::from(overdue);
    }
    out.sort_by(|a, b| b.sent.cmp(&a.sent).then_with(|| a.name.cmp(&b.name)));
    Ok(out)
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
