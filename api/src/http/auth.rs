//! `/auth`: logging in, refreshing, logging out, changing the password.

use poem::web::Data;
use poem_openapi::{Enum, Object, OpenApi, payload::Json, types::Example};
use secrecy::SecretString;
use uuid::Uuid;

use super::{
    ApiTags,
    error::{Problems, problem_set},
    middleware::ClientAddress,
    security::CallerPendingPassword,
    types::{NoContent, PlatformDto, redacted_debug},
};
use crate::{
    domain::{DeviceInfo, Locale, PushToken},
    services::auth::{self, LoginInput, Tokens},
    state::AppState,
};

problem_set!(LoginProblems: InvalidRequest, ValidationFailed, InvalidCredentials, AccountDisabled, TooManyAttempts, Busy);
problem_set!(RefreshProblems: InvalidRequest, InvalidRefreshToken, SessionRevoked);
problem_set!(LogoutProblems: authenticated);
problem_set!(PasswordProblems: authenticated, InvalidRequest, CurrentPasswordIncorrect, WeakPassword, TooManyAttempts, Busy);

#[derive(Object)]
#[oai(example, deny_unknown_fields)]
pub struct LoginRequest {
    #[oai(validator(min_length = 1, max_length = 64))]
    pub username: String,
    #[oai(validator(min_length = 1, max_length = 1024))]
    pub password: String,
    pub device: DeviceRequest,
}

redacted_debug!(LoginRequest, RefreshRequest, ChangePasswordRequest);

impl Example for LoginRequest {
    fn example() -> Self {
        Self {
            username: "lanhdao.an".to_owned(),
            password: "••••••••••••".to_owned(),
            device: DeviceRequest {
                device_id: "c0ffee00-android-7f3a".to_owned(),
                platform: PlatformDto::Android,
                name: "Samsung Galaxy S24".to_owned(),
                app_version: "1.4.2".to_owned(),
                push_token: Some("dXNlcl9kZXZpY2U:APA91bH3xample".to_owned()),
                locale: Some(Locale::Vi),
            },
        }
    }
}

/// The device logging in. A device that logs in again with the same `device_id` replaces its
/// earlier session.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct DeviceRequest {
    /// The app's own stable id for this installation.
    #[oai(validator(min_length = 1, max_length = 128))]
    pub device_id: String,
    pub platform: PlatformDto,
    /// A name the user recognises in their device list.
    #[oai(validator(max_length = 128))]
    pub name: String,
    #[oai(validator(max_length = 32))]
    pub app_version: String,
    /// The FCM registration token, when the user allowed notifications.
    #[oai(validator(max_length = 4096, pattern = r"^[A-Za-z0-9:_.-]+$"))]
    pub push_token: Option<String>,
    /// The language of this device's notifications; Vietnamese when absent.
    pub locale: Option<Locale>,
}

/// How to send the access token: always `Bearer`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "PascalCase")]
pub enum TokenType {
    Bearer,
}

#[derive(Debug, Object)]
#[oai(example)]
pub struct TokenResponse {
    /// Send as `Authorization: Bearer …`.
    pub access_token: String,
    /// Trade for a new pair at `POST /auth/refresh`; it works once.
    pub refresh_token: String,
    pub token_type: TokenType,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    pub session_id: Uuid,
    /// When true, every call but `POST /auth/password`, `GET /me` and `POST /auth/logout`
    /// answers 403 `password_change_required` until the password is changed.
    pub must_change_password: bool,
}

impl From<Tokens> for TokenResponse {
    fn from(t: Tokens) -> Self {
        Self {
            access_token: t.access_token,
            refresh_token: t.refresh_token.expose().to_owned(),
            token_type: TokenType::Bearer,
            expires_in: t.expires_in,
            session_id: t.session_id,
            must_change_password: t.must_change_password,
        }
    }
}

impl Example for TokenResponse {
    fn example() -> Self {
        Self {
            access_token: "eyJhbGciOiJFZERTQSIsImtpZCI6IjFhMmIzYzRkNWU2ZjcwODEifQ.eyJpc3MiOiJ2YW5iYW4ifQ.c2lnbmF0dXJl".to_owned(),
            refresh_token: "5e551011000040008000000000000001.q7W1uZ0m1kR3XnV9bJt2yA4sE6dF8gH0iK2lM4nO6pQ".to_owned(),
            token_type: TokenType::Bearer,
            expires_in: 900,
            session_id: Uuid::from_u128(0x5e55_1011_0000_4000_8000_0000_0000_0001),
            must_change_password: false,
        }
    }
}

#[derive(Object)]
#[oai(example, deny_unknown_fields)]
pub struct RefreshRequest {
    #[oai(validator(min_length = 1, max_length = 256))]
    pub refresh_token: String,
}

impl Example for RefreshRequest {
    fn example() -> Self {
        Self {
            refresh_token: TokenResponse::example().refresh_token,
        }
    }
}

#[derive(Object)]
#[oai(example, deny_unknown_fields)]
pub struct ChangePasswordRequest {
    #[oai(validator(min_length = 1, max_length = 1024))]
    pub current_password: String,
    /// At least 10 and at most 128 characters, not containing the username.
    #[oai(validator(min_length = 1, max_length = 1024))]
    pub new_password: String,
}

impl Example for ChangePasswordRequest {
    fn example() -> Self {
        Self {
            current_password: "mật khẩu tạm thời".to_owned(),
            new_password: "một câu dài dễ nhớ 2026".to_owned(),
        }
    }
}

pub struct AuthApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Auth")]
impl AuthApi {
    /// Log in on a device
    ///
    /// Starts a device session. A wrong username and a wrong password give the same answer.
    /// After repeated failures the username (and the client address) is locked for a while:
    /// 429 with `Retry-After`, even with the right password.
    #[oai(path = "/auth/login", method = "post", operation_id = "login")]
    async fn login(
        &self,
        state: Data<&AppState>,
        client: Data<&ClientAddress>,
        body: Json<LoginRequest>,
    ) -> Result<Json<TokenResponse>, Problems<LoginProblems>> {
        let body = body.0;
        let device = DeviceInfo {
            device_id: body.device.device_id,
            platform: body.device.platform.into(),
            name: body.device.name,
            app_version: body.device.app_version,
            push_token: body
                .device
                .push_token
                .as_deref()
                .map(PushToken::parse)
                .transpose()?,
            locale: body.device.locale.unwrap_or(Locale::Vi),
        };
        let input = LoginInput {
            username: body.username,
            password: SecretString::from(body.password),
            device,
            ip: client.0.0,
        };
        Ok(Json(auth::login(&state, input).await?.into()))
    }

    /// Refresh the tokens
    ///
    /// Trades a refresh token for a new pair; the one presented stops working. Presenting an
    /// already used refresh token again ends its session (401 `session_revoked`): someone
    /// else may hold a copy.
    #[oai(path = "/auth/refresh", method = "post", operation_id = "refresh")]
    async fn refresh(
        &self,
        state: Data<&AppState>,
        client: Data<&ClientAddress>,
        body: Json<RefreshRequest>,
    ) -> Result<Json<TokenResponse>, Problems<RefreshProblems>> {
        let token = SecretString::from(body.0.refresh_token);
        Ok(Json(auth::refresh(&state, token, client.0.0).await?.into()))
    }

    /// Log out
    ///
    /// Ends the calling session; the device gets no more notifications.
    #[oai(path = "/auth/logout", method = "post", operation_id = "logout")]
    async fn logout(
        &self,
        state: Data<&AppState>,
        caller: CallerPendingPassword,
    ) -> Result<NoContent, Problems<LogoutProblems>> {
        auth::logout(&state, caller.0).await?;
        Ok(NoContent::Done)
    }

    /// Change my password
    ///
    /// Required after a first login with a default password. Ends every other session of the
    /// account; this one stays.
    #[oai(
        path = "/auth/password",
        method = "post",
        operation_id = "changePassword"
    )]
    async fn change_password(
        &self,
        state: Data<&AppState>,
        caller: CallerPendingPassword,
        body: Json<ChangePasswordRequest>,
    ) -> Result<NoContent, Problems<PasswordProblems>> {
        let body = body.0;
        auth::change_password(
            &state,
            caller.0,
            SecretString::from(body.current_password),
            SecretString::from(body.new_password),
        )
        .await?;
        Ok(NoContent::Done)
    }
}
