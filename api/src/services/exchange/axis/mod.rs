//! The exchange axis (trục liên thông) as this server sees it: a store of edXML messages that
//! systems push to and poll, and the directory of agency codes. [`Axis`] is what the sending
//! outbox, the poller and the directory sync need of it; [`vdxp::Vdxp`] speaks the national
//! axis's REST protocol with HMAC-signed headers. A provincial LGSP axis (the same edXML behind
//! OAuth2 client credentials) is one more implementation of the trait.

pub mod poller;
pub mod sender;
pub mod vdxp;

use std::{sync::Arc, time::Duration};

use tokio::sync::Notify;

pub use crate::domain::exchange::transport::MessageKind;
use crate::{clock::Clock, config::ExchangeSettings, domain::OrgCode};

/// One message handed to the axis.
#[derive(Debug, Clone, Copy)]
pub struct Outgoing<'a> {
    /// The .edxml file.
    pub edxml: &'a [u8],
    pub kind: MessageKind,
    /// Our agency code.
    pub from: &'a str,
    /// The recipients' agency codes.
    pub to: &'a [String],
}

/// A message waiting for us on the axis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiting {
    /// The axis's id of the message (not the edXML `DocumentId`).
    pub doc_id: String,
    pub from: String,
    pub kind: MessageKind,
}

/// How a fetched message is acknowledged to the axis (transport only: the business progress
/// travels as status messages).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ack {
    /// Stored here; the axis stops offering it.
    Done,
    /// It cannot be taken (unparseable, refused): the axis stops offering it too.
    Fail,
}

impl Ack {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Done => "done",
            Self::Fail => "fail",
        }
    }
}

/// An entry of the axis's directory of agencies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryEntry {
    pub code: String,
    pub name: String,
    pub parent_code: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum AxisError {
    /// Unreachable, or answering 5xx / 429: try again later.
    #[error("the exchange axis is unavailable: {0}")]
    Unavailable(String),
    #[error("the exchange axis did not answer within {0:?}")]
    Timeout(Duration),
    /// Our credentials were refused. Tried again: an operator fixing the secret should not
    /// lose what waited meanwhile.
    #[error("the exchange axis refused our credentials: {0}")]
    Unauthorized(String),
    /// The call itself was refused (unknown recipient, bad message): retrying cannot help.
    #[error("the exchange axis refused the call: {0}")]
    Rejected(String),
}

impl AxisError {
    pub fn retryable(&self) -> bool {
        !matches!(self, Self::Rejected(_))
    }
}

/// An exchange axis. Every call is bounded in time; see [`AxisError::retryable`].
#[async_trait::async_trait]
pub trait Axis: Send + Sync + 'static {
    /// Hands a message to the axis; answers the axis's id for it.
    async fn send(&self, message: Outgoing<'_>) -> Result<String, AxisError>;

    /// The messages of `kind` waiting for us, not yet acknowledged.
    async fn waiting(&self, kind: MessageKind) -> Result<Vec<Waiting>, AxisError>;

    /// One waiting message's .edxml bytes.
    async fn fetch(&self, doc_id: &str) -> Result<Vec<u8>, AxisError>;

    async fn acknowledge(&self, doc_id: &str, ack: Ack) -> Result<(), AxisError>;

    /// The directory of agencies on the axis.
    async fn agencies(&self) -> Result<Vec<DirectoryEntry>, AxisError>;
}

/// The axis this server is on, and who it is there.
#[derive(Clone)]
pub struct Link {
    pub axis: Arc<dyn Axis>,
    /// Our agency code on the axis: `from` of what we send, the code messages reach us by.
    pub code: OrgCode,
    /// Wakes this instance's exchange sender.
    wake: Arc<Notify>,
}

#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error("EXCHANGE_AGENCY_CODE `{0}` is not an agency code (QCVN 102, `000.00.00.A52`)")]
    Code(String),
    #[error("cannot build the exchange axis client: {0}")]
    Client(#[source] reqwest::Error),
}

impl Link {
    /// The VDXP axis of `settings`. Our code may be a test axis's (`vxp.saas.03`): accepted,
    /// with a warning.
    pub fn vdxp(settings: &ExchangeSettings, clock: Arc<dyn Clock>) -> Result<Self, LinkError> {
        let code = OrgCode::parse(&settings.agency_code, true)
            .ok()
            .filter(OrgCode::on_exchange)
            .ok_or_else(|| LinkError::Code(settings.agency_code.clone()))?;
        let config = vdxp::VdxpConfig {
            url: settings.url.clone(),
            system_id: settings.system_id.clone(),
            secret: settings.secret.clone(),
            timeout: settings.timeout,
        };
        let axis = vdxp::Vdxp::new(config, clock).map_err(LinkError::Client)?;
        Ok(Self::new(Arc::new(axis), code))
    }

    pub fn new(axis: Arc<dyn Axis>, code: OrgCode) -> Self {
        Self {
            axis,
            code,
            wake: Arc::default(),
        }
    }

    /// Call after the transaction that queued `messages` outbox rows has committed.
    pub fn queued(&self, messages: usize) {
        if messages > 0 {
            metrics::counter!("exchange_queued_total").increment(messages as u64);
            self.wake.notify_one();
        }
    }

    pub(crate) fn waker(&self) -> Arc<Notify> {
        self.wake.clone()
    }
}
