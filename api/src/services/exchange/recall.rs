//! Asking for a document back (lấy lại, QCVN 102 `13`): the sender's clerk asks the recipients
//! that have not taken it in yet, with a reason; each recipient's clerk gives it back (`15`: the
//! incoming document is withdrawn, never registered) or keeps it (`16`, with a reason), and the
//! answer comes back as any status does. A recipient on this server is asked in the sender's
//! transaction; one elsewhere by a status message through the exchange outbox.

use anyhow::Context;
use sea_orm::{DatabaseTransaction, TransactionTrait};
use uuid::Uuid;

use super::report::{self, About, Addressed};
use crate::{
    domain::{
        InvalidInput,
        audit::{Actor, AuditAction, NewEntry},
        document::{Direction, Document},
        exchange::{self, DeliveryStatus, Recipient},
        workflow::{self, DocumentState, Task, Transition, WorkflowError},
    },
    services::{
        Principal, audit,
        flow::{self, FlowError, Prepared, Written, flow_of, load_tasks},
        workflow::{WorkflowServiceError, clerks_document},
    },
    state::AppState,
    store::{self, exchange_outbox::NewMessage},
};

/// A clerk's answer to a sender asking for a document back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// Đồng ý lấy lại (15): the document is withdrawn here.
    GiveBack,
    /// Từ chối lấy lại (16): it stays, waiting to be taken in.
    Keep,
}

/// What keeping a document asked back tells its sender when the clerk had already taken it in.
const ALREADY_REGISTERED: &str = "Văn bản đã được vào sổ văn bản đến";

/// The sender's clerk asks for an issued document back, from the recipients `only` names (ids
/// of its recipients) or else from every recipient that has not taken it in yet.
pub async fn request(
    state: &AppState,
    who: Principal,
    document: Uuid,
    reason: &str,
    only: Option<&[Uuid]>,
) -> Result<(), WorkflowServiceError> {
    let (_, document) = clerks_document(state, who, document, Direction::Outgoing).await?;
    if document.state != DocumentState::Issued {
        return Err(WorkflowError::WrongState(document.state).into());
    }
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(WorkflowError::ReasonRequired.into());
    }
    let recipients = store::deliveries::of_document(&state.db, document.id)
        .await
        .context("loading the recipients")?;
    // A recipient elsewhere is asked over the axis; without one it cannot be.
    let askable = |r: &&Recipient| {
        r.sent_at.is_some()
            && (r.incoming_document_id.is_some() || state.axis.is_some())
            && DeliveryStatus::counts(r.status, r.recall, DeliveryStatus::RecallRequested)
    };
    let asked: Vec<&Recipient> = match only {
        None => recipients.iter().filter(askable).collect(),
        Some(ids) => {
            let mut asked: Vec<&Recipient> = Vec::with_capacity(ids.len());
            for id in ids {
                let r = recipients.iter().find(|r| r.id == *id).ok_or_else(|| {
                    InvalidInput::new(
                        "recipient_ids",
                        format!("`{id}` is not a recipient of this document"),
                    )
                })?;
                if !askable(&r) {
                    return Err(WorkflowError::TooLateToRecall.into());
                }
                if !asked.iter().any(|a| a.id == r.id) {
                    asked.push(r);
                }
            }
            asked
        }
    };
    if asked.is_empty() {
        return Err(WorkflowError::TooLateToRecall.into());
    }
    let mut here = Vec::new();
    let mut elsewhere = Vec::new();
    for r in &asked {
        if let Some(incoming) = r.incoming_document_id {
            let ask = match askable_copy(state, incoming).await? {
                Some(copy) => prepare_ask(state, copy).await?,
                None => None,
            };
            here.push(ask.ok_or(WorkflowError::TooLateToRecall)?);
        } else {
            elsewhere.push(*r);
        }
    }
    let elsewhere = messages_to(state, &document, &elsewhere, reason).await?;
    let now = state.clock.now();
    let txn = state.db.begin().await.context("starting a transaction")?;
    let mut queued = Written::default();
    for r in &asked {
        let moved = store::deliveries::report(
            &txn,
            r.id,
            DeliveryStatus::RecallRequested,
            Some(reason.to_owned()),
            now,
        )
        .await
        .context("recording the recall")?;
        if moved.is_none() {
            // Taken in (or asked back by another clerk) since it was read: nothing is asked.
            return Err(WorkflowError::TooLateToRecall.into());
        }
    }
    for ask in &here {
        queued += match write_ask(state, &txn, ask, reason).await {
            Err(FlowError::Rule(WorkflowError::AlreadyDecided)) => {
                return Err(WorkflowError::TooLateToRecall.into());
            }
            other => other?,
        };
    }
    for message in &elsewhere {
        store::exchange_outbox::insert(&txn, message.clone())
            .await
            .context("queueing the recall for the axis")?;
    }
    let names: Vec<&str> = asked.iter().map(|r| r.name.as_str()).collect();
    let entry = NewEntry::new(who, AuditAction::RecallRequested, document.organization_id)
        .document(document.id)
        .detail("recipients", names)
        .detail("reason", reason);
    audit::record(state, &txn, entry).await?;
    txn.commit().await.context("committing the recall")?;
    flow::committed(state, queued).await;
    if let (Some(link), false) = (&state.axis, elsewhere.is_empty()) {
        link.queued(elsewhere.len());
    }
    tracing::info!(document_id = %document.id, recipients = asked.len(), "recall requested");
    Ok(())
}

/// The status message `13` that asks `recipients`, agencies elsewhere, for `document` back:
/// written and stored once (a status names no addressee), queued once for each.
async fn messages_to(
    state: &AppState,
    document: &Document,
    recipients: &[&Recipient],
    reason: &str,
) -> Result<Vec<NewMessage>, WorkflowServiceError> {
    let Some(first) = recipients.first() else {
        return Ok(Vec::new());
    };
    let Some(link) = &state.axis else {
        return Err(WorkflowError::TooLateToRecall.into());
    };
    let sender = store::organizations::find(&state.db, document.organization_id)
        .await
        .context("loading the sending organisation")?
        .context("the document's organisation no longer exists")?;
    let (Some(symbol), Some(issued_on)) = (document.symbol.clone(), document.issued_on) else {
        return Err(WorkflowError::WrongState(document.state).into());
    };
    let about = About {
        document_id: exchange::document_id(&sender.code, issued_on, &symbol),
        issuer_code: sender.code.clone(),
        symbol,
        issued_on: Some(issued_on),
    };
    let to = |r: &Recipient| r.agency_code.clone().ok_or(WorkflowError::TooLateToRecall);
    let addressed = Addressed {
        code: to(first)?,
        document: document.id,
        recipient: Some(first.id),
    };
    let message = report::status_message(
        state,
        link,
        sender,
        &about,
        addressed,
        DeliveryStatus::RecallRequested,
        Some(reason.to_owned()),
    )
    .await?;
    recipients
        .iter()
        .map(|r| {
            Ok(NewMessage {
                to: vec![to(r)?],
                recipient_id: Some(r.id),
                ..message.clone()
            })
        })
        .collect()
}

/// A document that arrived here, about to be asked back: its clerks are told.
struct Ask {
    document: Document,
    recall: Option<DeliveryStatus>,
    transition: Transition,
    prepared: Prepared,
}

/// A copy here that its sender may ask back: never asked, or kept when asked before.
struct Arrived {
    document: Document,
    recall: Option<DeliveryStatus>,
    tasks: Vec<Task>,
}

async fn askable_copy(state: &AppState, incoming: Uuid) -> Result<Option<Arrived>, FlowError> {
    let Some(arrival) = store::arrivals::of_document(&state.db, incoming)
        .await
        .context("loading where it came from")?
    else {
        return Ok(None);
    };
    if !matches!(arrival.recall, None | Some(DeliveryStatus::RecallRefused)) {
        return Ok(None);
    }
    let document = store::documents::find(&state.db, incoming)
        .await
        .context("loading the incoming document")?
        .context("a delivered copy is missing")?;
    let tasks = load_tasks(state, incoming).await?;
    Ok(Some(Arrived {
        document,
        recall: arrival.recall,
        tasks,
    }))
}

/// What asking for `copy` back changes here; `None` when it is no longer waiting to be taken
/// in (registered, refused).
async fn prepare_ask(state: &AppState, copy: Arrived) -> Result<Option<Ask>, FlowError> {
    let Ok(transition) = workflow::ask_back(&flow_of(&copy.document, &copy.tasks)) else {
        return Ok(None);
    };
    let prepared = flow::prepare(state, copy.document.id, &transition).await?;
    Ok(Some(Ask {
        document: copy.document,
        recall: copy.recall,
        transition,
        prepared,
    }))
}

/// Writes `ask` in `txn`: the request on the arrival, the clerks' pushes, the audit entry of the
/// receiving organisation. `AlreadyDecided` when the document moved since it was read.
async fn write_ask(
    state: &AppState,
    txn: &DatabaseTransaction,
    ask: &Ask,
    reason: &str,
) -> Result<Written, FlowError> {
    let asked = store::arrivals::set_recall(
        txn,
        ask.document.id,
        ask.recall,
        DeliveryStatus::RecallRequested,
        Some(reason.to_owned()),
    )
    .await
    .context("recording the request")?;
    if !asked {
        return Err(WorkflowError::AlreadyDecided.into());
    }
    let entry = NewEntry::new(
        Actor::default(),
        AuditAction::RecallRequested,
        ask.document.organization_id,
    )
    .document(ask.document.id)
    .detail("reason", reason);
    flow::apply(
        state,
        txn,
        &ask.document,
        &ask.transition,
        None,
        entry,
        &ask.prepared,
    )
    .await
}

/// A sender elsewhere asks for every copy here of the document it names back, by a status
/// message `13`; a copy already taken in is kept, and the sender told so (16). Answers whether
/// anything changed, or `None` when nothing here came from it.
pub(crate) async fn asked_over_axis(
    state: &AppState,
    sender_code: &str,
    sender_document_id: &str,
    reason: Option<String>,
) -> Result<Option<bool>, WorkflowServiceError> {
    let copies = store::arrivals::all_of(&state.db, sender_code, sender_document_id)
        .await
        .context("looking up the copies asked back")?;
    if copies.is_empty() {
        return Ok(None);
    }
    let reason = reason
        .map(|r| r.trim().to_owned())
        .filter(|r| !r.is_empty())
        .unwrap_or_else(|| "Yêu cầu lấy lại văn bản".to_owned());
    let mut moved = false;
    for incoming in copies {
        let Some(copy) = askable_copy(state, incoming).await? else {
            continue;
        };
        let waiting = copy.document.state == DocumentState::Draft;
        let changed = match waiting {
            true => ask_here(state, copy, &reason).await?,
            false => keep_registered(state, copy).await?,
        };
        moved |= changed;
    }
    Ok(Some(moved))
}

/// Asks for `copy` back in a transaction of its own; whether it did.
async fn ask_here(state: &AppState, copy: Arrived, reason: &str) -> Result<bool, FlowError> {
    let Some(ask) = prepare_ask(state, copy).await? else {
        return Ok(false);
    };
    let txn = state.db.begin().await.context("starting a transaction")?;
    let queued = match write_ask(state, &txn, &ask, reason).await {
        // Taken in at this very moment: the next delivery of the request answers it.
        Err(FlowError::Rule(WorkflowError::AlreadyDecided)) => return Ok(false),
        other => other?,
    };
    txn.commit().await.context("committing the request")?;
    flow::committed(state, queued).await;
    Ok(true)
}

/// A copy asked back after its clerk took it in is kept: the sender is told 16 once.
async fn keep_registered(state: &AppState, copy: Arrived) -> Result<bool, FlowError> {
    let Ok(transition) = workflow::keep(&flow_of(&copy.document, &copy.tasks), ALREADY_REGISTERED)
    else {
        // Refused or given back: its sender already knows.
        return Ok(false);
    };
    let document = &copy.document;
    let entry = NewEntry::new(
        Actor::default(),
        AuditAction::RecallAnswered,
        document.organization_id,
    )
    .document(document.id)
    .detail("answer", DeliveryStatus::RecallRefused.code());
    let prepared = flow::prepare(state, document.id, &transition).await?;
    let txn = state.db.begin().await.context("starting a transaction")?;
    // Marked asked and answered at once: the sender's 13 is what it answers.
    let answered = store::arrivals::set_recall(
        &txn,
        document.id,
        copy.recall,
        DeliveryStatus::RecallRefused,
        None,
    )
    .await
    .context("recording the answer")?;
    if !answered {
        return Ok(false);
    }
    let queued = flow::apply(state, &txn, document, &transition, None, entry, &prepared).await?;
    txn.commit().await.context("committing the answer")?;
    flow::committed(state, queued).await;
    Ok(true)
}

/// A clerk of the organisation that received `document` answers its sender's request for it
/// back: gives it back (withdrawn here) or keeps it, with a `note` (a reason, to keep it).
pub async fn answer(
    state: &AppState,
    who: Principal,
    document: Uuid,
    answer: Answer,
    note: Option<String>,
) -> Result<Document, WorkflowServiceError> {
    let (_, document) = clerks_document(state, who, document, Direction::Incoming).await?;
    store::arrivals::of_document(&state.db, document.id)
        .await
        .context("loading where the document came from")?
        .filter(|a| a.recall == Some(DeliveryStatus::RecallRequested))
        .ok_or(WorkflowError::NoRecallAsked)?;
    let note = note.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
    let tasks = load_tasks(state, document.id).await?;
    let flow = flow_of(&document, &tasks);
    let (transition, to) = match answer {
        Answer::GiveBack => (
            workflow::give_back(&flow, note.clone())?,
            DeliveryStatus::RecallAgreed,
        ),
        Answer::Keep => (
            workflow::keep(&flow, note.as_deref().unwrap_or_default())?,
            DeliveryStatus::RecallRefused,
        ),
    };
    // Giving back closes the clerk's own task to take it in with what they wrote: the history's
    // entry.
    let own = tasks
        .iter()
        .find(|t| t.assignee == who.user_id && transition.updates.iter().any(|u| u.task == t.id))
        .map(|t| (t.id, note.clone()));
    let entry = NewEntry::new(who, AuditAction::RecallAnswered, document.organization_id)
        .document(document.id)
        .detail("answer", to.code())
        .detail("note", note.as_deref());
    let prepared = flow::prepare(state, document.id, &transition).await?;
    let txn = state.db.begin().await.context("starting a transaction")?;
    let answered = store::arrivals::set_recall(
        &txn,
        document.id,
        Some(DeliveryStatus::RecallRequested),
        to,
        None,
    )
    .await
    .context("recording the answer")?;
    if !answered {
        // Another clerk answered first.
        return Err(WorkflowError::AlreadyDecided.into());
    }
    let queued = flow::apply(state, &txn, &document, &transition, own, entry, &prepared).await?;
    txn.commit().await.context("committing the answer")?;
    flow::committed(state, queued).await;
    tracing::info!(document_id = %document.id, answer = to.code(), "recall answered");
    Ok(store::documents::find(&state.db, document.id)
        .await
        .context("reloading the document")?
        .context("the document vanished")?)
}
