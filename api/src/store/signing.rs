//! Signing credentials, PINs, signing requests and the signatures made.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::{signature, signing_credential, signing_pin, signing_request};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    ExprTrait, QueryFilter, QueryOrder, QuerySelect, sea_query::Expr,
};
use uuid::Uuid;

use super::corrupt;
use crate::signing::{
    KeyAlgorithm,
    appearance::{Position, Rect},
};

/// Whose key: a person's signature or an organisation's seal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    User(Uuid),
    Organization(Uuid),
}

#[derive(Debug, Clone)]
pub struct Credential {
    pub id: Uuid,
    pub owner: Owner,
    pub key_label: String,
    pub algorithm: KeyAlgorithm,
    pub csr_pem: String,
    pub certificate_pem: Option<String>,
    pub chain_pem: Option<String>,
    pub created_at: DateTime<Utc>,
    /// The handwritten signature or the seal shown on the page: a PNG checked at upload.
    pub image_png: Option<Vec<u8>>,
}

pub async fn insert_credential(db: &impl ConnectionTrait, c: &Credential) -> Result<(), DbErr> {
    let (user_id, organization_id) = match c.owner {
        Owner::User(id) => (Some(id), None),
        Owner::Organization(id) => (None, Some(id)),
    };
    signing_credential::ActiveModel {
        id: Set(c.id),
        user_id: Set(user_id),
        organization_id: Set(organization_id),
        key_label: Set(c.key_label.clone()),
        algorithm: Set(c.algorithm.as_str().to_owned()),
        csr_pem: Set(c.csr_pem.clone()),
        certificate_pem: Set(c.certificate_pem.clone()),
        chain_pem: Set(c.chain_pem.clone()),
        created_at: Set(c.created_at),
        image_png: Set(c.image_png.clone()),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// The owner's newest credential: provisioning again replaces the key.
pub async fn current_credential(
    db: &impl ConnectionTrait,
    owner: Owner,
) -> Result<Option<Credential>, DbErr> {
    let filter = match owner {
        Owner::User(id) => signing_credential::Column::UserId.eq(id),
        Owner::Organization(id) => signing_credential::Column::OrganizationId.eq(id),
    };
    signing_credential::Entity::find()
        .filter(filter)
        .order_by_desc(signing_credential::Column::CreatedAt)
        .order_by_desc(signing_credential::Column::Id)
        .one(db)
        .await?
        .map(credential_to_domain)
        .transpose()
}

/// For each of `orgs` with a seal key: whether its newest key has its certificate.
pub async fn seals(db: &impl ConnectionTrait, orgs: &[Uuid]) -> Result<HashMap<Uuid, bool>, DbErr> {
    let rows: Vec<(Option<Uuid>, Option<String>)> = signing_credential::Entity::find()
        .filter(signing_credential::Column::OrganizationId.is_in(orgs.iter().copied()))
        .order_by_asc(signing_credential::Column::CreatedAt)
        .order_by_asc(signing_credential::Column::Id)
        .select_only()
        .column(signing_credential::Column::OrganizationId)
        .column(signing_credential::Column::CertificatePem)
        .into_tuple()
        .all(db)
        .await?;
    // Oldest first, so each organisation ends with its newest key's state.
    Ok(rows
        .into_iter()
        .filter_map(|(org, cert)| Some((org?, cert.is_some())))
        .collect())
}

pub async fn set_certificate(
    db: &impl ConnectionTrait,
    id: Uuid,
    certificate_pem: String,
    chain_pem: Option<String>,
) -> Result<(), DbErr> {
    signing_credential::ActiveModel {
        id: Set(id),
        certificate_pem: Set(Some(certificate_pem)),
        chain_pem: Set(chain_pem),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(())
}

pub async fn set_image(db: &impl ConnectionTrait, id: Uuid, png: Vec<u8>) -> Result<(), DbErr> {
    signing_credential::ActiveModel {
        id: Set(id),
        image_png: Set(Some(png)),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(())
}

fn credential_to_domain(m: signing_credential::Model) -> Result<Credential, DbErr> {
    let owner = match (m.user_id, m.organization_id) {
        (Some(user), None) => Owner::User(user),
        (None, Some(org)) => Owner::Organization(org),
        _ => return Err(corrupt("credential owner", &m.id.to_string())),
    };
    Ok(Credential {
        id: m.id,
        owner,
        algorithm: KeyAlgorithm::parse(&m.algorithm)
            .ok_or_else(|| corrupt("key algorithm", &m.algorithm))?,
        key_label: m.key_label,
        csr_pem: m.csr_pem,
        certificate_pem: m.certificate_pem,
        chain_pem: m.chain_pem,
        created_at: m.created_at,
        image_png: m.image_png,
    })
}

/// A PIN hash and the wrong PINs entered since the last right one.
pub async fn pin(db: &impl ConnectionTrait, user: Uuid) -> Result<Option<(String, u32)>, DbErr> {
    Ok(signing_pin::Entity::find_by_id(user)
        .one(db)
        .await?
        .map(|m| (m.pin_hash, u32::try_from(m.failures).unwrap_or(0))))
}

/// Sets the PIN hash. The count of wrong PINs is kept: a new PIN never lifts a lock.
pub async fn set_pin(
    db: &impl ConnectionTrait,
    user: Uuid,
    hash: String,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let updated = signing_pin::Entity::update_many()
        .col_expr(signing_pin::Column::PinHash, Expr::value(hash.clone()))
        .col_expr(signing_pin::Column::UpdatedAt, Expr::value(now))
        .filter(signing_pin::Column::UserId.eq(user))
        .exec(db)
        .await?;
    if updated.rows_affected == 0 {
        signing_pin::ActiveModel {
            user_id: Set(user),
            pin_hash: Set(hash),
            failures: Set(0),
            updated_at: Set(now),
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

/// An admin's reset of a forgotten or locked PIN: the leader then sets a new one.
pub async fn delete_pin(db: &impl ConnectionTrait, user: Uuid) -> Result<(), DbErr> {
    signing_pin::Entity::delete_by_id(user).exec(db).await?;
    Ok(())
}

pub enum PinAttempt {
    /// An attempt is reserved: `failures` counts it, as if it were wrong.
    Reserved {
        hash: String,
        failures: u32,
    },
    Locked,
    NotSet,
}

/// Reserves one attempt before the PIN is checked, atomically: of any number of concurrent
/// guesses, no more than `max` are ever checked. A right PIN then clears the count.
pub async fn reserve_pin_attempt(
    db: &impl ConnectionTrait,
    user: Uuid,
    max: u32,
) -> Result<PinAttempt, DbErr> {
    // RETURNING gives this attempt's own count, whatever others reserve at the same time.
    let reserved = signing_pin::Entity::update_many()
        .col_expr(
            signing_pin::Column::Failures,
            Expr::col(signing_pin::Column::Failures).add(1),
        )
        .filter(signing_pin::Column::UserId.eq(user))
        .filter(signing_pin::Column::Failures.lt(i32::try_from(max).unwrap_or(i32::MAX)))
        .exec_with_returning(db)
        .await?;
    if let Some(m) = reserved.into_iter().next() {
        let failures = u32::try_from(m.failures).unwrap_or(0);
        return Ok(PinAttempt::Reserved {
            hash: m.pin_hash,
            failures,
        });
    }
    Ok(match pin(db, user).await? {
        None => PinAttempt::NotSet,
        Some(_) => PinAttempt::Locked,
    })
}

/// Gives back a reserved attempt whose check could not be made (the server was busy).
pub async fn release_pin_attempt(db: &impl ConnectionTrait, user: Uuid) -> Result<(), DbErr> {
    signing_pin::Entity::update_many()
        .col_expr(
            signing_pin::Column::Failures,
            Expr::col(signing_pin::Column::Failures).sub(1),
        )
        .filter(signing_pin::Column::UserId.eq(user))
        .filter(signing_pin::Column::Failures.gt(0))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn reset_pin_failures(db: &impl ConnectionTrait, user: Uuid) -> Result<(), DbErr> {
    signing_pin::Entity::update_many()
        .col_expr(signing_pin::Column::Failures, Expr::value(0))
        .filter(signing_pin::Column::UserId.eq(user))
        .exec(db)
        .await?;
    Ok(())
}

#[derive(Debug, Clone)]
pub struct SigningRequest {
    pub id: Uuid,
    pub task_id: Uuid,
    pub document_id: Uuid,
    pub file_id: Uuid,
    pub file_sha256: String,
    pub user_id: Uuid,
    pub session_id: Uuid,
    pub reason: Option<String>,
    pub location: Option<String>,
    pub expires_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub signature_id: Option<Uuid>,
    /// Where the app asked the visible signature to go; the default place without one.
    pub position: Option<Position>,
}

pub async fn insert_request(db: &impl ConnectionTrait, r: &SigningRequest) -> Result<(), DbErr> {
    signing_request::ActiveModel {
        id: Set(r.id),
        task_id: Set(r.task_id),
        document_id: Set(r.document_id),
        file_id: Set(r.file_id),
        file_sha256: Set(r.file_sha256.clone()),
        user_id: Set(r.user_id),
        session_id: Set(r.session_id),
        reason: Set(r.reason.clone()),
        location: Set(r.location.clone()),
        expires_at: Set(r.expires_at),
        created_at: Set(r.created_at),
        signature_id: Set(r.signature_id),
        position_page: Set(r
            .position
            .map(|p| i32::try_from(p.page).unwrap_or(i32::MAX))),
        position_x: Set(r.position.map(|p| f64::from(p.rect.x))),
        position_y: Set(r.position.map(|p| f64::from(p.rect.y))),
        position_width: Set(r.position.map(|p| f64::from(p.rect.width))),
        position_height: Set(r.position.map(|p| f64::from(p.rect.height))),
    }
    .insert(db)
    .await?;
    Ok(())
}

pub async fn find_request(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<SigningRequest>, DbErr> {
    Ok(signing_request::Entity::find_by_id(id)
        .one(db)
        .await?
        .map(|m| SigningRequest {
            position: position_of(&m),
            id: m.id,
            task_id: m.task_id,
            document_id: m.document_id,
            file_id: m.file_id,
            file_sha256: m.file_sha256,
            user_id: m.user_id,
            session_id: m.session_id,
            reason: m.reason,
            location: m.location,
            expires_at: m.expires_at,
            created_at: m.created_at,
            signature_id: m.signature_id,
        }))
}

fn position_of(m: &signing_request::Model) -> Option<Position> {
    Some(Position {
        page: u32::try_from(m.position_page?).ok()?,
        rect: Rect {
            x: m.position_x? as f32,
            y: m.position_y? as f32,
            width: m.position_width? as f32,
            height: m.position_height? as f32,
        },
    })
}

/// Marks the request signed, only if it was not already: `false` means another confirm won.
pub async fn complete_request(
    db: &impl ConnectionTrait,
    id: Uuid,
    signature: Uuid,
) -> Result<bool, DbErr> {
    let done = signing_request::Entity::update_many()
        .col_expr(signing_request::Column::SignatureId, Expr::value(signature))
        .filter(signing_request::Column::Id.eq(id))
        .filter(signing_request::Column::SignatureId.is_null())
        .exec(db)
        .await?;
    Ok(done.rows_affected == 1)
}

/// `signer` (a leader's) or `seal` (the organisation's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureKind {
    Signer,
    Seal,
}

impl SignatureKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SignatureKind::Signer => "signer",
            SignatureKind::Seal => "seal",
        }
    }
}

#[derive(Debug, Clone)]
pub struct SignatureRecord {
    pub id: Uuid,
    pub document_id: Uuid,
    pub file_id: Uuid,
    pub kind: SignatureKind,
    pub user_id: Option<Uuid>,
    pub organization_id: Uuid,
    pub credential_id: Uuid,
    pub signed_at: DateTime<Utc>,
    /// It carries a trusted timestamp (PAdES B-T).
    pub timestamped: bool,
}

pub async fn insert_signature(db: &impl ConnectionTrait, s: &SignatureRecord) -> Result<(), DbErr> {
    signature::ActiveModel {
        id: Set(s.id),
        document_id: Set(s.document_id),
        file_id: Set(s.file_id),
        kind: Set(s.kind.as_str().to_owned()),
        user_id: Set(s.user_id),
        organization_id: Set(s.organization_id),
        credential_id: Set(s.credential_id),
        signed_at: Set(s.signed_at),
        timestamped: Set(s.timestamped),
    }
    .insert(db)
    .await?;
    Ok(())
}

pub async fn find_signature(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<SignatureRecord>, DbErr> {
    signature::Entity::find_by_id(id)
        .one(db)
        .await?
        .map(signature_record)
        .transpose()
}

/// The signatures made into a document's files, oldest first.
pub async fn signatures_of(
    db: &impl ConnectionTrait,
    document: Uuid,
) -> Result<Vec<SignatureRecord>, DbErr> {
    signature::Entity::find()
        .filter(signature::Column::DocumentId.eq(document))
        .order_by_asc(signature::Column::SignedAt)
        .all(db)
        .await?
        .into_iter()
        .map(signature_record)
        .collect()
}

fn signature_record(m: signature::Model) -> Result<SignatureRecord, DbErr> {
    Ok(SignatureRecord {
        id: m.id,
        document_id: m.document_id,
        file_id: m.file_id,
        kind: match m.kind.as_str() {
            "signer" => SignatureKind::Signer,
            "seal" => SignatureKind::Seal,
            other => return Err(corrupt("signature kind", other)),
        },
        user_id: m.user_id,
        organization_id: m.organization_id,
        credential_id: m.credential_id,
        signed_at: m.signed_at,
        timestamped: m.timestamped,
    })
}
