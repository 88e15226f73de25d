//! The change feed: after each step of a document's way, each person's feed holds exactly the
//! documents that changed for them and their tasks on them, and nothing when nothing changed;
//! another agency's people never see the document there.

use serde_json::{Value, json};

use crate::{
    helpers::{Backend, TestApp, Tokens, on_both_databases, pdf, spawn_app},
    people::province,
};

on_both_databases!(the_feed_returns_exactly_what_changed_for_each_person);

/// A phone's view of the feed: its token and where it last read.
struct Phone<'a> {
    tokens: &'a Tokens,
    cursor: String,
}

impl<'a> Phone<'a> {
    async fn start(app: &TestApp, tokens: &'a Tokens) -> Self {
        let first = app.get("/api/v1/sync", &tokens.access).await;
        let first = first.ok();
        assert_eq!(first["documents"], json!([]), "no cursor, no changes");
        Self {
            tokens,
            cursor: first["cursor"].as_str().unwrap().to_owned(),
        }
    }

    /// What changed since the last read: the documents (id, state) and my tasks (status).
    async fn changes(&mut self, app: &TestApp) -> (Vec<(String, String)>, Vec<String>, Value) {
        let path = format!("/api/v1/sync?cursor={}", self.cursor);
        let page = app.get(&path, &self.tokens.access).await;
        let page = page.ok().clone();
        assert_eq!(page["more"], false);
        self.cursor = page["cursor"].as_str().unwrap().to_owned();
        let documents = page["documents"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                let d = &r["document"];
                (
                    d["id"].as_str().unwrap().to_owned(),
                    d["state"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        let tasks = page["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["status"].as_str().unwrap().to_owned())
            .collect();
        (documents, tasks, page)
    }

    async fn nothing(&mut self, app: &TestApp) {
        let (documents, tasks, page) = self.changes(app).await;
        assert!(documents.is_empty() && tasks.is_empty(), "{page}");
        assert_eq!(page["removed"], json!([]));
    }
}

async fn the_feed_returns_exactly_what_changed_for_each_person(db: Backend) {
    let app = spawn_app(db).await;
    let p = province(&app).await;
    let mut author = Phone::start(&app, &p.specialist.1).await;
    let mut deputy = Phone::start(&app, &p.deputy.1).await;
    let mut secretary = Phone::start(&app, &p.secretary.1).await;
    let mut outsider = Phone::start(&app, &p.outsider.1).await;
    let doc_in = |state: &str, doc: &str| vec![(doc.to_owned(), state.to_owned())];

    let draft = app
        .upload(
            &p.specialist.1.access,
            json!({"direction": "outgoing", "doc_type": "TTr", "urgency": "normal", "confidentiality": "none",
                   "summary": "Tờ trình về việc tổ chức Hội nghị sơ kết"}),
            vec![("du-thao.pdf", pdf("Du thao"))],
        )
        .await;
    let doc = draft.ok()["id"].as_str().unwrap().to_owned();
    let file = draft.ok()["files"][0]["id"].as_str().unwrap().to_owned();
    let (documents, tasks, _) = author.changes(&app).await;
    assert_eq!(documents, doc_in("draft", &doc));
    assert!(tasks.is_empty());
    // A draft stays in the author's office.
    for phone in [&mut deputy, &mut secretary, &mut outsider] {
        phone.nothing(&app).await;
    }
    author.nothing(&app).await;

    app.post(
        &format!("/api/v1/documents/{doc}/submit"),
        Some(&p.specialist.1.access),
        json!({"steps": [
            {"user_id": p.deputy.0, "action": "review"},
            {"user_id": p.secretary.0, "action": "review"},
        ]}),
    )
    .await
    .ok();
    let (documents, tasks, page) = author.changes(&app).await;
    assert_eq!(documents, doc_in("in_review", &doc));
    assert!(tasks.is_empty());
    let holder = &page["documents"][0]["holders"][0]["holder"]["full_name"];
    assert_eq!(holder, "Phạm Minh Tấn");
    let (documents, tasks, _) = deputy.changes(&app).await;
    assert_eq!(documents, doc_in("in_review", &doc));
    assert_eq!(tasks, ["waiting"]);
    let (documents, tasks, page) = secretary.changes(&app).await;
    assert_eq!(documents, doc_in("in_review", &doc));
    assert_eq!(tasks, ["pending"]);
    assert_eq!(page["tasks"][0]["assigner"]["full_name"], "Lê Thị Hoa");
    outsider.nothing(&app).await;

    // Reading is not changing: a download leaves every feed empty.
    app.http
        .get(format!("{}/api/v1/documents/{doc}/files/{file}", app.base))
        .bearer_auth(&p.deputy.1.access)
        .send()
        .await
        .unwrap();
    for phone in [&mut author, &mut deputy, &mut secretary, &mut outsider] {
        phone.nothing(&app).await;
    }

    let inbox = app.get("/api/v1/inbox", &p.deputy.1.access).await;
    let task = inbox.ok()["items"][0]["task"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.post(
        &format!("/api/v1/tasks/{task}/approve"),
        Some(&p.deputy.1.access),
        json!({"comment": "Đồng ý."}),
    )
    .await
    .ok();
    let (documents, tasks, _) = deputy.changes(&app).await;
    assert_eq!(documents, doc_in("in_review", &doc));
    assert_eq!(tasks, ["approved"]);
    let (_, tasks, page) = secretary.changes(&app).await;
    assert_eq!(tasks, ["waiting"]);
    let holder = &page["documents"][0]["holders"][0]["holder"]["full_name"];
    assert_eq!(holder, "Đỗ Quang Huy");
    let (documents, _, _) = author.changes(&app).await;
    assert_eq!(documents, doc_in("in_review", &doc));
    outsider.nothing(&app).await;
    for phone in [&mut author, &mut deputy, &mut secretary] {
        phone.nothing(&app).await;
    }

    // The author moves to another agency (behind the API, as a reorganisation would): the
    // document's next change tells their phone to drop it, and only theirs.
    app.world.execute_sql(
        "UPDATE users SET organization_id = \
         (SELECT organization_id FROM users WHERE username = 'phobithu.khac') \
         WHERE username = 'chuyenvien.hoa'",
    );
    let inbox = app.get("/api/v1/inbox", &p.secretary.1.access).await;
    let task = inbox.ok()["items"][0]["task"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.post(
        &format!("/api/v1/tasks/{task}/approve"),
        Some(&p.secretary.1.access),
        json!({}),
    )
    .await
    .ok();
    let (documents, _, page) = author.changes(&app).await;
    assert!(documents.is_empty());
    assert_eq!(page["removed"], json!([doc]));
    let (documents, tasks, _) = secretary.changes(&app).await;
    assert_eq!(documents, doc_in("approved", &doc));
    assert_eq!(tasks, ["approved"]);
    outsider.nothing(&app).await;

    // A cursor from elsewhere is refused.
    for bad in ["bm9wZQ", "OTk5OTk5OTk"] {
        app.get(&format!("/api/v1/sync?cursor={bad}"), &p.deputy.1.access)
            .await
            .problem(422, "validation_failed");
    }
}
