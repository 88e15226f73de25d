//! Operations: liveness, readiness and metrics for the people and machines that run the
//! service.

use poem::web::Data;
use poem_openapi::{
    ApiResponse, Enum, Object, OpenApi,
    payload::{Json, PlainText},
    types::Example,
};
use redis::AsyncCommands;

use super::ApiTags;
use crate::state::AppState;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum CheckStatus {
    Ok,
    Unavailable,
    /// Not set up here (no PKCS11_MODULE): signing is off, the rest serves.
    NotConfigured,
}

#[derive(Debug, Object)]
#[oai(example)]
pub struct Liveness {
    pub status: CheckStatus,
}

#[derive(Debug, Object)]
#[oai(example)]
pub struct Readiness {
    pub status: CheckStatus,
    pub database: CheckStatus,
    pub redis: CheckStatus,
    /// The signing HSM (PKCS#11 token).
    pub hsm: CheckStatus,
}

impl Example for Liveness {
    fn example() -> Self {
        Self {
            status: CheckStatus::Ok,
        }
    }
}

impl Example for Readiness {
    fn example() -> Self {
        Self {
            status: CheckStatus::Unavailable,
            database: CheckStatus::Ok,
            redis: CheckStatus::Unavailable,
            hsm: CheckStatus::Ok,
        }
    }
}

#[derive(ApiResponse)]
pub enum ReadyResponse {
    /// Every dependency answers.
    #[oai(status = 200)]
    Ready(Json<Readiness>),
    /// Some dependency does not answer; take this instance out of rotation.
    #[oai(status = 503)]
    NotReady(Json<Readiness>),
}

pub struct OpsApi;

#[OpenApi(tag = "ApiTags::Operations")]
impl OpsApi {
    /// Liveness
    ///
    /// The process is up and serving HTTP.
    #[oai(path = "/health/live", method = "get", operation_id = "live")]
    async fn live(&self) -> Json<Liveness> {
        Json(Liveness {
            status: CheckStatus::Ok,
        })
    }

    /// Readiness
    ///
    /// The database, Redis and the signing HSM (when configured) answer.
    #[oai(path = "/health/ready", method = "get", operation_id = "ready")]
    async fn ready(&self, state: Data<&AppState>) -> ReadyResponse {
        let timeout = std::time::Duration::from_secs(2);
        let database = check(tokio::time::timeout(timeout, state.db.ping()).await);
        let mut redis = state.redis.clone();
        let redis = check(tokio::time::timeout(timeout, redis.ping::<String>()).await);
        let hsm = if state.signing.configured {
            check(tokio::time::timeout(timeout, state.signing.hsm.ready()).await)
        } else {
            CheckStatus::NotConfigured
        };
        let ok = database == CheckStatus::Ok
            && redis == CheckStatus::Ok
            && hsm != CheckStatus::Unavailable;
        let body = Json(Readiness {
            status: if ok {
                CheckStatus::Ok
            } else {
                CheckStatus::Unavailable
            },
            database,
            redis,
            hsm,
        });
        if ok {
            ReadyResponse::Ready(body)
        } else {
            ReadyResponse::NotReady(body)
        }
    }

    /// Metrics
    ///
    /// Prometheus text exposition: request counts and latencies by operation.
    #[oai(path = "/metrics", method = "get", operation_id = "metrics")]
    async fn metrics(&self, state: Data<&AppState>) -> PlainText<String> {
        PlainText(
            state
                .metrics
                .as_ref()
                .map(|m| m.render())
                .unwrap_or_default(),
        )
    }
}

fn check<T, E: std::fmt::Display>(
    outcome: Result<Result<T, E>, tokio::time::error::Elapsed>,
) -> CheckStatus {
    match outcome {
        Ok(Ok(_)) => CheckStatus::Ok,
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness check failed");
            CheckStatus::Unavailable
        }
        Err(_) => {
            tracing::warn!("readiness check timed out");
            CheckStatus::Unavailable
        }
    }
}
