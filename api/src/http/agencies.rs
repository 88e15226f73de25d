//! `/agencies`: whom a document can be sent to, the exchange axis's directory and this server's
//! organisations; and `/admin/agencies/sync`, copying the directory from the axis now.

use poem::web::Data;
use poem_openapi::{Object, OpenApi, param::Query, payload::Json, types::Example};
use uuid::Uuid;

use super::{
    ApiTags,
    admin::page_parts,
    error::{Problems, problem_set},
    security::Caller,
};
use crate::{
    domain::{Cursor, PageSize},
    services::exchange::directory::{self, Agency},
    state::AppState,
    store::agencies::SyncCounts,
};

problem_set!(AgencyListProblems: authenticated, Forbidden, InvalidRequest, ValidationFailed);
problem_set!(AgencySyncProblems: authenticated, Forbidden, ExchangeNotConfigured, AxisUnavailable, AxisRefused);

/// An agency a document can be addressed to.
#[derive(Debug, Object)]
#[oai(rename = "Agency")]
pub struct AgencyView {
    /// Its agency code on the exchange network (QCVN 102, `000.00.00.G22`), or the local code
    /// of an organisation of this server that exchanges nothing.
    pub code: String,
    pub name: String,
    #[oai(skip_serializing_if_is_none)]
    pub parent_code: Option<String>,
    /// Set when this server serves it: documents reach it here, at once, not over the axis.
    #[oai(skip_serializing_if_is_none)]
    pub organization_id: Option<Uuid>,
}

impl From<Agency> for AgencyView {
    fn from(a: Agency) -> Self {
        Self {
            code: a.code,
            name: a.name,
            parent_code: a.parent_code,
            organization_id: a.organization_id,
        }
    }
}

#[derive(Debug, Object)]
#[oai(example)]
pub struct AgencyPage {
    /// By name (without diacritics), then code.
    pub items: Vec<AgencyView>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[oai(skip_serializing_if_is_none)]
    pub next_cursor: Option<String>,
}

impl Example for AgencyPage {
    fn example() -> Self {
        Self {
            items: vec![AgencyView {
                code: "000.00.00.G22".to_owned(),
                name: "Văn phòng Chính phủ".to_owned(),
                parent_code: None,
                organization_id: None,
            }],
            next_cursor: None,
        }
    }
}

/// What a sync of the directory changed.
#[derive(Debug, Object)]
#[oai(example)]
pub struct AgencySync {
    pub added: u64,
    pub updated: u64,
    pub removed: u64,
    /// Agencies in the directory now.
    pub total: u64,
}

impl From<SyncCounts> for AgencySync {
    fn from(c: SyncCounts) -> Self {
        Self {
            added: c.added,
            updated: c.updated,
            removed: c.removed,
            total: c.total,
        }
    }
}

impl Example for AgencySync {
    fn example() -> Self {
        Self {
            added: 3,
            updated: 1,
            removed: 0,
            total: 1284,
        }
    }
}

pub struct AgenciesApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Exchange")]
impl AgenciesApi {
    /// Find agencies to send to
    ///
    /// For clerks and admins: the exchange axis's directory of agencies and this server's own
    /// organisations, by name. `q` matches words of the name with or without diacritics
    /// (`ubnd nghe an` finds "UBND tỉnh Nghệ An"), or the start of a code (`000.00.00.H`).
    #[oai(path = "/agencies", method = "get", operation_id = "listAgencies")]
    async fn agencies(
        &self,
        state: Data<&AppState>,
        caller: Caller,
        /// Words of the name, with or without diacritics, or the start of a code.
        #[oai(validator(max_length = 200))]
        q: Query<Option<String>>,
        /// `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
        /// Page size, 1 to 100 (default 50).
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))]
        limit: Query<Option<u64>>,
    ) -> Result<Json<AgencyPage>, Problems<AgencyListProblems>> {
        let cursor = cursor.0.as_deref().map(Cursor::parse).transpose()?;
        let page = directory::search(
            &state,
            caller.0,
            q.0.as_deref(),
            cursor,
            PageSize::new(limit.0),
        )
        .await?;
        let (items, next_cursor) = page_parts(page);
        Ok(Json(AgencyPage { items, next_cursor }))
    }
}

pub struct AgencySyncApi;

#[OpenApi(prefix_path = "/api/v1/admin", tag = "ApiTags::Admin")]
impl AgencySyncApi {
    /// Sync the directory of agencies
    ///
    /// Copies the exchange axis's directory now (each instance also does at start and
    /// daily): new agencies added, renamed ones updated, those no longer listed removed.
    #[oai(
        path = "/agencies/sync",
        method = "post",
        operation_id = "syncAgencies"
    )]
    async fn sync(
        &self,
        state: Data<&AppState>,
        caller: Caller,
    ) -> Result<Json<AgencySync>, Problems<AgencySyncProblems>> {
        let counts = directory::sync_as_admin(&state, caller.0).await?;
        Ok(Json(counts.into()))
    }
}
