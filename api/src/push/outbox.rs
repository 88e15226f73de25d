//! Turning a transition's notifications into outbox rows: which devices (read from Redis
//! before the transaction) and what each message says (built inside it).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use redis::RedisError;
use sea_orm::{ConnectionTrait, DbErr};
use uuid::Uuid;

use super::message::{self, Content};
use crate::{
    auth::SessionStore,
    domain::{
        Locale,
        document::Document,
        workflow::{Notification, NotificationKind},
    },
    store::{self, outbox::NewPush},
};

/// One push to one device, before the transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Planned {
    pub user: Uuid,
    pub session: Uuid,
    pub kind: NotificationKind,
    pub task: Uuid,
    pub locale: Locale,
}

/// The devices that can take each notification: the recipient's live sessions with a push
/// token. Read before the transaction, so it holds no database lock across a Redis call.
pub async fn plan(
    sessions: &SessionStore,
    notify: &[Notification],
) -> Result<Vec<Planned>, RedisError> {
    let mut devices: HashMap<Uuid, Vec<(Uuid, Locale)>> = HashMap::new();
    let mut planned = Vec::new();
    for n in notify {
        if let std::collections::hash_map::Entry::Vacant(slot) = devices.entry(n.user) {
            let live = sessions.list(n.user).await?;
            let pushable = live.into_iter().filter(|s| s.push_token.is_some());
            slot.insert(pushable.map(|s| (s.id, s.locale)).collect());
        }
        for (session, locale) in devices.get(&n.user).into_iter().flatten() {
            planned.push(Planned {
                user: n.user,
                session: *session,
                kind: n.kind,
                task: n.task,
                locale: *locale,
            });
        }
    }
    Ok(planned)
}

/// Writes the rows for `planned` in the caller's transaction; returns how many.
pub async fn enqueue(
    txn: &impl ConnectionTrait,
    document: &Document,
    planned: &[Planned],
    now: DateTime<Utc>,
) -> Result<usize, DbErr> {
    if planned.is_empty() {
        return Ok(0);
    }
    let organization = store::organizations::find(txn, document.organization_id)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("the document's organisation".to_owned()))?;
    let summary = organization
        .push_summary
        .then_some(document.summary.as_str());
    let mut badges: HashMap<Uuid, u64> = HashMap::new();
    let mut rows = Vec::with_capacity(planned.len());
    for p in planned {
        let badge = match badges.get(&p.user) {
            Some(b) => *b,
            // Counted inside the transaction, so the task it announces is included.
            None => {
                let (waiting, _) = store::tasks::counts(txn, p.user, now).await?;
                badges.insert(p.user, waiting);
                waiting
            }
        };
        let content = Content {
            kind: p.kind,
            document_id: document.id,
            task_id: p.task,
            high_priority: document.urgency.high_priority_push(),
            locale: p.locale,
            summary,
            badge,
        };
        rows.push(NewPush {
            id: Uuid::now_v7(),
            user_id: p.user,
            session_id: p.session,
            kind: p.kind.as_str().to_owned(),
            document_id: document.id,
            task_id: p.task,
            message: message::build(&content).to_string(),
        });
    }
    let count = rows.len();
    store::outbox::insert(txn, rows, now).await?;
    Ok(count)
}
