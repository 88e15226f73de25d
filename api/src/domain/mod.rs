//! Pure rules and parsed types: raw strings stop at the edge and become these. No I/O here.

pub mod account;
pub mod device;
pub mod document;
pub mod numbering;
pub mod organization;
pub mod page;
pub mod search;
pub mod workflow;

pub use account::{NewPassword, PasswordPolicyError, Role, User, Username};
pub use device::{DeviceInfo, Platform, PushToken};
pub use organization::{NumberingStyle, OrgCode, OrgTree, Organization};
pub use page::{Cursor, PageSize};

/// Why a value from outside was refused; the message is shown to the client as is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct InvalidInput {
    pub field: &'static str,
    pub reason: String,
}

impl InvalidInput {
    pub fn new(field: &'static str, reason: impl Into<String>) -> Self {
        Self {
            field,
            reason: reason.into(),
        }
    }
}
