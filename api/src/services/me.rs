//! The caller's own account and devices.
//!
//! `GET /me` is what an app calls on every start and resume. Each instance remembers the
//! profiles it served, each under the profile stamp the session check read with it: a change
//! to what the profile shows bumps the stamp once committed (`flow::committed`), so the next
//! request, on any instance, reads the database again. A profile is never remembered past
//! the moment its next waiting task becomes overdue, nor past [`PROFILE_KEPT`], which bounds
//! the staleness a lost bump (Redis failing right after a commit) could leave.

use anyhow::Context;
use chrono::TimeDelta;
use uuid::Uuid;

use super::{Principal, audit};
use crate::{
    auth::{Session, sessions::ProfileStamp},
    domain::{
        InvalidInput, Organization, PushToken, User,
        audit::{AuditAction, NewEntry},
    },
    remembered::Remembered,
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

/// The longest a profile is remembered.
const PROFILE_KEPT: TimeDelta = TimeDelta::seconds(60);

/// How many profiles an instance remembers (see [`Remembered`]).
const PROFILES_CAPACITY: usize = 16_384;

/// The profiles this instance served, by user, with the stamp each was read under.
pub struct Profiles(Remembered<Uuid, (ProfileStamp, Profile)>);

impl Default for Profiles {
    fn default() -> Self {
        Self(Remembered::new(PROFILES_CAPACITY))
    }
}

#[derive(Clone)]
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
    let now = state.clock.now();
    if let Some((stamp, profile)) = state.profiles.0.get(&who.user_id, now)
        && stamp == who.profile_stamp
    {
        return Ok(profile);
    }
    let (user, organization, badges) = store::profile::load(&state.reads, who.user_id, now)
        .await
        .context("loading the profile")?
        .context("the caller's account no longer exists")?;
    let profile = Profile {
        user,
        organization,
        waiting_tasks: badges.waiting,
        overdue_tasks: badges.overdue,
        unread_fyi: badges.unread_fyi,
        returned_drafts: badges.returned_drafts,
    };
    // Under the stamp read before the load: whatever committed since has bumped it.
    let kept = now + PROFILE_KEPT;
    let until = badges.next_overdue.map_or(kept, |at| at.min(kept));
    let remembered = (who.profile_stamp, profile.clone());
    state.profiles.0.insert(who.user_id, remembered, until, now);
    Ok(profile)
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
