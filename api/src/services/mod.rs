//! One function per use case. Each takes the state and parsed input, enforces who may do what,
//! and returns a domain value or its area's error; none knows HTTP.

pub mod admin;
pub mod audit;
pub mod auth;
pub mod batch;
pub mod documents;
pub mod exchange;
pub mod flow;
pub mod history;
pub mod me;
pub mod people;
pub mod reports;
pub mod signing;
pub mod sync;
pub mod tabs;
pub mod urge;
pub mod workflow;

use std::net::IpAddr;

use uuid::Uuid;

use crate::auth::sessions::ProfileStamp;

/// Who is calling: established from a valid access token whose session is alive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Principal {
    pub user_id: Uuid,
    pub session_id: Uuid,
    pub must_change_password: bool,
    /// Read with the session: whether a remembered profile is still current.
    pub profile_stamp: ProfileStamp,
    /// Where the request came from, for the audit trail.
    pub ip: Option<IpAddr>,
}
