//! Signing keys in the HSM and their certificates, for leaders and for organisations' seals.

use anyhow::Context;
use sea_orm::TransactionTrait;
use uuid::Uuid;
use x509_cert::Certificate;

use super::{SigningError, pem};
use crate::{
    domain::{
        InvalidInput,
        audit::{AuditAction, NewEntry},
    },
    services::{
        Principal,
        admin::{self, AdminError},
        audit,
    },
    signing::{KeyAlgorithm, ca},
    state::AppState,
    store::{
        self,
        signing::{Credential, Owner},
    },
};

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
    let entry = admin
        .audit(AuditAction::SigningKeyProvisioned, user.organization_id)
        .subject(user.id);
    let credential = provision(state, Owner::User(user.id), algorithm, subject, entry).await?;
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
    let entry = admin
        .audit(AuditAction::SigningKeyProvisioned, organization_id)
        .detail("seal", true);
    let credential = provision(
        state,
        Owner::Organization(organization_id),
        algorithm,
        subject,
        entry,
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
    entry: NewEntry,
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
    // A new key keeps the image the signatures show.
    let image_png = store::signing::current_credential(&state.db, owner)
        .await
        .context("loading the credential")?
        .and_then(|c| c.image_png);
    let credential = Credential {
        id,
        owner,
        key_label,
        algorithm,
        csr_pem,
        certificate_pem,
        chain_pem,
        created_at: now,
        image_png,
    };
    let entry = entry
        .detail("credential_id", credential.id.to_string())
        .detail("algorithm", format!("{algorithm:?}"));
    let txn = state.db.begin().await.context("starting a transaction")?;
    store::signing::insert_credential(&txn, &credential)
        .await
        .context("recording the credential")?;
    audit::record(state, &txn, entry).await?;
    txn.commit().await.context("committing the credential")?;
    Ok(credential)
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
    let entry = admin
        .audit(
            AuditAction::SigningCertificateInstalled,
            user.organization_id,
        )
        .subject(user.id)
        .detail("credential_id", credential.id.to_string())
        .detail(
            "certificate_serial",
            hex::encode(leaf.tbs_certificate.serial_number.as_bytes()),
        );
    let txn = state.db.begin().await.context("starting a transaction")?;
    store::signing::set_certificate(
        &txn,
        credential.id,
        leaf_pem.clone(),
        (!chain_pem.is_empty()).then_some(chain_pem.clone()),
    )
    .await
    .context("installing the certificate")?;
    audit::record(state, &txn, entry).await?;
    txn.commit().await.context("committing the certificate")?;
    tracing::info!(admin = %admin.user.id, %user_id, "signing certificate installed");
    Ok(Credential {
        certificate_pem: Some(leaf_pem),
        chain_pem: (!chain_pem.is_empty()).then_some(chain_pem),
        ..credential
    })
}
