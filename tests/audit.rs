//! The audit trail: what is recorded, who may read it, and that tampering is found.

use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, Tokens, on_both_databases, pdf, spawn_app};

on_both_databases!(
    every_step_of_a_document_is_recorded_with_who_and_from_where,
    a_row_altered_in_the_database_breaks_the_chain_at_that_row,
    the_trail_is_for_admins_of_the_organisation,
    the_trail_narrows_to_an_action_and_days,
);

pub(crate) async fn trail(app: &TestApp, admin: &Tokens, query: &str) -> Vec<Value> {
    let mut items = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = app
            .get(
                &format!("/api/v1/admin/audit?limit=100{query}{cursor}"),
                &admin.access,
            )
            .await;
        let body = page.ok();
        items.extend(body["items"].as_array().unwrap().iter().cloned());
        match body["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => return items,
        }
    }
}

fn actions(entries: &[Value]) -> Vec<&str> {
    entries
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect()
}

async fn every_step_of_a_document_is_recorded_with_who_and_from_where(db: Backend) {
    let app = spawn_app(db).await;
    let admin = app.admin().await;
    let (author_id, author_pw) = app
        .active_user(&admin, "chuyenvien.audit", &["specialist"])
        .await;
    let (leader_id, leader_pw) = app.active_user(&admin, "lanhdao.audit", &["leader"]).await;
    let author = app
        .login_ok("chuyenvien.audit", &author_pw, "phone-a")
        .await;
    let leader = app.login_ok("lanhdao.audit", &leader_pw, "phone-b").await;

    let refused = app
        .upload(
            &author.access,
            json!({"direction": "outgoing", "doc_type": "CV", "urgency": "normal",
                   "confidentiality": "secret", "summary": "Nội dung tối mật"}),
            vec![("mat.pdf", pdf("Mat"))],
        )
        .await;
    refused.problem(422, "classified_document_refused");
    let created = app
        .upload(
            &author.access,
            json!({"direction": "outgoing", "doc_type": "CV", "urgency": "normal",
                   "confidentiality": "none", "summary": "Công văn thử"}),
            vec![("cv.pdf", pdf("Cong van"))],
        )
        .await;
    let doc = created.ok()["id"].as_str().unwrap().to_owned();
    let file = created.body["files"][0]["id"].as_str().unwrap().to_owned();
    app.http
        .get(format!("{}/api/v1/documents/{doc}/files/{file}", app.base))
        .bearer_auth(&leader.access)
        .send()
        .await
        .unwrap();
    app.post(
        &format!("/api/v1/documents/{doc}/submit"),
        Some(&author.access),
        json!({"steps": [{"user_id": leader_id, "action": "sign"}]}),
    )
    .await
    .ok();
    let inbox = app.get("/api/v1/inbox", &leader.access).await;
    let task = inbox.ok()["items"][0]["task"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.post(
        &format!("/api/v1/tasks/{task}/return"),
        Some(&leader.access),
        json!({"comment": "Sửa lại đoạn 2"}),
    )
    .await
    .ok();

    let about_doc = trail(&app, &admin, &format!("&document_id={doc}")).await;
    assert_eq!(
        actions(&about_doc),
        [
            "document_created",
            "file_viewed",
            "submitted",
            "task_decided"
        ]
    );
    let decided = &about_doc[3];
    assert_eq!(decided["actor_id"], leader_id.as_str());
    assert_eq!(decided["session_id"], leader.session_id.as_str());
    assert_eq!(decided["ip"], "127.0.0.1");
    assert_eq!(decided["subject_id"], task.as_str());
    assert_eq!(decided["details"]["decision"], "return");
    assert_eq!(decided["details"]["comment"], "Sửa lại đoạn 2");
    assert_eq!(about_doc[1]["actor_id"], leader_id.as_str());
    assert_eq!(about_doc[1]["subject_id"], file.as_str());

    let by_author = trail(&app, &admin, &format!("&actor_id={author_id}")).await;
    let refusal = by_author
        .iter()
        .find(|e| e["action"] == "classified_refused")
        .expect("the refusal is recorded");
    assert_eq!(refusal["details"], json!({"confidentiality": "secret"}));
    assert!(
        !refusal.to_string().contains("tối mật") && !refusal.to_string().contains("mat.pdf"),
        "nothing of the refused document is kept: {refusal}"
    );
    assert!(actions(&by_author).contains(&"logged_in"));

    // The chain links each entry to the one before.
    let all = trail(&app, &admin, "").await;
    for pair in all.windows(2) {
        assert_eq!(pair[1]["seq"], pair[0]["seq"].as_i64().unwrap() + 1);
        assert_eq!(pair[1]["prev_hash"], pair[0]["hash"]);
    }
    let verified = app.get("/api/v1/admin/audit/verify", &admin.access).await;
    assert_eq!(verified.ok()["intact"], true);
    assert_eq!(verified.body["checked"], all.len() as u64);
}

async fn verify(app: &TestApp, admin: &Tokens, query: &str) -> Value {
    let reply = app
        .get(&format!("/api/v1/admin/audit/verify{query}"), &admin.access)
        .await;
    reply.ok().clone()
}

async fn a_row_altered_in_the_database_breaks_the_chain_at_that_row(db: Backend) {
    let app = spawn_app(db).await;
    let admin = app.admin().await;
    for name in ["mot.audit", "hai.audit", "ba.audit"] {
        app.active_user(&admin, name, &["leader"]).await;
    }
    let entries = trail(&app, &admin, "").await;
    assert!(entries.len() >= 6, "{entries:?}");
    let verified = verify(&app, &admin, "").await;
    assert_eq!(verified["intact"], true);
    assert_eq!(verified["checked_after"], 0, "the first check walks it all");
    assert_eq!(verified["checked"], entries.len() as u64);

    // The next check reads only what was appended since.
    app.active_user(&admin, "bon.audit", &["leader"]).await;
    let now = trail(&app, &admin, "").await;
    let tail = verify(&app, &admin, "").await;
    assert_eq!(tail["intact"], true, "{tail}");
    assert_eq!(tail["checked_after"], entries.len() as u64);
    assert_eq!(tail["checked"], (now.len() - entries.len()) as u64);

    // Someone with database access rewrites who was given which roles, in an entry a check
    // has already passed: a full check finds it.
    let target = entries
        .iter()
        .find(|e| e["action"] == "user_created")
        .unwrap()["seq"]
        .as_i64()
        .unwrap();
    app.world.execute_sql(&format!(
        "UPDATE audit_log SET details = '{{\"roles\":[\"admin\"],\"username\":\"mot.audit\"}}' WHERE seq = {target}"
    ));
    let broken = verify(&app, &admin, "?full=true").await;
    assert_eq!(broken["intact"], false, "{broken}");
    assert_eq!(broken["checked_after"], 0);
    assert_eq!(broken["first_break"]["seq"], target);
    assert_eq!(broken["first_break"]["reason"], "altered");
    assert_eq!(broken["checked"], target - 1);
    // Until it is mended, the regular check reports it too.
    let again = verify(&app, &admin, "").await;
    assert_eq!(again["first_break"]["seq"], target, "{again}");

    // Put back, then tamper with an entry after the checkpoint: the regular check finds it.
    app.world.execute_sql(&format!(
        "UPDATE audit_log SET details = '{}' WHERE seq = {target}",
        entries.iter().find(|e| e["seq"] == target).unwrap()["details"]
    ));
    let restored = verify(&app, &admin, "").await;
    assert_eq!(restored["intact"], true, "{restored}");
    let newest = restored["checked"].as_i64().unwrap();
    app.active_user(&admin, "nam.audit", &["leader"]).await;
    let appended = trail(&app, &admin, "").await[newest as usize].clone();
    assert_eq!(appended["seq"], newest + 1);
    app.world.execute_sql(&format!(
        "UPDATE audit_log SET ip = '10.0.0.66' WHERE seq = {}",
        newest + 1
    ));
    let later = verify(&app, &admin, "").await;
    assert_eq!(later["intact"], false, "{later}");
    assert_eq!(later["checked_after"], newest);
    assert_eq!(later["first_break"]["seq"], newest + 1);
    assert_eq!(later["first_break"]["reason"], "altered");
    app.world.execute_sql(&format!(
        "UPDATE audit_log SET ip = '{}' WHERE seq = {}",
        appended["ip"].as_str().unwrap(),
        newest + 1
    ));

    // Cut the newest entries, the checkpoint's own among them: the head still remembers them.
    let head = verify(&app, &admin, "?full=true").await;
    assert_eq!(head["intact"], true, "{head}");
    let newest = head["checked"].as_i64().unwrap();
    app.world
        .execute_sql(&format!("DELETE FROM audit_log WHERE seq = {newest}"));
    for query in ["", "?full=true"] {
        let cut = verify(&app, &admin, query).await;
        assert_eq!(cut["intact"], false, "{query}: {cut}");
        assert_eq!(cut["first_break"]["seq"], newest);
        assert_eq!(cut["first_break"]["reason"], "missing");
    }
}

async fn the_trail_is_for_admins_of_the_organisation(db: Backend) {
    let app = spawn_app(db).await;
    let admin = app.admin().await;
    let (leader_id, password) = app.active_user(&admin, "lanhdao.xem", &["leader"]).await;
    let leader = app.login_ok("lanhdao.xem", &password, "phone").await;
    app.get("/api/v1/admin/audit", &leader.access)
        .await
        .problem(403, "forbidden");
    app.get("/api/v1/admin/audit/verify", &leader.access)
        .await
        .problem(403, "forbidden");

    // An admin of a sibling organisation sees nothing of this one.
    app.world.create_admin("other.admin", "KHAC");
    let other = app
        .login_ok("other.admin", crate::helpers::ADMIN_PASSWORD, "laptop")
        .await;
    let seen = trail(&app, &other, "").await;
    assert!(
        seen.iter()
            .all(|e| e["actor_id"] != leader_id.as_str() && e["subject_id"] != leader_id.as_str()),
        "{seen:?}"
    );
    assert!(seen.iter().any(|e| e["action"] == "logged_in"));
    let mine = trail(&app, &admin, "").await;
    assert!(
        mine.iter()
            .any(|e| e["details"]["username"] == "lanhdao.xem")
    );
}

async fn the_trail_narrows_to_an_action_and_days(db: Backend) {
    let app = spawn_app(db).await;
    let admin = app.admin().await;
    let (leader_id, password) = app.active_user(&admin, "loc.audit", &["leader"]).await;
    app.active_user(&admin, "loc2.audit", &["clerk"]).await;
    app.login_ok("loc.audit", &password, "lost-phone").await;
    app.delete(
        &format!("/api/v1/admin/users/{leader_id}/sessions"),
        &admin.access,
    )
    .await
    .ok();

    let created = trail(&app, &admin, "&action=user_created").await;
    assert_eq!(actions(&created), ["user_created", "user_created"]);
    assert_eq!(created[0]["details"]["username"], "loc.audit");
    let admin_id = app.get("/api/v1/me", &admin.access).await.ok()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let revoked = trail(
        &app,
        &admin,
        &format!("&action=session_revoked&actor_id={admin_id}"),
    )
    .await;
    assert_eq!(actions(&revoked), ["session_revoked"]);
    assert_eq!(revoked[0]["subject_id"], leader_id.as_str());

    // Days are Vietnam's: the day of the entries holds them all, the days around it nothing.
    let all = trail(&app, &admin, "").await;
    let first: chrono::DateTime<chrono::Utc> = all[0]["at"].as_str().unwrap().parse().unwrap();
    let today = (first + chrono::Duration::hours(7)).date_naive();
    let yesterday = today.pred_opt().unwrap();
    let tomorrow = today.succ_opt().unwrap();
    assert_eq!(
        trail(&app, &admin, &format!("&from={today}&to={today}")).await,
        all
    );
    assert!(
        trail(&app, &admin, &format!("&to={yesterday}"))
            .await
            .is_empty()
    );
    assert!(
        trail(&app, &admin, &format!("&from={tomorrow}"))
            .await
            .is_empty()
    );
    assert_eq!(
        trail(&app, &admin, &format!("&action=user_created&from={today}")).await,
        created
    );

    app.get(
        &format!("/api/v1/admin/audit?from={today}&to={yesterday}"),
        &admin.access,
    )
    .await
    .problem(422, "validation_failed");
    app.get("/api/v1/admin/audit?action=made_up", &admin.access)
        .await
        .problem(400, "invalid_request");
}
