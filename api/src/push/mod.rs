//! Push notifications through a transactional outbox.
//!
//! A workflow change that needs someone writes one outbox row per live device of each
//! recipient in the same transaction as the change ([`outbox::enqueue`], fed by the devices
//! read from Redis just before it), so a push is never announced for a change that rolled back
//! nor lost with a crash after the commit. After the commit the in-process [`Push`] handle
//! wakes the [`worker`], which claims due rows under a lease (several instances share one
//! outbox, never sending a row twice), sends them through the [`fcm`] HTTP v1 client and
//! records what Google answered. What the push says is in [`message`]; deadline reminders are
//! queued by [`reminders`].

pub mod fcm;
pub mod message;
pub mod outbox;
pub mod reminders;
pub mod worker;

use std::{sync::Arc, time::Duration};

use tokio::sync::Notify;

/// What a request holds to tell this instance's worker that rows were queued.
#[derive(Clone)]
pub struct Push {
    wake: Arc<Notify>,
    urge_interval: Duration,
}

impl Push {
    /// `urge_interval`: how soon after an urge the same task may be urged again.
    pub fn new(urge_interval: Duration) -> Self {
        Self {
            wake: Arc::default(),
            urge_interval,
        }
    }

    pub fn urge_interval(&self) -> Duration {
        self.urge_interval
    }

    /// Call after the transaction that wrote `rows` outbox rows has committed.
    pub fn queued(&self, rows: usize) {
        if rows > 0 {
            metrics::counter!("push_queued_total").increment(rows as u64);
            self.wake.notify_one();
        }
    }

    pub(crate) fn waker(&self) -> Arc<Notify> {
        self.wake.clone()
    }
}
