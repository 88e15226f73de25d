//! What the exchange between agencies adds to a document (ND 30 Appendix VI, QCVN 102): the
//! signer block, the place of issue, its recipients and free-text places, the sender's
//! particulars on an incoming one, and the status codes each recipient reports back.

use chrono::NaiveDate;
use unicode_normalization::UnicodeNormalization;
use uuid::Uuid;

use super::{InvalidInput, OrgCode};

pub mod edxml;
pub mod status;
pub mod transport;

pub use status::DeliveryStatus;

/// Thẩm quyền ký: `KT. CHỦ TỊCH` (signing for the head), `TM. ỦY BAN NHÂN DÂN` (on behalf of a
/// collective), `TL. BỘ TRƯỞNG`, `TUQ. GIÁM ĐỐC`; written as on paper, prefix first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Competence(String);

impl Competence {
    pub const PREFIXES: [&'static str; 4] = ["KT.", "TM.", "TL.", "TUQ."];

    pub fn parse(raw: &str) -> Result<Self, InvalidInput> {
        let text = one_line("signer.competence", raw, 255)?;
        let prefixed = Self::PREFIXES.iter().any(|p| {
            text.strip_prefix(p)
                .is_some_and(|rest| rest.starts_with(' ') && !rest.trim().is_empty())
        });
        if !prefixed {
            return Err(InvalidInput::new(
                "signer.competence",
                "must be `KT.`, `TM.`, `TL.` or `TUQ.` followed by whom the signer acts for, \
                 such as `KT. CHỦ TỊCH`",
            ));
        }
        Ok(Self(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The signer block: competence (absent when the head signs in their own name), position and
/// full name, as printed under the signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signer {
    pub competence: Option<Competence>,
    pub position: String,
    pub full_name: String,
}

impl Signer {
    pub fn parse(
        competence: Option<&str>,
        position: &str,
        full_name: &str,
    ) -> Result<Self, InvalidInput> {
        Ok(Self {
            competence: competence.map(Competence::parse).transpose()?,
            position: one_line("signer.position", position, 255)?,
            full_name: one_line("signer.full_name", full_name, 255)?,
        })
    }
}

/// Who an outgoing document goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Addressee {
    /// An organisation served by this server: delivered in the sending transaction.
    Local(Uuid),
    /// An agency elsewhere, by its code on the exchange network.
    External(OrgCode),
}

/// A recipient of an outgoing document as stored, with its delivery once sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    pub id: Uuid,
    pub document_id: Uuid,
    pub position: i32,
    /// An organisation on this server; otherwise `agency_code` names one elsewhere.
    pub organization_id: Option<Uuid>,
    pub agency_code: Option<String>,
    pub name: String,
    /// Empty until sent; then its latest reported status.
    pub status: Option<DeliveryStatus>,
    pub reason: Option<String>,
    /// The incoming copy a recipient on this server received.
    pub incoming_document_id: Option<Uuid>,
    pub sent_at: Option<chrono::DateTime<chrono::Utc>>,
    pub updated_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// A free-text place (nơi nhận) that is not delivered to: `Lưu: VT, TH`.
pub fn place(raw: &str) -> Result<String, InvalidInput> {
    one_line("places", raw, 255)
}

/// The place of issue (địa danh) printed before the date: `Ninh Bình`, `Hà Nội`.
pub fn place_of_issue(raw: &str) -> Result<String, InvalidInput> {
    one_line("place_of_issue", raw, 255)
}

/// The exchange particulars of one document; everything is optional, since a draft is filled
/// in as it goes, and another system's message carries what it carries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Particulars {
    pub place_of_issue: Option<String>,
    pub signer: Option<Signer>,
    pub places: Vec<String>,
    /// Incoming: the issuer's agency code.
    pub issuer_code: Option<String>,
    /// Incoming: our arrival date.
    pub received_on: Option<NaiveDate>,
}

impl Particulars {
    pub fn is_empty(&self) -> bool {
        self == &Self::default()
    }
}

/// Everything about a document's exchange that its screen shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExchangeRecord {
    pub particulars: Particulars,
    /// Outgoing: in the order written, each with its delivery once sent.
    pub recipients: Vec<Recipient>,
}

/// NFC, trimmed, one line, 1 to `max` characters.
fn one_line(field: &'static str, raw: &str, max: usize) -> Result<String, InvalidInput> {
    let text: String = raw.trim().nfc().collect();
    if text.is_empty() || text.chars().count() > max {
        return Err(InvalidInput::new(
            field,
            format!("must be 1 to {max} characters long"),
        ));
    }
    if text.chars().any(char::is_control) {
        return Err(InvalidInput::new(field, "must be one line"));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn competences_name_their_prefix_and_whom_they_act_for() {
        for ok in [
            "KT. CHỦ TỊCH",
            "TM. ỦY BAN NHÂN DÂN",
            "TL. BỘ TRƯỞNG",
            "TUQ. GIÁM ĐỐC",
            " KT. BÍ THƯ ",
        ] {
            assert_eq!(Competence::parse(ok).unwrap().as_str(), ok.trim());
        }
        for bad in [
            "",
            "KT.",
            "KT.CHỦ TỊCH",
            "Q. CHỦ TỊCH",
            "CHỦ TỊCH",
            "KT. \nX",
        ] {
            assert!(Competence::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_signer_needs_a_position_and_a_name() {
        let s = Signer::parse(Some("KT. CHỦ TỊCH"), "PHÓ CHỦ TỊCH", "Nguyễn Văn An").unwrap();
        assert_eq!(s.full_name, "Nguyễn Văn An");
        assert!(Signer::parse(None, "", "Nguyễn Văn An").is_err());
        assert!(Signer::parse(None, "CHỦ TỊCH", " ").is_err());
    }
}
