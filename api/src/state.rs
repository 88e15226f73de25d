//! What every request can reach. Cheap to clone: everything inside is shared.

use std::sync::Arc;

use metrics_exporter_prometheus::PrometheusHandle;
use redis::aio::ConnectionManager;
use sea_orm::DatabaseConnection;

use crate::{
    auth::{LoginThrottle, Passwords, SessionStore, TokenKeys},
    clock::Clock,
    files::FileStore,
    push::Push,
    services::{exchange::axis, me::Profiles, people::Names, signing::Verdicts},
    signing::SigningSetup,
};

#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    /// For reads outside a transaction on the busiest screens (see `store::connect_reads`).
    pub reads: DatabaseConnection,
    pub redis: ConnectionManager,
    pub sessions: SessionStore,
    pub throttle: LoginThrottle,
    pub passwords: Passwords,
    pub tokens: Arc<TokenKeys>,
    pub clock: Arc<dyn Clock>,
    pub files: Arc<dyn FileStore>,
    pub signing: Arc<SigningSetup>,
    /// Signature verdicts, computed once per file content.
    pub verdicts: Arc<Verdicts>,
    /// The `GET /me` profiles this instance served (see `services::me`).
    pub profiles: Arc<Profiles>,
    /// The people this instance named lately (see `services::people::names`).
    pub names: Arc<Names>,
    /// The largest file an upload may carry, in bytes.
    pub max_upload_bytes: u64,
    pub metrics: Option<PrometheusHandle>,
    /// Prefixes every Redis key this instance writes.
    pub redis_key_prefix: String,
    /// Wakes this instance's push worker once queued rows are committed.
    pub push: Push,
    /// The exchange axis, when one is configured (`EXCHANGE_URL`).
    pub axis: Option<axis::Link>,
    /// Organisation codes outside QCVN 102 are accepted (test axes' `vxp.saas.03`).
    pub allow_test_codes: bool,
    /// Proxies whose `X-Forwarded-For` is believed (`TRUSTED_PROXIES`).
    pub trusted_proxies: Arc<[ipnet::IpNet]>,
}
