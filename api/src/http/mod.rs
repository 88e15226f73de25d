//! Where a request enters: the OpenAPI operations, their types, the error mapping and the
//! middleware. The only module that knows poem.

mod admin;
mod agencies;
mod anchors;
mod audit;
mod auth;
mod batch;
mod console;
mod documents;
mod enums;
pub mod error;
mod exchange;
mod history;
mod idempotency;
mod me;
mod middleware;
mod ops;
mod people;
mod reports;
mod security;
mod signing;
mod spec;
mod sync;
mod tabs;
mod tasks;
mod types;
mod upload;
mod written;

use std::path::PathBuf;

use poem::{Endpoint, EndpointExt, Route, middleware::CatchPanic};
use poem_openapi::{OpenApiService, Tags};

use crate::state::AppState;

#[derive(Tags)]
pub enum ApiTags {
    /// Logging in and out, refreshing tokens, changing the password.
    Auth,
    /// The caller's profile and devices.
    Me,
    /// Organisations, accounts and device sessions (role `admin`).
    Admin,
    /// Documents and their files.
    Documents,
    /// Submitting drafts, deciding tasks, the inbox.
    Work,
    /// The directory: colleagues of the caller's organisation tree.
    People,
    /// Signing keys, the signing PIN, signing on the phone with a key kept in the HSM.
    Signing,
    /// Exchange between agencies: whom documents can be sent to, sending them, and each
    /// recipient's status back.
    Exchange,
    /// Health and metrics for operators.
    Operations,
}

const DESCRIPTION: &str = "\
The server behind the Vanban mobile apps: official documents (văn bản) received, reviewed, \
approved and signed on a phone.

## Conventions
- Base path `/api/v1`; JSON in and out, UTF-8; instants are UTC RFC 3339.
- Authenticate with `Authorization: Bearer <access_token>` from `POST /api/v1/auth/login`. \
Access tokens live minutes; trade the refresh token at `POST /api/v1/auth/refresh` for a new \
pair before or after expiry (401 `token_expired`). 401 `session_revoked` means the session \
has ended: log in again.
- Errors are `application/problem+json` (RFC 9457) with a stable machine `code` to branch on \
and a `request_id` to quote when reporting a problem; each operation lists its codes.
- Lists are cursor-paginated: pass the `next_cursor` of one page as `cursor` for the next; \
no `next_cursor` means the last page.
- Mutating calls (approve, return, forward, assign, complete, submit, register, issue, \
uploads, …) honour an `Idempotency-Key` header: a repeat with the same key gets the first \
response again (`Idempotent-Replayed: true`) and acts once; the same key with a different \
request is 422 `idempotency_key_reused`, and one sent while the first still runs is 409 \
`idempotency_key_in_use`. Keys are kept for 24 hours, per user. An upload is matched on its \
operation alone: a retried upload is answered without being read.
- Every response carries `X-Request-Id` (send your own to correlate, 8 to 64 of `A-Za-z0-9-_`).";

type Apis = spec::Documented<(
    auth::AuthApi,
    me::MeApi,
    admin::AdminApi,
    agencies::AgencySyncApi,
    audit::AuditApi,
    reports::ReportsApi,
    documents::DocumentsApi,
    tasks::TasksApi,
    batch::BatchApi,
    tabs::TabsApi,
    sync::SyncApi,
    people::PeopleApi,
    agencies::AgenciesApi,
    signing::SigningApi,
    exchange::ExchangeApi,
    ops::OpsApi,
)>;

pub fn api() -> OpenApiService<Apis, ()> {
    OpenApiService::new(
        spec::Documented((
            auth::AuthApi,
            me::MeApi,
            admin::AdminApi,
            agencies::AgencySyncApi,
            audit::AuditApi,
            reports::ReportsApi,
            documents::DocumentsApi,
            tasks::TasksApi,
            batch::BatchApi,
            tabs::TabsApi,
            sync::SyncApi,
            people::PeopleApi,
            agencies::AgenciesApi,
            signing::SigningApi,
            exchange::ExchangeApi,
            ops::OpsApi,
        )),
        "Vanban API",
        env!("CARGO_PKG_VERSION"),
    )
    .description(DESCRIPTION)
}

/// The spec as committed in `openapi/openapi.json`.
pub fn spec_json() -> String {
    api().spec()
}

/// A handler panicked: log it (inside the request span, so with its request id) and answer
/// like any unexpected error.
fn answer_panic(panic: Box<dyn std::any::Any + Send>) -> error::ApiError {
    let message = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_default();
    tracing::error!(panic = %message, "a handler panicked");
    error::ApiError::new(
        error::ErrorCode::InternalError,
        "an unexpected error occurred",
    )
}

pub fn app(state: AppState, max_json_body_bytes: usize, console_dir: PathBuf) -> impl Endpoint {
    let api = api();
    Route::new()
        .at("/openapi.json", api.spec_endpoint())
        .nest("/console", console::endpoint(console_dir))
        .nest("/docs", api.swagger_ui())
        .nest("/", api)
        .around(idempotency::idempotency)
        .around(move |ep, req| middleware::limit_body(ep, req, max_json_body_bytes))
        .with(CatchPanic::new().with_handler(answer_panic))
        .around(middleware::client)
        .data(state)
        .around(middleware::request_context)
}
