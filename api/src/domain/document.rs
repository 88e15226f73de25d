//! A document's own vocabulary: direction, type, urgency, confidentiality and summary, and the
//! rule that nothing classified enters this system.

use unicode_normalization::UnicodeNormalization;

use super::InvalidInput;

stored_enum! {
    /// đến / đi / nội bộ.
    Direction as "direction" {
        Incoming = "incoming",
        Outgoing = "outgoing",
        Internal = "internal",
    }
}

stored_enum! {
    /// Độ khẩn: thường, khẩn, thượng khẩn, hỏa tốc.
    Urgency as "urgency" {
        Normal = "normal",
        Urgent = "urgent",
        VeryUrgent = "very_urgent",
        Flash = "flash",
    }
}

impl Urgency {
    /// Inbox sort key, ascending: 0 for hỏa tốc up to 3 for thường. Stored next to the
    /// document so the inbox can be ordered by (rank, deadline) in one index.
    pub fn inbox_rank(self) -> u8 {
        match self {
            Self::Flash => 0,
            Self::VeryUrgent => 1,
            Self::Urgent => 2,
            Self::Normal => 3,
        }
    }

    /// Whether pushes about it go out with high priority (they may wake a dozing phone).
    pub fn high_priority_push(self) -> bool {
        matches!(self, Self::Flash | Self::VeryUrgent)
    }
}

stored_enum! {
    /// Độ mật. Only `None` may be processed here; the others exist so a refusal can name them.
    Confidentiality as "confidentiality" {
        None = "none",
        Confidential = "confidential",
        Secret = "secret",
        TopSecret = "top_secret",
    }
}

/// A classified document was offered; it must be stored nowhere, attachments included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "this document is classified {} ({}): documents classified Mật or above must not be \
     processed on an Internet-connected system",
    level.vietnamese_name(),
    level.as_str()
)]
pub struct ClassifiedRefused {
    pub level: Confidentiality,
}

impl Confidentiality {
    /// The mark stamped on paper: Mật, Tối mật, Tuyệt mật.
    pub fn vietnamese_name(self) -> &'static str {
        match self {
            Self::None => "Không mật",
            Self::Confidential => "Mật",
            Self::Secret => "Tối mật",
            Self::TopSecret => "Tuyệt mật",
        }
    }

    /// Lets an unclassified document in and refuses every other level.
    pub fn admit(self) -> Result<(), ClassifiedRefused> {
        match self {
            Self::None => Ok(()),
            level => Err(ClassifiedRefused { level }),
        }
    }
}

/// The code of a doc type as it appears in a symbol (`QĐ`, `QĐi`, `TTr`): 1 to 8 letters
/// (Vietnamese ones included) or digits, starting with a letter so it never reads as a number.
/// Case is kept: `QĐi` and `QĐ` are different types.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DocTypeCode(String);

impl DocTypeCode {
    pub const MAX_LEN: usize = 8;

    pub fn parse(raw: &str) -> Result<Self, InvalidInput> {
        // Vietnamese keyboards can type decomposed Unicode; NFC makes `QĐ` typed either way equal.
        let code: String = raw.trim().nfc().collect();
        if !(1..=Self::MAX_LEN).contains(&code.chars().count()) {
            return Err(InvalidInput::new(
                "doc_type",
                "must be 1 to 8 characters long",
            ));
        }
        if !code.chars().all(char::is_alphanumeric) {
            return Err(InvalidInput::new(
                "doc_type",
                "may contain only letters and digits",
            ));
        }
        if !code.starts_with(char::is_alphabetic) {
            return Err(InvalidInput::new("doc_type", "must start with a letter"));
        }
        Ok(Self(code))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Công văn: the one type whose code a state-style symbol leaves out (`123/UBND-VP`).
pub const CONG_VAN: &str = "CV";

/// Trích yếu: the one-line subject, 1 to 1000 characters, no control characters (a line break
/// would break list rows and push texts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary(String);

impl Summary {
    pub const MAX_LEN: usize = 1000;

    pub fn parse(raw: &str) -> Result<Self, InvalidInput> {
        let text: String = raw.trim().nfc().collect();
        if text.is_empty() {
            return Err(InvalidInput::new("summary", "must not be empty"));
        }
        if text.chars().count() > Self::MAX_LEN {
            return Err(InvalidInput::new(
                "summary",
                "must be at most 1000 characters long",
            ));
        }
        if text.chars().any(char::is_control) {
            return Err(InvalidInput::new(
                "summary",
                "must be one line without control characters",
            ));
        }
        Ok(Self(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A document as stored: its metadata and where it stands in its workflow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    pub id: uuid::Uuid,
    pub organization_id: uuid::Uuid,
    pub direction: Direction,
    pub doc_type: String,
    pub number: Option<i32>,
    pub symbol: Option<String>,
    pub issued_on: Option<chrono::NaiveDate>,
    pub summary: String,
    pub issuer: Option<String>,
    pub urgency: Urgency,
    pub deadline: Option<chrono::DateTime<chrono::Utc>>,
    pub received_no: Option<i32>,
    pub state: super::workflow::DocumentState,
    pub author_id: uuid::Uuid,
    /// Changes with every change to the document: its ETag.
    pub revision: i32,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

/// What a row of a list shows of its document: "TTr 12/TTr-UBND — Tờ trình về việc …", how
/// urgent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heading {
    pub id: uuid::Uuid,
    pub doc_type: String,
    pub symbol: Option<String>,
    pub summary: String,
    pub urgency: Urgency,
}

/// One version of one of a document's files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentFile {
    pub id: uuid::Uuid,
    pub document_id: uuid::Uuid,
    /// 0 is the main PDF; 1, 2, … the appendices.
    pub slot: i32,
    pub version: i32,
    pub name: String,
    pub content_type: String,
    pub size: u64,
    pub sha256: String,
    pub uploaded_by: uuid::Uuid,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums_round_trip_and_refuse_unknown_names() {
        for &v in Direction::ALL {
            assert_eq!(Direction::parse(v.as_str()), Ok(v));
        }
        for &v in Urgency::ALL {
            assert_eq!(Urgency::parse(v.as_str()), Ok(v));
        }
        for &v in Confidentiality::ALL {
            assert_eq!(Confidentiality::parse(v.as_str()), Ok(v));
        }
        assert_eq!(Urgency::parse("very_urgent"), Ok(Urgency::VeryUrgent));
        assert_eq!(
            Confidentiality::parse("top_secret"),
            Ok(Confidentiality::TopSecret)
        );
        for bad in ["", "Incoming", "đến", "veryUrgent"] {
            assert!(Direction::parse(bad).is_err(), "{bad}");
            assert!(Urgency::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn flash_comes_first_and_the_top_two_push_loudly() {
        let mut inbox = Urgency::ALL.to_vec();
        inbox.sort_by_key(|u| u.inbox_rank());
        assert_eq!(
            inbox,
            [
                Urgency::Flash,
                Urgency::VeryUrgent,
                Urgency::Urgent,
                Urgency::Normal
            ]
        );
        let loud: Vec<_> = Urgency::ALL
            .iter()
            .copied()
            .filter(|u| u.high_priority_push())
            .collect();
        assert_eq!(loud, [Urgency::VeryUrgent, Urgency::Flash]);
    }

    #[test]
    fn only_unclassified_documents_are_admitted() {
        assert_eq!(Confidentiality::None.admit(), Ok(()));
        for (level, name) in [
            (Confidentiality::Confidential, "Mật"),
            (Confidentiality::Secret, "Tối mật"),
            (Confidentiality::TopSecret, "Tuyệt mật"),
        ] {
            let err = level.admit().unwrap_err();
            assert_eq!(err.level, level);
            let msg = err.to_string();
            assert!(msg.contains(&format!("classified {name} (")), "{msg}");
            assert!(msg.contains("Internet-connected"), "{msg}");
        }
    }

    #[test]
    fn doc_type_codes() {
        assert_eq!(DocTypeCode::parse(" QĐi ").unwrap().as_str(), "QĐi");
        // `Đ` does not decompose, but `Ư` + combining horn does: both spellings are one code.
        assert_eq!(
            DocTypeCode::parse("U\u{31B}").unwrap(),
            DocTypeCode::parse("Ư").unwrap()
        );
        assert!(DocTypeCode::parse("CT2").is_ok());
        for bad in ["", "  ", "Q-Đ", "QĐ/TU", "12", "ABCDEFGHI"] {
            assert!(DocTypeCode::parse(bad).is_err(), "{bad} should be refused");
        }
        for (code, _) in migration::SEED_DOC_TYPES {
            assert_eq!(DocTypeCode::parse(code).unwrap().as_str(), *code);
        }
    }

    #[test]
    fn summaries() {
        let s = Summary::parse("  Về việc triển khai Kế hoạch chuyển đổi số năm 2026 ").unwrap();
        assert_eq!(
            s.as_str(),
            "Về việc triển khai Kế hoạch chuyển đổi số năm 2026"
        );
        assert_eq!(
            Summary::parse("Ve\u{302}\u{300}").unwrap().as_str(),
            "Về".nfc().collect::<String>()
        );
        assert!(Summary::parse(&"ệ".repeat(1000)).is_ok());
        for bad in ["", "   ", "dòng một\ndòng hai", "tab\there"] {
            assert!(Summary::parse(bad).is_err(), "{bad:?} should be refused");
        }
        assert!(Summary::parse(&"ệ".repeat(1001)).is_err());
    }
}
