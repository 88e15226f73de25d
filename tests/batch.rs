//! Approving several tasks in one call: each decided or refused on its own.

use serde_json::{Value, json};

use crate::{
    helpers::{Backend, TestApp, Tokens, on_both_databases, pdf, spawn_app},
    people::province,
};

on_both_databases!(
    a_batch_of_five_approves_four_and_refuses_the_one_decided_on_another_phone,
    two_phones_approving_the_same_batch_at_once_approve_each_task_once,
);

/// Five drafts of the specialist, each waiting for the deputy's review.
async fn five_waiting(app: &TestApp, author: &Tokens, reviewer: &str) {
    for n in 1..=5 {
        let draft = app
            .upload(
                &author.access,
                json!({"direction": "outgoing", "doc_type": "TTr", "urgency": "normal", "confidentiality": "none",
                       "summary": format!("Tờ trình số {n} về chuyển đổi số")}),
                vec![("du-thao.pdf", pdf("Du thao"))],
            )
            .await;
        let doc = draft.ok()["id"].as_str().unwrap().to_owned();
        app.post(
            &format!("/api/v1/documents/{doc}/submit"),
            Some(&author.access),
            json!({"steps": [{"user_id": reviewer, "action": "review"}]}),
        )
        .await
        .ok();
    }
}

async fn waiting_tasks(app: &TestApp, token: &str) -> Vec<String> {
    let inbox = app.get("/api/v1/inbox?limit=10", token).await;
    inbox.ok()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["task"]["id"].as_str().unwrap().to_owned())
        .collect()
}

fn batch(tasks: &[String]) -> Value {
    let items: Vec<Value> = tasks
        .iter()
        .map(|t| json!({"task_id": t, "comment": "Đồng ý."}))
        .collect();
    json!({ "items": items })
}

async fn a_batch_of_five_approves_four_and_refuses_the_one_decided_on_another_phone(db: Backend) {
    let app = spawn_app(db).await;
    let p = province(&app).await;
    five_waiting(&app, &p.specialist.1, &p.deputy.0).await;
    let tasks = waiting_tasks(&app, &p.deputy.1.access).await;
    assert_eq!(tasks.len(), 5);

    // The deputy's tablet got to the third one first.
    let tablet = app
        .login_ok("phobithu.tan", "my-own-password-2026", "tablet")
        .await;
    app.post(
        &format!("/api/v1/tasks/{}/approve", tasks[2]),
        Some(&tablet.access),
        json!({}),
    )
    .await
    .ok();

    let send = || {
        app.http
            .post(format!("{}/api/v1/tasks/approve", app.base))
            .bearer_auth(&p.deputy.1.access)
            .header("idempotency-key", "duyet-5-van-ban")
            .json(&batch(&tasks))
            .send()
    };
    let answer = crate::helpers::reply(send().await.unwrap()).await;
    let body = answer.ok().clone();
    assert_eq!(body["approved"], 4);
    assert_eq!(body["refused"], 1);
    let results = body["results"].as_array().unwrap();
    for (i, r) in results.iter().enumerate() {
        assert_eq!(r["task_id"], tasks[i].as_str(), "in the order sent");
        if i == 2 {
            assert_eq!(r["outcome"], "refused");
            assert_eq!(r["problem"]["status"], 409);
            assert_eq!(r["problem"]["code"], "task_already_decided");
        } else {
            assert_eq!(r["outcome"], "approved");
            assert_eq!(r["task"]["status"], "approved");
        }
    }
    assert!(waiting_tasks(&app, &p.deputy.1.access).await.is_empty());

    // A retry on a bad network answers the same, and decides nothing again.
    let again = send().await.unwrap();
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let again = crate::helpers::reply(again).await;
    assert_eq!(again.ok(), &body);

    // Someone else's tasks are refused each on its own, as not found.
    let theirs = app
        .post(
            "/api/v1/tasks/approve",
            Some(&p.outsider.1.access),
            batch(&tasks[..2]),
        )
        .await;
    assert_eq!(theirs.ok()["refused"], 2);
    assert_eq!(theirs.body["results"][0]["problem"]["code"], "not_found");
}

async fn two_phones_approving_the_same_batch_at_once_approve_each_task_once(db: Backend) {
    let app = spawn_app(db).await;
    let p = province(&app).await;
    five_waiting(&app, &p.specialist.1, &p.deputy.0).await;
    let tasks = waiting_tasks(&app, &p.deputy.1.access).await;
    let tablet = app
        .login_ok("phobithu.tan", "my-own-password-2026", "tablet")
        .await;
    let reversed: Vec<String> = tasks.iter().rev().cloned().collect();
    let (a, b) = tokio::join!(
        app.post(
            "/api/v1/tasks/approve",
            Some(&p.deputy.1.access),
            batch(&tasks)
        ),
        app.post(
            "/api/v1/tasks/approve",
            Some(&tablet.access),
            batch(&reversed)
        ),
    );
    let approved = a.ok()["approved"].as_u64().unwrap() + b.ok()["approved"].as_u64().unwrap();
    assert_eq!(approved, 5, "each task approved by exactly one phone");
    let refused = a.body["refused"].as_u64().unwrap() + b.body["refused"].as_u64().unwrap();
    assert_eq!(refused, 5);
    for doc in app
        .get("/api/v1/documents", &p.specialist.1.access)
        .await
        .ok()["items"]
        .as_array()
        .unwrap()
    {
        assert_eq!(doc["state"], "approved");
    }
}
