//! `/admin/audit`: the audit trail of an admin's organisations, and the check that the whole
//! chain is untampered.

use chrono::{DateTime, NaiveDate, Utc};
use poem::web::Data;
use poem_openapi::{Object, OpenApi, param::Query, payload::Json, types::Example};
use uuid::Uuid;

use super::{
    ApiTags,
    admin::page_args,
    error::{ApiError, Problems, problem_set},
    security::Caller,
    types::example_time,
};
use crate::{
    domain::audit::{AuditAction, Break, BreakReason, Entry},
    services::{admin, audit},
    state::AppState,
};

problem_set!(AuditProblems: authenticated, Forbidden, InvalidRequest, ValidationFailed);
problem_set!(VerifyProblems: authenticated, Forbidden);

/// One recorded action. `hash` covers every other field and `prev_hash`, the hash of the entry
/// numbered one less, so no entry can be changed, removed or reordered unseen.
#[derive(Debug, Object)]
#[oai(example)]
pub struct AuditEntry {
    /// Gapless, from 1, across all organisations.
    pub seq: i64,
    pub at: DateTime<Utc>,
    /// Who acted; absent when unknown (a failed login).
    pub actor_id: Option<Uuid>,
    /// From which device session.
    pub session_id: Option<Uuid>,
    pub ip: Option<String>,
    /// The organisation the action concerns.
    pub organization_id: Option<Uuid>,
    pub action: AuditAction,
    pub document_id: Option<Uuid>,
    /// The account, task, session or file acted on.
    pub subject_id: Option<Uuid>,
    /// A JSON object: a decision and its comment, a classification level, a device id.
    pub details: serde_json::Value,
    pub prev_hash: String,
    pub hash: String,
}

impl TryFrom<Entry> for AuditEntry {
    type Error = anyhow::Error;

    /// Fails only for an action no version of this server writes: the entry was tampered
    /// with, which `verify` reports.
    fn try_from(e: Entry) -> anyhow::Result<Self> {
        let action = AuditAction::parse(&e.action)
            .map_err(|_| anyhow::anyhow!("audit entry {} has an unknown action", e.seq))?;
        Ok(Self {
            seq: e.seq,
            at: e.at,
            actor_id: e.actor,
            session_id: e.session,
            ip: e.ip,
            organization_id: e.organization,
            action,
            document_id: e.document,
            subject_id: e.subject,
            // Stored as the exact JSON text that was hashed; shown as the object it is.
            details: serde_json::from_str(&e.details)
                .unwrap_or(serde_json::Value::String(e.details)),
            prev_hash: e.prev_hash,
            hash: e.hash,
        })
    }
}

impl Example for AuditEntry {
    fn example() -> Self {
        Self {
            seq: 1042,
            at: example_time(),
            actor_id: Some(Uuid::from_u128(0x0a11_ce00_0000_4000_8000_0000_0000_0001)),
            session_id: Some(Uuid::from_u128(0x5e55_0000_0000_4000_8000_0000_0000_0001)),
            ip: Some("203.113.10.24".to_owned()),
            organization_id: Some(Uuid::from_u128(0x0c00_0000_0000_4000_8000_0000_0000_0001)),
            action: AuditAction::TaskDecided,
            document_id: Some(Uuid::from_u128(0xd0c0_0000_0000_7000_8000_0000_0000_0001)),
            subject_id: Some(Uuid::from_u128(0x7a5c_0000_0000_7000_8000_0000_0000_0001)),
            details: serde_json::json!({"decision": "return", "comment": "Bổ sung số liệu quý III"}),
            prev_hash: "9f2c5b7e0d4a1c3f8e6b2d9a7c5e3f1b0a8d6c4e2f0b9d7a5c3e1f8b6d4a2c0e"
                .to_owned(),
            hash: "41ab07d3e9c5f1a8b6d4e2c0f9a7b5d3e1c8f6a4b2d0e9c7a5f3b1d8e6c4a2f0".to_owned(),
        }
    }
}

#[derive(Debug, Object)]
#[oai(example)]
pub struct AuditPage {
    /// Oldest first.
    pub items: Vec<AuditEntry>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[oai(skip_serializing_if_is_none)]
    pub next_cursor: Option<String>,
}

impl Example for AuditPage {
    fn example() -> Self {
        Self {
            items: vec![AuditEntry::example()],
            next_cursor: Some("MTA0Mg".to_owned()),
        }
    }
}

/// Where the chain first fails to hold.
#[derive(Debug, Object)]
#[oai(example)]
pub struct AuditBreak {
    /// The entry that does not hold.
    pub seq: i64,
    pub reason: BreakReason,
}

impl Example for AuditBreak {
    fn example() -> Self {
        Self {
            seq: 1042,
            reason: BreakReason::Altered,
        }
    }
}

impl From<Break> for AuditBreak {
    fn from(b: Break) -> Self {
        Self {
            seq: b.seq,
            reason: b.reason,
        }
    }
}

#[derive(Debug, Object)]
#[oai(example)]
pub struct AuditVerification {
    /// True when every entry walked holds and links to the one before it.
    pub intact: bool,
    /// The walk began after this entry, the newest one an earlier check found intact; 0 when
    /// the whole chain was walked (`full=true`, or the first check).
    pub checked_after: i64,
    /// How many entries were found sound before the check ended.
    pub checked: u64,
    #[oai(skip_serializing_if_is_none)]
    pub first_break: Option<AuditBreak>,
}

impl Example for AuditVerification {
    fn example() -> Self {
        Self {
            intact: false,
            checked_after: 980,
            checked: 61,
            first_break: Some(AuditBreak::example()),
        }
    }
}

pub struct AuditApi;

#[OpenApi(prefix_path = "/api/v1/admin/audit", tag = "ApiTags::Admin")]
impl AuditApi {
    /// Read the audit trail
    ///
    /// Every action on the accounts and documents of the admin's organisations, oldest first:
    /// who, from which device session and address, when, and what. The filters combine.
    #[oai(path = "/", method = "get", operation_id = "listAuditEntries")]
    // poem-openapi takes each query parameter as an argument of its own.
    #[allow(clippy::too_many_arguments)]
    async fn trail(
        &self,
        state: Data<&AppState>,
        caller: Caller,
        /// Only entries about this document.
        document_id: Query<Option<Uuid>>,
        /// Only entries by this person.
        actor_id: Query<Option<Uuid>>,
        /// Only entries of this action.
        action: Query<Option<AuditAction>>,
        /// Only entries from this day on, `YYYY-MM-DD`, Vietnam time.
        from: Query<Option<NaiveDate>>,
        /// Only entries up to this day, included.
        to: Query<Option<NaiveDate>>,
        /// `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
        /// Page size, 1 to 100 (default 50).
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))]
        limit: Query<Option<u64>>,
    ) -> Result<Json<AuditPage>, Problems<AuditProblems>> {
        let admin = admin::authorize(&state, caller.0).await?;
        let (cursor, size) = page_args(cursor.0, limit.0)?;
        let wanted = audit::Wanted {
            document: document_id.0,
            actor: actor_id.0,
            action: action.0,
            from: from.0,
            to: to.0,
        };
        let page = audit::trail(&state, &admin, wanted, cursor, size).await?;
        let items = page
            .items
            .into_iter()
            .map(AuditEntry::try_from)
            .collect::<anyhow::Result<_>>()
            .map_err(|e| ApiError::unexpected(&e))?;
        let next_cursor = page.next.map(|c| c.as_str().to_owned());
        Ok(Json(AuditPage { items, next_cursor }))
    }

    /// Check the audit trail is untampered
    ///
    /// Recomputes each entry's hash and link up to the newest and reports the first that does
    /// not hold. It starts after the newest entry an earlier check found intact, so a regular
    /// check reads only what was appended since; `full=true` walks from the first entry and
    /// finds tampering anywhere. Entries appended while it runs are left for the next check.
    #[oai(path = "/verify", method = "get", operation_id = "verifyAuditTrail")]
    async fn verify(
        &self,
        state: Data<&AppState>,
        caller: Caller,
        /// Walk the whole chain, not only what came after the last check.
        full: Query<Option<bool>>,
    ) -> Result<Json<AuditVerification>, Problems<VerifyProblems>> {
        let admin = admin::authorize(&state, caller.0).await?;
        let outcome = audit::verify(&state, &admin, full.0.unwrap_or(false)).await?;
        Ok(Json(AuditVerification {
            intact: outcome.first_break.is_none(),
            checked_after: outcome.after,
            checked: outcome.checked,
            first_break: outcome.first_break.map(Into::into),
        }))
    }
}
