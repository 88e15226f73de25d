//! `Idempotency-Key` on mutating calls: a phone on a bad network may send an approval twice,
//! and must not approve twice. The first request with a key runs and its response is kept for
//! a day under (user, key); a repeat gets that response again, marked
//! `Idempotent-Replayed: true`, without acting. The same key with another request answers 422;
//! a repeat while the first is still running answers 409. A 5xx is not kept, so a retry after a
//! failure really retries. The caller is authenticated before anything is looked up, so a key
//! never replays someone else's answer. An upload streams to storage and may be large, so it
//! is matched on its operation alone and a replayed retry is never read.
//!
//! Bodies carry PINs and passwords, so what is kept identifies them only by an HMAC under a
//! server secret, never by a plain hash someone could test guesses against. A request that
//! ends without an answer to keep (a panic, a client that hung up, a body that never arrived
//! whole) frees its key, so the retry runs instead of hearing "in use" for a day.

use std::sync::{
    Arc,
    atomic::{AtomicBool, Ordering},
};

use futures_util::StreamExt;
use hmac::Mac;
use poem::{Body, Endpoint, IntoResponse, Request, Response, http::Method};
use redis::{AsyncCommands, Script, aio::ConnectionManager};
use serde::{Deserialize, Serialize};

use super::{
    error::{ApiError, ErrorCode},
    upload::is_multipart_form_data,
};
use crate::{services::auth::authenticate, state::AppState};

const HEADER: &str = "idempotency-key";
pub const MAX_KEY_LEN: usize = 255;
const KEEP_SECS: u64 = 24 * 3600;

#[derive(Serialize, Deserialize)]
struct Kept {
    fingerprint: String,
    /// `None` while the first request is still running.
    response: Option<KeptResponse>,
}

#[derive(Serialize, Deserialize)]
struct KeptResponse {
    status: u16,
    content_type: Option<String>,
    body: String,
}

/// Whether an operation honours `Idempotency-Key`: a mutating one, for an authenticated
/// caller (keys are kept per user). The spec declares the header by this same rule.
pub fn honoured(method: &Method, authenticated: bool) -> bool {
    authenticated
        && matches!(
            *method,
            Method::POST | Method::PUT | Method::PATCH | Method::DELETE
        )
}

pub async fn idempotency<E: Endpoint>(next: Arc<E>, mut req: Request) -> poem::Result<Response> {
    let key = req.header(HEADER).map(str::to_owned);
    let bearer = req
        .header("authorization")
        .and_then(|h| h.strip_prefix("Bearer "))
        .map(str::to_owned);
    let honoured = honoured(req.method(), bearer.is_some());
    let (Some(key), true, Some(state)) = (key, honoured, req.data::<AppState>().cloned()) else {
        return next.call(req).await.map(IntoResponse::into_response);
    };
    if key.is_empty() || key.len() > MAX_KEY_LEN {
        return Err(ApiError::new(
            ErrorCode::InvalidRequest,
            format!("Idempotency-Key must be 1 to {MAX_KEY_LEN} characters"),
        )
        .into());
    }
    let Some(who) = (match bearer {
        // Only to key the replay by user; the operation authenticates again for itself.
        Some(token) => authenticate(&state, &token, false, None).await.ok(),
        None => None,
    }) else {
        // Not authenticated: the operation itself answers why.
        return next.call(req).await.map(IntoResponse::into_response);
    };
    let mac = state.tokens.derived_mac("idempotency");
    let mut fingerprint = mac.clone();
    fingerprint.update(b"request\0");
    fingerprint.update(req.method().as_str().as_bytes());
    fingerprint.update(b"\0");
    fingerprint.update(req.uri().path().as_bytes());
    fingerprint.update(b"\0");
    // Set when the body stops short (the client hung up): the answer to a request that never
    // arrived whole is not kept.
    let cut_short = Arc::new(AtomicBool::new(false));
    if req.content_type().is_some_and(is_multipart_form_data) {
        let flag = cut_short.clone();
        let body = req.take_body().into_bytes_stream().inspect(move |chunk| {
            if chunk.is_err() {
                flag.store(true, Ordering::Relaxed);
            }
        });
        req.set_body(Body::from_bytes_stream(body));
    } else {
        let body = req.take_body().into_bytes().await?;
        fingerprint.update(&body);
        req.set_body(Body::from_bytes(body));
    }
    let fingerprint = hex::encode(fingerprint.finalize().into_bytes());
    let mut named = mac;
    named.update(b"key\0");
    named.update(who.user_id.as_bytes());
    named.update(key.as_bytes());
    let redis_key = format!(
        "{}idem:{}",
        state.redis_key_prefix,
        hex::encode(named.finalize().into_bytes())
    );
    let mut redis = state.redis.clone();
    let claim = serde_json::to_string(&Kept {
        fingerprint: fingerprint.clone(),
        response: None,
    })
    .map_err(|e| ApiError::unexpected(&e.into()))?;
    let claimed: bool = redis::cmd("SET")
        .arg(&redis_key)
        .arg(&claim)
        .arg("NX")
        .arg("EX")
        .arg(KEEP_SECS)
        .query_async::<Option<String>>(&mut redis)
        .await
        .map_err(|e| {
            ApiError::unexpected(&anyhow::Error::new(e).context("claiming an idempotency key"))
        })?
        .is_some();
    if !claimed {
        let kept: Option<String> = redis.get(&redis_key).await.map_err(|e| {
            ApiError::unexpected(&anyhow::Error::new(e).context("reading an idempotency key"))
        })?;
        let kept: Option<Kept> = kept.and_then(|k| serde_json::from_str(&k).ok());
        return match kept {
            Some(kept) if kept.fingerprint != fingerprint => Err(ApiError::new(
                ErrorCode::IdempotencyKeyReused,
                "this Idempotency-Key was used for a different request",
            )
            .into()),
            Some(Kept {
                response: Some(r), ..
            }) => Ok(replay(r)),
            _ => Err(ApiError::new(
                ErrorCode::IdempotencyKeyInUse,
                "the first request with this Idempotency-Key is still being processed",
            )
            .into()),
        };
    }
    let claim = Claim {
        redis: redis.clone(),
        key: redis_key.clone(),
        value: claim,
        kept: false,
    };
    let resp = match next.call(req).await {
        Ok(resp) => resp.into_response(),
        Err(err) => err.into_response(),
    };
    if resp.status().is_server_error() || cut_short.load(Ordering::Relaxed) {
        return Ok(resp);
    }
    let (parts, body) = resp.into_parts();
    let bytes = body.into_bytes().await?;
    let kept = Kept {
        fingerprint,
        response: Some(KeptResponse {
            status: parts.status.as_u16(),
            content_type: parts
                .headers
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }),
    };
    if let Ok(kept) = serde_json::to_string(&kept) {
        let stored: Result<(), _> = redis.set_ex(&redis_key, kept, KEEP_SECS).await;
        match stored {
            Ok(()) => claim.keep(),
            Err(e) => tracing::warn!(error = %e, "could not keep an idempotent response"),
        }
    }
    Ok(Response::from_parts(parts, Body::from_bytes(bytes)))
}

/// A key claimed for a request in progress. Unless the answer was kept, dropping it frees the
/// key: after a 5xx, a panic unwinding through the middleware, or a request future dropped
/// because the client went away.
struct Claim {
    redis: ConnectionManager,
    key: String,
    /// What the claim wrote: only that is removed, never an answer kept meanwhile.
    value: String,
    kept: bool,
}

impl Claim {
    fn keep(mut self) {
        self.kept = true;
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        if self.kept {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let mut redis = self.redis.clone();
        let key = std::mem::take(&mut self.key);
        let value = std::mem::take(&mut self.value);
        runtime.spawn(async move {
            let freed: Result<i64, _> = Script::new(
                "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0",
            )
            .key(&key)
            .arg(&value)
            .invoke_async(&mut redis)
            .await;
            if let Err(e) = freed {
                tracing::warn!(error = %e, "could not free an idempotency key");
            }
        });
    }
}

fn replay(kept: KeptResponse) -> Response {
    let mut resp = Response::builder()
        .status(poem::http::StatusCode::from_u16(kept.status).unwrap_or(poem::http::StatusCode::OK))
        .header("Idempotent-Replayed", "true");
    if let Some(content_type) = kept.content_type {
        resp = resp.content_type(content_type);
    }
    resp.body(kept.body)
}
