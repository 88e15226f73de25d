//! The trust anchors in the form the client asks for: JSON for an app, a PEM bundle (one file,
//! the certificates one after the other) for a validator such as pyHanko or a browser.

use poem::{IntoResponse, Request, Response};
use poem_openapi::{
    ApiResponse, Object,
    registry::{MetaMediaType, MetaResponse, MetaResponses, Registry},
    types::{Example, Type},
};

use super::signing::EXAMPLE_PEM;

const PEM: &str = "application/x-pem-file";
const JSON: &str = "application/json";

#[derive(Debug, Object)]
#[oai(example)]
pub struct TrustAnchors {
    /// CA certificates, PEM.
    pub certificates: Vec<String>,
}

impl Example for TrustAnchors {
    fn example() -> Self {
        Self {
            certificates: vec![EXAMPLE_PEM.to_owned()],
        }
    }
}

/// The CA certificates, as JSON or as one PEM file.
pub enum AnchorsResponse {
    Json(TrustAnchors),
    Pem(String),
}

impl AnchorsResponse {
    /// PEM when the request's `Accept` prefers it to JSON, JSON otherwise.
    pub fn negotiate(req: &Request, certificates: Vec<String>) -> Self {
        if prefers_pem(req.header("accept").unwrap_or_default()) {
            Self::Pem(certificates.concat())
        } else {
            Self::Json(TrustAnchors { certificates })
        }
    }
}

/// The first of the two types in the order of `q` (then of listing); ties and wildcards go
/// to JSON.
fn prefers_pem(accept: &str) -> bool {
    let mut offered: Vec<(f32, bool)> = accept
        .split(',')
        .filter_map(|item| {
            let mut parts = item.split(';').map(str::trim);
            let media = parts.next()?.to_ascii_lowercase();
            let q = parts
                .find_map(|p| p.strip_prefix("q="))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            match media.as_str() {
                PEM => Some((q, true)),
                JSON | "application/*" | "*/*" => Some((q, false)),
                _ => None,
            }
        })
        .filter(|(q, _)| *q > 0.0)
        .collect();
    // Stable: among equal q, the listing order stands.
    offered.sort_by(|a, b| b.0.total_cmp(&a.0));
    offered.first().is_some_and(|(_, pem)| *pem)
}

impl IntoResponse for AnchorsResponse {
    fn into_response(self) -> Response {
        match self {
            Self::Json(anchors) => poem_openapi::payload::Json(anchors).into_response(),
            Self::Pem(pem) => Response::builder().content_type(PEM).body(pem),
        }
    }
}

impl ApiResponse for AnchorsResponse {
    fn meta() -> MetaResponses {
        MetaResponses {
            responses: vec![MetaResponse {
                description: "The CA certificates: JSON, or one PEM file when `Accept` asks for \
                              `application/x-pem-file`.",
                status: Some(200),
                status_range: None,
                content: vec![
                    MetaMediaType {
                        content_type: JSON,
                        schema: TrustAnchors::schema_ref(),
                    },
                    MetaMediaType {
                        content_type: PEM,
                        schema: String::schema_ref(),
                    },
                ],
                headers: Vec::new(),
            }],
        }
    }

    fn register(registry: &mut Registry) {
        TrustAnchors::register(registry);
    }
}

#[cfg(test)]
mod tests {
    use super::prefers_pem;

    #[test]
    fn pem_only_when_asked_for_before_json() {
        assert!(prefers_pem("application/x-pem-file"));
        assert!(prefers_pem("application/x-pem-file, application/json"));
        assert!(prefers_pem(
            "application/json;q=0.5, application/x-pem-file"
        ));
        assert!(!prefers_pem(""));
        assert!(!prefers_pem("*/*"));
        assert!(!prefers_pem("application/json, application/x-pem-file"));
        assert!(!prefers_pem("application/x-pem-file;q=0, */*"));
        assert!(!prefers_pem("text/html"));
    }
}
