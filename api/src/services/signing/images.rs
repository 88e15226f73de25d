//! The images signatures show: a person's handwritten signature and an organisation's seal,
//! kept with the signing credential they go with.

use anyhow::Context;
use sea_orm::TransactionTrait;
use uuid::Uuid;

use super::SigningError;
use crate::{
    domain::audit::{AuditAction, NewEntry},
    services::{
        Principal,
        admin::{self, AdminError},
        audit,
    },
    signing::images::Png,
    state::AppState,
    store::{
        self,
        signing::{Credential, Owner},
    },
};

/// A seal is printed at its real size: official seals are 30 to 50 mm across; the range is
/// wider so a resolution rounded in an image editor still passes.
const SEAL_WIDTH_MM: (u32, u32) = (20, 60);

/// Whose image is set.
#[derive(Debug, Clone, Copy)]
pub enum ImageOf {
    /// The caller's own signature.
    Me,
    /// A person's signature, by an admin.
    User(Uuid),
    /// An organisation's seal, by an admin.
    Organization(Uuid),
}

/// Checks `png` and keeps it with the owner's current credential, for the signatures made from
/// now on.
pub async fn set_image(
    state: &AppState,
    who: Principal,
    of: ImageOf,
    png: Vec<u8>,
) -> Result<(), SigningError> {
    let (owner, entry) = match of {
        ImageOf::Me => {
            let user = store::users::find(&state.db, who.user_id)
                .await
                .context("loading the account")?
                .context("the caller's account no longer exists")?;
            let entry = NewEntry::new(who, AuditAction::SignatureImageSet, user.organization_id)
                .subject(user.id);
            (Owner::User(user.id), entry)
        }
        ImageOf::User(id) => {
            let admin = admin::authorize(state, who).await?;
            let user = admin::managed_user(state, &admin, id).await?;
            let entry = admin
                .audit(AuditAction::SignatureImageSet, user.organization_id)
                .subject(user.id);
            (Owner::User(user.id), entry)
        }
        ImageOf::Organization(id) => {
            let admin = admin::authorize(state, who).await?;
            if !admin.manages(id) {
                return Err(AdminError::NotFound("organisation").into());
            }
            let entry = admin
                .audit(AuditAction::SignatureImageSet, id)
                .detail("seal", true);
            (Owner::Organization(id), entry)
        }
    };
    let credential = store::signing::current_credential(&state.db, owner)
        .await
        .context("loading the credential")?
        .ok_or(match owner {
            Owner::User(_) => SigningError::NoCredential,
            Owner::Organization(_) => SigningError::NoSealCredential,
        })?;
    // Decoding a PNG of up to 2000 x 2000 pixels is CPU work: off the async runtime.
    let png = tokio::task::spawn_blocking(move || {
        let image = Png::parse(&png)?;
        if let Owner::Organization(_) = owner {
            image.check_physical_width(SEAL_WIDTH_MM.0, SEAL_WIDTH_MM.1)?;
        }
        Ok::<_, SigningError>(png)
    })
    .await
    .context("checking the image")??;
    let entry = entry
        .detail("credential_id", credential.id.to_string())
        .detail("bytes", png.len());
    let txn = state.db.begin().await.context("starting a transaction")?;
    store::signing::set_image(&txn, credential.id, png)
        .await
        .context("storing the image")?;
    audit::record(state, &txn, entry).await?;
    txn.commit().await.context("committing the image")?;
    tracing::info!(credential_id = %credential.id, "signature image set");
    Ok(())
}

/// The credential's image, decoded for drawing; none uploaded yet is `None`.
pub(super) async fn image_of(credential: &Credential) -> Result<Option<Png>, SigningError> {
    let Some(png) = credential.image_png.clone() else {
        return Ok(None);
    };
    // Checked at upload; decoding is CPU work all the same.
    let image = tokio::task::spawn_blocking(move || Png::parse(&png))
        .await
        .context("decoding the signature image")?
        .context("a stored signature image does not decode")?;
    Ok(Some(image))
}
