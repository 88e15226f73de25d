//! Approving several waiting review tasks in one call: each is decided on its own, in its own
//! transaction, so one refused (decided meanwhile on another phone, say) leaves the others
//! approved.

use uuid::Uuid;

use super::{
    Principal,
    people::{self, NamedTask},
    workflow::{self, WorkflowServiceError},
};
use crate::{domain::workflow::Decision, state::AppState};

/// The outcome for each `(task, comment)`, in the order given; the approved tasks' people are
/// named all at once.
pub async fn approve_many(
    state: &AppState,
    who: Principal,
    items: Vec<(Uuid, Option<String>)>,
) -> Result<Vec<(Uuid, Result<NamedTask, WorkflowServiceError>)>, WorkflowServiceError> {
    let mut decided = Vec::with_capacity(items.len());
    for (task, comment) in items {
        let approve = Decision::Approve { comment };
        decided.push((task, workflow::decide_task(state, who, task, approve).await));
    }
    let approved = decided.iter().filter_map(|(_, d)| d.as_ref().ok().cloned());
    let mut named = people::name_tasks(state, approved.collect())
        .await?
        .into_iter();
    Ok(decided
        .into_iter()
        .map(|(task, d)| {
            let d = d.and_then(|_| {
                named
                    .next()
                    .ok_or_else(|| anyhow::anyhow!("unnamed").into())
            });
            (task, d)
        })
        .collect())
}
