//! Pure rules and parsed types: raw strings stop at the edge and become these. No I/O here.

/// A fieldless enum kept as snake_case text in storage and on the wire: `as_str` writes it,
/// `parse` reads it back, `ALL` lists it.
macro_rules! stored_enum {
    ($(#[$doc:meta])* $name:ident as $field:literal {
        $($(#[$vdoc:meta])* $variant:ident = $text:literal,)+
    }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($(#[$vdoc])* $variant,)+ }

        impl $name {
            pub const ALL: &[Self] = &[$(Self::$variant,)+];

            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text,)+ }
            }

            pub fn parse(raw: &str) -> Result<Self, InvalidInput> {
                Self::ALL.iter().copied().find(|v| v.as_str() == raw).ok_or_else(|| {
                    let known: Vec<_> = Self::ALL.iter().map(|v| v.as_str()).collect();
                    $crate::domain::InvalidInput::new(
                        $field,
                        format!("unknown value `{raw}`; expected one of {}", known.join(", ")),
                    )
                })
            }
        }
    };
}

pub mod account;
pub mod agency_code;
pub mod audit;
pub mod device;
pub mod document;
pub mod exchange;
pub mod history;
pub mod numbering;
pub mod organization;
pub mod page;
pub mod person;
pub mod search;
pub mod workflow;

pub use account::{Locale, NewPassword, PasswordPolicyError, Role, User, Username};
pub use agency_code::{Abbreviation, CodeKind, OrgCode};
pub use device::{DeviceInfo, Platform, PushToken};
pub use organization::{NumberingStyle, OrgTree, Organization, Seal};
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
