//! Cursor pagination: a cursor is the opaque sort key of the last item a client has seen, so
//! pages stay stable while rows are added.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

use super::InvalidInput;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor(String);

impl Cursor {
    pub fn after(sort_key: &str) -> Self {
        Self(URL_SAFE_NO_PAD.encode(sort_key))
    }

    pub fn parse(raw: &str) -> Result<Self, InvalidInput> {
        let bytes = URL_SAFE_NO_PAD
            .decode(raw)
            .map_err(|_| InvalidInput::new("cursor", "is not a cursor from this API"))?;
        String::from_utf8(bytes)
            .map(|_| Self(raw.to_owned()))
            .map_err(|_| InvalidInput::new("cursor", "is not a cursor from this API"))
    }

    pub fn sort_key(&self) -> String {
        URL_SAFE_NO_PAD
            .decode(&self.0)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .unwrap_or_default()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// How many items a page holds: 1 to 100, 50 when the client does not say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageSize(u64);

impl PageSize {
    pub const DEFAULT: u64 = 50;
    pub const MAX: u64 = 100;

    pub fn new(requested: Option<u64>) -> Self {
        Self(requested.unwrap_or(Self::DEFAULT).clamp(1, Self::MAX))
    }

    pub fn get(self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_garbage() {
        let c = Cursor::after("nguyen.van.a");
        assert_eq!(
            Cursor::parse(c.as_str()).unwrap().sort_key(),
            "nguyen.van.a"
        );
        assert!(Cursor::parse("***").is_err());
    }

    #[test]
    fn page_size_is_clamped() {
        assert_eq!(PageSize::new(None).get(), 50);
        assert_eq!(PageSize::new(Some(0)).get(), 1);
        assert_eq!(PageSize::new(Some(10_000)).get(), 100);
    }
}
