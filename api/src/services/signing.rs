//! Remote signing use cases: provisioning keys in the HSM and their certificates, the signing
//! PIN, signing requests and their confirmation. A confirmation signs the pinned file version
//! with the signer's HSM key, then writes the signed version, the signature row, the task
//! decision and the notifications in one transaction: a wrong PIN, an HSM error or a crash
//! before the commit leaves the task waiting and no file version behind.

use std::io::Cursor;

use anyhow::Context;
use chrono::{DateTime, Utc};
use der::{DecodePem, EncodePem, pem::LineEnding};
use sea_orm::{DatabaseTransaction, TransactionTrait};
use secrecy::{ExposeSecret, SecretString};
use tokio::io::AsyncReadExt;
use uuid::Uuid;
use x509_cert::Certificate;

use super::{
    Principal,
    admin::{self, AdminError},
    auth::{self, AuthError},
    documents::{DocumentError, visible},
    workflow::{WorkflowServiceError, apply, devices, flow_of, load_tasks},
};
use crate::{
    domain::{
        InvalidInput,
        audit::{AuditAction, NewEntry},
        document::{Document, DocumentFile},
        workflow,
    },
    files::ContentHash,
    signing::{
        HsmError, KeyAlgorithm,
        ca::{self, CaError},
        cms::{self, CmsError, SignerCredential},
        pades::{self, PadesError, SignatureInfo},
        verify::{self, Verdict},
    },
    state::AppState,
    store::{
        self,
        signing::{Credential, Owner, SignatureKind, SignatureRecord, SigningRequest},
    },
};

/// Wrong PINs in a row that lock signing until an admin unlocks it.
pub const MAX_PIN_FAILURES: u32 = 5;

#[derive(Debug, thiserror::Error)]
pub enum SigningError {
    #[error(transparent)]
    Admin(#[from] AdminError),
    #[error(transparent)]
    Workflow(#[from] WorkflowServiceError),
    #[error(transparent)]
    Invalid(#[from] InvalidInput),
    /// The login password re-entered to set the PIN: wrong, or too many wrong tries.
    #[error(transparent)]
    Password(#[from] AuthError),
    #[error("no such signing request")]
    RequestNotFound,
    #[error("the signing request has expired; make a new one")]
    RequestExpired,
    #[error("no signing PIN is set: set one first")]
    PinNotSet,
    #[error("wrong signing PIN")]
    PinInvalid { locked: bool },
    #[error("signing is locked after {MAX_PIN_FAILURES} wrong PINs; an admin can unlock it")]
    Locked,
    #[error("no signing certificate is installed for this signer")]
    NoCredential,
    #[error("the organisation has no seal certificate: an admin must provision it before issuing")]
    NoSealCredential,
    #[error("the certificate {0}")]
    CertificateRefused(&'static str),
    #[error("the file was replaced by a newer version; make a new signing request")]
    FileReplaced,
    #[error(transparent)]
    Pdf(#[from] PadesError),
    #[error(transparent)]
    Hsm(#[from] HsmError),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<DocumentError> for SigningError {
    fn from(e: DocumentError) -> Self {
        WorkflowServiceError::from(e).into()
    }
}

impl From<workflow::WorkflowError> for SigningError {
    fn from(e: workflow::WorkflowError) -> Self {
        WorkflowServiceError::from(e).into()
    }
}

impl From<CaError> for SigningError {
    fn from(e: CaError) -> Self {
        match e {
            CaError::Hsm(e) => e.into(),
            other => anyhow::Error::new(other).context("certificate").into(),
        }
    }
}

impl From<CmsError> for SigningError {
    fn from(e: CmsError) -> Self {
        match e {
            CmsError::Hsm(e) => e.into(),
            other => anyhow::Error::new(other).context("building the CMS").into(),
        }
    }
}

/// Creates a key pair in the HSM for a user of the admin's organisations, with its CSR and,
/// where the development CA is on, its certificate.
pub async fn provision_user(
    state: &AppState,
    who: Principal,
    user_id: Uuid,
    algorithm: KeyAlgorithm,
) -> Result<Credential, SigningError> {
    let admin = admin::authorize(state, who).await?;
    let user = admin::managed_user(state, &admin, user_id).await?;
    let organization = organization_name(state, user.organization_id).await?;
    let subject = ca::subject(&user.full_name, &organization)?;
    let credential = provision(state, Owner::User(user.id), algorithm, subject).await?;
    tracing::info!(admin = %admin.user.id, user_id = %user.id, credential_id = %credential.id, "signing credential created");
    Ok(credential)
}

/// The organisation's own key, for the seal added at issuance.
pub async fn provision_organization(
    state: &AppState,
    who: Principal,
    organization_id: Uuid,
    algorithm: KeyAlgorithm,
) -> Result<Credential, SigningError> {
    let admin = admin::authorize(state, who).await?;
    if !admin.manages(organization_id) {
        return Err(AdminError::NotFound("organisation").into());
    }
    let organization = organization_name(state, organization_id).await?;
    let subject = ca::subject(&organization, &organization)?;
    let credential = provision(
        state,
        Owner::Organization(organization_id),
        algorithm,
        subject,
    )
    .await?;
    tracing::info!(admin = %admin.user.id, %organization_id, credential_id = %credential.id, "organisation seal credential created");
    Ok(credential)
}

async fn organization_name(state: &AppState, id: Uuid) -> Result<String, SigningError> {
    Ok(store::organizations::find(&state.db, id)
        .await
        .context("loading the organisation")?
        .ok_or(AdminError::NotFound("organisation"))?
        .name)
}

async fn provision(
    state: &AppState,
    owner: Owner,
    algorithm: KeyAlgorithm,
    subject: x509_cert::name::Name,
) -> Result<Credential, SigningError> {
    let id = Uuid::now_v7();
    let owner_id = match owner {
        Owner::User(id) => format!("user-{id}"),
        Owner::Organization(id) => format!("org-{id}"),
    };
    let key_label = format!("{owner_id}-{id}");
    let hsm = state.signing.hsm.as_ref();
    let public = hsm.generate(&key_label, algorithm).await?;
    let csr_pem = ca::certificate_request(hsm, &key_label, &public, subject.clone()).await?;
    let now = state.clock.now();
    let (certificate_pem, chain_pem) = match &state.signing.dev_ca {
        Some(dev_ca) => (
            Some(pem(&dev_ca.issue(subject, &public, now)?)?),
            Some(pem(&dev_ca.certificate)?),
        ),
        None => (None, None),
    };
    let credential = Credential {
        id,
        owner,
        key_label,
        algorithm,
        csr_pem,
        certificate_pem,
        chain_pem,
        created_at: now,
    };
    store::signing::insert_credential(&state.db, &credential)
        .await
        .context("recording the credential")?;
    Ok(credential)
}

fn pem(certificate: &Certificate) -> Result<String, SigningError> {
    Ok(certificate
        .to_pem(LineEnding::LF)
        .context("encoding a certificate")?)
}

/// Installs a certificate from the real CA on the user's current credential: refused unless it
/// is for the HSM key and valid now. PEM certificates after the first are its issuers.
pub async fn install_certificate(
    state: &AppState,
    who: Principal,
    user_id: Uuid,
    pem_bundle: &str,
) -> Result<Credential, SigningError> {
    let admin = admin::authorize(state, who).await?;
    let user = admin::managed_user(state, &admin, user_id).await?;
    let credential = store::signing::current_credential(&state.db, Owner::User(user.id))
        .await
        .context("loading the credential")?
        .ok_or(SigningError::NoCredential)?;
    let certificates = Certificate::load_pem_chain(pem_bundle.as_bytes())
        .map_err(|_| InvalidInput::new("certificate", "is not a PEM certificate"))?;
    let (leaf, chain) = certificates
        .split_first()
        .ok_or_else(|| InvalidInput::new("certificate", "holds no certificate"))?;
    let public = state.signing.hsm.public_key(&credential.key_label).await?;
    let now = state.clock.now();
    if !ca::matches_key(leaf, &public, now)? {
        return Err(SigningError::CertificateRefused(
            "is not for this user's HSM key, or is not valid now",
        ));
    }
    let chain_pem = chain
        .iter()
        .map(pem)
        .collect::<Result<Vec<_>, _>>()?
        .concat();
    let leaf_pem = pem(leaf)?;
    store::signing::set_certificate(
        &state.db,
        credential.id,
        leaf_pem.clone(),
        (!chain_pem.is_empty()).then_some(chain_pem.clone()),
    )
    .await
    .context("installing the certificate")?;
    tracing::info!(admin = %admin.user.id, %user_id, "signing certificate installed");
    Ok(Credential {
        certificate_pem: Some(leaf_pem),
        chain_pem: (!chain_pem.is_empty()).then_some(chain_pem),
        ..credential
    })
}

/// Sets or changes the caller's signing PIN, after checking their login password.
pub async fn set_pin(
    state: &AppState,
    who: Principal,
    current_password: SecretString,
    pin: SecretString,
) -> Result<(), SigningError> {
    let raw = pin.expose_secret();
    if !(6..=12).contains(&raw.len()) || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return Err(InvalidInput::new("pin", "must be 6 to 12 digits").into());
    }
    let (user, hash) = store::users::find_credentials_by_id(&state.db, who.user_id)
        .await
        .context("loading the account")?
        .context("the caller's account no longer exists")?;
    if !auth::check_password(state, &user.username, who.ip, current_password, hash).await? {
        return Err(AuthError::CurrentPasswordIncorrect.into());
    }
    let pin_hash = state.passwords.hash(pin).await.context("hashing the PIN")?;
    store::signing::set_pin(&state.db, who.user_id, pin_hash, state.clock.now())
        .await
        .context("storing the PIN")?;
    tracing::info!(user_id = %who.user_id, "signing PIN set");
    Ok(())
}

/// Pins the file version a leader is about to sign on their waiting sign task.
pub async fn create_request(
    state: &AppState,
    who: Principal,
    task: Uuid,
    file_id: Uuid,
    reason: Option<String>,
    location: Option<String>,
) -> Result<SigningRequest, SigningError> {
    let document = store::tasks::document_of(&state.db, task)
        .await
        .context("loading the task")?
        .ok_or(WorkflowServiceError::TaskNotFound)?;
    let document = match visible(state, who, document).await {
        Err(DocumentError::NotFound) => return Err(WorkflowServiceError::TaskNotFound.into()),
        other => other?,
    };
    let tasks = load_tasks(state, document.id).await?;
    workflow::sign(&flow_of(&document, &tasks), task, who.user_id)?;
    let file = current_file(state, document.id, file_id).await?;
    signer_credential(state, who.user_id).await?;
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
    };
    store::signing::insert_request(&state.db, &request)
        .await
        .context("recording the signing request")?;
    Ok(request)
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

/// Confirms the caller's signing requests with one PIN entry: each pinned file is signed and
/// its task decided. A request already signed answers its first result again.
pub async fn confirm(
    state: &AppState,
    who: Principal,
    ids: &[Uuid],
    pin: SecretString,
) -> Result<Vec<Signed>, SigningError> {
    let now = state.clock.now();
    let mut requests = Vec::with_capacity(ids.len());
    for id in ids {
        let request = store::signing::find_request(&state.db, *id)
            .await
            .context("loading the signing request")?
            // Someone else's request, or one from another device, does not exist for the caller.
            .filter(|r| r.user_id == who.user_id && r.session_id == who.session_id)
            .ok_or(SigningError::RequestNotFound)?;
        if request.signature_id.is_none() && request.expires_at <= now {
            return Err(SigningError::RequestExpired);
        }
        requests.push(request);
    }
    if requests.iter().any(|r| r.signature_id.is_none()) {
        check_pin(state, who.user_id, pin).await?;
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

async fn check_pin(state: &AppState, user: Uuid, pin: SecretString) -> Result<(), SigningError> {
    let (hash, failures) = store::signing::pin(&state.db, user)
        .await
        .context("loading the PIN")?
        .ok_or(SigningError::PinNotSet)?;
    if failures >= MAX_PIN_FAILURES {
        return Err(SigningError::Locked);
    }
    let right = state
        .passwords
        .verify_pin(pin, hash)
        .await
        .context("checking the PIN")?;
    if right {
        if failures > 0 {
            store::signing::reset_pin_failures(&state.db, user)
                .await
                .context("resetting PIN failures")?;
        }
        return Ok(());
    }
    let failures = store::signing::record_pin_failure(&state.db, user)
        .await
        .context("counting a wrong PIN")?;
    tracing::warn!(user_id = %user, failures, "wrong signing PIN");
    Err(SigningError::PinInvalid {
        locked: failures >= MAX_PIN_FAILURES,
    })
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

fn signer_of(credential: &Credential) -> Result<SignerCredential, SigningError> {
    let certificate = credential
        .certificate_pem
        .as_deref()
        .ok_or(SigningError::NoCredential)?;
    let certificate =
        Certificate::from_pem(certificate).context("a stored certificate is not PEM")?;
    let chain = match &credential.chain_pem {
        Some(chain) => Certificate::load_pem_chain(chain.as_bytes())
            .context("a stored certificate chain is not PEM")?,
        None => Vec::new(),
    };
    Ok(SignerCredential {
        key_label: credential.key_label.clone(),
        algorithm: credential.algorithm,
        certificate,
        chain,
    })
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
    let stored = sign_file(state, &file, &signer, info).await?;

    let signature_id = Uuid::now_v7();
    let pushes = devices(state, &transition).await?;
    let txn = state.db.begin().await.context("starting a transaction")?;
    // Claimed first: of two confirms racing (a retry on a flaky network), the second waits
    // here and finds the request taken; dropping its transaction rolls it back.
    if !store::signing::complete_request(&txn, request.id, signature_id)
        .await
        .context("completing the request")?
    {
        return Err(workflow::WorkflowError::AlreadyDecided.into());
    }
    let new_file = signed_version(&txn, &file, &stored, user.id, now).await?;
    let signature = SignatureRecord {
        id: signature_id,
        document_id: document.id,
        file_id: new_file.id,
        kind: SignatureKind::Signer,
        user_id: Some(user.id),
        organization_id: user.organization_id,
        credential_id: credential.id,
        signed_at: now,
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
        &pushes,
    )
    .await?;
    txn.commit().await.context("committing the signature")?;
    state.push.queued(queued);
    tracing::info!(document_id = %document.id, task_id = %request.task_id, signature_id = %signature.id, "signed");
    Ok(signature.id)
}

/// Records the signed bytes of `signed` as the next version of its file, in the caller's
/// transaction.
async fn signed_version(
    txn: &DatabaseTransaction,
    signed: &DocumentFile,
    stored: &crate::files::StoredFile,
    by: Uuid,
    now: DateTime<Utc>,
) -> Result<DocumentFile, SigningError> {
    let new = store::documents::NewFile {
        document_id: signed.document_id,
        slot: signed.slot,
        version: 0,
        name: signed.name.clone(),
        content_type: signed.content_type.clone(),
        size: stored.size,
        sha256: stored.hash.as_str().to_owned(),
        uploaded_by: by,
    };
    Ok(store::documents::add_version(txn, new, now)
        .await
        .context("recording the signed file")?)
}

/// Signs one stored PDF: returns the stored signed bytes. Nothing references them until the
/// caller's transaction commits; content addressing makes an unreferenced copy harmless.
async fn sign_file(
    state: &AppState,
    file: &DocumentFile,
    signer: &SignerCredential,
    info: SignatureInfo,
) -> Result<crate::files::StoredFile, SigningError> {
    let bytes = read_file(state, file).await?;
    // Parsing and rewriting a large PDF is CPU work: off the async runtime.
    let prepared = tokio::task::spawn_blocking(move || pades::prepare(bytes, &info, None))
        .await
        .context("preparing the PDF")??;
    let cms = cms::sign_detached(state.signing.hsm.as_ref(), signer, prepared.digest()).await?;
    let signed = prepared.finish(&cms)?;
    Ok(state
        .files
        .put(Box::pin(Cursor::new(signed)), u64::MAX)
        .await
        .context("storing the signed file")?)
}

/// Adds the organisation's seal (its own signature) to the main PDF at issuance, within the
/// issuing transaction `txn`. An organisation without a seal certificate cannot issue: the
/// rules on electronic documents ask for both the signer's and the organisation's signature.
pub(crate) async fn seal(
    state: &AppState,
    txn: &DatabaseTransaction,
    document: &Document,
    clerk: Uuid,
    organization_name: &str,
    symbol: &str,
    now: DateTime<Utc>,
) -> Result<Uuid, SigningError> {
    let owner = Owner::Organization(document.organization_id);
    let credential = store::signing::current_credential(txn, owner)
        .await
        .context("loading the seal credential")?
        .filter(|c| c.certificate_pem.is_some())
        .ok_or(SigningError::NoSealCredential)?;
    let signer = signer_of(&credential)?;
    let main = store::documents::files(txn, document.id)
        .await
        .context("loading the files")?
        .into_iter()
        .filter(|f| f.slot == 0)
        .max_by_key(|f| f.version)
        .context("a document without its main file")?;
    let info = SignatureInfo {
        signer_name: organization_name.to_owned(),
        reason: Some(format!("Phát hành văn bản số {symbol}")),
        location: None,
        signing_time: now,
    };
    let stored = sign_file(state, &main, &signer, info).await?;
    let new_file = signed_version(txn, &main, &stored, clerk, now).await?;
    let signature = SignatureRecord {
        id: Uuid::now_v7(),
        document_id: document.id,
        file_id: new_file.id,
        kind: SignatureKind::Seal,
        user_id: None,
        organization_id: document.organization_id,
        credential_id: credential.id,
        signed_at: now,
    };
    store::signing::insert_signature(txn, &signature)
        .await
        .context("recording the seal")?;
    Ok(signature.id)
}

async fn read_file(state: &AppState, file: &DocumentFile) -> Result<Vec<u8>, SigningError> {
    let hash = ContentHash::parse(&file.sha256).context("a stored file hash is not SHA-256 hex")?;
    let (mut reader, len) = state
        .files
        .open(&hash, None)
        .await
        .context("opening a stored file")?;
    let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    reader
        .read_to_end(&mut bytes)
        .await
        .context("reading a stored file")?;
    Ok(bytes)
}

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
    let bytes = read_file(state, main).await?;
    let anchors = state.signing.trust_anchors();
    // Parsing a large PDF and checking signatures is CPU work: off the async runtime.
    let verdicts = tokio::task::spawn_blocking(move || verify::verify_pdf(&bytes, &anchors))
        .await
        .context("checking signatures")??;
    Ok(DocumentSignatures {
        file_id: main.id,
        verdicts,
    })
}

/// The CA certificates signatures made here chain to, PEM.
pub fn trust_anchors(state: &AppState) -> Result<Vec<String>, SigningError> {
    state.signing.trust_anchors().iter().map(pem).collect()
}
