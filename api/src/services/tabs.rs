//! The app's lists of tasks. Each row says who sent it, since when it waits, and the decision
//! it comes from (the directive, the forward, the approval before it) with what was written.

use std::collections::{HashMap, HashSet};

use anyhow::Context;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{
    Principal,
    admin::Page,
    people::{NamedTask, name_task, named},
    workflow::{self, WorkflowServiceError},
};
use crate::{
    domain::{
        Cursor, PageSize,
        document::Document,
        history::{self, EventKind, TaskRecord},
        person::Person,
        workflow::Task,
    },
    state::AppState,
    store,
};

pub struct Row {
    /// The task, with who holds it and who assigned it.
    pub task: NamedTask,
    pub document: Document,
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
    let items = page.items.into_iter().map(|i| (i.task, i.document));
    Ok(Page {
        items: describe(state, items.collect()).await?,
        next: page.next,
    })
}

/// Adds to each task who sent it, since when and why (the decision before it, or for the
/// first step of a chain the author's note): one query for the documents' tasks and three
/// for the names, however long the page.
async fn describe(state: &AppState, items: Vec<(Task, Document)>) -> anyhow::Result<Vec<Row>> {
    let documents: Vec<Uuid> = items
        .iter()
        .map(|(_, d)| d.id)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let mut by_document: HashMap<Uuid, Vec<TaskRecord>> = HashMap::new();
    for (document, record) in store::history::task_records(&state.db, &documents)
        .await
        .context("loading the tasks' documents' history")?
    {
        by_document.entry(document).or_default().push(record);
    }
    let none = Vec::new();
    let found: Vec<(Option<&TaskRecord>, Option<&TaskRecord>)> = items
        .iter()
        .map(|(task, document)| {
            let same = by_document.get(&document.id).unwrap_or(&none);
            let me = same.iter().find(|r| r.task.id == task.id);
            (me, history::origin(task, same))
        })
        .collect();
    let mut ids: HashSet<Uuid> = items
        .iter()
        .flat_map(|(t, _)| [t.assigned_by, t.assignee])
        .collect();
    ids.extend(found.iter().filter_map(|(_, o)| o.map(|o| o.task.assignee)));
    let people = store::people::find_many(&state.db, &ids)
        .await
        .context("loading the names")?;
    items
        .into_iter()
        .zip(found)
        .map(|((task, document), (me, origin))| {
            let decided = origin
                .and_then(|o| Some((o, history::decision_kind(&o.task)?, o.decided_at?)))
                .map(|(o, kind, at)| {
                    Ok::<_, anyhow::Error>(Origin {
                        kind,
                        by: named(&people, o.task.assignee)?,
                        comment: o.comment.clone(),
                        at,
                    })
                })
                .transpose()?;
            let noted = me
                .filter(|_| decided.is_none())
                .and_then(|r| Some((r.note.clone()?, r.created_at)))
                .map(|(note, at)| {
                    Ok::<_, anyhow::Error>(Origin {
                        kind: EventKind::Submitted,
                        by: named(&people, task.assigned_by)?,
                        comment: Some(note),
                        at,
                    })
                })
                .transpose()?;
            let about = decided.or(noted);
            let created = me.map(|r| r.created_at).unwrap_or(document.created_at);
            Ok(Row {
                since: about.as_ref().map_or(created, |a| a.at.max(created)),
                about,
                task: name_task(&people, task)?,
                document,
            })
        })
        .collect()
}
