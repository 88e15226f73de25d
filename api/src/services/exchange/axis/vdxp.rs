//! The national exchange axis (VDXP) over REST. Every call is a POST whose inputs travel as
//! signed headers: `timestamp`, `systemid` and the call's own keys, each as
//! `XroadVnpt-<key>: <value>`; `XroadVnpt-sign-header` is the JSON object of them,
//! `XroadVnpt-sign-header-key` their names joined by `;`, and `XroadVnpt-hash-header` the hex
//! HMAC-SHA256 of that JSON under the system's secret. Answers are JSON with `status` `OK`.

use std::time::Duration;

use base64::{Engine, engine::general_purpose::STANDARD};
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::Value;
use sha2::Sha256;

use super::{Ack, Axis, AxisError, DirectoryEntry, MessageKind, Outgoing, Waiting};
use crate::clock::Clock;

const PREFIX: &str = "XroadVnpt-";

/// Where the axis is and who we are on it.
#[derive(Clone)]
pub struct VdxpConfig {
    pub url: String,
    pub system_id: String,
    pub secret: SecretString,
    /// Bounds every call, connecting included.
    pub timeout: Duration,
}

pub struct Vdxp {
    http: reqwest::Client,
    base: String,
    system_id: String,
    secret: SecretString,
    timeout: Duration,
    clock: std::sync::Arc<dyn Clock>,
}

impl std::fmt::Debug for Vdxp {
    // By hand: the secret stays out of logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vdxp")
            .field("base", &self.base)
            .field("system_id", &self.system_id)
            .finish_non_exhaustive()
    }
}

/// The headers that sign one call made at `now` with `keys`, in order.
pub fn signed_headers(
    system_id: &str,
    secret: &SecretString,
    now: DateTime<Utc>,
    keys: &[(&str, &str)],
) -> Vec<(String, String)> {
    let timestamp = format!(
        "{}+{:04}",
        now.format("%d%m%YT%H%M%S"),
        now.timestamp_subsec_millis()
    );
    let mut signed: Vec<(&str, &str)> = vec![("timestamp", &timestamp), ("systemid", system_id)];
    signed.extend_from_slice(keys);
    let object: serde_json::Map<String, Value> = signed
        .iter()
        .map(|(k, v)| ((*k).to_owned(), Value::String((*v).to_owned())))
        .collect();
    let json = Value::Object(object).to_string();
    let names = signed.iter().map(|(k, _)| *k).collect::<Vec<_>>().join(";");
    let mut headers: Vec<(String, String)> = signed
        .iter()
        .map(|(k, v)| (format!("{PREFIX}{k}"), (*v).to_owned()))
        .collect();
    headers.push((format!("{PREFIX}sign-header-key"), names));
    headers.push((format!("{PREFIX}hash-header"), hmac_hex(secret, &json)));
    headers.push((format!("{PREFIX}sign-header"), json));
    headers
}

fn hmac_hex(secret: &SecretString, text: &str) -> String {
    // HMAC takes a key of any length: this cannot fail.
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.expose_secret().as_bytes()) {
        Ok(mac) => mac,
        Err(_) => return String::new(),
    };
    mac.update(text.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// The envelope of every answer; `data` depends on the call.
#[derive(Deserialize)]
struct Answer {
    #[serde(default)]
    status: Option<String>,
    #[serde(default, rename = "ErrorCode")]
    error_code: Option<Value>,
    #[serde(default, rename = "ErrorDesc")]
    error_desc: Option<String>,
    #[serde(default, rename = "DocId")]
    doc_id: Option<Value>,
    #[serde(default)]
    data: Value,
}

impl Answer {
    fn refusal(&self) -> String {
        let code = self
            .error_code
            .as_ref()
            .map(text_of)
            .unwrap_or_else(|| "?".to_owned());
        format!(
            "status {}, error {code}: {}",
            self.status.as_deref().unwrap_or("-"),
            self.error_desc.as_deref().unwrap_or("-")
        )
    }
}

/// A JSON scalar as text: the axis writes ids as strings or numbers.
fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

#[derive(Deserialize)]
struct WaitingItem {
    #[serde(rename = "docId")]
    doc_id: Value,
    #[serde(default)]
    from: Option<String>,
    #[serde(default, rename = "messageType")]
    message_type: Option<String>,
    #[serde(default)]
    status: Option<String>,
}

#[derive(Deserialize)]
struct AgencyItem {
    code: String,
    name: String,
    #[serde(default)]
    pid: Value,
}

impl Vdxp {
    pub fn new(
        config: VdxpConfig,
        clock: std::sync::Arc<dyn Clock>,
    ) -> Result<Self, reqwest::Error> {
        // reqwest is built without a rustls provider of its own: use ring, as sqlx does. An
        // error only means a provider is installed already.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .connect_timeout(config.timeout.min(Duration::from_secs(5)))
            .timeout(config.timeout)
            .build()?;
        Ok(Self {
            http,
            base: config.url.trim_end_matches('/').to_owned(),
            system_id: config.system_id,
            secret: config.secret,
            timeout: config.timeout,
            clock,
        })
    }

    async fn call(
        &self,
        path: &str,
        keys: &[(&str, &str)],
        file: Option<&[u8]>,
    ) -> Result<Answer, AxisError> {
        let mut request = self.http.post(format!("{}/{path}", self.base));
        for (name, value) in signed_headers(&self.system_id, &self.secret, self.clock.now(), keys) {
            request = request.header(name, value);
        }
        request = match file {
            Some(bytes) => {
                let part = reqwest::multipart::Part::bytes(bytes.to_vec())
                    .file_name("message.edxml")
                    .mime_str("application/xml")
                    .map_err(|e| AxisError::Rejected(e.to_string()))?;
                request.multipart(reqwest::multipart::Form::new().part("file_doc", part))
            }
            None => request.header("content-length", "0"),
        };
        let started = std::time::Instant::now();
        let sent = request.send().await;
        metrics::histogram!("exchange_axis_call_seconds", "call" => path.to_owned())
            .record(started.elapsed().as_secs_f64());
        let response = sent.map_err(|e| self.transport(e))?;
        let status = response.status();
        let body = response.bytes().await.map_err(|e| self.transport(e))?;
        let answer = serde_json::from_slice::<Answer>(&body);
        match (status, answer) {
            (s, Ok(a)) if s.is_success() && a.status.as_deref() == Some("OK") => Ok(a),
            // The call was understood and refused.
            (s, Ok(a)) if s.is_success() => Err(AxisError::Rejected(a.refusal())),
            (StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN, a) => Err(AxisError::Unauthorized(
                a.map(|a| a.refusal())
                    .unwrap_or_else(|_| status.to_string()),
            )),
            (s, _) if s.is_server_error() || s == StatusCode::TOO_MANY_REQUESTS => {
                Err(AxisError::Unavailable(format!("{path} answered {s}")))
            }
            // An answer not understood may still mean it was taken: trying again is safe,
            // receivers recognise a repeated DocumentId.
            (s, Err(_)) if s.is_success() => Err(AxisError::Unavailable(format!(
                "{path} answered something other than JSON"
            ))),
            (s, a) => Err(AxisError::Rejected(format!(
                "{path} answered {s}: {}",
                a.map(|a| a.refusal()).unwrap_or_default()
            ))),
        }
    }

    fn transport(&self, e: reqwest::Error) -> AxisError {
        if e.is_timeout() {
            AxisError::Timeout(self.timeout)
        } else {
            // The URL is ours to log; the secret is only ever in the hash.
            AxisError::Unavailable(e.without_url().to_string())
        }
    }
}

#[async_trait::async_trait]
impl Axis for Vdxp {
    async fn send(&self, message: Outgoing<'_>) -> Result<String, AxisError> {
        let to = serde_json::to_string(message.to).unwrap_or_else(|_| "[]".to_owned());
        let keys = [
            ("from", message.from),
            ("messagetype", message.kind.as_str()),
            ("servicetype", "eDoc"),
            ("to", to.as_str()),
        ];
        let answer = self.call("sendEdoc", &keys, Some(message.edxml)).await?;
        match answer.doc_id.as_ref().map(text_of) {
            Some(id) if !id.is_empty() => Ok(id),
            _ => Err(AxisError::Unavailable(
                "sendEdoc answered OK without a DocId".to_owned(),
            )),
        }
    }

    async fn waiting(&self, kind: MessageKind) -> Result<Vec<Waiting>, AxisError> {
        let keys = [("messagetype", kind.as_str()), ("servicetype", "eDoc")];
        let answer = self.call("getReceivedEdocList", &keys, None).await?;
        let items: Vec<WaitingItem> = match answer.data {
            Value::Null => Vec::new(),
            data => serde_json::from_value(data).map_err(|e| {
                AxisError::Unavailable(format!("getReceivedEdocList: unexpected data: {e}"))
            })?,
        };
        Ok(items
            .into_iter()
            // Some axes list what was acknowledged already, marked so.
            .filter(|i| {
                !i.status
                    .as_deref()
                    .is_some_and(|s| s.eq_ignore_ascii_case("done"))
            })
            .map(|i| Waiting {
                doc_id: text_of(&i.doc_id),
                from: i.from.unwrap_or_default(),
                kind: i
                    .message_type
                    .as_deref()
                    .and_then(MessageKind::parse)
                    .unwrap_or(kind),
            })
            .filter(|w| !w.doc_id.is_empty())
            .collect())
    }

    async fn fetch(&self, doc_id: &str) -> Result<Vec<u8>, AxisError> {
        let answer = self.call("getEdoc", &[("docId", doc_id)], None).await?;
        let Value::String(encoded) = answer.data else {
            return Err(AxisError::Unavailable(
                "getEdoc answered without the message".to_owned(),
            ));
        };
        // Some encoders wrap base64 in lines.
        let compact: String = encoded.split_ascii_whitespace().collect();
        STANDARD
            .decode(compact)
            .map_err(|e| AxisError::Rejected(format!("getEdoc: the message is not base64: {e}")))
    }

    async fn acknowledge(&self, doc_id: &str, ack: Ack) -> Result<(), AxisError> {
        let keys = [("docid", doc_id), ("status", ack.as_str())];
        self.call("updateStatus", &keys, None).await.map(|_| ())
    }

    async fn agencies(&self) -> Result<Vec<DirectoryEntry>, AxisError> {
        let answer = self.call("getAgenciesList", &[], None).await?;
        let items: Vec<AgencyItem> = serde_json::from_value(answer.data).map_err(|e| {
            AxisError::Unavailable(format!("getAgenciesList: unexpected data: {e}"))
        })?;
        Ok(items
            .into_iter()
            .map(|i| DirectoryEntry {
                parent_code: Some(text_of(&i.pid)).filter(|p| !p.is_empty() && p != "0"),
                code: i.code.trim().to_owned(),
                name: i.name.trim().to_owned(),
            })
            .filter(|e| !e.code.is_empty() && !e.name.is_empty())
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn a_call_is_signed_over_the_json_of_its_headers() {
        let secret = SecretString::from("s3cret".to_owned());
        let now = Utc
            .with_ymd_and_hms(2026, 12, 1, 9, 5, 7)
            .unwrap()
            .checked_add_signed(chrono::Duration::milliseconds(42))
            .unwrap();
        let headers = signed_headers("sys-a", &secret, now, &[("docId", "123")]);
        let get = |name: &str| {
            headers
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
                .unwrap()
        };
        assert_eq!(get("XroadVnpt-timestamp"), "01122026T090507+0042");
        assert_eq!(get("XroadVnpt-systemid"), "sys-a");
        assert_eq!(get("XroadVnpt-docId"), "123");
        assert_eq!(get("XroadVnpt-sign-header-key"), "timestamp;systemid;docId");
        let json = get("XroadVnpt-sign-header");
        let parsed: Value = serde_json::from_str(&json).unwrap();
        assert_eq!(parsed["docId"], "123");
        assert_eq!(parsed["timestamp"], "01122026T090507+0042");
        let mut mac = Hmac::<Sha256>::new_from_slice(b"s3cret").unwrap();
        mac.update(json.as_bytes());
        assert_eq!(
            get("XroadVnpt-hash-header"),
            hex::encode(mac.finalize().into_bytes())
        );
        assert!(!format!("{headers:?}").contains("s3cret"));
    }

    #[test]
    fn only_a_refusal_is_final() {
        assert!(AxisError::Unavailable("503".into()).retryable());
        assert!(AxisError::Timeout(Duration::from_secs(1)).retryable());
        assert!(AxisError::Unauthorized("401".into()).retryable());
        assert!(!AxisError::Rejected("unknown recipient".into()).retryable());
    }
}
