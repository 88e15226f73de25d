//! Table tests of the workflow: whole flows, every refusal, and two phones racing.
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

fn assign(text: &str, who: &[(Uuid, HandlerRole)], deadline: Option<DateTime<Utc>>) -> Decision {
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

fn in_review() -> Doc {
    let mut doc = Doc::new(D::Draft);
    doc.submit(&[review(HEAD), review(DEPUTY), signer(DIRECTOR)])
        .unwrap();
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

    let signed = doc.task_of(DIRECTOR).id;
    let notes = doc.apply(issue(&doc.flow()).unwrap()).unwrap();
    assert_eq!(
        (who(&notes), notes[0].task),
        (vec![(AUTHOR, N::Issued)], signed)
    );
    assert_eq!(doc.state, D::Issued);
    assert_eq!(issue(&doc.flow()), Err(E::WrongState(D::Issued)));
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
fn the_signer_may_hand_the_signature_to_the_deputy_who_reviewed_just_before() {
    let mut doc = at_signing();
    let notes = doc.decide(DIRECTOR, forward_to(HEAD)).unwrap();
    assert_eq!(who(&notes), [(HEAD, N::ReviewRequested)]);
    // Ký thay: the deputy now holds the signature step and signs it.
    doc.sign(HEAD).unwrap();
    assert_eq!(doc.state, D::Signed);
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
        ("review to previous",   in_review,  DEPUTY,   DEPUTY,   forward_to(HEAD),      forward.clone()),
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
    assert_eq!(issue(&at_signing().flow()), Err(E::WrongState(D::InReview)));
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
