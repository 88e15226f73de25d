//! The usage report: what an admin's organisations received, sent and decided, and what waits.

use serde_json::json;

use crate::helpers::{ADMIN_PASSWORD, Backend, on_both_databases, pdf, spawn_app};

on_both_databases!(the_usage_report_counts_what_happened_in_the_period);

async fn the_usage_report_counts_what_happened_in_the_period(db: Backend) {
    let app = spawn_app(db).await;
    let admin = app.admin().await;
    let mut people = Vec::new();
    for (name, role) in [
        ("vanthu.bc", "clerk"),
        ("lanhdao.bc", "leader"),
        ("chuyenvien.bc", "specialist"),
    ] {
        let (id, pw) = app.active_user(&admin, name, &[role]).await;
        people.push((id, app.login_ok(name, &pw, "phone").await));
    }
    let [(_, clerk), (leader_id, leader), (handler_id, _)] = people.try_into().ok().unwrap();

    // Two incoming documents registered; the leader directs one of them.
    let mut tasks = Vec::new();
    for n in 0..2 {
        let created = app
            .upload(
                &clerk.access,
                json!({"direction": "incoming", "doc_type": "CV", "urgency": "normal",
                       "confidentiality": "none", "summary": format!("Công văn {n}"), "issuer": "Bộ Nội vụ"}),
                vec![("cv.pdf", pdf("Cong van"))],
            )
            .await;
        let doc = created.ok()["id"].as_str().unwrap().to_owned();
        app.post(
            &format!("/api/v1/documents/{doc}/register"),
            Some(&clerk.access),
            json!({"to_user_id": leader_id, "deadline": "2099-01-01T00:00:00Z"}),
        )
        .await
        .ok();
    }
    for item in app.get("/api/v1/inbox", &leader.access).await.ok()["items"]
        .as_array()
        .unwrap()
    {
        tasks.push(item["task"]["id"].as_str().unwrap().to_owned());
    }
    app.post(
        &format!("/api/v1/tasks/{}/assign", tasks[0]),
        Some(&leader.access),
        json!({"directive": "Giao chuyên viên xử lý", "assignments": [{"user_id": handler_id, "role": "lead"}]}),
    )
    .await
    .ok();

    let report = app.get("/api/v1/admin/reports/usage", &admin.access).await;
    let orgs = report.ok()["organizations"].as_array().unwrap();
    assert_eq!(orgs.len(), 1, "{}", report.body);
    let root = &orgs[0];
    assert_eq!(root["code"], "ROOT");
    // Typed in from paper: registered, not received electronically.
    assert_eq!(root["registered"], 2);
    assert_eq!(root["received"], 0);
    assert_eq!(root["issued"], 0);
    assert_eq!(root["sent"], 0);
    assert_eq!(root["signed_share"], 0.0);
    assert_eq!(root["decisions"], 1);
    assert!(root["median_decision_seconds"].as_i64().unwrap() >= 0);
    let leaders = root["leaders"].as_array().unwrap();
    assert_eq!(leaders.len(), 1);
    assert_eq!(leaders[0]["user_id"], leader_id.as_str());
    assert_eq!(
        (
            leaders[0]["waiting"].as_u64(),
            leaders[0]["overdue"].as_u64()
        ),
        (Some(1), Some(0))
    );

    // A period before any of it counts nothing; a reversed one is refused.
    let before = app
        .get(
            "/api/v1/admin/reports/usage?from=2020-01-01&to=2020-12-31",
            &admin.access,
        )
        .await;
    let old = &before.ok()["organizations"][0];
    assert_eq!(
        (old["registered"].as_u64(), old["decisions"].as_u64()),
        (Some(0), Some(0))
    );
    app.get(
        "/api/v1/admin/reports/usage?from=2026-02-01&to=2026-01-01",
        &admin.access,
    )
    .await
    .problem(422, "validation_failed");

    // Only admins, and only of their own organisations.
    app.get("/api/v1/admin/reports/usage", &leader.access)
        .await
        .problem(403, "forbidden");
    app.world.create_admin("other.admin", "KHAC");
    let other = app.login_ok("other.admin", ADMIN_PASSWORD, "laptop").await;
    let theirs = app.get("/api/v1/admin/reports/usage", &other.access).await;
    let codes: Vec<_> = theirs.ok()["organizations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["code"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(codes, ["KHAC"]);
}
