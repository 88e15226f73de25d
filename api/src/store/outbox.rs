//! The push outbox: rows written with the change they announce, claimed by a sender under a
//! lease, and finished with what FCM answered.

use chrono::{DateTime, Utc};
use entity::push_outbox::{self, Column, Entity as Outbox};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, ExprTrait, QueryFilter, Set,
    sea_query::{Expr, LockBehavior, LockType, Order, Query},
};
use uuid::Uuid;

/// Where a row stands. Only `queued` rows are ever claimed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Queued,
    Sent,
    /// The session ended or lost its token before the push went out.
    Dropped,
    /// FCM said the token is dead; it has been cleared from the device.
    DeadToken,
    GivenUp,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Sent => "sent",
            Self::Dropped => "dropped",
            Self::DeadToken => "dead_token",
            Self::GivenUp => "given_up",
        }
    }
}

pub struct NewPush {
    pub id: Uuid,
    pub user_id: Uuid,
    pub session_id: Uuid,
    pub kind: String,
    pub document_id: Uuid,
    pub task_id: Uuid,
    pub message: String,
}

pub async fn insert(
    db: &impl ConnectionTrait,
    rows: Vec<NewPush>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let models = rows.into_iter().map(|r| push_outbox::ActiveModel {
        id: Set(r.id),
        user_id: Set(r.user_id),
        session_id: Set(r.session_id),
        kind: Set(r.kind),
        document_id: Set(r.document_id),
        task_id: Set(r.task_id),
        message: Set(r.message),
        status: Set(Status::Queued.as_str().to_owned()),
        attempts: Set(0),
        due_at: Set(now),
        claim_id: Set(None),
        fcm_name: Set(None),
        last_error: Set(None),
        created_at: Set(now),
        finished_at: Set(None),
    });
    Outbox::insert_many(models).exec(db).await?;
    Ok(())
}

/// Claims up to `limit` due rows for `claim` until `lease_until`, counting the attempt. On
/// PostgreSQL the due rows are picked `FOR UPDATE SKIP LOCKED`, so concurrent claimers never
/// take the same row; SQLite runs one writer at a time, so the single statement is atomic.
pub async fn claim(
    db: &impl ConnectionTrait,
    claim: Uuid,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<push_outbox::Model>, DbErr> {
    let due = Query::select()
        .column(Column::Id)
        .from(Outbox)
        .and_where(Column::Status.eq(Status::Queued.as_str()))
        .and_where(Column::DueAt.lte(now))
        .order_by(Column::DueAt, Order::Asc)
        .limit(limit)
        .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
        .to_owned();
    Outbox::update_many()
        .col_expr(Column::ClaimId, Expr::value(claim))
        .col_expr(Column::DueAt, Expr::value(lease_until))
        .col_expr(Column::Attempts, Expr::col(Column::Attempts).add(1))
        .filter(Column::Id.in_subquery(due))
        .exec_with_returning(db)
        .await
}

/// Records a final outcome, if the row is still ours (its lease may have run out and another
/// sender claimed it meanwhile). Returns whether it was.
pub async fn finish(
    db: &impl ConnectionTrait,
    id: Uuid,
    claim: Uuid,
    status: Status,
    fcm_name: Option<String>,
    error: Option<String>,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let done = Outbox::update_many()
        .col_expr(Column::Status, Expr::value(status.as_str()))
        .col_expr(Column::FcmName, Expr::value(fcm_name))
        .col_expr(Column::LastError, Expr::value(error))
        .col_expr(Column::FinishedAt, Expr::value(now))
        .col_expr(Column::ClaimId, Expr::value(Option::<Uuid>::None))
        .filter(Column::Id.eq(id))
        .filter(Column::ClaimId.eq(claim))
        .exec(db)
        .await?;
    Ok(done.rows_affected == 1)
}

/// Releases a claimed row to be tried again at `due_at`.
pub async fn retry_at(
    db: &impl ConnectionTrait,
    id: Uuid,
    claim: Uuid,
    due_at: DateTime<Utc>,
    error: String,
) -> Result<bool, DbErr> {
    let done = Outbox::update_many()
        .col_expr(Column::DueAt, Expr::value(due_at))
        .col_expr(Column::LastError, Expr::value(error))
        .col_expr(Column::ClaimId, Expr::value(Option::<Uuid>::None))
        .filter(Column::Id.eq(id))
        .filter(Column::ClaimId.eq(claim))
        .exec(db)
        .await?;
    Ok(done.rows_affected == 1)
}
