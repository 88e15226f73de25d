//! The audit trail: every use case records what it did here, inside its own transaction where
//! it has one, so an entry exists exactly when the change does. Admins read the entries of
//! their organisations and check that the whole chain is untampered.

use anyhow::Context;
use sea_orm::{ConnectionTrait, TransactionTrait};
use uuid::Uuid;

use super::{
    Principal,
    admin::{Admin, AdminError, Page},
};
use crate::{
    domain::{
        Cursor, InvalidInput, PageSize,
        audit::{Actor, AuditAction, Break, ChainCheck, Entry, NewEntry},
    },
    state::AppState,
    store::{self, audit::Filter},
};

impl From<Principal> for Actor {
    fn from(who: Principal) -> Self {
        Self {
            user: Some(who.user_id),
            session: Some(who.session_id),
            ip: who.ip,
        }
    }
}

impl NewEntry {
    /// `organization` is the one the entry concerns: it decides which admins may read it.
    pub fn new(actor: impl Into<Actor>, action: AuditAction, organization: Uuid) -> Self {
        Self {
            actor: actor.into(),
            action,
            organization,
            document: None,
            subject: None,
            details: serde_json::Value::Object(serde_json::Map::new()),
        }
    }

    pub fn document(mut self, id: Uuid) -> Self {
        self.document = Some(id);
        self
    }

    pub fn subject(mut self, id: Uuid) -> Self {
        self.subject = Some(id);
        self
    }

    /// Adds one detail; `None` values are left out.
    pub fn detail(mut self, key: &str, value: impl Into<serde_json::Value>) -> Self {
        let value = value.into();
        if let (false, Some(map)) = (value.is_null(), self.details.as_object_mut()) {
            map.insert(key.to_owned(), value);
        }
        self
    }
}

/// Appends inside the caller's transaction.
pub async fn record(
    state: &AppState,
    db: &impl ConnectionTrait,
    entry: NewEntry,
) -> anyhow::Result<()> {
    store::audit::append(db, entry, state.clock.now())
        .await
        .context("appending to the audit trail")?;
    Ok(())
}

/// Appends in a transaction of its own, for actions that change no rows (a login, a download).
pub async fn record_alone(state: &AppState, entry: NewEntry) -> anyhow::Result<()> {
    let txn = state.db.begin().await.context("starting a transaction")?;
    record(state, &txn, entry).await?;
    txn.commit().await.context("committing an audit entry")
}

/// The entries of the admin's organisations, oldest first, optionally about one document or
/// by one person.
pub async fn trail(
    state: &AppState,
    admin: &Admin,
    document: Option<Uuid>,
    actor: Option<Uuid>,
    cursor: Option<Cursor>,
    size: PageSize,
) -> Result<Page<Entry>, AdminError> {
    let after = match cursor {
        Some(c) => c
            .sort_key()
            .parse::<i64>()
            .map_err(|_| InvalidInput::new("cursor", "is not a cursor from this API"))?,
        None => 0,
    };
    let filter = Filter {
        organizations: Some(admin.scope().iter().copied().collect()),
        document,
        actor,
    };
    let items = store::audit::page(&state.db, &filter, after, size.get())
        .await
        .context("reading the audit trail")?;
    Ok(Page::of(items, size, |e| e.seq.to_string()))
}

pub struct Verification {
    /// How many entries were checked before the walk ended.
    pub checked: u64,
    pub first_break: Option<Break>,
}

/// Walks the whole chain, in pages, against the head.
/// Any admin may run it: it reveals entry numbers, not what they say.
pub async fn verify(state: &AppState, _admin: &Admin) -> Result<Verification, AdminError> {
    const PAGE: u64 = 1000;
    // The head first: entries appended during the walk lie beyond it and are not judged.
    let (head_seq, head_hash) = store::audit::head(&state.db)
        .await
        .context("reading the audit head")?;
    let mut walk = ChainCheck::default();
    let mut after = 0;
    let all = Filter::default();
    loop {
        let entries = store::audit::page(&state.db, &all, after, PAGE)
            .await
            .context("reading the audit trail")?;
        for entry in entries.iter().take_while(|e| e.seq <= head_seq) {
            if let Err(first_break) = walk.next(entry) {
                return Ok(broken(&walk, first_break));
            }
        }
        match entries.last() {
            Some(last) if last.seq < head_seq => after = last.seq,
            _ => break,
        }
    }
    let checked = walk.checked();
    Ok(Verification {
        checked,
        first_break: walk.finish(head_seq, &head_hash).err(),
    })
}

fn broken(walk: &ChainCheck, first_break: Break) -> Verification {
    Verification {
        checked: walk.checked(),
        first_break: Some(first_break),
    }
}
