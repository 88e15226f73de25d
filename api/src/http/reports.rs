//! `/admin/reports`: what the agencies measure, per organisation an admin manages.

use chrono::NaiveDate;
use poem::web::Data;
use poem_openapi::{Object, OpenApi, param::Query, payload::Json, types::Example};
use uuid::Uuid;

use super::{
    ApiTags,
    error::{Problems, problem_set},
    security::Caller,
    types::example_time,
};
use crate::{
    domain::Organization,
    services::{
        admin,
        reports::{self, LeaderLoad, OrgUsage, RecipientUsage},
    },
    state::AppState,
};

problem_set!(UsageProblems: authenticated, Forbidden, InvalidRequest, ValidationFailed);

#[derive(Debug, Object)]
#[oai(example)]
pub struct LeaderWorkload {
    pub user_id: Uuid,
    pub full_name: String,
    /// Tasks waiting for them now.
    pub waiting: u64,
    /// Of those, past their deadline.
    pub overdue: u64,
}

impl Example for LeaderWorkload {
    fn example() -> Self {
        Self {
            user_id: Uuid::from_u128(0x0a11_ce00_0000_4000_8000_0000_0000_0001),
            full_name: "Trần Thị Bình".to_owned(),
            waiting: 12,
            overdue: 2,
        }
    }
}

impl From<LeaderLoad> for LeaderWorkload {
    fn from(l: LeaderLoad) -> Self {
        Self {
            user_id: l.user_id,
            full_name: l.full_name,
            waiting: l.waiting,
            overdue: l.overdue,
        }
    }
}

#[derive(Debug, Object)]
#[oai(example)]
pub struct OrganizationUsage {
    pub organization_id: Uuid,
    pub code: String,
    pub name: String,
    /// Documents other organisations sent electronically that arrived in the period: on this
    /// server, over the exchange axis, or imported from edXML.
    pub received: u64,
    /// Incoming documents registered in the period, however they came (scans of paper too).
    pub registered: u64,
    /// Outgoing documents issued in the period.
    pub issued: u64,
    /// Of those, how many were sent electronically to at least one recipient.
    pub sent: u64,
    /// `sent / issued`, from 0 to 1; 0 when nothing was issued.
    pub sent_share: f64,
    /// Of those issued, how many carry their signer's digital signature.
    pub signed: u64,
    /// `signed / issued`, from 0 to 1; 0 when nothing was issued.
    pub signed_share: f64,
    /// Each recipient of the documents sent in the period, most documents first: how many it
    /// completed, refused and let pass their deadline.
    pub recipients: Vec<RecipientUsageView>,
    /// Review, signing and directive decisions made in the period.
    pub decisions: u64,
    /// Median time from a task being asked to its decision, in seconds; absent when none
    /// was decided.
    #[oai(skip_serializing_if_is_none)]
    pub median_decision_seconds: Option<i64>,
    /// Every leader of the organisation, with what waits for them now.
    pub leaders: Vec<LeaderWorkload>,
}

impl Example for OrganizationUsage {
    fn example() -> Self {
        Self {
            organization_id: Uuid::from_u128(0x0c00_0000_0000_4000_8000_0000_0000_0001),
            code: "VPTU".to_owned(),
            name: "Văn phòng Tỉnh ủy".to_owned(),
            received: 412,
            registered: 430,
            issued: 138,
            sent: 131,
            sent_share: 131.0 / 138.0,
            signed: 138,
            signed_share: 1.0,
            recipients: vec![RecipientUsageView::example()],
            decisions: 530,
            median_decision_seconds: Some(5400),
            leaders: vec![LeaderWorkload::example()],
        }
    }
}

/// `part / whole`, 0 when there is no whole.
fn share(part: u64, whole: u64) -> f64 {
    #[allow(clippy::cast_precision_loss)] // counts far below 2^52
    match whole {
        0 => 0.0,
        _ => part as f64 / whole as f64,
    }
}

fn organization_usage(org: Organization, usage: OrgUsage) -> OrganizationUsage {
    let decisions = u64::try_from(usage.decision_seconds.len()).unwrap_or(u64::MAX);
    OrganizationUsage {
        organization_id: org.id,
        code: org.code,
        name: org.name,
        received: usage.received,
        registered: usage.registered,
        issued: usage.issued,
        sent: usage.sent,
        sent_share: share(usage.sent, usage.issued),
        signed: usage.signed,
        signed_share: share(usage.signed, usage.issued),
        recipients: usage.recipients.into_iter().map(Into::into).collect(),
        decisions,
        median_decision_seconds: reports::median(usage.decision_seconds),
        leaders: usage.leaders.into_iter().map(Into::into).collect(),
    }
}

/// A recipient of what an organisation sent in the period, and what became of it there.
#[derive(Debug, Object)]
#[oai(rename = "RecipientUsage", example)]
pub struct RecipientUsageView {
    /// An organisation on this server.
    #[oai(skip_serializing_if_is_none)]
    pub organization_id: Option<Uuid>,
    /// An agency elsewhere, by its QCVN 102 code.
    #[oai(skip_serializing_if_is_none)]
    pub code: Option<String>,
    pub name: String,
    /// Documents sent to it in the period.
    pub sent: u64,
    /// Of those, completed there (status `06`).
    pub completed: u64,
    /// Refused (`02`) or given back when asked (`15`).
    pub refused: u64,
    /// Neither completed, refused nor given back, and past the deadline the sender set.
    pub overdue: u64,
}

impl Example for RecipientUsageView {
    fn example() -> Self {
        Self {
            organization_id: None,
            code: Some("000.00.00.G22".to_owned()),
            name: "Văn phòng Chính phủ".to_owned(),
            sent: 12,
            completed: 9,
            refused: 1,
            overdue: 1,
        }
    }
}

impl From<RecipientUsage> for RecipientUsageView {
    fn from(r: RecipientUsage) -> Self {
        Self {
            organization_id: r.organization_id,
            code: r.code,
            name: r.name,
            sent: r.sent,
            completed: r.completed,
            refused: r.refused,
            overdue: r.overdue,
        }
    }
}

#[derive(Debug, Object)]
#[oai(example)]
pub struct UsageReport {
    /// First day of the period, Vietnam time.
    pub from: NaiveDate,
    /// Last day of the period, included.
    pub to: NaiveDate,
    /// Each organisation the admin manages, by code.
    pub organizations: Vec<OrganizationUsage>,
}

impl Example for UsageReport {
    fn example() -> Self {
        let to = example_time().date_naive();
        Self {
            from: to - chrono::Days::new(29),
            to,
            organizations: vec![OrganizationUsage::example()],
        }
    }
}

pub struct ReportsApi;

#[OpenApi(prefix_path = "/api/v1/admin/reports", tag = "ApiTags::Admin")]
impl ReportsApi {
    /// Usage report
    ///
    /// Per organisation the admin manages: documents received and sent electronically in the
    /// period (counted from real deliveries), what each recipient made of them, the share
    /// digitally signed, the median time to a decision, and what waits for
    /// each leader now. The period defaults to the current month so far.
    #[oai(path = "/usage", method = "get", operation_id = "usageReport")]
    async fn usage(
        &self,
        state: Data<&AppState>,
        caller: Caller,
        /// First day, `YYYY-MM-DD`, Vietnam time.
        from: Query<Option<NaiveDate>>,
        /// Last day, included.
        to: Query<Option<NaiveDate>>,
    ) -> Result<Json<UsageReport>, Problems<UsageProblems>> {
        let admin = admin::authorize(&state, caller.0).await?;
        let report = reports::usage(&state, &admin, from.0, to.0).await?;
        Ok(Json(UsageReport {
            from: report.from,
            to: report.to,
            organizations: report
                .organizations
                .into_iter()
                .map(|(org, usage)| organization_usage(org, usage))
                .collect(),
        }))
    }
}
