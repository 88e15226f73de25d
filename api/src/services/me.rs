//! The caller's own account and devices.

use anyhow::Context;
use uuid::Uuid;

use super::Principal;
use crate::{
    auth::Session,
    domain::{InvalidInput, Organization, PushToken, User},
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
}

pub async fn profile(state: &AppState, who: Principal) -> Result<Profile, MeError> {
    let user = store::users::find(&state.db, who.user_id)
        .await
        .context("loading the account")?
        .context("the caller's account no longer exists")?;
    let organization = store::organizations::find(&state.db, user.organization_id)
        .await
        .context("loading the organisation")?
        .context("the caller's organisation no longer exists")?;
    Ok(Profile { user, organization })
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
    if ended {
        Ok(())
    } else {
        Err(MeError::SessionNotFound)
    }
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
