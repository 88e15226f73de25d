//! `/me`: the caller's profile and devices.

use poem::web::Data;
use poem_openapi::{Object, OpenApi, param::Path, payload::Json, types::Example};
use uuid::Uuid;

use super::{
    ApiTags,
    error::{Problems, problem_set},
    security::{Caller, CallerPendingPassword},
    types::{NoContent, RoleDto, SessionList},
};
use crate::{
    services::me::{self, Profile},
    state::AppState,
};

problem_set!(ProfileProblems: authenticated);
problem_set!(SessionsProblems: authenticated);
problem_set!(EndSessionProblems: authenticated, NotFound);
problem_set!(PushTokenProblems: authenticated, InvalidRequest, ValidationFailed);

#[derive(Debug, Object)]
#[oai(example)]
pub struct MeResponse {
    pub id: Uuid,
    pub username: String,
    pub full_name: String,
    /// Chức vụ, e.g. `Phó Chánh Văn phòng`.
    pub title: String,
    pub roles: Vec<RoleDto>,
    pub organization: OrganizationRef,
    pub must_change_password: bool,
    /// For the app badge: tasks waiting for me.
    pub waiting_tasks: u64,
    /// Of those, how many are past their deadline.
    pub overdue_tasks: u64,
    /// The "for information" badge: reading tasks (để biết) I have not opened.
    pub unread_fyi: u64,
    /// The "submitted by me" badge: my drafts returned to me, waiting for a revision.
    pub returned_drafts: u64,
}

#[derive(Debug, Object)]
pub struct OrganizationRef {
    pub id: Uuid,
    pub code: String,
    pub name: String,
}

impl From<Profile> for MeResponse {
    fn from(p: Profile) -> Self {
        Self {
            id: p.user.id,
            username: p.user.username,
            full_name: p.user.full_name,
            title: p.user.title,
            roles: p.user.roles.into_iter().map(Into::into).collect(),
            organization: OrganizationRef {
                id: p.organization.id,
                code: p.organization.code,
                name: p.organization.name,
            },
            must_change_password: p.user.must_change_password,
            waiting_tasks: p.waiting_tasks,
            overdue_tasks: p.overdue_tasks,
            unread_fyi: p.unread_fyi,
            returned_drafts: p.returned_drafts,
        }
    }
}

impl Example for MeResponse {
    fn example() -> Self {
        Self {
            id: Uuid::from_u128(0x0a11_ce00_0000_4000_8000_0000_0000_0001),
            username: "lanhdao.an".to_owned(),
            full_name: "Nguyễn Văn An".to_owned(),
            title: "Phó Bí thư Tỉnh ủy".to_owned(),
            roles: vec![RoleDto::Leader],
            organization: OrganizationRef {
                id: Uuid::from_u128(0x0e60_0000_0000_4000_8000_0000_0000_0001),
                code: "TU".to_owned(),
                name: "Tỉnh ủy Ninh Bình".to_owned(),
            },
            must_change_password: false,
            waiting_tasks: 3,
            overdue_tasks: 1,
            unread_fyi: 2,
            returned_drafts: 0,
        }
    }
}

#[derive(Debug, Object)]
#[oai(example, deny_unknown_fields)]
pub struct PushTokenRequest {
    /// The new FCM registration token.
    #[oai(validator(max_length = 4096, pattern = r"^[A-Za-z0-9:_.-]+$"))]
    pub push_token: String,
}

impl Example for PushTokenRequest {
    fn example() -> Self {
        Self {
            push_token: "dXNlcl9kZXZpY2U:APA91bH3xample".to_owned(),
        }
    }
}

pub struct MeApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Me")]
impl MeApi {
    /// My profile
    #[oai(path = "/me", method = "get", operation_id = "getMe")]
    async fn me(
        &self,
        state: Data<&AppState>,
        caller: CallerPendingPassword,
    ) -> Result<Json<MeResponse>, Problems<ProfileProblems>> {
        Ok(Json(me::profile(&state, caller.0).await?.into()))
    }

    /// My device sessions
    ///
    /// Every device logged in to my account; the one making this call has `current: true`.
    #[oai(path = "/me/sessions", method = "get", operation_id = "listMySessions")]
    async fn sessions(
        &self,
        state: Data<&AppState>,
        caller: Caller,
    ) -> Result<Json<SessionList>, Problems<SessionsProblems>> {
        let items = me::sessions(&state, caller.0).await?;
        Ok(Json(SessionList::new(items, caller.0.session_id)))
    }

    /// End one of my sessions
    ///
    /// Logs that device out at once (a lost phone, say).
    #[oai(
        path = "/me/sessions/:session_id",
        method = "delete",
        operation_id = "endMySession"
    )]
    async fn end_session(
        &self,
        state: Data<&AppState>,
        caller: Caller,
        session_id: Path<Uuid>,
    ) -> Result<NoContent, Problems<EndSessionProblems>> {
        me::end_session(&state, caller.0, session_id.0).await?;
        Ok(NoContent::Done)
    }

    /// Update this device's push token
    ///
    /// Call whenever the FCM SDK hands the app a new registration token.
    #[oai(path = "/me/push-token", method = "put", operation_id = "setPushToken")]
    async fn push_token(
        &self,
        state: Data<&AppState>,
        caller: Caller,
        body: Json<PushTokenRequest>,
    ) -> Result<NoContent, Problems<PushTokenProblems>> {
        me::set_push_token(&state, caller.0, &body.0.push_token).await?;
        Ok(NoContent::Done)
    }
}
