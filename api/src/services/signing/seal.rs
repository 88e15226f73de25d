//! The organisation's seal, signed into an outgoing document at issuance.

use std::collections::BTreeMap;

use anyhow::Context;
use chrono::{DateTime, Utc};
use sea_orm::DatabaseTransaction;
use uuid::Uuid;

use super::{SigningError, images::image_of, sign_file, signed_version, signer_of};
use crate::{
    domain::document::Document,
    signing::{appearance::Look, pades::SignatureInfo},
    state::AppState,
    store::{
        self,
        signing::{Owner, SignatureKind, SignatureRecord},
    },
};

/// Adds the organisation's seal (its own signature) to the main PDF and each appendix at issuance, within the
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
    // The main PDF carries the seal beside the leader's signature; each appendix (a file of
    // its own) is signed too, with the stamp naming the document it belongs to.
    for (slot, file) in current {
        let look = if slot == 0 {
            seal_look.clone()
        } else {
            Some(Look::Stamp {
                reference: symbol.to_owned(),
                signed_at: now,
            })
        };
        let info = SignatureInfo {
            signer_name: organization_name.to_owned(),
            reason: Some(format!("Phát hành văn bản số {symbol}")),
            location: None,
            signing_time: now,
        };
        let signed = sign_file(state, &file, &signer, info, look).await?;
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
