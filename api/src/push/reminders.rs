//! Deadline reminders: `deadline_soon` once a waiting task's deadline is within the lead time,
//! `overdue` once it has passed; each once per task. Every instance scans; the reminder's row,
//! written in the same transaction as its pushes, lets only one of them queue it.

use std::{sync::Arc, time::Duration};

use anyhow::Context;
use sea_orm::{DatabaseConnection, TransactionTrait};
use tokio::sync::watch;

use super::{Push, outbox};
use crate::{auth::SessionStore, clock::Clock, domain::workflow::Notification, store};

/// Tasks looked at per kind and scan; the rest wait for the next scan.
const SCAN_LIMIT: u64 = 200;

pub struct Reminders {
    db: DatabaseConnection,
    sessions: SessionStore,
    clock: Arc<dyn Clock>,
    push: Push,
    lead: Duration,
    interval: Duration,
}

impl Reminders {
    pub fn new(
        db: DatabaseConnection,
        sessions: SessionStore,
        clock: Arc<dyn Clock>,
        push: Push,
        lead: Duration,
        interval: Duration,
    ) -> Self {
        Self {
            db,
            sessions,
            clock,
            push,
            lead,
            interval,
        }
    }

    /// Queues the reminders due now; returns how many pushes were queued.
    pub async fn run_once(&self) -> anyhow::Result<usize> {
        let now = self.clock.now();
        let lead = chrono::Duration::from_std(self.lead)
            .context("DEADLINE_REMINDER_LEAD_SECONDS is out of range")?;
        let due = store::reminders::due(&self.db, now, lead, SCAN_LIMIT)
            .await
            .context("looking for due reminders")?;
        let mut queued = 0;
        for d in due {
            let note = Notification {
                user: d.assignee,
                kind: d.kind,
                task: d.task,
            };
            let planned = outbox::plan(&self.sessions, &[note])
                .await
                .context("reading the assignee's devices")?;
            let txn = self.db.begin().await.context("starting a transaction")?;
            if !store::reminders::mark(&txn, d.task, d.kind, now)
                .await
                .context("marking a reminder")?
            {
                continue;
            }
            let document = store::documents::find(&txn, d.document)
                .await
                .context("loading a reminded task's document")?
                .context("a task's document is missing")?;
            let rows = outbox::enqueue(&txn, &document, &planned, now)
                .await
                .context("queueing a reminder")?;
            txn.commit().await.context("committing a reminder")?;
            self.push.queued(rows);
            queued += rows;
        }
        metrics::counter!("push_reminder_scans_total").increment(1);
        Ok(queued)
    }

    pub async fn run_until_stopped(self, mut shutdown: watch::Receiver<bool>) {
        loop {
            if let Err(e) = self.run_once().await {
                tracing::error!(error = format!("{e:#}"), "deadline reminders");
            }
            tokio::select! {
                () = tokio::time::sleep(self.interval) => {}
                _ = shutdown.changed() => break,
            }
        }
    }
}
