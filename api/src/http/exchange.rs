//! Exchange between agencies on the wire: what an upload may say for the exchange, what the
//! document screen shows of it (signer block, recipients and each one's delivery).

use chrono::{DateTime, NaiveDate, Utc};
use poem::web::Data;
use poem_openapi::{
    ApiRequest, ApiResponse, Enum, Object, OpenApi,
    param::Path,
    payload::{Binary, Json},
    types::Example,
};
use uuid::Uuid;

use super::{
    ApiTags,
    error::{Problems, problem_set},
    security::Caller,
    types::example_time,
};
use crate::{
    domain::{
        exchange::{
            Arrival, DeliveryEvent, DeliveryStatus, ExchangeRecord, Recipient, Route, Signer,
        },
        workflow::DocumentState,
    },
    services::{
        exchange::{self, RecipientInput, particulars::SignerInput, recall::Answer},
        workflow,
    },
    state::AppState,
};

problem_set!(SendProblems: authenticated, Forbidden, NotFound, WrongDocumentState, IdempotencyKeyInUse, IdempotencyKeyReused);
problem_set!(DeliveriesProblems: authenticated, NotFound);
problem_set!(ExportProblems: authenticated, NotFound, WrongDocumentState);
problem_set!(ImportProblems: authenticated, InvalidRequest, UnsupportedMediaType, Forbidden, PayloadTooLarge, ValidationFailed, MessageNotForUs, NotAPdf, PdfPasswordProtected, PdfTooComplex, IdempotencyKeyInUse, IdempotencyKeyReused);

pub(super) const APPLICATION_XML: &str = "application/xml";
problem_set!(RecallProblems: authenticated, InvalidRequest, ValidationFailed, Forbidden, NotFound, WrongDocumentState, ReasonRequired, RecallTooLate, IdempotencyKeyInUse, IdempotencyKeyReused);
problem_set!(RecallAnswerProblems: authenticated, InvalidRequest, ValidationFailed, Forbidden, NotFound, WrongDocumentState, NoRecallAsked, ReasonRequired, TaskAlreadyDecided, IdempotencyKeyInUse, IdempotencyKeyReused);
problem_set!(RefuseProblems: authenticated, InvalidRequest, ValidationFailed, Forbidden, NotFound, WrongDocumentState, TaskAlreadyDecided, ReasonRequired, IdempotencyKeyInUse, IdempotencyKeyReused);

pub struct ExchangeApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Exchange")]
impl ExchangeApi {
    /// Send an issued document
    ///
    /// For clerks of the issuing organisation: sends the document to every recipient it was
    /// not yet sent to, all in one go. A recipient on this server has it at once (status `01`)
    /// and its clerks are asked to take it in. Sending again sends nothing twice: it answers
    /// every recipient as it stands.
    #[oai(
        path = "/documents/:id/send",
        method = "post",
        operation_id = "sendDocument"
    )]
    async fn send(
        &self,
        state: Data<&AppState>,
        caller: Caller,
        id: Path<Uuid>,
    ) -> Result<Json<Deliveries>, Problems<SendProblems>> {
        exchange::send::send(&state, caller.0, id.0).await?;
        Ok(Json(deliveries(&state, caller, id.0).await?))
    }

    /// Where each recipient stands
    ///
    /// For whoever may see the document: each recipient's latest status (QCVN 102 codes `01`
    /// to `06`, `02` with the reason it gave) and every status it reported before, oldest
    /// first.
    #[oai(
        path = "/documents/:id/deliveries",
        method = "get",
        operation_id = "getDeliveries"
    )]
    async fn deliveries(
        &self,
        state: Data<&AppState>,
        caller: Caller,
        id: Path<Uuid>,
    ) -> Result<Json<Deliveries>, Problems<DeliveriesProblems>> {
        Ok(Json(deliveries(&state, caller, id.0).await?))
    }

    /// The document as an edXML message
    ///
    /// An issued outgoing document as QCVN 102 edXML, addressed to its recipients, with its
    /// PDF and appendices: for a system the exchange axis does not reach.
    #[oai(
        path = "/documents/:id/edxml",
        method = "get",
        operation_id = "exportEdxml"
    )]
    async fn export(
        &self,
        state: Data<&AppState>,
        caller: Caller,
        id: Path<Uuid>,
    ) -> Result<EdxmlDownload, Problems<ExportProblems>> {
        let (xml, name) = exchange::package::edoc(&state, caller.0, id.0).await?;
        Ok(EdxmlDownload::Ok(
            Binary(xml.into_bytes()),
            format!("attachment; filename=\"{name}\""),
        ))
    }

    /// Import an edXML message
    ///
    /// For clerks: a document another agency sent as a QCVN 102 edXML file (by e-mail, on a
    /// disk) is taken in exactly as if it came over the exchange axis, for the clerk's own
    /// organisation, which must be among its addressees. The same message imported again is
    /// not stored twice: the answer names the documents it already made.
    #[oai(
        path = "/exchange/import",
        method = "post",
        operation_id = "importEdxml"
    )]
    async fn import(
        &self,
        state: Data<&AppState>,
        caller: Caller,
        body: EdxmlBody,
    ) -> Result<Json<Imported>, Problems<ImportProblems>> {
        let EdxmlBody::Xml(bytes) = body;
        let (document_id, duplicate) =
            exchange::arrival::import(&state, caller.0, &bytes.0).await?;
        Ok(Json(Imported {
            document_id,
            duplicate,
        }))
    }

    /// Refuse a document another organisation sent
    ///
    /// For clerks of the receiving organisation, instead of registering it: wrong recipient,
    /// signatures that do not verify. The document is closed here and its sender sees status
    /// `02` with the reason.
    #[oai(
        path = "/documents/:id/refuse",
        method = "post",
        operation_id = "refuseDocument"
    )]
    async fn refuse(
        &self,
        state: Data<&AppState>,
        caller: Caller,
        id: Path<Uuid>,
        body: Json<RefuseRequest>,
    ) -> Result<Json<RefusedDocument>, Problems<RefuseProblems>> {
        let document = workflow::refuse(&state, caller.0, id.0, body.0.reason).await?;
        Ok(Json(RefusedDocument {
            id: document.id,
            state: document.state,
        }))
    }

    /// Ask for a sent document back
    ///
    /// For clerks of the issuing organisation: asks the recipients named (by their `id` in
    /// the document's recipients), or else every recipient that has not taken it in yet, to
    /// give it back (QCVN 102 `13`), with the reason they read. A recipient that has already
    /// registered or refused it cannot be asked. Each recipient's answer (`15` given back, `16`
    /// kept) shows in `recall` on its delivery, and its author and signer get a push.
    #[oai(
        path = "/documents/:id/recall",
        method = "post",
        operation_id = "recallDocument"
    )]
    async fn recall(
        &self,
        state: Data<&AppState>,
        caller: Caller,
        id: Path<Uuid>,
        body: Json<RecallRequest>,
    ) -> Result<Json<Deliveries>, Problems<RecallProblems>> {
        let body = body.0;
        let only = body.recipient_ids.as_deref();
        exchange::recall::request(&state, caller.0, id.0, &body.reason, only).await?;
        Ok(Json(deliveries(&state, caller, id.0).await?))
    }

    /// Answer a sender asking for a document back
    ///
    /// For clerks of the receiving organisation, while its `exchange.arrival.recall` is `13`
    /// (it cannot be registered meanwhile): `give_back` withdraws it here (state `recalled`,
    /// never registered); `keep` leaves it waiting to be taken in, with a `note` saying why.
    /// The sender sees `15` or `16`.
    #[oai(
        path = "/documents/:id/recall/answer",
        method = "post",
        operation_id = "answerRecall"
    )]
    async fn answer_recall(
        &self,
        state: Data<&AppState>,
        caller: Caller,
        id: Path<Uuid>,
        body: Json<RecallAnswerRequest>,
    ) -> Result<Json<RecallAnswered>, Problems<RecallAnswerProblems>> {
        let body = body.0;
        let answer = match body.answer {
            RecallAnswerDto::GiveBack => Answer::GiveBack,
            RecallAnswerDto::Keep => Answer::Keep,
        };
        let document = exchange::recall::answer(&state, caller.0, id.0, answer, body.note).await?;
        Ok(Json(RecallAnswered {
            id: document.id,
            state: document.state,
            recall: match answer {
                Answer::GiveBack => RecallStatusDto::Agreed,
                Answer::Keep => RecallStatusDto::Refused,
            },
        }))
    }
}

/// Why the sender asks for the document back, and from whom.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields, example)]
pub struct RecallRequest {
    /// What the recipients read: `Văn bản gửi nhầm, đề nghị trả lại`.
    #[oai(validator(min_length = 1, max_length = 2000))]
    pub reason: String,
    /// Ids of the document's recipients to ask; absent asks every recipient that has not
    /// taken it in yet.
    #[oai(validator(min_items = 1, max_items = 500))]
    pub recipient_ids: Option<Vec<Uuid>>,
}

impl Example for RecallRequest {
    fn example() -> Self {
        Self {
            reason: "Văn bản ban hành sai thể thức, đề nghị trả lại để ban hành văn bản thay thế"
                .to_owned(),
            recipient_ids: None,
        }
    }
}

/// A clerk's answer to a request for a document back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename = "RecallAnswer", rename_all = "snake_case")]
pub enum RecallAnswerDto {
    /// Đồng ý lấy lại: it is withdrawn here.
    GiveBack,
    /// Từ chối lấy lại: it stays, waiting to be taken in; a `note` says why.
    Keep,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields, example)]
pub struct RecallAnswerRequest {
    pub answer: RecallAnswerDto,
    /// What the sender reads; required to keep it.
    #[oai(validator(max_length = 2000))]
    pub note: Option<String>,
}

impl Example for RecallAnswerRequest {
    fn example() -> Self {
        Self {
            answer: RecallAnswerDto::GiveBack,
            note: Some("Đã trả lại, không vào sổ".to_owned()),
        }
    }
}

#[derive(Debug, Object)]
#[oai(example)]
pub struct RecallAnswered {
    pub id: Uuid,
    /// `recalled` when given back; otherwise unchanged.
    pub state: DocumentState,
    pub recall: RecallStatusDto,
}

impl Example for RecallAnswered {
    fn example() -> Self {
        Self {
            id: Uuid::from_u128(0x0d0c_0000_0000_7000_8000_0000_0000_0003),
            state: DocumentState::Recalled,
            recall: RecallStatusDto::Agreed,
        }
    }
}

/// A recall, as QCVN 102 codes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename = "RecallStatus")]
pub enum RecallStatusDto {
    /// Yêu cầu lấy lại: asked, not yet answered.
    #[oai(rename = "13")]
    Requested,
    /// Đồng ý lấy lại: given back.
    #[oai(rename = "15")]
    Agreed,
    /// Từ chối lấy lại: kept.
    #[oai(rename = "16")]
    Refused,
}

impl RecallStatusDto {
    fn of(status: DeliveryStatus) -> Option<Self> {
        match status {
            DeliveryStatus::RecallRequested => Some(Self::Requested),
            DeliveryStatus::RecallAgreed => Some(Self::Agreed),
            DeliveryStatus::RecallRefused => Some(Self::Refused),
            _ => None,
        }
    }
}

async fn deliveries(
    state: &AppState,
    caller: Caller,
    id: Uuid,
) -> Result<Deliveries, super::error::ApiError> {
    let (recipients, history) = exchange::send::deliveries(state, caller.0, id).await?;
    Ok(Deliveries {
        recipients: recipients
            .into_iter()
            .map(|r| {
                let events = history
                    .iter()
                    .filter(|e| e.recipient == r.id)
                    .cloned()
                    .map(Into::into)
                    .collect();
                DeliveryView {
                    recipient: r.into(),
                    history: events,
                }
            })
            .collect(),
    })
}

#[derive(ApiResponse)]
pub enum EdxmlDownload {
    #[oai(status = 200, content_type = "application/xml")]
    Ok(
        Binary<Vec<u8>>,
        #[oai(header = "Content-Disposition")] String,
    ),
}

/// A QCVN 102 edXML message.
#[derive(ApiRequest)]
pub enum EdxmlBody {
    #[oai(content_type = "application/xml")]
    Xml(Binary<Vec<u8>>),
}

/// What an import made.
#[derive(Debug, Object)]
#[oai(example)]
pub struct Imported {
    /// The incoming document it became, waiting for a clerk to register it.
    pub document_id: Uuid,
    /// True when this message had been taken in before: nothing new was stored.
    pub duplicate: bool,
}

impl Example for Imported {
    fn example() -> Self {
        Self {
            document_id: Uuid::from_u128(0x0d0c_0000_0000_7000_8000_0000_0000_0004),
            duplicate: false,
        }
    }
}

/// Why the clerk will not take the document in; its sender reads it.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields, example)]
pub struct RefuseRequest {
    #[oai(validator(min_length = 1, max_length = 2000))]
    pub reason: String,
}

impl Example for RefuseRequest {
    fn example() -> Self {
        Self {
            reason: "Gửi nhầm nơi nhận: văn bản không thuộc thẩm quyền của Sở".to_owned(),
        }
    }
}

#[derive(Debug, Object)]
#[oai(example)]
pub struct RefusedDocument {
    pub id: Uuid,
    /// `refused`.
    pub state: DocumentState,
}

impl Example for RefusedDocument {
    fn example() -> Self {
        Self {
            id: Uuid::from_u128(0x0d0c_0000_0000_7000_8000_0000_0000_0003),
            state: DocumentState::Refused,
        }
    }
}

/// Every recipient of a document, each with where it stands and how it got there.
#[derive(Debug, Object)]
#[oai(example)]
pub struct Deliveries {
    pub recipients: Vec<DeliveryView>,
}

impl Example for Deliveries {
    fn example() -> Self {
        let recipient = ExchangeView::example()
            .recipients
            .into_iter()
            .next()
            .map(|recipient| DeliveryView {
                recipient,
                history: vec![
                    DeliveryEventView {
                        status: DeliveryStatusDto::Arrived,
                        status_label: DeliveryStatus::Arrived.label().to_owned(),
                        reason: None,
                        at: example_time(),
                    },
                    DeliveryEventView {
                        status: DeliveryStatusDto::Registered,
                        status_label: DeliveryStatus::Registered.label().to_owned(),
                        reason: None,
                        at: example_time(),
                    },
                ],
            });
        Self {
            recipients: recipient.into_iter().collect(),
        }
    }
}

/// A recipient, where it stands, and every status it reported.
#[derive(Debug, Object)]
#[oai(rename = "Delivery")]
pub struct DeliveryView {
    #[oai(flatten)]
    pub recipient: RecipientView,
    /// Oldest first.
    pub history: Vec<DeliveryEventView>,
}

/// A status a recipient reported.
#[derive(Debug, Clone, Object)]
#[oai(rename = "DeliveryEvent")]
pub struct DeliveryEventView {
    pub status: DeliveryStatusDto,
    /// The status in words, `Đã tiếp nhận`.
    pub status_label: String,
    /// Why it refused (02).
    #[oai(skip_serializing_if_is_none)]
    pub reason: Option<String>,
    pub at: DateTime<Utc>,
}

impl From<DeliveryEvent> for DeliveryEventView {
    fn from(e: DeliveryEvent) -> Self {
        Self {
            status: e.status.into(),
            status_label: e.status.label().to_owned(),
            reason: e.reason,
            at: e.at,
        }
    }
}

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
    /// Asked back (`13`), given back (`15`) or kept (`16`); absent when never asked.
    #[oai(skip_serializing_if_is_none)]
    pub recall: Option<RecallStatusDto>,
    /// The recall in words, `Đồng ý lấy lại`.
    #[oai(skip_serializing_if_is_none)]
    pub recall_label: Option<String>,
    /// Why it was asked back (`13`), or what the recipient answered.
    #[oai(skip_serializing_if_is_none)]
    pub recall_reason: Option<String>,
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
            recall: r.recall.and_then(RecallStatusDto::of),
            recall_label: r.recall.map(|s| s.label().to_owned()),
            recall_reason: r.recall_reason,
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
    /// Incoming: how it came, when another organisation sent it.
    #[oai(skip_serializing_if_is_none)]
    pub arrival: Option<ArrivalView>,
}

/// How a document another organisation sent came in, and whether its signatures hold.
#[derive(Debug, Clone, Object)]
#[oai(rename = "Arrival")]
pub struct ArrivalView {
    /// QCVN 102 `DocumentId` the sender names it by: `000.00.00.H41,2026/11/20,215/UBND-VX`.
    pub sender_document_id: String,
    pub route: Route,
    pub arrived_at: DateTime<Utc>,
    /// Whether every signature of its PDF holds: `false` flags it to the clerk, who may
    /// refuse it. Absent until checked.
    #[oai(skip_serializing_if_is_none)]
    pub signatures_valid: Option<bool>,
    /// Its sender asked for it back (`13`: the clerk answers before registering it), and the
    /// clerk gave it back (`15`) or kept it (`16`).
    #[oai(skip_serializing_if_is_none)]
    pub recall: Option<RecallStatusDto>,
    /// Why the sender asks for it back.
    #[oai(skip_serializing_if_is_none)]
    pub recall_reason: Option<String>,
}

impl From<Arrival> for ArrivalView {
    fn from(a: Arrival) -> Self {
        Self {
            sender_document_id: a.sender_document_id,
            route: a.route,
            arrived_at: a.arrived_at,
            signatures_valid: a.signatures_valid,
            recall: a.recall.and_then(RecallStatusDto::of),
            recall_reason: a.recall_reason,
        }
    }
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
            arrival: r.arrival.map(Into::into),
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
                sent_at: Some(example_time()),
                updated_at: Some(example_time()),
                recall: None,
                recall_label: None,
                recall_reason: None,
            }],
            places: vec!["Lưu: VT, TH".to_owned()],
            issuer_code: None,
            received_on: None,
            arrival: None,
        }
    }
}
