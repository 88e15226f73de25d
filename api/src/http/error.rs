//! Errors become HTTP here, once: every area's error enum maps to an [`ErrorCode`], every code
//! has one status and title, and every response is an RFC 9457 `application/problem+json`
//! body carrying a stable machine `code` and the request id.
//!
//! Each operation declares the codes it can answer with, as a [`ProblemSet`], so the spec
//! documents exactly those statuses (plus the 500 and the Redis and database 503s any operation
//! can return).
//! A 429 or 503 always carries Retry-After.

use std::{
    collections::{BTreeMap, HashSet},
    marker::PhantomData,
    sync::{Mutex, OnceLock},
};

use poem::{IntoResponse, Response, http::StatusCode};
use poem_openapi::{
    ApiResponse, Object,
    registry::{MetaHeader, MetaMediaType, MetaResponse, MetaResponses, Registry},
    types::{Example, ToJSON, Type},
};

use super::{middleware::current_request_id, upload::UploadError};
use crate::{
    auth::{
        TokenError,
        password::{BUSY_RETRY_AFTER_SECS, PasswordError},
    },
    domain::{InvalidInput, PasswordPolicyError, workflow::WorkflowError},
    files::PdfError,
    services::{
        admin::AdminError,
        auth::AuthError,
        auth::AuthnError,
        documents::DocumentError,
        exchange::{arrival::ArrivalError, axis::AxisError, directory::DirectoryError},
        flow::FlowError,
        me::MeError,
        people::PeopleError,
        signing::SigningError,
        urge::UrgeError,
        workflow::WorkflowServiceError,
    },
    signing::{HsmError, images::ImageError, pades::PadesError, tsa},
};

pub const PROBLEM_JSON: &str = "application/problem+json";

/// Seconds a client is asked to wait when a dependency is down (Redis and the database pool
/// reconnect by themselves).
const UNAVAILABLE_RETRY_AFTER_SECS: u64 = 5;

/// What any operation can answer besides its own codes.
const ALWAYS: [ErrorCode; 3] = [
    ErrorCode::InternalError,
    ErrorCode::SessionStoreUnavailable,
    ErrorCode::DatabaseUnavailable,
];

macro_rules! error_codes {
    ($($variant:ident => $status:literal, $code:literal, $title:literal;)*) => {
        /// The stable machine codes clients branch on.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum ErrorCode { $($variant),* }

        impl ErrorCode {
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant),*];

            pub fn as_str(self) -> &'static str {
                match self { $(ErrorCode::$variant => $code),* }
            }

            pub fn status(self) -> u16 {
                match self { $(ErrorCode::$variant => $status),* }
            }

            pub fn title(self) -> &'static str {
                match self { $(ErrorCode::$variant => $title),* }
            }
        }
    };
}

error_codes! {
    InvalidRequest => 400, "invalid_request", "The request is malformed";
    InvalidUpload => 400, "invalid_upload", "The multipart upload is not in the expected form";
    Unauthenticated => 401, "unauthenticated", "An access token is required";
    InvalidToken => 401, "invalid_token", "The access token is not valid";
    TokenExpired => 401, "token_expired", "The access token has expired; refresh it";
    SessionRevoked => 401, "session_revoked", "The session has ended; log in again";
    InvalidCredentials => 401, "invalid_credentials", "Wrong username or password";
    InvalidRefreshToken => 401, "invalid_refresh_token", "The refresh token is not valid; log in again";
    PasswordChangeRequired => 403, "password_change_required", "The password must be changed first";
    AccountDisabled => 403, "account_disabled", "The account is disabled";
    CurrentPasswordIncorrect => 403, "current_password_incorrect", "The current password is wrong";
    CurrentPinRequired => 403, "current_pin_required", "Changing the signing PIN needs the current PIN; an admin resets a forgotten one";
    Forbidden => 403, "forbidden", "This needs a role the caller does not have";
    NotYourTask => 403, "not_your_task", "This task is assigned to someone else";
    NotTheAuthor => 403, "not_the_author", "Only the author may do this";
    NotTheAssigner => 403, "not_the_assigner", "Only whoever assigned this task may do this";
    SigningPinInvalid => 403, "signing_pin_invalid", "Wrong signing PIN";
    SigningLocked => 403, "signing_locked", "Signing is locked after too many wrong PINs; an admin can unlock it";
    NotFound => 404, "not_found", "Not found";
    MethodNotAllowed => 405, "method_not_allowed", "The method is not allowed here";
    UsernameTaken => 409, "username_taken", "The username is taken";
    ExchangeNotConfigured => 409, "exchange_not_configured", "No exchange axis is configured on this server";
    OrganizationCodeTaken => 409, "organization_code_taken", "The organisation code is taken";
    IdempotencyKeyInUse => 409, "idempotency_key_in_use", "The first request with this Idempotency-Key is still being processed";
    TaskAlreadyDecided => 409, "task_already_decided", "The task has already been decided";
    NotYourTurn => 409, "not_your_turn", "An earlier step has not been decided yet";
    NotForThisTask => 409, "not_for_this_task", "This decision does not apply to this task";
    SignatureRequired => 409, "signature_required", "This step is approved by signing";
    WrongDocumentState => 409, "wrong_document_state", "Not possible in the document's current state";
    RecallTooLate => 409, "recall_too_late", "A recipient has already taken the document in, or given it back";
    RecallPending => 409, "recall_pending", "The sender asks for the document back: answer that first";
    NoRecallAsked => 409, "no_recall_asked", "The sender has not asked for the document back";
    FileVersionConflict => 409, "file_version_conflict", "Another version of this file was stored at the same moment; reload and retry";
    SigningPinNotSet => 409, "signing_pin_not_set", "No signing PIN is set";
    SigningCredentialMissing => 409, "signing_credential_missing", "No signing key or certificate is provisioned for this signer";
    OrganizationSealMissing => 409, "organization_seal_missing", "The organisation has no seal certificate to sign issued documents with";
    FileReplaced => 409, "file_replaced", "The file has a newer version; sign that one";
    SigningDigestMismatch => 409, "signing_digest_mismatch", "The file to sign is not the one shown; make a new signing request";
    SigningRequestExpired => 410, "signing_request_expired", "The signing request has expired; make a new one";
    PayloadTooLarge => 413, "payload_too_large", "The request body is too large";
    RangeNotSatisfiable => 416, "range_not_satisfiable", "The range is outside the file";
    UnsupportedMediaType => 415, "unsupported_media_type", "The request body has the wrong content type";
    NotAPdf => 415, "not_a_pdf", "A file is not a PDF";
    ImageNotPng => 415, "image_not_png", "The image is not a PNG";
    ValidationFailed => 422, "validation_failed", "A value was refused";
    IdempotencyKeyReused => 422, "idempotency_key_reused", "The Idempotency-Key was used for a different request";
    CommentRequired => 422, "comment_required", "A comment (or directive) is required";
    ReasonRequired => 422, "reason_required", "A reason is required: the sender reads it";
    MessageMalformed => 422, "message_malformed", "The edXML message cannot be read";
    MessageNotForUs => 422, "message_not_for_us", "The message is not addressed to an organisation here, or reports on a document not sent to its reporter";
    ClassifiedDocumentRefused => 422, "classified_document_refused", "Classified documents (Mật or above) may not enter this system";
    WeakPassword => 422, "weak_password", "The password does not meet the policy";
    CannotDisableSelf => 422, "cannot_disable_self", "An admin cannot disable their own account";
    PdfPasswordProtected => 422, "pdf_password_protected", "A PDF is locked with a password";
    CertificateRefused => 422, "certificate_refused", "The certificate does not match the HSM key or is not valid now";
    PdfNotSignable => 422, "pdf_not_signable", "The PDF cannot be signed";
    ImageOpaque => 422, "image_opaque", "The image has no transparent background: save it as a PNG with an alpha channel";
    ImageWrongSize => 422, "image_wrong_size", "The image's size in pixels, or a seal's printed size at the resolution it states, is outside what is accepted";
    PdfTooComplex => 422, "pdf_too_complex", "The PDF holds more objects, inflates to more bytes or nests deeper than is safe to process";
    InvalidAssignee => 422, "invalid_assignee", "The person chosen cannot take this step: not an active account of the document's organisation, or without the role it needs";
    TooManyAttempts => 429, "too_many_attempts", "Too many failed attempts; try again later";
    UrgedTooSoon => 429, "urged_too_soon", "This task was urged a moment ago; try again later";
    InternalError => 500, "internal_error", "Something went wrong on our side";
    AxisRefused => 502, "axis_refused", "The exchange axis refused the call";
    HsmUnavailable => 503, "hsm_unavailable", "The signing HSM is not available; try again later";
    TsaUnavailable => 503, "tsa_unavailable", "The time-stamping authority did not give a timestamp; nothing was signed, try again later";
    Busy => 503, "busy", "The server has too much of this work waiting; try again in a moment";
    AxisUnavailable => 503, "axis_unavailable", "The exchange axis did not answer; try again later";
    SessionStoreUnavailable => 503, "session_store_unavailable", "The session store is not reachable; try again later";
    DatabaseUnavailable => 503, "database_unavailable", "The database is not reachable; try again later";
}

/// An RFC 9457 problem.
#[derive(Debug, Clone, Object)]
#[oai(example)]
pub struct Problem {
    /// `urn:vanban:problem:{code}`.
    #[oai(rename = "type")]
    pub type_: String,
    pub title: String,
    pub status: u16,
    /// What went wrong in this case, for people; may change between versions.
    pub detail: String,
    /// Stable machine code; branch on this.
    pub code: String,
    /// Quote this id when reporting a problem: every log line of the request carries it.
    #[oai(skip_serializing_if_is_none)]
    pub request_id: Option<String>,
}

impl Example for Problem {
    fn example() -> Self {
        let code = ErrorCode::SessionRevoked;
        Self {
            type_: format!("urn:vanban:problem:{}", code.as_str()),
            title: code.title().to_owned(),
            status: code.status(),
            detail: "the session has ended: logged out, revoked or expired".to_owned(),
            code: code.as_str().to_owned(),
            request_id: Some("0193a5e0-7c1e-7d3a-9f3e-2b8c1d4e5f60".to_owned()),
        }
    }
}

/// An error on its way to becoming a problem response.
#[derive(Debug)]
pub struct ApiError {
    pub code: ErrorCode,
    pub detail: String,
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self {
            code,
            detail: detail.into(),
            retry_after: None,
        }
    }

    /// Logs the full cause chain; the client sees only an opaque 500 and the request id. A
    /// dependency that is down or saturated, whatever area met it, is a 503 with Retry-After.
    pub fn unexpected(err: &anyhow::Error) -> Self {
        if let Some(unavailable) = Self::unavailable(err) {
            return unavailable;
        }
        tracing::error!(error = format!("{err:#}"), "unexpected error");
        Self::new(ErrorCode::InternalError, "an unexpected error occurred")
    }

    fn unavailable(err: &anyhow::Error) -> Option<Self> {
        err.chain().find_map(|cause| {
            if let Some(PasswordError::Busy) = cause.downcast_ref::<PasswordError>() {
                return Some(Self {
                    retry_after: Some(BUSY_RETRY_AFTER_SECS),
                    ..Self::new(ErrorCode::Busy, cause.to_string())
                });
            }
            if database_unreachable(cause) {
                tracing::error!(error = format!("{err:#}"), "the database is unreachable");
                return Some(Self {
                    retry_after: Some(UNAVAILABLE_RETRY_AFTER_SECS),
                    ..Self::new(
                        ErrorCode::DatabaseUnavailable,
                        "the database is not reachable; try again in a few seconds",
                    )
                });
            }
            let redis = cause.downcast_ref::<redis::RedisError>()?;
            let unreachable = redis.is_io_error()
                || redis.is_timeout()
                || redis.is_connection_dropped()
                || redis.is_unrecoverable_error();
            unreachable.then(|| {
                tracing::error!(error = format!("{err:#}"), "Redis is unreachable");
                Self {
                    retry_after: Some(UNAVAILABLE_RETRY_AFTER_SECS),
                    ..Self::new(
                        ErrorCode::SessionStoreUnavailable,
                        "the session store is not reachable; try again in a few seconds",
                    )
                }
            })
        })
    }

    pub fn to_problem(&self) -> Problem {
        Problem {
            type_: format!("urn:vanban:problem:{}", self.code.as_str()),
            title: self.code.title().to_owned(),
            status: self.code.status(),
            detail: self.detail.clone(),
            code: self.code.as_str().to_owned(),
            request_id: current_request_id(),
        }
    }
}

/// The database could not be reached, or ended the connection (a restart, a failover:
/// PostgreSQL's SQLSTATE classes 08 and 57P): not the request's fault, and the pool opens a new
/// connection for the next one.
fn database_unreachable(cause: &(dyn std::error::Error + 'static)) -> bool {
    use sea_orm::{DbErr, RuntimeErr, sqlx::Error};
    match cause.downcast_ref::<DbErr>() {
        Some(DbErr::ConnectionAcquire(_) | DbErr::Conn(_)) => true,
        Some(DbErr::Query(RuntimeErr::SqlxError(e)) | DbErr::Exec(RuntimeErr::SqlxError(e))) => {
            match &**e {
                Error::Io(_) | Error::PoolTimedOut | Error::PoolClosed | Error::WorkerCrashed => {
                    true
                }
                Error::Database(db) => db
                    .code()
                    .is_some_and(|c| c.starts_with("08") || c.starts_with("57P")),
                _ => false,
            }
        }
        _ => false,
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = self.to_problem().to_json_string();
        let mut resp = Response::builder()
            .status(
                StatusCode::from_u16(self.code.status())
                    .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            )
            .content_type(PROBLEM_JSON);
        let unavailable = self.code.status() == 503;
        let retry_after = self
            .retry_after
            .or(unavailable.then_some(UNAVAILABLE_RETRY_AFTER_SECS));
        if let Some(secs) = retry_after {
            resp = resp.header("Retry-After", secs.to_string());
        }
        resp.body(body)
    }
}

impl From<ApiError> for poem::Error {
    fn from(err: ApiError) -> Self {
        poem::Error::from_response(err.into_response())
    }
}

/// The problem codes one operation can answer with.
pub trait ProblemSet: Send + Sync + 'static {
    const CODES: &'static [ErrorCode];
}

/// Declares a [`ProblemSet`]. `authenticated` adds the codes of a refused bearer token.
/// Every set also documents [`ALWAYS`].
macro_rules! problem_set {
    ($name:ident: authenticated $(, $code:ident)* $(,)?) => {
        problem_set!($name: Unauthenticated, InvalidToken, TokenExpired, SessionRevoked,
            PasswordChangeRequired $(, $code)*);
    };
    ($name:ident: $($code:ident),* $(,)?) => {
        pub enum $name {}
        impl $crate::http::error::ProblemSet for $name {
            const CODES: &'static [$crate::http::error::ErrorCode] =
                &[$($crate::http::error::ErrorCode::$code),*];
        }
    };
}
pub(crate) use problem_set;

/// The error half of an operation's result: any [`ApiError`], documented as the set `S`.
pub struct Problems<S>(pub ApiError, PhantomData<S>);

impl<S: ProblemSet> From<ApiError> for Problems<S> {
    fn from(err: ApiError) -> Self {
        if !ALWAYS.contains(&err.code) && !S::CODES.contains(&err.code) {
            tracing::warn!(
                code = err.code.as_str(),
                "answering with an undocumented problem code"
            );
        }
        Self(err, PhantomData)
    }
}

impl<S> From<Problems<S>> for poem::Error {
    fn from(p: Problems<S>) -> Self {
        p.0.into()
    }
}

impl<S: ProblemSet> ApiResponse for Problems<S> {
    fn meta() -> MetaResponses {
        let mut by_status: BTreeMap<u16, Vec<ErrorCode>> = BTreeMap::new();
        for code in S::CODES.iter().chain(&ALWAYS) {
            by_status.entry(code.status()).or_default().push(*code);
        }
        let responses = by_status
            .into_iter()
            .map(|(status, codes)| MetaResponse {
                description: describe(&codes),
                status: Some(status),
                status_range: None,
                content: vec![MetaMediaType {
                    content_type: PROBLEM_JSON,
                    schema: Problem::schema_ref(),
                }],
                headers: if status == 429 || status == 503 {
                    vec![MetaHeader {
                        name: "Retry-After".to_owned(),
                        description: Some("Seconds to wait before trying again.".to_owned()),
                        required: true,
                        deprecated: false,
                        schema: u64::schema_ref(),
                    }]
                } else {
                    Vec::new()
                },
            })
            .collect();
        MetaResponses { responses }
    }

    fn register(registry: &mut Registry) {
        Problem::register(registry);
    }
}

/// `- \`code\`: title` lines for one status. Interned: the spec wants `&'static str`, and the
/// same few descriptions are built each time the spec is.
fn describe(codes: &[ErrorCode]) -> &'static str {
    static SEEN: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let text = codes
        .iter()
        .map(|c| format!("- `{}`: {}", c.as_str(), c.title()))
        .collect::<Vec<_>>()
        .join("\n");
    let mut seen = match SEEN.get_or_init(Default::default).lock() {
        Ok(seen) => seen,
        Err(poisoned) => poisoned.into_inner(),
    };
    match seen.get(text.as_str()) {
        Some(interned) => interned,
        None => {
            let interned: &'static str = Box::leak(text.into_boxed_str());
            seen.insert(interned);
            interned
        }
    }
}

/// Lets `?` turn an area's error into the operation's documented problems.
macro_rules! into_problems {
    ($($error:ty),*) => {$(
        impl<S: ProblemSet> From<$error> for Problems<S> {
            fn from(err: $error) -> Self {
                ApiError::from(err).into()
            }
        }
    )*};
}
into_problems!(
    AuthError,
    AuthnError,
    MeError,
    AdminError,
    InvalidInput,
    UploadError,
    PdfError,
    DocumentError,
    WorkflowServiceError,
    UrgeError,
    SigningError,
    PeopleError,
    DirectoryError,
    ArrivalError
);

impl From<DirectoryError> for ApiError {
    fn from(err: DirectoryError) -> Self {
        let detail = err.to_string();
        let code = match &err {
            DirectoryError::NotClerk | DirectoryError::NotAdmin => ErrorCode::Forbidden,
            DirectoryError::NotConfigured => ErrorCode::ExchangeNotConfigured,
            DirectoryError::Axis(AxisError::Unavailable(_) | AxisError::Timeout(_)) => {
                ErrorCode::AxisUnavailable
            }
            DirectoryError::Axis(AxisError::Unauthorized(_) | AxisError::Rejected(_)) => {
                ErrorCode::AxisRefused
            }
            DirectoryError::Unexpected(e) => return ApiError::unexpected(e),
        };
        ApiError::new(code, detail)
    }
}

impl From<UrgeError> for ApiError {
    fn from(err: UrgeError) -> Self {
        let detail = err.to_string();
        match err {
            UrgeError::TaskNotFound => ApiError::new(ErrorCode::NotFound, detail),
            UrgeError::NotTheAssigner => ApiError::new(ErrorCode::NotTheAssigner, detail),
            UrgeError::NotWaiting => ApiError::new(ErrorCode::TaskAlreadyDecided, detail),
            UrgeError::TooSoon { retry_after } => ApiError {
                retry_after: Some(retry_after),
                ..ApiError::new(ErrorCode::UrgedTooSoon, detail)
            },
            UrgeError::Unexpected(e) => ApiError::unexpected(&e),
        }
    }
}

impl From<SigningError> for ApiError {
    fn from(err: SigningError) -> Self {
        let detail = err.to_string();
        let code = match err {
            SigningError::Admin(e) => return e.into(),
            SigningError::Flow(e) => return e.into(),
            SigningError::Invalid(e) => return e.into(),
            SigningError::Password(e) => return e.into(),
            SigningError::RequestNotFound => ErrorCode::NotFound,
            SigningError::RequestExpired => ErrorCode::SigningRequestExpired,
            SigningError::PinNotSet => ErrorCode::SigningPinNotSet,
            SigningError::CurrentPinRequired => ErrorCode::CurrentPinRequired,
            SigningError::DigestMismatch => ErrorCode::SigningDigestMismatch,
            SigningError::PinInvalid { locked } => {
                let detail = if locked {
                    "wrong signing PIN; signing is now locked until an admin unlocks it"
                } else {
                    "wrong signing PIN"
                };
                return ApiError::new(ErrorCode::SigningPinInvalid, detail);
            }
            SigningError::Busy => {
                return ApiError {
                    retry_after: Some(BUSY_RETRY_AFTER_SECS),
                    ..ApiError::new(ErrorCode::Busy, detail)
                };
            }
            SigningError::Locked => ErrorCode::SigningLocked,
            SigningError::NoCredential => ErrorCode::SigningCredentialMissing,
            SigningError::NoSealCredential => ErrorCode::OrganizationSealMissing,
            SigningError::CertificateRefused(_) => ErrorCode::CertificateRefused,
            SigningError::FileReplaced => ErrorCode::FileReplaced,
            SigningError::Image(ImageError::TooLarge) => ErrorCode::PayloadTooLarge,
            SigningError::Image(ImageError::NotPng) => ErrorCode::ImageNotPng,
            SigningError::Image(ImageError::Opaque) => ErrorCode::ImageOpaque,
            SigningError::Image(ImageError::BadSize | ImageError::BadPhysicalSize(..)) => {
                ErrorCode::ImageWrongSize
            }
            SigningError::Pdf(PadesError::TooComplex(_)) => ErrorCode::PdfTooComplex,
            SigningError::Pdf(_) => ErrorCode::PdfNotSignable,
            SigningError::Hsm(HsmError::NotConfigured | HsmError::Unavailable(_)) => {
                tracing::error!(error = %detail, "signing HSM unavailable");
                ErrorCode::HsmUnavailable
            }
            SigningError::Hsm(e) => return ApiError::unexpected(&anyhow::Error::new(e)),
            SigningError::Tsa(_) => {
                tracing::error!(error = %detail, "time-stamping authority unavailable");
                return ApiError {
                    retry_after: Some(tsa::RETRY_AFTER.as_secs()),
                    ..ApiError::new(ErrorCode::TsaUnavailable, detail)
                };
            }
            SigningError::Unexpected(e) => return ApiError::unexpected(&e),
        };
        ApiError::new(code, detail)
    }
}

impl From<WorkflowServiceError> for ApiError {
    fn from(err: WorkflowServiceError) -> Self {
        match err {
            WorkflowServiceError::Flow(e) => e.into(),
            WorkflowServiceError::Invalid(e) => e.into(),
            WorkflowServiceError::Seal(e) => (*e).into(),
            WorkflowServiceError::Unexpected(e) => ApiError::unexpected(&e),
        }
    }
}

impl From<FlowError> for ApiError {
    fn from(err: FlowError) -> Self {
        let detail = err.to_string();
        let code = match err {
            FlowError::Rule(rule) => match rule {
                WorkflowError::NoSuchTask => ErrorCode::NotFound,
                WorkflowError::NotYourTask => ErrorCode::NotYourTask,
                WorkflowError::NotYourTurn => ErrorCode::NotYourTurn,
                WorkflowError::AlreadyDecided => ErrorCode::TaskAlreadyDecided,
                WorkflowError::NotForThisAction => ErrorCode::NotForThisTask,
                WorkflowError::SignatureRequired => ErrorCode::SignatureRequired,
                WorkflowError::CommentRequired | WorkflowError::DirectiveRequired => {
                    ErrorCode::CommentRequired
                }
                WorkflowError::ReasonRequired => ErrorCode::ReasonRequired,
                WorkflowError::NotTheAuthor => ErrorCode::NotTheAuthor,
                WorkflowError::WrongState(_) => ErrorCode::WrongDocumentState,
                WorkflowError::TooLateToRecall => ErrorCode::RecallTooLate,
                WorkflowError::RecallPending => ErrorCode::RecallPending,
                WorkflowError::NoRecallAsked => ErrorCode::NoRecallAsked,
                WorkflowError::DeadlinePassed
                | WorkflowError::InvalidChain(_)
                | WorkflowError::InvalidForward(_)
                | WorkflowError::InvalidAssignments(_) => ErrorCode::ValidationFailed,
            },
            FlowError::Document(e) => return e.into(),
            FlowError::TaskNotFound => ErrorCode::NotFound,
            FlowError::Target { .. } => ErrorCode::InvalidAssignee,
            FlowError::Unexpected(e) => return ApiError::unexpected(&e),
        };
        ApiError::new(code, detail)
    }
}

impl From<ArrivalError> for ApiError {
    fn from(err: ArrivalError) -> Self {
        let detail = err.to_string();
        let code = match err {
            ArrivalError::Malformed(_) => ErrorCode::MessageMalformed,
            ArrivalError::Invalid(e) => return e.into(),
            ArrivalError::NotOurs
            | ArrivalError::UnknownDelivery
            | ArrivalError::ForgedSender { .. } => ErrorCode::MessageNotForUs,
            ArrivalError::NotAClerk => ErrorCode::Forbidden,
            ArrivalError::NoPdf => ErrorCode::NotAPdf,
            ArrivalError::Pdf(e) => return e.into(),
            ArrivalError::Workflow(e) => return e.into(),
            ArrivalError::Unexpected(e) => return ApiError::unexpected(&e),
        };
        ApiError::new(code, detail)
    }
}

impl From<DocumentError> for ApiError {
    fn from(err: DocumentError) -> Self {
        let detail = err.to_string();
        let code = match err {
            DocumentError::Classified(_) => ErrorCode::ClassifiedDocumentRefused,
            DocumentError::Invalid(e) => return e.into(),
            DocumentError::Pdf(e) => return e.into(),
            DocumentError::NotAClerk => ErrorCode::Forbidden,
            DocumentError::NotFound => ErrorCode::NotFound,
            DocumentError::NotTheAuthor => ErrorCode::NotTheAuthor,
            DocumentError::NotRevisable(_) => ErrorCode::WrongDocumentState,
            DocumentError::NoSuchSlot(_) => ErrorCode::ValidationFailed,
            DocumentError::VersionConflict => ErrorCode::FileVersionConflict,
            DocumentError::RangeNotSatisfiable => ErrorCode::RangeNotSatisfiable,
            DocumentError::Unexpected(e) => return ApiError::unexpected(&e),
        };
        ApiError::new(code, detail)
    }
}

impl From<InvalidInput> for ApiError {
    fn from(err: InvalidInput) -> Self {
        ApiError::new(ErrorCode::ValidationFailed, err.to_string())
    }
}

impl From<PasswordPolicyError> for ApiError {
    fn from(err: PasswordPolicyError) -> Self {
        ApiError::new(ErrorCode::WeakPassword, err.to_string())
    }
}

impl From<AuthError> for ApiError {
    fn from(err: AuthError) -> Self {
        let code = match &err {
            AuthError::InvalidCredentials => ErrorCode::InvalidCredentials,
            AuthError::Throttled { retry_after } => {
                return ApiError {
                    retry_after: Some(*retry_after),
                    ..ApiError::new(ErrorCode::TooManyAttempts, err.to_string())
                };
            }
            AuthError::AccountDisabled => ErrorCode::AccountDisabled,
            AuthError::InvalidRefreshToken => ErrorCode::InvalidRefreshToken,
            AuthError::RefreshTokenReused => ErrorCode::SessionRevoked,
            AuthError::CurrentPasswordIncorrect => ErrorCode::CurrentPasswordIncorrect,
            AuthError::WeakPassword(e) => return e.clone().into(),
            AuthError::Unexpected(e) => return ApiError::unexpected(e),
        };
        ApiError::new(code, err.to_string())
    }
}

impl From<AuthnError> for ApiError {
    fn from(err: AuthnError) -> Self {
        let code = match &err {
            AuthnError::Token(TokenError::Expired) => ErrorCode::TokenExpired,
            AuthnError::Token(TokenError::Invalid) => ErrorCode::InvalidToken,
            AuthnError::SessionEnded => ErrorCode::SessionRevoked,
            AuthnError::PasswordChangeRequired => ErrorCode::PasswordChangeRequired,
            AuthnError::Unexpected(e) => return ApiError::unexpected(e),
        };
        ApiError::new(code, err.to_string())
    }
}

impl From<MeError> for ApiError {
    fn from(err: MeError) -> Self {
        match err {
            MeError::SessionNotFound => ApiError::new(ErrorCode::NotFound, err.to_string()),
            MeError::Invalid(e) => e.into(),
            MeError::Unexpected(e) => ApiError::unexpected(&e),
        }
    }
}

impl From<PeopleError> for ApiError {
    fn from(err: PeopleError) -> Self {
        match err {
            PeopleError::Unexpected(e) => ApiError::unexpected(&e),
        }
    }
}

impl From<AdminError> for ApiError {
    fn from(err: AdminError) -> Self {
        let code = match &err {
            AdminError::NotAdmin => ErrorCode::Forbidden,
            AdminError::NotFound(_) => ErrorCode::NotFound,
            AdminError::UsernameTaken => ErrorCode::UsernameTaken,
            AdminError::OrgCodeTaken => ErrorCode::OrganizationCodeTaken,
            AdminError::CannotDisableSelf => ErrorCode::CannotDisableSelf,
            AdminError::Invalid(e) => return e.clone().into(),
            AdminError::WeakPassword(e) => return e.clone().into(),
            AdminError::Unexpected(e) => return ApiError::unexpected(e),
        };
        ApiError::new(code, err.to_string())
    }
}

impl From<UploadError> for ApiError {
    fn from(err: UploadError) -> Self {
        let code = match &err {
            // What is wrong with the metadata itself gets the code a JSON body would.
            UploadError::MetadataNotJson(_) | UploadError::MetadataInvalid(_) => {
                ErrorCode::InvalidRequest
            }
            UploadError::MetadataMissing
            | UploadError::MetadataNotFirst { .. }
            | UploadError::FileMissing
            | UploadError::OneFileOnly
            | UploadError::UnexpectedPart { .. }
            | UploadError::TooManyFiles { .. }
            | UploadError::Malformed(_) => ErrorCode::InvalidUpload,
            UploadError::MetadataTooLarge { .. }
            | UploadError::FileTooLarge { .. }
            | UploadError::FramingTooLarge { .. } => ErrorCode::PayloadTooLarge,
            UploadError::OutOfOrder(_) | UploadError::Storage(_) => {
                return ApiError::unexpected(&anyhow::Error::new(err));
            }
        };
        ApiError::new(code, err.to_string())
    }
}

impl From<PdfError> for ApiError {
    fn from(err: PdfError) -> Self {
        let code = match &err {
            // RFC 9110: 415 also when the format problem is found by inspecting the data.
            PdfError::NotPdf(_) => ErrorCode::NotAPdf,
            PdfError::PasswordProtected => ErrorCode::PdfPasswordProtected,
            PdfError::TooComplex(_) => ErrorCode::PdfTooComplex,
            PdfError::Io(_) => return ApiError::unexpected(&anyhow::Error::new(err)),
        };
        ApiError::new(code, err.to_string())
    }
}

/// Errors raised by the framework before a handler runs (unparsable JSON, a missing bearer
/// token, an unknown route) become problems too.
pub fn from_framework(err: &poem::Error) -> ApiError {
    let code = match err.status().as_u16() {
        401 => ErrorCode::Unauthenticated,
        404 => ErrorCode::NotFound,
        405 => ErrorCode::MethodNotAllowed,
        413 => ErrorCode::PayloadTooLarge,
        415 => ErrorCode::UnsupportedMediaType,
        status if (400..500).contains(&status) => ErrorCode::InvalidRequest,
        _ => {
            tracing::error!(error = %err, "unexpected framework error");
            return ApiError::new(ErrorCode::InternalError, "an unexpected error occurred");
        }
    };
    ApiError::new(code, err.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    problem_set!(Sample: authenticated, NotFound, TooManyAttempts);

    #[test]
    fn codes_are_unique_and_statuses_are_errors() {
        let mut seen = HashSet::new();
        for code in ErrorCode::ALL {
            assert!(seen.insert(code.as_str()), "duplicate {}", code.as_str());
            assert!((400..600).contains(&code.status()));
        }
    }

    #[test]
    fn a_problem_set_documents_each_status_once_with_its_codes() {
        let meta = Problems::<Sample>::meta();
        let statuses: Vec<u16> = meta.responses.iter().filter_map(|r| r.status).collect();
        assert_eq!(statuses, vec![401, 403, 404, 429, 500, 503]);
        let unauthorized = &meta.responses[0];
        assert!(unauthorized.description.contains("`session_revoked`"));
        assert!(unauthorized.description.contains("`token_expired`"));
        assert_eq!(meta.responses[3].headers[0].name, "Retry-After");
    }

    #[test]
    fn a_database_out_of_reach_is_a_503_to_retry() {
        let timeout = sea_orm::DbErr::ConnectionAcquire(sea_orm::ConnAcquireErr::Timeout);
        let err = ApiError::unexpected(&anyhow::Error::new(timeout).context("loading the inbox"));
        assert_eq!(err.code, ErrorCode::DatabaseUnavailable);
        assert!(err.retry_after.is_some());
        let constraint = sea_orm::DbErr::RecordNotInserted;
        let err = ApiError::unexpected(&anyhow::Error::new(constraint));
        assert_eq!(err.code, ErrorCode::InternalError);
    }

    #[test]
    fn unexpected_errors_hide_their_cause() {
        let err: ApiError = AuthError::Unexpected(anyhow::anyhow!("SELECT secret FROM x")).into();
        assert_eq!(err.code, ErrorCode::InternalError);
        assert!(!err.to_problem().detail.contains("SELECT"));
    }
}
