//! What a recipient on this server tells the sender as the document it received moves on:
//! registered (03), refused with a reason (02), assigned (04), handled (05), completed (06),
//! and its answer when the sender asks it back (15, 16).
//! Prepared before the transaction that moves the document (the sender's devices are read from
//! Redis there), written inside it, so the report and the change it reports land together.

use anyhow::Context;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use crate::{
    domain::{
        Organization,
        document::Document,
        exchange::{
            DeliveryStatus, Recipient, Route,
            edxml::{self, Organ, Staff},
            transport::MessageKind,
        },
        numbering::local_time,
        workflow::{Notification, NotificationKind, TaskStatus},
    },
    push::{self, outbox::Planned},
    services::{
        exchange::axis::{Link, sender::stage},
        flow::FlowError,
    },
    state::AppState,
    store::{
        self,
        exchange_outbox::{self, NewMessage},
    },
};

pub(crate) enum Report {
    /// To a sender on this server: its delivery row moves.
    Local(LocalReport),
    /// To a sender elsewhere: a status message through the exchange outbox.
    Axis(NewMessage),
}

pub(crate) struct LocalReport {
    recipient: Uuid,
    status: DeliveryStatus,
    reason: Option<String>,
    /// The document as sent, and the devices of its author and signer when they are told.
    sender: Document,
    pushes: Vec<Planned>,
}

/// The report `status` makes about `incoming`, if another organisation sent it: on this
/// server, when it moves its delivery forward; elsewhere, when there is an axis to carry it.
pub(crate) async fn prepare(
    state: &AppState,
    incoming: Uuid,
    status: DeliveryStatus,
    reason: Option<String>,
) -> Result<Option<Report>, FlowError> {
    if let Some(recipient) = store::deliveries::of_incoming(&state.db, incoming)
        .await
        .context("loading the delivery")?
    {
        return prepare_for(state, recipient, status, reason).await;
    }
    let Some(link) = &state.axis else {
        return Ok(None);
    };
    let Some(arrival) = store::arrivals::of_document(&state.db, incoming)
        .await
        .context("loading where it came from")?
        .filter(|a| a.route != Route::Local)
    else {
        return Ok(None);
    };
    let document = store::documents::find(&state.db, incoming)
        .await
        .context("loading the document")?
        .context("the document vanished")?;
    let organization = store::organizations::find(&state.db, document.organization_id)
        .await
        .context("loading the receiving organisation")?
        .context("the document's organisation is missing")?;
    let about = About {
        issuer_code: arrival.sender_code.clone(),
        symbol: document.symbol.unwrap_or_default(),
        issued_on: document.issued_on,
        document_id: arrival.sender_document_id,
    };
    let to = Addressed {
        code: arrival.sender_code.clone(),
        document: incoming,
        recipient: None,
    };
    let message = status_message(state, link, organization, &about, to, status, reason).await?;
    Ok(Some(Report::Axis(message)))
}

/// The document a status message is about, as its issuer names it.
pub(crate) struct About {
    pub issuer_code: String,
    pub symbol: String,
    pub issued_on: Option<NaiveDate>,
    /// QCVN 102 `DocumentId`.
    pub document_id: String,
}

/// Where a status message goes: an agency elsewhere, and the document (and delivery) of ours
/// it concerns.
pub(crate) struct Addressed {
    pub code: String,
    pub document: Uuid,
    pub recipient: Option<Uuid>,
}

/// A status message from `from` about a document, written and stored, for the exchange outbox.
pub(crate) async fn status_message(
    state: &AppState,
    link: &Link,
    from: Organization,
    about: &About,
    to: Addressed,
    status: DeliveryStatus,
    description: Option<String>,
) -> Result<NewMessage, FlowError> {
    let now = state.clock.now();
    let message = edxml::Message::Status(Box::new(edxml::StatusReport {
        from: Organ {
            id: from.code,
            name: from.name,
            ..Organ::default()
        },
        organ_id: about.issuer_code.clone(),
        code: about.symbol.clone(),
        promulgation_date: about.issued_on,
        document_id: about.document_id.clone(),
        staff: Staff::default(),
        status,
        description,
        at: local_time(now),
    }));
    let stored = stage(state.files.as_ref(), edxml::write(&message).as_bytes())
        .await
        .context("storing the status message")?;
    Ok(NewMessage {
        kind: MessageKind::Status,
        from: link.code.as_str().to_owned(),
        to: vec![to.code],
        message: stored.hash,
        document_id: Some(to.document),
        recipient_id: to.recipient,
        at: now,
    })
}

/// The report `status` makes about `recipient`'s delivery, if it moves it forward.
pub(crate) async fn prepare_for(
    state: &AppState,
    recipient: Recipient,
    status: DeliveryStatus,
    reason: Option<String>,
) -> Result<Option<Report>, FlowError> {
    if !DeliveryStatus::counts(recipient.status, recipient.recall, status) {
        return Ok(None);
    }
    let sender = store::documents::find(&state.db, recipient.document_id)
        .await
        .context("loading the document as sent")?
        .context("a delivery's document is missing")?;
    let pushes = if status.notifies_sender() {
        let notify = told(state, &sender, status).await?;
        push::outbox::plan(&state.sessions, &notify)
            .await
            .context("reading the sender's devices")?
    } else {
        Vec::new()
    };
    Ok(Some(Report::Local(LocalReport {
        recipient: recipient.id,
        status,
        reason,
        sender,
        pushes,
    })))
}

/// The author and the signer of the document as sent; the phone opens the signature that
/// issued it.
async fn told(
    state: &AppState,
    sender: &Document,
    status: DeliveryStatus,
) -> Result<Vec<Notification>, FlowError> {
    let kind = match status {
        DeliveryStatus::Refused => NotificationKind::DeliveryRefused,
        DeliveryStatus::RecallAgreed | DeliveryStatus::RecallRefused => {
            NotificationKind::RecallAnswered
        }
        _ => NotificationKind::DeliveryCompleted,
    };
    let tasks = store::tasks::for_document(&state.db, sender.id)
        .await
        .context("loading the sender's tasks")?;
    let Some(signed) = tasks
        .iter()
        .filter(|t| t.status == TaskStatus::Signed)
        .max_by_key(|t| t.round)
    else {
        return Ok(Vec::new());
    };
    let mut people = vec![sender.author_id, signed.assignee];
    people.dedup();
    Ok(people
        .into_iter()
        .map(|user| Notification {
            user,
            kind,
            task: signed.id,
        })
        .collect())
}

/// Writes `report` in the caller's transaction; answers how many pushes it queued. A status
/// message is taken by the exchange sender's next poll.
pub(crate) async fn write(
    txn: &impl ConnectionTrait,
    report: &Report,
    now: DateTime<Utc>,
) -> Result<usize, FlowError> {
    let report = match report {
        Report::Local(local) => local,
        Report::Axis(message) => {
            exchange_outbox::insert(txn, message.clone())
                .await
                .context("queueing the status message")?;
            return Ok(0);
        }
    };
    let moved = store::deliveries::report(
        txn,
        report.recipient,
        report.status,
        report.reason.clone(),
        now,
    )
    .await
    .context("recording the delivery's status")?;
    if moved.is_none() {
        return Ok(0);
    }
    Ok(
        push::outbox::enqueue(txn, &report.sender, &report.pushes, now)
            .await
            .context("queueing the sender's pushes")?,
    )
}
