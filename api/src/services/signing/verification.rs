//! Checking the signatures in a document's PDF, and the trust anchors they chain to.

use anyhow::Context;
use uuid::Uuid;

use super::{SigningError, pem};
use crate::{
    services::{Principal, documents::visible},
    signing::verify::Verdict,
    state::AppState,
    store,
};

/// The signatures in the current version of a document's main PDF, each checked.
pub struct DocumentSignatures {
    pub file_id: Uuid,
    pub verdicts: Vec<Verdict>,
}

pub async fn signatures(
    state: &AppState,
    who: Principal,
    document: Uuid,
) -> Result<DocumentSignatures, SigningError> {
    let document = visible(state, who, document).await?;
    let files = store::documents::files(&state.db, document.id)
        .await
        .context("loading the files")?;
    let main = files
        .iter()
        .filter(|f| f.slot == 0)
        .max_by_key(|f| f.version)
        .context("a document without its main file")?;
    let verdicts = state.verdicts.of(state, main).await?;
    Ok(DocumentSignatures {
        file_id: main.id,
        verdicts: verdicts.as_ref().clone(),
    })
}

/// The CA certificates signatures made here chain to, PEM.
pub fn trust_anchors(state: &AppState) -> Result<Vec<String>, SigningError> {
    state.signing.trust_anchors().iter().map(pem).collect()
}
