//! The audit trail: appending inside the caller's transaction, reading it back, walking it.
//!
//! Appending first bumps the one `audit_head` row, which serialises appenders (a row lock on
//! PostgreSQL, the one writer on SQLite) until the transaction ends, so numbers are gapless and
//! every entry links to the one committed before it. An entry rolls back with the change it
//! records.

use chrono::{DateTime, Utc};
use entity::audit_log::{self, Entity as AuditLog};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, Statement,
    sea_query::{Alias, Expr, ExprTrait, Query, UpdateStatement},
};
use uuid::Uuid;

use crate::domain::audit::{AuditAction, Entry, GENESIS, NewEntry, stored_time};

pub async fn append(
    db: &impl ConnectionTrait,
    new: NewEntry,
    now: DateTime<Utc>,
) -> Result<Entry, DbErr> {
    let backend = db.get_database_backend();
    let take = "UPDATE audit_head SET last_seq = last_seq + 1 WHERE id = 1 \
                RETURNING last_seq, last_hash";
    let row = db
        .query_one_raw(Statement::from_string(backend, take))
        .await?
        .ok_or_else(|| DbErr::Custom("the audit head row is missing".to_owned()))?;
    let mut entry = Entry {
        seq: row.try_get("", "last_seq")?,
        at: stored_time(now),
        actor: new.actor.user,
        session: new.actor.session,
        ip: new.actor.ip.map(|ip| ip.to_string()),
        organization: Some(new.organization),
        action: new.action.as_str().to_owned(),
        document: new.document,
        subject: new.subject,
        details: new.details.to_string(),
        prev_hash: row.try_get("", "last_hash")?,
        hash: String::new(),
    };
    entry.hash = entry.expected_hash();
    audit_log::ActiveModel {
        seq: Set(entry.seq),
        at: Set(entry.at),
        actor_id: Set(entry.actor),
        session_id: Set(entry.session),
        ip: Set(entry.ip.clone()),
        organization_id: Set(entry.organization),
        action: Set(entry.action.clone()),
        document_id: Set(entry.document),
        subject_id: Set(entry.subject),
        details: Set(entry.details.clone()),
        prev_hash: Set(entry.prev_hash.clone()),
        hash: Set(entry.hash.clone()),
    }
    .insert(db)
    .await?;
    let set_hash = match backend {
        DbBackend::Postgres => "UPDATE audit_head SET last_hash = $1 WHERE id = 1",
        _ => "UPDATE audit_head SET last_hash = ? WHERE id = 1",
    };
    db.execute_raw(Statement::from_sql_and_values(
        backend,
        set_hash,
        [entry.hash.clone().into()],
    ))
    .await?;
    Ok(entry)
}

/// The last number given and its hash.
pub async fn head(db: &impl ConnectionTrait) -> Result<(i64, String), DbErr> {
    let backend = db.get_database_backend();
    let row = db
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT last_seq, last_hash FROM audit_head WHERE id = 1",
        ))
        .await?
        .ok_or_else(|| DbErr::Custom("the audit head row is missing".to_owned()))?;
    Ok((row.try_get("", "last_seq")?, row.try_get("", "last_hash")?))
}

/// The last entry a check found intact, and its hash; `(0, GENESIS)` before any check.
pub async fn checkpoint(db: &impl ConnectionTrait) -> Result<(i64, String), DbErr> {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT seq, hash FROM audit_checkpoint WHERE id = 1",
        ))
        .await?
        .ok_or_else(|| DbErr::Custom("the audit checkpoint row is missing".to_owned()))?;
    Ok((row.try_get("", "seq")?, row.try_get("", "hash")?))
}

/// Records that the chain holds up to entry `seq`. Two checks finishing together keep the
/// further one.
pub async fn advance_checkpoint(
    db: &impl ConnectionTrait,
    seq: i64,
    hash: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let mut update = set_checkpoint(seq, hash);
    update
        .value(Alias::new("checked_at"), now)
        .and_where(Expr::col(Alias::new("seq")).lt(seq));
    db.execute(&update).await?;
    Ok(())
}

/// Forgets the checkpoint after a full check found a break before it: until the chain holds
/// again, every check walks it whole and reports the break.
pub async fn reset_checkpoint(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    db.execute(&set_checkpoint(0, GENESIS)).await?;
    Ok(())
}

fn set_checkpoint(seq: i64, hash: &str) -> UpdateStatement {
    Query::update()
        .table(Alias::new("audit_checkpoint"))
        .value(Alias::new("seq"), seq)
        .value(Alias::new("hash"), hash)
        .and_where(Expr::col(Alias::new("id")).eq(1))
        .to_owned()
}

/// Which entries a reader asks for.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Only these organisations' entries; `None` for all.
    pub organizations: Option<Vec<Uuid>>,
    pub document: Option<Uuid>,
    pub actor: Option<Uuid>,
    pub action: Option<AuditAction>,
    /// Entries at or after this instant.
    pub since: Option<DateTime<Utc>>,
    /// Entries before this instant.
    pub before: Option<DateTime<Utc>>,
}

/// Up to `limit` entries after `after` (by number), oldest first.
pub async fn page(
    db: &impl ConnectionTrait,
    filter: &Filter,
    after: i64,
    limit: u64,
) -> Result<Vec<Entry>, DbErr> {
    let mut query = AuditLog::find()
        .filter(audit_log::Column::Seq.gt(after))
        .order_by_asc(audit_log::Column::Seq)
        .limit(limit);
    if let Some(orgs) = &filter.organizations {
        query = query.filter(audit_log::Column::OrganizationId.is_in(orgs.iter().copied()));
    }
    if let Some(document) = filter.document {
        query = query.filter(audit_log::Column::DocumentId.eq(document));
    }
    if let Some(actor) = filter.actor {
        query = query.filter(audit_log::Column::ActorId.eq(actor));
    }
    if let Some(action) = filter.action {
        query = query.filter(audit_log::Column::Action.eq(action.as_str()));
    }
    if let Some(since) = filter.since {
        query = query.filter(audit_log::Column::At.gte(since));
    }
    if let Some(before) = filter.before {
        query = query.filter(audit_log::Column::At.lt(before));
    }
    Ok(query.all(db).await?.into_iter().map(to_domain).collect())
}

fn to_domain(m: audit_log::Model) -> Entry {
    Entry {
        seq: m.seq,
        at: m.at,
        actor: m.actor_id,
        session: m.session_id,
        ip: m.ip,
        organization: m.organization_id,
        action: m.action,
        document: m.document_id,
        subject: m.subject_id,
        details: m.details,
        prev_hash: m.prev_hash,
        hash: m.hash,
    }
}

/// A change to a document, as the change feed reads it from the trail.
pub struct Change {
    pub seq: i64,
    pub document: Uuid,
    pub at: DateTime<Utc>,
}

/// The entries after `after`, up to `upto`, of the actions that change a document, oldest
/// first, at most `limit`.
pub async fn changes(
    db: &impl ConnectionTrait,
    actions: &[&str],
    after: i64,
    upto: i64,
    limit: u64,
) -> Result<Vec<Change>, DbErr> {
    let rows: Vec<(i64, Option<Uuid>, DateTime<Utc>)> = AuditLog::find()
        .filter(audit_log::Column::Seq.gt(after))
        .filter(audit_log::Column::Seq.lte(upto))
        .filter(audit_log::Column::Action.is_in(actions.iter().copied()))
        .filter(audit_log::Column::DocumentId.is_not_null())
        .order_by_asc(audit_log::Column::Seq)
        .limit(limit)
        .select_only()
        .column(audit_log::Column::Seq)
        .column(audit_log::Column::DocumentId)
        .column(audit_log::Column::At)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(seq, document, at)| {
            Some(Change {
                seq,
                document: document?,
                at,
            })
        })
        .collect())
}

/// Which of `documents` `actor` ever did something to (created, viewed, decided…).
pub async fn touched_by(
    db: &impl ConnectionTrait,
    actor: Uuid,
    documents: &[Uuid],
) -> Result<Vec<Uuid>, DbErr> {
    if documents.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<Option<Uuid>> = AuditLog::find()
        .filter(audit_log::Column::ActorId.eq(actor))
        .filter(audit_log::Column::DocumentId.is_in(documents.iter().copied()))
        .select_only()
        .column(audit_log::Column::DocumentId)
        .distinct()
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().flatten().collect())
}
