//! Recipients of outgoing documents and their deliveries.

use entity::recipient::{self, Entity as Recipients};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    Set,
};
use uuid::Uuid;

use super::corrupt;
use crate::domain::exchange::{Addressee, DeliveryStatus, Recipient};

/// Replaces the recipients of `document` (before it is sent) with `addressees`, in order, each
/// with the name printed for it.
pub async fn replace(
    db: &impl ConnectionTrait,
    document: Uuid,
    addressees: &[(Addressee, String)],
) -> Result<Vec<Recipient>, DbErr> {
    Recipients::delete_many()
        .filter(recipient::Column::DocumentId.eq(document))
        .exec(db)
        .await?;
    let mut out = Vec::with_capacity(addressees.len());
    for (position, (addressee, name)) in (0..).zip(addressees) {
        let (organization_id, agency_code) = match addressee {
            Addressee::Local(id) => (Some(*id), None),
            Addressee::External(code) => (None, Some(code.as_str().to_owned())),
        };
        let model = recipient::ActiveModel {
            id: Set(Uuid::now_v7()),
            document_id: Set(document),
            position: Set(position),
            organization_id: Set(organization_id),
            agency_code: Set(agency_code),
            name: Set(name.clone()),
            status: Set(None),
            reason: Set(None),
            incoming_document_id: Set(None),
            sent_at: Set(None),
            updated_at: Set(None),
        }
        .insert(db)
        .await?;
        out.push(to_domain(model)?);
    }
    Ok(out)
}

/// The recipients of `document`, in the order written.
pub async fn of_document(
    db: &impl ConnectionTrait,
    document: Uuid,
) -> Result<Vec<Recipient>, DbErr> {
    Recipients::find()
        .filter(recipient::Column::DocumentId.eq(document))
        .order_by_asc(recipient::Column::Position)
        .all(db)
        .await?
        .into_iter()
        .map(to_domain)
        .collect()
}

fn to_domain(m: recipient::Model) -> Result<Recipient, DbErr> {
    Ok(Recipient {
        status: m
            .status
            .as_deref()
            .map(|s| DeliveryStatus::parse(s).map_err(|_| corrupt("delivery status", s)))
            .transpose()?,
        id: m.id,
        document_id: m.document_id,
        position: m.position,
        organization_id: m.organization_id,
        agency_code: m.agency_code,
        name: m.name,
        reason: m.reason,
        incoming_document_id: m.incoming_document_id,
        sent_at: m.sent_at,
        updated_at: m.updated_at,
    })
}
