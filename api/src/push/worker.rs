//! The push channel of the shared outbox sender ([`crate::outbox`]): each claimed row goes to
//! the device's current token through FCM, or is dropped when the device's session has ended.

use std::sync::Arc;

use anyhow::Context;
use entity::push_outbox::{Column, Entity as Outbox, Model as Row};
use sea_orm::Value;

use super::fcm::{Fcm, SendOutcome};
use crate::{
    auth::SessionStore,
    clock::Clock,
    outbox::{Attempt, Channel},
    store::outbox::Status,
};

/// The push worker: the shared sender with the push channel.
pub type Worker = crate::outbox::Worker<PushChannel>;

pub struct PushChannel {
    sessions: SessionStore,
    clock: Arc<dyn Clock>,
    fcm: Fcm,
}

impl PushChannel {
    pub fn new(sessions: SessionStore, clock: Arc<dyn Clock>, fcm: Fcm) -> Self {
        Self {
            sessions,
            clock,
            fcm,
        }
    }
}

fn done(status: Status, fcm_name: Option<String>, error: Option<String>) -> Attempt<Outbox> {
    Attempt::Done {
        status: status.as_str(),
        set: vec![(Column::FcmName, Value::from(fcm_name))],
        error,
    }
}

#[async_trait::async_trait]
impl Channel for PushChannel {
    type Table = Outbox;
    const NAME: &'static str = "push";

    async fn deliver(&self, row: &Row) -> anyhow::Result<Attempt<Outbox>> {
        let session = self
            .sessions
            .get(row.session_id)
            .await
            .context("reading the device's session")?;
        // A revoked or logged-out device gets nothing, even what was queued for it before.
        let token = match session {
            Some(s) if s.user_id == row.user_id => s.push_token,
            _ => None,
        };
        let Some(token) = token else {
            metrics::counter!("push_dropped_total").increment(1);
            return Ok(done(Status::Dropped, None, None));
        };
        let mut message: serde_json::Value = match serde_json::from_str(&row.message) {
            Ok(m) => m,
            // Retrying cannot mend it; without this it would come back with every lease.
            Err(e) => return Ok(Attempt::GiveUp(format!("stored message: {e}"))),
        };
        message["token"] = serde_json::Value::String(token.as_str().to_owned());
        let started = std::time::Instant::now();
        let answer = self.fcm.send(&message, self.clock.now()).await;
        metrics::histogram!("push_send_duration_seconds").record(started.elapsed().as_secs_f64());
        Ok(match answer {
            SendOutcome::Sent(name) => {
                metrics::counter!("push_sent_total").increment(1);
                let waited = (self.clock.now() - row.created_at)
                    .to_std()
                    .unwrap_or_default();
                metrics::histogram!("push_delivery_latency_seconds").record(waited.as_secs_f64());
                done(Status::Sent, Some(name), None)
            }
            SendOutcome::DeadToken(reason) => {
                self.sessions
                    .clear_push_token(row.session_id, &token)
                    .await
                    .context("clearing a dead push token")?;
                metrics::counter!("push_dead_tokens_total").increment(1);
                tracing::info!(session_id = %row.session_id, "dead push token cleared");
                done(Status::DeadToken, None, Some(reason))
            }
            SendOutcome::Rejected(reason) => Attempt::GiveUp(reason),
            SendOutcome::Retry { after, reason } => Attempt::Retry { after, reason },
        })
    }
}
