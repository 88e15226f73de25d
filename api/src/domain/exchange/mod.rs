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
    /// A recall beside the progress: asked (13), agreed (15) or refused (16).
    pub recall: Option<DeliveryStatus>,
    /// Why the sender asked it back.
    pub recall_reason: Option<String>,
}

/// One report of a recipient that moved its delivery, for the sender's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryEvent {
    pub recipient: Uuid,
    pub status: DeliveryStatus,
    pub reason: Option<String>,
    pub at: chrono::DateTime<chrono::Utc>,
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

stored_enum! {
    /// How a document another organisation sent came in.
    Route as "route" {
        /// From an organisation on this server.
        Local = "local",
        /// Over the exchange axis.
        Axis = "axis",
        /// An edXML file a clerk imported.
        Import = "import",
    }
}

/// Where an incoming document came from, when another organisation sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arrival {
    /// The sender's agency code.
    pub sender_code: String,
    /// QCVN 102 `DocumentId`, as the sender names it.
    pub sender_document_id: String,
    pub route: Route,
    pub arrived_at: chrono::DateTime<chrono::Utc>,
    /// Whether every signature of its PDF holds; unknown until checked.
    pub signatures_valid: Option<bool>,
    /// The sender's recall: asked (13) until the clerk agrees (15) or refuses (16).
    pub recall: Option<DeliveryStatus>,
    /// Why the sender asks it back.
    pub recall_reason: Option<String>,
}

/// Everything about a document's exchange that its screen shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExchangeRecord {
    pub particulars: Particulars,
    /// Outgoing: in the order written, each with its delivery once sent.
    pub recipients: Vec<Recipient>,
    /// Incoming: how it came, when another organisation sent it.
    pub arrival: Option<Arrival>,
}

/// A number and symbol as QCVN 102 carries them: CodeNumber `1945` and CodeNotation `QĐ/TU`
/// from `1945-QĐ/TU` (Party style); `7816` and `VPCP-TTĐT` from `7816/VPCP-TTĐT` (State).
pub fn split_symbol(symbol: &str) -> (&str, &str) {
    let digits = symbol
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(symbol.len());
    let (number, rest) = symbol.split_at(digits);
    (number, rest.strip_prefix(['-', '/']).unwrap_or(rest))
}

/// The symbol as printed from a CodeNumber and CodeNotation: a Party notation names its type
/// over the committee with a slash and no hyphen (`1945-QĐ/TU`); a State one has no slash
/// (`02/CT-TTg`, `01/UBND`) or also a hyphen (`28/2018/QĐ-TTg`).
pub fn join_symbol(number: &str, notation: &str) -> String {
    if notation.contains('/') && !notation.contains('-') {
        format!("{number}-{notation}")
    } else {
        format!("{number}/{notation}")
    }
}

/// A `DocumentId` taken apart: the issuer's code, the issue date and the symbol as printed.
pub fn parse_document_id(raw: &str) -> Result<(String, NaiveDate, String), InvalidInput> {
    let bad = || {
        InvalidInput::new(
            "DocumentId",
            format!("`{raw}` is not `{{code}},{{yyyy/MM/dd}},{{number}}/{{notation}}`"),
        )
    };
    let mut parts = raw.trim().splitn(3, ',');
    let (Some(code), Some(date), Some(code_text)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(bad());
    };
    let date = NaiveDate::parse_from_str(date.trim(), "%Y/%m/%d").map_err(|_| bad())?;
    let (number, notation) = code_text.trim().split_once('/').ok_or_else(bad)?;
    if number.is_empty() || !number.chars().all(|c| c.is_ascii_digit()) || notation.is_empty() {
        return Err(bad());
    }
    Ok((code.trim().to_owned(), date, join_symbol(number, notation)))
}

/// The `DocumentId` a message names a document by: `{issuer code},{yyyy/MM/dd},{number}/{notation}`.
pub fn document_id(issuer_code: &str, issued_on: NaiveDate, symbol: &str) -> String {
    let (number, notation) = split_symbol(symbol);
    format!(
        "{issuer_code},{},{number}/{notation}",
        issued_on.format("%Y/%m/%d")
    )
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
    fn document_ids_name_the_issuer_date_number_and_notation() {
        let on = NaiveDate::from_ymd_opt(2015, 9, 30).unwrap();
        assert_eq!(
            document_id("000.00.00.G22", on, "7816/VPCP-TTĐT"),
            "000.00.00.G22,2015/09/30,7816/VPCP-TTĐT"
        );
        assert_eq!(
            document_id("000.00.00.A52", on, "1945-QĐ/TU"),
            "000.00.00.A52,2015/09/30,1945/QĐ/TU"
        );
        assert_eq!(split_symbol("02/CT-TTg"), ("02", "CT-TTg"));
        assert_eq!(split_symbol("15-CV/TU"), ("15", "CV/TU"));
        // And back: every symbol style survives the trip through a DocumentId.
        for symbol in [
            "7816/VPCP-TTĐT",
            "1945-QĐ/TU",
            "28/2018/QĐ-TTg",
            "04-QĐi/TU",
            "01/UBND-VX",
            "01/UBND",
        ] {
            let id = document_id("000.00.00.H41", on, symbol);
            assert_eq!(
                parse_document_id(&id).unwrap(),
                ("000.00.00.H41".to_owned(), on, symbol.to_owned())
            );
        }
        for bad in [
            "",
            "000.00.00.H41",
            "000.00.00.H41,2015-09-30,1/CV",
            "x,2015/09/30,a/CV",
            "x,2015/09/30,12",
        ] {
            assert!(parse_document_id(bad).is_err(), "{bad}");
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
