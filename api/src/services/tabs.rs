//! The app's tabs. The inbox: each row says who sent it, since when it waits, and the decision
//! it comes from (the directive, the forward, the approval before it) with what was written.
//! Processed by me, submitted by me, for information: document rows saying where each stands
//! and who holds it; opening a reading task marks it read.

use std::collections::{HashMap, HashSet};

use anyhow::Context;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{
    Principal,
    admin::Page,
    flow::{self, FlowError, Written},
    people::{self, NamedTask, name_task, named},
    workflow::{self, WorkflowServiceError},
};
use crate::{
    domain::{
        Cursor, InvalidInput, PageSize,
        document::{Document, Heading},
        history::{self, EventKind, TaskRecord},
        person::Person,
        workflow::{Task, TaskAction, TaskStatus, WorkflowError},
    },
    state::AppState,
    store::{
        self,
        tabs::{Filter, Key, Opened, Tab},
        tasks::Waiting,
    },
};

pub struct Row {
    /// The task, with who holds it and who assigned it.
    pub task: NamedTask,
    pub document: Heading,
    /// Since when it is the assignee's turn.
    pub since: DateTime<Utc>,
    pub about: Option<Origin>,
}

/// The decision a task comes from, and what its author wrote.
pub struct Origin {
    pub kind: EventKind,
    pub by: Person,
    pub comment: Option<String>,
    pub at: DateTime<Utc>,
}

/// "Waiting for me": the inbox, most urgent first, each row saying who sent it and why.
pub async fn inbox(
    state: &AppState,
    who: Principal,
    cursor: Option<Cursor>,
    size: PageSize,
) -> Result<Page<Row>, WorkflowServiceError> {
    let page = workflow::inbox(state, who, cursor, size).await?;
    Ok(Page {
        items: describe(state, page.items).await?,
        next: page.next,
    })
}

/// Adds to each task who sent it, since when and why (the decision before it, or for the
/// first step of a chain the author's note): one query for the names, however long the page.
async fn describe(state: &AppState, items: Vec<Waiting>) -> anyhow::Result<Vec<Row>> {
    let origins: Vec<Option<TaskRecord>> = items
        .iter()
        .map(|i| history::origin(&i.task.task, &i.origins).cloned())
        .collect();
    let mut ids: HashSet<Uuid> = items
        .iter()
        .flat_map(|i| [i.task.task.assigned_by, i.task.task.assignee])
        .collect();
    ids.extend(origins.iter().flatten().map(|o| o.task.assignee));
    let people = people::names(state, &ids).await?;
    items
        .into_iter()
        .zip(origins)
        .map(|(item, origin)| {
            let me = item.task;
            let decided = origin
                .and_then(|o| Some((history::decision_kind(&o.task)?, o.decided_at?, o)))
                .map(|(kind, at, o)| {
                    Ok::<_, anyhow::Error>(Origin {
                        kind,
                        by: named(&people, o.task.assignee)?,
                        comment: o.comment,
                        at,
                    })
                })
                .transpose()?;
            let noted = me
                .note
                .filter(|_| decided.is_none())
                .map(|note| {
                    Ok::<_, anyhow::Error>(Origin {
                        kind: EventKind::Submitted,
                        by: named(&people, me.task.assigned_by)?,
                        comment: Some(note),
                        at: me.created_at,
                    })
                })
                .transpose()?;
            let about = decided.or(noted);
            Ok(Row {
                since: about
                    .as_ref()
                    .map_or(me.created_at, |a| a.at.max(me.created_at)),
                about,
                task: name_task(&people, me.task)?,
                document: item.document,
            })
        })
        .collect()
}

/// A document row of a tab: the document, the time the row stands for (my decision, its
/// creation, when it was sent to me), my task it stands for, and who holds it now.
pub struct DocumentRow {
    pub document: Document,
    pub at: DateTime<Utc>,
    pub task: Option<NamedTask>,
    /// The tasks waiting now: where the document is.
    pub holders: Vec<TaskRecord>,
}

pub struct TabPage {
    pub items: Vec<DocumentRow>,
    pub next: Option<Cursor>,
    /// The authors and holders of the page's documents, by id.
    pub people: HashMap<Uuid, Person>,
}

/// A page of one of the app's tabs besides the inbox (see [`Tab`]), newest first, narrowed by
/// `filter`: six queries for the rows, their documents, where each stands and the names,
/// however long the page.
pub async fn documents(
    state: &AppState,
    who: Principal,
    tab: Tab,
    filter: Filter,
    cursor: Option<Cursor>,
    size: PageSize,
) -> Result<TabPage, WorkflowServiceError> {
    if let (Some(from), Some(to)) = (filter.from, filter.to)
        && from >= to
    {
        return Err(InvalidInput::new("to", "must be after `from`").into());
    }
    let after = cursor.map(|c| parse_tab_key(&c.sort_key())).transpose()?;
    let found = store::tabs::page(&state.db, tab, who.user_id, &filter, after, size.get())
        .await
        .context("loading the tab")?;
    let page = Page::of(found, size, |f| {
        format!("{}|{}", f.key.at.to_rfc3339(), f.key.id)
    });
    let ids: Vec<Uuid> = page.items.iter().map(|f| f.document).collect();
    let documents: HashMap<Uuid, Document> = store::documents::find_many(&state.db, &ids)
        .await
        .context("loading the tab's documents")?
        .into_iter()
        .map(|d| (d.id, d))
        .collect();
    let found = page
        .items
        .into_iter()
        .map(|f| {
            let document = documents
                .get(&f.document)
                .cloned()
                .context("a tab row's document is missing")?;
            Ok((document, f.key.at, f.task))
        })
        .collect::<anyhow::Result<_>>()?;
    let (items, people) = rows(state, found).await?;
    Ok(TabPage {
        items,
        next: page.next,
        people,
    })
}

/// Document rows with where each stands, and the people they name: two queries (the
/// documents' waiting tasks, the names) however many rows.
pub(crate) async fn rows(
    state: &AppState,
    found: Vec<(Document, DateTime<Utc>, Option<Task>)>,
) -> anyhow::Result<(Vec<DocumentRow>, HashMap<Uuid, Person>)> {
    let ids: Vec<Uuid> = found.iter().map(|(d, _, _)| d.id).collect();
    let mut holders: HashMap<Uuid, Vec<TaskRecord>> = HashMap::new();
    for (document, record) in store::history::task_records(&state.db, &ids)
        .await
        .context("loading where the documents stand")?
    {
        if record.task.status == TaskStatus::Waiting {
            holders.entry(document).or_default().push(record);
        }
    }
    let mut names: HashSet<Uuid> = found.iter().map(|(d, _, _)| d.author_id).collect();
    names.extend(holders.values().flatten().map(|r| r.task.assignee));
    names.extend(
        found
            .iter()
            .filter_map(|(_, _, t)| t.as_ref())
            .flat_map(|t| [t.assignee, t.assigned_by]),
    );
    let people = store::people::find_many(&state.db, &names)
        .await
        .context("loading the names")?;
    let items = found
        .into_iter()
        .map(|(document, at, task)| {
            let task = task.map(|t| name_task(&people, t)).transpose()?;
            Ok(DocumentRow {
                holders: holders.remove(&document.id).unwrap_or_default(),
                at,
                task,
                document,
            })
        })
        .collect::<anyhow::Result<_>>()?;
    Ok((items, people))
}

fn parse_tab_key(raw: &str) -> Result<Key, InvalidInput> {
    let bad = || InvalidInput::new("cursor", "is not a cursor from this API");
    let (at, id) = raw.split_once('|').ok_or_else(bad)?;
    Ok(Key {
        at: DateTime::parse_from_rfc3339(at)
            .map_err(|_| bad())?
            .to_utc(),
        id: Uuid::try_parse(id).map_err(|_| bad())?,
    })
}

/// A reader opens a reading task (để biết): it leaves the "for information" tab.
pub async fn read(
    state: &AppState,
    who: Principal,
    task: Uuid,
) -> Result<(), WorkflowServiceError> {
    let document = flow::task_document(state, who, task).await?;
    let tasks = flow::load_tasks(state, document.id).await?;
    let mine = tasks
        .iter()
        .find(|t| t.id == task)
        .ok_or(FlowError::TaskNotFound)?;
    if mine.assignee != who.user_id {
        return Err(WorkflowError::NotYourTask.into());
    }
    if mine.action != TaskAction::Fyi {
        return Err(WorkflowError::NotForThisAction.into());
    }
    mark_read(state, who, Opened::Task(task)).await?;
    Ok(())
}

/// Marks `who`'s unread reading tasks of what they opened read, which moves their badge.
pub(crate) async fn mark_read(
    state: &AppState,
    who: Principal,
    opened: Opened,
) -> anyhow::Result<()> {
    let marked = store::tabs::mark_read(&state.db, who.user_id, opened, state.clock.now())
        .await
        .context("marking reading tasks read")?;
    if marked > 0 {
        flow::committed(state, Written::for_people(vec![who.user_id])).await;
    }
    Ok(())
}
