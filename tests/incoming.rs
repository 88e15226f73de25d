//! Incoming documents: registration with arrival numbers, directive, handlers, completion.

use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, Tokens, on_both_databases, pdf, spawn_app};

on_both_databases!(
    an_incoming_document_goes_through_directive_and_completion,
    concurrent_registrations_get_distinct_consecutive_numbers,
);

async fn person(app: &TestApp, admin: &Tokens, name: &str, role: &str) -> (String, Tokens) {
    let (id, password) = app.active_user(admin, name, &[role]).await;
    (id, app.login_ok(name, &password, "phone").await)
}

pub(crate) async fn incoming(app: &TestApp, clerk: &Tokens) -> String {
    let metadata = json!({
        "direction": "incoming", "doc_type": "CV", "urgency": "very_urgent", "confidentiality": "none",
        "summary": "Công văn về việc báo cáo tình hình chuyển đổi số", "issuer": "Bộ Nội vụ",
    });
    let created = app
        .upload(&clerk.access, metadata, vec![("cv.pdf", pdf("Cong van"))])
        .await;
    created.ok()["id"].as_str().unwrap().to_owned()
}

async fn waiting(app: &TestApp, token: &str) -> Vec<Value> {
    app.get("/api/v1/inbox", token).await.ok()["items"]
        .as_array()
        .unwrap()
        .clone()
}

async fn an_incoming_document_goes_through_directive_and_completion(db: Backend) {
    let app = spawn_app(db).await;
    let admin = app.admin().await;
    let (_, clerk) = person(&app, &admin, "vanthu.lan", "clerk").await;
    let (leader_id, leader) = person(&app, &admin, "bithu.an", "leader").await;
    let (lead_id, lead) = person(&app, &admin, "chuyenvien.binh", "specialist").await;
    let (support_id, support) = person(&app, &admin, "chuyenvien.cuong", "specialist").await;

    // Only clerks take documents in.
    let metadata = json!({"direction": "incoming", "doc_type": "CV", "urgency": "normal", "confidentiality": "none", "summary": "x"});
    app.upload(&lead.access, metadata, vec![("x.pdf", pdf("x"))])
        .await
        .problem(403, "forbidden");

    let doc = incoming(&app, &clerk).await;
    let registered = app
        .post(
            &format!("/api/v1/documents/{doc}/register"),
            Some(&clerk.access),
            json!({"to_user_id": leader_id}),
        )
        .await;
    assert_eq!(registered.ok()["received_no"], 1);
    assert_eq!(registered.body["state"], "registered");
    app.post(
        &format!("/api/v1/documents/{doc}/register"),
        Some(&clerk.access),
        json!({"to_user_id": leader_id}),
    )
    .await
    .problem(409, "wrong_document_state");

    let direct = waiting(&app, &leader.access).await;
    assert_eq!(direct[0]["task"]["action"], "direct");
    let task = direct[0]["task"]["id"].as_str().unwrap().to_owned();
    let no_lead =
        json!({"directive": "Xử lý", "assignments": [{"user_id": support_id, "role": "support"}]});
    app.post(
        &format!("/api/v1/tasks/{task}/assign"),
        Some(&leader.access),
        no_lead,
    )
    .await
    .problem(422, "validation_failed");
    let assign = json!({"directive": "Giao đồng chí Bình chủ trì, đồng chí Cường phối hợp.", "assignments": [
        {"user_id": lead_id, "role": "lead"}, {"user_id": support_id, "role": "support"},
    ]});
    let assigned = app
        .post(
            &format!("/api/v1/tasks/{task}/assign"),
            Some(&leader.access),
            assign,
        )
        .await;
    assert_eq!(assigned.ok()["status"], "completed");

    let lead_task = waiting(&app, &lead.access).await[0]["task"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let support_task = waiting(&app, &support.access).await[0]["task"].clone();
    assert_eq!(support_task["action"], "support");
    let done = app
        .post(
            &format!("/api/v1/tasks/{lead_task}/complete"),
            Some(&lead.access),
            json!({"report": "Đã báo cáo"}),
        )
        .await;
    assert_eq!(done.ok()["status"], "completed");
    let document = app
        .get(&format!("/api/v1/documents/{doc}"), &clerk.access)
        .await;
    assert_eq!(document.ok()["state"], "done");
    assert_eq!(document.body["received_no"], 1);
    assert!(
        waiting(&app, &support.access).await.is_empty(),
        "the co-handler's task closed with the document"
    );
}

async fn concurrent_registrations_get_distinct_consecutive_numbers(db: Backend) {
    let app = spawn_app(db).await;
    let admin = app.admin().await;
    let (_, clerk) = person(&app, &admin, "vanthu.lan", "clerk").await;
    let (leader_id, _) = person(&app, &admin, "bithu.an", "leader").await;
    let mut docs = Vec::new();
    for _ in 0..8 {
        docs.push(incoming(&app, &clerk).await);
    }
    let registrations = docs.iter().map(|doc| {
        let path = format!("/api/v1/documents/{doc}/register");
        let body = json!({"to_user_id": leader_id});
        let (app, clerk) = (&app, &clerk);
        async move { app.post(&path, Some(&clerk.access), body).await }
    });
    let mut numbers: Vec<i64> = futures_util::future::join_all(registrations)
        .await
        .iter()
        .map(|r| r.ok()["received_no"].as_i64().unwrap())
        .collect();
    numbers.sort();
    assert_eq!(numbers, (1..=8).collect::<Vec<_>>());
}
