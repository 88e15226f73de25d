//! Request and response types shared by several areas, and their conversions from the domain.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use poem_openapi::{ApiResponse, Enum, Object, types::Example};
use serde::Serialize;
use uuid::Uuid;

use crate::{
    auth::Session,
    domain::{NumberingStyle, Platform, Role, person::Person},
};

/// `Debug` that names the type and nothing else, for request bodies that carry a password, a
/// PIN or a token: none may ever reach a log line.
macro_rules! redacted_debug {
    ($($ty:ty),+ $(,)?) => {$(
        impl std::fmt::Debug for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($ty)).finish_non_exhaustive()
            }
        }
    )+};
}
pub(crate) use redacted_debug;

/// Nothing to say: the call succeeded.
#[derive(ApiResponse)]
pub enum NoContent {
    #[oai(status = 204)]
    Done,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename = "Platform", rename_all = "snake_case")]
pub enum PlatformDto {
    Android,
    Ios,
    Web,
}

impl From<PlatformDto> for Platform {
    fn from(p: PlatformDto) -> Self {
        match p {
            PlatformDto::Android => Platform::Android,
            PlatformDto::Ios => Platform::Ios,
            PlatformDto::Web => Platform::Web,
        }
    }
}

impl From<Platform> for PlatformDto {
    fn from(p: Platform) -> Self {
        match p {
            Platform::Android => PlatformDto::Android,
            Platform::Ios => PlatformDto::Ios,
            Platform::Web => PlatformDto::Web,
        }
    }
}

/// `leader` (lãnh đạo), `clerk` (văn thư), `specialist` (chuyên viên), `admin` (quản trị).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename = "Role", rename_all = "snake_case")]
pub enum RoleDto {
    Leader,
    Clerk,
    Specialist,
    Admin,
}

impl From<RoleDto> for Role {
    fn from(r: RoleDto) -> Self {
        match r {
            RoleDto::Leader => Role::Leader,
            RoleDto::Clerk => Role::Clerk,
            RoleDto::Specialist => Role::Specialist,
            RoleDto::Admin => Role::Admin,
        }
    }
}

impl From<Role> for RoleDto {
    fn from(r: Role) -> Self {
        match r {
            Role::Leader => RoleDto::Leader,
            Role::Clerk => RoleDto::Clerk,
            Role::Specialist => RoleDto::Specialist,
            Role::Admin => RoleDto::Admin,
        }
    }
}

/// `party`: numbers like `1945-QĐ/TU`; `state`: numbers like `02/CT-TTg`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename = "NumberingStyle", rename_all = "snake_case")]
pub enum NumberingStyleDto {
    Party,
    State,
}

impl From<NumberingStyleDto> for NumberingStyle {
    fn from(s: NumberingStyleDto) -> Self {
        match s {
            NumberingStyleDto::Party => NumberingStyle::Party,
            NumberingStyleDto::State => NumberingStyle::State,
        }
    }
}

impl From<NumberingStyle> for NumberingStyleDto {
    fn from(s: NumberingStyle) -> Self {
        match s {
            NumberingStyle::Party => NumberingStyleDto::Party,
            NumberingStyle::State => NumberingStyleDto::State,
        }
    }
}

/// A device session: one phone (or browser) logged in.
#[derive(Debug, Clone, Object)]
#[oai(example)]
pub struct SessionView {
    pub id: Uuid,
    /// The app's own stable id for the device.
    pub device_id: String,
    pub platform: PlatformDto,
    pub name: String,
    pub app_version: String,
    /// Whether the device has a push token (the token itself is never shown).
    pub push_enabled: bool,
    /// The address the session logged in from.
    #[oai(skip_serializing_if_is_none)]
    pub ip: Option<String>,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    /// True for the session making this request.
    pub current: bool,
}

impl SessionView {
    fn new(s: Session, current: Option<Uuid>) -> Self {
        Self {
            current: Some(s.id) == current,
            id: s.id,
            device_id: s.device_id,
            platform: s.platform.into(),
            name: s.device_name,
            app_version: s.app_version,
            push_enabled: s.push_token.is_some(),
            ip: s.ip,
            created_at: s.created_at,
            last_seen_at: s.last_seen_at,
        }
    }
}

impl Example for SessionView {
    fn example() -> Self {
        Self {
            id: Uuid::from_u128(0x5e55_1011_0000_4000_8000_0000_0000_0001),
            device_id: "c0ffee00-android-7f3a".to_owned(),
            platform: PlatformDto::Android,
            name: "Samsung Galaxy S24".to_owned(),
            app_version: "1.4.2".to_owned(),
            push_enabled: true,
            ip: Some("203.113.131.4".to_owned()),
            created_at: example_time(),
            last_seen_at: example_time(),
            current: true,
        }
    }
}

#[derive(Debug, Clone, Object)]
#[oai(example)]
pub struct SessionList {
    /// Oldest first.
    pub items: Vec<SessionView>,
}

impl Example for SessionList {
    fn example() -> Self {
        Self {
            items: vec![SessionView::example()],
        }
    }
}

impl SessionList {
    /// `current` is the session of the caller, flagged in the list.
    pub fn new(sessions: Vec<Session>, current: Uuid) -> Self {
        let items = sessions
            .into_iter()
            .map(|s| SessionView::new(s, Some(current)))
            .collect();
        Self { items }
    }
}

pub fn example_time() -> DateTime<Utc> {
    DateTime::from_timestamp(1_795_000_000, 0).unwrap_or_default()
}

/// An organisation by name, wherever one appears.
#[derive(Debug, Clone, Object, Serialize)]
#[oai(example)]
pub struct OrganizationName {
    pub id: Uuid,
    pub name: String,
}

impl Example for OrganizationName {
    fn example() -> Self {
        Self {
            id: Uuid::from_u128(0x0e60_0000_0000_4000_8000_0000_0000_0001),
            name: "Tỉnh ủy Ninh Bình".to_owned(),
        }
    }
}

/// A person wherever one appears (who sent, who holds, who signed): enough to write
/// "Phạm Minh Tấn — Phó Bí thư Thường trực".
#[derive(Debug, Clone, Object, Serialize)]
#[oai(example)]
pub struct PersonRef {
    pub id: Uuid,
    pub full_name: String,
    /// Chức vụ.
    pub title: String,
    pub organization: OrganizationName,
}

impl From<Person> for PersonRef {
    fn from(p: Person) -> Self {
        Self {
            id: p.id,
            full_name: p.full_name,
            title: p.title,
            organization: OrganizationName {
                id: p.organization_id,
                name: p.organization_name,
            },
        }
    }
}

impl Example for PersonRef {
    fn example() -> Self {
        Self {
            id: Uuid::from_u128(0x0a11_ce00_0000_4000_8000_0000_0000_0001),
            full_name: "Phạm Minh Tấn".to_owned(),
            title: "Phó Bí thư Thường trực".to_owned(),
            organization: OrganizationName::example(),
        }
    }
}

/// A person by id from the names loaded with a response; an id that names nobody (never
/// expected: accounts are disabled, not deleted) shows as an empty name.
pub fn person_ref(people: &HashMap<Uuid, Person>, id: Uuid) -> PersonRef {
    match people.get(&id) {
        Some(p) => p.clone().into(),
        None => PersonRef {
            id,
            full_name: String::new(),
            title: String::new(),
            organization: OrganizationName {
                id: Uuid::nil(),
                name: String::new(),
            },
        },
    }
}
