//! The exchange outbox: one row per message to hand to the exchange axis, written in the
//! transaction that decides to send it, claimed under a lease ([`super::leased`]) and finished
//! with the axis's id for it. The message's bytes are in file storage, stored before.

use chrono::{DateTime, Utc};
use entity::exchange_outbox::{self, Column, Entity as Outbox};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, Set};
use uuid::Uuid;

use super::leased::{self, LeasedTable};
use crate::{domain::exchange::transport::MessageKind, files::ContentHash};

/// The status of a message the axis took.
pub const SENT: &str = "sent";

/// A message to send, as the sending transaction writes it.
#[derive(Debug, Clone)]
pub struct NewMessage {
    pub kind: MessageKind,
    /// Our agency code on the axis.
    pub from: String,
    /// The recipients' agency codes.
    pub to: Vec<String>,
    /// The .edxml bytes, already in file storage.
    pub message: ContentHash,
    /// The document it carries, or the one a status message reports on.
    pub document_id: Option<Uuid>,
    /// The delivery it makes, when it goes to one recipient.
    pub recipient_id: Option<Uuid>,
    /// When it was queued: the transaction's `now`.
    pub at: DateTime<Utc>,
}

/// Queues `new` in the caller's transaction; its id. After the commit, wake the sender with
/// [`crate::services::exchange::axis::Link::queued`].
pub async fn insert(db: &impl ConnectionTrait, new: NewMessage) -> Result<Uuid, DbErr> {
    let id = Uuid::now_v7();
    let to = serde_json::to_string(&new.to).map_err(|e| DbErr::Custom(e.to_string()))?;
    Outbox::insert(exchange_outbox::ActiveModel {
        id: Set(id),
        kind: Set(new.kind.as_str().to_owned()),
        from_code: Set(new.from),
        to_codes: Set(to),
        message_sha256: Set(new.message.as_str().to_owned()),
        document_id: Set(new.document_id),
        recipient_id: Set(new.recipient_id),
        status: Set(leased::QUEUED.to_owned()),
        attempts: Set(0),
        due_at: Set(new.at),
        claim_id: Set(None),
        axis_doc_id: Set(None),
        last_error: Set(None),
        created_at: Set(new.at),
        finished_at: Set(None),
    })
    .exec_without_returning(db)
    .await?;
    Ok(id)
}

/// Where a queued message stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    pub id: Uuid,
    pub recipient_id: Option<Uuid>,
    /// `queued`, `sent` or `given_up`.
    pub status: String,
    pub attempts: i32,
    pub axis_doc_id: Option<String>,
    pub last_error: Option<String>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// The messages queued for `document`, oldest first.
pub async fn of_document(
    db: &impl ConnectionTrait,
    document: Uuid,
) -> Result<Vec<Progress>, DbErr> {
    Ok(Outbox::find()
        .filter(Column::DocumentId.eq(document))
        .order_by_asc(Column::CreatedAt)
        .all(db)
        .await?
        .into_iter()
        .map(|m| Progress {
            id: m.id,
            recipient_id: m.recipient_id,
            status: m.status,
            attempts: m.attempts,
            axis_doc_id: m.axis_doc_id,
            last_error: m.last_error,
            finished_at: m.finished_at,
        })
        .collect())
}

impl LeasedTable for Outbox {
    const ID: Column = Column::Id;
    const STATUS: Column = Column::Status;
    const DUE_AT: Column = Column::DueAt;
    const CLAIM_ID: Column = Column::ClaimId;
    const ATTEMPTS: Column = Column::Attempts;
    const LAST_ERROR: Column = Column::LastError;
    const FINISHED_AT: Column = Column::FinishedAt;

    fn id(row: &exchange_outbox::Model) -> Uuid {
        row.id
    }

    fn attempts(row: &exchange_outbox::Model) -> i32 {
        row.attempts
    }
}
