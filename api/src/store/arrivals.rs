//! Where incoming documents came from when another organisation sent them.

use chrono::{DateTime, Utc};
use entity::arrival::{self, Entity as Arrivals};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set,
    sea_query::Expr,
};
use uuid::Uuid;

use super::corrupt;
use crate::domain::exchange::{Arrival, DeliveryStatus, Route};

pub struct NewArrival {
    pub document_id: Uuid,
    pub organization_id: Uuid,
    pub sender_code: String,
    pub sender_document_id: String,
    pub route: Route,
    pub axis_doc_id: Option<String>,
}

pub async fn insert(
    db: &impl ConnectionTrait,
    new: NewArrival,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    arrival::ActiveModel {
        document_id: Set(new.document_id),
        organization_id: Set(new.organization_id),
        sender_code: Set(new.sender_code),
        sender_document_id: Set(new.sender_document_id),
        route: Set(new.route.as_str().to_owned()),
        axis_doc_id: Set(new.axis_doc_id),
        signatures_valid: Set(None),
        arrived_at: Set(now),
        recall: Set(None),
        recall_reason: Set(None),
    }
    .insert(db)
    .await?;
    Ok(())
}

pub async fn of_document(
    db: &impl ConnectionTrait,
    document: Uuid,
) -> Result<Option<Arrival>, DbErr> {
    let Some(a) = Arrivals::find_by_id(document).one(db).await? else {
        return Ok(None);
    };
    Ok(Some(Arrival {
        route: Route::parse(&a.route).map_err(|_| corrupt("route", &a.route))?,
        sender_code: a.sender_code,
        sender_document_id: a.sender_document_id,
        arrived_at: a.arrived_at,
        signatures_valid: a.signatures_valid,
        recall: super::deliveries::code(a.recall.as_deref())?,
        recall_reason: a.recall_reason,
    }))
}

/// The document `organization` already received as `sender_document_id` from `sender_code`.
pub async fn find(
    db: &impl ConnectionTrait,
    organization: Uuid,
    sender_code: &str,
    sender_document_id: &str,
) -> Result<Option<Uuid>, DbErr> {
    Ok(Arrivals::find()
        .filter(arrival::Column::OrganizationId.eq(organization))
        .filter(arrival::Column::SenderCode.eq(sender_code))
        .filter(arrival::Column::SenderDocumentId.eq(sender_document_id))
        .one(db)
        .await?
        .map(|a| a.document_id))
}

/// Records whether every signature of the arrived document's main PDF holds.
pub async fn set_signatures_valid(
    db: &impl ConnectionTrait,
    document: Uuid,
    valid: bool,
) -> Result<(), DbErr> {
    Arrivals::update_many()
        .col_expr(arrival::Column::SignaturesValid, Expr::value(valid))
        .filter(arrival::Column::DocumentId.eq(document))
        .exec(db)
        .await?;
    Ok(())
}

/// Every document of this server that arrived from `sender_code` as `sender_document_id`, for
/// whichever organisation here received it.
pub async fn all_of(
    db: &impl ConnectionTrait,
    sender_code: &str,
    sender_document_id: &str,
) -> Result<Vec<Uuid>, DbErr> {
    Ok(Arrivals::find()
        .filter(arrival::Column::SenderCode.eq(sender_code))
        .filter(arrival::Column::SenderDocumentId.eq(sender_document_id))
        .all(db)
        .await?
        .into_iter()
        .map(|a| a.document_id)
        .collect())
}

/// Moves the recall of the arrived `document` to `to` if it is still `from`; whether it did,
/// so of two clerks answering at once one does.
pub async fn set_recall(
    db: &impl ConnectionTrait,
    document: Uuid,
    from: Option<DeliveryStatus>,
    to: DeliveryStatus,
    reason: Option<String>,
) -> Result<bool, DbErr> {
    let mut update = Arrivals::update_many()
        .col_expr(arrival::Column::Recall, Expr::value(to.code()))
        .filter(arrival::Column::DocumentId.eq(document));
    if let Some(reason) = reason {
        update = update.col_expr(arrival::Column::RecallReason, Expr::value(reason));
    }
    let update = match from {
        Some(s) => update.filter(arrival::Column::Recall.eq(s.code())),
        None => update.filter(arrival::Column::Recall.is_null()),
    };
    Ok(update.exec(db).await?.rows_affected == 1)
}
