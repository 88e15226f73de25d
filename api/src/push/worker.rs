//! The outbox worker inside every instance: [`Worker::run_once`] claims a batch of due rows
//! and sends them with bounded concurrency; [`Worker::run_until_stopped`] repeats it when new
//! rows are queued here, and polls for retries and for rows queued by other instances.
//! A claim is a lease: rows of a sender that died become due again when it runs out.

use std::{sync::Arc, time::Duration};

use anyhow::Context;
use entity::push_outbox::Model as Row;
use futures_util::{StreamExt, stream};
use rand::Rng;
use sea_orm::DatabaseConnection;
use tokio::sync::{Notify, watch};
use uuid::Uuid;

use super::fcm::{Fcm, SendOutcome};
use crate::{
    auth::SessionStore,
    clock::Clock,
    config::PushSettings,
    store::outbox::{self, Status},
};

/// What one [`Worker::run_once`] did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    pub claimed: usize,
    pub sent: usize,
    pub retried: usize,
    pub dead_tokens: usize,
    pub given_up: usize,
    /// The device's session ended (or lost its token) before the push went out.
    pub dropped: usize,
}

enum Done {
    Sent,
    Retried,
    DeadToken,
    GivenUp,
    Dropped,
}

pub struct Worker {
    db: DatabaseConnection,
    sessions: SessionStore,
    clock: Arc<dyn Clock>,
    fcm: Fcm,
    settings: PushSettings,
    wake: Arc<Notify>,
}

impl Worker {
    pub fn new(
        db: DatabaseConnection,
        sessions: SessionStore,
        clock: Arc<dyn Clock>,
        fcm: Fcm,
        settings: PushSettings,
        wake: Arc<Notify>,
    ) -> Self {
        Self {
            db,
            sessions,
            clock,
            fcm,
            settings,
            wake,
        }
    }

    fn batch(&self) -> usize {
        self.settings.concurrency.max(1) * 4
    }

    /// Claims one batch of due rows and sends them.
    pub async fn run_once(&self) -> anyhow::Result<Outcome> {
        let now = self.clock.now();
        let claim = Uuid::now_v7();
        let lease = chrono::Duration::from_std(self.settings.lease)
            .context("PUSH_LEASE_SECONDS is out of range")?;
        let rows = outbox::claim(
            &self.db,
            claim,
            now,
            now + lease,
            u64::try_from(self.batch()).unwrap_or(u64::MAX),
        )
        .await
        .context("claiming due pushes")?;
        let mut outcome = Outcome {
            claimed: rows.len(),
            ..Outcome::default()
        };
        let mut results = stream::iter(rows)
            .map(|row| self.deliver(row, claim))
            .buffer_unordered(self.settings.concurrency.max(1));
        while let Some(result) = results.next().await {
            match result {
                Ok(Done::Sent) => outcome.sent += 1,
                Ok(Done::Retried) => outcome.retried += 1,
                Ok(Done::DeadToken) => outcome.dead_tokens += 1,
                Ok(Done::GivenUp) => outcome.given_up += 1,
                Ok(Done::Dropped) => outcome.dropped += 1,
                // The lease brings the row back: nothing is lost, it is tried again.
                Err(e) => tracing::error!(error = format!("{e:#}"), "recording a push failed"),
            }
        }
        Ok(outcome)
    }

    /// Sends until `shutdown` turns true. A batch in flight is finished first, so no row
    /// stays claimed longer than needed; a kill instead leaves it to its lease.
    pub async fn run_until_stopped(self, mut shutdown: watch::Receiver<bool>) {
        loop {
            let full = match self.run_once().await {
                Ok(o) => o.claimed >= self.batch(),
                Err(e) => {
                    tracing::error!(error = format!("{e:#}"), "push worker");
                    false
                }
            };
            if *shutdown.borrow() {
                break;
            }
            if full {
                continue;
            }
            tokio::select! {
                () = self.wake.notified() => {}
                () = tokio::time::sleep(self.settings.poll_interval) => {}
                _ = shutdown.changed() => break,
            }
        }
        tracing::info!("push worker stopped");
    }

    async fn deliver(&self, row: Row, claim: Uuid) -> anyhow::Result<Done> {
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
            self.finish(&row, claim, Status::Dropped, None, None)
                .await?;
            metrics::counter!("push_dropped_total").increment(1);
            return Ok(Done::Dropped);
        };
        let mut message: serde_json::Value = match serde_json::from_str(&row.message) {
            Ok(m) => m,
            // Retrying cannot mend it; without this it would come back with every lease.
            Err(e) => {
                return self
                    .give_up(&row, claim, format!("stored message: {e}"))
                    .await;
            }
        };
        message["token"] = serde_json::Value::String(token.as_str().to_owned());
        let started = std::time::Instant::now();
        let answer = self.fcm.send(&message, self.clock.now()).await;
        metrics::histogram!("push_send_duration_seconds").record(started.elapsed().as_secs_f64());
        let now = self.clock.now();
        match answer {
            SendOutcome::Sent(name) => {
                self.finish(&row, claim, Status::Sent, Some(name), None)
                    .await?;
                metrics::counter!("push_sent_total").increment(1);
                let waited = (now - row.created_at).to_std().unwrap_or_default();
                metrics::histogram!("push_delivery_latency_seconds").record(waited.as_secs_f64());
                Ok(Done::Sent)
            }
            SendOutcome::DeadToken(reason) => {
                self.sessions
                    .clear_push_token(row.session_id, &token)
                    .await
                    .context("clearing a dead push token")?;
                self.finish(&row, claim, Status::DeadToken, None, Some(reason))
                    .await?;
                metrics::counter!("push_dead_tokens_total").increment(1);
                tracing::info!(session_id = %row.session_id, "dead push token cleared");
                Ok(Done::DeadToken)
            }
            SendOutcome::Rejected(reason) => self.give_up(&row, claim, reason).await,
            SendOutcome::Retry { reason, .. } if self.out_of_attempts(&row) => {
                self.give_up(&row, claim, reason).await
            }
            SendOutcome::Retry { after, reason } => {
                let s = &self.settings;
                let delay = backoff(s.retry_base, s.max_retry_delay, row.attempts)
                    .max(after.unwrap_or_default());
                let due = now + chrono::Duration::from_std(delay).unwrap_or_default();
                outbox::retry_at(&self.db, row.id, claim, due, reason)
                    .await
                    .context("scheduling a push retry")?;
                metrics::counter!("push_retried_total").increment(1);
                Ok(Done::Retried)
            }
        }
    }

    fn out_of_attempts(&self, row: &Row) -> bool {
        u32::try_from(row.attempts).unwrap_or(u32::MAX) >= self.settings.max_attempts
    }

    async fn give_up(&self, row: &Row, claim: Uuid, reason: String) -> anyhow::Result<Done> {
        tracing::warn!(
            push_id = %row.id, attempts = row.attempts, reason = %reason,
            "push given up"
        );
        self.finish(row, claim, Status::GivenUp, None, Some(reason))
            .await?;
        metrics::counter!("push_given_up_total").increment(1);
        Ok(Done::GivenUp)
    }

    async fn finish(
        &self,
        row: &Row,
        claim: Uuid,
        status: Status,
        name: Option<String>,
        error: Option<String>,
    ) -> anyhow::Result<()> {
        let ours = outbox::finish(
            &self.db,
            row.id,
            claim,
            status,
            name,
            error,
            self.clock.now(),
        )
        .await
        .context("recording a push outcome")?;
        if !ours {
            tracing::warn!(push_id = %row.id, "a push outlived its lease; another sender took it");
        }
        Ok(())
    }
}

/// The wait after the `attempts`th failure: exponential from `base`, capped at `max`, with
/// jitter over its upper half so that the retries of one outage spread out.
fn backoff(base: Duration, max: Duration, attempts: i32) -> Duration {
    let exp = u32::try_from(attempts.saturating_sub(1))
        .unwrap_or(0)
        .min(20);
    let full = base.saturating_mul(1 << exp).min(max);
    let half = full / 2;
    half + rand::thread_rng().gen_range(Duration::ZERO..=half)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_up_to_the_cap() {
        let (base, max) = (Duration::from_secs(2), Duration::from_secs(60));
        for _ in 0..100 {
            let first = backoff(base, max, 1);
            assert!(
                first >= Duration::from_secs(1) && first <= base,
                "{first:?}"
            );
            let third = backoff(base, max, 3);
            assert!(third >= Duration::from_secs(4) && third <= Duration::from_secs(8));
            let late = backoff(base, max, 40);
            assert!(late >= max / 2 && late <= max, "{late:?}");
        }
    }
}
