//! Work: submitting drafts, deciding tasks, the inbox.

use chrono::{DateTime, NaiveDate, Utc};
use poem::web::Data;
use poem_openapi::{
    ApiResponse, Enum, Object, OpenApi,
    param::{Path, Query},
    payload::Json,
    types::Example,
};
use serde::Serialize;
use uuid::Uuid;

use super::{
    ApiTags,
    documents::UrgencyDto,
    error::{Problems, problem_set},
    history::TaskOrigin,
    security::Caller,
    types::{OrganizationName, PersonRef, example_time},
    written::{Written, rfc3339, rfc3339_opt},
};
use crate::{
    domain::{
        Cursor, PageSize,
        workflow::{
            Assignment, Decision, Directive, DocumentState, HandlerRole, Step, TaskAction,
            TaskStatus,
        },
    },
    services::{
        people::NamedTask,
        tabs::{self, Row},
        urge, workflow,
    },
    signing::appearance::AttachmentPages,
    state::AppState,
};

problem_set!(SubmitProblems: authenticated, InvalidRequest, ValidationFailed, NotFound, NotTheAuthor, WrongDocumentState, TaskAlreadyDecided, IdempotencyKeyInUse, IdempotencyKeyReused);
problem_set!(DecideProblems: authenticated, InvalidRequest, ValidationFailed, NotFound, NotYourTask, NotYourTurn, TaskAlreadyDecided, NotForThisTask, SignatureRequired, CommentRequired, IdempotencyKeyInUse, IdempotencyKeyReused);
problem_set!(UrgeProblems: authenticated, NotFound, NotTheAssigner, TaskAlreadyDecided, UrgedTooSoon);
problem_set!(InboxProblems: authenticated, InvalidRequest, ValidationFailed);
problem_set!(IssueProblems: authenticated, InvalidRequest, ValidationFailed, Forbidden, NotFound, WrongDocumentState, TaskAlreadyDecided, OrganizationSealMissing, PdfNotSignable, PdfTooComplex, HsmUnavailable, TsaUnavailable, IdempotencyKeyInUse, IdempotencyKeyReused);
problem_set!(RegisterProblems: authenticated, InvalidRequest, ValidationFailed, Forbidden, NotFound, WrongDocumentState, RecallPending, TaskAlreadyDecided, IdempotencyKeyInUse, IdempotencyKeyReused);

/// What a step of a chain asks: `review` (xem xét, ký nháy) or `sign` (ký ban hành, last
/// only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum StepAction {
    Review,
    Sign,
}

impl From<StepAction> for TaskAction {
    fn from(a: StepAction) -> Self {
        match a {
            StepAction::Review => TaskAction::Review,
            StepAction::Sign => TaskAction::Sign,
        }
    }
}

/// A step of a chain.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct StepRequest {
    pub user_id: Uuid,
    pub action: StepAction,
}

#[derive(Debug, Object)]
#[oai(example, deny_unknown_fields)]
pub struct SubmitRequest {
    /// In order; at most one `sign` step, and it comes last.
    #[oai(validator(min_items = 1, max_items = 20))]
    pub steps: Vec<StepRequest>,
    pub deadline: Option<DateTime<Utc>>,
    /// What the author writes to the reviewers (lời trình): the history's submission shows it,
    /// and so does the first reviewer's inbox row (`about`).
    #[oai(validator(max_length = 4000))]
    pub note: Option<String>,
}

impl Example for SubmitRequest {
    fn example() -> Self {
        Self {
            steps: vec![
                StepRequest {
                    user_id: Uuid::from_u128(0x0a11_ce00_0000_4000_8000_0000_0000_0003),
                    action: StepAction::Review,
                },
                StepRequest {
                    user_id: Uuid::from_u128(0x0a11_ce00_0000_4000_8000_0000_0000_0001),
                    action: StepAction::Sign,
                },
            ],
            deadline: Some(example_time()),
            note: Some("Kính trình đồng chí xem xét, cho ý kiến.".to_owned()),
        }
    }
}

#[derive(Debug, Object)]
#[oai(example, deny_unknown_fields)]
pub struct ApproveRequest {
    #[oai(validator(max_length = 4000))]
    pub comment: Option<String>,
}

impl Example for ApproveRequest {
    fn example() -> Self {
        Self {
            comment: Some("Đồng ý, trình đồng chí Bí thư ký.".to_owned()),
        }
    }
}

#[derive(Debug, Object)]
#[oai(example, deny_unknown_fields)]
pub struct ReturnRequest {
    /// Why: the author sees it.
    #[oai(validator(min_length = 1, max_length = 4000))]
    pub comment: String,
}

impl Example for ReturnRequest {
    fn example() -> Self {
        Self {
            comment: "Đề nghị bổ sung số liệu năm 2026 vào phần II.".to_owned(),
        }
    }
}

#[derive(Debug, Object)]
#[oai(example, deny_unknown_fields)]
pub struct ForwardRequest {
    /// Who takes this step instead (a deputy, when away).
    pub user_id: Uuid,
    #[oai(validator(max_length = 4000))]
    pub comment: Option<String>,
}

impl Example for ForwardRequest {
    fn example() -> Self {
        Self {
            user_id: Uuid::from_u128(0x0a11_ce00_0000_4000_8000_0000_0000_0004),
            comment: Some("Chuyển đồng chí Phó Chánh Văn phòng xử lý.".to_owned()),
        }
    }
}

#[derive(Debug, Object)]
#[oai(example, deny_unknown_fields)]
pub struct RegisterRequest {
    /// The leader who writes the directive.
    pub to_user_id: Uuid,
    pub deadline: Option<DateTime<Utc>>,
}

impl Example for RegisterRequest {
    fn example() -> Self {
        Self {
            to_user_id: Uuid::from_u128(0x0a11_ce00_0000_4000_8000_0000_0000_0001),
            deadline: Some(example_time()),
        }
    }
}

/// `lead` (chủ trì), `support` (phối hợp) or `fyi` (để biết).
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct AssignmentRequest {
    pub user_id: Uuid,
    pub role: HandlerRole,
}

#[derive(Debug, Object)]
#[oai(example, deny_unknown_fields)]
pub struct AssignRequest {
    /// Bút phê: the leader's directive.
    #[oai(validator(min_length = 1, max_length = 4000))]
    pub directive: String,
    /// Exactly one `lead`.
    #[oai(validator(min_items = 1, max_items = 50))]
    pub assignments: Vec<AssignmentRequest>,
    /// Defaults to the directive task's deadline.
    pub deadline: Option<DateTime<Utc>>,
}

impl Example for AssignRequest {
    fn example() -> Self {
        Self {
            directive: "Giao Sở Thông tin và Truyền thông chủ trì, báo cáo trước ngày 15/12."
                .to_owned(),
            assignments: vec![AssignmentRequest {
                user_id: Uuid::from_u128(0x0a11_ce00_0000_4000_8000_0000_0000_0005),
                role: HandlerRole::Lead,
            }],
            deadline: Some(example_time()),
        }
    }
}

#[derive(Debug, Object)]
#[oai(example, deny_unknown_fields)]
pub struct CompleteRequest {
    /// What was done; the lead's report closes the document.
    #[oai(validator(max_length = 4000))]
    pub report: Option<String>,
}

impl Example for CompleteRequest {
    fn example() -> Self {
        Self {
            report: Some("Đã hoàn thành, gửi kèm báo cáo số 12/BC-STTTT.".to_owned()),
        }
    }
}

#[derive(Debug, Object, Serialize)]
#[oai(rename = "Task", example)]
pub struct TaskView {
    pub id: Uuid,
    pub action: TaskAction,
    pub status: TaskStatus,
    pub assignee_id: Uuid,
    /// Who holds the task, by name.
    pub assignee: PersonRef,
    /// The id of whoever gave the task (`assigner`).
    pub assigned_by: Uuid,
    /// Who gave the task, by name.
    pub assigner: PersonRef,
    pub step: u32,
    pub round: u32,
    #[oai(skip_serializing_if_is_none)]
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "rfc3339_opt"
    )]
    pub deadline: Option<DateTime<Utc>>,
}

impl From<NamedTask> for TaskView {
    fn from(n: NamedTask) -> Self {
        let t = n.task;
        Self {
            id: t.id,
            action: t.action,
            status: t.status,
            assignee_id: t.assignee,
            assignee: n.assignee.into(),
            assigned_by: t.assigned_by,
            assigner: n.assigner.into(),
            step: t.step,
            round: t.round,
            deadline: t.deadline,
        }
    }
}

impl Example for TaskView {
    fn example() -> Self {
        let assignee = PersonRef::example();
        let assigner = PersonRef {
            id: Uuid::from_u128(0x0a11_ce00_0000_4000_8000_0000_0000_0002),
            full_name: "Lê Thị Hoa".to_owned(),
            title: "Chuyên viên Văn phòng".to_owned(),
            organization: OrganizationName::example(),
        };
        Self {
            id: Uuid::from_u128(0x7a5c_0000_0000_7000_8000_0000_0000_0001),
            action: TaskAction::Review,
            status: TaskStatus::Waiting,
            assignee_id: assignee.id,
            assignee,
            assigned_by: assigner.id,
            assigner,
            step: 0,
            round: 1,
            deadline: Some(example_time()),
        }
    }
}

/// A row of the inbox: the task, who sent it and why, and enough of its document to show it:
/// "Phạm Minh Tấn — Phó Bí thư Thường trực gửi lúc 09:12".
#[derive(Debug, Object, Serialize)]
pub struct InboxEntry {
    pub task: TaskView,
    /// Who assigned the task.
    pub from: PersonRef,
    /// Since when it is my turn.
    #[serde(serialize_with = "rfc3339")]
    pub since: DateTime<Utc>,
    /// The decision the task comes from, when there is one: the directive that assigned it,
    /// the forward that handed it over, the approval of the step before; with its text.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub about: Option<TaskOrigin>,
    pub document_id: Uuid,
    pub doc_type: String,
    pub summary: String,
    pub urgency: UrgencyDto,
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub symbol: Option<String>,
}

// Written with serde (`Written`): the largest body a phone asks for often.
#[derive(Debug, Object, Serialize)]
#[oai(example)]
pub struct InboxPage {
    /// Hỏa tốc first, then thượng khẩn, khẩn, thường; within each, the nearest deadline first.
    pub items: Vec<InboxEntry>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

impl From<Row> for InboxEntry {
    fn from(i: Row) -> Self {
        Self {
            from: i.task.assigner.clone().into(),
            task: i.task.into(),
            since: i.since,
            about: i.about.map(Into::into),
            document_id: i.document.id,
            doc_type: i.document.doc_type,
            summary: i.document.summary,
            urgency: i.document.urgency.into(),
            symbol: i.document.symbol,
        }
    }
}

impl Example for InboxPage {
    fn example() -> Self {
        Self {
            items: vec![InboxEntry {
                task: TaskView::example(),
                from: PersonRef::example(),
                since: example_time(),
                about: Some(TaskOrigin::example()),
                document_id: Uuid::from_u128(0x0d0c_0000_0000_7000_8000_0000_0000_0001),
                doc_type: "TTr".to_owned(),
                summary: "Tờ trình về việc ban hành Kế hoạch chuyển đổi số năm 2027".to_owned(),
                urgency: UrgencyDto::Urgent,
                symbol: None,
            }],
            next_cursor: None,
        }
    }
}

#[derive(ApiResponse)]
pub enum Urged {
    /// A reminder is on its way to each of the assignee's devices.
    #[oai(status = 202)]
    Accepted(Json<UrgeView>),
}

#[derive(Debug, Object)]
#[oai(example)]
pub struct UrgeView {
    pub task_id: Uuid,
    /// How many of the assignee's devices the reminder goes to (0 when none takes pushes).
    pub devices: u32,
}

impl Example for UrgeView {
    fn example() -> Self {
        Self {
            task_id: Uuid::from_u128(0x0193_a5e0_7c1e_7d3a_9f3e_2b8c_1d4e_5f61),
            devices: 2,
        }
    }
}

#[derive(ApiResponse)]
pub enum Submitted {
    /// The document, now in review; its first reviewer has a waiting task.
    #[oai(status = 200)]
    Ok(Json<SubmittedDocument>),
}

#[derive(Debug, Object)]
#[oai(example)]
pub struct SubmittedDocument {
    pub id: Uuid,
    /// `in_review`.
    pub state: DocumentState,
}

impl Example for SubmittedDocument {
    fn example() -> Self {
        Self {
            id: Uuid::from_u128(0x0d0c_0000_0000_7000_8000_0000_0000_0001),
            state: DocumentState::InReview,
        }
    }
}

#[derive(Debug, Object)]
#[oai(example)]
pub struct RegisteredDocument {
    pub id: Uuid,
    /// `registered`.
    pub state: DocumentState,
    /// Số đến: the arrival number in this year's incoming register.
    pub received_no: i32,
}

impl Example for RegisteredDocument {
    fn example() -> Self {
        Self {
            id: Uuid::from_u128(0x0d0c_0000_0000_7000_8000_0000_0000_0002),
            state: DocumentState::Registered,
            received_no: 1287,
        }
    }
}

/// How to issue: all optional; `{}` issues under the organisation's abbreviation alone.
#[derive(Debug, Object)]
#[oai(example, deny_unknown_fields)]
pub struct IssueRequest {
    /// The unit below the organisation that drafted it (đơn vị soạn thảo): a Công văn of a
    /// state organisation carries its abbreviation after the organisation's, `215/UBND-VX`.
    pub drafting_unit_id: Option<Uuid>,
    /// Where attachments bound into the main PDF (văn bản kèm theo cùng tệp tin) begin: page
    /// numbers from 1, as a PDF reader shows them; page 1 starts the document itself, so from 2.
    /// The seal's signature stamps the top right of each with the number and symbol and the
    /// signing time; the attachments are not signed apart. A page the file does not have is a
    /// 422 `validation_failed`, and nothing is numbered. Appendices uploaded as files of their
    /// own are stamped without this.
    pub attachment_pages: Option<Vec<u32>>,
}

impl Example for IssueRequest {
    fn example() -> Self {
        Self {
            drafting_unit_id: Some(Uuid::from_u128(0x0e60_0000_0000_4000_8000_0000_0000_0002)),
            attachment_pages: Some(vec![3]),
        }
    }
}

/// An outgoing document as issued: its official number and date.
#[derive(Debug, Object)]
#[oai(example)]
pub struct IssuedDocument {
    pub id: Uuid,
    /// `issued`.
    pub state: DocumentState,
    /// Số: the number in this year's outgoing register.
    pub number: i32,
    /// Số, ký hiệu in the organisation's style: `1945-QĐ/TU` (Party), `02/CT-TTg` (State).
    pub symbol: String,
    /// Ngày ban hành, Vietnam time.
    pub issued_on: NaiveDate,
    /// The seal carries a trusted timestamp (PAdES B-T). False when no time-stamping authority
    /// is configured, or when it was down and `TSA_REQUIRED=false` let the seal be made
    /// without one (B-B).
    pub timestamped: bool,
}

impl Example for IssuedDocument {
    fn example() -> Self {
        Self {
            id: Uuid::from_u128(0x0d0c_0000_0000_7000_8000_0000_0000_0001),
            state: DocumentState::Issued,
            number: 1945,
            symbol: "1945-QĐ/TU".to_owned(),
            issued_on: example_time().date_naive(),
            timestamped: true,
        }
    }
}

pub struct TasksApi;

/// Decides a task as one of the decision operations, answering with the task as it now is.
async fn decided(
    state: &AppState,
    caller: Caller,
    task: Path<Uuid>,
    decision: Decision,
) -> Result<Json<TaskView>, Problems<DecideProblems>> {
    Ok(Json(
        workflow::decide(state, caller.0, task.0, decision)
            .await?
            .into(),
    ))
}

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Work")]
impl TasksApi {
    /// Submit a draft
    ///
    /// Sends a draft (or a returned one, revised) along an ordered chain of reviewers; the
    /// first is asked at once, each next one when the previous approves.
    #[oai(
        path = "/documents/:id/submit",
        method = "post",
        operation_id = "submitDocument"
    )]
    async fn submit(
        &self,
        state: Data<&AppState>,
        caller: Caller,
        id: Path<Uuid>,
        body: Json<SubmitRequest>,
    ) -> Result<Submitted, Problems<SubmitProblems>> {
        let body = body.0;
        let steps = body
            .steps
            .into_iter()
            .map(|s| Step {
                assignee: s.user_id,
                action: s.action.into(),
            })
            .collect();
        let document =
            workflow::submit(&state, caller.0, id.0, steps, body.deadline, body.note).await?;
        Ok(Submitted::Ok(Json(SubmittedDocument {
            id: document.id,
            state: document.state,
        })))
    }

    /// Approve
    ///
    /// The next step of the chain is asked. A `sign` step is approved by signing, not here.
    #[oai(
        path = "/tasks/:id/approve",
        method = "post",
        operation_id = "approveTask"
    )]
    async fn approve(
        &self,
        state: Data<&AppState>,
        caller: Caller,
        id: Path<Uuid>,
        body: Json<ApproveRequest>,
    ) -> Result<Json<TaskView>, Problems<DecideProblems>> {
        let decision = Decision::Approve {
            comment: body.0.comment,
        };
        decided(&state, caller, id, decision).await
    }

    /// Return to the author
    ///
    /// With a comment saying why; the later steps are called off and the author revises and
    /// resubmits.
    #[oai(
        path = "/tasks/:id/return",
        method = "post",
        operation_id = "returnTask"
    )]
    async fn return_task(
        &self,
        state: Data<&AppState>,
        caller: Caller,
        id: Path<Uuid>,
        body: Json<ReturnRequest>,
    ) -> Result<Json<TaskView>, Problems<DecideProblems>> {
        let decision = Decision::Return {
            comment: body.0.comment,
        };
        decided(&state, caller, id, decision).await
    }

    /// Forward
    ///
    /// Someone else takes this step in the chain.
    #[oai(
        path = "/tasks/:id/forward",
        method = "post",
        operation_id = "forwardTask"
    )]
    async fn forward(
        &self,
        state: Data<&AppState>,
        caller: Caller,
        id: Path<Uuid>,
        body: Json<ForwardRequest>,
    ) -> Result<Json<TaskView>, Problems<DecideProblems>> {
        let body = body.0;
        let decision = Decision::Forward {
            to: body.user_id,
            comment: body.comment,
        };
        decided(&state, caller, id, decision).await
    }

    /// Register an incoming document
    ///
    /// For clerks: gives the document the next arrival number (số đến) of the year and asks
    /// the leader for a directive.
    #[oai(
        path = "/documents/:id/register",
        method = "post",
        operation_id = "registerDocument"
    )]
    async fn register(
        &self,
        state: Data<&AppState>,
        caller: Caller,
        id: Path<Uuid>,
        body: Json<RegisterRequest>,
    ) -> Result<Json<RegisteredDocument>, Problems<RegisterProblems>> {
        let body = body.0;
        let document =
            workflow::register(&state, caller.0, id.0, body.to_user_id, body.deadline).await?;
        Ok(Json(RegisteredDocument {
            id: document.id,
            state: document.state,
            received_no: document.received_no.unwrap_or_default(),
        }))
    }

    /// Issue a signed document
    ///
    /// For clerks of the document's organisation: gives a signed outgoing document the next
    /// number of the year's outgoing register (số, ký hiệu, in the organisation's style) and
    /// today's date, adds the organisation's own signature (its seal) to the main PDF on top of
    /// the leader's, stamps the first page of each attachment (appendix files, and the pages of
    /// the main PDF in `attachment_pages`), and tells the author. An organisation without a seal certificate gets 409
    /// `organization_seal_missing`, and nothing is numbered.
    #[oai(
        path = "/documents/:id/issue",
        method = "post",
        operation_id = "issueDocument"
    )]
    async fn issue(
        &self,
        state: Data<&AppState>,
        caller: Caller,
        id: Path<Uuid>,
        body: Json<IssueRequest>,
    ) -> Result<Json<IssuedDocument>, Problems<IssueProblems>> {
        let body = body.0;
        let attachments = AttachmentPages::parse(body.attachment_pages.unwrap_or_default())?;
        let issued =
            workflow::issue(&state, caller.0, id.0, body.drafting_unit_id, &attachments).await?;
        Ok(Json(IssuedDocument {
            id: issued.document,
            state: DocumentState::Issued,
            number: issued.number,
            symbol: issued.symbol,
            issued_on: issued.issued_on,
            timestamped: issued.timestamped,
        }))
    }

    /// Assign handlers
    ///
    /// On a directive task: the leader's directive and the handlers, one lead and any number of
    /// co-handlers and readers.
    #[oai(
        path = "/tasks/:id/assign",
        method = "post",
        operation_id = "assignTask"
    )]
    async fn assign(
        &self,
        state: Data<&AppState>,
        caller: Caller,
        id: Path<Uuid>,
        body: Json<AssignRequest>,
    ) -> Result<Json<TaskView>, Problems<DecideProblems>> {
        let body = body.0;
        let assignments = body
            .assignments
            .into_iter()
            .map(|a| Assignment {
                user: a.user_id,
                role: a.role,
            })
            .collect();
        let decision = Decision::Assign(Directive {
            text: body.directive,
            assignments,
            deadline: body.deadline,
        });
        decided(&state, caller, id, decision).await
    }

    /// Complete
    ///
    /// The lead's completion closes the document; a co-handler or reader only closes their own
    /// task.
    #[oai(
        path = "/tasks/:id/complete",
        method = "post",
        operation_id = "completeTask"
    )]
    async fn complete(
        &self,
        state: Data<&AppState>,
        caller: Caller,
        id: Path<Uuid>,
        body: Json<CompleteRequest>,
    ) -> Result<Json<TaskView>, Problems<DecideProblems>> {
        let decision = Decision::Complete {
            report: body.0.report,
        };
        decided(&state, caller, id, decision).await
    }

    /// Urge
    ///
    /// Whoever assigned the task (`assigned_by`) reminds its assignee now, with a push to each
    /// of their devices (type `deadline_soon`, or `overdue` once the deadline has passed). The
    /// same task may be urged again only after a while (429 with Retry-After); urging is
    /// recorded in the audit trail.
    #[oai(path = "/tasks/:id/urge", method = "post", operation_id = "urgeTask")]
    async fn urge(
        &self,
        state: Data<&AppState>,
        caller: Caller,
        id: Path<Uuid>,
    ) -> Result<Urged, Problems<UrgeProblems>> {
        let devices = urge::urge(&state, caller.0, id.0).await?;
        Ok(Urged::Accepted(Json(UrgeView {
            task_id: id.0,
            devices: u32::try_from(devices).unwrap_or(u32::MAX),
        })))
    }

    /// My inbox
    ///
    /// The tasks waiting for me, most urgent first, then nearest deadline; each says who sent
    /// it, since when, and the directive or comment it comes from.
    #[oai(path = "/inbox", method = "get", operation_id = "inbox")]
    async fn inbox(
        &self,
        state: Data<&AppState>,
        caller: Caller,
        /// `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
        /// Page size, 1 to 100 (default 50).
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))]
        limit: Query<Option<u64>>,
    ) -> Result<Written<InboxPage>, Problems<InboxProblems>> {
        let cursor = cursor.0.as_deref().map(Cursor::parse).transpose()?;
        let page = tabs::inbox(&state, caller.0, cursor, PageSize::new(limit.0)).await?;
        Ok(Written(InboxPage {
            items: page.items.into_iter().map(Into::into).collect(),
            next_cursor: page.next.map(|c| c.as_str().to_owned()),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::written::assert_written_as_json;

    #[test]
    fn the_inbox_is_written_as_its_schema_says() {
        let mut page = InboxPage::example();
        // The other side of every optional field, a time with a fraction and every urgency.
        let since = DateTime::from_timestamp(1_795_000_123, 456_789_000).unwrap_or_default();
        for urgency in [
            UrgencyDto::Normal,
            UrgencyDto::VeryUrgent,
            UrgencyDto::Flash,
        ] {
            page.items.push(InboxEntry {
                task: TaskView {
                    deadline: None,
                    status: TaskStatus::Forwarded,
                    action: TaskAction::Sign,
                    ..TaskView::example()
                },
                since,
                about: None,
                urgency,
                symbol: Some("1945-QĐ/TU".to_owned()),
                summary: "Quyết định về việc \"chuyển đổi số\"\n\tnăm 2027".to_owned(),
                ..InboxPage::example().items.remove(0)
            });
        }
        page.next_cursor = Some("MXwyMDI2LTEyLTA4VDAx".to_owned());
        assert_written_as_json(&page);
        assert_written_as_json(&InboxPage::example());
    }
}
