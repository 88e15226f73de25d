//! Accounts: usernames, the password policy, roles.

use secrecy::{ExposeSecret, SecretString};

use super::InvalidInput;

/// A login name: lower-case ASCII letters, digits, `.`, `_`, `-`; 3 to 64 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Username(String);

impl Username {
    pub const MAX_LEN: usize = 64;

    pub fn parse(raw: &str) -> Result<Self, InvalidInput> {
        let name = raw.trim().to_ascii_lowercase();
        let len = name.chars().count();
        if !(3..=Self::MAX_LEN).contains(&len) {
            return Err(InvalidInput::new(
                "username",
                "must be 3 to 64 characters long",
            ));
        }
        if !name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'))
        {
            return Err(InvalidInput::new(
                "username",
                "may contain only letters a-z, digits, `.`, `_` and `-`",
            ));
        }
        if !name.starts_with(|c: char| c.is_ascii_alphanumeric()) {
            return Err(InvalidInput::new(
                "username",
                "must start with a letter or a digit",
            ));
        }
        Ok(Self(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordPolicyError {
    #[error("the password must be at least {min} characters long")]
    TooShort { min: usize },
    #[error("the password must be at most {max} characters long")]
    TooLong { max: usize },
    #[error("the password must not contain the username")]
    ContainsUsername,
    #[error("the new password must differ from the current one")]
    SameAsCurrent,
}

/// A password that satisfies the policy, ready to be hashed.
pub struct NewPassword(SecretString);

impl NewPassword {
    pub const MIN_LEN: usize = 10;
    pub const MAX_LEN: usize = 128;

    pub fn parse(raw: SecretString, username: &str) -> Result<Self, PasswordPolicyError> {
        let pw = raw.expose_secret();
        let len = pw.chars().count();
        if len < Self::MIN_LEN {
            return Err(PasswordPolicyError::TooShort { min: Self::MIN_LEN });
        }
        if len > Self::MAX_LEN {
            return Err(PasswordPolicyError::TooLong { max: Self::MAX_LEN });
        }
        if pw.to_lowercase().contains(username) {
            return Err(PasswordPolicyError::ContainsUsername);
        }
        Ok(Self(raw))
    }

    pub fn into_secret(self) -> SecretString {
        self.0
    }
}

stored_enum! {
    /// What a user may do: lãnh đạo, văn thư, chuyên viên, quản trị.
    Role as "role" {
        Leader = "leader",
        Clerk = "clerk",
        Specialist = "specialist",
        Admin = "admin",
    }
}

stored_enum! {
    /// The language a user's pushes are written in; Vietnamese unless they chose English.
    Locale as "locale" {
        Vi = "vi",
        En = "en",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_normalised_and_checked() {
        assert_eq!(
            Username::parse("  Nguyen.Van_A ").unwrap().as_str(),
            "nguyen.van_a"
        );
        for bad in ["ab", "-lead", "has space", "trần", &"x".repeat(65)] {
            assert!(Username::parse(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn password_policy() {
        let parse = |p: &str| NewPassword::parse(SecretString::from(p), "tuan");
        assert!(matches!(
            parse("short"),
            Err(PasswordPolicyError::TooShort { .. })
        ));
        assert!(matches!(
            parse(&"p".repeat(129)),
            Err(PasswordPolicyError::TooLong { .. })
        ));
        assert!(matches!(
            parse("my-Tuan-password"),
            Err(PasswordPolicyError::ContainsUsername)
        ));
        assert!(parse("Mật khẩu rất dài 2026").is_ok());
    }

    #[test]
    fn roles_round_trip() {
        for role in [Role::Leader, Role::Clerk, Role::Specialist, Role::Admin] {
            assert_eq!(Role::parse(role.as_str()), Ok(role));
        }
        assert!(Role::parse("root").is_err());
    }
}

/// An account as the rest of the system sees it (never its password hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: uuid::Uuid,
    pub username: String,
    pub full_name: String,
    pub title: String,
    pub organization_id: uuid::Uuid,
    pub roles: Vec<Role>,
    pub disabled: bool,
    pub must_change_password: bool,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

impl User {
    pub fn has_role(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
}
