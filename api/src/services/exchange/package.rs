//! An issued document as an edXML message (QCVN 102): the header from its metadata, its
//! issued PDF and appendices as attachments, our trace. What the exchange axis carries, and
//! what a clerk downloads to hand to a system the axis does not reach.

use anyhow::Context;
use uuid::Uuid;

use crate::{
    domain::{
        document::{Direction, Document, Urgency},
        exchange::{
            self,
            edxml::{self, Attachment, BusinessKind, Edoc, Organ, SignerInfo, Staff, Trace},
        },
        numbering::{local_date, local_time},
        workflow::{DocumentState, WorkflowError},
    },
    files::read_all,
    services::{Principal, documents::visible, workflow::WorkflowServiceError},
    state::AppState,
    store,
};

/// The edXML of an issued outgoing document the caller may see, and its file name.
pub async fn edoc(
    state: &AppState,
    who: Principal,
    document: Uuid,
) -> Result<(String, String), WorkflowServiceError> {
    let document = visible(state, who, document).await?;
    if document.direction != Direction::Outgoing || document.state != DocumentState::Issued {
        return Err(WorkflowError::WrongState(document.state).into());
    }
    let message = message(state, &document).await?;
    let name = format!("{}.edxml", message.code_number);
    Ok((edxml::write(&edxml::Message::Edoc(Box::new(message))), name))
}

/// The message for `document`, addressed to every recipient by its agency code.
pub(crate) async fn message(
    state: &AppState,
    document: &Document,
) -> Result<Edoc, WorkflowServiceError> {
    let (Some(symbol), Some(issued_on)) = (document.symbol.as_deref(), document.issued_on) else {
        return Err(WorkflowError::WrongState(document.state).into());
    };
    let sender = store::organizations::find(&state.db, document.organization_id)
        .await
        .context("loading the sending organisation")?
        .context("the document's organisation no longer exists")?;
    let record = crate::services::exchange::record(state, document.id).await?;
    let mut to = Vec::with_capacity(record.recipients.len());
    for r in &record.recipients {
        let code = match (&r.agency_code, r.organization_id) {
            (Some(code), _) => code.clone(),
            (None, Some(org)) => {
                store::organizations::find(&state.db, org)
                    .await
                    .context("loading a recipient")?
                    .context("a recipient organisation no longer exists")?
                    .code
            }
            (None, None) => continue,
        };
        to.push(Organ {
            id: code,
            name: r.name.clone(),
            ..Organ::default()
        });
    }
    let type_name = store::documents::doc_type_name(&state.db, &document.doc_type)
        .await
        .context("loading the document type")?
        .unwrap_or_else(|| document.doc_type.clone());
    let files = store::documents::files(&state.db, document.id)
        .await
        .context("loading the files")?;
    let mut attachments = Vec::new();
    for slot in 0.. {
        let Some(file) = files
            .iter()
            .filter(|f| f.slot == slot)
            .max_by_key(|f| f.version)
        else {
            break;
        };
        let bytes = read_all(state.files.as_ref(), &file.sha256)
            .await
            .context("reading a file to send")?;
        attachments.push(Attachment {
            content_id: format!("{}@{}", file.id, sender.code),
            name: file.name.clone(),
            description: (slot > 0).then(|| format!("Phụ lục {slot}")),
            content_type: file.content_type.clone(),
            bytes,
        });
    }
    let (number, notation) = exchange::split_symbol(symbol);
    let particulars = record.particulars;
    let now = local_time(state.clock.now());
    Ok(Edoc {
        from: Organ {
            id: sender.code.clone(),
            name: sender.name.clone(),
            ..Organ::default()
        },
        to,
        document_id: exchange::document_id(&sender.code, issued_on, symbol),
        code_number: number.to_owned(),
        code_notation: notation.to_owned(),
        place: particulars.place_of_issue,
        promulgation_date: issued_on,
        type_code: Some(document.doc_type.clone()),
        type_detail: None,
        type_name,
        subject: document.summary.clone(),
        content: None,
        signer: particulars.signer.map(|s| SignerInfo {
            competence: s.competence.map(|c| c.as_str().to_owned()),
            position: Some(s.position),
            full_name: s.full_name,
        }),
        due_date: document.deadline.map(local_date),
        priority: priority(document.urgency),
        sphere: None,
        typer_notation: None,
        promulgation_amount: None,
        page_amount: None,
        appendixes: attachments.iter().skip(1).map(|a| a.name.clone()).collect(),
        steering_type: None,
        to_places: particulars.places,
        traces: vec![Trace {
            organ_id: sender.code.clone(),
            at: now,
        }],
        business: BusinessKind::New,
        business_reason: None,
        staff: Staff {
            department: Some(sender.name),
            ..Staff::default()
        },
        attachments,
    })
}

/// QCVN 102 Priority: 0 thường, 1 khẩn, 2 thượng khẩn, 3 hỏa tốc.
pub(crate) fn priority(urgency: Urgency) -> u8 {
    match urgency {
        Urgency::Normal => 0,
        Urgency::Urgent => 1,
        Urgency::VeryUrgent => 2,
        Urgency::Flash => 3,
    }
}

/// The urgency a received Priority means; 4 (hỏa tốc hẹn giờ) is hỏa tốc too.
pub(crate) fn urgency(priority: u8) -> Urgency {
    match priority {
        0 => Urgency::Normal,
        1 => Urgency::Urgent,
        2 => Urgency::VeryUrgent,
        _ => Urgency::Flash,
    }
}
