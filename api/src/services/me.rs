//! The caller's own account and devices.

use anyhow::Context;
use uuid::Uuid;

use super::{Principal, audit};
use crate::{
    auth::Session,
    domain::{
        InvalidInput, Organization, PushToken, User,
        audit::{AuditAction, NewEntry},
    },
    state::AppState,
    store,
};

#[derive(Debug, thiserror::Error)]
pub enum MeError {
    #[error("no such session")]
    SessionNotFound,
    #[error(transparent)]
    Invalid(#[from] InvalidInput),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

pub struct Profile {
    pub user: User,
    pub organization: Organization,
    /// Tasks waiting for the user, and how many of those are past their deadline: the badge.
    pub waiting_tasks: u64,
    pub overdue_tasks: u64,
    /// Reading tasks not opened yet, and drafts returned to the user: the other tabs' badges.
    pub unread_fyi: u64,
    pub returned_drafts: u64,
}

pub async fn profile(state: &AppState, who: Principal) -> Result<Profile, MeError> {
    let (user, organization, badges) =
        store::profile::load(&state.reads, who.user_id, state.clock.now())
            .await
            .context("loading the profile")?
            .context("the caller's account no longer exists")?;
    Ok(Profile {
        user,
        organization,
        waiting_tasks: badges.waiting,
        overdue_tasks: badges.overdue,
        unread_fyi: badges.unread_fyi,
        returned_drafts: badges.returned_drafts,
    })
}

pub async fn sessions(state: &AppState, who: Principal) -> Result<Vec<Session>, MeError> {
    Ok(state
        .sessions
        .list(who.user_id)
        .await
        .context("listing sessions")?)
}

pub async fn end_session(state: &AppState, who: Principal, id: Uuid) -> Result<(), MeError> {
    let ended = state
        .sessions
        .revoke(who.user_id, id)
        .await
        .context("ending the session")?;
    if !ended {
        return Err(MeError::SessionNotFound);
    }
    let user = store::users::find(&state.db, who.user_id)
        .await
        .context("loading the account")?
        .context("the caller's account no longer exists")?;
    let entry = NewEntry::new(who, AuditAction::SessionRevoked, user.organization_id)
        .subject(who.user_id)
        .detail("session_id", id.to_string());
    audit::record_alone(state, entry).await?;
    Ok(())
}

pub async fn set_push_token(state: &AppState, who: Principal, raw: &str) -> Result<(), MeError> {
    let token = PushToken::parse(raw)?;
    state
        .sessions
        .set_push_token(who.session_id, &token)
        .await
        .context("storing the push token")?;
    Ok(())
}
