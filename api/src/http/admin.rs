//! `/admin`: organisations, accounts and device sessions, for admins of an organisation and
//! the organisations below it.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use poem::web::Data;
use poem_openapi::{
    ApiResponse, Enum, Object, OpenApi,
    param::{Path, Query},
    payload::Json,
    types::Example,
};
use secrecy::SecretString;
use uuid::Uuid;

use super::{
    ApiTags,
    error::{Problems, problem_set},
    security::Caller,
    types::{NoContent, NumberingStyleDto, RoleDto, SessionList, example_time, redacted_debug},
};
use crate::{
    domain::{Cursor, Organization, PageSize, Seal, User},
    services::admin::{self, AdminError, OrganizationInput, Page, UserInput, UserUpdate},
    state::AppState,
};

problem_set!(CreateOrgProblems: authenticated, Forbidden, InvalidRequest, ValidationFailed, NotFound, OrganizationCodeTaken);
problem_set!(UpdateOrgProblems: authenticated, Forbidden, InvalidRequest, ValidationFailed, NotFound);
problem_set!(ListProblems: authenticated, Forbidden, InvalidRequest, ValidationFailed);
problem_set!(CreateUserProblems: authenticated, Forbidden, InvalidRequest, ValidationFailed, WeakPassword, NotFound, UsernameTaken, Busy);
problem_set!(UpdateUserProblems: authenticated, Forbidden, InvalidRequest, ValidationFailed, NotFound, CannotDisableSelf);
problem_set!(UserSessionsProblems: authenticated, Forbidden, NotFound);

#[derive(Debug, Object)]
#[oai(example, deny_unknown_fields)]
pub struct CreateOrganizationRequest {
    /// The QCVN 102 agency code (mã định danh) it exchanges documents under, `001.00.00.A52`;
    /// unique. A local code of letters, digits, `-`, `_` (stored upper-case) is still
    /// accepted for an organisation that exchanges nothing.
    #[oai(validator(pattern = r"^[A-Za-z0-9._-]{2,32}$"))]
    pub code: String,
    /// Chữ viết tắt, what its symbols are built from: `TU`, `UBND`, `TTg` (letters and digits).
    /// Required with an agency code; a local code is its own abbreviation by default.
    #[oai(validator(min_length = 1, max_length = 16))]
    pub abbreviation: Option<String>,
    #[oai(validator(min_length = 1, max_length = 255))]
    pub name: String,
    /// Defaults to the admin's own organisation.
    pub parent_id: Option<Uuid>,
    pub numbering_style: NumberingStyleDto,
}

impl Example for CreateOrganizationRequest {
    fn example() -> Self {
        Self {
            code: "000.01.00.A52".to_owned(),
            abbreviation: Some("BTCTU".to_owned()),
            name: "Ban Tổ chức Tỉnh ủy".to_owned(),
            parent_id: Some(OrganizationView::example().id),
            numbering_style: NumberingStyleDto::Party,
        }
    }
}

#[derive(Debug, Object)]
#[oai(rename = "Organization", example)]
pub struct OrganizationView {
    pub id: Uuid,
    /// Its QCVN 102 agency code, `000.00.00.A52` (or a local code from before the exchange).
    pub code: String,
    /// What its symbols are built from: `TU` in `1945-QĐ/TU`.
    pub abbreviation: String,
    pub name: String,
    #[oai(skip_serializing_if_is_none)]
    pub parent_id: Option<Uuid>,
    pub numbering_style: NumberingStyleDto,
    pub created_at: DateTime<Utc>,
    /// Pushes about its documents show their summary; otherwise only that something waits.
    pub push_summary: bool,
    pub seal: SealStatus,
}

/// The organisation's seal, added to what it issues: `none` (no key), `pending` (a key waits
/// for the CA's certificate) or `certified`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum SealStatus {
    None,
    Pending,
    Certified,
}

impl From<Seal> for SealStatus {
    fn from(s: Seal) -> Self {
        match s {
            Seal::None => Self::None,
            Seal::Pending => Self::Pending,
            Seal::Certified => Self::Certified,
        }
    }
}

impl OrganizationView {
    fn new(o: Organization, seals: &HashMap<Uuid, Seal>) -> Self {
        let seal = seals.get(&o.id).copied().unwrap_or(Seal::None).into();
        Self {
            seal,
            id: o.id,
            code: o.code,
            abbreviation: o.abbreviation,
            name: o.name,
            parent_id: o.parent_id,
            numbering_style: o.numbering_style.into(),
            created_at: o.created_at,
            push_summary: o.push_summary,
        }
    }
}

impl Example for OrganizationView {
    fn example() -> Self {
        Self {
            id: Uuid::from_u128(0x0e60_0000_0000_4000_8000_0000_0000_0001),
            code: "000.00.00.A52".to_owned(),
            abbreviation: "TU".to_owned(),
            name: "Tỉnh ủy Ninh Bình".to_owned(),
            parent_id: None,
            numbering_style: NumberingStyleDto::Party,
            created_at: example_time(),
            push_summary: false,
            seal: SealStatus::Certified,
        }
    }
}

#[derive(Debug, Object)]
#[oai(example)]
pub struct OrganizationPage {
    /// By code.
    pub items: Vec<OrganizationView>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[oai(skip_serializing_if_is_none)]
    pub next_cursor: Option<String>,
}

#[derive(Object)]
#[oai(example, deny_unknown_fields)]
pub struct CreateUserRequest {
    /// Letters, digits, `.`, `_`, `-`, starting with a letter or digit; stored lower-case;
    /// unique.
    #[oai(validator(pattern = r"^[A-Za-z0-9][A-Za-z0-9._-]{2,63}$"))]
    pub username: String,
    #[oai(validator(min_length = 1, max_length = 255))]
    pub full_name: String,
    #[oai(validator(max_length = 255))]
    pub title: String,
    pub organization_id: Uuid,
    pub roles: Vec<RoleDto>,
    /// A one-time password to hand to the user, who must change it at first login.
    #[oai(validator(min_length = 1, max_length = 1024))]
    pub default_password: String,
}

redacted_debug!(CreateUserRequest);

impl Example for CreateUserRequest {
    fn example() -> Self {
        Self {
            username: "lanhdao.an".to_owned(),
            full_name: "Nguyễn Văn An".to_owned(),
            title: "Phó Bí thư Tỉnh ủy".to_owned(),
            organization_id: OrganizationView::example().id,
            roles: vec![RoleDto::Leader],
            default_password: "tạm-thời-2026-11".to_owned(),
        }
    }
}

#[derive(Debug, Object)]
#[oai(rename = "User", example)]
pub struct UserView {
    pub id: Uuid,
    pub username: String,
    pub full_name: String,
    pub title: String,
    pub organization_id: Uuid,
    pub roles: Vec<RoleDto>,
    pub disabled: bool,
    pub must_change_password: bool,
    pub created_at: DateTime<Utc>,
}

impl From<User> for UserView {
    fn from(u: User) -> Self {
        Self {
            id: u.id,
            username: u.username,
            full_name: u.full_name,
            title: u.title,
            organization_id: u.organization_id,
            roles: u.roles.into_iter().map(Into::into).collect(),
            disabled: u.disabled,
            must_change_password: u.must_change_password,
            created_at: u.created_at,
        }
    }
}

impl Example for UserView {
    fn example() -> Self {
        let req = CreateUserRequest::example();
        Self {
            id: Uuid::from_u128(0x0a11_ce00_0000_4000_8000_0000_0000_0001),
            username: req.username,
            full_name: req.full_name,
            title: req.title,
            organization_id: req.organization_id,
            roles: req.roles,
            disabled: false,
            must_change_password: true,
            created_at: example_time(),
        }
    }
}

#[derive(Debug, Object)]
#[oai(example)]
pub struct UserPage {
    /// By username.
    pub items: Vec<UserView>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[oai(skip_serializing_if_is_none)]
    pub next_cursor: Option<String>,
}

/// Only the fields present change.
#[derive(Debug, Object)]
#[oai(example, deny_unknown_fields)]
pub struct UpdateOrganizationRequest {
    /// Show the document's summary in pushes about the organisation's documents. A push
    /// travels through Google and Apple: opt in only where that is acceptable.
    pub push_summary: bool,
}

impl Example for UpdateOrganizationRequest {
    fn example() -> Self {
        Self { push_summary: true }
    }
}

#[derive(Debug, Object)]
#[oai(example, deny_unknown_fields)]
pub struct UpdateUserRequest {
    #[oai(validator(min_length = 1, max_length = 255))]
    pub full_name: Option<String>,
    #[oai(validator(max_length = 255))]
    pub title: Option<String>,
    /// Replaces the roles.
    pub roles: Option<Vec<RoleDto>>,
    /// Disabling ends every session of the account at once.
    pub disabled: Option<bool>,
    /// `true` lifts a lock left by repeated failed logins or wrong signing PINs.
    pub unlock: Option<bool>,
    /// `true` clears a forgotten or locked signing PIN (and its count of wrong PINs): the
    /// person then sets a new one with their login password.
    pub reset_signing_pin: Option<bool>,
}

impl Example for UpdateUserRequest {
    fn example() -> Self {
        Self {
            full_name: None,
            title: None,
            roles: Some(vec![RoleDto::Leader, RoleDto::Admin]),
            disabled: None,
            unlock: Some(true),
            reset_signing_pin: None,
        }
    }
}

#[derive(Debug, Object)]
#[oai(example)]
pub struct RevokedSessions {
    /// How many sessions ended.
    pub revoked: u64,
}

impl Example for OrganizationPage {
    fn example() -> Self {
        Self {
            items: vec![OrganizationView::example()],
            next_cursor: Some("VFU".to_owned()),
        }
    }
}

impl Example for UserPage {
    fn example() -> Self {
        Self {
            items: vec![UserView::example()],
            next_cursor: Some("bGFuaGRhby5hbg".to_owned()),
        }
    }
}

impl Example for RevokedSessions {
    fn example() -> Self {
        Self { revoked: 2 }
    }
}

#[derive(ApiResponse)]
pub enum CreatedOrganization {
    #[oai(status = 201)]
    Created(Json<OrganizationView>),
}

#[derive(ApiResponse)]
pub enum CreatedUser {
    #[oai(status = 201)]
    Created(Json<UserView>),
}

pub struct AdminApi;

pub(super) fn page_args(
    cursor: Option<String>,
    limit: Option<u64>,
) -> Result<(Option<Cursor>, PageSize), AdminError> {
    Ok((
        cursor.as_deref().map(Cursor::parse).transpose()?,
        PageSize::new(limit),
    ))
}

/// A page's items in their API form, and the cursor of the next page.
pub(super) fn page_parts<T, V: From<T>>(page: Page<T>) -> (Vec<V>, Option<String>) {
    let next = page.next.map(|c| c.as_str().to_owned());
    (page.items.into_iter().map(Into::into).collect(), next)
}

#[OpenApi(prefix_path = "/api/v1/admin", tag = "ApiTags::Admin")]
impl AdminApi {
    /// Create an organisation
    ///
    /// Under the admin's own organisation or one below it.
    #[oai(
        path = "/organizations",
        method = "post",
        operation_id = "createOrganization"
    )]
    async fn create_organization(
        &self,
        state: Data<&AppState>,
        caller: Caller,
        body: Json<CreateOrganizationRequest>,
    ) -> Result<CreatedOrganization, Problems<CreateOrgProblems>> {
        let admin = admin::authorize(&state, caller.0).await?;
        let body = body.0;
        let input = OrganizationInput {
            code: body.code,
            abbreviation: body.abbreviation,
            name: body.name,
            parent_id: body.parent_id,
            numbering_style: body.numbering_style.into(),
        };
        let org = admin::create_organization(&state, &admin, input).await?;
        // A new organisation has no key yet.
        Ok(CreatedOrganization::Created(Json(OrganizationView::new(
            org,
            &HashMap::new(),
        ))))
    }

    /// List organisations
    ///
    /// The admin's organisation and every one below it.
    #[oai(
        path = "/organizations",
        method = "get",
        operation_id = "listOrganizations"
    )]
    async fn organizations(
        &self,
        state: Data<&AppState>,
        caller: Caller,
        /// `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
        /// Page size, 1 to 100 (default 50).
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))]
        limit: Query<Option<u64>>,
    ) -> Result<Json<OrganizationPage>, Problems<ListProblems>> {
        let admin = admin::authorize(&state, caller.0).await?;
        let (cursor, size) = page_args(cursor.0, limit.0)?;
        let page = admin::organizations(&state, &admin, cursor, size).await?;
        let seals = admin::seals(&state, &page.items).await?;
        let next_cursor = page.next.map(|c| c.as_str().to_owned());
        let items = page
            .items
            .into_iter()
            .map(|o| OrganizationView::new(o, &seals))
            .collect();
        Ok(Json(OrganizationPage { items, next_cursor }))
    }

    /// Update an organisation
    ///
    /// Its push settings, within the admin's organisation and those below it.
    #[oai(
        path = "/organizations/:id",
        method = "patch",
        operation_id = "updateOrganization"
    )]
    async fn update_organization(
        &self,
        state: Data<&AppState>,
        caller: Caller,
        id: Path<Uuid>,
        body: Json<UpdateOrganizationRequest>,
    ) -> Result<Json<OrganizationView>, Problems<UpdateOrgProblems>> {
        let admin = admin::authorize(&state, caller.0).await?;
        let org = admin::set_push_summary(&state, &admin, id.0, body.0.push_summary).await?;
        let seals = admin::seals(&state, std::slice::from_ref(&org)).await?;
        Ok(Json(OrganizationView::new(org, &seals)))
    }

    /// Create an account
    ///
    /// The user must change the default password at first login.
    #[oai(path = "/users", method = "post", operation_id = "createUser")]
    async fn create_user(
        &self,
        state: Data<&AppState>,
        caller: Caller,
        body: Json<CreateUserRequest>,
    ) -> Result<CreatedUser, Problems<CreateUserProblems>> {
        let admin = admin::authorize(&state, caller.0).await?;
        let body = body.0;
        let input = UserInput {
            username: body.username,
            full_name: body.full_name,
            title: body.title,
            organization_id: body.organization_id,
            roles: body.roles.into_iter().map(Into::into).collect(),
            default_password: SecretString::from(body.default_password),
        };
        let user = admin::create_user(&state, &admin, input).await?;
        Ok(CreatedUser::Created(Json(user.into())))
    }

    /// List accounts
    ///
    /// Accounts of the admin's organisation and every one below it.
    #[oai(path = "/users", method = "get", operation_id = "listUsers")]
    async fn users(
        &self,
        state: Data<&AppState>,
        caller: Caller,
        /// Only those whose name, title or username holds every word, with or without accents
        /// (`thu nghiem` finds "Hoàng Thị Thử Nghiệm").
        #[oai(validator(max_length = 200))]
        q: Query<Option<String>>,
        /// `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
        /// Page size, 1 to 100 (default 50).
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))]
        limit: Query<Option<u64>>,
    ) -> Result<Json<UserPage>, Problems<ListProblems>> {
        let admin = admin::authorize(&state, caller.0).await?;
        let (cursor, size) = page_args(cursor.0, limit.0)?;
        let page = admin::users(&state, &admin, q.0.as_deref(), cursor, size).await?;
        let (items, next_cursor) = page_parts(page);
        Ok(Json(UserPage { items, next_cursor }))
    }

    /// Update an account
    ///
    /// Change names and roles, disable or re-enable, or lift a failed-login lock.
    #[oai(path = "/users/:id", method = "patch", operation_id = "updateUser")]
    async fn update_user(
        &self,
        state: Data<&AppState>,
        caller: Caller,
        id: Path<Uuid>,
        body: Json<UpdateUserRequest>,
    ) -> Result<Json<UserView>, Problems<UpdateUserProblems>> {
        let admin = admin::authorize(&state, caller.0).await?;
        let body = body.0;
        let update = UserUpdate {
            full_name: body.full_name,
            title: body.title,
            roles: body.roles.map(|r| r.into_iter().map(Into::into).collect()),
            disabled: body.disabled,
            unlock: body.unlock.unwrap_or(false),
            reset_signing_pin: body.reset_signing_pin.unwrap_or(false),
        };
        Ok(Json(
            admin::update_user(&state, &admin, id.0, update)
                .await?
                .into(),
        ))
    }

    /// List an account's device sessions
    #[oai(
        path = "/users/:id/sessions",
        method = "get",
        operation_id = "listUserSessions"
    )]
    async fn user_sessions(
        &self,
        state: Data<&AppState>,
        caller: Caller,
        id: Path<Uuid>,
    ) -> Result<Json<SessionList>, Problems<UserSessionsProblems>> {
        let admin = admin::authorize(&state, caller.0).await?;
        let items = admin::user_sessions(&state, &admin, id.0).await?;
        Ok(Json(SessionList::new(items, caller.0.session_id)))
    }

    /// Revoke one device session
    ///
    /// Takes effect on that device's very next request, on every server instance; the device
    /// gets no more notifications.
    #[oai(
        path = "/users/:id/sessions/:session_id",
        method = "delete",
        operation_id = "revokeUserSession"
    )]
    async fn revoke_session(
        &self,
        state: Data<&AppState>,
        caller: Caller,
        id: Path<Uuid>,
        session_id: Path<Uuid>,
    ) -> Result<NoContent, Problems<UserSessionsProblems>> {
        let admin = admin::authorize(&state, caller.0).await?;
        admin::revoke_session(&state, &admin, id.0, session_id.0).await?;
        Ok(NoContent::Done)
    }

    /// Revoke every device session of an account
    #[oai(
        path = "/users/:id/sessions",
        method = "delete",
        operation_id = "revokeUserSessions"
    )]
    async fn revoke_all(
        &self,
        state: Data<&AppState>,
        caller: Caller,
        id: Path<Uuid>,
    ) -> Result<Json<RevokedSessions>, Problems<UserSessionsProblems>> {
        let admin = admin::authorize(&state, caller.0).await?;
        let revoked = admin::revoke_all_sessions(&state, &admin, id.0).await?;
        Ok(Json(RevokedSessions {
            revoked: u64::try_from(revoked).unwrap_or(u64::MAX),
        }))
    }
}
