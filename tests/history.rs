//! The document screen: a draft's history with every comment and who wrote it, read by
//! everyone who may see the document and by nobody else.

use reqwest::Method;
use serde_json::{Value, json};

use crate::{
    helpers::{Backend, Someone, TestApp, on_both_databases, pdf, spawn_app},
    incoming::incoming,
    people::{directory, person, province},
};

on_both_databases!(
    a_returned_draft_shows_its_reason_and_the_history_reads_in_order_with_names,
    an_incoming_documents_directive_reaches_its_handlers_and_the_report_closes_the_history,
);

async fn decide(app: &TestApp, token: &str, what: &str, comment: &str) -> Value {
    let inbox = app.get("/api/v1/inbox", token).await;
    let task = inbox.ok()["items"][0]["task"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.post(
        &format!("/api/v1/tasks/{task}/{what}"),
        Some(token),
        json!({ "comment": comment }),
    )
    .await
    .ok()
    .clone()
}

fn who_wrote_what(history: &Value) -> Vec<(String, String, String)> {
    history
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["kind"].as_str().unwrap().to_owned(),
                e["by"]["full_name"].as_str().unwrap().to_owned(),
                e["comment"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

async fn a_returned_draft_shows_its_reason_and_the_history_reads_in_order_with_names(db: Backend) {
    let app = spawn_app(db).await;
    let p = province(&app).await;
    let (specialist, deputy, secretary) = (&p.specialist.1, &p.deputy.1, &p.secretary.1);
    let outsider = &p.outsider.1;
    let found = directory(&app, &specialist.access, "q=pho%20bi%20thu").await;
    let ids: Vec<&Value> = found.iter().map(|p| &p["id"]).collect();
    let (secretary_id, deputy_id) = (ids[0].clone(), ids[1].clone());
    let draft = app
        .upload(
            &specialist.access,
            json!({"direction": "outgoing", "doc_type": "TTr", "urgency": "urgent", "confidentiality": "none",
                   "summary": "Tờ trình về Kế hoạch chuyển đổi số năm 2027"}),
            vec![("du-thao.pdf", pdf("Du thao"))],
        )
        .await;
    let doc = draft.ok()["id"].as_str().unwrap().to_owned();
    let chain = json!({"steps": [
        {"user_id": deputy_id, "action": "review"},
        {"user_id": secretary_id, "action": "review"},
    ]});
    let submit = format!("/api/v1/documents/{doc}/submit");
    app.post(&submit, Some(&specialist.access), chain.clone())
        .await
        .ok();
    let screen = format!("/api/v1/documents/{doc}");
    let waiting = app.get(&screen, &specialist.access).await;
    let holders = &waiting.ok()["holders"];
    assert_eq!(holders.as_array().unwrap().len(), 1);
    assert_eq!(holders[0]["holder"]["full_name"], "Phạm Minh Tấn");
    assert_eq!(holders[0]["holder"]["title"], "Phó Bí thư Thường trực");
    let etag = waiting.headers["etag"].to_str().unwrap().to_owned();

    decide(
        &app,
        &deputy.access,
        "return",
        "Đề nghị bổ sung căn cứ pháp lý.",
    )
    .await;
    let read = |token: String| {
        let app = &app;
        let screen = screen.clone();
        async move { app.get(&screen, &token).await.ok().clone() }
    };
    let returned = read(specialist.access.clone()).await;
    assert_eq!(returned["state"], "returned");
    assert_eq!(returned["author"]["full_name"], "Lê Thị Hoa");
    let last = returned["history"].as_array().unwrap().last().unwrap();
    assert_eq!(last["kind"], "returned");
    assert_eq!(last["by"]["full_name"], "Phạm Minh Tấn");
    assert_eq!(last["comment"], "Đề nghị bổ sung căn cứ pháp lý.");
    assert!(returned["holders"].as_array().unwrap().is_empty());
    // What was cached before the return is stale now.
    let stale = app
        .http
        .get(format!("{}{screen}", app.base))
        .bearer_auth(&specialist.access)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), 200);

    app.post(&submit, Some(&specialist.access), chain)
        .await
        .ok();
    decide(
        &app,
        &deputy.access,
        "approve",
        "Đồng ý, trình đồng chí Phó Bí thư.",
    )
    .await;
    decide(&app, &secretary.access, "approve", "Đồng ý ban hành.").await;

    // Everyone on the chain reads the same history; the outsider reads nothing.
    for token in [specialist, deputy, secretary] {
        let approved = read(token.access.clone()).await;
        assert_eq!(approved["state"], "approved");
        let history = who_wrote_what(&approved["history"]);
        let expected = [
            ("created", "Lê Thị Hoa", ""),
            ("submitted", "Lê Thị Hoa", ""),
            (
                "returned",
                "Phạm Minh Tấn",
                "Đề nghị bổ sung căn cứ pháp lý.",
            ),
            ("submitted", "Lê Thị Hoa", ""),
            (
                "approved",
                "Phạm Minh Tấn",
                "Đồng ý, trình đồng chí Phó Bí thư.",
            ),
            ("approved", "Đỗ Quang Huy", "Đồng ý ban hành."),
        ];
        let expected: Vec<_> = expected
            .iter()
            .map(|(k, b, c)| (k.to_string(), b.to_string(), c.to_string()))
            .collect();
        assert_eq!(history, expected);
        let chain: Vec<&str> = approved["history"][1]["named"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["person"]["full_name"].as_str().unwrap())
            .collect();
        assert_eq!(chain, ["Phạm Minh Tấn", "Đỗ Quang Huy"]);
        assert_eq!(approved["history"][3]["round"], 2);
    }
    app.get(&screen, &outsider.access)
        .await
        .problem(404, "not_found");

    // Unchanged since the last read: 304, no body.
    let fresh = app.get(&screen, &specialist.access).await;
    let etag = fresh.headers["etag"].to_str().unwrap().to_owned();
    let cached = app
        .http
        .request(Method::GET, format!("{}{screen}", app.base))
        .bearer_auth(&specialist.access)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(cached.status(), 304);
}

async fn an_incoming_documents_directive_reaches_its_handlers_and_the_report_closes_the_history(
    db: Backend,
) {
    let app = spawn_app(db).await;
    let p = province(&app).await;
    let (admin, root) = (&p.admin, &p.root);
    let (_, clerk) = person(
        &app,
        admin,
        root,
        Someone::new("vanthu.lan", "Ngô Thị Lan", "Văn thư", &["clerk"]),
    )
    .await;
    let (lead_id, lead) = person(
        &app,
        admin,
        root,
        Someone::new(
            "chuyenvien.binh",
            "Trần Văn Bình",
            "Chuyên viên",
            &["specialist"],
        ),
    )
    .await;
    let (deputy_id, deputy) = (&p.deputy.0, &p.deputy.1);
    let reader_id = &p.secretary.0;
    let doc = incoming(&app, &clerk).await;
    app.post(
        &format!("/api/v1/documents/{doc}/register"),
        Some(&clerk.access),
        json!({"to_user_id": deputy_id}),
    )
    .await
    .ok();
    let directive = "Giao đồng chí Bình chủ trì, báo cáo trước ngày 15/12.";
    let deadline = "2030-12-15T10:00:00+00:00";
    let direct = app.get("/api/v1/inbox", &deputy.access).await;
    let row = &direct.ok()["items"][0];
    assert_eq!(row["from"]["full_name"], "Ngô Thị Lan", "the clerk sent it");
    assert!(row.get("about").is_none(), "a registration carries no text");
    let task = row["task"]["id"].as_str().unwrap().to_owned();
    app.post(
        &format!("/api/v1/tasks/{task}/assign"),
        Some(&deputy.access),
        json!({"directive": directive, "deadline": deadline, "assignments": [
            {"user_id": reader_id, "role": "fyi"}, {"user_id": lead_id, "role": "lead"},
        ]}),
    )
    .await
    .ok();

    // The lead's task says what it is about, who asked and by when.
    let handed = app.get("/api/v1/inbox", &lead.access).await;
    let row = &handed.ok()["items"][0];
    assert_eq!(row["task"]["action"], "lead");
    assert_eq!(row["from"]["full_name"], "Phạm Minh Tấn");
    assert_eq!(row["from"]["title"], "Phó Bí thư Thường trực");
    assert_eq!(row["about"]["kind"], "directed");
    assert_eq!(row["about"]["comment"], directive);
    assert_eq!(row["about"]["by"]["full_name"], "Phạm Minh Tấn");
    assert_eq!(row["since"], row["about"]["at"]);
    assert_eq!(row["task"]["deadline"], deadline);
    assert_eq!(
        row["summary"],
        "Công văn về việc báo cáo tình hình chuyển đổi số"
    );
    let task = row["task"]["id"].as_str().unwrap().to_owned();
    let report = "Đã báo cáo Bộ Nội vụ tại văn bản số 12/BC-VPTU.";
    app.post(
        &format!("/api/v1/tasks/{task}/complete"),
        Some(&lead.access),
        json!({ "report": report }),
    )
    .await
    .ok();

    let done = app
        .get(&format!("/api/v1/documents/{doc}"), &lead.access)
        .await;
    let done = done.ok();
    assert_eq!(done["state"], "done");
    let history = who_wrote_what(&done["history"]);
    let expected = [
        ("created", "Ngô Thị Lan", ""),
        ("registered", "Ngô Thị Lan", ""),
        ("directed", "Phạm Minh Tấn", directive),
        ("completed", "Trần Văn Bình", report),
    ];
    let expected: Vec<_> = expected
        .iter()
        .map(|(k, b, c)| (k.to_string(), b.to_string(), c.to_string()))
        .collect();
    assert_eq!(history, expected);
    assert_eq!(done["history"][1]["received_no"], 1);
    assert_eq!(
        done["history"][1]["named"][0]["person"]["full_name"],
        "Phạm Minh Tấn"
    );
    let directed = &done["history"][2];
    assert_eq!(directed["deadline"], deadline);
    let handlers: Vec<(&str, &str)> = directed["named"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["person"]["full_name"].as_str().unwrap(),
                n["action"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        handlers,
        [("Trần Văn Bình", "lead"), ("Đỗ Quang Huy", "fyi")]
    );
    app.get(&format!("/api/v1/documents/{doc}"), &p.outsider.1.access)
        .await
        .problem(404, "not_found");
}
