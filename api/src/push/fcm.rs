//! A small FCM HTTP v1 client: a service-account JWT (RS256) exchanged at the account's
//! `token_uri` for an access token, cached until shortly before it expires, then
//! `POST {base}/v1/projects/{project}/messages:send` over one pooled HTTP/2 client.
//! The `fcm` crate speaks the legacy API Google shut down, and neither URL of `fcm_v1` can be
//! pointed at a test double, hence this.

use std::{
    path::Path,
    time::{Duration, Instant},
};

use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::{StatusCode, header::RETRY_AFTER};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use tokio::sync::{Mutex, RwLock};

const SCOPE: &str = "https://www.googleapis.com/auth/firebase.messaging";
/// A cached access token is replaced this long before Google says it expires.
const REFRESH_MARGIN: Duration = Duration::from_secs(120);

#[derive(Debug, thiserror::Error)]
pub enum FcmSetupError {
    #[error("cannot read FCM_SERVICE_ACCOUNT_FILE {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("FCM_SERVICE_ACCOUNT_FILE is not a Google service-account JSON: {0}")]
    Parse(#[source] serde_json::Error),
    #[error("the service account's private key is not an RSA PEM key: {0}")]
    Key(#[source] jsonwebtoken::errors::Error),
    #[error("cannot build the HTTP client: {0}")]
    Client(#[source] reqwest::Error),
}

#[derive(Deserialize)]
struct ServiceAccountFile {
    project_id: String,
    private_key_id: String,
    private_key: SecretString,
    client_email: String,
    token_uri: String,
}

/// What Google answered to one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendOutcome {
    /// Accepted; FCM's name for the message (`projects/p/messages/…`).
    Sent(String),
    /// Worth trying again: quota, Google unavailable, the network. `after` is FCM's
    /// `Retry-After`, when it gave one.
    Retry {
        after: Option<Duration>,
        reason: String,
    },
    /// The token no longer reaches an app install: forget it.
    DeadToken(String),
    /// Refused for good (a malformed message): retrying cannot help.
    Rejected(String),
}

struct CachedToken {
    value: SecretString,
    refresh_at: Instant,
}

pub struct Fcm {
    http: reqwest::Client,
    send_url: String,
    token_uri: String,
    client_email: String,
    key_id: String,
    key: EncodingKey,
    token: RwLock<Option<CachedToken>>,
    /// Held while fetching a new access token, so concurrent senders fetch it once.
    refreshing: Mutex<()>,
}

impl std::fmt::Debug for Fcm {
    // By hand: the key and the access token stay out of logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fcm")
            .field("send_url", &self.send_url)
            .field("client_email", &self.client_email)
            .finish_non_exhaustive()
    }
}

#[derive(serde::Serialize)]
struct Claims<'a> {
    iss: &'a str,
    scope: &'a str,
    aud: &'a str,
    iat: i64,
    exp: i64,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: SecretString,
    expires_in: u64,
}

impl Fcm {
    pub fn from_file(path: &Path, base_url: &str) -> Result<Self, FcmSetupError> {
        let raw = std::fs::read(path).map_err(|source| FcmSetupError::Read {
            path: path.display().to_string(),
            source,
        })?;
        let account: ServiceAccountFile =
            serde_json::from_slice(&raw).map_err(FcmSetupError::Parse)?;
        let key = EncodingKey::from_rsa_pem(account.private_key.expose_secret().as_bytes())
            .map_err(FcmSetupError::Key)?;
        // reqwest is built without a rustls provider of its own: use ring, as sqlx does.
        // An error only means a provider is installed already.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(15))
            .pool_idle_timeout(Duration::from_secs(90))
            .build()
            .map_err(FcmSetupError::Client)?;
        Ok(Self {
            http,
            send_url: format!(
                "{base_url}/v1/projects/{}/messages:send",
                account.project_id
            ),
            token_uri: account.token_uri,
            client_email: account.client_email,
            key_id: account.private_key_id,
            key,
            token: RwLock::new(None),
            refreshing: Mutex::new(()),
        })
    }

    /// Sends `message` (an FCM v1 `Message` object, token included). `now` dates the
    /// assertion when a new access token is needed.
    pub async fn send(&self, message: &serde_json::Value, now: DateTime<Utc>) -> SendOutcome {
        let token = match self.access_token(now).await {
            Ok(token) => token,
            Err(reason) => {
                return SendOutcome::Retry {
                    after: None,
                    reason,
                };
            }
        };
        let sent = self
            .http
            .post(&self.send_url)
            .bearer_auth(token.expose_secret())
            .json(&serde_json::json!({ "message": message }))
            .send()
            .await;
        let response = match sent {
            Ok(r) => r,
            Err(e) => {
                return SendOutcome::Retry {
                    after: None,
                    reason: format!("FCM unreachable: {e}"),
                };
            }
        };
        let status = response.status();
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let body = response.bytes().await.unwrap_or_default();
        if status.is_success() {
            return match serde_json::from_slice::<SendResponse>(&body) {
                Ok(r) => SendOutcome::Sent(r.name),
                Err(_) => SendOutcome::Sent(String::new()),
            };
        }
        if status == StatusCode::UNAUTHORIZED {
            // Revoked or expired early: fetch a new one next time.
            *self.token.write().await = None;
        }
        classify(status, retry_after, &body)
    }

    async fn access_token(&self, now: DateTime<Utc>) -> Result<SecretString, String> {
        if let Some(t) = self.cached().await {
            return Ok(t);
        }
        let _one_at_a_time = self.refreshing.lock().await;
        if let Some(t) = self.cached().await {
            return Ok(t);
        }
        let fetched = self.fetch_token(now).await?;
        let value = fetched.access_token.clone();
        let lifetime = Duration::from_secs(fetched.expires_in);
        *self.token.write().await = Some(CachedToken {
            value: fetched.access_token,
            refresh_at: Instant::now() + lifetime.saturating_sub(REFRESH_MARGIN),
        });
        Ok(value)
    }

    async fn cached(&self) -> Option<SecretString> {
        self.token
            .read()
            .await
            .as_ref()
            .filter(|t| Instant::now() < t.refresh_at)
            .map(|t| t.value.clone())
    }

    async fn fetch_token(&self, now: DateTime<Utc>) -> Result<TokenResponse, String> {
        let iat = now.timestamp();
        let claims = Claims {
            iss: &self.client_email,
            scope: SCOPE,
            aud: &self.token_uri,
            iat,
            exp: iat + 3600,
        };
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(self.key_id.clone());
        let assertion = jsonwebtoken::encode(&header, &claims, &self.key)
            .map_err(|e| format!("cannot sign the service-account assertion: {e}"))?;
        let response = self
            .http
            .post(&self.token_uri)
            .form(&[
                ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
                ("assertion", assertion.as_str()),
            ])
            .send()
            .await
            .map_err(|e| format!("token endpoint unreachable: {e}"))?;
        let status = response.status();
        if !status.is_success() {
            return Err(format!("token endpoint answered {status}"));
        }
        response
            .json()
            .await
            .map_err(|e| format!("token endpoint answered garbage: {e}"))
    }
}

#[derive(Deserialize)]
struct SendResponse {
    name: String,
}

#[derive(Deserialize, Default)]
struct GoogleError {
    #[serde(default)]
    error: ErrorBody,
}

#[derive(Deserialize, Default)]
struct ErrorBody {
    #[serde(default)]
    message: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    details: Vec<ErrorDetail>,
}

#[derive(Deserialize)]
struct ErrorDetail {
    #[serde(rename = "errorCode")]
    error_code: Option<String>,
}

/// Maps an FCM error answer (a `google.rpc.Status` with `FcmError` details) to what to do.
fn classify(status: StatusCode, retry_after: Option<Duration>, body: &[u8]) -> SendOutcome {
    let parsed: GoogleError = serde_json::from_slice(body).unwrap_or_default();
    let e = parsed.error;
    let code = e
        .details
        .iter()
        .find_map(|d| d.error_code.clone())
        .unwrap_or_else(|| e.status.clone());
    let reason = format!("{} {code}: {}", status.as_u16(), e.message);
    let about_token = e.message.to_ascii_lowercase().contains("token");
    match (status.as_u16(), code.as_str()) {
        (_, "UNREGISTERED" | "SENDER_ID_MISMATCH") | (404, _) => SendOutcome::DeadToken(reason),
        (400, "INVALID_ARGUMENT") if about_token => SendOutcome::DeadToken(reason),
        (401 | 408 | 429, _) | (500..=599, _) | (_, "THIRD_PARTY_AUTH_ERROR") => {
            SendOutcome::Retry {
                after: retry_after,
                reason,
            }
        }
        _ => SendOutcome::Rejected(reason),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fcm_error(code: u16, status: &str, message: &str, error_code: &str) -> Vec<u8> {
        serde_json::json!({"error": {"code": code, "message": message, "status": status,
            "details": [{"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError",
                         "errorCode": error_code}]}})
        .to_string()
        .into_bytes()
    }

    #[test]
    fn google_errors_map_to_what_to_do() {
        let unregistered = fcm_error(
            404,
            "NOT_FOUND",
            "Requested entity was not found.",
            "UNREGISTERED",
        );
        assert!(matches!(
            classify(StatusCode::NOT_FOUND, None, &unregistered),
            SendOutcome::DeadToken(_)
        ));
        let bad_token = fcm_error(
            400,
            "INVALID_ARGUMENT",
            "The registration token is not a valid FCM registration token",
            "INVALID_ARGUMENT",
        );
        assert!(matches!(
            classify(StatusCode::BAD_REQUEST, None, &bad_token),
            SendOutcome::DeadToken(_)
        ));
        let bad_message = fcm_error(
            400,
            "INVALID_ARGUMENT",
            "Invalid JSON payload",
            "INVALID_ARGUMENT",
        );
        assert!(matches!(
            classify(StatusCode::BAD_REQUEST, None, &bad_message),
            SendOutcome::Rejected(_)
        ));
        let quota = fcm_error(429, "RESOURCE_EXHAUSTED", "quota", "QUOTA_EXCEEDED");
        assert_eq!(
            classify(
                StatusCode::TOO_MANY_REQUESTS,
                Some(Duration::from_secs(7)),
                &quota
            ),
            SendOutcome::Retry {
                after: Some(Duration::from_secs(7)),
                reason: "429 QUOTA_EXCEEDED: quota".into()
            }
        );
        assert!(matches!(
            classify(StatusCode::SERVICE_UNAVAILABLE, None, b"not json"),
            SendOutcome::Retry { .. }
        ));
    }
}
