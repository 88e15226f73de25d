//! Who a document may be handed to: an active account of the document's own organisation tree,
//! a leader where the step is a signature or a directive. Other agencies are reached through
//! the exchange, never by putting a task in a stranger's inbox.

use serde_json::{Value, json};

use crate::helpers::{ADMIN_PASSWORD, Backend, TestApp, Tokens, on_both_databases, pdf, spawn_app};

on_both_databases!(
    no_hand_off_reaches_outside_the_organisation_or_a_person_without_the_role,
    the_signer_hands_the_signature_to_the_deputy_who_reviewed_just_before,
);

async fn person(app: &TestApp, admin: &Tokens, name: &str, role: &str) -> (String, Tokens) {
    let (id, password) = app.active_user(admin, name, &[role]).await;
    (id, app.login_ok(name, &password, "phone").await)
}

async fn upload(app: &TestApp, token: &str, direction: &str) -> String {
    let metadata = json!({
        "direction": direction, "doc_type": "CV", "urgency": "normal", "confidentiality": "none",
        "summary": "Công văn về việc triển khai chuyển đổi số", "issuer": "Sở Nội vụ",
    });
    let created = app
        .upload(token, metadata, vec![("cong-van.pdf", pdf("Cong van"))])
        .await;
    created.ok()["id"].as_str().unwrap().to_owned()
}

/// The first task of the caller's inbox.
pub(crate) async fn first_task(app: &TestApp, token: &str) -> String {
    let inbox = app.get("/api/v1/inbox", token).await;
    inbox.ok()["items"][0]["task"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn steps(list: &[(&str, &str)]) -> Value {
    let steps: Vec<_> = list
        .iter()
        .map(|(user, action)| json!({"user_id": user, "action": action}))
        .collect();
    json!({ "steps": steps })
}

async fn no_hand_off_reaches_outside_the_organisation_or_a_person_without_the_role(db: Backend) {
    let app = spawn_app(db).await;
    let admin = app.admin().await;
    let (_, author) = person(&app, &admin, "chuyenvien.binh", "specialist").await;
    let (reviewer_id, reviewer) = person(&app, &admin, "truongphong.cuong", "leader").await;
    let (signer_id, _) = person(&app, &admin, "bithu.an", "leader").await;
    let (colleague_id, _) = person(&app, &admin, "chuyenvien.dung", "specialist").await;
    let (_, clerk) = person(&app, &admin, "vanthu.lan", "clerk").await;
    let (disabled_id, _) = person(&app, &admin, "nghiviec.hung", "leader").await;
    app.patch(
        &format!("/api/v1/admin/users/{disabled_id}"),
        &admin.access,
        json!({"disabled": true}),
    )
    .await
    .ok();
    // An unrelated agency on the same server, with its own leader.
    app.world.create_admin("quantri.khac", "KHAC");
    let other_admin = app
        .login_ok("quantri.khac", ADMIN_PASSWORD, "admin-laptop")
        .await;
    let (stranger_id, stranger) = person(&app, &other_admin, "bithu.khac", "leader").await;
    let unknown = uuid::Uuid::new_v4().to_string();

    let doc = upload(&app, &author.access, "outgoing").await;
    let submit = format!("/api/v1/documents/{doc}/submit");
    for (chain, field) in [
        (steps(&[(&stranger_id, "review")]), "steps[0].user_id"),
        (
            steps(&[(&reviewer_id, "review"), (&stranger_id, "sign")]),
            "steps[1].user_id",
        ),
        (steps(&[(&colleague_id, "sign")]), "steps[0].user_id"),
        (steps(&[(&disabled_id, "review")]), "steps[0].user_id"),
        (steps(&[(&unknown, "review")]), "steps[0].user_id"),
    ] {
        let refused = app.post(&submit, Some(&author.access), chain).await;
        let problem = refused.problem(422, "invalid_assignee");
        assert!(
            problem["detail"].as_str().unwrap().contains(field),
            "{problem}"
        );
    }
    // Nothing reached the stranger: no task, and the draft is not theirs to read.
    assert!(
        app.get("/api/v1/inbox", &stranger.access).await.ok()["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    app.get(&format!("/api/v1/documents/{doc}"), &stranger.access)
        .await
        .problem(404, "not_found");

    // A reviewer cannot forward outside either, nor a signature to a non-leader.
    app.post(
        &submit,
        Some(&author.access),
        steps(&[(&reviewer_id, "review"), (&signer_id, "sign")]),
    )
    .await
    .ok();
    let task = first_task(&app, &reviewer.access).await;
    app.post(
        &format!("/api/v1/tasks/{task}/forward"),
        Some(&reviewer.access),
        json!({"user_id": stranger_id, "comment": "Nhờ đồng chí xem giúp"}),
    )
    .await
    .problem(422, "invalid_assignee");
    app.get(&format!("/api/v1/documents/{doc}"), &stranger.access)
        .await
        .problem(404, "not_found");

    // Incoming: the directive goes to a leader of ours, the handlers are ours.
    let incoming = upload(&app, &clerk.access, "incoming").await;
    let register = format!("/api/v1/documents/{incoming}/register");
    for to in [&stranger_id, &colleague_id, &unknown] {
        app.post(&register, Some(&clerk.access), json!({"to_user_id": to}))
            .await
            .problem(422, "invalid_assignee");
    }
    let registered = app
        .post(
            &register,
            Some(&clerk.access),
            json!({"to_user_id": signer_id}),
        )
        .await;
    assert_eq!(
        registered.ok()["received_no"],
        1,
        "no number used up by refusals"
    );
}

async fn the_signer_hands_the_signature_to_the_deputy_who_reviewed_just_before(db: Backend) {
    let app = spawn_app(db).await;
    let admin = app.admin().await;
    let (_, author) = person(&app, &admin, "chuyenvien.binh", "specialist").await;
    let (deputy_id, deputy) = person(&app, &admin, "phobithu.cuong", "leader").await;
    let (secretary_id, secretary) = person(&app, &admin, "bithu.an", "leader").await;
    let doc = upload(&app, &author.access, "outgoing").await;
    app.post(
        &format!("/api/v1/documents/{doc}/submit"),
        Some(&author.access),
        steps(&[(&deputy_id, "review"), (&secretary_id, "sign")]),
    )
    .await
    .ok();
    let review = first_task(&app, &deputy.access).await;
    app.post(
        &format!("/api/v1/tasks/{review}/approve"),
        Some(&deputy.access),
        json!({}),
    )
    .await
    .ok();

    // Away, the secretary hands the signature to the deputy: ký thay (KT.).
    let sign = first_task(&app, &secretary.access).await;
    app.post(
        &format!("/api/v1/tasks/{sign}/forward"),
        Some(&secretary.access),
        json!({"user_id": deputy_id, "comment": "Đồng chí ký thay"}),
    )
    .await
    .ok();
    let waiting = app.get("/api/v1/inbox", &deputy.access).await;
    let items = waiting.ok()["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["task"]["action"], "sign");
    assert_eq!(items[0]["document_id"], doc.as_str());
}
