//! A document's history (luồng xử lý) as people read it, rebuilt from its tasks: who submitted
//! it to whom, what each person decided and wrote, the directive and its handlers, the report,
//! the signature and the issuance; and which earlier decision a task comes from. Pure: the
//! service loads the rows, this orders and names what happened.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::workflow::{Task, TaskAction, TaskStatus};

/// A task with what was written and when: the history's raw material.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskRecord {
    pub task: Task,
    /// The comment, return reason, directive or report written when it was decided.
    pub comment: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// The author's note on a submitted chain's tasks.
    pub note: Option<String>,
}

/// What happened; the spec's `HistoryEventKind` says what each one carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    Created,
    Submitted,
    Arrived,
    Registered,
    Refused,
    /// Given back to its sender, who asked for it (đồng ý lấy lại).
    GivenBack,
    Approved,
    Returned,
    Forwarded,
    Directed,
    Completed,
    Signed,
    Issued,
}

/// Someone a submission, registration, forward or directive named, and what they were asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Named {
    pub person: Uuid,
    pub action: TaskAction,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub kind: EventKind,
    pub at: DateTime<Utc>,
    /// Who acted.
    pub actor: Uuid,
    /// The task decided, for decisions.
    pub task: Option<Uuid>,
    /// The round of submission (1 for the first, one more for each resubmission).
    pub round: u32,
    pub comment: Option<String>,
    pub deadline: Option<DateTime<Utc>>,
    /// The chain of a submission, the leader of a registration, the stand-in of a forward,
    /// the handlers of a directive.
    pub named: Vec<Named>,
}

/// What the service knows about the issuance: the clerk and the seal's time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Issuance {
    pub by: Uuid,
    pub at: DateTime<Utc>,
}

/// The events of a document, oldest first. `tasks` are all its tasks, any order.
pub fn events(
    author: Uuid,
    created_at: DateTime<Utc>,
    tasks: &[TaskRecord],
    issued: Option<Issuance>,
) -> Vec<Event> {
    let mut out = vec![Event {
        kind: EventKind::Created,
        at: created_at,
        actor: author,
        task: None,
        round: 1,
        comment: None,
        deadline: None,
        named: Vec::new(),
    }];
    out.extend(arrival(tasks));
    let rounds = tasks.iter().map(|t| t.task.round).max().unwrap_or(0);
    for round in 1..=rounds {
        if let Some(opening) = opening(tasks, round) {
            out.push(opening);
        }
    }
    out.extend(tasks.iter().filter_map(|t| decision(t, tasks)));
    if let Some(i) = issued {
        out.push(Event {
            kind: EventKind::Issued,
            at: i.at,
            actor: i.by,
            task: None,
            round: rounds.max(1),
            comment: None,
            deadline: None,
            named: Vec::new(),
        });
    }
    // Stable: events of one instant keep the order they were built in (a submission before
    // the decisions of its round).
    out.sort_by_key(|e| e.at);
    out
}

/// The tasks a round started with, created together: a submission's chain, or a registration.
/// The clerks' tasks to take in a document another organisation sent open it on their own
/// (see [`arrival`]).
fn opening(tasks: &[TaskRecord], round: u32) -> Option<Event> {
    let of_round = || {
        tasks
            .iter()
            .filter(move |t| t.task.round == round && t.task.action != TaskAction::Receive)
    };
    let first = of_round().map(|t| t.created_at).min()?;
    let mut batch: Vec<&TaskRecord> = of_round().filter(|t| t.created_at == first).collect();
    batch.sort_by_key(|t| t.task.step);
    let lead = batch.first()?;
    let kind = match lead.task.action {
        TaskAction::Direct => EventKind::Registered,
        _ => EventKind::Submitted,
    };
    Some(Event {
        kind,
        at: first,
        actor: lead.task.assigned_by,
        task: None,
        round,
        comment: lead.note.clone(),
        deadline: lead.task.deadline,
        named: batch.iter().map(|t| named(&t.task)).collect(),
    })
}

/// A document another organisation sent, arriving: its clerks asked to take it in.
fn arrival(tasks: &[TaskRecord]) -> Option<Event> {
    let receive = || {
        tasks
            .iter()
            .filter(|t| t.task.action == TaskAction::Receive)
    };
    let first = receive().next()?;
    Some(Event {
        kind: EventKind::Arrived,
        at: first.created_at,
        actor: first.task.assigned_by,
        task: None,
        round: 1,
        comment: None,
        deadline: None,
        named: receive().map(|t| named(&t.task)).collect(),
    })
}

fn named(task: &Task) -> Named {
    Named {
        person: task.assignee,
        action: task.action,
    }
}

/// The event of a decided task; `None` for tasks nobody decided (waiting, pending, called off,
/// or closed along with the lead's report).
fn decision(t: &TaskRecord, all: &[TaskRecord]) -> Option<Event> {
    let at = t.decided_at?;
    let task = &t.task;
    let kind = decision_kind(task)?;
    let named = match kind {
        EventKind::Forwarded => created_by(task, at, all, 0),
        EventKind::Directed => created_by(task, at, all, 1),
        _ => Vec::new(),
    };
    let deadline = match kind {
        EventKind::Directed => all
            .iter()
            .find(|h| h.created_at == at && h.task.assigned_by == task.assignee)
            .and_then(|h| h.task.deadline),
        _ => None,
    };
    Some(Event {
        kind,
        at,
        actor: task.assignee,
        task: Some(task.id),
        round: task.round,
        comment: t.comment.clone(),
        deadline,
        named,
    })
}

/// What deciding `task` did, once it is decided.
pub fn decision_kind(task: &Task) -> Option<EventKind> {
    Some(match (task.status, task.action) {
        (TaskStatus::Approved, _) => EventKind::Approved,
        (TaskStatus::Returned, _) => EventKind::Returned,
        (TaskStatus::Signed, _) => EventKind::Signed,
        (TaskStatus::Forwarded, _) => EventKind::Forwarded,
        (TaskStatus::Completed, TaskAction::Direct) => EventKind::Directed,
        // Registering closes the clerks' tasks undecided; only a refusal is a decision.
        (TaskStatus::Completed, TaskAction::Receive) => EventKind::Refused,
        (TaskStatus::Cancelled, TaskAction::Receive) => EventKind::GivenBack,
        (TaskStatus::Completed, _) => EventKind::Completed,
        _ => return None,
    })
}

/// The tasks `decided` created at `at`, `steps_on` steps after its own: a forward's stand-in
/// (same step), a directive's handlers (the next step), the lead first.
fn created_by(decided: &Task, at: DateTime<Utc>, all: &[TaskRecord], steps_on: u32) -> Vec<Named> {
    let mut made: Vec<&Task> = all
        .iter()
        .filter(|t| {
            t.created_at == at
                && t.task.round == decided.round
                && t.task.step == decided.step + steps_on
                && t.task.assigned_by == decided.assignee
        })
        .map(|t| &t.task)
        .collect();
    made.sort_by_key(|t| (t.action != TaskAction::Lead, t.action.as_str()));
    made.into_iter().map(named).collect()
}

/// The statuses of the tasks another can come from (see [`origin`]): the ones at a task's
/// [`origin_places`] are all the inbox reads of its document.
pub const ORIGIN_STATUSES: [TaskStatus; 3] = [
    TaskStatus::Approved,
    TaskStatus::Completed,
    TaskStatus::Forwarded,
];

/// Where, as (round, step), the decision a task comes from can stand: the step before it (an
/// approval) and its own (a forward). See [`origin`].
pub fn origin_places(task: &Task) -> impl Iterator<Item = (u32, u32)> {
    let before = task.step.checked_sub(1);
    before
        .into_iter()
        .chain([task.step])
        .map(|step| (task.round, step))
}

/// The decision a task came from, when one was written down: the directive that assigned a
/// handler, the forward that handed a step over, the approval of the step before.
pub fn origin<'a>(task: &Task, same_document: &'a [TaskRecord]) -> Option<&'a TaskRecord> {
    same_document
        .iter()
        .filter(|r| ORIGIN_STATUSES.contains(&r.task.status))
        .filter(|r| r.task.id != task.id)
        .filter(|r| origin_places(task).any(|at| at == (r.task.round, r.task.step)))
        .filter(|r| {
            let before = r.task.step + 1 == task.step
                && matches!(r.task.status, TaskStatus::Approved | TaskStatus::Completed);
            let handed = r.task.step == task.step
                && r.task.status == TaskStatus::Forwarded
                && r.task.assignee == task.assigned_by;
            before || handed
        })
        .filter(|r| r.decided_at.is_some())
        .max_by_key(|r| r.decided_at)
}

#[cfg(test)]
mod tests;
