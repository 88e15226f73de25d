//! The `bearerAuth` scheme. Two extractors share it: [`Caller`] for almost everything, and
//! [`CallerPendingPassword`] for the few operations a user whose password must still be
//! changed may use (change it, read their profile, log out).

use poem::Request;
use poem_openapi::{SecurityScheme, auth::Bearer};

use super::{
    error::{ApiError, ErrorCode},
    middleware::ClientAddress,
};
use crate::{
    services::{Principal, auth::authenticate},
    state::AppState,
};

/// A JWT access token from `POST /auth/login` or `POST /auth/refresh`.
#[derive(SecurityScheme)]
#[oai(
    rename = "bearerAuth",
    ty = "bearer",
    bearer_format = "JWT",
    checker = "check_active"
)]
pub struct Caller(pub Principal);

/// A JWT access token from `POST /auth/login` or `POST /auth/refresh`.
#[derive(SecurityScheme)]
#[oai(
    rename = "bearerAuth",
    ty = "bearer",
    bearer_format = "JWT",
    checker = "check_pending"
)]
pub struct CallerPendingPassword(pub Principal);

async fn check_active(req: &Request, bearer: Bearer) -> poem::Result<Principal> {
    check(req, &bearer, false).await
}

async fn check_pending(req: &Request, bearer: Bearer) -> poem::Result<Principal> {
    check(req, &bearer, true).await
}

async fn check(req: &Request, bearer: &Bearer, allow_pending: bool) -> poem::Result<Principal> {
    let state = req
        .data::<AppState>()
        .ok_or_else(|| ApiError::new(ErrorCode::InternalError, "application state missing"))?;
    let ip = req.data::<ClientAddress>().and_then(|a| a.0);
    authenticate(state, &bearer.token, allow_pending, ip)
        .await
        .map_err(|e| ApiError::from(e).into())
}
