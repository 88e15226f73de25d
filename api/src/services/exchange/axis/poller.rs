//! Taking in what waits for us on the axis. The axis never calls us: every
//! `EXCHANGE_POLL_SECONDS` one instance (a lock in Redis makes it one) lists the documents and
//! status messages waiting, fetches each, hands it to [`arrival::land`], and acknowledges it:
//! `done` once stored, `fail` when it can never be taken (malformed, not for us, refused).
//! A failure of ours (the database down) acknowledges nothing, so the message is offered again;
//! a message landed twice (an acknowledgement lost, two instances after a lock expired) is
//! recognised by its `DocumentId` and stored once.

use std::{sync::Arc, time::Duration};

use anyhow::Context;
use futures_util::{StreamExt, stream};
use tokio::sync::watch;
use uuid::Uuid;

use super::{Ack, Axis, AxisError, MessageKind, Waiting};
use crate::services::exchange::arrival::{self, Landed, Via};
use crate::state::AppState;

/// Messages fetched and landed at once.
const CONCURRENCY: usize = 4;
/// How long one instance holds the polling lock at most; a run taking longer may overlap the
/// next instance's, which is safe (landing is idempotent), only wasteful.
const LOCK_TTL: Duration = Duration::from_secs(300);

/// What one [`Poller::run_once`] did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PollOutcome {
    /// Another instance held the lock: nothing was asked.
    pub skipped: bool,
    pub listed: usize,
    /// Stored (documents, or status messages applied), acknowledged `done`.
    pub landed: usize,
    /// Already stored before, acknowledged `done` again.
    pub duplicates: usize,
    /// Never to be taken, acknowledged `fail`.
    pub refused: usize,
    /// Not acknowledged: offered again at the next poll.
    pub left: usize,
}

enum Taken {
    Landed,
    Duplicate,
    Refused,
    Left,
}

pub struct Poller {
    state: AppState,
    axis: Arc<dyn Axis>,
    interval: Duration,
    lock_key: String,
}

impl Poller {
    /// `None` without an axis.
    pub fn new(state: AppState, interval: Duration) -> Option<Self> {
        let axis = state.axis.as_ref()?.axis.clone();
        let lock_key = format!("{}exchange:poll", state.redis_key_prefix);
        Some(Self {
            state,
            axis,
            interval,
            lock_key,
        })
    }

    /// Polls until `shutdown` turns true.
    pub async fn run_until_stopped(self, mut shutdown: watch::Receiver<bool>) {
        loop {
            match self.run_once().await {
                Ok(o) if o.listed > 0 => tracing::info!(?o, "exchange axis polled"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = format!("{e:#}"), "polling the exchange axis"),
            }
            tokio::select! {
                () = tokio::time::sleep(self.interval) => {}
                _ = shutdown.changed() => break,
            }
        }
        tracing::info!("exchange poller stopped");
    }

    /// One poll: what waits, fetched, landed and acknowledged.
    pub async fn run_once(&self) -> anyhow::Result<PollOutcome> {
        let Some(token) = self.lock().await? else {
            return Ok(PollOutcome {
                skipped: true,
                ..PollOutcome::default()
            });
        };
        let polled = self.poll().await;
        self.unlock(&token).await;
        metrics::counter!("exchange_polls_total").increment(1);
        polled
    }

    async fn poll(&self) -> anyhow::Result<PollOutcome> {
        let mut waiting = Vec::new();
        for kind in MessageKind::ALL {
            waiting.extend(
                self.axis
                    .waiting(kind)
                    .await
                    .with_context(|| format!("listing the {} messages waiting", kind.as_str()))?,
            );
        }
        let mut outcome = PollOutcome {
            listed: waiting.len(),
            ..PollOutcome::default()
        };
        let mut taken = stream::iter(waiting)
            .map(|w| self.take(w))
            .buffer_unordered(CONCURRENCY);
        while let Some(t) = taken.next().await {
            let (count, label) = match t {
                Taken::Landed => (&mut outcome.landed, "landed"),
                Taken::Duplicate => (&mut outcome.duplicates, "duplicate"),
                Taken::Refused => (&mut outcome.refused, "refused"),
                Taken::Left => (&mut outcome.left, "left"),
            };
            *count += 1;
            metrics::counter!("exchange_received_total", "outcome" => label).increment(1);
        }
        Ok(outcome)
    }

    /// Fetches, lands and acknowledges one message.
    async fn take(&self, w: Waiting) -> Taken {
        let bytes = match self.axis.fetch(&w.doc_id).await {
            Ok(bytes) => bytes,
            Err(e @ AxisError::Rejected(_)) => {
                tracing::warn!(axis_doc_id = %w.doc_id, error = %e, "a waiting message cannot be fetched");
                return self.acknowledge(&w, Ack::Fail, Taken::Refused).await;
            }
            Err(e) => {
                tracing::warn!(axis_doc_id = %w.doc_id, error = %e, "fetching a waiting message");
                return Taken::Left;
            }
        };
        let via = Via::Axis {
            doc_id: w.doc_id.clone(),
            from: w.from.clone(),
        };
        match arrival::land(&self.state, &bytes, via).await {
            Ok(Landed::Duplicate(_)) => self.acknowledge(&w, Ack::Done, Taken::Duplicate).await,
            Ok(_) => self.acknowledge(&w, Ack::Done, Taken::Landed).await,
            Err(e) if e.is_transient() => {
                tracing::error!(
                    axis_doc_id = %w.doc_id, error = format!("{e:#}"),
                    "landing a message failed; it is fetched again at the next poll"
                );
                Taken::Left
            }
            Err(e) => {
                tracing::warn!(
                    axis_doc_id = %w.doc_id, from = %w.from, kind = w.kind.as_str(), error = %e,
                    "a message from the exchange axis was refused"
                );
                self.acknowledge(&w, Ack::Fail, Taken::Refused).await
            }
        }
    }

    async fn acknowledge(&self, w: &Waiting, ack: Ack, taken: Taken) -> Taken {
        match self.axis.acknowledge(&w.doc_id, ack).await {
            Ok(()) => taken,
            // Offered again: landing it again finds it stored, and acknowledges then.
            Err(e) => {
                tracing::warn!(axis_doc_id = %w.doc_id, error = %e, "acknowledging a message");
                Taken::Left
            }
        }
    }

    /// Takes the polling lock for this instance, if no other holds it; its token.
    async fn lock(&self) -> anyhow::Result<Option<String>> {
        let token = Uuid::new_v4().to_string();
        let mut redis = self.state.redis.clone();
        let taken: Option<String> = redis::cmd("SET")
            .arg(&self.lock_key)
            .arg(&token)
            .arg("NX")
            .arg("PX")
            .arg(u64::try_from(LOCK_TTL.as_millis()).unwrap_or(u64::MAX))
            .query_async(&mut redis)
            .await
            .context("taking the polling lock")?;
        Ok(taken.map(|_| token))
    }

    /// Gives the lock back if it is still ours. A failure only leaves it to expire.
    async fn unlock(&self, token: &str) {
        let mut redis = self.state.redis.clone();
        let release = redis::Script::new(
            "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) \
             else return 0 end",
        );
        let released: Result<i64, _> = release
            .key(&self.lock_key)
            .arg(token)
            .invoke_async(&mut redis)
            .await;
        if let Err(e) = released {
            tracing::warn!(error = %e, "releasing the polling lock; it expires by itself");
        }
    }
}
