//! The change feed for phones on bad networks: back online, the app asks once what changed
//! since its cursor, instead of reloading every list.
//!
//! The cursor is the number of the audit trail's last entry read. Every change to a document
//! or its tasks (creation, file version, submission, registration, decision, signature,
//! issuance) writes its audit entry in the same transaction, and entries are numbered under
//! the trail's head row, locked until commit: numbers become visible in order and without
//! gaps. So every entry up to the head read now is committed, and nothing committed later can
//! carry a smaller number. A plain sequence or `updated_at` would not hold that: two
//! transactions may commit in another order than the one they took their numbers or times in,
//! and a reader between the two commits would skip the first for ever.

use std::collections::{HashMap, HashSet};

use anyhow::Context;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{
    Principal,
    people::{self, NamedTask},
    tabs::{self, DocumentRow},
    workflow::WorkflowServiceError,
};
use crate::{
    domain::{Cursor, InvalidInput, audit::AuditAction, person::Person},
    state::AppState,
    store,
};

/// The audit actions that change a document or its tasks.
const CHANGES: [AuditAction; 7] = [
    AuditAction::DocumentCreated,
    AuditAction::FileVersionAdded,
    AuditAction::Submitted,
    AuditAction::Registered,
    AuditAction::TaskDecided,
    AuditAction::Signed,
    AuditAction::Issued,
];

/// At most this many changes per answer; `more` says to ask again at once.
const MAX_CHANGES: u64 = 500;

pub struct Changes {
    /// The documents that changed and that the caller may see, as they now are, the most
    /// recently changed last.
    pub documents: Vec<DocumentRow>,
    /// The caller's tasks on those documents, as they now are.
    pub tasks: Vec<NamedTask>,
    /// Documents that changed and that the caller, who had them, may no longer see.
    pub removed: Vec<Uuid>,
    /// The authors and holders of the documents, by id.
    pub people: HashMap<Uuid, Person>,
    pub cursor: Cursor,
    pub more: bool,
}

/// What changed for the caller since `cursor`; without one, nothing, and the cursor to start
/// from (taken before the app loads its lists, so nothing falls between the two).
pub async fn changes(
    state: &AppState,
    who: Principal,
    cursor: Option<Cursor>,
) -> Result<Changes, WorkflowServiceError> {
    let bad = || InvalidInput::new("cursor", "is not a cursor from this API");
    let (head, _) = store::audit::head(&state.db)
        .await
        .context("reading the audit head")?;
    let after = match cursor {
        Some(c) => c.sort_key().parse::<i64>().map_err(|_| bad())?,
        None => head,
    };
    if !(0..=head).contains(&after) {
        return Err(bad().into());
    }
    let actions: Vec<&str> = CHANGES.iter().map(|a| a.as_str()).collect();
    let changed = store::audit::changes(&state.db, &actions, after, head, MAX_CHANGES)
        .await
        .context("reading the changes")?;
    let more = u64::try_from(changed.len()).unwrap_or(u64::MAX) >= MAX_CHANGES;
    let upto = match changed.last() {
        Some(last) if more => last.seq,
        _ => head,
    };
    // Each document once, at its latest change, in the order of those changes.
    let mut latest: HashMap<Uuid, (i64, DateTime<Utc>)> = HashMap::new();
    for c in changed {
        latest.insert(c.document, (c.seq, c.at));
    }
    let mut ids: Vec<Uuid> = latest.keys().copied().collect();
    ids.sort_by_key(|id| latest.get(id).map(|l| l.0));

    let me = store::users::find(&state.db, who.user_id)
        .await
        .context("loading the account")?
        .context("the caller's account no longer exists")?;
    let documents = store::documents::find_many(&state.db, &ids)
        .await
        .context("loading the changed documents")?;
    let mine = store::tasks::mine_on(&state.db, me.id, &ids)
        .await
        .context("loading the caller's tasks")?;
    let involved: HashSet<Uuid> = mine.iter().map(|(d, _)| *d).collect();
    // The same rule as reading one document: of my organisation, or one of its tasks is mine.
    let (visible, hidden): (Vec<_>, Vec<_>) = documents
        .into_iter()
        .partition(|d| d.organization_id == me.organization_id || involved.contains(&d.id));
    let hidden: Vec<Uuid> = hidden.iter().map(|d| d.id).collect();
    // Only what the caller had: anything else would tell them another agency's document ids.
    let mut removed = store::audit::touched_by(&state.db, me.id, &hidden)
        .await
        .context("finding what the caller had")?;
    removed.sort_by_key(|id| latest.get(id).map(|l| l.0));
    let mut found: Vec<_> = visible
        .into_iter()
        .map(|d| {
            let at = latest.get(&d.id).map_or(d.updated_at, |l| l.1);
            (d, at, None)
        })
        .collect();
    found.sort_by_key(|(d, _, _)| latest.get(&d.id).map(|l| l.0));
    let (documents, people) = tabs::rows(state, found).await?;
    let tasks = people::name_tasks(state, mine.into_iter().map(|(_, t)| t).collect()).await?;
    Ok(Changes {
        documents,
        tasks,
        removed,
        people,
        cursor: Cursor::after(&upto.to_string()),
        more,
    })
}
