//! How a document moves, as a pure state machine: who may act on which task and what each
//! decision changes. A service loads the document's tasks, calls one function here and writes
//! the returned [`Transition`] in one transaction. Every change names the status it expects to
//! find, so a conditional `UPDATE … WHERE status = from` lets one of two racing phones win and
//! the other answer [`WorkflowError::AlreadyDecided`].
//!
//! Outgoing: [`submit`] lays out a round of review/sign tasks, [`decide`]d one at a time; the
//! last step is completed by [`sign`]. Incoming: [`register`] gives a leader a directive task,
//! whose [`Decision::Assign`] creates the handlers' tasks; the lead's [`Decision::Complete`]
//! finishes the document.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{InvalidInput, exchange::DeliveryStatus};
use WorkflowError as E;

stored_enum! {
    TaskAction as "action" {
        /// Review a draft; a head of department may pre-approve (ký nháy).
        Review = "review",
        /// Sign a draft for issuance (ký ban hành); always the last step.
        Sign = "sign",
        /// Write a directive on an incoming document and assign its handlers (bút phê).
        Direct = "direct",
        /// Handle it and report completion (chủ trì).
        Lead = "lead",
        /// Help the lead (phối hợp).
        Support = "support",
        /// Read it (để biết).
        Fyi = "fyi",
        /// Take in a document another organisation sent (tiếp nhận): register it or refuse it.
        Receive = "receive",
    }
}

stored_enum! {
    TaskStatus as "status" {
        /// A later step of its chain: not its turn yet.
        Pending = "pending",
        Waiting = "waiting",
        Approved = "approved",
        Signed = "signed",
        Returned = "returned",
        /// Handed to someone else, whose new task takes its place.
        Forwarded = "forwarded",
        Completed = "completed",
        /// A later step called off because an earlier one returned the draft.
        Cancelled = "cancelled",
    }
}

stored_enum! {
    DocumentState as "state" {
        /// Being written; an incoming document also waits here until registered.
        Draft = "draft",
        InReview = "in_review",
        Returned = "returned",
        Approved = "approved",
        Signed = "signed",
        Issued = "issued",
        Registered = "registered",
        InProgress = "in_progress",
        Done = "done",
        /// An incoming document the clerk refused to take in (từ chối tiếp nhận), with a reason.
        Refused = "refused",
        /// An incoming document its sender asked back before it was registered, and the clerk
        /// gave back (đồng ý lấy lại).
        Recalled = "recalled",
    }
}

stored_enum! {
    /// What a handler of an incoming document is asked to do.
    HandlerRole as "role" {
        Lead = "lead",
        Support = "support",
        Fyi = "fyi",
    }
}

stored_enum! {
    /// The push `type` a notification is sent with.
    NotificationKind as "type" {
        ReviewRequested = "review_requested",
        Returned = "returned",
        Assigned = "assigned",
        Signed = "signed",
        Issued = "issued",
        /// A waiting task's deadline is near (sent once per task).
        DeadlineSoon = "deadline_soon",
        /// A waiting task is past its deadline (sent once per task).
        Overdue = "overdue",
        /// Another organisation sent a document: a clerk takes it in.
        Received = "received",
        /// A recipient refused a document we sent (02).
        DeliveryRefused = "delivery_refused",
        /// A recipient completed a document we sent (06).
        DeliveryCompleted = "delivery_completed",
        /// The sender of a document waiting to be taken in asks for it back (13).
        RecallRequested = "recall_requested",
        /// A recipient answered our request for a document back (15 or 16).
        RecallAnswered = "recall_answered",
    }
}

impl HandlerRole {
    fn action(self) -> TaskAction {
        match self {
            Self::Lead => TaskAction::Lead,
            Self::Support => TaskAction::Support,
            Self::Fyi => TaskAction::Fyi,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Task {
    pub id: Uuid,
    pub assignee: Uuid,
    pub action: TaskAction,
    pub status: TaskStatus,
    /// Position in the chain from 0. A forward's replacement keeps it; an incoming document's
    /// directive is step 0 and its handlers step 1.
    pub step: u32,
    /// 1 for the first submission, one more for each resubmission; incoming documents stay at 1.
    pub round: u32,
    pub assigned_by: Uuid,
    pub deadline: Option<DateTime<Utc>>,
}

/// A document as the workflow sees it. `tasks` holds every task it has had, all rounds: earlier
/// rounds are history, and the highest round is the current one.
#[derive(Debug, Clone, Copy)]
pub struct DocumentFlow<'a> {
    /// Who drafted an outgoing document (or created the record of an incoming one).
    pub author: Uuid,
    pub state: DocumentState,
    pub tasks: &'a [Task],
}

/// One step of a submitted chain; `action` is review or sign.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    pub assignee: Uuid,
    pub action: TaskAction,
}

/// What a user answers on a waiting task. Comments and reports are not read here: the service
/// records them with the decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Approve { comment: Option<String> },
    Return { comment: String },
    Forward { to: Uuid, comment: Option<String> },
    Assign(Directive),
    Complete { report: Option<String> },
}

/// A leader's directive on an incoming document (bút phê) and who handles it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    pub text: String,
    pub assignments: Vec<Assignment>,
    /// When absent, the handlers inherit the directive task's deadline.
    pub deadline: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Assignment {
    pub user: Uuid,
    pub role: HandlerRole,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Notification {
    pub user: Uuid,
    pub kind: NotificationKind,
    /// The task the phone opens: the new one, or the decided one for `returned` and `signed`.
    pub task: Uuid,
}

/// A task's status change, to be written only if the task still has status `from`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaskUpdate {
    pub task: Uuid,
    pub assignee: Uuid,
    pub from: TaskStatus,
    pub to: TaskStatus,
}

/// The document's state change, to be written only if it is still `from`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DocumentUpdate {
    pub from: DocumentState,
    pub to: DocumentState,
}

/// Everything one command changes, to be written in one transaction or not at all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Transition {
    pub updates: Vec<TaskUpdate>,
    pub create: Vec<Task>,
    pub document: Option<DocumentUpdate>,
    pub notify: Vec<Notification>,
    /// What the actor wrote for the tasks it creates: a submission's note.
    pub note: Option<String>,
    /// What this change tells the sender of a document another organisation sent (QCVN 102
    /// status, with a refusal's reason); ignored for a document that did not arrive that way.
    pub report: Option<(DeliveryStatus, Option<String>)>,
}

impl Transition {
    /// The note written on every task this transition creates.
    pub fn with_note(mut self, note: Option<String>) -> Self {
        self.note = note;
        self
    }

    fn set(&mut self, task: &Task, to: TaskStatus) {
        self.updates.push(TaskUpdate {
            task: task.id,
            assignee: task.assignee,
            from: task.status,
            to,
        });
    }

    /// Whose badges this moves: the people whose tasks it changes or creates, and the author
    /// of a document it moves (a returned draft is on the author's).
    pub fn people(&self, author: Uuid) -> Vec<Uuid> {
        let mut people: Vec<Uuid> = self.updates.iter().map(|u| u.assignee).collect();
        people.extend(self.create.iter().map(|t| t.assignee));
        if self.document.is_some() {
            people.push(author);
        }
        people.sort_unstable();
        people.dedup();
        people
    }

    fn move_document(&mut self, flow: &DocumentFlow<'_>, to: DocumentState) {
        let from = flow.state;
        self.document = Some(DocumentUpdate { from, to });
    }

    fn notify(&mut self, user: Uuid, kind: NotificationKind, task: Uuid) {
        self.notify.push(Notification { user, kind, task });
    }

    /// A new task, announced to its assignee when it starts out waiting.
    fn create(&mut self, task: Task, kind: NotificationKind) {
        if task.status == TaskStatus::Waiting {
            self.notify(task.assignee, kind, task.id);
        }
        self.create.push(task);
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorkflowError {
    #[error("no such task on this document")]
    NoSuchTask,
    #[error("this task is assigned to someone else")]
    NotYourTask,
    #[error("an earlier step of the chain has not been decided yet")]
    NotYourTurn,
    #[error("this task has already been decided")]
    AlreadyDecided,
    #[error("this decision does not apply to this kind of task")]
    NotForThisAction,
    #[error("this step is approved by signing the document")]
    SignatureRequired,
    #[error("returning a document needs a comment saying why")]
    CommentRequired,
    #[error("refusing a document needs a reason, which its sender reads")]
    ReasonRequired,
    #[error("assigning handlers needs a directive")]
    DirectiveRequired,
    #[error("the recipient has already taken the document in or given it back")]
    TooLateToRecall,
    #[error("its sender asks for it back: agree or refuse first")]
    RecallPending,
    #[error("its sender has not asked for it back")]
    NoRecallAsked,
    #[error("only the author may submit this document")]
    NotTheAuthor,
    #[error("not possible while the document is {}", .0.as_str())]
    WrongState(DocumentState),
    #[error("the deadline has already passed")]
    DeadlinePassed,
    #[error("invalid chain: {0}")]
    InvalidChain(&'static str),
    #[error("invalid forward: {0}")]
    InvalidForward(&'static str),
    #[error("invalid assignments: {0}")]
    InvalidAssignments(&'static str),
}

/// The author sends a draft (or a returned one, revised) along a chain of reviewers.
///
/// A resubmission starts a new round from step 0: the draft changed, so earlier approvals no
/// longer cover it; they stay as history. The author may be the signer (leaders do draft what
/// they sign) but never a reviewer of their own text.
pub fn submit(
    flow: &DocumentFlow<'_>,
    actor: Uuid,
    steps: &[Step],
    deadline: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    ids: &mut impl FnMut() -> Uuid,
) -> Result<Transition, WorkflowError> {
    if actor != flow.author {
        return Err(E::NotTheAuthor);
    }
    if !matches!(flow.state, DocumentState::Draft | DocumentState::Returned) {
        return Err(E::WrongState(flow.state));
    }
    check_chain(flow.author, steps)?;
    check_deadline(deadline, now)?;
    let round = current_round(flow.tasks) + 1;
    let mut t = Transition::default();
    for (step, s) in (0..).zip(steps) {
        let status = match step {
            0 => TaskStatus::Waiting,
            _ => TaskStatus::Pending,
        };
        let task = Task {
            id: ids(),
            assignee: s.assignee,
            action: s.action,
            status,
            step,
            round,
            assigned_by: flow.author,
            deadline,
        };
        t.create(task, NotificationKind::ReviewRequested);
    }
    t.move_document(flow, DocumentState::InReview);
    Ok(t)
}

fn check_chain(author: Uuid, steps: &[Step]) -> Result<(), WorkflowError> {
    let last = steps
        .len()
        .checked_sub(1)
        .ok_or(E::InvalidChain("no steps"))?;
    for (i, s) in steps.iter().enumerate() {
        match s.action {
            TaskAction::Review if s.assignee == author => {
                return Err(E::InvalidChain("the author cannot review their own draft"));
            }
            TaskAction::Review => {}
            TaskAction::Sign if i == last => {}
            TaskAction::Sign => return Err(E::InvalidChain("only the last step may sign")),
            _ => return Err(E::InvalidChain("a step is either review or sign")),
        }
    }
    if steps.windows(2).any(|w| w[0].assignee == w[1].assignee) {
        return Err(E::InvalidChain("the same person twice in a row"));
    }
    Ok(())
}

/// A deadline someone sets now must lie ahead; one carried over may already have passed.
fn check_deadline(
    deadline: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<(), WorkflowError> {
    match deadline {
        Some(d) if d <= now => Err(E::DeadlinePassed),
        _ => Ok(()),
    }
}

fn current_round(tasks: &[Task]) -> u32 {
    tasks.iter().map(|t| t.round).max().unwrap_or(0)
}

/// A clerk registers an incoming document and sends it to a leader for a directive.
///
/// Only from `Draft`, so registering twice is refused. The deadline is not checked: it is often
/// the sender's, and a document that arrives late must still be registered.
pub fn register(
    flow: &DocumentFlow<'_>,
    clerk: Uuid,
    leader: Uuid,
    deadline: Option<DateTime<Utc>>,
    ids: &mut impl FnMut() -> Uuid,
) -> Result<Transition, WorkflowError> {
    if flow.state != DocumentState::Draft {
        return Err(E::WrongState(flow.state));
    }
    let mut t = Transition::default();
    close_receipt(flow, &mut t);
    let direct = Task {
        id: ids(),
        assignee: leader,
        action: TaskAction::Direct,
        status: TaskStatus::Waiting,
        step: 0,
        round: 1,
        assigned_by: clerk,
        deadline,
    };
    t.create(direct, NotificationKind::Assigned);
    t.move_document(flow, DocumentState::Registered);
    t.report = Some((DeliveryStatus::Registered, None));
    Ok(t)
}

/// A document another organisation sent has arrived: each of the receiving organisation's
/// clerks gets a task to take it in. The first to register or refuse it closes them all.
pub fn arrive(
    flow: &DocumentFlow<'_>,
    clerks: &[Uuid],
    ids: &mut impl FnMut() -> Uuid,
) -> Result<Transition, WorkflowError> {
    if flow.state != DocumentState::Draft || !flow.tasks.is_empty() {
        return Err(E::WrongState(flow.state));
    }
    let mut t = Transition::default();
    for &clerk in clerks {
        let receive = Task {
            id: ids(),
            assignee: clerk,
            action: TaskAction::Receive,
            status: TaskStatus::Waiting,
            step: 0,
            round: 1,
            assigned_by: flow.author,
            deadline: None,
        };
        t.create(receive, NotificationKind::Received);
    }
    Ok(t)
}

/// A clerk refuses a document another organisation sent (wrong recipient, invalid signature):
/// it is closed here, and the reason goes back to the sender.
pub fn refuse(flow: &DocumentFlow<'_>, reason: &str) -> Result<Transition, WorkflowError> {
    if flow.state != DocumentState::Draft {
        return Err(E::WrongState(flow.state));
    }
    if reason.trim().is_empty() {
        return Err(E::ReasonRequired);
    }
    let mut t = Transition::default();
    close_receipt(flow, &mut t);
    t.move_document(flow, DocumentState::Refused);
    t.report = Some((DeliveryStatus::Refused, Some(reason.trim().to_owned())));
    Ok(t)
}

/// The sender of a document waiting to be taken in asks for it back: every clerk asked to take
/// it in is told, and answers with [`give_back`] or [`keep`].
pub fn ask_back(flow: &DocumentFlow<'_>) -> Result<Transition, WorkflowError> {
    if flow.state != DocumentState::Draft {
        return Err(E::WrongState(flow.state));
    }
    let mut t = Transition::default();
    let open = |r: &&Task| r.action == TaskAction::Receive && r.status == TaskStatus::Waiting;
    for r in flow.tasks.iter().filter(open) {
        t.notify(r.assignee, NotificationKind::RecallRequested, r.id);
    }
    Ok(t)
}

/// A clerk agrees to give a document back to the sender who asked (15): it is withdrawn here,
/// never registered.
pub fn give_back(
    flow: &DocumentFlow<'_>,
    note: Option<String>,
) -> Result<Transition, WorkflowError> {
    if flow.state != DocumentState::Draft {
        return Err(E::WrongState(flow.state));
    }
    let mut t = Transition::default();
    // Called off rather than completed: the history tells a document given back from one
    // refused.
    let open = |r: &&Task| r.action == TaskAction::Receive && r.status == TaskStatus::Waiting;
    for r in flow.tasks.iter().filter(open) {
        t.set(r, TaskStatus::Cancelled);
    }
    t.move_document(flow, DocumentState::Recalled);
    t.report = Some((DeliveryStatus::RecallAgreed, note));
    Ok(t)
}

/// A clerk keeps a document its sender asked back (16): it waits to be taken in as before.
pub fn keep(flow: &DocumentFlow<'_>, reason: &str) -> Result<Transition, WorkflowError> {
    if !matches!(
        flow.state,
        DocumentState::Draft
            | DocumentState::Registered
            | DocumentState::InProgress
            | DocumentState::Done
    ) {
        return Err(E::WrongState(flow.state));
    }
    if reason.trim().is_empty() {
        return Err(E::ReasonRequired);
    }
    Ok(Transition {
        report: Some((
            DeliveryStatus::RecallRefused,
            Some(reason.trim().to_owned()),
        )),
        ..Transition::default()
    })
}

/// Registering or refusing answers every clerk's task to take the document in.
fn close_receipt(flow: &DocumentFlow<'_>, t: &mut Transition) {
    let open = |r: &&Task| r.action == TaskAction::Receive && r.status == TaskStatus::Waiting;
    for r in flow.tasks.iter().filter(open) {
        t.set(r, TaskStatus::Completed);
    }
}

/// `actor` answers their waiting task on this document.
pub fn decide(
    flow: &DocumentFlow<'_>,
    task: Uuid,
    actor: Uuid,
    decision: Decision,
    now: DateTime<Utc>,
    ids: &mut impl FnMut() -> Uuid,
) -> Result<Transition, WorkflowError> {
    use TaskAction::*;
    let task = waiting_task(flow, task, actor)?;
    let in_chain = matches!(task.action, Review | Sign);
    match &decision {
        Decision::Approve { .. } if task.action == Review => Ok(approve(flow, task)),
        Decision::Approve { .. } if task.action == Sign => Err(E::SignatureRequired),
        Decision::Return { comment } if in_chain => send_back(flow, task, comment),
        Decision::Forward { to, .. } if in_chain => forward(flow, task, *to, ids),
        Decision::Assign(d) if task.action == Direct => assign(flow, task, d, now, ids),
        Decision::Complete { .. } if matches!(task.action, Lead | Support | Fyi) => {
            Ok(complete(flow, task))
        }
        _ => Err(E::NotForThisAction),
    }
}

/// The signing flow completes a waiting sign task once the signature is in the PDF.
pub fn sign(flow: &DocumentFlow<'_>, task: Uuid, actor: Uuid) -> Result<Transition, WorkflowError> {
    let task = waiting_task(flow, task, actor)?;
    if task.action != TaskAction::Sign {
        return Err(E::NotForThisAction);
    }
    let mut t = Transition::default();
    t.set(task, TaskStatus::Signed);
    // The sign step is always the last, so the signature finishes the round.
    t.move_document(flow, DocumentState::Signed);
    t.notify(flow.author, NotificationKind::Signed, task.id);
    Ok(t)
}

/// A clerk issues a signed draft (phát hành): the service gives it its number. The author is
/// told, pointed at the signature that made it possible.
pub fn issue(flow: &DocumentFlow<'_>) -> Result<Transition, WorkflowError> {
    if flow.state != DocumentState::Signed {
        return Err(E::WrongState(flow.state));
    }
    let round = current_round(flow.tasks);
    let signed = flow
        .tasks
        .iter()
        .find(|t| t.round == round && t.status == TaskStatus::Signed)
        .ok_or(E::WrongState(flow.state))?;
    let mut t = Transition::default();
    t.move_document(flow, DocumentState::Issued);
    t.notify(flow.author, NotificationKind::Issued, signed.id);
    Ok(t)
}

/// The task `actor` may decide now. Ownership is checked before status, so someone else's task
/// reveals nothing about its progress.
fn waiting_task<'a>(
    flow: &DocumentFlow<'a>,
    id: Uuid,
    actor: Uuid,
) -> Result<&'a Task, WorkflowError> {
    let task = flow
        .tasks
        .iter()
        .find(|t| t.id == id)
        .ok_or(E::NoSuchTask)?;
    if task.assignee != actor {
        return Err(E::NotYourTask);
    }
    match task.status {
        TaskStatus::Pending => Err(E::NotYourTurn),
        TaskStatus::Waiting if task.round == current_round(flow.tasks) => Ok(task),
        // Anything else was decided, or overtaken by a newer round.
        _ => Err(E::AlreadyDecided),
    }
}

fn approve(flow: &DocumentFlow<'_>, task: &Task) -> Transition {
    let mut t = Transition::default();
    t.set(task, TaskStatus::Approved);
    let next = flow.tasks.iter().find(|n| {
        n.round == task.round && n.step == task.step + 1 && n.status == TaskStatus::Pending
    });
    match next {
        Some(next) => {
            t.set(next, TaskStatus::Waiting);
            t.notify(next.assignee, NotificationKind::ReviewRequested, next.id);
        }
        None => t.move_document(flow, DocumentState::Approved),
    }
    t
}

fn send_back(
    flow: &DocumentFlow<'_>,
    task: &Task,
    comment: &str,
) -> Result<Transition, WorkflowError> {
    if comment.trim().is_empty() {
        return Err(E::CommentRequired);
    }
    let mut t = Transition::default();
    t.set(task, TaskStatus::Returned);
    let later = |p: &&Task| p.round == task.round && p.status == TaskStatus::Pending;
    for p in flow.tasks.iter().filter(later) {
        t.set(p, TaskStatus::Cancelled);
    }
    t.move_document(flow, DocumentState::Returned);
    t.notify(flow.author, NotificationKind::Returned, task.id);
    Ok(t)
}

/// Someone takes the actor's place in the chain (a deputy, when away), under the rules of a
/// submitted chain: not the author, and not whoever holds the step just before or after, but
/// for the signer handing the signature to the deputy who reviewed just before (ký thay, KT.),
/// the everyday case.
fn forward(
    flow: &DocumentFlow<'_>,
    task: &Task,
    to: Uuid,
    ids: &mut impl FnMut() -> Uuid,
) -> Result<Transition, WorkflowError> {
    if to == task.assignee {
        return Err(E::InvalidForward("forward to someone else"));
    }
    if to == flow.author {
        return Err(E::InvalidForward(
            "the author cannot decide on their own draft",
        ));
    }
    let signs_on_behalf = |n: &Task| {
        task.action == TaskAction::Sign
            && n.step + 1 == task.step
            && n.status == TaskStatus::Approved
    };
    let neighbour = |n: &Task| {
        n.round == task.round
            && n.step.abs_diff(task.step) == 1
            && matches!(n.status, TaskStatus::Approved | TaskStatus::Pending)
            && !signs_on_behalf(n)
    };
    if flow.tasks.iter().any(|n| neighbour(n) && n.assignee == to) {
        return Err(E::InvalidForward("they hold the step just before or after"));
    }
    let mut t = Transition::default();
    t.set(task, TaskStatus::Forwarded);
    let stand_in = Task {
        id: ids(),
        assignee: to,
        status: TaskStatus::Waiting,
        assigned_by: task.assignee,
        ..task.clone()
    };
    t.create(stand_in, NotificationKind::ReviewRequested);
    Ok(t)
}

/// The leader's directive hands the document to its handlers. The leader is never one of them:
/// a directive delegates, and the lead is who answers for the result.
fn assign(
    flow: &DocumentFlow<'_>,
    direct: &Task,
    directive: &Directive,
    now: DateTime<Utc>,
    ids: &mut impl FnMut() -> Uuid,
) -> Result<Transition, WorkflowError> {
    if directive.text.trim().is_empty() {
        return Err(E::DirectiveRequired);
    }
    let people = &directive.assignments;
    let leads = people.iter().filter(|a| a.role == HandlerRole::Lead);
    if leads.count() != 1 {
        return Err(E::InvalidAssignments("exactly one lead is needed"));
    }
    if people.iter().any(|a| a.user == direct.assignee) {
        return Err(E::InvalidAssignments("the leader cannot assign themself"));
    }
    let mut seen = HashSet::new();
    if !people.iter().all(|a| seen.insert(a.user)) {
        return Err(E::InvalidAssignments("someone is assigned twice"));
    }
    check_deadline(directive.deadline, now)?;
    let mut t = Transition::default();
    t.set(direct, TaskStatus::Completed);
    for a in people {
        let task = Task {
            id: ids(),
            assignee: a.user,
            action: a.role.action(),
            status: TaskStatus::Waiting,
            step: direct.step + 1,
            round: direct.round,
            assigned_by: direct.assignee,
            deadline: directive.deadline.or(direct.deadline),
        };
        t.create(task, NotificationKind::Assigned);
    }
    t.move_document(flow, DocumentState::InProgress);
    t.report = Some((DeliveryStatus::Assigned, None));
    Ok(t)
}

/// The lead's report finishes the document, and with it whatever co-handlers and readers left
/// open. A co-handler or reader completing only acknowledges their own part.
fn complete(flow: &DocumentFlow<'_>, task: &Task) -> Transition {
    let mut t = Transition::default();
    t.set(task, TaskStatus::Completed);
    if task.action == TaskAction::Lead {
        let open = |o: &&Task| {
            o.status == TaskStatus::Waiting
                && matches!(o.action, TaskAction::Support | TaskAction::Fyi)
        };
        for o in flow.tasks.iter().filter(open) {
            t.set(o, TaskStatus::Completed);
        }
        t.move_document(flow, DocumentState::Done);
        t.report = Some((DeliveryStatus::Completed, None));
    } else if task.action == TaskAction::Support {
        // A co-handler's part done is the first sign of handling the sender sees (05); a
        // later one repeats it, which the sender's side drops.
        t.report = Some((DeliveryStatus::InProgress, None));
    }
    t
}

#[cfg(test)]
mod tests;
