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

use super::InvalidInput;
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
}

impl Transition {
    fn set(&mut self, task: &Task, to: TaskStatus) {
        let (task, from) = (task.id, task.status);
        self.updates.push(TaskUpdate { task, from, to });
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
    #[error("assigning handlers needs a directive")]
    DirectiveRequired,
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
    Ok(t)
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
/// submitted chain: not the author, and not whoever holds the step just before or after.
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
    let neighbour = |n: &Task| {
        n.round == task.round
            && n.step.abs_diff(task.step) == 1
            && matches!(n.status, TaskStatus::Approved | TaskStatus::Pending)
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
    }
    t
}

#[cfg(test)]
mod tests {
    use std::{cell::Cell, mem::discriminant};

    use chrono::{Duration, TimeZone};

    use super::*;
    use {DocumentState as D, HandlerRole::*, NotificationKind as N, TaskStatus as S};

    const AUTHOR: Uuid = Uuid::from_u128(0xA0);
    const HEAD: Uuid = Uuid::from_u128(0xA1);
    const DEPUTY: Uuid = Uuid::from_u128(0xA2);
    const DIRECTOR: Uuid = Uuid::from_u128(0xA3);
    const CLERK: Uuid = Uuid::from_u128(0xA4);
    const LEADER: Uuid = Uuid::from_u128(0xA5);
    const HELPER: Uuid = Uuid::from_u128(0xA6);
    const READER: Uuid = Uuid::from_u128(0xA7);

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, 2, 0, 0).unwrap()
    }

    fn in_days(days: i64) -> Option<DateTime<Utc>> {
        Some(now() + Duration::days(days))
    }

    /// A document changed only as the service changes it: a transition is written whole, and
    /// only if every status it expects is still there.
    struct Doc {
        state: DocumentState,
        tasks: Vec<Task>,
        last_id: Cell<u128>,
    }

    impl Doc {
        fn new(state: DocumentState) -> Self {
            let (tasks, last_id) = (Vec::new(), Cell::new(0));
            Self {
                state,
                tasks,
                last_id,
            }
        }

        fn flow(&self) -> DocumentFlow<'_> {
            DocumentFlow {
                author: AUTHOR,
                state: self.state,
                tasks: &self.tasks,
            }
        }

        fn id(&self) -> Uuid {
            self.last_id.set(self.last_id.get() + 1);
            Uuid::from_u128(self.last_id.get())
        }

        fn submit(&mut self, steps: &[Step]) -> Result<Vec<Notification>, WorkflowError> {
            let ids = &mut || self.id();
            let t = submit(&self.flow(), AUTHOR, steps, in_days(7), now(), ids)?;
            self.apply(t)
        }

        fn register(&mut self) -> Result<Vec<Notification>, WorkflowError> {
            let ids = &mut || self.id();
            let t = register(&self.flow(), CLERK, DIRECTOR, in_days(10), ids)?;
            self.apply(t)
        }

        fn decide(&mut self, who: Uuid, d: Decision) -> Result<Vec<Notification>, WorkflowError> {
            let task = self.task_of(who).id;
            let t = decide(&self.flow(), task, who, d, now(), &mut || self.id())?;
            self.apply(t)
        }

        fn sign(&mut self, who: Uuid) -> Result<Vec<Notification>, WorkflowError> {
            let t = sign(&self.flow(), self.task_of(who).id, who)?;
            self.apply(t)
        }

        fn apply(&mut self, t: Transition) -> Result<Vec<Notification>, WorkflowError> {
            let stale = t.updates.iter().any(|u| self.task(u.task).status != u.from)
                || t.document.is_some_and(|d| d.from != self.state);
            if stale {
                return Err(E::AlreadyDecided);
            }
            for u in &t.updates {
                self.tasks
                    .iter_mut()
                    .find(|x| x.id == u.task)
                    .unwrap()
                    .status = u.to;
            }
            self.state = t.document.map_or(self.state, |d| d.to);
            self.tasks.extend(t.create);
            Ok(t.notify)
        }

        fn task(&self, id: Uuid) -> &Task {
            self.tasks.iter().find(|t| t.id == id).unwrap()
        }

        /// The user's newest task.
        fn task_of(&self, user: Uuid) -> &Task {
            self.tasks
                .iter()
                .rev()
                .find(|t| t.assignee == user)
                .unwrap()
        }

        fn statuses(&self) -> Vec<(Uuid, TaskStatus, u32)> {
            self.tasks
                .iter()
                .map(|t| (t.assignee, t.status, t.round))
                .collect()
        }
    }

    fn who(notes: &[Notification]) -> Vec<(Uuid, NotificationKind)> {
        notes.iter().map(|n| (n.user, n.kind)).collect()
    }

    fn review(assignee: Uuid) -> Step {
        Step {
            assignee,
            action: TaskAction::Review,
        }
    }

    fn signer(assignee: Uuid) -> Step {
        Step {
            assignee,
            action: TaskAction::Sign,
        }
    }

    fn approve() -> Decision {
        Decision::Approve { comment: None }
    }

    fn give_back(comment: &str) -> Decision {
        Decision::Return {
            comment: comment.into(),
        }
    }

    fn forward_to(to: Uuid) -> Decision {
        Decision::Forward { to, comment: None }
    }

    fn complete() -> Decision {
        Decision::Complete { report: None }
    }

    fn assign(
        text: &str,
        who: &[(Uuid, HandlerRole)],
        deadline: Option<DateTime<Utc>>,
    ) -> Decision {
        let assignments = who
            .iter()
            .map(|&(user, role)| Assignment { user, role })
            .collect();
        Decision::Assign(Directive {
            text: text.into(),
            assignments,
            deadline,
        })
    }

    fn handlers() -> Decision {
        let who = [(LEADER, Lead), (HELPER, Support), (READER, Fyi)];
        assign("Giao Văn phòng chủ trì, tham mưu trả lời", &who, in_days(5))
    }

    fn submitted() -> Doc {
        let mut doc = Doc::new(D::Draft);
        doc.submit(&[review(HEAD), signer(DIRECTOR)]).unwrap();
        doc
    }

    fn at_signing() -> Doc {
        let mut doc = submitted();
        doc.decide(HEAD, approve()).unwrap();
        doc
    }

    fn registered() -> Doc {
        let mut doc = Doc::new(D::Draft);
        doc.register().unwrap();
        doc
    }

    fn assigned() -> Doc {
        let mut doc = registered();
        doc.decide(DIRECTOR, handlers()).unwrap();
        doc
    }

    #[test]
    fn a_draft_is_returned_resubmitted_and_signed() {
        let chain = [review(HEAD), signer(DIRECTOR)];
        let mut doc = Doc::new(D::Draft);
        assert_eq!(
            who(&doc.submit(&chain).unwrap()),
            [(HEAD, N::ReviewRequested)]
        );
        assert_eq!(doc.state, D::InReview);
        assert_eq!(
            doc.statuses(),
            [(HEAD, S::Waiting, 1), (DIRECTOR, S::Pending, 1)]
        );

        let notes = doc
            .decide(HEAD, give_back("Bổ sung căn cứ pháp lý"))
            .unwrap();
        let returned = doc.task_of(HEAD).id;
        assert_eq!(
            (who(&notes), notes[0].task),
            (vec![(AUTHOR, N::Returned)], returned)
        );
        assert_eq!(doc.state, D::Returned);
        assert_eq!(
            doc.statuses(),
            [(HEAD, S::Returned, 1), (DIRECTOR, S::Cancelled, 1)]
        );

        // A new round; the first stays as history.
        doc.submit(&chain).unwrap();
        assert_eq!(
            doc.statuses()[2..],
            [(HEAD, S::Waiting, 2), (DIRECTOR, S::Pending, 2)]
        );
        let notes = doc.decide(HEAD, approve()).unwrap();
        assert_eq!(who(&notes), [(DIRECTOR, N::ReviewRequested)]);
        assert_eq!(notes[0].task, doc.task_of(DIRECTOR).id);
        assert_eq!(doc.state, D::InReview);

        assert_eq!(who(&doc.sign(DIRECTOR).unwrap()), [(AUTHOR, N::Signed)]);
        assert_eq!(doc.state, D::Signed);
        assert_eq!(
            doc.statuses()[2..],
            [(HEAD, S::Approved, 2), (DIRECTOR, S::Signed, 2)]
        );
        assert_eq!(
            doc.statuses()[..2],
            [(HEAD, S::Returned, 1), (DIRECTOR, S::Cancelled, 1)]
        );
    }

    #[test]
    fn an_incoming_document_is_directed_and_completed() {
        let mut doc = Doc::new(D::Draft);
        assert_eq!(who(&doc.register().unwrap()), [(DIRECTOR, N::Assigned)]);
        assert_eq!(doc.state, D::Registered);
        let direct = doc.task_of(DIRECTOR).clone();
        assert_eq!(
            (direct.action, direct.assigned_by),
            (TaskAction::Direct, CLERK)
        );

        let notes = doc.decide(DIRECTOR, handlers()).unwrap();
        let assigned = [
            (LEADER, N::Assigned),
            (HELPER, N::Assigned),
            (READER, N::Assigned),
        ];
        assert_eq!(who(&notes), assigned);
        assert_eq!(doc.state, D::InProgress);
        assert_eq!(doc.task(direct.id).status, S::Completed);
        let lead = doc.task_of(LEADER).clone();
        assert_eq!(
            (lead.action, lead.assigned_by),
            (TaskAction::Lead, DIRECTOR)
        );
        assert_eq!(lead.deadline, in_days(5), "the directive's deadline wins");

        // A reader acknowledging changes only their own task.
        assert!(doc.decide(READER, complete()).unwrap().is_empty());
        assert_eq!(
            (doc.state, doc.task_of(HELPER).status),
            (D::InProgress, S::Waiting)
        );

        doc.decide(LEADER, complete()).unwrap();
        assert_eq!(doc.state, D::Done);
        for user in [LEADER, HELPER, READER] {
            assert_eq!(doc.task_of(user).status, S::Completed);
        }
    }

    #[test]
    fn handlers_inherit_the_directive_task_deadline_when_none_is_given() {
        let mut doc = registered();
        doc.decide(DIRECTOR, assign("Xử lý", &[(LEADER, Lead)], None))
            .unwrap();
        assert_eq!(doc.task_of(LEADER).deadline, in_days(10));
    }

    #[test]
    fn a_forwarded_step_is_decided_by_the_stand_in() {
        let mut doc = Doc::new(D::Draft);
        doc.submit(&[review(HEAD)]).unwrap();
        let original = doc.task_of(HEAD).clone();

        let notes = doc.decide(HEAD, forward_to(DEPUTY)).unwrap();
        assert_eq!(who(&notes), [(DEPUTY, N::ReviewRequested)]);
        assert_eq!(doc.task(original.id).status, S::Forwarded);
        // Same step, round, action and deadline: only the person changes.
        let stand_in = Task {
            id: doc.task_of(DEPUTY).id,
            assignee: DEPUTY,
            status: S::Waiting,
            assigned_by: HEAD,
            ..original
        };
        assert_eq!(doc.task_of(DEPUTY), &stand_in);
        assert_eq!(doc.decide(HEAD, approve()), Err(E::AlreadyDecided));

        // The only step approved: the document is approved, with no one to ask next.
        assert!(doc.decide(DEPUTY, approve()).unwrap().is_empty());
        assert_eq!(doc.state, D::Approved);
    }

    #[test]
    fn a_second_decision_on_a_task_is_already_decided() {
        let mut doc = submitted();
        let task = doc.task_of(HEAD).id;
        // Two phones load the same tasks and both decide; the first write wins.
        let flow = doc.flow();
        let first = decide(&flow, task, HEAD, approve(), now(), &mut || doc.id()).unwrap();
        let (ids, no) = (&mut || doc.id(), give_back("Chưa đạt"));
        let second = decide(&flow, task, HEAD, no, now(), ids);
        doc.apply(first).unwrap();
        assert_eq!(doc.apply(second.unwrap()), Err(E::AlreadyDecided));
        // A phone that loads after the first write is refused up front.
        assert_eq!(doc.decide(HEAD, approve()), Err(E::AlreadyDecided));
        assert_eq!(
            doc.decide(HEAD, give_back("Chưa đạt")),
            Err(E::AlreadyDecided)
        );
    }

    #[test]
    fn submit_refusals() {
        let past = Some(now() - Duration::hours(1));
        let direct = Step {
            assignee: HEAD,
            action: TaskAction::Direct,
        };
        let chain = E::InvalidChain("");
        #[rustfmt::skip]
        let rows = [
            ("not the author",  D::Draft,    HEAD,   vec![review(HEAD)],                     None, E::NotTheAuthor),
            ("already in review", D::InReview, AUTHOR, vec![review(HEAD)],                   None, E::WrongState(D::InReview)),
            ("no steps",        D::Draft,    AUTHOR, vec![],                                 None, chain.clone()),
            ("not review/sign", D::Draft,    AUTHOR, vec![direct],                           None, chain.clone()),
            ("sign not last",   D::Draft,    AUTHOR, vec![signer(DIRECTOR), review(HEAD)],   None, chain.clone()),
            ("two signers",     D::Draft,    AUTHOR, vec![signer(HEAD), signer(DIRECTOR)],   None, chain.clone()),
            ("author reviews",  D::Returned, AUTHOR, vec![review(AUTHOR), signer(DIRECTOR)], None, chain.clone()),
            ("twice in a row",  D::Draft,    AUTHOR, vec![review(HEAD), signer(HEAD)],       None, chain.clone()),
            ("deadline passed", D::Draft,    AUTHOR, vec![review(HEAD)],                     past, E::DeadlinePassed),
        ];
        for (name, state, actor, steps, deadline, expected) in rows {
            let doc = Doc::new(state);
            let ids = &mut || doc.id();
            let got = submit(&doc.flow(), actor, &steps, deadline, now(), ids);
            let err = got.expect_err(name);
            assert_eq!(discriminant(&err), discriminant(&expected), "{name}: {err}");
        }
        // The author may sign what they drafted.
        assert!(
            Doc::new(D::Draft)
                .submit(&[review(HEAD), signer(AUTHOR)])
                .is_ok()
        );
    }

    type Case = (
        &'static str,
        fn() -> Doc,
        Uuid,
        Uuid,
        Decision,
        WorkflowError,
    );

    #[test]
    fn decide_refusals() {
        let directive = |who: &[(Uuid, HandlerRole)]| assign("Xử lý", who, None);
        let late = assign("Xử lý", &[(LEADER, Lead)], Some(now() - Duration::days(1)));
        let (wrong, forward) = (E::NotForThisAction, E::InvalidForward(""));
        let handlers_error = E::InvalidAssignments("");
        // (what, fixture, whose task, who acts, decision, refusal)
        #[rustfmt::skip]
        let cases: [Case; 23] = [
            ("someone else's",       submitted,  HEAD,     DEPUTY,   approve(),             E::NotYourTask),
            ("not yet its turn",     submitted,  DIRECTOR, DIRECTOR, approve(),             E::NotYourTurn),
            ("blank return",         submitted,  HEAD,     HEAD,     give_back(" \n"),      E::CommentRequired),
            ("forward to self",      submitted,  HEAD,     HEAD,     forward_to(HEAD),      forward.clone()),
            ("forward to author",    submitted,  HEAD,     HEAD,     forward_to(AUTHOR),    forward.clone()),
            ("forward to next",      submitted,  HEAD,     HEAD,     forward_to(DIRECTOR),  forward.clone()),
            ("forward to previous",  at_signing, DIRECTOR, DIRECTOR, forward_to(HEAD),      forward.clone()),
            ("approve a signature",  at_signing, DIRECTOR, DIRECTOR, approve(),             E::SignatureRequired),
            ("assign a review",      submitted,  HEAD,     HEAD,     handlers(),            wrong.clone()),
            ("complete a review",    submitted,  HEAD,     HEAD,     complete(),            wrong.clone()),
            ("approve a directive",  registered, DIRECTOR, DIRECTOR, approve(),             wrong.clone()),
            ("return a directive",   registered, DIRECTOR, DIRECTOR, give_back("Sai nơi"),  wrong.clone()),
            ("forward a directive",  registered, DIRECTOR, DIRECTOR, forward_to(DEPUTY),    wrong.clone()),
            ("complete a directive", registered, DIRECTOR, DIRECTOR, complete(),            wrong.clone()),
            ("blank directive",      registered, DIRECTOR, DIRECTOR, assign(" ", &[(LEADER, Lead)], None), E::DirectiveRequired),
            ("no lead",              registered, DIRECTOR, DIRECTOR, directive(&[(HELPER, Support)]), handlers_error.clone()),
            ("two leads",            registered, DIRECTOR, DIRECTOR, directive(&[(LEADER, Lead), (HELPER, Lead)]), handlers_error.clone()),
            ("assigned twice",       registered, DIRECTOR, DIRECTOR, directive(&[(LEADER, Lead), (LEADER, Fyi)]), handlers_error.clone()),
            ("leader as a handler",  registered, DIRECTOR, DIRECTOR, directive(&[(HELPER, Lead), (DIRECTOR, Fyi)]), handlers_error.clone()),
            ("deadline passed",      registered, DIRECTOR, DIRECTOR, late,                  E::DeadlinePassed),
            ("approve handling",     assigned,   LEADER,   LEADER,   approve(),             wrong.clone()),
            ("forward handling",     assigned,   HELPER,   HELPER,   forward_to(DEPUTY),    wrong.clone()),
            ("assign again",         assigned,   DIRECTOR, DIRECTOR, handlers(),            E::AlreadyDecided),
        ];
        for (name, fixture, owner, actor, decision, expected) in cases {
            let doc = fixture();
            let task = doc.task_of(owner).id;
            let got = decide(&doc.flow(), task, actor, decision, now(), &mut || doc.id());
            let err = got.expect_err(name);
            assert_eq!(discriminant(&err), discriminant(&expected), "{name}: {err}");
        }
        let doc = submitted();
        let nil = Uuid::nil();
        let unknown = decide(&doc.flow(), nil, HEAD, approve(), now(), &mut || doc.id());
        assert_eq!(unknown, Err(E::NoSuchTask));
    }

    #[test]
    fn sign_and_register_refusals() {
        assert_eq!(submitted().sign(HEAD), Err(E::NotForThisAction));
        assert_eq!(submitted().sign(DIRECTOR), Err(E::NotYourTurn));
        assert_eq!(registered().register(), Err(E::WrongState(D::Registered)));
    }

    #[test]
    fn stored_names_round_trip() {
        for a in TaskAction::ALL {
            assert_eq!(TaskAction::parse(a.as_str()), Ok(*a));
        }
        for s in TaskStatus::ALL {
            assert_eq!(TaskStatus::parse(s.as_str()), Ok(*s));
        }
        for d in DocumentState::ALL {
            assert_eq!(DocumentState::parse(d.as_str()), Ok(*d));
        }
        assert_eq!(DocumentState::InProgress.as_str(), "in_progress");
        assert_eq!(
            NotificationKind::ReviewRequested.as_str(),
            "review_requested"
        );
        assert!(TaskStatus::parse("Waiting").is_err());
    }
}
