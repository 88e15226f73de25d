//! Recipients of outgoing documents and their deliveries.

use chrono::{DateTime, Utc};
use entity::{
    delivery_event::{self, Entity as Events},
    recipient::{self, Entity as Recipients},
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    Set,
    sea_query::{Expr, SimpleExpr},
};
use uuid::Uuid;

use super::corrupt;
use crate::domain::exchange::{Addressee, DeliveryEvent, DeliveryStatus, Recipient};

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
            recall: Set(None),
            recall_reason: Set(None),
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

/// Marks `recipient` sent, with the copy a recipient on this server received and its first
/// status (01 there and then). Only once: false when another send got there first.
pub async fn mark_sent(
    db: &impl ConnectionTrait,
    recipient: Uuid,
    incoming: Option<Uuid>,
    arrived: Option<DeliveryStatus>,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let done = Recipients::update_many()
        .col_expr(recipient::Column::SentAt, Expr::value(now))
        .col_expr(recipient::Column::IncomingDocumentId, Expr::value(incoming))
        .filter(recipient::Column::Id.eq(recipient))
        .filter(recipient::Column::SentAt.is_null())
        .exec(db)
        .await?;
    if done.rows_affected != 1 {
        return Ok(false);
    }
    if let Some(status) = arrived {
        report(db, recipient, status, None, now).await?;
    }
    Ok(true)
}

/// Records what a recipient reported (or, for a recall, what the sender asked), if it counts
/// ([`DeliveryStatus::counts`]: reports come late, twice or out of order); the history keeps
/// every report that counted. Answers the recipient as it now is, or `None` when the report
/// changed nothing.
pub async fn report(
    db: &impl ConnectionTrait,
    recipient: Uuid,
    status: DeliveryStatus,
    reason: Option<String>,
    now: DateTime<Utc>,
) -> Result<Option<Recipient>, DbErr> {
    let Some(current) = Recipients::find_by_id(recipient).one(db).await? else {
        return Ok(None);
    };
    let current = to_domain(current)?;
    if current.sent_at.is_none() || !DeliveryStatus::counts(current.status, current.recall, status)
    {
        return Ok(None);
    }
    let (column, reason_column) = match status.is_recall() {
        true => (recipient::Column::Recall, recipient::Column::RecallReason),
        false => (recipient::Column::Status, recipient::Column::Reason),
    };
    // Written only over the progress and recall just read: of two reports racing (a clerk
    // registering as the sender recalls), one moves it.
    let done = Recipients::update_many()
        .col_expr(column, Expr::value(status.code()))
        .col_expr(reason_column, Expr::value(reason.clone()))
        .col_expr(recipient::Column::UpdatedAt, Expr::value(now))
        .filter(recipient::Column::Id.eq(recipient))
        .filter(unchanged(recipient::Column::Status, current.status))
        .filter(unchanged(recipient::Column::Recall, current.recall))
        .exec(db)
        .await?;
    if done.rows_affected != 1 {
        return Ok(None);
    }
    delivery_event::ActiveModel {
        id: Set(Uuid::now_v7()),
        recipient_id: Set(recipient),
        status: Set(status.code().to_owned()),
        reason: Set(reason.clone()),
        at: Set(now),
    }
    .insert(db)
    .await?;
    let mut moved = Recipient {
        updated_at: Some(now),
        ..current
    };
    if status.is_recall() {
        moved.recall = Some(status);
        moved.recall_reason = reason;
    } else {
        moved.status = Some(status);
        moved.reason = reason;
    }
    Ok(Some(moved))
}

/// `column` still holds `code`.
fn unchanged(column: recipient::Column, code: Option<DeliveryStatus>) -> SimpleExpr {
    match code {
        Some(s) => column.eq(s.code()),
        None => column.is_null(),
    }
}

/// The delivery whose copy is `incoming`: how a recipient on this server reports back.
pub async fn of_incoming(
    db: &impl ConnectionTrait,
    incoming: Uuid,
) -> Result<Option<Recipient>, DbErr> {
    Recipients::find()
        .filter(recipient::Column::IncomingDocumentId.eq(incoming))
        .one(db)
        .await?
        .map(to_domain)
        .transpose()
}

/// Every report that counted for the recipients of `document`, oldest first.
pub async fn history(
    db: &impl ConnectionTrait,
    document: Uuid,
) -> Result<Vec<DeliveryEvent>, DbErr> {
    Events::find()
        .inner_join(Recipients)
        .filter(recipient::Column::DocumentId.eq(document))
        .order_by_asc(delivery_event::Column::At)
        .order_by_asc(delivery_event::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|e| {
            Ok(DeliveryEvent {
                status: DeliveryStatus::parse(&e.status)
                    .map_err(|_| corrupt("delivery status", &e.status))?,
                recipient: e.recipient_id,
                reason: e.reason,
                at: e.at,
            })
        })
        .collect()
}

/// A stored status code, if any.
pub(super) fn code(raw: Option<&str>) -> Result<Option<DeliveryStatus>, DbErr> {
    raw.map(|s| DeliveryStatus::parse(s).map_err(|_| corrupt("delivery status", s)))
        .transpose()
}

fn to_domain(m: recipient::Model) -> Result<Recipient, DbErr> {
    Ok(Recipient {
        status: code(m.status.as_deref())?,
        recall: code(m.recall.as_deref())?,
        recall_reason: m.recall_reason,
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
