//! What wraps every request: a request id (taken from `X-Request-Id` when the client sends a
//! sane one) in a tracing span so every log line carries it, request metrics, a cap on body
//! size, the client's address, and the conversion of any error that escaped a handler into
//! problem+json.

use std::{net::IpAddr, sync::Arc, time::Instant};

use ipnet::IpNet;

use futures_util::StreamExt;
use poem::{
    Body, Endpoint, IntoResponse, Request, Response, http::HeaderValue, web::headers::HeaderMapExt,
};
use poem_openapi::OperationId;
use tracing::Instrument;

use super::{
    error::{ApiError, ErrorCode, from_framework},
    exchange::APPLICATION_XML,
    signing::IMAGE_PNG,
};
use crate::{domain::exchange::edxml, signing::images::MAX_PNG_BYTES};

const REQUEST_ID_HEADER: &str = "x-request-id";

/// The address the request came from, as the throttles and the audit trail see it.
#[derive(Debug, Clone, Copy, Default)]
pub struct ClientAddress(pub Option<IpAddr>);

/// The peer's address; when the peer is a trusted proxy, the nearest address in
/// `X-Forwarded-For` that is not itself a trusted proxy. Everything left of that address was
/// written by the client and may be made up, so it is never read.
fn client_address(peer: Option<IpAddr>, forwarded: &[&str], trusted: &[IpNet]) -> Option<IpAddr> {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    let mut client = peer?;
    if !is_trusted(&client) {
        return Some(client);
    }
    let hops = forwarded
        .iter()
        .flat_map(|header| header.split(','))
        .map(str::trim)
        .rev();
    for hop in hops {
        let Ok(ip) = hop.parse::<IpAddr>() else {
            break;
        };
        client = ip;
        if !is_trusted(&ip) {
            break;
        }
    }
    Some(client)
}

pub async fn client<E: Endpoint>(next: Arc<E>, mut req: Request) -> poem::Result<Response> {
    let peer = req.remote_addr().as_socket_addr().map(|a| a.ip());
    let trusted = req
        .data::<crate::state::AppState>()
        .map(|s| s.trusted_proxies.clone());
    let address = match trusted {
        Some(trusted) if !trusted.is_empty() => {
            let forwarded: Vec<&str> = req
                .headers()
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .collect();
            client_address(peer, &forwarded, &trusted)
        }
        _ => peer,
    };
    req.set_data(ClientAddress(address));
    next.call(req).await.map(IntoResponse::into_response)
}

tokio::task_local! {
    static REQUEST_ID: String;
}

/// The id of the request being handled on this task, if any.
pub fn current_request_id() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

fn request_id(req: &Request) -> String {
    req.header(REQUEST_ID_HEADER)
        .filter(|id| {
            (8..=64).contains(&id.len())
                && id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        })
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::now_v7().to_string())
}

pub async fn request_context<E: Endpoint>(next: Arc<E>, req: Request) -> poem::Result<Response> {
    let id = request_id(&req);
    let method = req.method().to_string();
    let span = tracing::info_span!("request", request_id = %id, %method, path = %req.uri().path());
    let started = Instant::now();
    let mut resp = REQUEST_ID
        .scope(id.clone(), async move {
            match next.call(req).await {
                Ok(resp) => resp.into_response(),
                Err(err) => {
                    let operation = err.data::<OperationId>().cloned();
                    let mut resp = if err.is_from_response() {
                        err.into_response()
                    } else {
                        from_framework(&err).into_response()
                    };
                    if let Some(operation) = operation {
                        resp.set_data(operation);
                    }
                    resp
                }
            }
        })
        .instrument(span.clone())
        .await;
    let elapsed = started.elapsed().as_secs_f64();
    let status = resp.status().as_u16();
    let operation = resp.data::<OperationId>().map_or("unmatched", |op| op.0);
    metrics::counter!("http_requests_total", "operation" => operation, "method" => method, "status" => status.to_string()).increment(1);
    metrics::histogram!("http_request_duration_seconds", "operation" => operation).record(elapsed);
    span.in_scope(|| tracing::info!(status, elapsed_ms = elapsed * 1000.0, "request finished"));
    if let Ok(value) = HeaderValue::from_str(&id) {
        resp.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    Ok(resp)
}

/// Refuses bodies over `max` bytes: at once when `Content-Length` says so, and while reading
/// when the body is chunked, so no request can make the server buffer more than `max`.
///
/// `multipart/form-data` bodies pass uncapped: they carry files of many megabytes, and the only
/// reader of such bodies, the upload extractor (`http::upload`), streams them and bounds what it
/// holds itself. Every other extractor refuses them by content type without reading them.
/// `image/png` bodies (signature and seal images) may reach [`MAX_PNG_BYTES`], `application/xml`
/// ones (edXML messages) [`edxml::MAX_MESSAGE_BYTES`].
pub async fn limit_body<E: Endpoint>(
    next: Arc<E>,
    mut req: Request,
    max: usize,
) -> poem::Result<Response> {
    if req
        .content_type()
        .is_some_and(super::upload::is_multipart_form_data)
    {
        return next.call(req).await.map(IntoResponse::into_response);
    }
    // A signature or seal image, an edXML message with its files, are larger than any JSON
    // body, each within its own cap.
    let max = match req.content_type() {
        Some(IMAGE_PNG) => max.max(MAX_PNG_BYTES),
        Some(APPLICATION_XML) => max.max(edxml::MAX_MESSAGE_BYTES),
        _ => max,
    };
    let declared = req
        .headers()
        .typed_get::<poem::web::headers::ContentLength>()
        .map(|len| len.0);
    if declared.is_some_and(|len| len > max as u64) {
        return Err(ApiError::new(
            ErrorCode::PayloadTooLarge,
            format!("the request body is larger than {max} bytes"),
        )
        .into());
    }
    if declared.is_none() {
        let mut seen = 0usize;
        let body = req.take_body().into_bytes_stream().map(move |chunk| {
            let chunk = chunk?;
            seen += chunk.len();
            if seen > max {
                return Err(std::io::Error::other(format!(
                    "the request body is larger than {max} bytes"
                )));
            }
            Ok(chunk)
        });
        req.set_body(Body::from_bytes_stream(body));
    }
    next.call(req).await.map(IntoResponse::into_response)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> Option<IpAddr> {
        s.parse().ok()
    }

    #[test]
    fn forwarded_for_is_believed_only_from_a_trusted_proxy() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        let spoofed = ["203.0.113.7"];
        assert_eq!(
            client_address(ip("198.51.100.2"), &spoofed, &trusted),
            ip("198.51.100.2")
        );
        assert_eq!(
            client_address(ip("10.0.0.5"), &spoofed, &trusted),
            ip("203.0.113.7")
        );
    }

    #[test]
    fn the_client_is_the_nearest_untrusted_hop() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        // The client wrote the first entry itself; the proxies appended the rest.
        let chain = ["1.2.3.4, 203.0.113.7", "10.0.0.9"];
        assert_eq!(
            client_address(ip("10.0.0.5"), &chain, &trusted),
            ip("203.0.113.7")
        );
        let garbled = ["203.0.113.7, not-an-address"];
        assert_eq!(
            client_address(ip("10.0.0.5"), &garbled, &trusted),
            ip("10.0.0.5")
        );
        assert_eq!(
            client_address(ip("10.0.0.5"), &[], &trusted),
            ip("10.0.0.5")
        );
    }
}
