//! What the exchange axis carries, as its protocol names it.

/// A document, or a status report about one (`messagetype`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageKind {
    Edoc,
    Status,
}

impl MessageKind {
    pub const ALL: [Self; 2] = [Self::Edoc, Self::Status];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Edoc => "edoc",
            Self::Status => "status",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "edoc" => Some(Self::Edoc),
            "status" => Some(Self::Status),
            _ => None,
        }
    }
}
