//! Logging in and out, refreshing, changing the password, and recognising the caller.

use std::net::IpAddr;

use anyhow::Context;
use sea_orm::TransactionTrait;
use secrecy::SecretString;
use uuid::Uuid;

use super::{
    Principal, audit,
    flow::{self, Written},
};
use crate::{
    auth::{NewSession, RefreshOutcome, RefreshToken, TokenError, throttle::Outcome},
    domain::{
        DeviceInfo, NewPassword, PasswordPolicyError, Username,
        audit::{Actor, AuditAction, NewEntry},
    },
    state::AppState,
    store,
};

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("wrong username or password")]
    InvalidCredentials,
    #[error("too many failed attempts")]
    Throttled { retry_after: u64 },
    #[error("the account is disabled")]
    AccountDisabled,
    #[error("the refresh token is not valid")]
    InvalidRefreshToken,
    #[error("the refresh token was already used; the session has been ended")]
    RefreshTokenReused,
    #[error("the current password is wrong")]
    CurrentPasswordIncorrect,
    #[error(transparent)]
    WeakPassword(#[from] PasswordPolicyError),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// Why a request's bearer token does not identify a caller.
#[derive(Debug, thiserror::Error)]
pub enum AuthnError {
    #[error(transparent)]
    Token(#[from] TokenError),
    #[error("the session has ended: logged out, revoked or expired")]
    SessionEnded,
    #[error("the password must be changed first")]
    PasswordChangeRequired,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

pub struct LoginInput {
    pub username: String,
    pub password: SecretString,
    pub device: DeviceInfo,
    pub ip: Option<IpAddr>,
}

pub struct Tokens {
    pub access_token: String,
    pub refresh_token: RefreshToken,
    pub expires_in: u64,
    pub session_id: Uuid,
    pub must_change_password: bool,
}

pub async fn login(state: &AppState, input: LoginInput) -> Result<Tokens, AuthError> {
    let ip = input.ip;
    // Every try is reserved first, under the name as typed: a malformed name is throttled
    // like any other, then handled like an unknown one (same answer, same work).
    reserve_try(state, &input.username, ip).await?;
    let username = Username::parse(&input.username).ok();
    let found = match &username {
        Some(name) => store::users::find_credentials(&state.db, name)
            .await
            .context("loading the account")?,
        None => None,
    };
    let (user, hash) = match found {
        Some((user, hash)) => (Some(user), Some(hash)),
        None => (None, None),
    };
    let verified =
        verify_reserved(state, &input.username, ip, input.password, hash.clone()).await?;
    let (Some(user), Some(hash), true) = (&user, hash, verified) else {
        // An auditor wants to see guesses at real accounts; unknown names are only throttled.
        if let Some(user) = &user {
            let actor = Actor {
                ip,
                ..Actor::default()
            };
            let entry = NewEntry::new(actor, AuditAction::LoginFailed, user.organization_id)
                .subject(user.id);
            audit::record_alone(state, entry).await?;
        }
        return Err(AuthError::InvalidCredentials);
    };
    // The account's generation, then the account as it is now: a disable or password change
    // committed before this read shows in it, one committed after bumps the generation, and
    // the session is then not created.
    let generation = state
        .sessions
        .generation(user.id)
        .await
        .context("reading the account's generation")?;
    still_as_verified(state, user.id, &hash).await?;
    // The same device logging in again replaces its old session.
    for old in state
        .sessions
        .list(user.id)
        .await
        .context("listing sessions")?
    {
        if old.device_id == input.device.device_id {
            let revoked = state.sessions.revoke(user.id, old.id).await;
            revoked.context("replacing the device's old session")?;
        }
    }
    let now = state.clock.now();
    let device_id = input.device.device_id.clone();
    let new = NewSession {
        user_id: user.id,
        device: input.device,
        ip: ip.map(|ip| ip.to_string()),
        must_change_password: user.must_change_password,
    };
    let created = state.sessions.create(new, &generation, now).await;
    let Some((session_id, refresh_token)) = created.context("creating the session")? else {
        still_as_verified(state, user.id, &hash).await?;
        // Only the sessions were ended (an admin's revoke-all) meanwhile: log in again.
        return Err(AuthError::InvalidCredentials);
    };
    let actor = Actor {
        user: Some(user.id),
        session: Some(session_id),
        ip,
    };
    let entry = NewEntry::new(actor, AuditAction::LoggedIn, user.organization_id)
        .detail("device_id", device_id);
    audit::record_alone(state, entry).await?;
    tracing::info!(user_id = %user.id, %session_id, "logged in");
    issue(
        state,
        user.id,
        session_id,
        refresh_token,
        user.must_change_password,
    )
}

/// Refuses a login whose account was disabled, or whose password changed, after it was read.
async fn still_as_verified(state: &AppState, user: Uuid, hash: &str) -> Result<(), AuthError> {
    let now = store::users::find_credentials_by_id(&state.db, user)
        .await
        .context("reloading the account")?;
    match now {
        Some((user, _)) if user.disabled => Err(AuthError::AccountDisabled),
        Some((_, current)) if current == hash => Ok(()),
        _ => Err(AuthError::InvalidCredentials),
    }
}

pub async fn refresh(
    state: &AppState,
    presented: SecretString,
    ip: Option<IpAddr>,
) -> Result<Tokens, AuthError> {
    let presented = RefreshToken::from_client(presented);
    let outcome = state
        .sessions
        .rotate(&presented, state.clock.now())
        .await
        .context("rotating the refresh token")?;
    match outcome {
        RefreshOutcome::Rotated { session, token } => issue(
            state,
            session.user_id,
            session.id,
            token,
            session.must_change_password,
        ),
        RefreshOutcome::Reused { session, user } => {
            tracing::warn!(%session, "a rotated refresh token was presented again; its session was ended");
            let account = match user {
                Some(user) => store::users::find(&state.db, user)
                    .await
                    .context("loading the account")?,
                None => None,
            };
            if let Some(account) = account {
                let actor = Actor {
                    user: Some(account.id),
                    session: Some(session),
                    ip,
                };
                let entry = NewEntry::new(
                    actor,
                    AuditAction::RefreshTokenReused,
                    account.organization_id,
                )
                .subject(account.id)
                .detail("session_id", session.to_string());
                audit::record_alone(state, entry).await?;
            }
            Err(AuthError::RefreshTokenReused)
        }
        RefreshOutcome::Unknown => Err(AuthError::InvalidRefreshToken),
    }
}

fn issue(
    state: &AppState,
    user: Uuid,
    session_id: Uuid,
    refresh_token: RefreshToken,
    must_change_password: bool,
) -> Result<Tokens, AuthError> {
    let access_token = state
        .tokens
        .issue(user, session_id, state.clock.now())
        .context("signing the access token")?;
    Ok(Tokens {
        access_token,
        refresh_token,
        expires_in: state.tokens.ttl().as_secs(),
        session_id,
        must_change_password,
    })
}

pub async fn logout(state: &AppState, who: Principal) -> Result<(), AuthError> {
    state
        .sessions
        .revoke(who.user_id, who.session_id)
        .await
        .context("ending the session")?;
    let user = store::users::find(&state.db, who.user_id)
        .await
        .context("loading the account")?;
    if let Some(user) = user {
        let entry = NewEntry::new(who, AuditAction::LoggedOut, user.organization_id);
        audit::record_alone(state, entry).await?;
    }
    Ok(())
}

/// Changes the caller's password. Every other session of theirs ends: whoever knew the old
/// password is logged out everywhere but here.
pub async fn change_password(
    state: &AppState,
    who: Principal,
    current: SecretString,
    new: SecretString,
) -> Result<(), AuthError> {
    let (user, hash) = store::users::find_credentials_by_id(&state.db, who.user_id)
        .await
        .context("loading the account")?
        .context("the caller's account no longer exists")?;
    if !check_password(state, &user.username, who.ip, current, hash.clone()).await? {
        return Err(AuthError::CurrentPasswordIncorrect);
    }
    let new = NewPassword::parse(new, &user.username)?.into_secret();
    if state
        .passwords
        .verify(new.clone(), Some(hash))
        .await
        .context("comparing with the old password")?
    {
        return Err(PasswordPolicyError::SameAsCurrent.into());
    }
    let hash = state
        .passwords
        .hash(new)
        .await
        .context("hashing the password")?;
    let txn = state.db.begin().await.context("starting a transaction")?;
    store::users::set_password(&txn, who.user_id, hash, state.clock.now())
        .await
        .context("storing the password")?;
    let entry = NewEntry::new(who, AuditAction::PasswordChanged, user.organization_id);
    audit::record(state, &txn, entry).await?;
    txn.commit().await.context("committing the password")?;
    flow::committed(state, Written::for_people(vec![who.user_id])).await;
    state
        .sessions
        .clear_must_change_password(who.session_id)
        .await
        .context("updating the session")?;
    state
        .sessions
        .end_all_but(who.user_id, who.session_id)
        .await
        .context("ending the other sessions")?;
    tracing::info!(user_id = %who.user_id, "password changed");
    Ok(())
}

/// Checks an account's password where a signed-in user re-enters it (a password change, a
/// signing PIN change). A stolen session must not become an unlimited password oracle: each
/// try counts toward the same throttle as logins of that account.
pub async fn check_password(
    state: &AppState,
    username: &str,
    ip: Option<IpAddr>,
    password: SecretString,
    hash: String,
) -> Result<bool, AuthError> {
    reserve_try(state, username, ip).await?;
    verify_reserved(state, username, ip, password, Some(hash)).await
}

async fn reserve_try(state: &AppState, name: &str, ip: Option<IpAddr>) -> Result<(), AuthError> {
    let reserved = state.throttle.reserve(name, ip).await;
    match reserved.context("reserving a password try")? {
        Some(retry_after) => Err(AuthError::Throttled { retry_after }),
        None => Ok(()),
    }
}

/// Checks a password whose try is reserved, and settles the try: a wrong password keeps it.
async fn verify_reserved(
    state: &AppState,
    name: &str,
    ip: Option<IpAddr>,
    password: SecretString,
    hash: Option<String>,
) -> Result<bool, AuthError> {
    let verified = state.passwords.verify(password, hash).await;
    let outcome = match verified {
        Ok(true) => Some(Outcome::Right),
        Ok(false) => None,
        Err(_) => Some(Outcome::NotChecked),
    };
    if let Some(outcome) = outcome {
        let settled = state.throttle.settle(name, ip, outcome).await;
        settled.context("settling a password try")?;
    }
    Ok(verified.context("verifying the password")?)
}

/// Every authenticated request: a valid token, then one Redis round trip to its session, which
/// also checks the account is still active (see `auth::sessions` on generations).
pub async fn authenticate(
    state: &AppState,
    bearer: &str,
    allow_pending_password: bool,
    ip: Option<std::net::IpAddr>,
) -> Result<Principal, AuthnError> {
    let now = state.clock.now();
    let claims = state.tokens.verify(bearer, now)?;
    let (live, profile_stamp) = state
        .sessions
        .touch(claims.sid, claims.sub, now)
        .await
        .context("checking the session")?
        .filter(|(s, _)| s.user_id == claims.sub)
        .ok_or(AuthnError::SessionEnded)?;
    if live.must_change_password && !allow_pending_password {
        return Err(AuthnError::PasswordChangeRequired);
    }
    Ok(Principal {
        user_id: live.user_id,
        session_id: live.id,
        must_change_password: live.must_change_password,
        profile_stamp,
        ip,
    })
}
