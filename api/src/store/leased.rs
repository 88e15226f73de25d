//! The queries every outbox table shares: rows written with the change they announce, claimed
//! by a sender under a lease, and finished with what the remote service answered or released
//! to be tried again. A table takes part by naming its lease columns ([`LeasedTable`]).

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, ExprTrait, QueryFilter, Value,
    sea_query::{Expr, IntoTableRef, LockBehavior, LockType, Order, Query},
};
use uuid::Uuid;

/// The status of a row waiting to be sent; the only one ever claimed.
pub const QUEUED: &str = "queued";
/// The status of a row whose sending was given up.
pub const GIVEN_UP: &str = "given_up";

/// An outbox table: its lease columns, and the two a sender reads off a claimed row.
pub trait LeasedTable: EntityTrait + IntoTableRef + Default {
    const ID: Self::Column;
    const STATUS: Self::Column;
    /// When it may be claimed; a claim moves it ahead by the lease.
    const DUE_AT: Self::Column;
    const CLAIM_ID: Self::Column;
    const ATTEMPTS: Self::Column;
    const LAST_ERROR: Self::Column;
    const FINISHED_AT: Self::Column;

    fn id(row: &Self::Model) -> Uuid;
    /// Attempts so far, the claim that returned it included.
    fn attempts(row: &Self::Model) -> i32;
}

/// Claims up to `limit` due rows for `claim` until `lease_until`, counting the attempt. On
/// PostgreSQL the due rows are picked `FOR UPDATE SKIP LOCKED`, so concurrent claimers never
/// take the same row; SQLite runs one writer at a time, so the single statement is atomic.
pub async fn claim<E: LeasedTable>(
    db: &impl ConnectionTrait,
    claim: Uuid,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<E::Model>, DbErr> {
    let due = Query::select()
        .column(E::ID)
        .from(E::default())
        .and_where(E::STATUS.eq(QUEUED))
        .and_where(E::DUE_AT.lte(now))
        .order_by(E::DUE_AT, Order::Asc)
        .limit(limit)
        .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
        .to_owned();
    E::update_many()
        .col_expr(E::CLAIM_ID, Expr::value(claim))
        .col_expr(E::DUE_AT, Expr::value(lease_until))
        .col_expr(E::ATTEMPTS, Expr::col(E::ATTEMPTS).add(1))
        .filter(E::ID.in_subquery(due))
        .exec_with_returning(db)
        .await
}

/// Records a final `status` and the table's own columns in `set`, if the row is still ours
/// (its lease may have run out and another sender claimed it meanwhile). Returns whether it
/// was.
pub async fn finish<E: LeasedTable>(
    db: &impl ConnectionTrait,
    id: Uuid,
    claim: Uuid,
    status: &str,
    set: Vec<(E::Column, Value)>,
    error: Option<String>,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let mut update = E::update_many()
        .col_expr(E::STATUS, Expr::value(status))
        .col_expr(E::LAST_ERROR, Expr::value(error))
        .col_expr(E::FINISHED_AT, Expr::value(now))
        .col_expr(E::CLAIM_ID, Expr::value(Option::<Uuid>::None));
    for (column, value) in set {
        update = update.col_expr(column, Expr::value(value));
    }
    let done = update
        .filter(E::ID.eq(id))
        .filter(E::CLAIM_ID.eq(claim))
        .exec(db)
        .await?;
    Ok(done.rows_affected == 1)
}

/// Releases a claimed row to be tried again at `due_at`.
pub async fn retry_at<E: LeasedTable>(
    db: &impl ConnectionTrait,
    id: Uuid,
    claim: Uuid,
    due_at: DateTime<Utc>,
    error: String,
) -> Result<bool, DbErr> {
    let done = E::update_many()
        .col_expr(E::DUE_AT, Expr::value(due_at))
        .col_expr(E::LAST_ERROR, Expr::value(error))
        .col_expr(E::CLAIM_ID, Expr::value(Option::<Uuid>::None))
        .filter(E::ID.eq(id))
        .filter(E::CLAIM_ID.eq(claim))
        .exec(db)
        .await?;
    Ok(done.rows_affected == 1)
}
