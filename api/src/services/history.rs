//! The document screen in one call: the document and its files, its history (luồng xử lý)
//! with names, who holds it now, and the signatures made into it. Whoever may see the
//! document may read all of it.

use std::collections::{HashMap, HashSet};

use anyhow::Context;
use uuid::Uuid;

use super::{
    Principal,
    documents::{DocumentDetails, DocumentError, visible},
    tabs,
};
use crate::{
    domain::{
        document::Document,
        history::{self, Event, Issuance, TaskRecord},
        workflow::TaskStatus,
    },
    state::AppState,
    store::{
        self,
        signing::{SignatureKind, SignatureRecord},
        tabs::Opened,
    },
};

pub struct Screen {
    pub details: DocumentDetails,
    /// Oldest first.
    pub events: Vec<Event>,
    /// The tasks waiting now: where the document is and who holds it.
    pub waiting: Vec<TaskRecord>,
    pub signatures: Vec<SignatureRecord>,
    /// The organisations of the document and of the signatures, by id.
    pub organizations: HashMap<Uuid, String>,
}

/// The document if the caller may see it: enough to answer a conditional read. Opening it
/// marks the caller's reading tasks (để biết) on it read, even when the app's copy is fresh.
pub async fn open(state: &AppState, who: Principal, id: Uuid) -> Result<Document, DocumentError> {
    let document = visible(state, who, id).await?;
    tabs::mark_read(state, who, Opened::Document(id)).await?;
    Ok(document)
}

/// Everything the document screen shows of a document the caller may see (from [`open`]).
pub async fn screen(state: &AppState, document: Document) -> Result<Screen, DocumentError> {
    let files = store::documents::files(&state.db, document.id)
        .await
        .context("loading the files")?;
    let tasks: Vec<TaskRecord> = store::history::task_records(&state.db, &[document.id])
        .await
        .context("loading the history")?
        .into_iter()
        .map(|(_, t)| t)
        .collect();
    let signatures = store::signing::signatures_of(&state.db, document.id)
        .await
        .context("loading the signatures")?;
    let issued = signatures
        .iter()
        .find(|s| s.kind == SignatureKind::Seal)
        .map(|s| Issuance {
            by: s.user_id.unwrap_or(document.author_id),
            at: s.signed_at,
        });
    let events = history::events(document.author_id, document.created_at, &tasks, issued);
    let waiting: Vec<TaskRecord> = tasks
        .into_iter()
        .filter(|t| t.task.status == TaskStatus::Waiting)
        .collect();

    let mut ids: HashSet<Uuid> = HashSet::from([document.author_id]);
    ids.extend(events.iter().map(|e| e.actor));
    ids.extend(events.iter().flat_map(|e| e.named.iter().map(|n| n.person)));
    ids.extend(waiting.iter().map(|t| t.task.assignee));
    ids.extend(signatures.iter().filter_map(|s| s.user_id));
    ids.extend(files.iter().map(|f| f.uploaded_by));
    let people = store::people::find_many(&state.db, &ids)
        .await
        .context("loading the names")?;
    let mut orgs: HashSet<Uuid> = HashSet::from([document.organization_id]);
    orgs.extend(signatures.iter().map(|s| s.organization_id));
    let organizations = store::people::organization_names(&state.db, &orgs)
        .await
        .context("loading the organisations' names")?;
    let exchange = super::exchange::record(state, document.id).await?;
    Ok(Screen {
        details: DocumentDetails {
            document,
            files,
            exchange,
            // Everyone named anywhere on the screen.
            people,
        },
        events,
        waiting,
        signatures,
        organizations,
    })
}
