use chrono::{DateTime, Duration, TimeZone, Utc};
use uuid::Uuid;

use super::*;

fn at(minute: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 2, 0, 0).unwrap() + Duration::minutes(minute)
}

struct Rows(Vec<TaskRecord>);

impl Rows {
    #[allow(clippy::too_many_arguments)]
    fn add(
        &mut self,
        who: u128,
        by: u128,
        action: TaskAction,
        status: TaskStatus,
        (round, step): (u32, u32),
        created: i64,
        decided: Option<(i64, &str)>,
    ) -> Uuid {
        let id = Uuid::from_u128(0x7a5c_0000 + self.0.len() as u128);
        self.0.push(TaskRecord {
            task: Task {
                id,
                assignee: Uuid::from_u128(who),
                action,
                status,
                step,
                round,
                assigned_by: Uuid::from_u128(by),
                deadline: None,
            },
            comment: decided.map(|(_, c)| c.to_owned()).filter(|c| !c.is_empty()),
            decided_at: decided.map(|(m, _)| at(m)),
            created_at: at(created),
            note: None,
        });
        id
    }
}

const AUTHOR: u128 = 1;
const DEPUTY: u128 = 2;
const SECRETARY: u128 = 3;
const STAND_IN: u128 = 4;

#[test]
fn a_returned_and_resubmitted_draft_reads_in_order_with_its_comments() {
    use {TaskAction::*, TaskStatus::*};
    let mut rows = Rows(Vec::new());
    rows.add(
        DEPUTY,
        AUTHOR,
        Review,
        Returned,
        (1, 0),
        1,
        Some((5, "Bổ sung căn cứ")),
    );
    rows.add(SECRETARY, AUTHOR, Review, Cancelled, (1, 1), 1, None);
    rows.add(
        DEPUTY,
        AUTHOR,
        Review,
        Forwarded,
        (2, 0),
        10,
        Some((11, "Nhờ đồng chí xem")),
    );
    let stand_in = rows.add(
        STAND_IN,
        DEPUTY,
        Review,
        Approved,
        (2, 0),
        11,
        Some((12, "")),
    );
    let next = rows.add(
        SECRETARY,
        AUTHOR,
        Review,
        Approved,
        (2, 1),
        10,
        Some((20, "Đồng ý")),
    );

    let events = events(Uuid::from_u128(AUTHOR), at(0), &rows.0, None);
    let kinds: Vec<_> = events.iter().map(|e| e.kind).collect();
    use EventKind as K;
    assert_eq!(
        kinds,
        [
            K::Created,
            K::Submitted,
            K::Returned,
            K::Submitted,
            K::Forwarded,
            K::Approved,
            K::Approved
        ]
    );
    assert_eq!(events[1].named.len(), 2, "the first chain, both steps");
    assert_eq!(events[2].comment.as_deref(), Some("Bổ sung căn cứ"));
    assert_eq!(events[3].round, 2);
    assert_eq!(events[4].named[0].person, Uuid::from_u128(STAND_IN));
    assert_eq!(events[6].comment.as_deref(), Some("Đồng ý"));

    // The secretary's step comes after the stand-in's approval.
    let secretary = &rows.0.iter().find(|r| r.task.id == next).unwrap().task;
    assert_eq!(origin(secretary, &rows.0).unwrap().task.id, stand_in);
    let stand_in_task = &rows.0.iter().find(|r| r.task.id == stand_in).unwrap().task;
    assert_eq!(
        origin(stand_in_task, &rows.0).unwrap().comment.as_deref(),
        Some("Nhờ đồng chí xem")
    );
}

#[test]
fn a_directive_names_its_handlers_lead_first_and_the_report_follows() {
    use {TaskAction::*, TaskStatus::*};
    const CLERK: u128 = 5;
    const LEADER: u128 = 6;
    let mut rows = Rows(Vec::new());
    rows.add(
        LEADER,
        CLERK,
        Direct,
        Completed,
        (1, 0),
        1,
        Some((3, "Giao Sở chủ trì")),
    );
    rows.add(8, LEADER, Fyi, Completed, (1, 1), 3, None);
    let lead = rows.add(7, LEADER, Lead, Completed, (1, 1), 3, Some((9, "Đã xong")));

    let events = events(Uuid::from_u128(CLERK), at(0), &rows.0, None);
    let kinds: Vec<_> = events.iter().map(|e| e.kind).collect();
    use EventKind as K;
    assert_eq!(
        kinds,
        [K::Created, K::Registered, K::Directed, K::Completed]
    );
    assert_eq!(events[1].named[0].person, Uuid::from_u128(LEADER));
    let handlers: Vec<_> = events[2].named.iter().map(|n| n.action).collect();
    assert_eq!(handlers, [Lead, Fyi]);
    assert_eq!(events[3].comment.as_deref(), Some("Đã xong"));
    let lead = &rows.0.iter().find(|r| r.task.id == lead).unwrap().task;
    assert_eq!(
        origin(lead, &rows.0).unwrap().comment.as_deref(),
        Some("Giao Sở chủ trì")
    );
}

#[test]
fn a_submission_carries_the_authors_note() {
    use {TaskAction::*, TaskStatus::*};
    let mut rows = Rows(Vec::new());
    rows.add(DEPUTY, AUTHOR, Review, Waiting, (1, 0), 1, None);
    rows.add(SECRETARY, AUTHOR, Sign, Pending, (1, 1), 1, None);
    for r in &mut rows.0 {
        r.note = Some("Kính trình đồng chí xem xét.".to_owned());
    }
    let events = events(Uuid::from_u128(AUTHOR), at(0), &rows.0, None);
    assert_eq!(events[1].kind, EventKind::Submitted);
    assert_eq!(
        events[1].comment.as_deref(),
        Some("Kính trình đồng chí xem xét.")
    );
}

#[test]
fn a_task_comes_from_the_step_before_it_or_its_own() {
    let mut task = Task {
        id: Uuid::from_u128(1),
        assignee: Uuid::from_u128(2),
        action: TaskAction::Review,
        status: TaskStatus::Waiting,
        step: 3,
        round: 2,
        assigned_by: Uuid::from_u128(3),
        deadline: None,
    };
    assert_eq!(origin_places(&task).collect::<Vec<_>>(), [(2, 2), (2, 3)]);
    task.step = 0;
    assert_eq!(
        origin_places(&task).collect::<Vec<_>>(),
        [(2, 0)],
        "nothing before the first"
    );
}
