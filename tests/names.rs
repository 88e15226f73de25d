//! Every person a screen draws has a name: the tasks a decision answers, the inbox's tasks,
//! document rows and file versions; and the author's note on a submission reaches the history
//! and the first reviewer.

use serde_json::{Value, json};

use crate::{
    helpers::{Backend, TestApp, on_both_databases, pdf, spawn_app},
    people::{Province, province},
};

on_both_databases!(tasks_documents_and_files_name_their_people_and_the_note_reaches_the_reviewer);

/// "Name — title", as a row of the app reads.
fn said(person: &Value) -> String {
    format!(
        "{} — {}",
        person["full_name"].as_str().unwrap(),
        person["title"].as_str().unwrap()
    )
}

const HOA: &str = "Lê Thị Hoa — Chuyên viên";
const TAN: &str = "Phạm Minh Tấn — Phó Bí thư Thường trực";
const HUY: &str = "Đỗ Quang Huy — Phó Bí thư, Chủ tịch HĐND tỉnh";

/// The specialist's draft, submitted to the deputy then the secretary with `note`.
pub(crate) async fn submitted_draft(app: &TestApp, p: &Province, note: &str) -> String {
    let draft = app
        .upload(
            &p.specialist.1.access,
            json!({"direction": "outgoing", "doc_type": "TTr", "urgency": "urgent", "confidentiality": "none",
                   "summary": "Tờ trình về Kế hoạch chuyển đổi số năm 2027"}),
            vec![("du-thao.pdf", pdf("Du thao"))],
        )
        .await;
    let doc = draft.ok()["id"].as_str().unwrap().to_owned();
    app.post(
        &format!("/api/v1/documents/{doc}/submit"),
        Some(&p.specialist.1.access),
        json!({"note": note, "steps": [
            {"user_id": p.deputy.0, "action": "review"},
            {"user_id": p.secretary.0, "action": "review"},
        ]}),
    )
    .await
    .ok();
    doc
}

async fn tasks_documents_and_files_name_their_people_and_the_note_reaches_the_reviewer(
    db: Backend,
) {
    let app = spawn_app(db).await;
    let p = province(&app).await;
    let (specialist, deputy, secretary) = (&p.specialist.1, &p.deputy.1, &p.secretary.1);
    let note = "Kính trình đồng chí xem xét, cho ý kiến.";
    let doc = submitted_draft(&app, &p, note).await;

    // The document screen and the list name the author and each file's uploader.
    let screen = app
        .get(&format!("/api/v1/documents/{doc}"), &specialist.access)
        .await;
    let screen = screen.ok();
    assert_eq!(said(&screen["author"]), HOA);
    assert_eq!(screen["author"]["id"], screen["author_id"]);
    assert_eq!(said(&screen["files"][0]["uploader"]), HOA);
    assert_eq!(screen["files"][0]["uploader"]["id"], p.specialist.0);
    let submitted = &screen["history"][1];
    assert_eq!(submitted["kind"], "submitted");
    assert_eq!(submitted["comment"], note);
    let listed = app.get("/api/v1/documents", &deputy.access).await;
    let row = &listed.ok()["items"][0];
    assert_eq!(row["id"], doc.as_str());
    assert_eq!(said(&row["author"]), HOA);

    // The first reviewer's row: the task names both people, and says what the author wrote.
    let inbox = app.get("/api/v1/inbox", &deputy.access).await;
    let row = &inbox.ok()["items"][0];
    assert_eq!(said(&row["task"]["assignee"]), TAN);
    assert_eq!(said(&row["task"]["assigner"]), HOA);
    assert_eq!(row["task"]["assigned_by"], p.specialist.0);
    assert_eq!(row["about"]["kind"], "submitted");
    assert_eq!(row["about"]["comment"], note);
    assert_eq!(said(&row["about"]["by"]), HOA);
    let task = row["task"]["id"].as_str().unwrap().to_owned();

    // A decision answers the task with its people by name.
    let approved = app
        .post(
            &format!("/api/v1/tasks/{task}/approve"),
            Some(&deputy.access),
            json!({"comment": "Đồng ý."}),
        )
        .await;
    let approved = approved.ok();
    assert_eq!(approved["status"], "approved");
    assert_eq!(said(&approved["assignee"]), TAN);
    assert_eq!(said(&approved["assigner"]), HOA);

    // The next reviewer's row comes from that approval, not the note.
    let inbox = app.get("/api/v1/inbox", &secretary.access).await;
    let row = &inbox.ok()["items"][0];
    assert_eq!(row["about"]["kind"], "approved");
    assert_eq!(said(&row["about"]["by"]), TAN);

    // The server remembers the names it showed; an appointment shows on the next read all the
    // same.
    let appointed = json!({"title": "Bí thư Tỉnh ủy"});
    app.patch(
        &format!("/api/v1/admin/users/{}", p.deputy.0),
        &p.admin.access,
        appointed,
    )
    .await
    .ok();
    let inbox = app.get("/api/v1/inbox", &secretary.access).await;
    let row = &inbox.ok()["items"][0];
    assert_eq!(said(&row["about"]["by"]), "Phạm Minh Tấn — Bí thư Tỉnh ủy");
    let task = row["task"]["id"].as_str().unwrap();

    // So does a batch, each approved task named.
    let batch = app
        .post(
            "/api/v1/tasks/approve",
            Some(&secretary.access),
            json!({"items": [{"task_id": task}]}),
        )
        .await;
    let result = &batch.ok()["results"][0];
    assert_eq!(result["outcome"], "approved");
    assert_eq!(said(&result["task"]["assignee"]), HUY);
    assert_eq!(said(&result["task"]["assigner"]), HOA);
}
