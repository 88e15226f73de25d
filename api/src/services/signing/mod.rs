//! Remote signing use cases: provisioning keys in the HSM and their certificates, the signing
//! PIN, signing requests and their confirmation. A confirmation signs the pinned file version
//! with the signer's HSM key, then writes the signed version, the signature row, the task
//! decision and the notifications in one transaction: a wrong PIN, an HSM error or a crash
//! before the commit leaves the task waiting and no file version behind.

mod confirm;
mod credentials;
mod images;
mod pin;
mod seal;
mod verdicts;
mod verification;

use std::io::Cursor;

use anyhow::Context;
use chrono::{DateTime, Utc};
use der::{DecodePem, EncodePem, pem::LineEnding};
use sea_orm::DatabaseTransaction;

use tokio::io::AsyncReadExt;
use uuid::Uuid;
use x509_cert::Certificate;

pub(crate) use self::seal::seal;
pub use self::{
    confirm::{Confirmation, Signed, confirm, create_request},
    credentials::{install_certificate, provision_organization, provision_user},
    images::{ImageOf, set_image},
    pin::{PinProof, set_pin},
    verdicts::Verdicts,
    verification::{DocumentSignatures, signatures, trust_anchors},
};
use super::{admin::AdminError, auth::AuthError, documents::DocumentError, flow::FlowError};
use crate::{
    domain::{InvalidInput, document::DocumentFile, workflow},
    files::{ContentHash, StoredFile, pdf_limits::Source},
    signing::{
        HsmError,
        appearance::Look,
        ca::CaError,
        cms::{self, CmsError, SignerCredential},
        images::ImageError,
        pades::{self, PadesError, SignatureInfo},
        tsa::{self, Tsa, TsaError},
    },
    state::AppState,
    store::{self, signing::Credential},
};

/// Wrong PINs in a row that lock signing until an admin unlocks it.
pub const MAX_PIN_FAILURES: u32 = 5;

#[derive(Debug, thiserror::Error)]
pub enum SigningError {
    #[error(transparent)]
    Admin(#[from] AdminError),
    #[error(transparent)]
    Flow(#[from] FlowError),
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
    #[error("a signing PIN is set: changing it needs the current PIN, not the password")]
    CurrentPinRequired,
    #[error(
        "the file to sign is not the one shown: its digest differs; make a new signing request"
    )]
    DigestMismatch,
    #[error("too many signature checks are waiting; try again in a moment")]
    Busy,
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
    #[error("the image {0}")]
    Image(#[from] ImageError),
    #[error(transparent)]
    Pdf(#[from] PadesError),
    #[error(transparent)]
    Hsm(#[from] HsmError),
    #[error(transparent)]
    Tsa(TsaError),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<DocumentError> for SigningError {
    fn from(e: DocumentError) -> Self {
        FlowError::from(e).into()
    }
}

impl From<workflow::WorkflowError> for SigningError {
    fn from(e: workflow::WorkflowError) -> Self {
        FlowError::from(e).into()
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

pub(super) fn pem(certificate: &Certificate) -> Result<String, SigningError> {
    Ok(certificate
        .to_pem(LineEnding::LF)
        .context("encoding a certificate")?)
}

pub(super) fn signer_of(credential: &Credential) -> Result<SignerCredential, SigningError> {
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

/// Records the signed bytes of `signed` as the next version of its file, in the caller's
/// transaction.
pub(super) async fn signed_version(
    txn: &DatabaseTransaction,
    signed: &DocumentFile,
    stored: &StoredFile,
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

/// A signed PDF, stored.
pub(super) struct SignedFile {
    pub stored: StoredFile,
    /// It carries a trusted timestamp (PAdES B-T).
    pub timestamped: bool,
}

/// Signs one stored PDF, showing `looks` (see [`pades::prepare`]), with a timestamp when an
/// authority is configured: returns the stored signed bytes. Nothing references them until the
/// caller's transaction commits; content addressing makes an unreferenced copy harmless.
///
/// Memory stays near the file's size whatever it is: the file is mapped (the kernel pages it
/// in and drops it), its structure parsed without its streams' data, and the signed version is
/// the stored file streamed from disk followed by the update.
pub(super) async fn sign_file(
    state: &AppState,
    file: &DocumentFile,
    signer: &SignerCredential,
    info: SignatureInfo,
    looks: Vec<Look>,
) -> Result<SignedFile, SigningError> {
    let source = local_copy(state, file).await?;
    let pinned = file.sha256.clone();
    let font = state.signing.font.clone();
    // Hashing, parsing and writing the update of a large PDF is CPU work: off the async runtime.
    let (prepared, source, original_len) = tokio::task::spawn_blocking(move || {
        let source = std::fs::File::open(source).context("opening the stored file")?;
        let original = map(&source)?;
        let appearance = font.as_ref().map(|font| (&looks[..], font));
        let prepared = pades::prepare(Source::stored_file(&original), &info, appearance)?;
        // What is signed is what was pinned and shown: storage is checked, not trusted.
        if !hex::encode(prepared.original_sha256()).eq_ignore_ascii_case(&pinned) {
            return Err(SigningError::DigestMismatch);
        }
        Ok((prepared, source, original.len() as u64))
    })
    .await
    .context("preparing the PDF")??;
    let cms = cms::sign_detached(state.signing.hsm.as_ref(), signer, prepared.digest()).await?;
    let (cms, timestamped) = match &state.signing.tsa {
        None => (cms, false),
        Some(tsa) => match timestamped(tsa, &cms).await {
            Ok(stamped) => (stamped, true),
            Err(e) if tsa.required => return Err(SigningError::Tsa(e)),
            Err(e) => {
                tracing::warn!(error = %e, "signed without a timestamp: TSA_REQUIRED is false");
                (cms, false)
            }
        },
    };
    let update = prepared.finish(&cms)?;
    // The handle opened before the check: the bytes that were hashed, even if the local copy
    // were pruned meanwhile.
    let original = tokio::fs::File::from_std(source).take(original_len);
    let stored = state
        .files
        .put(Box::pin(original.chain(Cursor::new(update))), u64::MAX)
        .await
        .context("storing the signed file")?;
    Ok(SignedFile {
        stored,
        timestamped,
    })
}

/// This instance's copy of a stored file, to be mapped.
pub(super) async fn local_copy(
    state: &AppState,
    file: &DocumentFile,
) -> Result<std::path::PathBuf, SigningError> {
    let hash = ContentHash::parse(&file.sha256).context("a stored file hash is not SHA-256 hex")?;
    Ok(state
        .files
        .local_copy(&hash)
        .await
        .context("fetching a stored file")?)
}

/// A stored file, mapped read-only.
pub(super) fn map(file: &std::fs::File) -> Result<memmap2::Mmap, SigningError> {
    // SAFETY: a mapping is undefined behaviour if the file changes underneath it. Stored files
    // are content-addressed: written to a temporary name, synced, renamed into place and never
    // written again; deleting one while it is mapped keeps its pages alive.
    Ok(unsafe { memmap2::Mmap::map(file) }.context("mapping a stored file")?)
}

/// `cms` with the authority's timestamp over its signature value.
async fn timestamped(tsa: &Tsa, cms: &[u8]) -> Result<Vec<u8>, TsaError> {
    let token = tsa.timestamp(&tsa::signature_value(cms)?).await?;
    Ok(tsa::with_timestamp(cms, &token)?)
}

pub(super) async fn read_file(
    state: &AppState,
    file: &DocumentFile,
) -> Result<Vec<u8>, SigningError> {
    Ok(crate::files::read_all(state.files.as_ref(), &file.sha256).await?)
}
