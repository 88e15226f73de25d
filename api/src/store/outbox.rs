//! The push outbox: rows written with the change they announce, claimed by a sender under a
//! lease ([`super::leased`]), and finished with what FCM answered.

use chrono::{DateTime, Utc};
use entity::push_outbox::{self, Column, Entity as Outbox};
use sea_orm::{ConnectionTrait, DbErr, EntityTrait, Set};
use uuid::Uuid;

use super::leased::{self, LeasedTable};

/// Where a row stands. Only `queued` rows are ever claimed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Queued,
    Sent,
    /// The session ended or lost its token before the push went out.
    Dropped,
    /// FCM said the token is dead; it has been cleared from the device.
    DeadToken,
    GivenUp,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => leased::QUEUED,
            Self::Sent => "sent",
            Self::Dropped => "dropped",
            Self::DeadToken => "dead_token",
            Self::GivenUp => leased::GIVEN_UP,
        }
    }
}

pub struct NewPush {
    pub id: Uuid,
    pub user_id: Uuid,
    pub session_id: Uuid,
    pub kind: String,
    pub document_id: Uuid,
    pub task_id: Uuid,
    pub message: String,
}

pub async fn insert(
    db: &impl ConnectionTrait,
    rows: Vec<NewPush>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let models = rows.into_iter().map(|r| push_outbox::ActiveModel {
        id: Set(r.id),
        user_id: Set(r.user_id),
        session_id: Set(r.session_id),
        kind: Set(r.kind),
        document_id: Set(r.document_id),
        task_id: Set(r.task_id),
        message: Set(r.message),
        status: Set(Status::Queued.as_str().to_owned()),
        attempts: Set(0),
        due_at: Set(now),
        claim_id: Set(None),
        fcm_name: Set(None),
        last_error: Set(None),
        created_at: Set(now),
        finished_at: Set(None),
    });
    Outbox::insert_many(models).exec(db).await?;
    Ok(())
}

impl LeasedTable for Outbox {
    const ID: Column = Column::Id;
    const STATUS: Column = Column::Status;
    const DUE_AT: Column = Column::DueAt;
    const CLAIM_ID: Column = Column::ClaimId;
    const ATTEMPTS: Column = Column::Attempts;
    const LAST_ERROR: Column = Column::LastError;
    const FINISHED_AT: Column = Column::FinishedAt;

    fn id(row: &push_outbox::Model) -> Uuid {
        row.id
    }

    fn attempts(row: &push_outbox::Model) -> i32 {
        row.attempts
    }
}
