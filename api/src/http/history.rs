//! The document screen's types: the document with its history, who holds it now and its
//! signatures, every person by name.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use poem_openapi::{Enum, Object, types::Example};
use serde::Serialize;
use uuid::Uuid;

use super::{
    documents::DocumentView,
    types::{OrganizationName, PersonRef, example_time, person_ref},
    written::rfc3339,
};
use crate::{
    domain::{
        history::{Event, EventKind, Named, TaskRecord},
        person::Person,
        workflow::TaskAction,
    },
    services::{history::Screen, tabs::Origin},
    store::signing::SignatureKind,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Serialize)]
#[oai(rename = "HistoryEventKind", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum HistoryKind {
    /// The draft, or the incoming document's record, was created.
    Created,
    /// Sent along a chain (`named`: the steps in order) with the author's note (`comment`);
    /// once per round.
    Submitted,
    /// A document another organisation sent arrived; its clerks (`named`) are asked to take
    /// it in.
    Arrived,
    /// An incoming document registered (`received_no`), a leader asked for a directive.
    Registered,
    /// A clerk refused to take it in; `comment` is the reason its sender reads.
    Refused,
    /// A clerk gave it back to its sender, who asked for it before it was registered;
    /// `comment` is what the clerk wrote.
    GivenBack,
    Approved,
    /// Sent back to the author; `comment` says why.
    Returned,
    /// Handed to someone else (`named`), with a `comment`.
    Forwarded,
    /// The leader's directive (`comment`), its handlers (`named`) and `deadline`.
    Directed,
    /// A handler finished; the lead's `comment` is the completion report.
    Completed,
    Signed,
    /// Numbered and dated (`symbol`, `number`, `issued_on`) and sealed.
    Issued,
}

impl From<EventKind> for HistoryKind {
    fn from(k: EventKind) -> Self {
        match k {
            EventKind::Created => Self::Created,
            EventKind::Submitted => Self::Submitted,
            EventKind::Arrived => Self::Arrived,
            EventKind::Registered => Self::Registered,
            EventKind::Refused => Self::Refused,
            EventKind::GivenBack => Self::GivenBack,
            EventKind::Approved => Self::Approved,
            EventKind::Returned => Self::Returned,
            EventKind::Forwarded => Self::Forwarded,
            EventKind::Directed => Self::Directed,
            EventKind::Completed => Self::Completed,
            EventKind::Signed => Self::Signed,
            EventKind::Issued => Self::Issued,
        }
    }
}

/// Someone an event asked to act, and what.
#[derive(Debug, Object)]
pub struct AskedPerson {
    pub person: PersonRef,
    pub action: TaskAction,
}

/// One entry of the history (luồng xử lý).
#[derive(Debug, Object)]
pub struct HistoryEntry {
    pub kind: HistoryKind,
    pub at: DateTime<Utc>,
    /// Who acted.
    pub by: PersonRef,
    /// The task decided, for decisions.
    #[oai(skip_serializing_if_is_none)]
    pub task_id: Option<Uuid>,
    /// 1 for the first submission, one more for each resubmission.
    pub round: u32,
    /// What they wrote: a comment, the reason of a return, the directive, the report.
    #[oai(skip_serializing_if_is_none)]
    pub comment: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    pub deadline: Option<DateTime<Utc>>,
    /// The chain of a submission, the leader of a registration, the stand-in of a forward,
    /// the handlers of a directive (the lead first).
    pub named: Vec<AskedPerson>,
    /// Số đến, on `registered`.
    #[oai(skip_serializing_if_is_none)]
    pub received_no: Option<i32>,
    /// Số, ký hiệu, on `issued`.
    #[oai(skip_serializing_if_is_none)]
    pub symbol: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    pub issued_on: Option<NaiveDate>,
}

/// A step waiting now, and who holds it.
#[derive(Debug, Object)]
pub struct Holding {
    pub task_id: Uuid,
    pub action: TaskAction,
    pub step: u32,
    pub holder: PersonRef,
    /// Since when it waits for them.
    pub since: DateTime<Utc>,
    #[oai(skip_serializing_if_is_none)]
    pub deadline: Option<DateTime<Utc>>,
}

impl Holding {
    /// The waiting task `t`, its holder named from `people`.
    pub fn new(t: TaskRecord, people: &HashMap<Uuid, Person>) -> Self {
        Self {
            task_id: t.task.id,
            action: t.task.action,
            step: t.task.step,
            holder: person_ref(people, t.task.assignee),
            since: t.created_at,
            deadline: t.task.deadline,
        }
    }
}

impl Example for Holding {
    fn example() -> Self {
        Self {
            task_id: Uuid::from_u128(0x7a5c_0000_0000_7000_8000_0000_0000_0002),
            action: TaskAction::Sign,
            step: 1,
            holder: PersonRef::example(),
            since: example_time(),
            deadline: Some(example_time()),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename = "SignatureKind", rename_all = "snake_case")]
pub enum SignatureKindDto {
    /// A leader's signature.
    Signer,
    /// The organisation's seal, added at issuance.
    Seal,
}

/// A signature made into the document's files (`GET /documents/{id}/signatures` checks them).
#[derive(Debug, Object)]
pub struct SignatureSummary {
    pub id: Uuid,
    pub kind: SignatureKindDto,
    /// Who signed (for a seal, the clerk who issued).
    #[oai(skip_serializing_if_is_none)]
    pub signer: Option<PersonRef>,
    pub organization: OrganizationName,
    /// The signed file version.
    pub file_id: Uuid,
    pub signed_at: DateTime<Utc>,
}

/// The document screen: the document and its files, its history oldest first, who holds it
/// now and its signatures.
#[derive(Debug, Object)]
#[oai(rename = "DocumentScreen", example)]
pub struct DocumentScreen {
    #[oai(flatten)]
    pub document: DocumentView,
    pub organization: OrganizationName,
    /// Luồng xử lý, oldest first.
    pub history: Vec<HistoryEntry>,
    /// The steps waiting now and who holds each; empty when nobody does.
    pub holders: Vec<Holding>,
    pub signatures: Vec<SignatureSummary>,
}

/// The decision a task comes from, and what its author wrote: the leader's directive for a
/// handler, the forward's comment for a stand-in, the approval of the step before.
#[derive(Debug, Object, Serialize)]
#[oai(example)]
pub struct TaskOrigin {
    /// `submitted` (the author's note, for the first step), `directed`, `forwarded` or
    /// `approved`.
    pub kind: HistoryKind,
    pub by: PersonRef,
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    #[serde(serialize_with = "rfc3339")]
    pub at: DateTime<Utc>,
}

impl From<Origin> for TaskOrigin {
    fn from(o: Origin) -> Self {
        Self {
            kind: o.kind.into(),
            by: o.by.into(),
            comment: o.comment,
            at: o.at,
        }
    }
}

impl Example for TaskOrigin {
    fn example() -> Self {
        Self {
            kind: HistoryKind::Directed,
            by: PersonRef::example(),
            comment: Some(
                "Giao Sở Thông tin và Truyền thông chủ trì, báo cáo trước ngày 15/12.".to_owned(),
            ),
            at: example_time(),
        }
    }
}

struct Names {
    people: HashMap<Uuid, Person>,
    organizations: HashMap<Uuid, String>,
}

impl Names {
    fn person(&self, id: Uuid) -> PersonRef {
        person_ref(&self.people, id)
    }

    fn organization(&self, id: Uuid) -> OrganizationName {
        OrganizationName {
            id,
            name: self.organizations.get(&id).cloned().unwrap_or_default(),
        }
    }

    fn asked(&self, n: &Named) -> AskedPerson {
        AskedPerson {
            person: self.person(n.person),
            action: n.action,
        }
    }
}

impl From<Screen> for DocumentScreen {
    fn from(s: Screen) -> Self {
        let names = Names {
            people: s.details.people.clone(),
            organizations: s.organizations,
        };
        let doc = &s.details.document;
        let organization = names.organization(doc.organization_id);
        let (received_no, symbol, issued_on) = (doc.received_no, doc.symbol.clone(), doc.issued_on);
        let history = s
            .events
            .into_iter()
            .map(|e: Event| {
                let kind = e.kind;
                HistoryEntry {
                    kind: kind.into(),
                    at: e.at,
                    by: names.person(e.actor),
                    task_id: e.task,
                    round: e.round,
                    comment: e.comment,
                    deadline: e.deadline,
                    named: e.named.iter().map(|n| names.asked(n)).collect(),
                    received_no: received_no.filter(|_| kind == EventKind::Registered),
                    symbol: symbol.clone().filter(|_| kind == EventKind::Issued),
                    issued_on: issued_on.filter(|_| kind == EventKind::Issued),
                }
            })
            .collect();
        let holders = s
            .waiting
            .into_iter()
            .map(|t| Holding::new(t, &names.people))
            .collect();
        let signatures = s
            .signatures
            .into_iter()
            .map(|sig| SignatureSummary {
                id: sig.id,
                kind: match sig.kind {
                    SignatureKind::Signer => SignatureKindDto::Signer,
                    SignatureKind::Seal => SignatureKindDto::Seal,
                },
                signer: sig.user_id.map(|u| names.person(u)),
                organization: names.organization(sig.organization_id),
                file_id: sig.file_id,
                signed_at: sig.signed_at,
            })
            .collect();
        Self {
            document: s.details.into(),
            organization,
            history,
            holders,
            signatures,
        }
    }
}

impl Example for DocumentScreen {
    fn example() -> Self {
        let document = DocumentView::example();
        let author = document.author.clone();
        let deputy = PersonRef::example();
        let task = Uuid::from_u128(0x7a5c_0000_0000_7000_8000_0000_0000_0001);
        let entry = |kind, by: &PersonRef, comment: Option<&str>, named| HistoryEntry {
            kind,
            at: example_time(),
            by: by.clone(),
            task_id: (kind != HistoryKind::Submitted).then_some(task),
            round: 1,
            comment: comment.map(str::to_owned),
            deadline: None,
            named,
            received_no: None,
            symbol: None,
            issued_on: None,
        };
        let chain = vec![AskedPerson {
            person: deputy.clone(),
            action: TaskAction::Review,
        }];
        Self {
            history: vec![
                entry(HistoryKind::Submitted, &author, None, chain),
                entry(
                    HistoryKind::Returned,
                    &deputy,
                    Some("Đề nghị bổ sung căn cứ pháp lý."),
                    Vec::new(),
                ),
            ],
            holders: Vec::new(),
            signatures: Vec::new(),
            organization: OrganizationName::example(),
            document,
        }
    }
}
