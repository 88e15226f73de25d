//! The organisation's seal, signed into an outgoing document at issuance.

use std::collections::BTreeMap;

use anyhow::Context;
use chrono::{DateTime, Utc};
use sea_orm::DatabaseTransaction;
use uuid::Uuid;

use super::{SigningError, images::image_of, sign_file, signed_version, signer_of};
use crate::{
    domain::{InvalidInput, document::Document},
    signing::{
        appearance::{AppearanceError, AttachmentPages, Look},
        pades::{PadesError, SignatureInfo},
    },
    state::AppState,
    store::{
        self,
        signing::{Owner, SignatureKind, SignatureRecord},
    },
};

/// Adds the organisation's seal (its own signature) to the main PDF and each appendix at
/// issuance, within the issuing transaction `txn`; the seal's signature on the main PDF also
/// stamps the first page of each attachment bound into it (`attachments`). An organisation
/// without a seal certificate cannot issue: the rules on electronic documents ask for both the
/// signer's and the organisation's signature.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn seal(
    state: &AppState,
    txn: &DatabaseTransaction,
    document: &Document,
    clerk: Uuid,
    organization_name: &str,
    symbol: &str,
    attachments: &AttachmentPages,
    now: DateTime<Utc>,
) -> Result<SignatureRecord, SigningError> {
    let owner = Owner::Organization(document.organization_id);
    let credential = store::signing::current_credential(txn, owner)
        .await
        .context("loading the seal credential")?
        .filter(|c| c.certificate_pem.is_some())
        .ok_or(SigningError::NoSealCredential)?;
    let signer = signer_of(&credential)?;
    // The newest version of each file: the main PDF and its appendices.
    let mut current = BTreeMap::new();
    for file in store::documents::files(txn, document.id)
        .await
        .context("loading the files")?
    {
        let newest = current.entry(file.slot).or_insert_with(|| file.clone());
        if file.version > newest.version {
            *newest = file;
        }
    }
    // Without an uploaded seal image the seal is signed all the same, unseen.
    let seal_look = image_of(&credential).await?.map(|image| Look::Seal {
        image,
        organization: organization_name.to_owned(),
        signed_at: now,
    });
    let mut main_seal = None;
    let stamp = |page| Look::Stamp {
        reference: symbol.to_owned(),
        signed_at: now,
        page,
    };
    // The main PDF carries the seal beside the leader's signature and, as the same signature's
    // widgets, the stamps of the attachments bound into it (the decree has them signed only
    // with the document); each appendix (a file of its own) is signed too, with the stamp
    // naming the document it belongs to.
    for (slot, file) in current {
        let looks: Vec<Look> = if slot == 0 {
            seal_look
                .iter()
                .cloned()
                .chain(attachments.pages().iter().map(|p| stamp(*p)))
                .collect()
        } else {
            vec![stamp(1)]
        };
        let info = SignatureInfo {
            signer_name: organization_name.to_owned(),
            reason: Some(format!("Phát hành văn bản số {symbol}")),
            location: None,
            signing_time: now,
        };
        let signed = sign_file(state, &file, &signer, info, looks)
            .await
            .map_err(|e| match e {
                SigningError::Pdf(PadesError::Appearance(AppearanceError::NoSuchPage(
                    page,
                    of,
                ))) if slot == 0 && attachments.pages().contains(&page) => InvalidInput::new(
                    "attachment_pages",
                    format!("page {page} is not in the main PDF, which has {of} pages"),
                )
                .into(),
                other => other,
            })?;
        let new_file = signed_version(txn, &file, &signed.stored, clerk, now).await?;
        let signature = SignatureRecord {
            id: Uuid::now_v7(),
            document_id: document.id,
            file_id: new_file.id,
            kind: SignatureKind::Seal,
            user_id: None,
            organization_id: document.organization_id,
            credential_id: credential.id,
            signed_at: now,
            timestamped: signed.timestamped,
        };
        store::signing::insert_signature(txn, &signature)
            .await
            .context("recording the seal")?;
        if slot == 0 {
            main_seal = Some(signature);
        }
    }
    Ok(main_seal.context("a document without its main file")?)
}
