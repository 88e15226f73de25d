//! What a recipient on this server tells the sender as the document it received moves on:
//! registered (03), refused with a reason (02), assigned (04), handled (05), completed (06).
//! Prepared before the transaction that moves the document (the sender's devices are read from
//! Redis there), written inside it, so the report and the change it reports land together.

use anyhow::Context;
use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use crate::{
    domain::{
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
    services::{exchange::axis::sender::stage, flow::FlowError},
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
    let now = state.clock.now();
    let message = edxml::Message::Status(Box::new(edxml::StatusReport {
        from: Organ {
            id: organization.code,
            name: organization.name,
            ..Organ::default()
        },
        organ_id: arrival.sender_code.clone(),
        code: document.symbol.unwrap_or_default(),
        promulgation_date: document.issued_on,
        document_id: arrival.sender_document_id,
        staff: Staff::default(),
        status,
        description: reason,
        at: local_time(now),
    }));
    let stored = stage(state.files.as_ref(), edxml::write(&message).as_bytes())
        .await
        .context("storing the status message")?;
    Ok(Some(Report::Axis(NewMessage {
        kind: MessageKind::Status,
        from: link.code.as_str().to_owned(),
        to: vec![arrival.sender_code],
        message: stored.hash,
        document_id: Some(incoming),
        recipient_id: None,
        at: now,
    })))
}

/// The report `status` makes about `recipient`'s delivery, if it moves it forward.
pub(crate) async fn prepare_for(
    state: &AppState,
    recipient: Recipient,
    status: DeliveryStatus,
    reason: Option<String>,
) -> Result<Option<Report>, FlowError> {
    if !DeliveryStatus::advances(recipient.status, status) {
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
