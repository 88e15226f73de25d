//! An incoming document as another organisation sent it, however it came (from an organisation
//! on this server, over the exchange axis, or imported by hand): recorded under the receiving
//! organisation's exchange account with the sender's number, symbol, signer and files, where it
//! came from (so that a second delivery of it is recognised), and a task for each of the
//! organisation's clerks to take it in. Prepared before the transaction (the clerks' devices
//! are read from Redis), written inside the caller's.

use anyhow::Context;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::DatabaseTransaction;
use uuid::Uuid;

use crate::{
    domain::{
        audit::{Actor, AuditAction, NewEntry},
        document::{Direction, Urgency},
        exchange::{Particulars, Route},
        workflow::{self, DocumentFlow, DocumentState, Transition},
    },
    services::{
        flow::{self, FlowError, Prepared, Written},
        workflow::WorkflowServiceError,
    },
    state::AppState,
    store::{
        self,
        arrivals::NewArrival,
        documents::{NewDocument, NewFile},
        is_unique_violation,
    },
};

/// What the sender wrote on it.
pub(crate) struct Sent {
    pub doc_type: String,
    pub summary: String,
    /// The issuing organisation's name.
    pub issuer: String,
    pub urgency: Urgency,
    pub deadline: Option<DateTime<Utc>>,
    pub number: i32,
    pub symbol: String,
    pub issued_on: NaiveDate,
    /// Signer block and place of issue; the issuer's code and our arrival date are set here.
    pub particulars: Particulars,
    pub sender_code: String,
    /// QCVN 102 `DocumentId`.
    pub sender_document_id: String,
    /// Its PDFs, already in file storage, the main one first.
    pub files: Vec<ArrivingFile>,
}

/// A file of it, already in file storage.
pub(crate) struct ArrivingFile {
    pub name: String,
    pub size: u64,
    pub sha256: String,
}

/// A copy ready to be written for one receiving organisation.
pub(crate) struct Arriving {
    pub id: Uuid,
    organization: Uuid,
    account: Uuid,
    transition: Transition,
    prepared: Prepared,
}

/// Everything about a copy for `organization` that is read before the transaction.
pub(crate) async fn prepare(
    state: &AppState,
    organization: Uuid,
) -> Result<Arriving, WorkflowServiceError> {
    let now = state.clock.now();
    let account = exchange_account(state, organization, now).await?;
    let clerks = store::users::clerks_of(&state.db, organization)
        .await
        .context("loading the receiving clerks")?;
    let flow = DocumentFlow {
        author: account,
        state: DocumentState::Draft,
        tasks: &[],
    };
    let transition = workflow::arrive(&flow, &clerks, &mut Uuid::now_v7)?;
    let id = Uuid::now_v7();
    let prepared = flow::prepare(state, id, &transition).await?;
    Ok(Arriving {
        id,
        organization,
        account,
        transition,
        prepared,
    })
}

/// The account documents from elsewhere are recorded under, made in a transaction of its own
/// so that two first deliveries at once cannot fail each other.
async fn exchange_account(
    state: &AppState,
    organization: Uuid,
    now: DateTime<Utc>,
) -> Result<Uuid, FlowError> {
    let made = match store::users::exchange_account(&state.db, organization, now).await {
        Err(e) if is_unique_violation(&e) => {
            store::users::exchange_account(&state.db, organization, now).await
        }
        other => other,
    };
    Ok(made.context("making the exchange account")?)
}

/// Writes the copy in `txn`: the document, its files, where it came from, the clerks' tasks
/// and their pushes, the audit entry. Answers what is left to do after the commit.
pub(crate) async fn write(
    state: &AppState,
    txn: &DatabaseTransaction,
    copy: &Arriving,
    sent: &Sent,
    route: Route,
    axis_doc_id: Option<String>,
    actor: Actor,
) -> Result<Written, WorkflowServiceError> {
    let now = state.clock.now();
    let document = store::documents::insert(
        txn,
        NewDocument {
            id: copy.id,
            organization_id: copy.organization,
            direction: Direction::Incoming,
            doc_type: sent.doc_type.clone(),
            summary: sent.summary.clone(),
            issuer: Some(sent.issuer.clone()),
            urgency: sent.urgency,
            deadline: sent.deadline,
            author_id: copy.account,
        },
        now,
    )
    .await
    .context("storing the incoming document")?;
    store::documents::set_issued(txn, document.id, sent.number, &sent.symbol, sent.issued_on)
        .await
        .context("recording the sender's number")?;
    let particulars = Particulars {
        issuer_code: Some(sent.sender_code.clone()),
        received_on: Some(crate::domain::numbering::local_date(now)),
        places: Vec::new(),
        ..sent.particulars.clone()
    };
    store::document_details::save(txn, document.id, &particulars)
        .await
        .context("recording the sender's particulars")?;
    for (slot, f) in (0..).zip(&sent.files) {
        let new = NewFile {
            document_id: document.id,
            slot,
            version: 1,
            name: f.name.clone(),
            content_type: "application/pdf".to_owned(),
            size: f.size,
            sha256: f.sha256.clone(),
            uploaded_by: copy.account,
        };
        store::documents::insert_file(txn, new, now)
            .await
            .context("storing a file of the incoming document")?;
    }
    let arrival = NewArrival {
        document_id: document.id,
        organization_id: copy.organization,
        sender_code: sent.sender_code.clone(),
        sender_document_id: sent.sender_document_id.clone(),
        route,
        axis_doc_id,
    };
    store::arrivals::insert(txn, arrival, now)
        .await
        .context("recording where it came from")?;
    let entry = NewEntry::new(actor, AuditAction::DocumentReceived, copy.organization)
        .document(document.id)
        .detail("from", sent.sender_document_id.as_str());
    Ok(flow::apply(
        state,
        txn,
        &document,
        &copy.transition,
        None,
        entry,
        &copy.prepared,
    )
    .await?)
}

/// Checks the signatures of each copy's main PDF once it is stored, and records whether they
/// all hold, so the clerk sees a document whose signatures fail before taking it in. A check
/// that cannot run now (too many waiting) leaves it unknown; the document screen checks again.
pub(crate) async fn check_signatures(state: &AppState, copies: &[Uuid]) {
    for &id in copies {
        if let Err(e) = check_one(state, id).await {
            tracing::warn!(document_id = %id, error = %e, "signatures of an arrival not checked");
        }
    }
}

async fn check_one(state: &AppState, id: Uuid) -> anyhow::Result<()> {
    let files = store::documents::files(&state.db, id).await?;
    let main = files.iter().find(|f| f.slot == 0).context("no main file")?;
    let verdicts = state.verdicts.of(state, main).await?;
    let valid = !verdicts.is_empty() && verdicts.iter().all(|v| v.valid());
    store::arrivals::set_signatures_valid(&state.db, id, valid).await?;
    Ok(())
}
