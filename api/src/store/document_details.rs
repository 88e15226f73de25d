//! A document's exchange particulars: signer block, place of issue, free-text places, and an
//! incoming document's issuer code and arrival date.

use entity::document_detail::{self, Entity as Details};
use sea_orm::{ActiveModelTrait, ConnectionTrait, DbErr, EntityTrait, Set};
use uuid::Uuid;

use super::corrupt;
use crate::domain::exchange::{Competence, Particulars, Signer};

/// Writes the particulars of `document`, replacing any it had.
pub async fn save(db: &impl ConnectionTrait, document: Uuid, p: &Particulars) -> Result<(), DbErr> {
    let signer = p.signer.as_ref();
    let places = serde_json::to_string(&p.places).map_err(|e| DbErr::Custom(e.to_string()))?;
    let model = document_detail::ActiveModel {
        document_id: Set(document),
        place_of_issue: Set(p.place_of_issue.clone()),
        signer_competence: Set(signer
            .and_then(|s| s.competence.as_ref())
            .map(|c| c.as_str().to_owned())),
        signer_position: Set(signer.map(|s| s.position.clone())),
        signer_name: Set(signer.map(|s| s.full_name.clone())),
        issuer_code: Set(p.issuer_code.clone()),
        received_on: Set(p.received_on),
        places: Set(places),
    };
    Details::delete_by_id(document).exec(db).await?;
    model.insert(db).await?;
    Ok(())
}

/// The particulars of `document`; empty ones when none were written.
pub async fn find(db: &impl ConnectionTrait, document: Uuid) -> Result<Particulars, DbErr> {
    let Some(m) = Details::find_by_id(document).one(db).await? else {
        return Ok(Particulars::default());
    };
    let signer = match (m.signer_position, m.signer_name) {
        (Some(position), Some(full_name)) => Some(Signer {
            competence: m
                .signer_competence
                .map(|c| Competence::parse(&c).map_err(|_| corrupt("competence", &c)))
                .transpose()?,
            position,
            full_name,
        }),
        _ => None,
    };
    Ok(Particulars {
        place_of_issue: m.place_of_issue,
        signer,
        places: serde_json::from_str(&m.places).map_err(|_| corrupt("places", &m.places))?,
        issuer_code: m.issuer_code,
        received_on: m.received_on,
    })
}
