//! The exchange channel of the shared outbox sender ([`crate::outbox`]): each claimed row's
//! .edxml goes to the axis, and the axis's id for it is recorded on the row.
//!
//! How a sender queues a message: store its bytes with [`stage`] before the transaction,
//! [`crate::store::exchange_outbox::insert`] inside it, [`super::Link::queued`] after the
//! commit. Where it stands is on the row ([`crate::store::exchange_outbox::of_document`]):
//! `sent` with `axis_doc_id` and `finished_at`, or `given_up` with `last_error`.

use std::sync::Arc;

use anyhow::Context;
use entity::exchange_outbox::{Column, Entity as Outbox, Model as Row};
use sea_orm::Value;
use tokio::io::AsyncReadExt;

use super::{Link, MessageKind, Outgoing};
use crate::{
    clock::Clock,
    files::{ContentHash, FileError, FileStore, StoredFile},
    outbox::{Attempt, Channel},
    store::exchange_outbox::SENT,
};

/// The exchange worker: the shared sender with the exchange channel.
pub type Sender = crate::outbox::Worker<ExchangeChannel>;

/// Stores a message's bytes, before the transaction that queues it.
pub async fn stage(files: &dyn FileStore, edxml: &[u8]) -> Result<StoredFile, FileError> {
    let limit = u64::try_from(edxml.len()).unwrap_or(u64::MAX);
    files
        .put(Box::pin(std::io::Cursor::new(edxml.to_vec())), limit)
        .await
}

pub struct ExchangeChannel {
    link: Link,
    files: Arc<dyn FileStore>,
    clock: Arc<dyn Clock>,
}

impl ExchangeChannel {
    pub fn new(link: Link, files: Arc<dyn FileStore>, clock: Arc<dyn Clock>) -> Self {
        Self { link, files, clock }
    }

    async fn read(&self, hash: &ContentHash) -> Result<Vec<u8>, FileError> {
        let (mut reader, size) = self.files.open(hash, None).await?;
        let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or_default());
        reader.read_to_end(&mut bytes).await?;
        Ok(bytes)
    }
}

#[async_trait::async_trait]
impl Channel for ExchangeChannel {
    type Table = Outbox;
    const NAME: &'static str = "exchange";

    async fn deliver(&self, row: &Row) -> anyhow::Result<Attempt<Outbox>> {
        let Some(kind) = MessageKind::parse(&row.kind) else {
            return Ok(Attempt::GiveUp(format!("unknown kind `{}`", row.kind)));
        };
        let to: Vec<String> = match serde_json::from_str(&row.to_codes) {
            Ok(to) => to,
            Err(e) => return Ok(Attempt::GiveUp(format!("stored recipients: {e}"))),
        };
        let Some(hash) = ContentHash::parse(&row.message_sha256) else {
            return Ok(Attempt::GiveUp("stored message hash is not one".to_owned()));
        };
        let edxml = match self.read(&hash).await {
            Ok(bytes) => bytes,
            Err(FileError::NotFound(_)) => {
                return Ok(Attempt::GiveUp("the message's bytes are gone".to_owned()));
            }
            Err(e) => return Err(e).context("reading the message to send"),
        };
        let message = Outgoing {
            edxml: &edxml,
            kind,
            from: &row.from_code,
            to: &to,
        };
        let started = std::time::Instant::now();
        let sent = self.link.axis.send(message).await;
        metrics::histogram!("exchange_send_duration_seconds")
            .record(started.elapsed().as_secs_f64());
        Ok(match sent {
            Ok(doc_id) => {
                metrics::counter!("exchange_sent_total").increment(1);
                let waited = (self.clock.now() - row.created_at)
                    .to_std()
                    .unwrap_or_default();
                metrics::histogram!("exchange_delivery_latency_seconds")
                    .record(waited.as_secs_f64());
                tracing::info!(
                    outbox_id = %row.id, axis_doc_id = %doc_id, kind = kind.as_str(),
                    "message handed to the exchange axis"
                );
                Attempt::Done {
                    status: SENT,
                    set: vec![(Column::AxisDocId, Value::from(doc_id))],
                    error: None,
                }
            }
            Err(e) if e.retryable() => Attempt::Retry {
                after: None,
                reason: e.to_string(),
            },
            Err(e) => Attempt::GiveUp(e.to_string()),
        })
    }
}
