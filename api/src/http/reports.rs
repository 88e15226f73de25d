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
        reports::{self, LeaderLoad, OrgUsage},
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
    /// Incoming documents registered electronically in the period.
    pub received: u64,
    /// Outgoing documents issued electronically in the period.
    pub sent: u64,
    /// Of those, how many carry their signer's digital signature.
    pub signed: u64,
    /// `signed / sent`, from 0 to 1; 0 when nothing was sent.
    pub signed_share: f64,
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
            sent: 138,
            signed: 138,
            signed_share: 1.0,
            decisions: 530,
            median_decision_seconds: Some(5400),
            leaders: vec![LeaderWorkload::example()],
        }
    }
}

fn organization_usage(org: Organization, usage: OrgUsage) -> OrganizationUsage {
    let decisions = u64::try_from(usage.decision_seconds.len()).unwrap_or(u64::MAX);
    #[allow(clippy::cast_precision_loss)] // counts far below 2^52
    let signed_share = if usage.sent == 0 {
        0.0
    } else {
        usage.signed as f64 / usage.sent as f64
    };
    OrganizationUsage {
        organization_id: org.id,
        code: org.code,
        name: org.name,
        received: usage.received,
        sent: usage.sent,
        signed: usage.signed,
        signed_share,
        decisions,
        median_decision_seconds: reports::median(usage.decision_seconds),
        leaders: usage.leaders.into_iter().map(Into::into).collect(),
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
    /// period, the share digitally signed, the median time to a decision, and what waits for
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
