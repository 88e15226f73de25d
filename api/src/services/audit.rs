//! The audit trail: every use case records what it did here, inside its own transaction where
//! it has one, so an entry exists exactly when the change does. Admins read the entries of
//! their organisations and check that the whole chain is untampered.

use anyhow::Context;
use chrono::NaiveDate;
use sea_orm::{ConnectionTrait, TransactionTrait};
use uuid::Uuid;

use super::{
    Principal,
    admin::{Admin, AdminError, Page},
};
use crate::{
    domain::{
        Cursor, InvalidInput, PageSize,
        audit::{Actor, AuditAction, Break, BreakReason, ChainCheck, Entry, NewEntry},
        numbering::start_of_day,
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

/// What a reader of the trail narrows it to; every filter is optional and they combine.
#[derive(Debug, Default)]
pub struct Wanted {
    pub document: Option<Uuid>,
    pub actor: Option<Uuid>,
    pub action: Option<AuditAction>,
    /// The first day, Vietnam time.
    pub from: Option<NaiveDate>,
    /// The last day, included.
    pub to: Option<NaiveDate>,
}

/// The entries of the admin's organisations, oldest first, narrowed as asked.
pub async fn trail(
    state: &AppState,
    admin: &Admin,
    wanted: Wanted,
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
    if let (Some(from), Some(to)) = (wanted.from, wanted.to)
        && from > to
    {
        return Err(InvalidInput::new("from", "must not be after `to`").into());
    }
    let filter = Filter {
        organizations: Some(admin.scope().iter().copied().collect()),
        document: wanted.document,
        actor: wanted.actor,
        action: wanted.action,
        since: wanted.from.map(start_of_day),
        before: wanted.to.and_then(|d| d.succ_opt()).map(start_of_day),
    };
    let items = store::audit::page(&state.db, &filter, after, size.get())
        .await
        .context("reading the audit trail")?;
    Ok(Page::of(items, size, |e| e.seq.to_string()))
}

pub struct Verification {
    /// The walk began after this entry: the last one an earlier check found intact (0 when
    /// the whole chain was walked).
    pub after: i64,
    /// How many entries were checked before the walk ended.
    pub checked: u64,
    pub first_break: Option<Break>,
}

/// Walks the chain against the head, in pages: from the last entry an earlier check found
/// intact, or from the first when `full`. An intact walk moves that checkpoint to the head, so
/// the next check reads only what was appended since; a full walk that finds a break forgets
/// it, so every check reports the break until it is mended.
/// Any admin may run it: it reveals entry numbers, not what they say.
pub async fn verify(
    state: &AppState,
    _admin: &Admin,
    full: bool,
) -> Result<Verification, AdminError> {
    const PAGE: u64 = 1000;
    // The head first: entries appended during the walk lie beyond it and are not judged.
    let (head_seq, head_hash) = store::audit::head(&state.db)
        .await
        .context("reading the audit head")?;
    let all = Filter::default();
    let (after, mut walk) = if full {
        (0, ChainCheck::default())
    } else {
        match resume(state, &all).await? {
            Ok(resumed) => resumed,
            Err(found) => {
                return Ok(Verification {
                    after: found.seq - 1,
                    checked: 0,
                    first_break: Some(found),
                });
            }
        }
    };
    let mut cursor = after;
    let mut first_break = None;
    'walk: while cursor < head_seq {
        let entries = store::audit::page(&state.db, &all, cursor, PAGE)
            .await
            .context("reading the audit trail")?;
        for entry in entries.iter().take_while(|e| e.seq <= head_seq) {
            if let Err(found) = walk.next(entry) {
                first_break = Some(found);
                break 'walk;
            }
        }
        match entries.last() {
            Some(last) => cursor = last.seq,
            None => break,
        }
    }
    let checked = walk.checked();
    let first_break = match first_break {
        Some(found) => Some(found),
        None => walk.finish(head_seq, &head_hash).err(),
    };
    match &first_break {
        None => {
            store::audit::advance_checkpoint(&state.db, head_seq, &head_hash, state.clock.now())
                .await
                .context("recording the audit checkpoint")?
        }
        Some(_) if full => store::audit::reset_checkpoint(&state.db)
            .await
            .context("forgetting the audit checkpoint")?,
        Some(_) => {}
    }
    Ok(Verification {
        after,
        checked,
        first_break,
    })
}

/// Where a regular check resumes: after the checkpoint, provided its entry is still there as the
/// last check found it (the walk then checks the link from it to the next).
async fn resume(
    state: &AppState,
    all: &Filter,
) -> anyhow::Result<Result<(i64, ChainCheck), Break>> {
    let (seq, hash) = store::audit::checkpoint(&state.db)
        .await
        .context("reading the audit checkpoint")?;
    if seq == 0 {
        return Ok(Ok((0, ChainCheck::default())));
    }
    let entry = store::audit::page(&state.db, all, seq - 1, 1)
        .await
        .context("reading the checkpoint's entry")?
        .into_iter()
        .find(|e| e.seq == seq);
    let reason = match entry {
        None => BreakReason::Missing,
        Some(e) if e.hash != hash || e.hash != e.expected_hash() => BreakReason::Altered,
        Some(_) => return Ok(Ok((seq, ChainCheck::after(seq, &hash)))),
    };
    Ok(Err(Break { seq, reason }))
}
