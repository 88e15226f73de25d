//! Approving several waiting review tasks in one call: each is decided on its own, in its own
//! transaction, so one refused (decided meanwhile on another phone, say) leaves the others
//! approved.

use uuid::Uuid;

use super::{
    Principal,
    workflow::{self, WorkflowServiceError},
};
use crate::{
    domain::workflow::{Decision, Task},
    state::AppState,
};

/// The outcome for each `(task, comment)`, in the order given.
pub async fn approve_many(
    state: &AppState,
    who: Principal,
    items: Vec<(Uuid, Option<String>)>,
) -> Vec<(Uuid, Result<Task, WorkflowServiceError>)> {
    let mut out = Vec::with_capacity(items.len());
    for (task, comment) in items {
        let decided = workflow::decide(state, who, task, Decision::Approve { comment }).await;
        out.push((task, decided));
    }
    out
}
