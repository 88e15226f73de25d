//! Exchange between agencies on the wire: what an upload may say for the exchange, what the
//! document screen shows of it (signer block, recipients and each one's delivery).

use chrono::{DateTime, NaiveDate, Utc};
use poem_openapi::{Enum, Object};
use uuid::Uuid;

use crate::{
    domain::exchange::{DeliveryStatus, ExchangeRecord, Recipient, Signer},
    services::exchange::{RecipientInput, particulars::SignerInput},
};

/// The signer block under the signature (ND 30): `KT. CHỦ TỊCH` / `PHÓ CHỦ TỊCH` / the name.
#[derive(Debug, Clone, Object)]
#[oai(rename = "Signer", deny_unknown_fields)]
pub struct SignerDto {
    /// Thẩm quyền ký: `KT.`, `TM.`, `TL.` or `TUQ.` and whom the signer acts for,
    /// `KT. CHỦ TỊCH`; absent when the head signs in their own name.
    #[oai(validator(max_length = 255))]
    pub competence: Option<String>,
    /// Chức vụ, as printed: `PHÓ CHỦ TỊCH`.
    #[oai(validator(min_length = 1, max_length = 255))]
    pub position: String,
    #[oai(validator(min_length = 1, max_length = 255))]
    pub full_name: String,
}

impl SignerDto {
    pub fn example() -> Self {
        Self {
            competence: Some("KT. CHỦ TỊCH".to_owned()),
            position: "PHÓ CHỦ TỊCH".to_owned(),
            full_name: "Nguyễn Văn An".to_owned(),
        }
    }
}

impl From<SignerDto> for SignerInput {
    fn from(s: SignerDto) -> Self {
        Self {
            competence: s.competence,
            position: s.position,
            full_name: s.full_name,
        }
    }
}

impl From<Signer> for SignerDto {
    fn from(s: Signer) -> Self {
        Self {
            competence: s.competence.map(|c| c.as_str().to_owned()),
            position: s.position,
            full_name: s.full_name,
        }
    }
}

/// A recipient as picked: an organisation on this server by `organization_id`, or an agency by
/// its QCVN 102 `code` with its `name` (a code of an organisation on this server is delivered
/// here).
#[derive(Debug, Clone, Object)]
#[oai(rename = "RecipientInput", deny_unknown_fields)]
pub struct RecipientInputDto {
    pub organization_id: Option<Uuid>,
    #[oai(validator(max_length = 32))]
    pub code: Option<String>,
    #[oai(validator(max_length = 255))]
    pub name: Option<String>,
}

impl RecipientInputDto {
    pub fn example() -> Self {
        Self {
            organization_id: None,
            code: Some("000.00.00.G22".to_owned()),
            name: Some("Văn phòng Chính phủ".to_owned()),
        }
    }
}

impl From<RecipientInputDto> for RecipientInput {
    fn from(r: RecipientInputDto) -> Self {
        Self {
            organization_id: r.organization_id,
            code: r.code,
            name: r.name,
        }
    }
}

/// A recipient's status as QCVN 102 codes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename = "DeliveryStatus")]
pub enum DeliveryStatusDto {
    /// Đã đến: their system has it.
    #[oai(rename = "01")]
    Arrived,
    /// Từ chối tiếp nhận, with a reason.
    #[oai(rename = "02")]
    Refused,
    /// Đã tiếp nhận: registered.
    #[oai(rename = "03")]
    Registered,
    /// Phân công: a leader assigned handlers.
    #[oai(rename = "04")]
    Assigned,
    /// Đang xử lý.
    #[oai(rename = "05")]
    InProgress,
    /// Hoàn thành.
    #[oai(rename = "06")]
    Completed,
    /// Yêu cầu lấy lại.
    #[oai(rename = "13")]
    RecallRequested,
    /// Đồng ý lấy lại.
    #[oai(rename = "15")]
    RecallAgreed,
    /// Từ chối lấy lại.
    #[oai(rename = "16")]
    RecallRefused,
}

impl From<DeliveryStatus> for DeliveryStatusDto {
    fn from(s: DeliveryStatus) -> Self {
        match s {
            DeliveryStatus::Arrived => Self::Arrived,
            DeliveryStatus::Refused => Self::Refused,
            DeliveryStatus::Registered => Self::Registered,
            DeliveryStatus::Assigned => Self::Assigned,
            DeliveryStatus::InProgress => Self::InProgress,
            DeliveryStatus::Completed => Self::Completed,
            DeliveryStatus::RecallRequested => Self::RecallRequested,
            DeliveryStatus::RecallAgreed => Self::RecallAgreed,
            DeliveryStatus::RecallRefused => Self::RecallRefused,
        }
    }
}

/// A recipient (nơi nhận) and, once sent, where it stands.
#[derive(Debug, Clone, Object)]
#[oai(rename = "Recipient")]
pub struct RecipientView {
    pub id: Uuid,
    /// An organisation on this server.
    #[oai(skip_serializing_if_is_none)]
    pub organization_id: Option<Uuid>,
    /// An agency elsewhere, by its QCVN 102 code.
    #[oai(skip_serializing_if_is_none)]
    pub code: Option<String>,
    pub name: String,
    /// Its latest status; absent until the document is sent.
    #[oai(skip_serializing_if_is_none)]
    pub status: Option<DeliveryStatusDto>,
    /// The status in words, `Đã tiếp nhận`.
    #[oai(skip_serializing_if_is_none)]
    pub status_label: Option<String>,
    /// Why it refused (02).
    #[oai(skip_serializing_if_is_none)]
    pub reason: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    pub sent_at: Option<DateTime<Utc>>,
    #[oai(skip_serializing_if_is_none)]
    pub updated_at: Option<DateTime<Utc>>,
}

impl From<Recipient> for RecipientView {
    fn from(r: Recipient) -> Self {
        Self {
            id: r.id,
            organization_id: r.organization_id,
            code: r.agency_code,
            name: r.name,
            status: r.status.map(Into::into),
            status_label: r.status.map(|s| s.label().to_owned()),
            reason: r.reason,
            sent_at: r.sent_at,
            updated_at: r.updated_at,
        }
    }
}

/// The exchange particulars on the document screen.
#[derive(Debug, Clone, Default, Object)]
#[oai(rename = "DocumentExchange")]
pub struct ExchangeView {
    /// Địa danh: the place of issue, `Ninh Bình`.
    #[oai(skip_serializing_if_is_none)]
    pub place_of_issue: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    pub signer: Option<SignerDto>,
    /// Outgoing: the recipients, in the order written, with their delivery.
    pub recipients: Vec<RecipientView>,
    /// Free-text places it also goes to, `Lưu: VT, TH`.
    pub places: Vec<String>,
    /// Incoming: the issuer's agency code.
    #[oai(skip_serializing_if_is_none)]
    pub issuer_code: Option<String>,
    /// Incoming: our arrival date.
    #[oai(skip_serializing_if_is_none)]
    pub received_on: Option<NaiveDate>,
}

impl From<ExchangeRecord> for ExchangeView {
    fn from(r: ExchangeRecord) -> Self {
        let p = r.particulars;
        Self {
            place_of_issue: p.place_of_issue,
            signer: p.signer.map(Into::into),
            recipients: r.recipients.into_iter().map(Into::into).collect(),
            places: p.places,
            issuer_code: p.issuer_code,
            received_on: p.received_on,
        }
    }
}

impl ExchangeView {
    pub fn example() -> Self {
        Self {
            place_of_issue: Some("Ninh Bình".to_owned()),
            signer: Some(SignerDto::example()),
            recipients: vec![RecipientView {
                id: Uuid::from_u128(0x0d11_0000_0000_7000_8000_0000_0000_0001),
                organization_id: None,
                code: Some("000.00.00.G22".to_owned()),
                name: "Văn phòng Chính phủ".to_owned(),
                status: Some(DeliveryStatusDto::Registered),
                status_label: Some(DeliveryStatus::Registered.label().to_owned()),
                reason: None,
                sent_at: Some(super::types::example_time()),
                updated_at: Some(super::types::example_time()),
            }],
            places: vec!["Lưu: VT, TH".to_owned()],
            issuer_code: None,
            received_on: None,
        }
    }
}
