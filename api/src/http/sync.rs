//! `/sync`: the change feed a phone reads when it comes back online.

use poem::web::Data;
use poem_openapi::{Object, OpenApi, param::Query, payload::Json, types::Example};
use uuid::Uuid;

use super::{
    ApiTags,
    error::{Problems, problem_set},
    security::Caller,
    tabs::TabRow,
    tasks::TaskView,
};
use crate::{
    domain::Cursor,
    services::sync::{self, Changes},
    state::AppState,
};

problem_set!(SyncProblems: authenticated, InvalidRequest, ValidationFailed);

/// What changed for me since the cursor.
#[derive(Debug, Object)]
#[oai(example)]
pub struct SyncPage {
    /// The documents that changed and that I may see, as they now are (`at`: the latest
    /// change), the most recently changed last. Empty when nothing changed.
    pub documents: Vec<TabRow>,
    /// My tasks on those documents, as they now are: one no longer `waiting` leaves the
    /// inbox.
    pub tasks: Vec<TaskView>,
    /// Documents that changed and that I had but may no longer see: drop them.
    pub removed: Vec<Uuid>,
    /// Pass as `cursor` next time.
    pub cursor: String,
    /// More changes wait: ask again at once with `cursor`.
    pub more: bool,
}

impl Example for SyncPage {
    fn example() -> Self {
        Self {
            documents: TabRow::example().into_iter().collect(),
            tasks: vec![TaskView::example()],
            removed: Vec::new(),
            cursor: Cursor::after("1287").as_str().to_owned(),
            more: false,
        }
    }
}

impl From<Changes> for SyncPage {
    fn from(c: Changes) -> Self {
        let people = &c.people;
        Self {
            documents: c
                .documents
                .into_iter()
                .map(|r| TabRow::new(r, people))
                .collect(),
            tasks: c.tasks.into_iter().map(Into::into).collect(),
            removed: c.removed,
            cursor: c.cursor.as_str().to_owned(),
            more: c.more,
        }
    }
}

pub struct SyncApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Work")]
impl SyncApi {
    /// What changed since
    ///
    /// For a phone back online: the documents that changed since `cursor` and that I may see,
    /// my tasks on them, and those I may no longer see, with the next cursor; one small
    /// request instead of reloading every list. Call it without `cursor` before loading the
    /// lists: it answers nothing and the cursor to start from.
    #[oai(path = "/sync", method = "get", operation_id = "changesSince")]
    async fn sync(
        &self,
        state: Data<&AppState>,
        caller: Caller,
        /// `cursor` of the previous answer.
        cursor: Query<Option<String>>,
    ) -> Result<Json<SyncPage>, Problems<SyncProblems>> {
        let cursor = cursor.0.as_deref().map(Cursor::parse).transpose()?;
        let changes = sync::changes(&state, caller.0, cursor).await?;
        Ok(Json(changes.into()))
    }
}
