//! Administration: organisations, accounts and their device sessions. An admin acts on their
//! own organisation and the ones below it; anything else answers "not found", so ids from
//! elsewhere reveal nothing.

use std::collections::{HashMap, HashSet};

use anyhow::Context;
use sea_orm::TransactionTrait;
use secrecy::SecretString;
use uuid::Uuid;

use super::{
    Principal, audit,
    flow::{self, Written},
    people,
};
use crate::{
    auth::Session,
    domain::{
        Abbreviation, Cursor, InvalidInput, NewPassword, NumberingStyle, OrgCode, Organization,
        PageSize, PasswordPolicyError, Role, Seal, User, Username,
        audit::{AuditAction, NewEntry},
        search,
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
    who: Principal,
}

impl Admin {
    /// The organisations this admin manages: their own and every one below it.
    pub fn scope(&self) -> &HashSet<Uuid> {
        &self.scope
    }

    /// An audit entry of this admin's, about an account of `organization`.
    pub(crate) fn audit(&self, action: AuditAction, organization: Uuid) -> NewEntry {
        NewEntry::new(self.who, action, organization)
    }
}

impl Admin {
    /// Whether `organization` is theirs or below theirs.
    pub fn manages(&self, organization: Uuid) -> bool {
        self.scope.contains(&organization)
    }
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
        who,
    })
}

pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<Cursor>,
}

impl<T> Page<T> {
    /// A full page has a next one (perhaps empty); `key` gives the cursor after an item.
    pub(crate) fn of(items: Vec<T>, size: PageSize, key: impl Fn(&T) -> String) -> Self {
        let full = u64::try_from(items.len()).unwrap_or(u64::MAX) >= size.get();
        let next = items
            .last()
            .filter(|_| full)
            .map(|last| Cursor::after(&key(last)));
        Self { items, next }
    }
}

pub struct OrganizationInput {
    pub code: String,
    /// Required with an agency code; a local code is its own abbreviation by default.
    pub abbreviation: Option<String>,
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
    let code = OrgCode::parse(&input.code, state.allow_test_codes)?;
    let new = NewOrganization {
        abbreviation: abbreviation_for(&code, input.abbreviation.as_deref())?,
        code,
        name: non_empty("name", &input.name)?,
        parent_id: Some(parent),
        numbering_style: input.numbering_style,
    };
    let txn = state.db.begin().await.context("starting a transaction")?;
    let org = match store::organizations::insert(&txn, new, state.clock.now()).await {
        Err(e) if is_unique_violation(&e) => return Err(AdminError::OrgCodeTaken),
        other => other.context("storing the organisation")?,
    };
    let entry = admin
        .audit(AuditAction::OrganizationCreated, org.id)
        .detail("code", org.code.as_str())
        .detail("abbreviation", org.abbreviation.as_str());
    audit::record(state, &txn, entry).await?;
    txn.commit().await.context("committing the organisation")?;
    Ok(org)
}

/// The abbreviation given, or for a local code (which used to be the abbreviation) the code.
pub fn abbreviation_for(code: &OrgCode, given: Option<&str>) -> Result<Abbreviation, InvalidInput> {
    match given {
        Some(raw) => Abbreviation::parse(raw),
        None => Abbreviation::from_local_code(code).ok_or_else(|| {
            InvalidInput::new(
                "abbreviation",
                "is required with an agency code: the abbreviation symbols are built from, \
                 such as `UBND` or `TU`",
            )
        }),
    }
}

/// Opts the organisation in or out of summaries in pushes about its documents.
pub async fn set_push_summary(
    state: &AppState,
    admin: &Admin,
    id: Uuid,
    on: bool,
) -> Result<Organization, AdminError> {
    if !admin.scope.contains(&id) {
        return Err(AdminError::NotFound("organisation"));
    }
    let txn = state.db.begin().await.context("starting a transaction")?;
    let org = store::organizations::set_push_summary(&txn, id, on)
        .await
        .context("updating the organisation")?
        .ok_or(AdminError::NotFound("organisation"))?;
    let entry = admin
        .audit(AuditAction::OrganizationUpdated, org.id)
        .detail("push_summary", on);
    audit::record(state, &txn, entry).await?;
    txn.commit().await.context("committing the organisation")?;
    Ok(org)
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
    Ok(Page::of(items, size, |o| o.code.clone()))
}

/// Where the seal of each of `orgs` stands.
pub async fn seals(
    state: &AppState,
    orgs: &[Organization],
) -> Result<HashMap<Uuid, Seal>, AdminError> {
    let ids: Vec<Uuid> = orgs.iter().map(|o| o.id).collect();
    let keys = store::signing::seals(&state.db, &ids)
        .await
        .context("reading the seals")?;
    Ok(ids
        .into_iter()
        .map(|id| {
            let seal = match keys.get(&id) {
                None => Seal::None,
                Some(false) => Seal::Pending,
                Some(true) => Seal::Certified,
            };
            (id, seal)
        })
        .collect())
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
    let txn = state.db.begin().await.context("starting a transaction")?;
    let user = match store::users::insert(&txn, new, state.clock.now()).await {
        Err(e) if is_unique_violation(&e) => return Err(AdminError::UsernameTaken),
        other => other.context("storing the account")?,
    };
    let roles: Vec<_> = user.roles.iter().map(|r| r.as_str()).collect();
    let entry = admin
        .audit(AuditAction::UserCreated, user.organization_id)
        .subject(user.id)
        .detail("username", user.username.as_str())
        .detail("roles", roles);
    audit::record(state, &txn, entry).await?;
    txn.commit().await.context("committing the account")?;
    Ok(user)
}

/// Accounts by username; with `query`, those whose name, title or username holds every word
/// of it, with or without accents.
pub async fn users(
    state: &AppState,
    admin: &Admin,
    query: Option<&str>,
    cursor: Option<Cursor>,
    size: PageSize,
) -> Result<Page<User>, AdminError> {
    // A tree holds hundreds of accounts: matching folded names here, batch by batch in
    // username order, keeps the cursor the same with or without a query.
    const BATCH: u64 = 500;
    let query = query.map(str::trim).filter(|q| !q.is_empty());
    let batch = if query.is_some() { BATCH } else { size.get() };
    let wanted = usize::try_from(size.get()).unwrap_or(usize::MAX);
    let mut after = cursor.map(|c| c.sort_key());
    let mut items = Vec::new();
    loop {
        let rows = store::users::page(&state.db, &admin.scope, after.clone(), batch)
            .await
            .context("listing accounts")?;
        let exhausted = u64::try_from(rows.len()).unwrap_or(u64::MAX) < batch;
        after = rows.last().map(|u| u.username.clone()).or(after);
        items.extend(rows.into_iter().filter(|u| {
            query.is_none_or(|q| {
                search::matches(&format!("{} {} {}", u.full_name, u.title, u.username), q)
            })
        }));
        if exhausted || items.len() >= wanted {
            break;
        }
    }
    items.truncate(wanted);
    Ok(Page::of(items, size, |u| u.username.clone()))
}

pub struct UserUpdate {
    pub full_name: Option<String>,
    pub title: Option<String>,
    pub roles: Option<Vec<Role>>,
    pub disabled: Option<bool>,
    pub unlock: bool,
    /// Clears a forgotten or locked signing PIN: the person then sets a new one with their
    /// password.
    pub reset_signing_pin: bool,
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
    let roles = update
        .roles
        .as_ref()
        .map(|roles| roles.iter().map(|r| r.as_str()).collect::<Vec<_>>());
    let entry = admin
        .audit(AuditAction::UserUpdated, user.organization_id)
        .subject(id)
        .detail("roles", roles)
        .detail("disabled", update.disabled)
        .detail("unlocked", update.unlock.then_some(true));
    let changes = UserChanges {
        full_name: update
            .full_name
            .map(|n| non_empty("full_name", &n))
            .transpose()?,
        title: update.title.map(|t| t.trim().to_owned()),
        roles: update.roles,
        disabled: update.disabled,
    };
    let txn = state.db.begin().await.context("starting a transaction")?;
    let updated = store::users::update(&txn, id, changes, state.clock.now())
        .await
        .context("updating the account")?;
    audit::record(state, &txn, entry).await?;
    if update.reset_signing_pin {
        store::signing::delete_pin(&txn, id)
            .await
            .context("resetting the signing PIN")?;
        let reset = admin
            .audit(AuditAction::SigningPinReset, user.organization_id)
            .subject(id);
        audit::record(state, &txn, reset).await?;
    }
    txn.commit().await.context("committing the account")?;
    people::forget(state, id);
    flow::committed(state, Written::for_people(vec![id])).await;
    if updated.disabled {
        let ended = state.sessions.end_all(id).await;
        ended.context("ending the disabled account's sessions")?;
    }
    if update.unlock {
        let username = Username::parse(&updated.username)?;
        state
            .throttle
            .unlock(&username)
            .await
            .context("lifting the login lock")?;
        store::signing::reset_pin_failures(&state.db, id)
            .await
            .context("lifting the signing lock")?;
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
    let user = managed_user(state, admin, id).await?;
    let ended = state
        .sessions
        .revoke(id, session)
        .await
        .context("ending the session")?;
    if !ended {
        return Err(AdminError::NotFound("session"));
    }
    let entry = admin
        .audit(AuditAction::SessionRevoked, user.organization_id)
        .subject(id)
        .detail("session_id", session.to_string());
    audit::record_alone(state, entry).await?;
    tracing::info!(admin = %admin.user.id, user_id = %id, session_id = %session, "session revoked");
    Ok(())
}

pub async fn revoke_all_sessions(
    state: &AppState,
    admin: &Admin,
    id: Uuid,
) -> Result<usize, AdminError> {
    let user = managed_user(state, admin, id).await?;
    let ended = state
        .sessions
        .end_all(id)
        .await
        .context("ending the sessions")?;
    let entry = admin
        .audit(AuditAction::SessionRevoked, user.organization_id)
        .subject(id)
        .detail("sessions", ended);
    audit::record_alone(state, entry).await?;
    tracing::info!(admin = %admin.user.id, user_id = %id, ended, "all sessions revoked");
    Ok(ended)
}

pub(crate) async fn managed_user(
    state: &AppState,
    admin: &Admin,
    id: Uuid,
) -> Result<User, AdminError> {
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
