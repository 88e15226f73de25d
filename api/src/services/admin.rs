//! Administration: organisations, accounts and their device sessions. An admin acts on their
//! own organisation and the ones below it; anything else answers "not found", so ids from
//! elsewhere reveal nothing.

use std::collections::HashSet;

use anyhow::Context;
use secrecy::SecretString;
use uuid::Uuid;

use super::Principal;
use crate::{
    auth::Session,
    domain::{
        Cursor, InvalidInput, NewPassword, NumberingStyle, OrgCode, Organization, PageSize,
        PasswordPolicyError, Role, User, Username,
    },
    state::AppState,
    store::{
        self, is_unique_violation,
        organizations::NewOrganization,
        users::{NewUser, UserChanges},
    },
};

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("this needs the admin role")]
    NotAdmin,
    #[error("no such {0} in your organisations")]
    NotFound(&'static str),
    #[error("the username is taken")]
    UsernameTaken,
    #[error("the organisation code is taken")]
    OrgCodeTaken,
    #[error("an admin cannot disable their own account")]
    CannotDisableSelf,
    #[error(transparent)]
    Invalid(#[from] InvalidInput),
    #[error(transparent)]
    WeakPassword(#[from] PasswordPolicyError),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// An admin and the organisations they manage.
pub struct Admin {
    pub user: User,
    scope: HashSet<Uuid>,
}

pub async fn authorize(state: &AppState, who: Principal) -> Result<Admin, AdminError> {
    let user = store::users::find(&state.db, who.user_id)
        .await
        .context("loading the account")?
        .filter(|u| u.has_role(Role::Admin) && !u.disabled)
        .ok_or(AdminError::NotAdmin)?;
    let tree = store::organizations::tree(&state.db)
        .await
        .context("loading the organisation tree")?;
    Ok(Admin {
        scope: tree.subtree(user.organization_id),
        user,
    })
}

pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<Cursor>,
}

impl<T> Page<T> {
    fn of(items: Vec<T>, size: PageSize, key: impl Fn(&T) -> &str) -> Self {
        let full = u64::try_from(items.len()).unwrap_or(u64::MAX) >= size.get();
        let next = items
            .last()
            .filter(|_| full)
            .map(|last| Cursor::after(key(last)));
        Self { items, next }
    }
}

pub struct OrganizationInput {
    pub code: String,
    pub name: String,
    pub parent_id: Option<Uuid>,
    pub numbering_style: NumberingStyle,
}

pub async fn create_organization(
    state: &AppState,
    admin: &Admin,
    input: OrganizationInput,
) -> Result<Organization, AdminError> {
    let parent = input.parent_id.unwrap_or(admin.user.organization_id);
    if !admin.scope.contains(&parent) {
        return Err(AdminError::NotFound("parent organisation"));
    }
    let new = NewOrganization {
        code: OrgCode::parse(&input.code)?,
        name: non_empty("name", &input.name)?,
        parent_id: Some(parent),
        numbering_style: input.numbering_style,
    };
    match store::organizations::insert(&state.db, new, state.clock.now()).await {
        Err(e) if is_unique_violation(&e) => Err(AdminError::OrgCodeTaken),
        other => Ok(other.context("storing the organisation")?),
    }
}

pub async fn organizations(
    state: &AppState,
    admin: &Admin,
    cursor: Option<Cursor>,
    size: PageSize,
) -> Result<Page<Organization>, AdminError> {
    let items = store::organizations::page(
        &state.db,
        &admin.scope,
        cursor.map(|c| c.sort_key()),
        size.get(),
    )
    .await
    .context("listing organisations")?;
    Ok(Page::of(items, size, |o| &o.code))
}

pub struct UserInput {
    pub username: String,
    pub full_name: String,
    pub title: String,
    pub organization_id: Uuid,
    pub roles: Vec<Role>,
    pub default_password: SecretString,
}

/// Creates an account with a one-time password that must be changed at first login.
pub async fn create_user(
    state: &AppState,
    admin: &Admin,
    input: UserInput,
) -> Result<User, AdminError> {
    if !admin.scope.contains(&input.organization_id) {
        return Err(AdminError::NotFound("organisation"));
    }
    let username = Username::parse(&input.username)?;
    let password = NewPassword::parse(input.default_password, username.as_str())?;
    let password_hash = state
        .passwords
        .hash(password.into_secret())
        .await
        .context("hashing the password")?;
    let new = NewUser {
        username,
        full_name: non_empty("full_name", &input.full_name)?,
        title: input.title.trim().to_owned(),
        organization_id: input.organization_id,
        roles: input.roles,
        password_hash,
        must_change_password: true,
    };
    match store::users::insert(&state.db, new, state.clock.now()).await {
        Err(e) if is_unique_violation(&e) => Err(AdminError::UsernameTaken),
        other => Ok(other.context("storing the account")?),
    }
}

pub async fn users(
    state: &AppState,
    admin: &Admin,
    cursor: Option<Cursor>,
    size: PageSize,
) -> Result<Page<User>, AdminError> {
    let items = store::users::page(
        &state.db,
        &admin.scope,
        cursor.map(|c| c.sort_key()),
        size.get(),
    )
    .await
    .context("listing accounts")?;
    Ok(Page::of(items, size, |u| &u.username))
}

pub struct UserUpdate {
    pub full_name: Option<String>,
    pub title: Option<String>,
    pub roles: Option<Vec<Role>>,
    pub disabled: Option<bool>,
    pub unlock: bool,
}

/// Disabling ends every session of the account at once.
pub async fn update_user(
    state: &AppState,
    admin: &Admin,
    id: Uuid,
    update: UserUpdate,
) -> Result<User, AdminError> {
    let user = managed_user(state, admin, id).await?;
    if update.disabled == Some(true) && user.id == admin.user.id {
        return Err(AdminError::CannotDisableSelf);
    }
    let changes = UserChanges {
        full_name: update
            .full_name
            .map(|n| non_empty("full_name", &n))
            .transpose()?,
        title: update.title.map(|t| t.trim().to_owned()),
        roles: update.roles,
        disabled: update.disabled,
    };
    let updated = store::users::update(&state.db, id, changes, state.clock.now())
        .await
        .context("updating the account")?;
    if updated.disabled {
        let ended = state.sessions.revoke_all(id, None).await;
        ended.context("ending the disabled account's sessions")?;
    }
    if update.unlock {
        let username = Username::parse(&updated.username)?;
        state
            .throttle
            .unlock(&username)
            .await
            .context("lifting the login lock")?;
    }
    tracing::info!(admin = %admin.user.id, user_id = %id, "account updated");
    Ok(updated)
}

pub async fn user_sessions(
    state: &AppState,
    admin: &Admin,
    id: Uuid,
) -> Result<Vec<Session>, AdminError> {
    managed_user(state, admin, id).await?;
    Ok(state.sessions.list(id).await.context("listing sessions")?)
}

/// Ends one device session: its very next request is refused, on every instance.
pub async fn revoke_session(
    state: &AppState,
    admin: &Admin,
    id: Uuid,
    session: Uuid,
) -> Result<(), AdminError> {
    managed_user(state, admin, id).await?;
    let ended = state
        .sessions
        .revoke(id, session)
        .await
        .context("ending the session")?;
    if !ended {
        return Err(AdminError::NotFound("session"));
    }
    tracing::info!(admin = %admin.user.id, user_id = %id, session_id = %session, "session revoked");
    Ok(())
}

pub async fn revoke_all_sessions(
    state: &AppState,
    admin: &Admin,
    id: Uuid,
) -> Result<usize, AdminError> {
    managed_user(state, admin, id).await?;
    let ended = state
        .sessions
        .revoke_all(id, None)
        .await
        .context("ending the sessions")?;
    tracing::info!(admin = %admin.user.id, user_id = %id, ended, "all sessions revoked");
    Ok(ended)
}

async fn managed_user(state: &AppState, admin: &Admin, id: Uuid) -> Result<User, AdminError> {
    store::users::find(&state.db, id)
        .await
        .context("loading the account")?
        .filter(|u| admin.scope.contains(&u.organization_id))
        .ok_or(AdminError::NotFound("user"))
}

fn non_empty(field: &'static str, raw: &str) -> Result<String, InvalidInput> {
    let value = raw.trim();
    if value.is_empty() {
        return Err(InvalidInput::new(field, "must not be empty"));
    }
    Ok(value.to_owned())
}
