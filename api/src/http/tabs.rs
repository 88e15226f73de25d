//! The app's tabs besides the inbox: processed by me, submitted by me, for information.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use poem::web::Data;
use poem_openapi::{
    Enum, Object, OpenApi,
    param::{Path, Query},
    payload::Json,
    types::Example,
};
use uuid::Uuid;

use super::{
    ApiTags,
    documents::{DirectionDto, DocumentListItem, DocumentPage, UrgencyDto},
    error::{Problems, problem_set},
    history::Holding,
    security::Caller,
    tasks::TaskView,
    types::{NoContent, example_time},
};
use crate::{
    domain::{Cursor, PageSize, person::Person, workflow::DocumentState},
    services::tabs::{self, DocumentRow},
    state::AppState,
    store::tabs::{Filter, Tab},
};

problem_set!(TabProblems: authenticated, InvalidRequest, ValidationFailed);
problem_set!(ReadProblems: authenticated, InvalidRequest, NotFound, NotYourTask, NotForThisTask);

/// `processed`: documents I decided a task of, by my latest decision. `submitted`: documents
/// I wrote (a clerk: recorded), by creation. `for_information`: reading tasks (để biết) I have
/// not opened, by when they came.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename = "Tab", rename_all = "snake_case")]
pub enum TabName {
    Processed,
    Submitted,
    ForInformation,
}

impl From<TabName> for Tab {
    fn from(t: TabName) -> Self {
        match t {
            TabName::Processed => Tab::Processed,
            TabName::Submitted => Tab::Submitted,
            TabName::ForInformation => Tab::ForInformation,
        }
    }
}

/// A row of a tab: the document, the moment the row stands for, my task, where it is now.
#[derive(Debug, Object)]
pub struct TabRow {
    pub document: DocumentListItem,
    /// `processed`: my latest decision; `submitted`: the document's creation;
    /// `for_information`: when it was sent to me.
    pub at: DateTime<Utc>,
    /// My task the row stands for: the one I decided last, or the reading task; absent on
    /// `submitted`.
    #[oai(skip_serializing_if_is_none)]
    pub task: Option<TaskView>,
    /// Where it is now: the steps waiting and who holds each; empty when nobody holds it (a
    /// draft, returned, signed, issued, done).
    pub holders: Vec<Holding>,
}

#[derive(Debug, Object)]
#[oai(example)]
pub struct TabPage {
    /// Newest first.
    pub items: Vec<TabRow>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[oai(skip_serializing_if_is_none)]
    pub next_cursor: Option<String>,
}

impl Example for TabPage {
    fn example() -> Self {
        Self {
            items: TabRow::example().into_iter().collect(),
            next_cursor: None,
        }
    }
}

impl TabRow {
    /// The row of `r`, its people named from `people`.
    pub fn new(r: DocumentRow, people: &HashMap<Uuid, Person>) -> Self {
        Self {
            document: DocumentListItem::new(r.document, people),
            at: r.at,
            task: r.task.map(Into::into),
            holders: r
                .holders
                .into_iter()
                .map(|h| Holding::new(h, people))
                .collect(),
        }
    }

    pub fn example() -> Option<Self> {
        let document = DocumentPage::example().items.into_iter().next()?;
        Some(Self {
            at: example_time(),
            task: Some(TaskView::example()),
            holders: vec![Holding::example()],
            document,
        })
    }
}

impl From<tabs::TabPage> for TabPage {
    fn from(page: tabs::TabPage) -> Self {
        let people = &page.people;
        Self {
            items: page
                .items
                .into_iter()
                .map(|r| TabRow::new(r, people))
                .collect(),
            next_cursor: page.next.map(|c| c.as_str().to_owned()),
        }
    }
}

pub struct TabsApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Work")]
impl TabsApi {
    /// A tab of the app
    ///
    /// `processed` (documents I acted on), `submitted` (mine, and where each stands) or
    /// `for_information` (reading tasks I have not opened), newest first; each row has the
    /// document's summary, number, urgency and state, my task, and who holds it now. The
    /// badges are on `GET /me`.
    #[oai(path = "/tabs/:tab", method = "get", operation_id = "getTab")]
    #[allow(clippy::too_many_arguments)]
    async fn tab(
        &self,
        state: Data<&AppState>,
        caller: Caller,
        tab: Path<TabName>,
        /// Only documents in this state.
        #[oai(name = "state")]
        document_state: Query<Option<DocumentState>>,
        urgency: Query<Option<UrgencyDto>>,
        direction: Query<Option<DirectionDto>>,
        /// Rows at or after this instant.
        from: Query<Option<DateTime<Utc>>>,
        /// Rows before this instant.
        to: Query<Option<DateTime<Utc>>>,
        /// `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
        /// Page size, 1 to 100 (default 50).
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))]
        limit: Query<Option<u64>>,
    ) -> Result<Json<TabPage>, Problems<TabProblems>> {
        let filter = Filter {
            state: document_state.0,
            urgency: urgency.0.map(Into::into),
            direction: direction.0.map(Into::into),
            from: from.0,
            to: to.0,
        };
        let cursor = cursor.0.as_deref().map(Cursor::parse).transpose()?;
        let size = PageSize::new(limit.0);
        let page = tabs::documents(&state, caller.0, tab.0.into(), filter, cursor, size).await?;
        Ok(Json(page.into()))
    }

    /// Mark a reading task read
    ///
    /// For the reader of a `fyi` task (để biết): it leaves the `for_information` tab. Opening
    /// the document (`GET /documents/{id}`) does the same. Marking it again changes nothing.
    #[oai(path = "/tasks/:id/read", method = "post", operation_id = "readTask")]
    async fn read(
        &self,
        state: Data<&AppState>,
        caller: Caller,
        id: Path<Uuid>,
    ) -> Result<NoContent, Problems<ReadProblems>> {
        tabs::read(&state, caller.0, id.0).await?;
        Ok(NoContent::Done)
    }
}
