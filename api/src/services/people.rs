//! The directory: the people a signed-in user may choose from when building a chain,
//! forwarding, assigning or registering, and the names shown wherever someone acted.

use std::collections::{HashMap, HashSet};

use anyhow::Context;
use chrono::TimeDelta;
use uuid::Uuid;

use super::{Principal, admin::Page};
use crate::{
    domain::{
        Cursor, PageSize, Role,
        person::{self, Person},
        workflow::Task,
    },
    remembered::Remembered,
    state::AppState,
    store,
};

#[derive(Debug, thiserror::Error)]
pub enum PeopleError {
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// The organisations whose people work with someone of `organization`: the whole tree it
/// belongs to, from its topmost ancestor down.
pub async fn tree_of(state: &AppState, organization: Uuid) -> anyhow::Result<HashSet<Uuid>> {
    let tree = store::organizations::tree(&state.db)
        .await
        .context("loading the organisation tree")?;
    Ok(tree.tree_of(organization))
}

/// Active people of the caller's organisation tree, by name; `query` matches name or title
/// with or without accents, `role` keeps those who hold it.
pub async fn directory(
    state: &AppState,
    who: Principal,
    query: Option<&str>,
    role: Option<Role>,
    cursor: Option<Cursor>,
    size: PageSize,
) -> Result<Page<Person>, PeopleError> {
    let me = store::users::find(&state.db, who.user_id)
        .await
        .context("loading the account")?
        .context("the caller's account no longer exists")?;
    let scope = tree_of(state, me.organization_id).await?;
    let query = query.map(str::trim).filter(|q| !q.is_empty());
    // An organisation tree holds hundreds of people, not millions: searching the folded names
    // here costs less than keeping a folded copy of every name in step with admin changes.
    let mut rows: Vec<_> = store::people::active_in(&state.db, &scope, role)
        .await
        .context("listing the directory")?
        .into_iter()
        .filter(|r| query.is_none_or(|q| r.matches(q)))
        .map(|r| (r.sort_key(), r.id))
        .collect();
    rows.sort_unstable();
    let after = cursor.map(|c| c.sort_key());
    let limit = usize::try_from(size.get()).unwrap_or(usize::MAX);
    let page: Vec<Uuid> = rows
        .into_iter()
        .filter(|(key, _)| after.as_ref().is_none_or(|a| key > a))
        .take(limit)
        .map(|(_, id)| id)
        .collect();
    let mut found = store::people::find_many(&state.db, &page.iter().copied().collect())
        .await
        .context("loading the directory page")?;
    let items = page.iter().filter_map(|id| found.remove(id)).collect();
    Ok(Page::of(items, size, |p| {
        person::sort_key(&p.full_name, p.id)
    }))
}

/// How long an instance names people as it last read them. Names and titles change seldom (an
/// appointment), and every inbox row shows two or three: remembered, a page is one query. An
/// admin's edit is seen at once on the instance that made it ([`forget`]), on others within
/// this.
const NAMES_KEPT: TimeDelta = TimeDelta::seconds(30);

/// How many people an instance remembers (see [`Remembered`]).
const NAMES_CAPACITY: usize = 16_384;

/// The people this instance named lately, by id.
pub struct Names(Remembered<Uuid, Person>);

impl Default for Names {
    fn default() -> Self {
        Self(Remembered::new(NAMES_CAPACITY))
    }
}

/// The people with these ids, active or not, as [`store::people::find_many`] reads them:
/// those this instance named lately from memory, the rest in one query.
pub async fn names(state: &AppState, ids: &HashSet<Uuid>) -> anyhow::Result<HashMap<Uuid, Person>> {
    let now = state.clock.now();
    let mut people: HashMap<Uuid, Person> = ids
        .iter()
        .filter_map(|id| Some((*id, state.names.0.get(id, now)?)))
        .collect();
    let missing: HashSet<Uuid> = ids
        .iter()
        .filter(|id| !people.contains_key(id))
        .copied()
        .collect();
    if missing.is_empty() {
        return Ok(people);
    }
    let read = store::people::find_many(&state.reads, &missing)
        .await
        .context("loading the names")?;
    for (id, person) in read {
        state
            .names
            .0
            .insert(id, person.clone(), now + NAMES_KEPT, now);
        people.insert(id, person);
    }
    Ok(people)
}

/// After an edit of `id`'s account: this instance names them anew from now on.
pub fn forget(state: &AppState, id: Uuid) {
    state.names.0.forget(&id);
}

/// A task with the people it joins: who holds it and who gave it.
pub struct NamedTask {
    pub task: Task,
    pub assignee: Person,
    pub assigner: Person,
}

/// The people named by these tasks, in three queries however many tasks.
pub async fn name_tasks(state: &AppState, tasks: Vec<Task>) -> anyhow::Result<Vec<NamedTask>> {
    let ids: HashSet<Uuid> = tasks
        .iter()
        .flat_map(|t| [t.assignee, t.assigned_by])
        .collect();
    let people = store::people::find_many(&state.db, &ids)
        .await
        .context("loading the names")?;
    tasks.into_iter().map(|t| name_task(&people, t)).collect()
}

/// `task` with its people, from the names loaded for its page.
pub(crate) fn name_task(people: &HashMap<Uuid, Person>, task: Task) -> anyhow::Result<NamedTask> {
    Ok(NamedTask {
        assignee: named(people, task.assignee)?,
        assigner: named(people, task.assigned_by)?,
        task,
    })
}

/// Someone a row names, from the names loaded for its page.
pub(crate) fn named(people: &HashMap<Uuid, Person>, id: Uuid) -> anyhow::Result<Person> {
    people
        .get(&id)
        .cloned()
        .with_context(|| format!("no account {id} for a task"))
}
