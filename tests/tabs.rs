//! The app's tabs besides the inbox: processed by me, submitted by me, for information, each
//! paged and filtered, with where every document stands and the badges on `/me`.

use reqwest::Method;
use serde_json::{Value, json};

use crate::{
    hand_offs::first_task,
    helpers::{Backend, Someone, TestApp, on_both_databases, pdf, spawn_app},
    incoming::incoming,
    names::submitted_draft,
    people::{person, province},
};

on_both_databases!(
    processed_and_submitted_say_where_each_document_stands,
    for_information_lists_what_i_have_not_opened,
    the_badges_follow_every_change_and_the_clock,
);

async fn tab(app: &TestApp, token: &str, query: &str) -> Value {
    app.get(&format!("/api/v1/tabs/{query}"), token)
        .await
        .ok()
        .clone()
}

fn ids(page: &Value) -> Vec<&str> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["document"]["id"].as_str().unwrap())
        .collect()
}

async fn me(app: &TestApp, token: &str) -> Value {
    app.get("/api/v1/me", token).await.ok().clone()
}

async fn processed_and_submitted_say_where_each_document_stands(db: Backend) {
    let app = spawn_app(db).await;
    let p = province(&app).await;
    let (specialist, deputy) = (&p.specialist.1, &p.deputy.1);
    let first = submitted_draft(&app, &p, "Kính trình.").await;
    let second = submitted_draft(&app, &p, "Kính trình lần hai.").await;

    // Mine, newest first, each saying who holds it now.
    let mine = tab(&app, &specialist.access, "submitted").await;
    assert_eq!(ids(&mine), [second.as_str(), first.as_str()]);
    let row = &mine["items"][1];
    assert_eq!(row["document"]["state"], "in_review");
    assert_eq!(row["document"]["urgency"], "urgent");
    assert_eq!(row["document"]["author"]["full_name"], "Lê Thị Hoa");
    assert_eq!(row["holders"][0]["holder"]["full_name"], "Phạm Minh Tấn");
    assert_eq!(row["holders"][0]["step"], 0);
    assert!(row.get("task").is_none());
    assert_eq!(
        tab(&app, &deputy.access, "processed").await["items"],
        json!([])
    );

    // The deputy approves the first and returns the second.
    let inbox = app.get("/api/v1/inbox", &deputy.access).await;
    for row in inbox.ok()["items"].as_array().unwrap() {
        let (task, doc) = (&row["task"]["id"], row["document_id"].as_str().unwrap());
        let (what, comment) = if doc == first {
            ("approve", "Đồng ý.")
        } else {
            ("return", "Đề nghị bổ sung căn cứ pháp lý.")
        };
        app.post(
            &format!("/api/v1/tasks/{}/{what}", task.as_str().unwrap()),
            Some(&deputy.access),
            json!({ "comment": comment }),
        )
        .await
        .ok();
    }
    let done = tab(&app, &deputy.access, "processed").await;
    assert_eq!(ids(&done), [second.as_str(), first.as_str()]);
    let approved = &done["items"][1];
    assert_eq!(approved["task"]["status"], "approved");
    assert_eq!(approved["task"]["assignee"]["full_name"], "Phạm Minh Tấn");
    assert!(approved["at"].as_str().is_some());
    assert_eq!(
        approved["holders"][0]["holder"]["full_name"],
        "Đỗ Quang Huy"
    );
    let returned = &done["items"][0];
    assert_eq!(returned["task"]["status"], "returned");
    assert_eq!(returned["document"]["state"], "returned");
    assert_eq!(returned["holders"], json!([]));

    // Filters narrow each tab.
    let only = |q: &str| {
        let (app, token) = (&app, deputy.access.clone());
        let q = q.to_owned();
        async move { tab(app, &token, &q).await }
    };
    assert_eq!(
        ids(&only("processed?state=returned").await),
        [second.as_str()]
    );
    assert_eq!(
        ids(&only("processed?state=in_review").await),
        [first.as_str()]
    );
    assert_eq!(
        ids(&only("processed?direction=incoming").await),
        Vec::<&str>::new()
    );
    assert_eq!(ids(&only("processed?urgency=urgent").await).len(), 2);
    assert_eq!(ids(&only("processed?urgency=flash").await).len(), 0);
    let future = "from=2100-01-01T00:00:00Z";
    assert_eq!(ids(&only(&format!("processed?{future}")).await).len(), 0);
    assert_eq!(
        ids(&only("processed?to=2000-01-01T00:00:00Z").await).len(),
        0
    );
    app.get(
        "/api/v1/tabs/processed?from=2030-01-02T00:00:00Z&to=2030-01-01T00:00:00Z",
        &deputy.access,
    )
    .await
    .problem(422, "validation_failed");

    // One at a time: every document once, then the end.
    let page = tab(&app, &specialist.access, "submitted?limit=1").await;
    assert_eq!(ids(&page), [second.as_str()]);
    let cursor = page["next_cursor"].as_str().unwrap();
    let page = tab(
        &app,
        &specialist.access,
        &format!("submitted?limit=1&cursor={cursor}"),
    )
    .await;
    assert_eq!(ids(&page), [first.as_str()]);
    let cursor = page["next_cursor"].as_str().unwrap();
    let page = tab(
        &app,
        &specialist.access,
        &format!("submitted?limit=1&cursor={cursor}"),
    )
    .await;
    assert_eq!(ids(&page), Vec::<&str>::new());
    assert!(page.get("next_cursor").is_none());
    app.get("/api/v1/tabs/submitted?cursor=bm9wZQ", &specialist.access)
        .await
        .problem(422, "validation_failed");

    // The author's badge counts the returned draft; nobody else sees any of it.
    assert_eq!(me(&app, &specialist.access).await["returned_drafts"], 1);
    let returned = tab(&app, &specialist.access, "submitted?state=returned").await;
    assert_eq!(ids(&returned), [second.as_str()]);
    for which in ["submitted", "processed", "for_information"] {
        let theirs = tab(&app, &p.outsider.1.access, which).await;
        assert_eq!(theirs["items"], json!([]), "{which}");
    }
}

async fn for_information_lists_what_i_have_not_opened(db: Backend) {
    let app = spawn_app(db).await;
    let p = province(&app).await;
    let (admin, root) = (&p.admin, &p.root);
    let (clerk_id, clerk) = person(
        &app,
        admin,
        root,
        Someone::new("vanthu.lan", "Ngô Thị Lan", "Văn thư", &["clerk"]),
    )
    .await;
    let (deputy, secretary) = (&p.deputy.1, &p.secretary.1);
    let doc = incoming(&app, &clerk).await;
    app.post(
        &format!("/api/v1/documents/{doc}/register"),
        Some(&clerk.access),
        json!({"to_user_id": p.deputy.0}),
    )
    .await
    .ok();
    let inbox = app.get("/api/v1/inbox", &deputy.access).await;
    let direct = inbox.ok()["items"][0]["task"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.post(
        &format!("/api/v1/tasks/{direct}/assign"),
        Some(&deputy.access),
        json!({"directive": "Giao Văn phòng chủ trì; các đồng chí để biết.", "assignments": [
            {"user_id": p.specialist.0, "role": "lead"},
            {"user_id": p.secretary.0, "role": "fyi"},
            {"user_id": clerk_id, "role": "fyi"},
        ]}),
    )
    .await
    .ok();

    // Each reader has it in the tab and on the badge, sent by the deputy.
    for reader in [secretary, &clerk] {
        let unread = tab(&app, &reader.access, "for_information").await;
        assert_eq!(ids(&unread), [doc.as_str()]);
        let row = &unread["items"][0];
        assert_eq!(row["task"]["action"], "fyi");
        assert_eq!(row["task"]["assigner"]["full_name"], "Phạm Minh Tấn");
        assert_eq!(row["document"]["direction"], "incoming");
        assert_eq!(row["document"]["urgency"], "very_urgent");
        assert_eq!(row["holders"].as_array().unwrap().len(), 3);
        assert_eq!(me(&app, &reader.access).await["unread_fyi"], 1);
    }
    let clerks_task = tab(&app, &clerk.access, "for_information").await["items"][0]["task"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let read = format!("/api/v1/tasks/{clerks_task}/read");

    // Only the reader marks it read, and only a reading task can be.
    let mark = |path: String, token: String| {
        let app = &app;
        async move { app.send(Method::POST, &path, Some(&token), None).await }
    };
    mark(read.clone(), secretary.access.clone())
        .await
        .problem(403, "not_your_task");
    let direct = format!("/api/v1/tasks/{direct}/read");
    mark(direct, deputy.access.clone())
        .await
        .problem(409, "not_for_this_task");
    mark(read.clone(), p.outsider.1.access.clone())
        .await
        .problem(404, "not_found");

    // Opening the item, or the document, takes it off the tab and the badge.
    for _ in 0..2 {
        let marked = mark(read.clone(), clerk.access.clone()).await;
        assert_eq!(marked.status, 204, "{}", marked.body);
    }
    app.get(&format!("/api/v1/documents/{doc}"), &secretary.access)
        .await
        .ok();
    for reader in [secretary, &clerk] {
        assert_eq!(
            tab(&app, &reader.access, "for_information").await["items"],
            json!([])
        );
        assert_eq!(me(&app, &reader.access).await["unread_fyi"], 0);
    }
    // Read is not done: the reading task still waits to be closed in the inbox.
    let inbox = app.get("/api/v1/inbox", &clerk.access).await;
    assert_eq!(inbox.ok()["items"][0]["task"]["action"], "fyi");
}

/// The server remembers the profiles it served; the badges must move all the same, at once,
/// with each decision, and when a deadline passes with nobody doing anything.
async fn the_badges_follow_every_change_and_the_clock(db: Backend) {
    let app = spawn_app(db).await;
    let p = province(&app).await;
    let (specialist, deputy) = (&p.specialist.1, &p.deputy.1);
    let badges = |token: String| {
        let app = &app;
        async move {
            let me = me(app, &token).await;
            let n = |badge: &str| me[badge].as_u64().unwrap();
            let counts = [n("waiting_tasks"), n("overdue_tasks"), n("returned_drafts")];
            (counts, me["full_name"].as_str().unwrap().to_owned())
        }
    };
    assert_eq!(badges(deputy.access.clone()).await.0, [0, 0, 0]);
    assert_eq!(badges(specialist.access.clone()).await.0, [0, 0, 0]);

    // Submitted to the deputy, due in three seconds.
    let draft = app
        .upload(
            &specialist.access,
            json!({"direction": "outgoing", "doc_type": "TTr", "urgency": "urgent",
                   "confidentiality": "none", "summary": "Tờ trình về việc mua sắm tài sản công"}),
            vec![("du-thao.pdf", pdf("Du thao"))],
        )
        .await;
    let doc = draft.ok()["id"].as_str().unwrap().to_owned();
    let now = || chrono::DateTime::<chrono::Utc>::from(std::time::SystemTime::now());
    let due = now() + chrono::TimeDelta::seconds(3);
    app.post(
        &format!("/api/v1/documents/{doc}/submit"),
        Some(&specialist.access),
        json!({"steps": [{"user_id": p.deputy.0, "action": "review"}], "deadline": due}),
    )
    .await
    .ok();
    assert_eq!(badges(deputy.access.clone()).await.0, [1, 0, 0]);
    let wait = (due - now()).to_std().unwrap_or_default();
    tokio::time::sleep(wait + std::time::Duration::from_millis(200)).await;
    assert_eq!(badges(deputy.access.clone()).await.0, [1, 1, 0], "overdue");

    // Returned: off the deputy's badges, onto the author's.
    let task = first_task(&app, &deputy.access).await;
    app.post(
        &format!("/api/v1/tasks/{task}/return"),
        Some(&deputy.access),
        json!({"comment": "Đề nghị bổ sung báo giá."}),
    )
    .await
    .ok();
    assert_eq!(badges(deputy.access.clone()).await.0, [0, 0, 0]);
    assert_eq!(badges(specialist.access.clone()).await.0, [0, 0, 1]);

    // The admin corrects the deputy's name: the next profile says it.
    app.patch(
        &format!("/api/v1/admin/users/{}", p.deputy.0),
        &p.admin.access,
        json!({"full_name": "Phạm Minh Tân"}),
    )
    .await
    .ok();
    assert_eq!(badges(deputy.access.clone()).await.1, "Phạm Minh Tân");
}
