//! `/console`: the admin console's built files (`api/console`, built by `scripts/console`),
//! served from `CONSOLE_DIR` under a strict Content-Security-Policy: scripts, styles and calls
//! only from this origin, nothing inline, no framing. The console is same-origin with the API,
//! so the API's CORS stays as it is.

use std::path::PathBuf;

use poem::{
    Endpoint, EndpointExt, IntoResponse, Response,
    endpoint::StaticFilesEndpoint,
    http::{HeaderValue, StatusCode, header},
};

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; \
                   frame-ancestors 'none'";

/// Shown instead of the console while `CONSOLE_DIR` holds no build: says what to run rather
/// than failing.
const NOT_BUILT: &str = "<!doctype html><html lang=\"vi\"><head><meta charset=\"utf-8\">\
<title>Vanban console</title></head><body><h1>Bảng quản trị chưa được dựng</h1>\
<p>The admin console has not been built on this server. Run <code>scripts/console</code> \
(or <code>scripts/demo</code>) from the repository, or point <code>CONSOLE_DIR</code> at a \
directory holding the built console.</p></body></html>";

pub fn endpoint(dir: PathBuf) -> impl Endpoint<Output = Response> {
    let index = dir.join("index.html");
    StaticFilesEndpoint::new(dir)
        .index_file("index.html")
        .around(move |files, req| {
            let built = index.is_file();
            async move {
                let mut resp = if built {
                    files.call(req).await.unwrap_or_else(|e| e.into_response())
                } else {
                    (StatusCode::NOT_FOUND, poem::web::Html(NOT_BUILT)).into_response()
                };
                let headers = resp.headers_mut();
                headers.insert("content-security-policy", HeaderValue::from_static(CSP));
                headers.insert(
                    header::X_CONTENT_TYPE_OPTIONS,
                    HeaderValue::from_static("nosniff"),
                );
                headers.insert(
                    header::REFERRER_POLICY,
                    HeaderValue::from_static("no-referrer"),
                );
                Ok(resp)
            }
        })
}
