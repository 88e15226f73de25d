//! New versions of a draft's files: by the author, while the draft is theirs to change.

use serde_json::json;

use crate::helpers::{Backend, Reply, TestApp, on_both_databases, pdf, reply, spawn_app};

on_both_databases!(a_returned_draft_gets_a_new_version_and_keeps_the_old);

async fn revise(app: &TestApp, token: &str, doc: &str, slot: i32, bytes: Vec<u8>) -> Reply {
    let form = reqwest::multipart::Form::new()
        .text("metadata", json!({ "slot": slot }).to_string())
        .part(
            "file",
            reqwest::multipart::Part::bytes(bytes)
                .file_name("du-thao-v2.pdf")
                .mime_str("application/pdf")
                .unwrap(),
        );
    let resp = app
        .http
        .post(format!("{}/api/v1/documents/{doc}/files", app.base))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    reply(resp).await
}

async fn a_returned_draft_gets_a_new_version_and_keeps_the_old(db: Backend) {
    let app = spawn_app(db).await;
    let admin = app.admin().await;
    let (_, pw) = app
        .active_user(&admin, "chuyenvien.sua", &["specialist"])
        .await;
    let author = app.login_ok("chuyenvien.sua", &pw, "phone").await;
    let (reviewer_id, pw) = app
        .active_user(&admin, "truongphong.sua", &["leader"])
        .await;
    let reviewer = app.login_ok("truongphong.sua", &pw, "phone").await;
    let created = app
        .upload(
            &author.access,
            json!({"direction": "outgoing", "doc_type": "KH", "urgency": "normal",
                   "confidentiality": "none", "summary": "Kế hoạch năm 2027"}),
            vec![("ke-hoach.pdf", pdf("Ban 1"))],
        )
        .await;
    let doc = created.ok()["id"].as_str().unwrap().to_owned();
    let submit_path = format!("/api/v1/documents/{doc}/submit");
    let submit = || {
        app.post(
            &submit_path,
            Some(&author.access),
            json!({"steps": [{"user_id": reviewer_id, "action": "review"}]}),
        )
    };
    submit().await.ok();

    // Under review the draft is frozen: what the reviewer reads is what they decide on.
    revise(&app, &author.access, &doc, 0, pdf("Ban 2"))
        .await
        .problem(409, "wrong_document_state");

    let task = app.get("/api/v1/inbox", &reviewer.access).await.ok()["items"][0]["task"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.post(
        &format!("/api/v1/tasks/{task}/return"),
        Some(&reviewer.access),
        json!({"comment": "Bổ sung kinh phí"}),
    )
    .await
    .ok();
    let before = app
        .get(&format!("/api/v1/documents/{doc}"), &author.access)
        .await;
    let etag = before.headers["etag"].to_str().unwrap().to_owned();

    revise(&app, &reviewer.access, &doc, 0, pdf("Ban 2"))
        .await
        .problem(403, "not_the_author");
    revise(&app, &author.access, &doc, 0, b"not a pdf at all".to_vec())
        .await
        .problem(415, "not_a_pdf");
    revise(&app, &author.access, &doc, 2, pdf("Phu luc"))
        .await
        .problem(422, "validation_failed");

    let revised = revise(&app, &author.access, &doc, 0, pdf("Ban 2")).await;
    assert_eq!(revised.status.as_u16(), 201, "{}", revised.body);
    let files = revised.body["files"].as_array().unwrap();
    let versions: Vec<_> = files
        .iter()
        .map(|f| {
            (
                f["slot"].as_i64().unwrap(),
                f["version"].as_i64().unwrap(),
                f["current"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(versions, [(0, 1, false), (0, 2, true)]);
    assert_ne!(files[0]["sha256"], files[1]["sha256"]);
    let appendix = revise(&app, &author.access, &doc, 1, pdf("Phu luc")).await;
    assert_eq!(appendix.status.as_u16(), 201, "{}", appendix.body);
    assert_eq!(appendix.body["files"].as_array().unwrap().len(), 3);

    // A cached read is stale now.
    let after = app
        .http
        .get(format!("{}/api/v1/documents/{doc}", app.base))
        .bearer_auth(&author.access)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(after.status().as_u16(), 200);

    // The new version goes round again.
    submit().await.ok();
    let v2 = files[1]["id"].as_str().unwrap();
    let download = app
        .http
        .get(format!("{}/api/v1/documents/{doc}/files/{v2}", app.base))
        .bearer_auth(&reviewer.access)
        .send()
        .await
        .unwrap();
    assert_eq!(
        download.bytes().await.unwrap().as_ref(),
        pdf("Ban 2").as_slice()
    );
}
