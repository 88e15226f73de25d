//! Signing requests and their confirmation with the PIN.

use anyhow::Context;
use sea_orm::TransactionTrait;
use secrecy::SecretString;
use uuid::Uuid;

use super::{
    SigningError, images::image_of, local_copy, map, pin::check_pin, sign_file, signed_version,
    signer_of,
};
use crate::{
    domain::{
        InvalidInput,
        audit::{AuditAction, NewEntry},
        document::DocumentFile,
        workflow,
    },
    files::pdf_limits::Source,
    services::{
        Principal,
        flow::{self, apply, flow_of, load_tasks, prepare},
    },
    signing::{
        appearance::{Look, Position},
        cms::SignerCredential,
        pades::{self, SignatureInfo},
    },
    state::AppState,
    store::{
        self,
        signing::{Credential, Owner, SignatureKind, SignatureRecord, SigningRequest},
    },
};

/// Pins the file version a leader is about to sign on their waiting sign task.
pub async fn create_request(
    state: &AppState,
    who: Principal,
    task: Uuid,
    file_id: Uuid,
    reason: Option<String>,
    location: Option<String>,
    position: Option<Position>,
) -> Result<SigningRequest, SigningError> {
    let document = flow::task_document(state, who, task).await?;
    let tasks = load_tasks(state, document.id).await?;
    workflow::sign(&flow_of(&document, &tasks), task, who.user_id)?;
    let file = current_file(state, document.id, file_id).await?;
    // The task is the document's signature: an appendix signed alone would leave the main
    // PDF unsigned. Appendices are sealed at issuance.
    if file.slot != 0 {
        return Err(InvalidInput::new("file_id", "must be the document's main PDF").into());
    }
    signer_credential(state, who.user_id).await?;
    if let Some(position) = position {
        check_position(state, &file, position).await?;
    }
    let now = state.clock.now();
    let request = SigningRequest {
        id: Uuid::now_v7(),
        task_id: task,
        document_id: document.id,
        file_id: file.id,
        file_sha256: file.sha256,
        user_id: who.user_id,
        session_id: who.session_id,
        reason,
        location,
        expires_at: now + state.signing.request_ttl,
        created_at: now,
        signature_id: None,
        position,
    };
    store::signing::insert_request(&state.db, &request)
        .await
        .context("recording the signing request")?;
    Ok(request)
}

/// Refuses a position that is not inside a page of the file, now rather than at the PIN.
async fn check_position(
    state: &AppState,
    file: &DocumentFile,
    position: Position,
) -> Result<(), SigningError> {
    let source = local_copy(state, file).await?;
    // Parsing a large PDF is CPU work: off the async runtime.
    tokio::task::spawn_blocking(move || {
        let source = std::fs::File::open(source).context("opening the stored file")?;
        let pages = pades::page_areas(Source::stored_file(&map(&source)?))?;
        position
            .resolve(&pages)
            .map_err(|e| InvalidInput::new("position", e.to_string()))?;
        Ok(())
    })
    .await
    .context("checking the signing position")?
}

/// The file version `file_id` of the document, if it is still the newest of its slot.
async fn current_file(
    state: &AppState,
    document: Uuid,
    file_id: Uuid,
) -> Result<DocumentFile, SigningError> {
    let files = store::documents::files(&state.db, document)
        .await
        .context("loading the files")?;
    let file = files
        .iter()
        .find(|f| f.id == file_id)
        .ok_or_else(|| InvalidInput::new("file_id", "is not a file of this document"))?;
    let newer = files
        .iter()
        .any(|f| f.slot == file.slot && f.version > file.version);
    if newer {
        return Err(SigningError::FileReplaced);
    }
    Ok(file.clone())
}

/// A signature made on confirmation.
pub struct Signed {
    pub request_id: Uuid,
    pub signature: SignatureRecord,
}

/// A signing request as the phone confirms it: with the digest it showed the leader, so the
/// PIN authorises exactly those bytes.
pub struct Confirmation {
    pub request: Uuid,
    pub digest: String,
}

/// Confirms the caller's signing requests with one PIN entry: each pinned file is signed and
/// its task decided. A request already signed answers its first result again.
pub async fn confirm(
    state: &AppState,
    who: Principal,
    confirmations: &[Confirmation],
    pin: SecretString,
) -> Result<Vec<Signed>, SigningError> {
    let now = state.clock.now();
    let mut requests = Vec::with_capacity(confirmations.len());
    for confirmation in confirmations {
        let request = store::signing::find_request(&state.db, confirmation.request)
            .await
            .context("loading the signing request")?
            // Someone else's request, or one from another device, does not exist for the caller.
            .filter(|r| r.user_id == who.user_id && r.session_id == who.session_id)
            .ok_or(SigningError::RequestNotFound)?;
        if !request
            .file_sha256
            .eq_ignore_ascii_case(confirmation.digest.trim())
        {
            return Err(SigningError::DigestMismatch);
        }
        if request.signature_id.is_none() && request.expires_at <= now {
            return Err(SigningError::RequestExpired);
        }
        requests.push(request);
    }
    if requests.iter().any(|r| r.signature_id.is_none()) {
        check_pin(state, who, pin).await?;
    }
    let mut signed = Vec::with_capacity(requests.len());
    for request in requests {
        let signature_id = match request.signature_id {
            Some(id) => id,
            None => match sign_request(state, who, &request).await {
                Ok(id) => id,
                // A concurrent confirm of this very request may have won, and the loser can
                // fail at any step it overtook (the task decided, the file replaced by the
                // signed version): whichever, answer the winner's signature.
                Err(e) => store::signing::find_request(&state.db, request.id)
                    .await
                    .context("reloading the signing request")?
                    .and_then(|r| r.signature_id)
                    .ok_or(e)?,
            },
        };
        let signature = store::signing::find_signature(&state.db, signature_id)
            .await
            .context("loading the signature")?
            .context("a signing request names a missing signature")?;
        signed.push(Signed {
            request_id: request.id,
            signature,
        });
    }
    Ok(signed)
}

/// The signer's current credential, with a certificate.
async fn signer_credential(
    state: &AppState,
    user: Uuid,
) -> Result<(Credential, SignerCredential), SigningError> {
    let credential = store::signing::current_credential(&state.db, Owner::User(user))
        .await
        .context("loading the credential")?
        .ok_or(SigningError::NoCredential)?;
    let signer = signer_of(&credential)?;
    Ok((credential, signer))
}

async fn sign_request(
    state: &AppState,
    who: Principal,
    request: &SigningRequest,
) -> Result<Uuid, SigningError> {
    let document = store::documents::find(&state.db, request.document_id)
        .await
        .context("loading the document")?
        .context("a signing request's document is missing")?;
    let tasks = load_tasks(state, document.id).await?;
    let transition = workflow::sign(&flow_of(&document, &tasks), request.task_id, who.user_id)?;
    let file = current_file(state, document.id, request.file_id).await?;
    if !file.sha256.eq_ignore_ascii_case(&request.file_sha256) {
        return Err(SigningError::DigestMismatch);
    }
    let (credential, signer) = signer_credential(state, who.user_id).await?;
    let user = store::users::find(&state.db, who.user_id)
        .await
        .context("loading the signer")?
        .context("the signer's account no longer exists")?;
    let now = state.clock.now();
    let info = SignatureInfo {
        signer_name: user.full_name.clone(),
        reason: request.reason.clone(),
        location: request.location.clone(),
        signing_time: now,
    };
    let look = Look::Signer {
        image: image_of(&credential).await?,
        name: user.full_name.clone(),
        title: user.title.clone(),
        position: request.position,
    };
    let signed = sign_file(state, &file, &signer, info, vec![look]).await?;

    let signature_id = Uuid::now_v7();
    let prepared = prepare(state, document.id, &transition).await?;
    let txn = state.db.begin().await.context("starting a transaction")?;
    // Claimed first: of two confirms racing (a retry on a flaky network), the second waits
    // here and finds the request taken; dropping its transaction rolls it back.
    if !store::signing::complete_request(&txn, request.id, signature_id)
        .await
        .context("completing the request")?
    {
        return Err(workflow::WorkflowError::AlreadyDecided.into());
    }
    let new_file = signed_version(&txn, &file, &signed.stored, user.id, now).await?;
    let signature = SignatureRecord {
        id: signature_id,
        document_id: document.id,
        file_id: new_file.id,
        kind: SignatureKind::Signer,
        user_id: Some(user.id),
        organization_id: user.organization_id,
        credential_id: credential.id,
        signed_at: now,
        timestamped: signed.timestamped,
    };
    store::signing::insert_signature(&txn, &signature)
        .await
        .context("recording the signature")?;
    let entry = NewEntry::new(who, AuditAction::Signed, document.organization_id)
        .document(document.id)
        .detail("task_id", request.task_id.to_string())
        .detail("signature_id", signature.id.to_string())
        .detail("file_id", new_file.id.to_string());
    let queued = apply(
        state,
        &txn,
        &document,
        &transition,
        Some((request.task_id, None)),
        entry,
        &prepared,
    )
    .await?;
    txn.commit().await.context("committing the signature")?;
    flow::committed(state, queued).await;
    tracing::info!(document_id = %document.id, task_id = %request.task_id, signature_id = %signature.id, "signed");
    Ok(signature.id)
}
