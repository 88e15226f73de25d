//! Loading a document's flow and committing a transition: what every use case that moves a
//! document shares (decisions, signatures, registration, issuance). The rules stay in
//! `domain::workflow`; here the tasks are written under the statuses the rules expected, with
//! the pushes and the audit entry in the same transaction.

use anyhow::Context;
use sea_orm::{DatabaseTransaction, TransactionTrait};
use uuid::Uuid;

use super::{
    Principal, audit,
    documents::{DocumentError, visible},
    exchange, people,
};
use crate::{
    domain::{
        Role,
        audit::NewEntry,
        document::Document,
        workflow::{DocumentFlow, Task, Transition, WorkflowError},
    },
    push,
    state::AppState,
    store::{self, tasks::ApplyError},
};

#[derive(Debug, thiserror::Error)]
pub enum FlowError {
    #[error(transparent)]
    Rule(#[from] WorkflowError),
    #[error(transparent)]
    Document(#[from] DocumentError),
    #[error("no such task")]
    TaskNotFound,
    #[error("{field}: {reason}")]
    Target { field: String, reason: &'static str },
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// A person a task is about to go to, and what the step needs of them.
pub(crate) struct Target {
    /// Where the id came from in the request, for the problem's detail.
    pub field: String,
    pub user: Uuid,
    pub needs_leader: bool,
}

impl Target {
    pub fn new(field: impl Into<String>, user: Uuid, needs_leader: bool) -> Self {
        Self {
            field: field.into(),
            user,
            needs_leader,
        }
    }
}

/// Every target must be an active account of the document's organisation tree, a leader where
/// the step needs one: a task given to anyone else would put the document in their hands.
pub(crate) async fn check_targets(
    state: &AppState,
    document: &Document,
    targets: &[Target],
) -> Result<(), FlowError> {
    let family = people::tree_of(state, document.organization_id).await?;
    for target in targets {
        let refuse = |reason| FlowError::Target {
            field: target.field.clone(),
            reason,
        };
        let user = store::users::find(&state.db, target.user)
            .await
            .context("loading a task's assignee")?
            .filter(|u| family.contains(&u.organization_id))
            .ok_or_else(|| refuse("no such person in this document's organisation"))?;
        if user.disabled {
            return Err(refuse("the account is disabled"));
        }
        if target.needs_leader && !user.has_role(Role::Leader) {
            return Err(refuse("this step needs a leader"));
        }
    }
    Ok(())
}

/// The document `task` belongs to, if the caller may see it; a task of a document they may
/// not see does not exist for them.
pub(crate) async fn task_document(
    state: &AppState,
    who: Principal,
    task: Uuid,
) -> Result<Document, FlowError> {
    let document = store::tasks::document_of(&state.db, task)
        .await
        .context("loading the task")?
        .ok_or(FlowError::TaskNotFound)?;
    match visible(state, who, document).await {
        Err(DocumentError::NotFound) => Err(FlowError::TaskNotFound),
        other => Ok(other?),
    }
}

pub(crate) async fn load_tasks(state: &AppState, document: Uuid) -> Result<Vec<Task>, FlowError> {
    Ok(store::tasks::for_document(&state.db, document)
        .await
        .context("loading the document's tasks")?)
}

pub(crate) fn flow_of<'a>(document: &Document, tasks: &'a [Task]) -> DocumentFlow<'a> {
    DocumentFlow {
        author: document.author_id,
        state: document.state,
        tasks,
    }
}

/// Writes `transition` with its pushes and audit entry in a transaction of its own.
pub(crate) async fn commit(
    state: &AppState,
    document: &Document,
    transition: &Transition,
    decided: Option<(Uuid, Option<String>)>,
    entry: NewEntry,
) -> Result<(), FlowError> {
    let prepared = prepare(state, document.id, transition).await?;
    let txn = state.db.begin().await.context("starting a transaction")?;
    let written = apply(state, &txn, document, transition, decided, entry, &prepared).await?;
    txn.commit().await.context("committing the decision")?;
    committed(state, written).await;
    Ok(())
}

/// What a written transition leaves to do once its transaction is in: sum them over the
/// transitions of one transaction, then hand them to [`committed`].
#[must_use = "hand it to `flow::committed` once the transaction is in"]
#[derive(Debug, Default)]
pub(crate) struct Written {
    /// Push outbox rows queued.
    pushes: usize,
    /// People whose `GET /me` it changed.
    people: Vec<Uuid>,
}

impl Written {
    /// A change outside a transition that moved what `GET /me` shows of `people`.
    pub(crate) fn for_people(people: Vec<Uuid>) -> Self {
        Self { pushes: 0, people }
    }
}

impl std::ops::AddAssign for Written {
    fn add_assign(&mut self, other: Self) {
        self.pushes += other.pushes;
        self.people.extend(other.people);
    }
}

/// After the commit: wakes the push worker, and bumps the profile stamps of the people whose
/// badges moved, so no instance serves them a remembered `GET /me` from before. The change
/// is in already; should Redis fail now, a remembered profile lives out its short life (see
/// `services::me`), so this only logs.
pub(crate) async fn committed(state: &AppState, written: Written) {
    state.push.queued(written.pushes);
    if written.people.is_empty() {
        return;
    }
    if let Err(e) = state.sessions.bump_profiles(written.people).await {
        tracing::warn!(error = %e, "profile stamps not bumped after a commit");
    }
}

/// What a transition needs read before its transaction opens, so that no database lock is held
/// across a Redis call: the devices to tell, and the report its sender gets when the document
/// came from another organisation.
pub(crate) struct Prepared {
    pushes: Vec<push::outbox::Planned>,
    report: Option<exchange::report::Report>,
}

pub(crate) async fn prepare(
    state: &AppState,
    document: Uuid,
    transition: &Transition,
) -> Result<Prepared, FlowError> {
    let pushes = push::outbox::plan(&state.sessions, &transition.notify)
        .await
        .context("reading the recipients' devices")?;
    let report = match &transition.report {
        Some((status, reason)) => {
            exchange::report::prepare(state, document, *status, reason.clone()).await?
        }
        None => None,
    };
    Ok(Prepared { pushes, report })
}

/// Writes `transition` and its pushes in `txn`; returns what is left to do once the caller
/// has committed.
pub(crate) async fn apply(
    state: &AppState,
    txn: &DatabaseTransaction,
    document: &Document,
    transition: &Transition,
    decided: Option<(Uuid, Option<String>)>,
    entry: NewEntry,
    prepared: &Prepared,
) -> Result<Written, FlowError> {
    let now = state.clock.now();
    match store::tasks::apply(txn, document, transition, decided, now).await {
        Ok(()) => {}
        // Another phone got there first; dropping the transaction rolls ours back.
        Err(ApplyError::Conflict) => return Err(WorkflowError::AlreadyDecided.into()),
        Err(ApplyError::Db(e)) => {
            return Err(anyhow::Error::new(e).context("writing the decision").into());
        }
    }
    let mut queued = push::outbox::enqueue(txn, document, &prepared.pushes, now)
        .await
        .context("queueing the pushes")?;
    if let Some(report) = &prepared.report {
        queued += exchange::report::write(txn, report, now).await?;
    }
    // Last, so the audit head is held only for the moment before the commit.
    audit::record(state, txn, entry).await?;
    Ok(Written {
        pushes: queued,
        people: transition.people(document.author_id),
    })
}
