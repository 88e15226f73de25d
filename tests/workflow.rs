//! A draft along its chain: return, resubmission, forward, inbox order, two phones racing.

use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, Tokens, on_both_databases, pdf, spawn_app};

on_both_databases!(
    a_draft_walks_a_two_step_chain_with_a_return_and_a_resubmission,
    a_forwarded_step_is_decided_by_the_deputy,
    the_inbox_puts_the_most_urgent_first,
    two_phones_deciding_one_task_one_wins,
    a_retried_approval_with_the_same_key_acts_once,
);

struct Office {
    author: Tokens,
    reviewer: (String, Tokens),
    signer: (String, Tokens),
}

async fn office(app: &TestApp) -> Office {
    let admin = app.admin().await;
    let mut people = Vec::new();
    for (name, role) in [
        ("chuyenvien.binh", "specialist"),
        ("truongphong.cuong", "leader"),
        ("bithu.an", "leader"),
    ] {
        let (id, password) = app.active_user(&admin, name, &[role]).await;
        people.push((id, app.login_ok(name, &password, "phone").await));
    }
    let signer = people.pop().unwrap();
    let reviewer = people.pop().unwrap();
    let (_, author) = people.pop().unwrap();
    Office {
        author,
        reviewer,
        signer,
    }
}

async fn draft(app: &TestApp, token: &str, urgency: &str) -> String {
    let metadata = json!({
        "direction": "outgoing", "doc_type": "TTr", "urgency": urgency, "confidentiality": "none",
        "summary": format!("Tờ trình {urgency}"),
    });
    let created = app
        .upload(token, metadata, vec![("du-thao.pdf", pdf("Du thao"))])
        .await;
    created.ok()["id"].as_str().unwrap().to_owned()
}

async fn inbox(app: &TestApp, token: &str) -> Vec<Value> {
    app.get("/api/v1/inbox", token).await.ok()["items"]
        .as_array()
        .unwrap()
        .clone()
}

fn chain(o: &Office) -> Value {
    json!({"steps": [
        {"user_id": o.reviewer.0, "action": "review"},
        {"user_id": o.signer.0, "action": "sign"},
    ]})
}

async fn a_draft_walks_a_two_step_chain_with_a_return_and_a_resubmission(db: Backend) {
    let app = spawn_app(db).await;
    let o = office(&app).await;
    let doc = draft(&app, &o.author.access, "urgent").await;
    let submitted = app
        .post(
            &format!("/api/v1/documents/{doc}/submit"),
            Some(&o.author.access),
            chain(&o),
        )
        .await;
    assert_eq!(submitted.ok()["state"], "in_review");
    assert!(
        inbox(&app, &o.signer.1.access).await.is_empty(),
        "the signer's turn comes later"
    );
    let waiting = inbox(&app, &o.reviewer.1.access).await;
    assert_eq!(waiting.len(), 1);
    assert_eq!(waiting[0]["document_id"], doc.as_str());
    assert_eq!(waiting[0]["urgency"], "urgent");
    let task = waiting[0]["task"]["id"].as_str().unwrap().to_owned();

    // Not the signer's task; a return needs a reason.
    app.post(
        &format!("/api/v1/tasks/{task}/approve"),
        Some(&o.signer.1.access),
        json!({}),
    )
    .await
    .problem(403, "not_your_task");
    app.post(
        &format!("/api/v1/tasks/{task}/return"),
        Some(&o.reviewer.1.access),
        json!({"comment": "  "}),
    )
    .await
    .problem(422, "comment_required");
    let returned = app
        .post(
            &format!("/api/v1/tasks/{task}/return"),
            Some(&o.reviewer.1.access),
            json!({"comment": "Bổ sung số liệu"}),
        )
        .await;
    assert_eq!(returned.ok()["status"], "returned");
    let doc_now = app
        .get(&format!("/api/v1/documents/{doc}"), &o.author.access)
        .await;
    assert_eq!(doc_now.ok()["state"], "returned");
    assert!(inbox(&app, &o.reviewer.1.access).await.is_empty());

    // Revised and resubmitted: the chain starts again.
    let again = app
        .post(
            &format!("/api/v1/documents/{doc}/submit"),
            Some(&o.author.access),
            chain(&o),
        )
        .await;
    assert_eq!(again.ok()["state"], "in_review");
    let task = inbox(&app, &o.reviewer.1.access).await[0]["task"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let approved = app
        .post(
            &format!("/api/v1/tasks/{task}/approve"),
            Some(&o.reviewer.1.access),
            json!({"comment": "Đồng ý"}),
        )
        .await;
    assert_eq!(approved.ok()["status"], "approved");
    let sign = inbox(&app, &o.signer.1.access).await;
    assert_eq!(sign.len(), 1);
    assert_eq!(sign[0]["task"]["action"], "sign");
    assert_eq!(sign[0]["task"]["round"], 2);
    let sign_task = sign[0]["task"]["id"].as_str().unwrap();
    app.post(
        &format!("/api/v1/tasks/{sign_task}/approve"),
        Some(&o.signer.1.access),
        json!({}),
    )
    .await
    .problem(409, "signature_required");
    // Deciding the old round's task again is refused.
    app.post(
        &format!("/api/v1/tasks/{task}/approve"),
        Some(&o.reviewer.1.access),
        json!({}),
    )
    .await
    .problem(409, "task_already_decided");
}

async fn a_forwarded_step_is_decided_by_the_deputy(db: Backend) {
    let app = spawn_app(db).await;
    let o = office(&app).await;
    let admin = app.admin().await;
    let (deputy_id, password) = app.active_user(&admin, "phochanh.dung", &["leader"]).await;
    let deputy = app.login_ok("phochanh.dung", &password, "phone").await;
    let doc = draft(&app, &o.author.access, "normal").await;
    app.post(
        &format!("/api/v1/documents/{doc}/submit"),
        Some(&o.author.access),
        chain(&o),
    )
    .await
    .ok();
    let task = inbox(&app, &o.reviewer.1.access).await[0]["task"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let forwarded = app
        .post(
            &format!("/api/v1/tasks/{task}/forward"),
            Some(&o.reviewer.1.access),
            json!({"user_id": deputy_id, "comment": "Nhờ đồng chí xem giúp, tôi đi công tác."}),
        )
        .await;
    assert_eq!(forwarded.ok()["status"], "forwarded");
    assert!(inbox(&app, &o.reviewer.1.access).await.is_empty());
    let theirs = inbox(&app, &deputy.access).await;
    assert_eq!(theirs.len(), 1);
    // The deputy's row says who handed the step over, and what they wrote.
    assert_eq!(theirs[0]["about"]["kind"], "forwarded");
    assert_eq!(
        theirs[0]["about"]["comment"],
        "Nhờ đồng chí xem giúp, tôi đi công tác."
    );
    assert_eq!(theirs[0]["about"]["by"]["id"], o.reviewer.0.as_str());
    let new_task = theirs[0]["task"]["id"].as_str().unwrap();
    app.post(
        &format!("/api/v1/tasks/{new_task}/approve"),
        Some(&deputy.access),
        json!({}),
    )
    .await
    .ok();
    let signers = inbox(&app, &o.signer.1.access).await;
    assert_eq!(signers.len(), 1);
    // The signer's step comes after the deputy's approval, not the forward before it.
    assert_eq!(signers[0]["about"]["kind"], "approved");
    assert_eq!(signers[0]["about"]["by"]["id"], deputy_id.as_str());
    // The deputy now sees the document too.
    app.get(&format!("/api/v1/documents/{doc}"), &deputy.access)
        .await
        .ok();
}

async fn the_inbox_puts_the_most_urgent_first(db: Backend) {
    let app = spawn_app(db).await;
    let o = office(&app).await;
    for urgency in ["normal", "flash", "urgent", "very_urgent"] {
        let doc = draft(&app, &o.author.access, urgency).await;
        app.post(
            &format!("/api/v1/documents/{doc}/submit"),
            Some(&o.author.access),
            chain(&o),
        )
        .await
        .ok();
    }
    let order: Vec<Value> = inbox(&app, &o.reviewer.1.access)
        .await
        .iter()
        .map(|i| i["urgency"].clone())
        .collect();
    assert_eq!(
        order,
        [
            json!("flash"),
            json!("very_urgent"),
            json!("urgent"),
            json!("normal")
        ]
    );
    // Two at a time, the pages join up to the same order.
    let first = app.get("/api/v1/inbox?limit=2", &o.reviewer.1.access).await;
    let cursor = first.ok()["next_cursor"].as_str().unwrap().to_owned();
    let second = app
        .get(
            &format!("/api/v1/inbox?limit=2&cursor={cursor}"),
            &o.reviewer.1.access,
        )
        .await;
    let paged: Vec<Value> = first.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .chain(second.ok()["items"].as_array().unwrap())
        .map(|i| i["urgency"].clone())
        .collect();
    assert_eq!(paged, order);
}

async fn two_phones_deciding_one_task_one_wins(db: Backend) {
    let app = spawn_app(db).await;
    let o = office(&app).await;
    let doc = draft(&app, &o.author.access, "flash").await;
    app.post(
        &format!("/api/v1/documents/{doc}/submit"),
        Some(&o.author.access),
        chain(&o),
    )
    .await
    .ok();
    let task = inbox(&app, &o.reviewer.1.access).await[0]["task"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let tablet = app
        .login_ok("truongphong.cuong", "my-own-password-2026", "tablet")
        .await;
    let path = format!("/api/v1/tasks/{task}/approve");
    let (a, b) = tokio::join!(
        app.post(
            &path,
            Some(&o.reviewer.1.access),
            json!({"comment": "phone"})
        ),
        app.post(&path, Some(&tablet.access), json!({"comment": "tablet"})),
    );
    let mut statuses = [a.status.as_u16(), b.status.as_u16()];
    statuses.sort();
    assert_eq!(statuses, [200, 409], "{} / {}", a.body, b.body);
    let loser = if a.status == 409 { &a } else { &b };
    loser.problem(409, "task_already_decided");
    // Exactly one next step was created.
    assert_eq!(inbox(&app, &o.signer.1.access).await.len(), 1);
}

async fn a_retried_approval_with_the_same_key_acts_once(db: Backend) {
    let app = spawn_app(db).await;
    let o = office(&app).await;
    let doc = draft(&app, &o.author.access, "urgent").await;
    app.post(
        &format!("/api/v1/documents/{doc}/submit"),
        Some(&o.author.access),
        chain(&o),
    )
    .await
    .ok();
    let task = inbox(&app, &o.reviewer.1.access).await[0]["task"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let approve = |key: &'static str, comment: &'static str| {
        app.http
            .post(format!("{}/api/v1/tasks/{task}/approve", app.base))
            .bearer_auth(&o.reviewer.1.access)
            .header("idempotency-key", key)
            .json(&json!({ "comment": comment }))
            .send()
    };
    let first = approve("approve-7f3a", "Đồng ý").await.unwrap();
    assert_eq!(first.status(), 200);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let first_body: Value = first.json().await.unwrap();
    let again = approve("approve-7f3a", "Đồng ý").await.unwrap();
    assert_eq!(
        again.status(),
        200,
        "the retry gets the first answer, not a conflict"
    );
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(again.json::<Value>().await.unwrap(), first_body);
    assert_eq!(
        inbox(&app, &o.signer.1.access).await.len(),
        1,
        "approved once"
    );
    let other = crate::helpers::reply(approve("approve-7f3a", "Khác").await.unwrap()).await;
    other.problem(422, "idempotency_key_reused");
    // Without a key, a second approval is a second decision, refused as such.
    app.post(
        &format!("/api/v1/tasks/{task}/approve"),
        Some(&o.reviewer.1.access),
        json!({}),
    )
    .await
    .problem(409, "task_already_decided");
}
