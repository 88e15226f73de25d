//! The phone (or browser) a session belongs to.

use super::InvalidInput;

stored_enum! {
    Platform as "platform" {
        Android = "android",
        Ios = "ios",
        Web = "web",
    }
}

/// A registration token from the FCM SDK: opaque, but bounded and of a known alphabet, so it
/// is safe to store and to put into a push request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushToken(String);

impl PushToken {
    pub const MAX_LEN: usize = 4096;

    pub fn parse(raw: &str) -> Result<Self, InvalidInput> {
        let token = raw.trim();
        if token.is_empty() || token.len() > Self::MAX_LEN {
            return Err(InvalidInput::new(
                "push_token",
                "must be 1 to 4096 characters",
            ));
        }
        if !token
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, ':' | '_' | '-' | '.'))
        {
            return Err(InvalidInput::new(
                "push_token",
                "is not an FCM registration token",
            ));
        }
        Ok(Self(token.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceInfo {
    /// Chosen by the app and stable across logins, so a device that logs in again replaces its
    /// old session instead of piling up new ones.
    pub device_id: String,
    pub platform: Platform,
    pub name: String,
    pub app_version: String,
    pub push_token: Option<PushToken>,
    /// The language of this device's pushes.
    pub locale: super::Locale,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_tokens_are_bounded_and_plain() {
        assert!(PushToken::parse("dGVzdA:APA91bH-x_y.z").is_ok());
        assert!(PushToken::parse("").is_err());
        assert!(PushToken::parse("a b").is_err());
        assert!(PushToken::parse(&"a".repeat(4097)).is_err());
    }
}
