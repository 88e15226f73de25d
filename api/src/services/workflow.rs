//! Moving documents along: submitting a draft to its chain, deciding tasks, the inbox. The
//! rules are in `domain::workflow`; this module loads what they need and writes what they
//! decide, in one transaction, under the statuses they expect, so of two phones deciding one
//! task, one wins and the other is told it was already decided.

use anyhow::Context;
use chrono::{DateTime, Utc};
use sea_orm::TransactionTrait;
use uuid::Uuid;

use super::{
    Principal,
    documents::{DocumentError, visible},
    exchange,
    flow::{self, FlowError, Target, apply, flow_of, load_tasks, prepare},
    people::{self, NamedTask},
    signing::{self, SigningError},
};
use crate::{
    domain::{
        Cursor, InvalidInput, PageSize, Role, User,
        audit::{AuditAction, NewEntry},
        document::{Direction, Document},
        exchange::DeliveryStatus,
        numbering::{format_number, issuer_symbol, local_date, numbering_year},
        workflow::{self, Decision, Step, Task, TaskAction, WorkflowError},
    },
    signing::appearance::AttachmentPages,
    state::AppState,
    store::{
        self,
        registers::Book,
        tasks::{InboxKey, Waiting},
    },
};

#[derive(Debug, thiserror::Error)]
pub enum WorkflowServiceError {
    #[error(transparent)]
    Flow(#[from] FlowError),
    #[error(transparent)]
    Invalid(#[from] InvalidInput),
    /// The organisation's seal could not be added at issuance.
    #[error(transparent)]
    Seal(Box<SigningError>),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<WorkflowError> for WorkflowServiceError {
    fn from(e: WorkflowError) -> Self {
        FlowError::from(e).into()
    }
}

impl From<DocumentError> for WorkflowServiceError {
    fn from(e: DocumentError) -> Self {
        FlowError::from(e).into()
    }
}

/// Sends a draft along `steps`, with the author's `note` to the reviewers; also resubmits a
/// returned one.
pub async fn submit(
    state: &AppState,
    who: Principal,
    document: Uuid,
    steps: Vec<Step>,
    deadline: Option<DateTime<Utc>>,
    note: Option<String>,
) -> Result<Document, WorkflowServiceError> {
    let document = visible(state, who, document).await?;
    let now = state.clock.now();
    let tasks = load_tasks(state, document.id).await?;
    let flow = flow_of(&document, &tasks);
    let note = note.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
    let transition =
        workflow::submit(&flow, who.user_id, &steps, deadline, now, &mut Uuid::now_v7)?
            .with_note(note);
    let targets: Vec<_> = steps
        .iter()
        .enumerate()
        .map(|(i, step)| {
            let field = format!("steps[{i}].user_id");
            Target::new(field, step.assignee, step.action == TaskAction::Sign)
        })
        .collect();
    flow::check_targets(state, &document, &targets).await?;
    let chain: Vec<_> = steps
        .iter()
        .map(|s| format!("{}:{}", s.action.as_str(), s.assignee))
        .collect();
    let entry = entry(who, AuditAction::Submitted, &document)
        .detail("steps", chain)
        .detail("note", transition.note.clone());
    flow::commit(state, &document, &transition, None, entry).await?;
    tracing::info!(document_id = %document.id, steps = steps.len(), "submitted");
    reload(state, document.id).await
}

/// A clerk registers an incoming document: it takes the next arrival number (số đến) of the
/// organisation's incoming register for the year, and `leader` is asked for a directive.
pub async fn register(
    state: &AppState,
    who: Principal,
    document: Uuid,
    leader: Uuid,
    deadline: Option<DateTime<Utc>>,
) -> Result<Document, WorkflowServiceError> {
    let (clerk, document) = clerks_document(state, who, document, Direction::Incoming).await?;
    let asked_back = store::arrivals::of_document(&state.db, document.id)
        .await
        .context("loading where the document came from")?
        .is_some_and(|a| a.recall == Some(DeliveryStatus::RecallRequested));
    if asked_back {
        // Its sender asks for it back: the clerk answers that before taking it in.
        return Err(WorkflowError::RecallPending.into());
    }
    let tasks = load_tasks(state, document.id).await?;
    let flow = flow_of(&document, &tasks);
    let transition = workflow::register(&flow, clerk.id, leader, deadline, &mut Uuid::now_v7)?;
    flow::check_targets(state, &document, &[Target::new("to_user_id", leader, true)]).await?;
    let now = state.clock.now();
    let prepared = prepare(state, document.id, &transition).await?;
    let txn = state.db.begin().await.context("starting a transaction")?;
    let number = store::registers::next_number(
        &txn,
        clerk.organization_id,
        Book::Incoming,
        numbering_year(now),
    )
    .await
    .context("taking an arrival number")?;
    store::documents::set_received_no(&txn, document.id, number)
        .await
        .context("recording the arrival number")?;
    let entry = entry(who, AuditAction::Registered, &document)
        .subject(leader)
        .detail("received_no", number);
    let queued = apply(state, &txn, &document, &transition, None, entry, &prepared).await?;
    txn.commit().await.context("committing the registration")?;
    flow::committed(state, queued).await;
    tracing::info!(document_id = %document.id, received_no = number, "registered");
    reload(state, document.id).await
}

/// A clerk refuses a document another organisation sent (từ chối tiếp nhận): wrong recipient,
/// signatures that do not verify. It is closed here, and the sender reads the reason (02).
pub async fn refuse(
    state: &AppState,
    who: Principal,
    document: Uuid,
    reason: String,
) -> Result<Document, WorkflowServiceError> {
    let (_, document) = clerks_document(state, who, document, Direction::Incoming).await?;
    let arrived = store::arrivals::of_document(&state.db, document.id)
        .await
        .context("loading where the document came from")?;
    if arrived.is_none() {
        // Typed in by a clerk from paper: there is no one to refuse it to.
        return Err(WorkflowError::WrongState(document.state).into());
    }
    let tasks = load_tasks(state, document.id).await?;
    let transition = workflow::refuse(&flow_of(&document, &tasks), &reason)?;
    let reason = reason.trim().to_owned();
    let entry =
        entry(who, AuditAction::DocumentRefused, &document).detail("reason", reason.as_str());
    // The reason is written on the clerk's own task to take it in, for the history.
    let own = tasks
        .iter()
        .find(|t| t.assignee == who.user_id && t.action == TaskAction::Receive)
        .map(|t| (t.id, Some(reason)));
    flow::commit(state, &document, &transition, own, entry).await?;
    tracing::info!(document_id = %document.id, "refused");
    reload(state, document.id).await
}

/// A clerk issues a signed outgoing document (phát hành): it takes the next number of the
/// organisation's outgoing register for the year, written in the organisation's style, and
/// the issuing date, Vietnam time. The symbol names the organisation by its abbreviation and,
/// for a Công văn, `drafting_unit` (a unit below it) by its own. The seal stamps the first
/// page of each attachment bound into the main PDF (`attachments`).
pub async fn issue(
    state: &AppState,
    who: Principal,
    document: Uuid,
    drafting_unit: Option<Uuid>,
    attachments: &AttachmentPages,
) -> Result<Issued, WorkflowServiceError> {
    let (clerk, document) = clerks_document(state, who, document, Direction::Outgoing).await?;
    let tasks = load_tasks(state, document.id).await?;
    let transition = workflow::issue(&flow_of(&document, &tasks))?;
    let organization = store::organizations::find(&state.db, clerk.organization_id)
        .await
        .context("loading the organisation")?
        .context("the clerk's organisation no longer exists")?;
    let unit = match drafting_unit {
        Some(id) => Some(drafting_unit_of(state, &organization, id).await?),
        None => None,
    };
    let now = state.clock.now();
    let prepared = prepare(state, document.id, &transition).await?;
    let txn = state.db.begin().await.context("starting a transaction")?;
    let number =
        store::registers::next_number(&txn, organization.id, Book::Outgoing, numbering_year(now))
            .await
            .context("taking an outgoing number")?;
    let seq = u32::try_from(number).context("a register number is negative")?;
    let issuer = issuer_symbol(
        organization.numbering_style,
        &document.doc_type,
        &organization.abbreviation,
        unit.as_ref().map(|u| u.abbreviation.as_str()),
    );
    let symbol = format_number(
        organization.numbering_style,
        seq,
        &document.doc_type,
        &issuer,
        None,
    );
    let issued_on = local_date(now);
    store::documents::set_issued(&txn, document.id, number, &symbol, issued_on)
        .await
        .context("recording the number")?;
    // The seal is signed inside the issuing transaction: its reason names the number, and a
    // failure leaves the document unissued and the number untaken. The register row stays
    // locked for the signature's duration (a few ms of HSM; longer for a large PDF).
    let seal = signing::seal(
        state,
        &txn,
        &document,
        clerk.id,
        &organization.name,
        &symbol,
        attachments,
        now,
    )
    .await
    .map_err(|e| WorkflowServiceError::Seal(Box::new(e)))?;
    let entry = entry(who, AuditAction::Issued, &document)
        .detail("symbol", symbol.as_str())
        .detail("seal_signature_id", seal.id.to_string());
    let queued = apply(state, &txn, &document, &transition, None, entry, &prepared).await?;
    txn.commit().await.context("committing the issuance")?;
    flow::committed(state, queued).await;
    tracing::info!(document_id = %document.id, %symbol, "issued");
    // Recipients set before issuance get it now. A failure here leaves them unsent for the
    // clerk's send, and never undoes the issuance.
    if let Err(e) = exchange::send::send(state, who, document.id).await {
        tracing::warn!(document_id = %document.id, error = %e, "sending at issuance failed");
    }
    Ok(Issued {
        document: document.id,
        number,
        symbol,
        issued_on,
        timestamped: seal.timestamped,
    })
}

/// A unit strictly below the issuing organisation, which drafted the document.
async fn drafting_unit_of(
    state: &AppState,
    organization: &crate::domain::Organization,
    unit: Uuid,
) -> Result<crate::domain::Organization, WorkflowServiceError> {
    let tree = store::organizations::tree(&state.db)
        .await
        .context("loading the organisation tree")?;
    let found = store::organizations::find(&state.db, unit)
        .await
        .context("loading the drafting unit")?
        .filter(|u| u.id != organization.id && tree.subtree(organization.id).contains(&u.id));
    found.ok_or_else(|| {
        InvalidInput::new("drafting_unit_id", "is not a unit of your organisation").into()
    })
}

pub struct Issued {
    pub document: Uuid,
    pub number: i32,
    pub symbol: String,
    pub issued_on: chrono::NaiveDate,
    /// The seal carries a trusted timestamp (PAdES B-T).
    pub timestamped: bool,
}

/// The caller as a clerk, and a document of their own organisation going `direction`.
pub(crate) async fn clerks_document(
    state: &AppState,
    who: Principal,
    document: Uuid,
    direction: Direction,
) -> Result<(User, Document), WorkflowServiceError> {
    let clerk = store::users::find(&state.db, who.user_id)
        .await
        .context("loading the account")?
        .context("the caller's account no longer exists")?;
    if !clerk.has_role(Role::Clerk) {
        return Err(DocumentError::NotAClerk.into());
    }
    let document = visible(state, who, document).await?;
    if document.direction != direction || document.organization_id != clerk.organization_id {
        return Err(WorkflowError::WrongState(document.state).into());
    }
    Ok((clerk, document))
}

/// Decides a waiting task: approve, return, forward, assign or complete; answers the task as it
/// now is, with its people by name.
pub async fn decide(
    state: &AppState,
    who: Principal,
    task: Uuid,
    decision: Decision,
) -> Result<NamedTask, WorkflowServiceError> {
    let decided = decide_task(state, who, task, decision).await?;
    let mut named = people::name_tasks(state, vec![decided]).await?;
    named.pop().ok_or_else(|| FlowError::TaskNotFound.into())
}

/// [`decide`], answering the bare task: for callers that name many at once.
pub(crate) async fn decide_task(
    state: &AppState,
    who: Principal,
    task: Uuid,
    decision: Decision,
) -> Result<Task, WorkflowServiceError> {
    let document = flow::task_document(state, who, task).await?;
    let what = match &decision {
        Decision::Approve { .. } => "approve",
        Decision::Return { .. } => "return",
        Decision::Forward { .. } => "forward",
        Decision::Assign(_) => "assign",
        Decision::Complete { .. } => "complete",
    };
    let comment = match &decision {
        Decision::Approve { comment } | Decision::Forward { comment, .. } => comment.clone(),
        Decision::Return { comment } => Some(comment.clone()),
        Decision::Assign(directive) => Some(directive.text.clone()),
        Decision::Complete { report } => report.clone(),
    };
    let tasks = load_tasks(state, document.id).await?;
    let flow = flow_of(&document, &tasks);
    let now = state.clock.now();
    let targets = decision_targets(&tasks, task, &decision);
    let transition = workflow::decide(&flow, task, who.user_id, decision, now, &mut Uuid::now_v7)?;
    flow::check_targets(state, &document, &targets).await?;
    let entry = entry(who, AuditAction::TaskDecided, &document)
        .subject(task)
        .detail("decision", what)
        .detail("comment", comment.clone());
    flow::commit(state, &document, &transition, Some((task, comment)), entry).await?;
    tracing::info!(document_id = %document.id, task_id = %task, "task decided");
    let tasks = load_tasks(state, document.id).await?;
    tasks
        .into_iter()
        .find(|t| t.id == task)
        .ok_or_else(|| FlowError::TaskNotFound.into())
}

/// The people a decision hands the document to: a forward's stand-in (a leader, for a
/// signature), a directive's handlers.
fn decision_targets(tasks: &[Task], task: Uuid, decision: &Decision) -> Vec<Target> {
    match decision {
        Decision::Forward { to, .. } => {
            let signs = tasks
                .iter()
                .any(|t| t.id == task && t.action == TaskAction::Sign);
            vec![Target::new("user_id", *to, signs)]
        }
        Decision::Assign(directive) => directive
            .assignments
            .iter()
            .enumerate()
            .map(|(i, a)| Target::new(format!("assignments[{i}].user_id"), a.user, false))
            .collect(),
        Decision::Approve { .. } | Decision::Return { .. } | Decision::Complete { .. } => {
            Vec::new()
        }
    }
}

pub struct InboxPage {
    pub items: Vec<Waiting>,
    pub next: Option<Cursor>,
}

/// The caller's waiting tasks: flash first, then very urgent, urgent, normal; within each, the
/// nearest deadline first.
pub async fn inbox(
    state: &AppState,
    who: Principal,
    cursor: Option<Cursor>,
    size: PageSize,
) -> Result<InboxPage, WorkflowServiceError> {
    let after = cursor.map(|c| parse_key(&c.sort_key())).transpose()?;
    let rows = store::tasks::inbox(&state.reads, who.user_id, after, size.get())
        .await
        .context("loading the inbox")?;
    let full = u64::try_from(rows.len()).unwrap_or(u64::MAX) >= size.get();
    let next = rows.last().filter(|_| full).map(|Waiting { key, .. }| {
        Cursor::after(&format!(
            "{}|{}|{}",
            key.urgency_rank,
            key.sort_deadline.to_rfc3339(),
            key.id
        ))
    });
    Ok(InboxPage { items: rows, next })
}

fn parse_key(raw: &str) -> Result<InboxKey, InvalidInput> {
    let bad = || InvalidInput::new("cursor", "is not a cursor from this API");
    let mut parts = raw.splitn(3, '|');
    let (Some(rank), Some(due), Some(id)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(bad());
    };
    Ok(InboxKey {
        urgency_rank: rank.parse().map_err(|_| bad())?,
        sort_deadline: DateTime::parse_from_rfc3339(due)
            .map_err(|_| bad())?
            .to_utc(),
        id: Uuid::try_parse(id).map_err(|_| bad())?,
    })
}

fn entry(who: Principal, action: AuditAction, document: &Document) -> NewEntry {
    NewEntry::new(who, action, document.organization_id).document(document.id)
}

async fn reload(state: &AppState, id: Uuid) -> Result<Document, WorkflowServiceError> {
    Ok(store::documents::find(&state.db, id)
        .await
        .context("reloading the document")?
        .context("the document vanished")?)
}
