//! Urging (đôn đốc): whoever assigned a task sends its assignee a reminder now. Rate-limited
//! per task through Redis, so a worried leader tapping twice sends one push, and audited.

use anyhow::Context;
use redis::AsyncCommands;
use sea_orm::TransactionTrait;
use uuid::Uuid;

use super::{
    Principal, audit,
    documents::{DocumentError, visible},
};
use crate::{
    domain::{
        audit::{AuditAction, NewEntry},
        workflow::{Notification, NotificationKind, TaskStatus},
    },
    push::outbox,
    state::AppState,
    store,
};

#[derive(Debug, thiserror::Error)]
pub enum UrgeError {
    #[error("no such task")]
    TaskNotFound,
    #[error("only whoever assigned this task may urge it")]
    NotTheAssigner,
    #[error("this task has already been decided")]
    NotWaiting,
    #[error("this task was urged a moment ago")]
    TooSoon { retry_after: u64 },
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// Queues a reminder to each of the assignee's devices; returns how many.
pub async fn urge(state: &AppState, who: Principal, task: Uuid) -> Result<usize, UrgeError> {
    let document = store::tasks::document_of(&state.db, task)
        .await
        .context("loading the task")?
        .ok_or(UrgeError::TaskNotFound)?;
    let document = match visible(state, who, document).await {
        Ok(d) => d,
        Err(DocumentError::NotFound) => return Err(UrgeError::TaskNotFound),
        Err(e) => return Err(anyhow::Error::new(e).context("loading the document").into()),
    };
    let tasks = store::tasks::for_document(&state.db, document.id)
        .await
        .context("loading the document's tasks")?;
    let task = tasks
        .into_iter()
        .find(|t| t.id == task)
        .ok_or(UrgeError::TaskNotFound)?;
    if task.assigned_by != who.user_id {
        return Err(UrgeError::NotTheAssigner);
    }
    if task.status != TaskStatus::Waiting {
        return Err(UrgeError::NotWaiting);
    }
    let now = state.clock.now();
    // An urge reads as the reminder it is: overdue once the deadline has passed.
    let kind = match task.deadline {
        Some(deadline) if deadline <= now => NotificationKind::Overdue,
        _ => NotificationKind::DeadlineSoon,
    };
    let note = Notification {
        user: task.assignee,
        kind,
        task: task.id,
    };
    let planned = outbox::plan(&state.sessions, &[note])
        .await
        .context("reading the assignee's devices")?;
    let key = format!("{}urge:{}", state.redis_key_prefix, task.id);
    let interval = state.push.urge_interval().as_secs().max(1);
    let mut redis = state.redis.clone();
    let first: bool = redis::cmd("SET")
        .arg(&key)
        .arg(now.to_rfc3339())
        .arg("NX")
        .arg("EX")
        .arg(interval)
        .query_async::<Option<String>>(&mut redis)
        .await
        .context("taking the urge slot")?
        .is_some();
    if !first {
        let ttl: i64 = redis.ttl(&key).await.context("reading the urge slot")?;
        return Err(UrgeError::TooSoon {
            retry_after: u64::try_from(ttl).unwrap_or(interval).max(1),
        });
    }
    let queued = match queue(state, who, &document, &planned, task.id).await {
        Ok(queued) => queued,
        Err(e) => {
            // Nothing was sent: give the slot back so a retry is not refused. Ignored error:
            // the slot then expires by itself.
            let _: Result<(), _> = redis.del(&key).await;
            return Err(e.into());
        }
    };
    state.push.queued(queued);
    tracing::info!(task_id = %task.id, devices = queued, "task urged");
    Ok(queued)
}

async fn queue(
    state: &AppState,
    who: Principal,
    document: &crate::domain::document::Document,
    planned: &[outbox::Planned],
    task: Uuid,
) -> anyhow::Result<usize> {
    let now = state.clock.now();
    let txn = state.db.begin().await.context("starting a transaction")?;
    let queued = outbox::enqueue(&txn, document, planned, now)
        .await
        .context("queueing the reminder")?;
    let entry = NewEntry::new(who, AuditAction::TaskUrged, document.organization_id)
        .document(document.id)
        .subject(task)
        .detail("devices", queued);
    audit::record(state, &txn, entry).await?;
    txn.commit().await.context("committing the urge")?;
    Ok(queued)
}
