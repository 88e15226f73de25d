//! The sender every transactional outbox shares (pushes to FCM, messages to the exchange
//! axis): [`Worker::run_once`] claims a batch of due rows under a lease and hands each to its
//! [`Channel`] with bounded concurrency; [`Worker::run_until_stopped`] repeats it when rows are
//! queued here, and polls for retries and for rows queued by other instances. A claim is a
//! lease: rows of a sender that died become due again when it runs out. What a channel answers
//! is recorded only if the row is still its own, so a row is never finished twice.

use std::{collections::BTreeMap, sync::Arc, time::Duration};

use anyhow::Context;
use futures_util::{StreamExt, stream};
use rand::Rng;
use sea_orm::{DatabaseConnection, Value};
use tokio::sync::{Notify, watch};
use uuid::Uuid;

pub use crate::config::Pacing;
use crate::{
    clock::Clock,
    store::leased::{self, LeasedTable},
};

/// What a channel made of one row.
pub enum Attempt<E: LeasedTable> {
    /// Finished for good: recorded with `status`, the channel's own columns and an error.
    Done {
        status: &'static str,
        set: Vec<(E::Column, Value)>,
        error: Option<String>,
    },
    /// Worth another try, no sooner than `after` when the remote service said so; given up
    /// once out of attempts.
    Retry {
        after: Option<Duration>,
        reason: String,
    },
    /// Refused for good: retrying cannot help.
    GiveUp(String),
}

/// Where one outbox's rows go.
#[async_trait::async_trait]
pub trait Channel: Send + Sync + 'static {
    type Table: LeasedTable;
    /// Names the worker in logs and prefixes its metrics: `push`, `exchange`.
    const NAME: &'static str;

    /// Sends one claimed row. An error leaves the row to its lease: it is tried again.
    async fn deliver(
        &self,
        row: &<Self::Table as sea_orm::EntityTrait>::Model,
    ) -> anyhow::Result<Attempt<Self::Table>>;
}

/// What one [`Worker::run_once`] did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub claimed: usize,
    /// Rows finished, by status (`sent`, `given_up`…).
    pub finished: BTreeMap<&'static str, usize>,
    pub retried: usize,
}

pub struct Worker<C: Channel> {
    db: DatabaseConnection,
    clock: Arc<dyn Clock>,
    pacing: Pacing,
    wake: Arc<Notify>,
    channel: C,
}

enum Done {
    Finished(&'static str),
    Retried,
}

impl<C: Channel> Worker<C> {
    pub fn new(
        db: DatabaseConnection,
        clock: Arc<dyn Clock>,
        pacing: Pacing,
        wake: Arc<Notify>,
        channel: C,
    ) -> Self {
        Self {
            db,
            clock,
            pacing,
            wake,
            channel,
        }
    }

    fn batch(&self) -> usize {
        self.pacing.concurrency.max(1) * 4
    }

    /// Claims one batch of due rows and sends them.
    pub async fn run_once(&self) -> anyhow::Result<Outcome> {
        let now = self.clock.now();
        let claim = Uuid::now_v7();
        let lease =
            chrono::Duration::from_std(self.pacing.lease).context("the lease is out of range")?;
        let rows = leased::claim::<C::Table>(
            &self.db,
            claim,
            now,
            now + lease,
            u64::try_from(self.batch()).unwrap_or(u64::MAX),
        )
        .await
        .with_context(|| format!("claiming due {} rows", C::NAME))?;
        let mut outcome = Outcome {
            claimed: rows.len(),
            ..Outcome::default()
        };
        let mut results = stream::iter(rows)
            .map(|row| self.deliver(row, claim))
            .buffer_unordered(self.pacing.concurrency.max(1));
        while let Some(result) = results.next().await {
            match result {
                Ok(Done::Finished(status)) => *outcome.finished.entry(status).or_default() += 1,
                Ok(Done::Retried) => outcome.retried += 1,
                // The lease brings the row back: nothing is lost, it is tried again.
                Err(e) => tracing::error!(
                    worker = C::NAME,
                    error = format!("{e:#}"),
                    "sending an outbox row failed"
                ),
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
                    tracing::error!(worker = C::NAME, error = format!("{e:#}"), "outbox worker");
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
                () = tokio::time::sleep(self.pacing.poll_interval) => {}
                _ = shutdown.changed() => break,
            }
        }
        tracing::info!(worker = C::NAME, "outbox worker stopped");
    }

    async fn deliver(
        &self,
        row: <C::Table as sea_orm::EntityTrait>::Model,
        claim: Uuid,
    ) -> anyhow::Result<Done> {
        let id = C::Table::id(&row);
        let attempts = C::Table::attempts(&row);
        let attempt = match self.channel.deliver(&row).await? {
            Attempt::Retry { reason, .. } if self.out_of_attempts(attempts) => {
                Attempt::GiveUp(reason)
            }
            other => other,
        };
        let (status, set, error) = match attempt {
            Attempt::Done { status, set, error } => (status, set, error),
            Attempt::GiveUp(reason) => {
                // "push given up", "exchange given up".
                tracing::warn!(
                    worker = C::NAME, id = %id, attempts, reason = %reason,
                    "{} given up", C::NAME
                );
                metrics::counter!(format!("{}_given_up_total", C::NAME)).increment(1);
                (leased::GIVEN_UP, Vec::new(), Some(reason))
            }
            Attempt::Retry { after, reason } => {
                let p = &self.pacing;
                let delay = backoff(p.retry_base, p.max_retry_delay, attempts)
                    .max(after.unwrap_or_default());
                let due = self.clock.now() + chrono::Duration::from_std(delay).unwrap_or_default();
                leased::retry_at::<C::Table>(&self.db, id, claim, due, reason)
                    .await
                    .context("scheduling a retry")?;
                metrics::counter!(format!("{}_retried_total", C::NAME)).increment(1);
                return Ok(Done::Retried);
            }
        };
        let now = self.clock.now();
        let ours = leased::finish::<C::Table>(&self.db, id, claim, status, set, error, now)
            .await
            .context("recording an outcome")?;
        if !ours {
            tracing::warn!(
                worker = C::NAME, id = %id,
                "an outbox row outlived its lease; another sender took it"
            );
        }
        Ok(Done::Finished(status))
    }

    fn out_of_attempts(&self, attempts: i32) -> bool {
        u32::try_from(attempts).unwrap_or(u32::MAX) >= self.pacing.max_attempts
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
