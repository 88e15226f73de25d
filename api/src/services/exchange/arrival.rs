//! A message from another system, however it came (polled from the exchange axis, or imported
//! by a clerk): a document becomes an incoming document of each organisation on this server it
//! is addressed to, stored once however often it is delivered; a status message moves the
//! delivery it reports on. What cannot be taken (malformed, not for us, no PDF, a PDF that is
//! not safe to open) stores nothing but an audit entry.

use std::collections::HashSet;

use anyhow::Context;
use sea_orm::TransactionTrait;
use uuid::Uuid;

use super::{
    package, recall,
    receive::{self, ArrivingFile, Sent},
    report,
};
use crate::{
    domain::{
        InvalidInput, OrgCode, Role,
        audit::{Actor, AuditAction, NewEntry},
        document::Summary,
        exchange::{
            self, DeliveryStatus, Particulars, Route, Signer,
            edxml::{self, Edoc, EdxmlError, Message, StatusReport},
        },
    },
    files::{PdfError, check_pdf},
    services::{
        Principal, audit,
        flow::{self, Written},
        workflow::WorkflowServiceError,
    },
    state::AppState,
    store::{self, is_unique_violation},
};

/// How a message came.
pub enum Via {
    /// Polled from the exchange axis, which knows it by `doc_id` and vouches that the system
    /// of agency `from` handed it over.
    Axis { doc_id: String, from: String },
    /// Imported by a clerk, for their own organisation only.
    Import { clerk: Principal },
}

#[derive(Debug)]
pub enum Landed {
    /// New incoming documents, one for each organisation here it is addressed to.
    Documents(Vec<Uuid>),
    /// Received before: nothing stored again.
    Duplicate(Vec<Uuid>),
    /// A recipient's status; `moved` is false for a late or repeated one.
    Status { moved: bool },
}

#[derive(Debug, thiserror::Error)]
pub enum ArrivalError {
    #[error(transparent)]
    Malformed(#[from] EdxmlError),
    #[error(transparent)]
    Invalid(#[from] InvalidInput),
    #[error("the message is addressed to no organisation served here")]
    NotOurs,
    #[error("importing documents needs the clerk role")]
    NotAClerk,
    #[error("the message carries no PDF")]
    NoPdf,
    #[error("an attachment: {0}")]
    Pdf(#[from] PdfError),
    #[error("the status is about a document that was not sent to its reporter")]
    UnknownDelivery,
    #[error("the message says it is from `{claimed}`, but the axis had it from `{sender}`")]
    ForgedSender { claimed: String, sender: String },
    #[error(transparent)]
    Workflow(#[from] WorkflowServiceError),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl ArrivalError {
    /// Whether another try could take it: only our own failures. The axis is then told
    /// nothing, and the message is fetched again.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Self::Unexpected(_) | Self::Workflow(WorkflowServiceError::Unexpected(_))
        )
    }
}

/// Takes in the edXML `bytes`.
pub async fn land(state: &AppState, bytes: &[u8], via: Via) -> Result<Landed, ArrivalError> {
    let landed = match edxml::read(bytes) {
        Ok(message) => match vouched(state, &message, &via).await {
            Err(e) => Err(e),
            Ok(()) => match message {
                Message::Edoc(edoc) => document(state, *edoc, &via).await,
                Message::Status(status) => status_report(state, *status, &via).await,
            },
        },
        Err(e) => Err(e.into()),
    };
    if let Err(e) = &landed
        && !e.is_transient()
    {
        refused(state, &via, e).await;
    }
    landed
}

/// A message from the axis must come from the system of the agency it names as its sender, or
/// of an agency above it in the axis's directory (a provincial system speaks for its units):
/// otherwise any system on the network could send documents as another agency, or report
/// progress on what was sent to it. An imported file has no such witness; its clerk answers
/// for it.
async fn vouched(state: &AppState, message: &Message, via: &Via) -> Result<(), ArrivalError> {
    /// Deeper than any agency tree; bounds a directory that loops.
    const LEVELS: usize = 8;
    let Via::Axis { from: sender, .. } = via else {
        return Ok(());
    };
    let claimed = match message {
        Message::Edoc(edoc) => &edoc.from.id,
        Message::Status(status) => &status.from.id,
    };
    let mut code = claimed.trim().to_owned();
    for _ in 0..LEVELS {
        if code == sender.trim() {
            return Ok(());
        }
        match store::agencies::parent_of(&state.db, &code)
            .await
            .context("looking up the sender in the directory")?
        {
            Some(parent) => code = parent,
            None => break,
        }
    }
    Err(ArrivalError::ForgedSender {
        claimed: claimed.clone(),
        sender: sender.clone(),
    })
}

/// The audit entry of a message that was not taken, under the importing clerk's organisation
/// or, from the axis, the first organisation of this server.
async fn refused(state: &AppState, via: &Via, error: &ArrivalError) {
    let written = async {
        let (actor, organization) = match via {
            Via::Import { clerk } => {
                let user = store::users::find(&state.db, clerk.user_id)
                    .await?
                    .context("the importing clerk no longer exists")?;
                (Actor::from(*clerk), user.organization_id)
            }
            Via::Axis { .. } => {
                let first = store::organizations::first(&state.db)
                    .await?
                    .context("no organisation")?;
                (Actor::default(), first)
            }
        };
        let axis = match via {
            Via::Axis { doc_id, .. } => Some(doc_id.as_str()),
            Via::Import { .. } => None,
        };
        let entry = NewEntry::new(actor, AuditAction::MessageRefused, organization)
            .detail("reason", error.to_string())
            .detail("axis_doc_id", axis);
        audit::record_alone(state, entry).await?;
        anyhow::Ok(())
    };
    if let Err(e) = written.await {
        tracing::error!(error = format!("{e:#}"), "recording a refused message");
    }
    tracing::warn!(error = %error, "exchange message refused");
}

async fn document(state: &AppState, edoc: Edoc, via: &Via) -> Result<Landed, ArrivalError> {
    let sender = OrgCode::parse(&edoc.from.id, state.allow_test_codes)?;
    let mut organizations = Vec::new();
    let mut seen = HashSet::new();
    for to in &edoc.to {
        let Ok(code) = OrgCode::parse(&to.id, state.allow_test_codes) else {
            continue;
        };
        if let Some(org) = store::organizations::find_by_code(&state.db, &code)
            .await
            .context("looking up an addressee")?
            && seen.insert(org.id)
        {
            organizations.push(org.id);
        }
    }
    if let Via::Import { clerk } = via {
        let user = store::users::find(&state.db, clerk.user_id)
            .await
            .context("loading the clerk")?
            .context("the clerk's account no longer exists")?;
        organizations.retain(|o| *o == user.organization_id);
    }
    if organizations.is_empty() {
        return Err(ArrivalError::NotOurs);
    }
    let mut already = Vec::new();
    let mut fresh = Vec::new();
    for org in organizations {
        match store::arrivals::find(&state.db, org, sender.as_str(), &edoc.document_id)
            .await
            .context("looking for an earlier delivery")?
        {
            Some(id) => already.push(id),
            None => fresh.push(org),
        }
    }
    if fresh.is_empty() {
        return Ok(Landed::Duplicate(already));
    }
    let mut sent = as_sent(state, &edoc, &sender).await?;
    sent.files = store_files(state, &edoc).await?;
    let mut copies = Vec::with_capacity(fresh.len());
    for org in fresh {
        copies.push(receive::prepare(state, org).await?);
    }
    let (actor, route, axis_doc_id) = match via {
        Via::Axis { doc_id, .. } => (Actor::default(), Route::Axis, Some(doc_id.clone())),
        Via::Import { clerk } => (Actor::from(*clerk), Route::Import, None),
    };
    let txn = state.db.begin().await.context("starting a transaction")?;
    let mut queued = Written::default();
    for copy in &copies {
        queued +=
            receive::write(state, &txn, copy, &sent, route, axis_doc_id.clone(), actor).await?;
    }
    match txn.commit().await {
        Ok(()) => {}
        // The same message taken in at this moment by another instance: it has it.
        Err(e) if is_unique_violation(&e) => return Ok(Landed::Duplicate(already)),
        Err(e) => {
            return Err(anyhow::Error::new(e)
                .context("committing the arrival")
                .into());
        }
    }
    flow::committed(state, queued).await;
    let ids: Vec<Uuid> = copies.iter().map(|c| c.id).collect();
    tracing::info!(from = %sender.as_str(), document_id = %edoc.document_id, copies = ids.len(), "document arrived");
    receive::check_signatures(state, &ids).await;
    Ok(Landed::Documents(ids))
}

/// What the sender wrote, checked as a clerk's typing would be.
async fn as_sent(state: &AppState, edoc: &Edoc, sender: &OrgCode) -> Result<Sent, ArrivalError> {
    let number: i32 = edoc
        .code_number
        .trim()
        .parse()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| InvalidInput::new("CodeNumber", "must be a positive number"))?;
    let symbol = exchange::join_symbol(edoc.code_number.trim(), edoc.code_notation.trim());
    let doc_type = match &edoc.type_code {
        Some(code)
            if store::documents::doc_type_exists(&state.db, code)
                .await
                .context("looking up the document type")? =>
        {
            code.clone()
        }
        // A type this server does not know is still a letter to take in.
        _ => crate::domain::document::CONG_VAN.to_owned(),
    };
    let signer = match &edoc.signer {
        Some(s) => Some(Signer::parse(
            s.competence.as_deref(),
            s.position.as_deref().unwrap_or("-"),
            &s.full_name,
        )?),
        None => None,
    };
    Ok(Sent {
        doc_type,
        summary: Summary::parse(&edoc.subject)?.as_str().to_owned(),
        issuer: edoc
            .from
            .in_charge
            .clone()
            .unwrap_or_else(|| edoc.from.name.clone()),
        urgency: package::urgency(edoc.priority),
        deadline: edoc.due_date.map(crate::domain::numbering::start_of_day),
        number,
        symbol,
        issued_on: edoc.promulgation_date,
        particulars: Particulars {
            place_of_issue: edoc.place.clone(),
            signer,
            ..Particulars::default()
        },
        sender_code: sender.as_str().to_owned(),
        sender_document_id: edoc.document_id.clone(),
        files: Vec::new(),
    })
}

/// The message's PDFs in file storage, the first as the main document; each must open safely.
async fn store_files(state: &AppState, edoc: &Edoc) -> Result<Vec<ArrivingFile>, ArrivalError> {
    let mut files = Vec::new();
    for a in edoc.attachments.iter().filter(|a| a.is_pdf()) {
        let body: crate::files::FileReader = Box::pin(std::io::Cursor::new(a.bytes.clone()));
        let stored = state
            .files
            .put(body, state.max_upload_bytes)
            .await
            .context("storing an attachment")?;
        check_pdf(state.files.local_path(&stored.hash)).await?;
        files.push(ArrivingFile {
            name: a.name.clone(),
            size: stored.size,
            sha256: stored.hash.as_str().to_owned(),
        });
    }
    if files.is_empty() {
        return Err(ArrivalError::NoPdf);
    }
    Ok(files)
}

/// A recipient's report on a document sent from here: only from the agency it was sent to.
async fn status_report(
    state: &AppState,
    status: StatusReport,
    via: &Via,
) -> Result<Landed, ArrivalError> {
    if matches!(via, Via::Import { .. }) {
        // A clerk carries documents, not other agencies' word about ours.
        return Err(ArrivalError::UnknownDelivery);
    }
    if status.status == DeliveryStatus::RecallRequested {
        // The sender asks for what it sent us back: the copies here are named by its DocumentId.
        return match recall::asked_over_axis(
            state,
            status.from.id.trim(),
            &status.document_id,
            status.description,
        )
        .await?
        {
            Some(moved) => Ok(Landed::Status { moved }),
            None => Err(ArrivalError::UnknownDelivery),
        };
    }
    let (issuer, issued_on, symbol) = exchange::parse_document_id(&status.document_id)?;
    let issuer = OrgCode::parse(&issuer, state.allow_test_codes)?;
    let Some(org) = store::organizations::find_by_code(&state.db, &issuer)
        .await
        .context("looking up the issuer")?
    else {
        return Err(ArrivalError::UnknownDelivery);
    };
    let document = store::documents::find_issued(&state.db, org.id, &symbol, issued_on)
        .await
        .context("looking up the document")?
        .ok_or(ArrivalError::UnknownDelivery)?;
    let recipient = store::deliveries::of_document(&state.db, document.id)
        .await
        .context("loading the recipients")?
        .into_iter()
        .find(|r| r.agency_code.as_deref() == Some(status.from.id.as_str()))
        .ok_or(ArrivalError::UnknownDelivery)?;
    let Some(report) = report::prepare_for(state, recipient, status.status, status.description)
        .await
        .map_err(WorkflowServiceError::from)?
    else {
        return Ok(Landed::Status { moved: false });
    };
    let txn = state.db.begin().await.context("starting a transaction")?;
    let queued = report::write(&txn, &report, state.clock.now())
        .await
        .map_err(WorkflowServiceError::from)?;
    txn.commit().await.context("committing the status")?;
    state.push.queued(queued);
    Ok(Landed::Status { moved: true })
}

/// A clerk imports a message for their own organisation: answers the document it became, and
/// whether it had been taken in before.
pub async fn import(
    state: &AppState,
    clerk: Principal,
    bytes: &[u8],
) -> Result<(Uuid, bool), ArrivalError> {
    let user = store::users::find(&state.db, clerk.user_id)
        .await
        .context("loading the account")?
        .context("the caller's account no longer exists")?;
    if !user.has_role(Role::Clerk) {
        return Err(ArrivalError::NotAClerk);
    }
    let (ids, duplicate) = match land(state, bytes, Via::Import { clerk }).await? {
        Landed::Documents(ids) => (ids, false),
        Landed::Duplicate(ids) => (ids, true),
        Landed::Status { .. } => return Err(ArrivalError::UnknownDelivery),
    };
    // Only the clerk's own organisation is kept among the addressees: one document.
    let id = ids
        .first()
        .copied()
        .context("an arrival without a document")?;
    Ok((id, duplicate))
}
