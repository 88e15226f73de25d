//! Sending an issued document to its recipients: every unsent recipient is marked sent in one
//! transaction, and a recipient on this server receives its copy in that same transaction (the
//! same stored files, so the same bytes and signatures; status 01; a task for each of its
//! clerks). Sending again sends only what was not sent, so a retry after a lost answer, or a
//! second clerk at the same moment, delivers nothing twice.

use anyhow::Context;
use sea_orm::TransactionTrait;
use uuid::Uuid;

use super::{
    axis::sender::stage,
    package,
    receive::{self, ArrivingFile, Sent},
};
use crate::{
    domain::{
        audit::{AuditAction, NewEntry},
        document::{Direction, Document, DocumentFile},
        exchange::{
            self, DeliveryEvent, DeliveryStatus, Recipient, Route, edxml, transport::MessageKind,
        },
        workflow::{DocumentState, WorkflowError},
    },
    services::{
        Principal, audit,
        documents::visible,
        flow::{self, Written},
        workflow::{WorkflowServiceError, clerks_document},
    },
    state::AppState,
    store::{
        self,
        exchange_outbox::{self, NewMessage},
    },
};

/// A clerk of the issuing organisation sends an issued document to every recipient not yet
/// sent to; [`deliveries`] shows where each now stands.
pub async fn send(
    state: &AppState,
    who: Principal,
    document: Uuid,
) -> Result<(), WorkflowServiceError> {
    let (_, document) = clerks_document(state, who, document, Direction::Outgoing).await?;
    if document.state != DocumentState::Issued {
        return Err(WorkflowError::WrongState(document.state).into());
    }
    let unsent: Vec<Recipient> = store::deliveries::of_document(&state.db, document.id)
        .await
        .context("loading the recipients")?
        .into_iter()
        // An agency elsewhere is reached only through the axis; without one it waits.
        .filter(|r| r.sent_at.is_none() && (r.organization_id.is_some() || state.axis.is_some()))
        .collect();
    if !unsent.is_empty() {
        deliver(state, who, &document, &unsent).await?;
    }
    Ok(())
}

async fn deliver(
    state: &AppState,
    who: Principal,
    document: &Document,
    unsent: &[Recipient],
) -> Result<(), WorkflowServiceError> {
    let now = state.clock.now();
    let mut sent = as_sent(state, document).await?;
    sent.files = latest(
        store::documents::files(&state.db, document.id)
            .await
            .context("loading the files")?,
    )
    .into_iter()
    .map(|f| ArrivingFile {
        name: f.name,
        size: f.size,
        sha256: f.sha256,
    })
    .collect();
    let mut copies = Vec::new();
    for r in unsent {
        if let Some(organization) = r.organization_id {
            copies.push((r.id, receive::prepare(state, organization).await?));
        }
    }
    // Agencies elsewhere get the edXML message through the exchange outbox, one row each.
    let outgoing = match &state.axis {
        Some(link) if unsent.iter().any(|r| r.agency_code.is_some()) => {
            let edoc = package::message(state, document).await?;
            let xml = edxml::write(&edxml::Message::Edoc(Box::new(edoc)));
            let stored = stage(state.files.as_ref(), xml.as_bytes())
                .await
                .context("storing the message for the axis")?;
            Some((link, stored.hash))
        }
        _ => None,
    };
    let txn = state.db.begin().await.context("starting a transaction")?;
    let mut queued = Written::default();
    let mut messages = 0;
    for r in unsent {
        if let (Some(code), Some((link, hash))) = (&r.agency_code, &outgoing) {
            let message = NewMessage {
                kind: MessageKind::Edoc,
                from: link.code.as_str().to_owned(),
                to: vec![code.clone()],
                message: hash.clone(),
                document_id: Some(document.id),
                recipient_id: Some(r.id),
                at: now,
            };
            exchange_outbox::insert(&txn, message)
                .await
                .context("queueing the message for the axis")?;
            messages += 1;
        }
        let copy = copies.iter().find(|(to, _)| *to == r.id).map(|(_, c)| c);
        if let Some(copy) = copy {
            queued +=
                receive::write(state, &txn, copy, &sent, Route::Local, None, who.into()).await?;
        }
        let arrived = copy.map(|_| DeliveryStatus::Arrived);
        let marked = store::deliveries::mark_sent(&txn, r.id, copy.map(|c| c.id), arrived, now)
            .await
            .context("marking a recipient sent")?;
        if !marked {
            // Another clerk's send got there first and delivers all of it; ours rolls back.
            return Ok(());
        }
    }
    let names: Vec<&str> = unsent.iter().map(|r| r.name.as_str()).collect();
    let entry = NewEntry::new(who, AuditAction::DocumentSent, document.organization_id)
        .document(document.id)
        .detail("recipients", names);
    audit::record(state, &txn, entry).await?;
    txn.commit().await.context("committing the send")?;
    flow::committed(state, queued).await;
    if let Some((link, _)) = &outgoing {
        link.queued(messages);
    }
    tracing::info!(document_id = %document.id, recipients = unsent.len(), "sent");
    let ids: Vec<Uuid> = copies.iter().map(|(_, c)| c.id).collect();
    receive::check_signatures(state, &ids).await;
    Ok(())
}

/// The issued document as its recipients receive it.
async fn as_sent(state: &AppState, document: &Document) -> Result<Sent, WorkflowServiceError> {
    let sender = store::organizations::find(&state.db, document.organization_id)
        .await
        .context("loading the sending organisation")?
        .context("the document's organisation no longer exists")?;
    let particulars = store::document_details::find(&state.db, document.id)
        .await
        .context("loading the particulars")?;
    let (Some(number), Some(symbol), Some(issued_on)) =
        (document.number, document.symbol.clone(), document.issued_on)
    else {
        return Err(WorkflowError::WrongState(document.state).into());
    };
    Ok(Sent {
        doc_type: document.doc_type.clone(),
        summary: document.summary.clone(),
        issuer: sender.name,
        urgency: document.urgency,
        // The answer the sender expects by (hạn trả lời) is the recipient's deadline too.
        deadline: document.deadline,
        number,
        sender_document_id: exchange::document_id(&sender.code, issued_on, &symbol),
        symbol,
        issued_on,
        particulars,
        sender_code: sender.code,
        files: Vec::new(),
    })
}

/// The newest version of each file: what was issued.
fn latest(files: Vec<DocumentFile>) -> Vec<DocumentFile> {
    let mut out: Vec<DocumentFile> = Vec::new();
    for f in files {
        match out.iter_mut().find(|o| o.slot == f.slot) {
            Some(o) if o.version < f.version => *o = f,
            Some(_) => {}
            None => out.push(f),
        }
    }
    out.sort_by_key(|f| f.slot);
    out
}

/// The recipients of a document the caller may see, and every report that counted for them.
pub async fn deliveries(
    state: &AppState,
    who: Principal,
    document: Uuid,
) -> Result<(Vec<Recipient>, Vec<DeliveryEvent>), WorkflowServiceError> {
    let document = visible(state, who, document).await?;
    let recipients = store::deliveries::of_document(&state.db, document.id)
        .await
        .context("loading the recipients")?;
    let history = store::deliveries::history(&state.db, document.id)
        .await
        .context("loading the deliveries' history")?;
    Ok((recipients, history))
}
